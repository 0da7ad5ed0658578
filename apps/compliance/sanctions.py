"""Sanctions lists: reading a consolidated list, and screening persons against it by name.

This module owns the list format, the normalisation of names and the score of a possible match.
It reads no model and no database: ``parse_sanctions_csv`` turns a list into ``ListEntry``
values, ``SanctionsIndex`` is built once from them and screens ``Person`` values (an investor or
a beneficial owner), returning ``Match`` values with their reasons in plain words.

The rule it keeps: a list is taken whole or not at all (every line is checked and every error
reported at once), and a possible match is never silent: whoever is close enough by name, with
birth date and countries weighed in, is returned with the reasons for its score.

List format: UTF-8 CSV (read from its text, or from the bytes of its file) whose header holds
the columns ``entry_id,name,aliases,birth_date,countries,list,listed_on`` (in any order; other
columns are ignored). ``entry_id`` is unique in the file; ``name`` is required; ``aliases``
are separated by ``|``; ``birth_date`` is ``YYYY-MM-DD``, ``YYYY`` (year only) or empty;
``countries`` are ISO 3166-1 alpha-2 codes (``XK`` for Kosovo too) separated by ``|``; ``list``
names the source list ("EU", "UN", "OFAC", "UK") and is required; ``listed_on`` is
``YYYY-MM-DD`` or empty.
``entry_id``, ``name`` and ``list`` are at most as long as the columns that keep them
(``MAX_LENGTHS``); no field is longer than the csv module reads (``csv.field_size_limit()``,
128 KiB) or holds a control character other than a line break or a tab
(:mod:`apps.core.validators`). A file that is not UTF-8, or that holds a NUL character (UTF-16,
say), is refused before any line is read.

Names are compared once normalised (``normalize_name``): German umlauts written out (ü as ue,
as in machine-readable passports), any script transliterated to ASCII, case folded, punctuation
and courtesy titles dropped, the articles "al" and "el" dropped before a word (so that
"Al-Rashidi", "al Rashidi" and "Rashidi" agree), and the words sorted, so that
"IVANOV, Sergei", "Sergei Ivanov" and "Сергей Иванов" come out alike or nearly so. The words are
sorted by their sound key (below), then spelling: sorted by spelling alone, a variant in a first
letter ("Yulia"/"Julia", "Elena"/"Helena", "Omar"/"Umar") would put the words in another order
and ruin the comparison.

Score of a possible match, 0 to 100::

    score = clamp(name_score + birth + country, 0, 100)

``name_score`` is the best, over the entry's name and aliases, of rapidfuzz's ``ratio`` of the
normalised names (their ``token_sort_ratio``, with the words sorted as said above), or of their
``token_set_ratio`` when they have at least two words in common (so that a missing middle name
or patronymic still matches, while one word in common, a lone surname or a common given name,
does not carry the score).

``birth`` weighs the person's birth date against the entry's:

- +10 (``BIRTH_DATE_MATCHES``) when the full dates are equal;
- +5 (``BIRTH_YEAR_MATCHES``) when the list gives only the year and it is the same;
- -15 (``BIRTH_DATE_DIFFERS``) when the full dates differ within the same year;
- -25 (``BIRTH_YEAR_DIFFERS``) when the years differ;
- 0 when either side does not know it.

``country`` is +5 (``COUNTRY_SHARED``) when the person and the entry share a country, else 0.

Screening only scores the list names that share a blocking key with the person's name: one of
its normalised words, or a word's sound key (``sound_key``: the consonants left once the
spellings that transliterations disagree on are merged, such as kh/h, ph/f/v, w/v, z/s, ts/s,
sh/sch/shch/s, c/k, q/k, x/ks, dzh/dj/zh/j, tch/ch), so that "sergey"/"sergei" and
"mohammed"/"muhammad" still meet. A name none of whose words shares a key with a list name is
not scored against it.
"""

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from anyascii import anyascii
from rapidfuzz import fuzz, process

from apps.core.validators import character_name, control_character_in

COLUMNS = ("entry_id", "name", "aliases", "birth_date", "countries", "list", "listed_on")

BIRTH_DATE_MATCHES = 10
BIRTH_YEAR_MATCHES = 5
BIRTH_DATE_DIFFERS = -15
BIRTH_YEAR_DIFFERS = -25
COUNTRY_SHARED = 5

PROGRESS_EVERY = 500
# The lengths of the columns of ``SanctionsEntry`` that keep these fields.
MAX_LENGTHS = {"entry_id": 100, "name": 300, "list": 60}
# Lines of a file that is not UTF-8 reported one by one; the rest are counted.
ENCODING_ERRORS_SHOWN = 20

# Officially assigned ISO 3166-1 alpha-2 codes, and XK (Kosovo), which the EU and UN lists use.
_ISO_3166_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS XK YE YT ZA ZM ZW
"""
COUNTRY_CODES = frozenset(_ISO_3166_ALPHA_2.split())

# Courtesy titles only: religious and honorific words ("sheikh", "haji") are often listed as part
# of the name and are kept.
HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "herr",
        "frau",
        "mme",
        "mlle",
        "madame",
        "monsieur",
    }
)
# Written, hyphenated or not, or left out, as the transliterator pleases.
ARTICLES = frozenset({"al", "el"})

# Written out before transliteration, which would otherwise drop the umlaut (ü to u), and the
# Greek diphthong omicron-upsilon, which letter by letter would come out as "oy".
_SPELLED_OUT = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
    }
)
_GREEK_OU = re.compile("[\u03bf\u03cc][\u03c5\u03cd]", re.IGNORECASE)
_SILENT = re.compile("['`\u2018\u2019\u02bc\u02bb]")
_NOT_WORD = re.compile("[^a-z0-9]+")

_SOUNDS = {
    "tsch": "c",
    "tch": "c",
    "ch": "c",
    "dzh": "j",
    "dj": "j",
    "zh": "j",
    "shch": "s",
    "sch": "s",
    "sh": "s",
    "kh": "h",
    "ph": "v",
    "th": "t",
    "dh": "d",
    "gh": "g",
    "ck": "k",
    "tz": "s",
    "ts": "s",
    "c": "k",
    "q": "k",
    "x": "ks",
    "w": "v",
    "f": "v",
    "z": "s",
}
_SOUND = re.compile("|".join(sorted(_SOUNDS, key=len, reverse=True)))
_VOWELS = re.compile("[aeiouy]+")
_REPEATED = re.compile(r"(.)\1+")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class ListEntry:
    """One entry of a sanctions list, as read."""

    entry_id: str
    name: str
    aliases: tuple[str, ...]
    birth_date: date | None
    birth_year: int | None  # also set when the full birth date is known
    countries: tuple[str, ...]
    list_name: str
    listed_on: date | None


@dataclass(frozen=True)
class Person:
    """An investor or a beneficial owner, as screened."""

    key: str
    name: str
    birth_date: date | None
    countries: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A list entry a person may be, with its scores and the reasons for them."""

    person_key: str
    entry_id: str
    list_name: str
    matched_name: str  # the entry's name or alias, as listed
    name_score: int
    score: int
    reasons: tuple[str, ...]


class SanctionsListError(ValueError):
    """A list that cannot be read, with every error found (line number and field)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


# --- reading a list ---------------------------------------------------------------------------


def parse_sanctions_csv(data: str | bytes) -> list[ListEntry]:
    """Read a list in the format above; raise ``SanctionsListError`` with every error found.

    ``data`` is the list's text, or the bytes of its file. A file that is not UTF-8, or a text
    holding a NUL character, and a missing column are reported alone: the rows are not read.
    """
    text = _decoded(data) if isinstance(data, bytes) else data
    _refuse_nul(text)
    lines = _Lines(text.removeprefix("\ufeff"))
    reader = csv.reader(lines)
    try:
        header = [column.strip() for column in next(reader, [])]
    except csv.Error as error:
        raise SanctionsListError([_unreadable(1, error, "".join(lines.record), [])]) from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise SanctionsListError([f"line 1: missing column '{column}'" for column in missing])
    at = {column: header.index(column) for column in COLUMNS}

    entries: list[ListEntry] = []
    errors: list[str] = []
    first_seen: dict[str, int] = {}
    next_line = reader.line_num + 1
    while True:
        lines.record.clear()
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The reader starts afresh on the next line: the lines after are still checked.
            errors.append(_unreadable(next_line, error, "".join(lines.record), header))
            next_line = reader.line_num + 1
            continue
        line, next_line = next_line, reader.line_num + 1
        if not fields:
            continue
        if len(fields) != len(header):
            errors.append(f"line {line}: {len(fields)} fields where the header has {len(header)}")
            continue
        row = {column: fields[at[column]].strip() for column in COLUMNS}
        problems: list[str] = []
        for column, value in row.items():
            problems.extend(_text_problems(column, value))
        if problems:
            errors.extend(f"line {line}, {problem}" for problem in problems)
            continue
        entry_id = row["entry_id"]
        if not entry_id:
            problems.append("entry_id: empty")
        elif entry_id in first_seen:
            problems.append(f"entry_id: '{entry_id}' already on line {first_seen[entry_id]}")
        else:
            first_seen[entry_id] = line
        if not row["name"]:
            problems.append("name: empty")
        elif not normalize_name(row["name"]):
            problems.append(f"name: '{row['name']}' has no letter left to compare")
        if not row["list"]:
            problems.append("list: empty")
        birth_date, birth_year = _birth(row["birth_date"], problems)
        listed_on = _optional_date("listed_on", row["listed_on"], problems)
        countries = _countries(row["countries"], problems)
        if problems:
            errors.extend(f"line {line}, {problem}" for problem in problems)
            continue
        entries.append(
            ListEntry(
                entry_id=entry_id,
                name=row["name"],
                aliases=tuple(
                    alias.strip() for alias in row["aliases"].split("|") if alias.strip()
                ),
                birth_date=birth_date,
                birth_year=birth_year,
                countries=countries,
                list_name=row["list"],
                listed_on=listed_on,
            )
        )
    if errors:
        raise SanctionsListError(errors)
    return entries


class _Lines:
    """The lines of a text, fed to ``csv.reader``, keeping those of the record being read."""

    def __init__(self, text: str):
        self._lines = iter(io.StringIO(text))
        self.record: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def _decoded(data: bytes) -> str:
    """Return the text of a UTF-8 file, or refuse it naming the lines that are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    errors: list[str] = []
    bad_lines = 0
    # No byte of a multi-byte UTF-8 character is a line feed: each line is decoded alone.
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad_lines += 1
            if bad_lines <= ENCODING_ERRORS_SHOWN:
                errors.append(
                    f"line {number}: not UTF-8 (byte 0x{line[error.start]:02X} at byte "
                    f"{error.start + 1} of the line): save the list as UTF-8"
                )
    if bad_lines > ENCODING_ERRORS_SHOWN:
        errors.append(f"and {bad_lines - ENCODING_ERRORS_SHOWN} more lines that are not UTF-8")
    raise SanctionsListError(errors)


def _refuse_nul(text: str) -> None:
    """Refuse a text holding a NUL character, naming its first line: no list has one, and a
    file saved as UTF-16 has one in every other byte."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise SanctionsListError(
            [f"line {line}: holds a NUL character (U+0000): a list is UTF-8 text (not UTF-16)"]
        )


def _unreadable(line: int, error: csv.Error, record: str, header: list[str]) -> str:
    """Say why the record starting on ``line`` could not be read, naming its field if it can."""
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(error):
        return f"line {line}: not readable as CSV ({error})"
    position = _field_longer_than(record, limit)
    if position is None:
        return f"line {line}: a field is longer than {limit:,} characters"
    column = header[position] if position < len(header) else f"field {position + 1}"
    return f"line {line}, {column}: longer than {limit:,} characters"


def _field_longer_than(record: str, limit: int) -> int | None:
    """Return the position of the first field of the raw CSV ``record`` longer than ``limit``."""
    position, length, quoted = 0, 0, False
    for char in record:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            position, length = position + 1, 0
        else:
            length += 1
            if length > limit:
                return position
    return None


def _text_problems(column: str, value: str) -> list[str]:
    """What is wrong with a field as text: a control character, a length beyond its column."""
    problems = []
    # Line breaks and tabs are spaces to the comparison of names; a quoted field may hold them.
    found = control_character_in(value, multiline=True)
    if found is not None:
        position, char = found
        problems.append(
            f"{column}: holds the invisible control character {character_name(char)} "
            f"at character {position}"
        )
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        problems.append(f"{column}: {len(value):,} characters, at most {limit}")
    return problems


def _birth(value: str, problems: list[str]) -> tuple[date | None, int | None]:
    if _YEAR.fullmatch(value):
        return None, int(value)
    birth_date = _optional_date("birth_date", value, problems, year_only_allowed=True)
    return birth_date, birth_date.year if birth_date else None


def _optional_date(
    field: str, value: str, problems: list[str], *, year_only_allowed: bool = False
) -> date | None:
    if not value:
        return None
    if _FULL_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    expected = "YYYY-MM-DD or YYYY" if year_only_allowed else "YYYY-MM-DD"
    problems.append(f"{field}: '{value}' is not a date ({expected})")
    return None


def _countries(value: str, problems: list[str]) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for code in value.split("|") if code.strip())
    for code in codes:
        if code not in COUNTRY_CODES:
            problems.append(f"countries: '{code}' is not an ISO 3166 alpha-2 code")
    return codes


# --- names ------------------------------------------------------------------------------------


def normalize_name(name: str) -> str:
    """Return ``name`` in ASCII, case folded, without punctuation or titles, words sorted."""
    spelled = _GREEK_OU.sub(lambda m: "Ou" if m.group()[0].isupper() else "ou", name)
    ascii_name = anyascii(spelled.translate(_SPELLED_OUT)).casefold()
    words = _NOT_WORD.sub(" ", _SILENT.sub("", ascii_name)).split()
    kept = [
        word
        for at, word in enumerate(words)
        if word not in HONORIFICS and not (word in ARTICLES and at + 1 < len(words))
    ]
    return " ".join(sorted(kept, key=lambda word: (sound_key(word), word)))


def sound_key(word: str) -> str:
    """Return the consonant skeleton of a normalised word, alike across transliterations."""
    merged = _SOUND.sub(lambda m: _SOUNDS[m.group()], word)
    return _REPEATED.sub(r"\1", _VOWELS.sub("", merged))


def _blocking_keys(normalised: str) -> set[str]:
    """Return the words of a normalised name and their sound keys (marked with a tilde)."""
    keys = set()
    for word in normalised.split():
        keys.add(word)
        skeleton = sound_key(word)
        if len(skeleton) >= 2:  # one consonant would bring in half the list
            keys.add("~" + skeleton)
    return keys


def _percent(similarity) -> int:
    """Round a rapidfuzz similarity to a whole percentage."""
    return round(similarity)


# --- screening --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ListName:
    entry: int  # position in SanctionsIndex.entries
    listed_as: str
    is_alias: bool


class SanctionsIndex:
    """The entries of one or more lists, normalised and blocked once, ready to screen against."""

    def __init__(self, entries: Iterable[ListEntry]):
        self.entries: tuple[ListEntry, ...] = tuple(entries)
        by_normalised: dict[str, list[_ListName]] = defaultdict(list)
        for position, entry in enumerate(self.entries):
            seen: set[str] = set()
            for listed_as, is_alias in [
                (entry.name, False),
                *((alias, True) for alias in entry.aliases),
            ]:
                normalised = normalize_name(listed_as)
                if normalised and normalised not in seen:
                    seen.add(normalised)
                    by_normalised[normalised].append(_ListName(position, listed_as, is_alias))
        # Each distinct normalised name is scored once, whatever the number of entries it names.
        self._names: list[str] = list(by_normalised)
        self._listed: list[list[_ListName]] = list(by_normalised.values())
        postings: dict[str, list[int]] = defaultdict(list)
        for number, name in enumerate(self._names):
            for key in _blocking_keys(name):
                postings[key].append(number)
        self._postings: dict[str, list[int]] = dict(postings)

    def __len__(self) -> int:
        return len(self.entries)

    def candidate_names(self, name: str) -> list[str]:
        """Return the normalised list names that share a blocking key with ``name``."""
        numbers, _ = self._candidates(normalize_name(name))
        return sorted(self._names[number] for number in numbers)

    def _candidates(self, normalised: str) -> tuple[list[int], list[int]]:
        """Return the list names sharing a key with ``normalised``, and those sharing two words."""
        numbers: set[int] = set()
        shared_words: Counter[int] = Counter()
        for word in set(normalised.split()):
            with_word = self._postings.get(word, ())
            numbers.update(with_word)
            shared_words.update(with_word)
            skeleton = sound_key(word)
            if len(skeleton) >= 2:
                numbers.update(self._postings.get("~" + skeleton, ()))
        sharing_two = [number for number, count in shared_words.items() if count >= 2]
        return list(numbers), sharing_two

    def _name_scores(self, normalised: str, name_threshold: int) -> dict[int, int]:
        """Score the candidate names of ``normalised``; keep those at ``name_threshold`` or up."""
        numbers, sharing_two = self._candidates(normalised)
        cutoff = max(name_threshold - 1, 0)  # rounding may still lift a score to the threshold
        scores: dict[int, int] = {}
        # The words are already sorted (by sound): comparing them as they stand is the token sort.
        for _choice, score, at in process.extract(
            normalised,
            list(map(self._names.__getitem__, numbers)),
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            limit=None,
        ):
            scores[numbers[at]] = _percent(score)
        for _choice, score, at in process.extract(
            normalised,
            list(map(self._names.__getitem__, sharing_two)),
            scorer=fuzz.token_set_ratio,
            score_cutoff=cutoff,
            limit=None,
        ):
            number = sharing_two[at]
            scores[number] = max(scores.get(number, 0), _percent(score))
        return {number: score for number, score in scores.items() if score >= name_threshold}

    def screen(self, person: Person, *, name_threshold: int, match_threshold: int) -> list[Match]:
        """Return the entries ``person`` may be, best first.

        A match has a name score of at least ``name_threshold`` and a score of at least
        ``match_threshold``; ties are broken by name score, then by entry id.
        """
        _check_threshold("name_threshold", name_threshold)
        _check_threshold("match_threshold", match_threshold)
        normalised = normalize_name(person.name)
        if not normalised:
            return []
        best: dict[int, tuple[int, _ListName]] = {}
        for number, name_score in self._name_scores(normalised, name_threshold).items():
            for listed in self._listed[number]:
                held = best.get(listed.entry)
                if (
                    held is None
                    or name_score > held[0]
                    or (name_score == held[0] and held[1].is_alias and not listed.is_alias)
                ):
                    best[listed.entry] = (name_score, listed)
        matches = []
        for position, (name_score, listed) in best.items():
            match = _match(person, self.entries[position], name_score, listed)
            if match.score >= match_threshold:
                matches.append(match)
        matches.sort(key=lambda m: (-m.score, -m.name_score, m.entry_id))
        return matches

    def screen_all(
        self,
        persons: Iterable[Person],
        *,
        name_threshold: int,
        match_threshold: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Match]:
        """Screen every person, in order, each one's matches best first.

        ``progress(done, total)`` is called after every 500 persons and once at the end.
        """
        persons = list(persons)
        total = len(persons)
        matches: list[Match] = []
        for done, person in enumerate(persons, start=1):
            matches.extend(
                self.screen(person, name_threshold=name_threshold, match_threshold=match_threshold)
            )
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        return matches


def _check_threshold(label: str, value: int) -> None:
    if not 0 <= value <= 100:
        raise ValueError(f"{label} must be between 0 and 100, not {value}")


def _match(person: Person, entry: ListEntry, name_score: int, listed: _ListName) -> Match:
    """Weigh birth date and countries into the name score, and say why."""
    kind = "alias" if listed.is_alias else "name"
    reasons = [f"name '{person.name}' matches {kind} '{listed.listed_as}' at {name_score}"]
    birth, birth_reason = _birth_weight(person.birth_date, entry)
    reasons.append(birth_reason)
    country = 0
    person_countries = {code.strip().upper() for code in person.countries if code.strip()}
    shared = sorted(person_countries & set(entry.countries))
    if shared:
        country = COUNTRY_SHARED
        reasons.append(f"country {', '.join(shared)} shared")
    elif person_countries and entry.countries:
        reasons.append("no country in common")
    return Match(
        person_key=person.key,
        entry_id=entry.entry_id,
        list_name=entry.list_name,
        matched_name=listed.listed_as,
        name_score=name_score,
        score=min(max(name_score + birth + country, 0), 100),
        reasons=tuple(reasons),
    )


def _birth_weight(born: date | None, entry: ListEntry) -> tuple[int, str]:
    if born is None:
        return 0, "birth date unknown for the person: not weighed"
    if entry.birth_year is None:
        return 0, "birth date not on the list: not weighed"
    if born.year != entry.birth_year:
        return BIRTH_YEAR_DIFFERS, f"birth year differs: {born.year} vs {entry.birth_year}"
    if entry.birth_date is None:
        return BIRTH_YEAR_MATCHES, f"birth year {born.year} matches (the list gives only the year)"
    if born == entry.birth_date:
        return BIRTH_DATE_MATCHES, f"birth date {born.isoformat()} matches"
    return (
        BIRTH_DATE_DIFFERS,
        f"birth date differs in the same year: {born.isoformat()} vs "
        f"{entry.birth_date.isoformat()}",
    )
