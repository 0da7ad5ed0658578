"""Reading a sanctions list and screening persons against it, with the sample list of data/."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rapidfuzz import fuzz

from apps.accounts.roles import Role
from apps.compliance.models import SanctionsEntry, SanctionsList
from apps.compliance.sanctions import (
    BIRTH_DATE_DIFFERS,
    BIRTH_DATE_MATCHES,
    BIRTH_YEAR_DIFFERS,
    BIRTH_YEAR_MATCHES,
    COUNTRY_SHARED,
    MAX_LENGTHS,
    ListEntry,
    Person,
    SanctionsIndex,
    SanctionsListError,
    normalize_name,
    parse_sanctions_csv,
    sound_key,
)
from apps.compliance.services import sanctions_list_import
from tests.factories import UserFactory

SAMPLE = Path(__file__).parent / "data" / "sanctions_sample.csv"
HEADER = "entry_id,name,aliases,birth_date,countries,list,listed_on\n"
NAME_THRESHOLD = 80
MATCH_THRESHOLD = 85


@pytest.fixture(scope="module")
def sample() -> list[ListEntry]:
    return parse_sanctions_csv(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index(sample: list[ListEntry]) -> SanctionsIndex:
    return SanctionsIndex(sample)


def entry(entry_id: str, name: str, *aliases: str, **fields: object) -> ListEntry:
    birth_date = fields.get("birth_date")
    values = {
        "birth_date": birth_date,
        "birth_year": birth_date.year if isinstance(birth_date, date) else None,
        "countries": (),
        "list_name": "EU",
        "listed_on": None,
        **fields,
    }
    return ListEntry(entry_id=entry_id, name=name, aliases=aliases, **values)


def person(name: str, *, born: date | None = None, countries: tuple[str, ...] = ()) -> Person:
    return Person(key="investor:1", name=name, birth_date=born, countries=countries)


def screen(index: SanctionsIndex, who: Person, *, name_threshold=NAME_THRESHOLD, match=0):
    return index.screen(who, name_threshold=name_threshold, match_threshold=match)


def errors_of(csv_text: str | bytes) -> list[str]:
    with pytest.raises(SanctionsListError) as raised:
        parse_sanctions_csv(csv_text)
    return raised.value.errors


# --- reading a list ---------------------------------------------------------------------------


def test_sample_list_is_read_whole(sample):
    assert len(sample) == 30
    assert len({e.entry_id for e in sample}) == 30
    assert {e.list_name for e in sample} == {"EU", "UN", "OFAC", "UK"}


def test_entry_is_read_with_its_aliases_dates_and_countries(sample):
    ivanov = next(e for e in sample if e.entry_id == "EU-1001")

    assert ivanov == ListEntry(
        entry_id="EU-1001",
        name="Sergei Ivanov",
        aliases=("Сергей Иванов", "Sergey Ivanov"),
        birth_date=date(1970, 3, 4),
        birth_year=1970,
        countries=("RU",),
        list_name="EU",
        listed_on=date(2022, 3, 15),
    )


def test_year_only_birth_date_gives_the_year_and_no_date(sample):
    rashidi = next(e for e in sample if e.entry_id == "UN-2001")

    assert (rashidi.birth_date, rashidi.birth_year) == (None, 1965)
    assert rashidi.countries == ("SY", "LB")


def test_empty_optional_fields_are_read_as_nothing(sample):
    company = next(e for e in sample if e.entry_id == "UN-2004")
    olena = next(e for e in sample if e.entry_id == "UK-4007")

    assert (company.aliases, company.birth_date, company.birth_year) == ((), None, None)
    assert olena.listed_on is None


def test_byte_order_mark_and_blank_lines_are_accepted():
    text = "\ufeff" + HEADER + "\nX-1,Jane Roe,,,,UN,\n\n"

    assert [e.entry_id for e in parse_sanctions_csv(text)] == ["X-1"]


def test_missing_column_is_reported_on_the_header_line():
    text = "entry_id,name,aliases,birth_date,list,listed_on\nX-1,Jane Roe,,,UN,\n"

    assert errors_of(text) == ["line 1: missing column 'countries'"]


def test_empty_name_is_reported_with_its_line():
    assert errors_of(HEADER + "X-1,Jane Roe,,,,UN,\nX-2, ,,,,UN,\n") == ["line 3, name: empty"]


def test_name_of_punctuation_only_is_reported():
    assert errors_of(HEADER + "X-1,Dr. -,,,,UN,\n") == [
        "line 2, name: 'Dr. -' has no letter left to compare"
    ]


def test_bad_birth_date_is_reported_with_its_line():
    assert errors_of(HEADER + "X-1,Jane Roe,,1970-02-30,,UN,\n") == [
        "line 2, birth_date: '1970-02-30' is not a date (YYYY-MM-DD or YYYY)"
    ]


def test_bad_listing_date_is_reported_with_its_line():
    assert errors_of(HEADER + "X-1,Jane Roe,,,,UN,15/03/2022\n") == [
        "line 2, listed_on: '15/03/2022' is not a date (YYYY-MM-DD)"
    ]


def test_bad_country_code_is_reported_with_its_line():
    assert errors_of(HEADER + "X-1,Jane Roe,,,FR|XX|FRA,UN,\n") == [
        "line 2, countries: 'XX' is not an ISO 3166 alpha-2 code",
        "line 2, countries: 'FRA' is not an ISO 3166 alpha-2 code",
    ]


def test_duplicate_entry_id_names_the_first_line():
    text = HEADER + "X-1,Jane Roe,,,,UN,\nX-2,John Roe,,,,UN,\nX-1,Jim Roe,,,,UN,\n"

    assert errors_of(text) == ["line 4, entry_id: 'X-1' already on line 2"]


def test_row_with_a_wrong_number_of_fields_is_reported():
    assert errors_of(HEADER + "X-1,Jane Roe,,,UN,\n") == ["line 2: 6 fields where the header has 7"]


def test_every_error_of_the_list_is_reported_at_once():
    text = (
        HEADER
        + "X-1,,,1970-13-01,,UN,\n"
        + "X-2,Jane Roe,,,ZZ,UN,\n"
        + "X-3,John Roe,,,,,\n"
        + 'X-4,"Multi\nline",,,,UN,\n'
        + "X-4,Jim Roe,,19700,,UN,\n"
    )

    assert errors_of(text) == [
        "line 2, name: empty",
        "line 2, birth_date: '1970-13-01' is not a date (YYYY-MM-DD or YYYY)",
        "line 3, countries: 'ZZ' is not an ISO 3166 alpha-2 code",
        "line 4, list: empty",
        "line 7, entry_id: 'X-4' already on line 5",
        "line 7, birth_date: '19700' is not a date (YYYY-MM-DD or YYYY)",
    ]


def test_list_error_is_a_value_error_carrying_its_errors():
    error = SanctionsListError(["line 2, name: empty"])

    assert isinstance(error, ValueError)
    assert str(error) == "line 2, name: empty"


# --- hostile files: refused naming the line (and field), never a traceback --------------------

LONG = "x" * (csv.field_size_limit() + 1)


def test_a_nul_character_is_refused_naming_its_line():
    text = HEADER + "X-1,Jane Roe,,,,UN,\nX-2,John\x00Roe,,,,UN,\n"

    assert errors_of(text) == [
        "line 3: holds a NUL character (U+0000): a list is UTF-8 text (not UTF-16)"
    ]


def test_a_file_saved_as_utf_16_is_refused_as_not_utf_8():
    data = (HEADER + "X-1,Jane Roe,,,,UN,\n").encode("utf-16")

    assert errors_of(data)[0] == (
        "line 1: not UTF-8 (byte 0xFF at byte 1 of the line): save the list as UTF-8"
    )


def test_a_file_that_is_not_utf_8_is_refused_naming_each_line_and_byte():
    data = (HEADER + "X-1,Jane Roe,,,,UN,\nX-2,José Roe,,,,UN,\nX-3,Zoë Roe,,,,UN,\n").encode(
        "latin-1"
    )

    assert errors_of(data) == [
        "line 3: not UTF-8 (byte 0xE9 at byte 8 of the line): save the list as UTF-8",
        "line 4: not UTF-8 (byte 0xEB at byte 7 of the line): save the list as UTF-8",
    ]


def test_a_file_that_is_not_utf_8_reports_its_first_lines_and_counts_the_rest():
    data = (HEADER + "X-1,José Roe,,,,UN,\n" * 25).encode("latin-1")

    errors = errors_of(data)

    assert len(errors) == 21
    assert errors[-1] == "and 5 more lines that are not UTF-8"


def test_the_bytes_of_a_utf_8_file_are_read_with_or_without_a_byte_order_mark():
    data = (HEADER + "X-1,José Roe,,,,UN,\n").encode("utf-8")

    assert [e.name for e in parse_sanctions_csv(data)] == ["José Roe"]
    assert [e.name for e in parse_sanctions_csv(b"\xef\xbb\xbf" + data)] == ["José Roe"]


def test_a_field_beyond_the_csv_limit_is_refused_naming_its_line_and_field_and_later_lines_read():
    text = HEADER + f"X-1,Jane Roe,{LONG},,,UN,\nX-2,,,,,UN,\n"

    assert errors_of(text) == [
        f"line 2, aliases: longer than {csv.field_size_limit():,} characters",
        "line 3, name: empty",
    ]


def test_a_quoted_field_beyond_the_csv_limit_over_several_lines_names_its_first_line():
    text = HEADER + f'X-1,"Jane\n{LONG}",,,,UN,\n'

    assert errors_of(text)[0] == (
        f"line 2, name: longer than {csv.field_size_limit():,} characters"
    )


def test_a_header_beyond_the_csv_limit_is_refused_on_line_1():
    assert errors_of(f"{LONG},{HEADER}") == [
        f"line 1, field 1: longer than {csv.field_size_limit():,} characters"
    ]


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\x07", "U+0007 BELL"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ],
)
def test_a_control_character_in_a_field_is_refused_naming_line_field_and_character(char, named):
    text = HEADER + f"X-1,Jane Roe,,,,UN,\nX-2,Jo{char}hn Roe,,,,UN,\n"

    assert errors_of(text) == [
        f"line 3, name: holds the invisible control character {named} at character 3"
    ]


def test_a_field_longer_than_its_column_is_refused_naming_the_limit():
    text = HEADER + f"X-1,{'J' * 301},,,,UN,\n{'X' * 101},Jane Roe,,,,{'E' * 61},\n"

    assert errors_of(text) == [
        "line 2, name: 301 characters, at most 300",
        "line 3, entry_id: 101 characters, at most 100",
        "line 3, list: 61 characters, at most 60",
    ]


def test_the_lengths_checked_are_those_of_the_entry_columns():
    from apps.compliance.models import SanctionsEntry

    columns = {"entry_id": "entry_id", "name": "name", "list": "list_name"}
    assert {
        field: SanctionsEntry._meta.get_field(column).max_length
        for field, column in columns.items()
    } == MAX_LENGTHS


@pytest.fixture
def officer(db):
    return UserFactory(is_staff=True, roles=[Role.COMPLIANCE])


def _nothing_imported() -> bool:
    return not SanctionsList.objects.exists() and not SanctionsEntry.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param((HEADER + "X-1,Jane\x00Roe,,,,UN,\n").encode(), id="NUL"),
        pytest.param((HEADER + f"X-1,Jane Roe,{LONG},,,UN,\n").encode(), id="field too long"),
        pytest.param((HEADER + "X-1,José Roe,,,,UN,\n").encode("latin-1"), id="not UTF-8"),
        pytest.param((HEADER + "X-1,Jane\u202eRoe,,,,UN,\n").encode(), id="bidi override"),
    ],
)
def test_an_import_of_a_hostile_file_is_refused_and_writes_nothing(officer, data):
    with pytest.raises(SanctionsListError):
        sanctions_list_import(name="Consolidated", csv_text=data, by=officer)

    assert _nothing_imported()


def test_an_import_named_with_a_control_character_is_refused_and_writes_nothing(officer):
    with pytest.raises(ValidationError) as refused:
        sanctions_list_import(
            name="EU\u202econsolidated", csv_text=HEADER + "X-1,Jane Roe,,,,UN,\n", by=officer
        )

    assert list(refused.value.message_dict) == ["name"]
    assert _nothing_imported()


def test_the_command_imports_a_file_in_the_name_of_the_person_given(officer, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_bytes((HEADER + "X-1,José Roe,,,,EU,\n").encode())
    out = io.StringIO()

    call_command("sanctions_import", path, name="EU", by=officer.email.upper(), stdout=out)

    imported = SanctionsList.objects.get()
    assert (imported.imported_by, imported.source_name, imported.entry_count) == (
        officer,
        "eu.csv",
        1,
    )
    assert "Imported 1 entries" in out.getvalue()


def test_the_command_refuses_a_file_that_is_not_utf_8_with_each_line_and_writes_nothing(
    officer, tmp_path
):
    path = tmp_path / "eu.csv"
    path.write_bytes((HEADER + "X-1,José Roe,,,,EU,\nX-2,Jane\x00Roe,,,,EU,\n").encode("latin-1"))

    with pytest.raises(CommandError) as refused:
        call_command("sanctions_import", path, name="EU", by=officer.email)

    assert str(refused.value).splitlines() == [
        f"{path} is refused, nothing was imported:",
        "line 2: not UTF-8 (byte 0xE9 at byte 8 of the line): save the list as UTF-8",
    ]
    assert _nothing_imported()


def test_the_command_refuses_an_unknown_person_and_a_missing_file(officer, tmp_path):
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        call_command("sanctions_import", tmp_path / "eu.csv", name="EU", by="nobody@example.com")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("sanctions_import", tmp_path / "eu.csv", name="EU", by=officer.email)

    assert _nothing_imported()


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Сергей Иванов", "sergey ivanov"),
        ("محمد الراشدي", "lrshdy mhmd"),
        ("Ελένη Παπαδοπούλου", "eleni papadopoulou"),
        ("Carlos Eduardo Rincón", "eduardo carlos rincon"),
        ("José Müller", "jose mueller"),
        ("Gunnar Östberg", "gunnar oestberg"),
        ("Dr. Sergei IVANOV", "sergei ivanov"),
        ("Mrs Anna-Maria O'Neil", "maria anna oneil"),
        ("IVANOV, Sergei", "sergei ivanov"),
        ("  Sergei   Ivanov  ", "sergei ivanov"),
        ("Mohammed Al-Rashidi", "mohammed rashidi"),
        ("Hasan Umar al-Faruqi", "hasan umar faruqi"),
        ("Dr.", ""),
    ],
)
def test_name_is_normalised(written, normalised):
    assert normalize_name(written) == normalised


def test_word_order_does_not_change_the_normalised_name():
    assert normalize_name("Ivanov Sergei") == normalize_name("Sergei Ivanov")


@pytest.mark.parametrize(
    ("one", "other", "surname"),
    [
        ("Yulia Scherbakova", "Julia Scherbakova", "scherbakova"),
        ("Elena Gritsenko", "Helena Gritsenko", "gritsenko"),
        ("Omar Haddad", "Umar Haddad", "haddad"),
    ],
)
def test_first_letter_variant_leaves_the_words_in_their_order(one, other, surname):
    assert normalize_name(one).split().index(surname) == normalize_name(other).split().index(
        surname
    )


@pytest.mark.parametrize(
    "spellings",
    [
        ("sergei", "sergey", "serguei"),
        ("mohammed", "muhammad", "mohamed", "mukhammad", "mhmd"),
        ("ivanov", "iwanow", "ivanoff"),
        ("aleksandr", "alexandr"),
        ("shcherbakova", "scherbakova"),
    ],
)
def test_transliteration_variants_share_a_sound_key(spellings):
    assert len({sound_key(spelling) for spelling in spellings}) == 1


def test_different_names_have_different_sound_keys():
    assert sound_key("ivanov") != sound_key("petrenko")


# --- screening --------------------------------------------------------------------------------


def test_cyrillic_name_matches_its_latin_listing():
    latin_only = SanctionsIndex([entry("E-1", "Sergei Ivanov")])

    [match] = screen(latin_only, person("Сергей Иванов"))

    assert (match.entry_id, match.name_score, match.score) == ("E-1", 92, 92)
    assert match.reasons[0] == "name 'Сергей Иванов' matches name 'Sergei Ivanov' at 92"


def test_reordered_name_with_comma_matches_fully(index):
    [match] = screen(index, person("IVANOV, Sergei"))

    assert (match.entry_id, match.matched_name, match.name_score) == (
        "EU-1001",
        "Sergei Ivanov",
        100,
    )


def test_accented_name_matches_its_plain_listing(index):
    [match] = screen(index, person("José Müller"))

    assert (match.entry_id, match.matched_name, match.name_score) == (
        "OFAC-3001",
        "Jose Mueller",
        100,
    )


def test_umlaut_written_as_a_plain_vowel_still_matches_above_the_threshold(index):
    [match] = screen(index, person("Jose Muller"))

    assert match.entry_id == "OFAC-3001"
    assert NAME_THRESHOLD <= match.name_score < 100


def test_alias_match_names_the_alias(index):
    [match] = screen(index, person("Abu Karim"))

    assert (match.entry_id, match.matched_name) == ("UN-2001", "Abu Karim")
    assert match.reasons[0] == "name 'Abu Karim' matches alias 'Abu Karim' at 100"


def test_latin_variant_of_an_alias_matches_the_alias(index):
    [match] = screen(index, person("Alexandr Volkonski"))

    assert (match.entry_id, match.matched_name) == ("EU-1005", "Alexander Wolkonski")


def test_arabic_name_matches_its_arabic_alias(index):
    [match] = screen(index, person("محمد الراشدي"))

    assert (match.entry_id, match.name_score) == ("UN-2001", 100)


def test_transliteration_variant_of_an_arabic_name_matches(index):
    [match] = screen(index, person("Muhammad Rashidi"))

    assert match.entry_id == "UN-2001"
    assert match.name_score >= NAME_THRESHOLD


def test_missing_middle_name_still_matches():
    listed = SanctionsIndex([entry("E-1", "Hassan Omar Farouki")])

    [match] = screen(listed, person("Hassan Farouki"))

    assert match.name_score == 100


def test_first_letter_variant_of_a_given_name_matches(index):
    [match] = screen(index, person("Helena Gritsenko"))

    assert (match.entry_id, match.matched_name, match.name_score) == (
        "UK-4007",
        "Elena Gritsenko",
        97,
    )


def test_one_word_in_common_does_not_carry_the_score():
    listed = SanctionsIndex([entry("E-1", "Abdelrahman Omar Haddad")])
    who = person("Abdelrahman Ali")

    [match] = screen(listed, who, name_threshold=0)

    assert fuzz.token_set_ratio(normalize_name(who.name), "abdelrahman haddad omar") > 80
    assert match.name_score == 68


def test_lone_surname_does_not_match_a_full_name(index):
    assert screen(index, person("Ivanov")) == []


def test_primary_name_is_named_over_an_alias_of_the_same_score():
    listed = SanctionsIndex([entry("E-1", "Jane Roe", "ROE, Jane")])

    [match] = screen(listed, person("Jane Roe"))

    assert match.matched_name == "Jane Roe"


def test_same_birth_date_raises_the_score():
    listed = SanctionsIndex([entry("E-1", "Sergei Ivanov", birth_date=date(1970, 3, 4))])

    [match] = screen(listed, person("Serhiy Ivanov", born=date(1970, 3, 4)))

    assert match.score == match.name_score + BIRTH_DATE_MATCHES
    assert "birth date 1970-03-04 matches" in match.reasons


def test_score_never_exceeds_100(index):
    [match] = screen(index, person("Sergei Ivanov", born=date(1970, 3, 4), countries=("RU",)))

    assert (match.name_score, match.score) == (100, 100)


def test_same_birth_year_raises_the_score_when_the_list_gives_only_the_year():
    listed = SanctionsIndex([entry("E-1", "Sergei Ivanov", birth_year=1965)])

    [match] = screen(listed, person("Sergey Ivanov", born=date(1965, 6, 1)))

    assert match.score == match.name_score + BIRTH_YEAR_MATCHES
    assert "birth year 1965 matches (the list gives only the year)" in match.reasons


def test_different_birth_year_lowers_the_score_clearly(index):
    [match] = screen(index, person("Sergei Ivanov", born=date(1971, 3, 4)))

    assert match.score == 100 + BIRTH_YEAR_DIFFERS
    assert "birth year differs: 1971 vs 1970" in match.reasons


def test_different_date_in_the_same_year_lowers_the_score(index):
    [match] = screen(index, person("Sergei Ivanov", born=date(1970, 4, 3)))

    assert match.score == 100 + BIRTH_DATE_DIFFERS
    assert "birth date differs in the same year: 1970-04-03 vs 1970-03-04" in match.reasons


def test_unknown_birth_date_on_either_side_is_neutral():
    listed = SanctionsIndex([entry("E-1", "Jane Roe")])

    [unknown_on_list] = screen(listed, person("Jane Roe", born=date(1980, 1, 1)))
    [unknown_for_person] = screen(listed, person("Jane Roe"))

    assert unknown_on_list.score == unknown_for_person.score == 100
    assert "birth date not on the list: not weighed" in unknown_on_list.reasons
    assert "birth date unknown for the person: not weighed" in unknown_for_person.reasons


def test_shared_country_raises_the_score_a_little():
    listed = SanctionsIndex([entry("E-1", "Sergei Ivanov", countries=("RU", "CY"))])

    [alone] = screen(listed, person("Sergey Ivanov"))
    [shared] = screen(listed, person("Sergey Ivanov", countries=("cy",)))
    [other] = screen(listed, person("Sergey Ivanov", countries=("FR",)))

    assert shared.score == alone.score + COUNTRY_SHARED
    assert "country CY shared" in shared.reasons
    assert other.score == alone.score
    assert "no country in common" in other.reasons


def test_clearly_different_person_is_not_matched(index):
    assert screen(index, person("Hans Gruber", born=date(1970, 3, 4), countries=("RU",))) == []


def test_name_threshold_is_respected():
    listed = SanctionsIndex([entry("E-1", "Sergei Ivanov")])
    who = person("Сергей Иванов")  # 92

    assert [m.name_score for m in screen(listed, who, name_threshold=92)] == [92]
    assert screen(listed, who, name_threshold=93) == []


def test_match_threshold_is_respected(index):
    who = person("Sergei Ivanov", born=date(1971, 3, 4))  # 100 - 25

    assert [m.score for m in screen(index, who, match=75)] == [75]
    assert screen(index, who, match=76) == []


def test_name_below_its_threshold_is_not_lifted_by_birth_date():
    listed = SanctionsIndex([entry("E-1", "Sergei Ivanov", birth_date=date(1970, 3, 4))])
    who = person("Сергей Иванов", born=date(1970, 3, 4))  # 92 + 10

    assert screen(listed, who, name_threshold=93) == []


def test_thresholds_out_of_range_are_refused(index):
    with pytest.raises(ValueError, match="match_threshold"):
        index.screen(person("Jane Roe"), name_threshold=80, match_threshold=101)


def test_matches_come_best_first():
    listed = SanctionsIndex(
        [
            entry("E-1", "Sergei Ivanov", birth_date=date(1960, 1, 1)),
            entry("E-2", "Sergei Ivanov"),
            entry("E-3", "Sergey Ivanov", birth_date=date(1970, 3, 4)),
            entry("E-4", "Sergey Ivanov"),
        ]
    )

    matches = screen(listed, person("Sergei Ivanov", born=date(1970, 3, 4)), name_threshold=0)

    assert [(m.entry_id, m.score) for m in matches] == [
        ("E-2", 100),
        ("E-3", 100),
        ("E-4", 92),
        ("E-1", 75),
    ]


def test_match_names_the_person_entry_and_list(index):
    who = Person(key="owner:7", name="Olena Hrytsenko", birth_date=None, countries=())

    [match] = screen(index, who)

    assert (match.person_key, match.entry_id, match.list_name) == ("owner:7", "UK-4007", "UK")


def test_name_with_nothing_to_compare_matches_nothing(index):
    assert screen(index, person("Mr."), name_threshold=0) == []


def test_transliteration_variants_are_candidates(index):
    candidates = index.candidate_names("Mukhammad Rashidi")

    assert "mohammed rashidi" in candidates
    assert "hasan umar faruqi" not in candidates


def test_screen_all_screens_every_person_in_order(index):
    persons = [
        Person(key="a", name="Hans Gruber", birth_date=None, countries=()),
        Person(key="b", name="Olena Hrytsenko", birth_date=None, countries=()),
        Person(key="c", name="IVANOV, Sergei", birth_date=None, countries=()),
    ]

    matches = index.screen_all(
        persons, name_threshold=NAME_THRESHOLD, match_threshold=MATCH_THRESHOLD
    )

    assert [(m.person_key, m.entry_id) for m in matches] == [("b", "UK-4007"), ("c", "EU-1001")]


def test_screen_all_reports_progress_every_500_persons_and_at_the_end(index):
    calls = []
    persons = [person(f"Person {n}") for n in range(1_200)]

    index.screen_all(
        persons,
        name_threshold=NAME_THRESHOLD,
        match_threshold=MATCH_THRESHOLD,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
