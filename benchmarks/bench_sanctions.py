"""Sanctions screening: 10,000 persons against 10,000 list entries and their aliases.

The list and the persons are synthetic and deterministic. Names are built from syllables into
pools of given names and surnames, a few of them much more common than the rest, as on real
lists; a third of the entries have aliases (spelling variants, "SURNAME, Given", another given
name). Three hundred persons are planted as near-variants of entries (a changed letter, a
transliteration variant, words reordered, a title added, a middle name left out, a first letter
added); every other person is drawn from the same pools, so that blocking meets the crowds of
namesakes and near misses that common names bring, and some persons are namesakes of entries.
"""

import random
import time
from datetime import date, timedelta

from rapidfuzz import fuzz, process

from apps.compliance.sanctions import (
    ListEntry,
    Person,
    SanctionsIndex,
    normalize_name,
)
from benchmarks.timing import Measure, best_of

ENTRIES = 10_000
PERSONS = 10_000
PLANTED = 300
NAME_THRESHOLD = 80
MATCH_THRESHOLD = 85

ONSETS = ["b", "d", "g", "k", "l", "m", "n", "r", "s", "t", "v", "z", "p", "f", "h", "y"]
ONSETS += ["sh", "kh", "ch", "zh", "ts", "dr", "st", "gr", "br", "tr"]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "a", "ei", "ia"]
CODAS = ["", "", "", "", "", "", "n", "r", "l", "s", "m", "d"]
SUFFIXES = ["ov", "ova", "enko", "ski", "ska", "ez", "i", "ani", "yan", "ovic", "son", "ev"]
COUNTRIES = ["RU", "UA", "BY", "KZ", "IR", "IQ", "SY", "LB", "YE", "AF", "AE", "TR", "RS"]
COUNTRIES += ["VE", "CU", "KP", "CN", "MM", "GB", "DE", "FR", "CY"]
LISTS = ["EU", "UN", "OFAC", "UK"]
# As on real lists, a few given names and surnames are much more common than the rest.
GIVEN_NAMES = 400
SURNAMES = 5_000
# Letter swaps that transliterations and typists make.
VARIANTS = [
    ("v", "w"),
    ("i", "y"),
    ("kh", "h"),
    ("ou", "u"),
    ("ei", "ey"),
    ("ks", "x"),
    ("s", "ss"),
    ("e", "a"),
]


def _syllables(rng: random.Random, low: int, high: int) -> str:
    return "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
        for _ in range(rng.randint(low, high))
    )


class _Names:
    """Pools of given names and surnames, drawn from as common names are."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.given = [_syllables(rng, 1, 3).capitalize() for _ in range(GIVEN_NAMES)]
        self.surnames = [
            (_syllables(rng, 1, 3) + rng.choice(SUFFIXES)).capitalize() for _ in range(SURNAMES)
        ]
        # The commonest given name is on about one entry in 40, the commonest surname one in 230.
        self.given_weights = [1 / (rank + 10) for rank in range(1, GIVEN_NAMES + 1)]
        self.surname_weights = [1 / (rank + 50) for rank in range(1, SURNAMES + 1)]

    def given_name(self) -> str:
        return self.rng.choices(self.given, self.given_weights)[0]

    def full_name(self) -> str:
        words = [self.given_name()]
        if self.rng.random() < 0.3:
            words.append(self.given_name())
        words.append(self.rng.choices(self.surnames, self.surname_weights)[0])
        return " ".join(words)


def _variant(rng: random.Random, name: str) -> str:
    """Return a near-variant of ``name``, as a list or an investor record might spell it."""
    words = name.split()
    kind = rng.randrange(6)
    if kind == 0:
        swaps = [(a, b) for a, b in VARIANTS if a in name.lower()]
        if swaps:
            old, new = rng.choice(swaps)
            if old in name:
                return name.replace(old, new, 1)
            return name.lower().replace(old, new, 1).title()
    if kind == 1:
        return f"{words[-1].upper()}, {' '.join(words[:-1])}"
    if kind == 2:
        return "Dr. " + name
    if kind == 3 and len(words) > 2:
        return f"{words[0]} {words[-1]}"
    if kind == 4:
        word = rng.randrange(len(words))
        letters = list(words[word])
        at = rng.randrange(1, len(letters))
        letters[at] = rng.choice("aeiourstnl")
        words[word] = "".join(letters)
        return " ".join(words)
    return name.replace(words[0], rng.choice(VOWELS).capitalize() + words[0].lower(), 1)


def _birth(rng: random.Random) -> date:
    return date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 60))


def synthetic_entries(rng: random.Random, names: _Names) -> list[ListEntry]:
    entries = []
    for number in range(ENTRIES):
        name = names.full_name()
        aliases = []
        if rng.random() < 0.35:
            aliases = [_variant(rng, name) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                aliases.append(f"{names.given_name()} {name.split()[-1]}")
        dice = rng.random()
        born = _birth(rng) if dice < 0.6 else None
        year = born.year if born else (_birth(rng).year if dice < 0.85 else None)
        entries.append(
            ListEntry(
                entry_id=f"S-{number:05d}",
                name=name,
                aliases=tuple(dict.fromkeys(a for a in aliases if a != name)),
                birth_date=born,
                birth_year=year,
                countries=tuple(sorted(set(rng.sample(COUNTRIES, rng.randint(1, 2))))),
                list_name=rng.choice(LISTS),
                listed_on=date(2010, 1, 1) + timedelta(days=rng.randrange(5000)),
            )
        )
    return entries


def synthetic_persons(
    rng: random.Random, names: _Names, entries: list[ListEntry]
) -> tuple[list[Person], dict[str, str]]:
    """Return the persons, and the entry each planted person was drawn from."""
    planted_at = set(rng.sample(range(PERSONS), PLANTED))
    persons = []
    planted = {}
    for number in range(PERSONS):
        key = f"i:{number}"
        if number in planted_at:
            source = rng.choice(entries)
            born = source.birth_date if rng.random() < 0.5 else None
            persons.append(
                Person(
                    key=key,
                    name=_variant(rng, source.name),
                    birth_date=born,
                    countries=source.countries[:1],
                )
            )
            planted[key] = source.entry_id
        else:
            persons.append(
                Person(
                    key=key,
                    name=names.full_name(),
                    birth_date=_birth(rng) if rng.random() < 0.9 else None,
                    countries=(rng.choice(COUNTRIES),),
                )
            )
    return persons, planted


def run() -> list[Measure]:
    rng = random.Random(2026)
    pools = _Names(rng)
    entries = synthetic_entries(rng, pools)
    persons, planted = synthetic_persons(rng, pools, entries)
    names = [name for e in entries for name in (e.name, *e.aliases)]

    index = SanctionsIndex(entries)
    start = time.perf_counter()
    matches = index.screen_all(
        persons, name_threshold=NAME_THRESHOLD, match_threshold=MATCH_THRESHOLD
    )
    once = time.perf_counter() - start
    found = {(m.person_key, m.entry_id) for m in matches}
    recalled = sum((key, entry_id) in found for key, entry_id in planted.items())
    stray = {m.person_key for m in matches} - set(planted)
    namesakes = {m.person_key for m in matches if m.name_score == 100} & stray
    print(
        f"  {len(names):,} list names, thresholds name {NAME_THRESHOLD} / match "
        f"{MATCH_THRESHOLD}: {len(matches):,} matches; planted variants found "
        f"{recalled}/{PLANTED}; other persons matched {len(stray):,}, of whom "
        f"{len(namesakes):,} namesakes at 100; one pass {once:.2f}s"
    )
    assert recalled >= PLANTED * 9 // 10

    # The floor of screening: rapidfuzz alone on the very pairs the index scores (candidates
    # found beforehand), with neither normalisation, blocking, nor the weighing of matches.
    queries = []
    for who in persons:
        normalised = normalize_name(who.name)
        candidates = index.candidate_names(who.name)
        words = set(normalised.split())
        # The index compares word sets only where two words at least are in common.
        several = [name for name in candidates if len(words & set(name.split())) >= 2]
        queries.append((normalised, candidates, several))
    pairs = sum(len(candidates) + len(several) for _, candidates, several in queries)

    def floor_pass() -> None:
        for normalised, candidates, several in queries:
            process.extract(
                normalised,
                candidates,
                scorer=fuzz.ratio,
                score_cutoff=NAME_THRESHOLD - 1,
                limit=None,
            )
            process.extract(
                normalised,
                several,
                scorer=fuzz.token_set_ratio,
                score_cutoff=NAME_THRESHOLD - 1,
                limit=None,
            )

    def screen_pass() -> None:
        index.screen_all(persons, name_threshold=NAME_THRESHOLD, match_threshold=MATCH_THRESHOLD)

    seconds = best_of(screen_pass, repeat=3)
    build = best_of(lambda: SanctionsIndex(entries), repeat=3)
    normalise = best_of(lambda: [normalize_name(name) for name in names], repeat=3)
    return [
        Measure(
            name=f"build the index of {ENTRIES:,} entries ({len(names):,} names)",
            seconds=build,
            floor_name="normalize_name on every list name",
            floor_seconds=normalise,
        ),
        Measure(
            name=(
                f"screen_all {PERSONS:,} persons: {seconds:.2f}s, "
                f"{PERSONS / seconds:,.0f} persons/s, {len(matches) / seconds:,.0f} matches/s"
            ),
            seconds=seconds,
            floor_name=f"rapidfuzz alone on the {pairs:,} blocked pairs",
            floor_seconds=best_of(floor_pass, repeat=3),
        ),
    ]
