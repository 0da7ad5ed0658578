"""Open Cap Format packages: imported whole or not at all, exported valid, and the same cap table
after a round trip."""

import hashlib
import json
import shutil
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.captable.conversion import ConvertibleTerms, RoundTerms
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    Security,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.ocf import OcfImportError
from apps.captable.ocf.exporter import ocf_export
from apps.captable.ocf.importer import ocf_import
from apps.captable.ocf.mapping import vesting_from_ocf
from apps.captable.ocf.schema import (
    SHIPPED_SCHEMAS,
    default_schema_dir,
    pinned_ocf_version,
    validate_file,
    validate_item,
)
from apps.captable.selectors import cap_table, security_outstanding
from apps.captable.services import (
    convertible_issue,
    convertibles_convert,
    options_grant,
    plan_create,
    pool_reserve,
    security_cancel,
    security_exercise,
    security_transfer,
    share_class_split,
    shares_issue,
    stock_convert,
    warrant_issue,
)
from apps.core.money import Money
from apps.ledger.models import Operation
from tests.captable.conftest import D1, D2, D3, REFERENCE_SCHEMAS

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).parent / "ocf_packages"
VALID = PACKAGES / "valid"
ORD, PREF = "Ordinary", "Series A Preferred"
ALICE, BOB, CAROL, DAN, SEED = (
    "Alice Martin",
    "Bob Keller",
    "Carol Diaz",
    "Dan Okafor",
    "Seedcamp Fund II",
)
POOL = "Pool: BSPCE 2024"

# (holder, class): (units, fully diluted units), as the valid package says on each date.
EXPECTED = {
    date(2024, 1, 31): {
        (ALICE, ORD): (1_000_000, 1_000_000),
        (BOB, ORD): (200_000, 200_000),
        (POOL, ORD): (0, 100_000),
    },
    date(2024, 6, 30): {
        (ALICE, ORD): (900_000, 900_000),
        (BOB, ORD): (140_000, 140_000),
        (CAROL, ORD): (50_000, 50_000),
        (DAN, ORD): (0, 40_000),
        (SEED, ORD): (0, 10_000),
        (POOL, ORD): (0, 110_000),
    },
    date(2024, 12, 31): {
        (ALICE, ORD): (900_000, 900_000),
        (BOB, ORD): (140_000, 150_000),
        (CAROL, ORD): (54_000, 54_000),
        (DAN, ORD): (5_000, 25_000),
        (POOL, ORD): (0, 115_000),
    },
    date(2025, 2, 28): {
        (ALICE, ORD): (900_000, 900_000),
        (BOB, ORD): (140_000, 150_000),
        (CAROL, ORD): (54_000, 54_000),
        (CAROL, PREF): (62_500, 62_500),
        (DAN, ORD): (5_000, 25_000),
        (SEED, ORD): (100_000, 100_000),
        (SEED, PREF): (400_000, 400_000),
        (POOL, ORD): (0, 115_000),
    },
    date(2025, 4, 30): {
        (ALICE, ORD): (1_800_000, 1_800_000),
        (BOB, ORD): (280_000, 290_000),
        (CAROL, ORD): (110_000, 110_000),
        (CAROL, PREF): (62_500, 62_500),
        (DAN, ORD): (12_000, 30_000),
        (SEED, ORD): (200_000, 200_000),
        (SEED, PREF): (400_000, 400_000),
        (POOL, ORD): (0, 115_000),
    },
}


def positions(issuer: Issuer, on: date) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {
        (row.holder, row.share_class): (row.units, row.fully_diluted_units)
        for row in cap_table(issuer, as_of=on).rows
    }


def expected_positions(on: date) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {key: (Decimal(units), Decimal(fd)) for key, (units, fd) in EXPECTED[on].items()}


def rows(issuer: Issuer, on: date) -> list[tuple]:
    return [
        (
            r.holder,
            r.share_class,
            r.units,
            r.fully_diluted_units,
            r.percent,
            r.percent_fully_diluted,
        )
        for r in cap_table(issuer, as_of=on).rows
    ]


def counts() -> dict[str, int]:
    return {
        "issuers": Issuer.objects.count(),
        "classes": ShareClass.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
        "securities": Security.objects.count(),
        "movements": Movement.objects.count(),
        "operations": Operation.objects.count(),
    }


def movement_dates(issuer: Issuer) -> list[date]:
    return sorted(
        set(Movement.objects.filter(issuer=issuer).values_list("effective_date", flat=True))
    )


def schema_errors(paths: list[Path]) -> list[str]:
    """Validate each file's envelope, then each of its items, against the schemas."""
    errors = []
    for path in paths:
        data = json.loads(path.read_text())
        errors += [f"{path.name}: {error}" for error in validate_file(data)]
        for item in data.get("items", []):
            errors += [f"{path.name}: {error}" for error in validate_item(item)]
    return errors


def md5s_renewed(package: Path) -> Path:
    """Give each file the manifest lists the md5 of its bytes, as a tool writing it would."""
    manifest_path = package / "Manifest.ocf.json"
    manifest = json.loads(manifest_path.read_text())
    for key, entries in manifest.items():
        if key.endswith("_files"):
            for entry in entries:
                content = (package / entry["filepath"]).read_bytes()
                entry["md5"] = hashlib.md5(content, usedforsecurity=False).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    return package


def rename(package: Path, legal_name: str) -> None:
    manifest_path = package / "Manifest.ocf.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["issuer"]["legal_name"] = legal_name
    manifest["issuer"].pop("dba", None)
    manifest_path.write_text(json.dumps(manifest))


def edited(tmp_path: Path, edit) -> Path:
    """Copy the valid package and apply ``edit`` to its transactions."""
    target = tmp_path / "edited"
    shutil.copytree(VALID, target)
    path = target / "Transactions.ocf.json"
    data = json.loads(path.read_text())
    edit(data["items"])
    path.write_text(json.dumps(data))
    return target


@pytest.fixture
def imported(people) -> Issuer:
    return ocf_import(path=VALID, **people)


# --- import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("on", sorted(EXPECTED))
def test_the_valid_package_gives_the_expected_cap_table(imported, on):
    assert positions(imported, on) == expected_positions(on)


def test_an_import_is_one_executed_import_operation_made_and_approved_by_two_people(
    imported, people
):
    operation = Operation.objects.get()

    assert operation.kind == "import"
    assert operation.state == "executed"
    assert operation.created_by == people["by"]
    assert operation.approved_by == people["approved_by"]
    assert set(Movement.objects.values_list("operation", flat=True)) == {operation.pk}


def test_movements_carry_the_id_of_the_ocf_transaction_they_record(imported):
    def external_ids(security_id: str) -> list[str]:
        return list(
            Movement.objects.filter(security__security_id=security_id)
            .order_by("pk")
            .values_list("external_id", flat=True)
        )

    assert external_ids("S-ALICE-1") == ["si-alice-1", "sr-alice-1"]
    assert external_ids("S-CAROL-1") == ["st-bob-1", "split-ord-1"]
    assert external_ids("S-BOB-2") == ["st-bob-1", "sc-bob-1"]
    plan_movements = Movement.objects.filter(plan__isnull=False).order_by("effective_date")
    assert list(plan_movements.values_list("external_id", "quantity")) == [
        ("plan-bspce", Decimal(100_000)),
        ("pa-bspce-1", Decimal(50_000)),
    ]


def test_every_object_keeps_its_ocf_id_and_every_security_its_security_id(imported):
    assert imported.ocf_id == "issuer-lumen"
    assert set(ShareClass.objects.values_list("ocf_id", flat=True)) == {
        "class-ordinary",
        "class-series-a",
    }
    assert Stakeholder.objects.get(name=SEED).ocf_id == "sh-seed"
    assert EquityPlan.objects.get().ocf_id == "plan-bspce"
    assert VestingTerms.objects.get().ocf_id == "vest-4y-1y"
    assert {"S-ALICE-2", "O-DAN-3", "W-CAROL-1", "C-CAROL-1", "S-SEED-A2"} <= set(
        Security.objects.values_list("security_id", flat=True)
    )


def test_the_issuer_takes_its_name_form_country_and_currency_from_the_package(imported):
    assert imported.name == imported.legal_name == "Lumen Robotics SAS"
    assert (imported.legal_form, imported.country, imported.currency) == ("SAS", "FR", "EUR")
    assert imported.formation_date == date(2023, 11, 2)


def test_stock_classes_keep_their_rights(imported):
    ordinary = ShareClass.objects.get(name=ORD)
    preferred = ShareClass.objects.get(name=PREF)

    assert (ordinary.class_type, ordinary.seniority, ordinary.price_per_unit_minor) == (
        "common",
        1,
        1,
    )
    assert ordinary.authorised_units == Decimal(10_000_000)  # 5,000,000 split 2 for 1
    assert preferred.class_type == "preferred"
    assert preferred.authorised_units is None  # UNLIMITED
    assert preferred.seniority == 2
    assert preferred.liquidation_preference_multiple == Decimal(1)
    assert preferred.participating is True
    assert preferred.participation_cap_multiple == Decimal(3)
    assert preferred.conversion_ratio == Decimal(1)
    assert preferred.price_per_unit_minor == 200


def test_stakeholders_keep_their_type_and_first_relationship(imported):
    found = {s.name: (s.kind, s.role) for s in Stakeholder.objects.filter(issuer=imported)}

    assert found == {
        ALICE: ("individual", "founder"),
        BOB: ("individual", "employee"),
        CAROL: ("individual", "investor"),
        DAN: ("individual", "employee"),  # from the deprecated current_relationship
        SEED: ("institution", "investor"),
    }


def test_a_monthly_schedule_with_a_cliff_becomes_cliff_duration_and_frequency(imported):
    terms = VestingTerms.objects.get()

    assert (terms.cliff_months, terms.duration_months, terms.frequency_months) == (12, 48, 1)


def test_options_keep_their_vesting_start_and_price_through_transfers(imported):
    grant = Security.objects.get(security_id="O-DAN-1")
    balance = Security.objects.get(security_id="O-DAN-2")

    assert grant.vesting_start_date == date(2024, 1, 1)  # TX_VESTING_START, before the grant
    assert balance.vesting_start_date == date(2024, 1, 1)
    assert (balance.exercise_price_minor, balance.plan.name) == (50, "BSPCE 2024")
    assert balance.vesting_terms.ocf_id == "vest-4y-1y"


def test_convertibles_keep_their_conversion_terms(imported):
    safe = Security.objects.get(security_id="C-CAROL-1")
    note = Security.objects.get(security_id="C-SEED-1")

    assert safe.convertible_type == "safe"
    assert ConvertibleTerms.from_json(safe.terms) == ConvertibleTerms(
        kind="safe",
        principal=Money(10_000_000, "EUR"),
        valuation_cap=Money(500_000_000, "EUR"),
        discount=Fraction(1, 5),
        post_money=True,
        issue_date=date(2024, 3, 15),
    )
    assert note.convertible_type == "note"
    assert ConvertibleTerms.from_json(note.terms) == ConvertibleTerms(
        kind="note",
        principal=Money(5_000_000, "EUR"),
        valuation_cap=Money(400_000_000, "EUR"),
        post_money=False,
        interest_rate=Fraction(8, 100),
        compounding="simple",
        issue_date=date(2024, 3, 20),
    )


def test_the_rest_of_a_partial_exercise_stays_under_the_option_id(imported):
    remainder = Security.objects.get(security_id="O-DAN-2-B1")
    outstanding = security_outstanding(imported, as_of=date(2024, 8, 10))

    assert outstanding["O-DAN-2-B1"] == Decimal(25_000)
    assert "O-DAN-2" not in outstanding
    # The later cancellation names O-DAN-2 and so takes from what remained.
    assert Movement.objects.get(security=remainder, quantity__lt=0).external_id == "ecc-dan-1"


def test_on_a_split_date_issuances_come_before_the_split(imported):
    outstanding = security_outstanding(imported, as_of=date(2025, 3, 1))

    assert outstanding["S-CAROL-4"] == Decimal(2_000)  # issued 1,000 on the split's date


def test_a_zipped_package_imports_like_its_folder(people, tmp_path):
    archive = tmp_path / "lumen.ocf.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in VALID.iterdir():
            zipped.write(path, f"lumen/{path.name}")

    issuer = ocf_import(path=archive, **people)

    assert positions(issuer, date(2025, 4, 30)) == expected_positions(date(2025, 4, 30))


# --- refusals ----------------------------------------------------------------------------------


def test_a_schema_violation_is_refused_naming_each_file_and_item_and_writes_nothing(people):
    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=PACKAGES / "schema_violation", **people)

    assert refused.value.errors == [
        "Stakeholders.ocf.json: item 'sh-nameless' (STAKEHOLDER) at $: "
        "'stakeholder_type' is a required property",
        "Transactions.ocf.json: item 'si-broken' (TX_STOCK_ISSUANCE) at $: "
        "'custom_id' is a required property",
        "Transactions.ocf.json: item 'si-broken' (TX_STOCK_ISSUANCE) at $.quantity: "
        "200000 is not of type 'string'",
    ]
    assert counts() == before


def test_a_transaction_naming_an_unknown_stakeholder_is_refused_and_writes_nothing(people):
    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=PACKAGES / "unknown_stakeholder", **people)

    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_ISSUANCE 'si-ghost': names unknown stakeholder 'sh-ghost'"
    ]
    assert counts() == before


def test_unsupported_transaction_types_are_refused_with_their_ids_and_write_nothing(people):
    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=PACKAGES / "unsupported_type", **people)

    assert refused.value.errors == [
        "TX_STOCK_ACCEPTANCE is not supported; its items: Transactions.ocf.json: 'sa-alice-1'",
        "TX_STOCK_REISSUANCE is not supported; its items: Transactions.ocf.json: 'sri-alice-1'",
    ]
    assert "cannot record" in str(refused.value)
    assert counts() == before


def test_a_transaction_naming_an_unknown_security_is_refused(people, tmp_path):
    def edit(items):
        next(i for i in items if i["id"] == "sc-bob-1")["security_id"] = "S-NOBODY"

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=edited(tmp_path, edit), **people)

    assert (
        "Transactions.ocf.json: TX_STOCK_CANCELLATION 'sc-bob-1': names unknown security "
        "'S-NOBODY'" in refused.value.errors
    )


def test_every_unknown_reference_is_reported_at_once(people, tmp_path):
    def edit(items):
        by_id = {item["id"]: item for item in items}
        by_id["si-alice-1"]["stock_class_id"] = "class-x"
        by_id["ec-dan-1"]["stock_plan_id"] = "plan-x"
        by_id["ec-dan-1"]["vesting_terms_id"] = "vest-x"

    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=edited(tmp_path, edit), **people)

    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_ISSUANCE 'si-alice-1': names unknown stock class "
        "'class-x'",
        "Transactions.ocf.json: TX_EQUITY_COMPENSATION_ISSUANCE 'ec-dan-1': names unknown stock "
        "plan 'plan-x'",
        "Transactions.ocf.json: TX_EQUITY_COMPENSATION_ISSUANCE 'ec-dan-1': names unknown vesting "
        "terms 'vest-x'",
    ]
    assert counts() == before


def test_resulting_securities_must_add_up_to_what_is_transferred(people, tmp_path):
    def edit(items):
        next(item for item in items if item["id"] == "st-bob-1")["quantity"] = "50001"

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=edited(tmp_path, edit), **people)

    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_TRANSFER 'st-bob-1': the resulting securities do not "
        "add up to what is transferred"
    ]


def test_a_balance_must_hold_what_remains(people, tmp_path):
    def edit(items):
        next(item for item in items if item["id"] == "si-bob-2")["quantity"] = "149999"

    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=edited(tmp_path, edit), **people)

    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_TRANSFER 'st-bob-1' (on 2024-05-01): balance security "
        "'S-BOB-2' is issued for 149999, but 150000 remain"
    ]
    assert counts() == before


def test_a_transaction_the_books_refuse_rolls_the_whole_import_back(people, tmp_path):
    def edit(items):
        next(i for i in items if i["id"] == "sc-bob-1")["quantity"] = "150001"

    before = counts()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=edited(tmp_path, edit), **people)

    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_CANCELLATION 'sc-bob-1' (on 2024-06-01): security "
        "S-BOB-2 holds 150000 units; 150001 cannot be taken"
    ]
    assert counts() == before


def test_an_issuer_already_here_is_refused(imported, people):
    before = counts()

    with pytest.raises(OcfImportError, match="an issuer named 'Lumen Robotics SAS' already"):
        ocf_import(path=VALID, **people)

    assert counts() == before


def test_a_folder_without_a_manifest_is_refused(people, tmp_path):
    with pytest.raises(OcfImportError, match="no OCF manifest"):
        ocf_import(path=tmp_path, **people)


# --- export and round trip ---------------------------------------------------------------------


def test_the_export_is_valid_file_by_file_and_item_by_item(imported, tmp_path):
    written = ocf_export(issuer=imported, outdir=tmp_path / "out")

    assert [path.name for path in written] == [
        "Manifest.ocf.json",
        "StockClasses.ocf.json",
        "Stakeholders.ocf.json",
        "StockPlans.ocf.json",
        "VestingTerms.ocf.json",
        "Transactions.ocf.json",
    ]
    assert schema_errors(written) == []


def test_the_exported_manifest_declares_the_version_the_schemas_pin_and_each_md5(
    imported, tmp_path
):
    written = ocf_export(issuer=imported, outdir=tmp_path)
    manifest = json.loads(written[0].read_text())

    assert manifest["ocf_version"] == pinned_ocf_version() == "1.2.1-alpha+main"
    listed = {
        entry["filepath"]: entry["md5"]
        for key, entries in manifest.items()
        if key.endswith("_files")
        for entry in entries
    }
    assert listed == {
        f"./{path.name}": hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        for path in written[1:]
    }


def test_an_exported_package_imports_back_to_the_same_cap_table_on_every_date(
    imported, people, tmp_path
):
    ocf_export(issuer=imported, outdir=tmp_path / "out")
    rename(tmp_path / "out", "Lumen Robotics Copy SAS")

    copy = ocf_import(path=tmp_path / "out", **people)

    dates = movement_dates(imported)
    assert len(dates) > 20
    assert movement_dates(copy) == dates
    for on in dates:
        assert rows(copy, on) == rows(imported, on), on


def test_an_exported_transaction_keeps_its_ocf_id(imported, tmp_path):
    ocf_export(issuer=imported, outdir=tmp_path)
    items = json.loads((tmp_path / "Transactions.ocf.json").read_text())["items"]
    by_id = {item["id"]: item for item in items}

    assert by_id["st-bob-1"] == {
        "id": "st-bob-1",
        "object_type": "TX_STOCK_TRANSFER",
        "date": "2024-05-01",
        "security_id": "S-BOB-1",
        "quantity": "50000",
        "resulting_security_ids": ["S-CAROL-1"],
        "balance_security_id": "S-BOB-2",
    }
    assert by_id["split-ord-1"]["split_ratio"] == {"numerator": "2", "denominator": "1"}
    assert by_id["ece-dan-2"]["security_id"] == "O-DAN-3"


def test_changes_recorded_here_survive_an_export_and_an_import(
    issuer, common, preferred, alice, bob, people, tmp_path
):
    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=people["by"])
    pool_reserve(plan=plan, quantity=50_000, effective_date=D1, **people)
    founder = shares_issue(
        share_class=common, stakeholder=alice, quantity=100_000, effective_date=D1, **people
    )
    grant = options_grant(
        plan=plan,
        stakeholder=bob,
        quantity=10_000,
        exercise_price_minor=50,
        effective_date=D1,
        **people,
    )
    bsa_air = convertible_issue(
        issuer=issuer,
        stakeholder=alice,
        convertible_type="bsa_air",
        terms=ConvertibleTerms(
            kind="bsa_air",
            principal=Money(5_000_000, "EUR"),
            valuation_cap=Money(100_000_000, "EUR"),
            discount=Fraction(1, 5),
        ),
        effective_date=D1,
        **people,
    )
    warrant = warrant_issue(
        share_class=common,
        stakeholder=bob,
        quantity=3_000,
        exercise_price_minor=100,
        effective_date=D1,
        **people,
    )
    security_transfer(security=founder, to=bob, quantity=30_000, effective_date=D2, **people)
    security_exercise(security=grant, quantity=4_000, effective_date=D2, **people)
    series_a = shares_issue(
        share_class=preferred, stakeholder=bob, quantity=1_000, effective_date=D2, **people
    )
    security_cancel(security=warrant, quantity=1_000, effective_date=D2, **people)
    stock_convert(security=series_a, to_class=common, effective_date=D3, **people)
    share_class_split(share_class=common, ratio=Fraction(3, 2), effective_date=D3, **people)
    convertibles_convert(
        securities=[bsa_air],
        into=preferred,
        round_terms=RoundTerms(
            price_per_share=Fraction(2),
            pre_money_fully_diluted_shares=200_000,
            conversion_date=D3,
            currency="EUR",
        ),
        effective_date=D3,
        **people,
    )
    pool_reserve(plan=plan, quantity=-5_000, effective_date=D3, **people)

    written = ocf_export(issuer=issuer, outdir=tmp_path)
    rename(tmp_path, "Lumen Robotics Copy SAS")
    copy = ocf_import(path=tmp_path, **people)

    assert schema_errors(written) == []
    for on in movement_dates(issuer):
        assert rows(copy, on) == rows(issuer, on), on


def test_a_bsa_air_is_written_as_a_pre_money_safe(issuer, alice, people, tmp_path):
    convertible_issue(
        issuer=issuer,
        stakeholder=alice,
        convertible_type="bsa_air",
        terms=ConvertibleTerms(
            kind="bsa_air",
            principal=Money(5_000_000, "EUR"),
            valuation_cap=Money(100_000_000, "EUR"),
        ),
        effective_date=D1,
        security_id="BSA-1",
        **people,
    )

    ocf_export(issuer=issuer, outdir=tmp_path)
    items = json.loads((tmp_path / "Transactions.ocf.json").read_text())["items"]
    (issuance,) = items
    right = issuance["conversion_triggers"][0]["conversion_right"]

    assert issuance["convertible_type"] == "SAFE"
    assert right["conversion_mechanism"] == {
        "type": "SAFE_CONVERSION",
        "conversion_mfn": False,
        "conversion_timing": "PRE_MONEY",
        "conversion_valuation_cap": {"amount": "1000000.00", "currency": "EUR"},
    }
    assert "comments" not in issuance


# --- schemas -----------------------------------------------------------------------------------


def test_an_item_error_names_the_item_and_the_failing_path():
    item = json.loads((VALID / "Transactions.ocf.json").read_text())["items"][0]
    item["share_price"] = {"amount": "1.5", "currency": "eur"}

    assert validate_item(item) == [
        "item 'si-alice-1' (TX_STOCK_ISSUANCE) at $.share_price.currency: "
        "'eur' does not match '^[A-Z]{3}$'"
    ]


def test_an_unknown_file_or_object_type_is_an_error():
    assert validate_file({"file_type": "OCF_RECIPES_FILE"}) == [
        "unknown file_type 'OCF_RECIPES_FILE'"
    ]
    assert validate_item({"id": "x", "object_type": "TX_GIFT"}) == [
        "item 'x': unknown object_type 'TX_GIFT'"
    ]


def stricter_schemas(tmp_path: Path) -> Path:
    """Copy the schemas, making a stakeholder's ``issuer_assigned_id`` required."""
    copy = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), copy)
    path = copy / "objects" / "Stakeholder.schema.json"
    schema = json.loads(path.read_text())
    schema["required"].append("issuer_assigned_id")
    path.write_text(json.dumps(schema))
    return copy


STAKEHOLDER = {
    "id": "sh-x",
    "object_type": "STAKEHOLDER",
    "name": {"legal_name": "X"},
    "stakeholder_type": "INDIVIDUAL",
}
REQUIRED_ID = "item 'sh-x' (STAKEHOLDER) at $: 'issuer_assigned_id' is a required property"


def test_the_schema_folder_can_be_given(tmp_path):
    assert validate_item(STAKEHOLDER) == []
    assert validate_item(STAKEHOLDER, folder=stricter_schemas(tmp_path)) == [REQUIRED_ID]


def test_the_schema_folder_can_be_set_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OCF_SCHEMA_DIR", str(stricter_schemas(tmp_path)))

    assert validate_item(STAKEHOLDER) == [REQUIRED_ID]


def test_a_schema_folder_without_schemas_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("OCF_SCHEMA_DIR", str(tmp_path / "missing"))

    with pytest.raises(FileNotFoundError, match="no OCF schema"):
        validate_item(STAKEHOLDER)


# --- vesting terms -----------------------------------------------------------------------------


def condition(cid: str, trigger: dict, following: list[str], **portion) -> dict:
    return {
        "id": cid,
        "trigger": trigger,
        "next_condition_ids": following,
        **(portion or {"quantity": "0"}),
    }


def relative(months: int, occurrences: int, after: str, unit: str = "MONTHS") -> dict:
    period = {"type": unit, "length": months, "occurrences": occurrences}
    if unit == "MONTHS":
        period["day_of_month"] = "01"
    return {
        "type": "VESTING_SCHEDULE_RELATIVE",
        "period": period,
        "relative_to_condition_id": after,
    }


def test_a_cliff_condition_followed_by_quarterly_vesting_is_read_as_such():
    terms = {
        "vesting_conditions": [
            condition("start", {"type": "VESTING_START_DATE"}, ["cliff"]),
            condition("cliff", relative(12, 1, "start"), ["quarterly"]),
            condition("quarterly", relative(3, 12, "cliff"), []),
        ]
    }

    assert vesting_from_ocf(terms) == {
        "cliff_months": 12,
        "duration_months": 48,
        "frequency_months": 3,
    }


def test_periods_in_days_count_in_whole_months():
    terms = {
        "vesting_conditions": [
            condition("start", {"type": "VESTING_START_DATE"}, ["daily"]),
            condition("daily", relative(365, 4, "start", unit="DAYS"), []),
        ]
    }

    assert vesting_from_ocf(terms) == {
        "cliff_months": 0,
        "duration_months": 48,
        "frequency_months": 12,
    }


def test_a_schedule_on_events_only_keeps_the_nearest_time_based_terms():
    terms = {
        "vesting_conditions": [
            condition("ipo", {"type": "VESTING_EVENT"}, []),
        ]
    }

    assert vesting_from_ocf(terms) == {
        "cliff_months": 0,
        "duration_months": 1,
        "frequency_months": 1,
    }


# --- efficiency --------------------------------------------------------------------------------


def chained_transfers(folder: Path, transfers: int) -> Path:
    """Write a package where Alice transfers 100 shares to Bob ``transfers`` times."""
    shutil.copytree(PACKAGES / "unknown_stakeholder", folder)
    path = folder / "Transactions.ocf.json"
    issuance = json.loads(path.read_text())["items"][0]
    items, source, held = [issuance], issuance["security_id"], 1_000_000
    for number in range(1, transfers + 1):
        on = (date(2024, 2, 1) + timedelta(days=number)).isoformat()
        result, balance = f"T{number}-R", f"T{number}-B"
        held -= 100
        items.append(
            {
                "id": f"st-{number}",
                "object_type": "TX_STOCK_TRANSFER",
                "date": on,
                "security_id": source,
                "quantity": "100",
                "resulting_security_ids": [result],
                "balance_security_id": balance,
            }
        )
        for security_id, owner, quantity in [(result, "sh-bob", 100), (balance, "sh-alice", held)]:
            items.append(
                {
                    **issuance,
                    "id": f"si-{security_id}",
                    "date": on,
                    "security_id": security_id,
                    "custom_id": security_id,
                    "stakeholder_id": owner,
                    "quantity": str(quantity),
                }
            )
        source = balance
    path.write_text(json.dumps({"file_type": "OCF_TRANSACTIONS_FILE", "items": items}))
    return md5s_renewed(folder)


def test_the_queries_of_an_import_do_not_grow_with_its_transactions(people, tmp_path):
    ocf_import(path=chained_transfers(tmp_path / "warm-up", 1), **people)  # caches filled
    bulk = ('INSERT INTO "captable_security"', 'INSERT INTO "captable_movement"')
    others, inserts = [], []
    for size in (4, 40):
        package = chained_transfers(tmp_path / f"chain-{size}", size)
        rename(package, f"Chain {size} SAS")
        with CaptureQueriesContext(connection) as captured:
            ocf_import(path=package, **people)
        sql = [query["sql"] for query in captured.captured_queries]
        others.append(len([query for query in sql if not query.startswith(bulk)]))
        inserts.append(len([query for query in sql if query.startswith(bulk)]))

    assert others[0] == others[1]
    assert inserts[1] <= 6  # 81 securities and 121 movements, written in batches


# --- commands ----------------------------------------------------------------------------------


def test_the_import_command_prints_the_issuer_and_what_it_wrote(people):
    out = StringIO()

    call_command(
        "import_ocf",
        str(VALID),
        by=people["by"].email,
        approved_by=people["approved_by"].email,
        stdout=out,
    )

    printed = out.getvalue()
    assert "transactions checked: 25 of 25" in printed
    assert "Imported Lumen Robotics SAS" in printed
    assert "stakeholders: 5" in printed
    assert f"movements: {Movement.objects.count()}" in printed


def test_the_import_command_fails_with_the_package_problems(people):
    before = counts()

    with pytest.raises(CommandError, match="names unknown stakeholder 'sh-ghost'"):
        call_command(
            "import_ocf",
            str(PACKAGES / "unknown_stakeholder"),
            by=people["by"].email,
            approved_by=people["approved_by"].email,
        )

    assert counts() == before


def test_the_import_command_refuses_an_unknown_user(people):
    with pytest.raises(CommandError, match="--approved-by: no user with the e-mail"):
        call_command(
            "import_ocf", str(VALID), by=people["by"].email, approved_by="nobody@example.com"
        )


def test_the_import_command_refuses_one_person_making_and_approving(people):
    before = counts()

    with pytest.raises(CommandError, match="cannot approve it"):
        call_command(
            "import_ocf", str(VALID), by=people["by"].email, approved_by=people["by"].email
        )

    assert counts() == before


def test_the_export_command_writes_a_valid_package(imported, tmp_path):
    out = StringIO()

    call_command("export_ocf", imported.name, str(tmp_path / "pkg"), stdout=out)

    written = sorted((tmp_path / "pkg").iterdir())
    assert len(written) == 6
    assert schema_errors(written) == []
    assert "Wrote 6 OCF files" in out.getvalue()


def test_the_export_command_refuses_an_unknown_issuer(tmp_path):
    with pytest.raises(CommandError, match="no issuer with the id or exact name 'Nope'"):
        call_command("export_ocf", "Nope", str(tmp_path))


@pytest.mark.skipif(not REFERENCE_SCHEMAS.is_dir(), reason="no reference copy of the schemas here")
def test_the_shipped_schemas_are_an_unchanged_copy_of_the_reference():
    shipped = {
        path.relative_to(SHIPPED_SCHEMAS): path.read_bytes()
        for path in SHIPPED_SCHEMAS.rglob("*")
        if path.is_file()
    }
    reference = {
        path.relative_to(REFERENCE_SCHEMAS): path.read_bytes()
        for path in REFERENCE_SCHEMAS.rglob("*")
        if path.is_file()
    }

    assert shipped == reference
