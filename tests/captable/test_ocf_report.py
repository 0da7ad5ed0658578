"""The dry run of an OCF import and its report; warnings refused until accepted, then kept on the
import operation's history; errors refused with nothing written; the command's --dry-run."""

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.services import system_user
from apps.captable.models import Issuer, Movement, Security, Stakeholder
from apps.captable.ocf import OcfImportError, OcfWarningsNotAccepted
from apps.captable.ocf.importer import ocf_dry_run, ocf_import, ocf_import_warnings_accepted
from apps.captable.ocf.report import OcfReport
from apps.captable.selectors import CapTableRow, cap_table
from apps.core.exceptions import PermissionRefused
from apps.ledger.models import Operation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).parent / "ocf_packages"
VALID = PACKAGES / "valid"
AS_OF = date(2025, 4, 30)
COUNTS = {
    "ISSUER": 1,
    "STAKEHOLDER": 5,
    "STOCK_CLASS": 2,
    "STOCK_PLAN": 1,
    "TX_CONVERTIBLE_CANCELLATION": 1,
    "TX_CONVERTIBLE_CONVERSION": 1,
    "TX_CONVERTIBLE_ISSUANCE": 3,
    "TX_CONVERTIBLE_TRANSFER": 1,
    "TX_EQUITY_COMPENSATION_CANCELLATION": 1,
    "TX_EQUITY_COMPENSATION_EXERCISE": 2,
    "TX_EQUITY_COMPENSATION_ISSUANCE": 4,
    "TX_EQUITY_COMPENSATION_TRANSFER": 1,
    "TX_STOCK_CANCELLATION": 1,
    "TX_STOCK_CLASS_SPLIT": 1,
    "TX_STOCK_CONVERSION": 1,
    "TX_STOCK_ISSUANCE": 14,
    "TX_STOCK_PLAN_POOL_ADJUSTMENT": 1,
    "TX_STOCK_REPURCHASE": 1,
    "TX_STOCK_TRANSFER": 1,
    "TX_VESTING_START": 1,
    "TX_WARRANT_CANCELLATION": 1,
    "TX_WARRANT_EXERCISE": 1,
    "TX_WARRANT_ISSUANCE": 3,
    "TX_WARRANT_TRANSFER": 1,
    "VESTING_TERMS": 1,
}
# The cap table of the valid package on its date, as test_ocf.EXPECTED gives it.
HOLDINGS = {
    ("Alice Martin", "Ordinary"): (1_800_000, 1_800_000),
    ("Bob Keller", "Ordinary"): (280_000, 290_000),
    ("Carol Diaz", "Ordinary"): (110_000, 110_000),
    ("Carol Diaz", "Series A Preferred"): (62_500, 62_500),
    ("Dan Okafor", "Ordinary"): (12_000, 30_000),
    ("Seedcamp Fund II", "Ordinary"): (200_000, 200_000),
    ("Seedcamp Fund II", "Series A Preferred"): (400_000, 400_000),
    ("Pool: BSPCE 2024", "Ordinary"): (0, 115_000),
}


def rows_written() -> dict[str, int]:
    return {
        "issuers": Issuer.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
        "securities": Security.objects.count(),
        "movements": Movement.objects.count(),
        "operations": Operation.objects.count(),
    }


def table(rows: list[CapTableRow]) -> list[tuple]:
    return [
        (
            r.holder,
            r.share_class,
            r.units,
            r.fully_diluted_units,
            r.percent,
            r.percent_fully_diluted,
        )
        for r in rows
    ]


def md5s_renewed(package: Path) -> Path:
    manifest_path = package / "Manifest.ocf.json"
    manifest = json.loads(manifest_path.read_text())
    for key, entries in manifest.items():
        if key.endswith("_files"):
            for entry in entries:
                content = (package / entry["filepath"]).read_bytes()
                entry["md5"] = hashlib.md5(content, usedforsecurity=False).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    return package


def edited(
    tmp_path: Path, file: str, edit: Callable[[list[dict]], None], *, renew_md5: bool = True
) -> Path:
    """Copy the valid package and apply ``edit`` to the items of ``file``."""
    package = shutil.copytree(VALID, tmp_path / "package")
    path = package / file
    data = json.loads(path.read_text())
    edit(data["items"])
    path.write_text(json.dumps(data))
    return md5s_renewed(package) if renew_md5 else package


def item(items: list[dict], item_id: str) -> dict:
    return next(found for found in items if found["id"] == item_id)


def manifest_set(package: Path, **fields) -> Path:
    path = package / "Manifest.ocf.json"
    manifest = json.loads(path.read_text())
    manifest.update(fields)
    path.write_text(json.dumps(manifest))
    return package


# --- the four kinds of warning -----------------------------------------------------------------


def stale_md5(tmp_path: Path) -> Path:
    def edit(items: list[dict]) -> None:
        item(items, "sh-dan")["name"]["first_name"] = "Dan"

    return edited(tmp_path, "Stakeholders.ocf.json", edit, renew_md5=False)


def resulting_security_absent(tmp_path: Path) -> Path:
    def edit(items: list[dict]) -> None:
        item(items, "ece-dan-1")["resulting_security_ids"] = ["S-DAN-1", "S-GHOST"]

    return edited(tmp_path, "Transactions.ocf.json", edit)


def unknown_field(tmp_path: Path) -> Path:
    def edit(items: list[dict]) -> None:
        item(items, "sh-carol")["nickname"] = "CD"

    return edited(tmp_path, "Stakeholders.ocf.json", edit)


def newer_minor(tmp_path: Path) -> Path:
    return manifest_set(shutil.copytree(VALID, tmp_path / "package"), ocf_version="1.4.2")


WARNINGS = {
    stale_md5: (
        "Stakeholders.ocf.json: its bytes have md5 {md5}, but Manifest.ocf.json "
        "(stakeholders_files) gives 260ebe4a9f47787e53a0c9a7a6547437: the file changed after "
        "the manifest was written, or the manifest is stale"
    ),
    resulting_security_absent: (
        "Transactions.ocf.json: TX_EQUITY_COMPENSATION_EXERCISE 'ece-dan-1': names resulting "
        "security 'S-GHOST', which the package never issues; its other resulting securities "
        "hold all it moves, so it is recorded without it"
    ),
    unknown_field: (
        "Stakeholders.ocf.json: STAKEHOLDER 'sh-carol': field 'nickname' is not part of OCF 1.2 "
        "and nothing here maps it; it was left out"
    ),
    newer_minor: (
        "Manifest.ocf.json: ocf_version '1.4.2' is newer than OCF 1.2, the version read here: "
        "it is read as 1.2, and any field 1.2 does not know is reported"
    ),
}
WARNING_KINDS = pytest.mark.parametrize("package_of", list(WARNINGS), ids=lambda f: f.__name__)


def expected_warning(package_of, package: Path) -> str:
    md5 = hashlib.md5(
        (package / "Stakeholders.ocf.json").read_bytes(), usedforsecurity=False
    ).hexdigest()
    return WARNINGS[package_of].format(md5=md5)


@WARNING_KINDS
def test_each_kind_of_warning_is_reported_by_the_dry_run(people, tmp_path, package_of):
    package = package_of(tmp_path)

    report = ocf_dry_run(path=package, by=people["by"])

    assert report.errors == []
    assert report.warnings == [expected_warning(package_of, package)]
    assert {
        (row.holder, row.share_class): (row.units, row.fully_diluted_units)
        for row in report.cap_table
    } == {key: (Decimal(units), Decimal(fd)) for key, (units, fd) in HOLDINGS.items()}


@WARNING_KINDS
def test_each_kind_of_warning_refuses_the_import_until_accepted(people, tmp_path, package_of):
    package = package_of(tmp_path)
    before = rows_written()

    with pytest.raises(OcfWarningsNotAccepted) as refused:
        ocf_import(path=package, **people)

    assert refused.value.code == "ocf_warnings_not_accepted"
    assert refused.value.errors == [expected_warning(package_of, package)]
    assert refused.value.data["warnings"] == refused.value.errors
    assert rows_written() == before


@WARNING_KINDS
def test_accepted_warnings_are_kept_in_full_on_the_import_operation_s_history(
    people, tmp_path, package_of
):
    package = package_of(tmp_path)

    issuer = ocf_import(path=package, accept_warnings=True, **people)

    operation = Operation.objects.get(kind="import")
    reasons = [
        record.history_change_reason
        for record in operation.history.all()
        if record.history_change_reason
    ]
    expected = f"OCF import with accepted warnings:\n- {expected_warning(package_of, package)}"
    assert reasons == [expected]
    assert operation.history.first().history_change_reason == expected  # its execution
    assert ocf_import_warnings_accepted(issuer) == expected


def test_an_import_without_warnings_keeps_no_reason_on_its_history(people):
    issuer = ocf_import(path=VALID, accept_warnings=True, **people)

    operation = Operation.objects.get(kind="import")
    assert [record.history_change_reason for record in operation.history.all()] == [None] * (
        operation.history.count()
    )
    assert ocf_import_warnings_accepted(issuer) == ""


def test_the_import_without_the_absent_resulting_security_is_otherwise_whole(people, tmp_path):
    issuer = ocf_import(path=resulting_security_absent(tmp_path), accept_warnings=True, **people)

    assert not Security.objects.filter(security_id="S-GHOST").exists()
    assert {
        (row.holder, row.share_class): (row.units, row.fully_diluted_units)
        for row in cap_table(issuer, as_of=AS_OF).rows
    } == {key: (Decimal(units), Decimal(fd)) for key, (units, fd) in HOLDINGS.items()}


def test_a_package_without_transactions_keeps_accepted_warnings_on_its_issuer(people, tmp_path):
    package = shutil.copytree(VALID, tmp_path / "package")
    for name, file_type in [
        ("Transactions.ocf.json", "OCF_TRANSACTIONS_FILE"),
        ("StockPlans.ocf.json", "OCF_STOCK_PLANS_FILE"),
    ]:
        (package / name).write_text(json.dumps({"file_type": file_type, "items": []}))
    manifest_set(md5s_renewed(package), ocf_version="1.3.0")

    issuer = ocf_import(path=package, accept_warnings=True, **people)

    assert Operation.objects.filter(kind="import").count() == 0
    assert issuer.history.first().history_change_reason == (
        "OCF import with accepted warnings:\n- Manifest.ocf.json: ocf_version '1.3.0' is newer "
        "than OCF 1.2, the version read here: it is read as 1.2, and any field 1.2 does not "
        "know is reported"
    )


# --- errors refuse, and the dry run reports them --------------------------------------------


def unknown_major(tmp_path: Path) -> Path:
    return manifest_set(shutil.copytree(VALID, tmp_path / "package"), ocf_version="2.0.0")


def schema_violation(tmp_path: Path) -> Path:
    return shutil.copytree(PACKAGES / "schema_violation", tmp_path / "package")


def transfer_of_more_than_held(tmp_path: Path) -> Path:
    def edit(items: list[dict]) -> None:
        item(items, "st-bob-1")["quantity"] = "250000"
        item(items, "si-carol-1")["quantity"] = "250000"

    return edited(tmp_path, "Transactions.ocf.json", edit)


def resulting_security_needed(tmp_path: Path) -> Path:
    def edit(items: list[dict]) -> None:
        item(items, "ece-dan-1")["resulting_security_ids"] = ["S-GHOST"]

    return edited(tmp_path, "Transactions.ocf.json", edit)


ERRORS = {
    unknown_major: [
        "Manifest.ocf.json: ocf_version '2.0.0' is of another major version: the versions read "
        "here are OCF 1.0, 1.1 and 1.2 (a later 1.x is read as 1.2)"
    ],
    schema_violation: [
        "Stakeholders.ocf.json: item 'sh-nameless' (STAKEHOLDER) at $: "
        "'stakeholder_type' is a required property",
        "Transactions.ocf.json: item 'si-broken' (TX_STOCK_ISSUANCE) at $: "
        "'custom_id' is a required property",
        "Transactions.ocf.json: item 'si-broken' (TX_STOCK_ISSUANCE) at $.quantity: "
        "200000 is not of type 'string'",
    ],
    transfer_of_more_than_held: [
        "Transactions.ocf.json: TX_STOCK_TRANSFER 'st-bob-1' (on 2024-05-01): security S-BOB-1 "
        "holds 200000 units; 250000 cannot be taken"
    ],
    resulting_security_needed: [
        "Transactions.ocf.json: TX_EQUITY_COMPENSATION_EXERCISE 'ece-dan-1': names unknown "
        "resulting security 'S-GHOST'"
    ],
}
ERROR_KINDS = pytest.mark.parametrize("package_of", list(ERRORS), ids=lambda f: f.__name__)


@ERROR_KINDS
def test_each_kind_of_error_refuses_the_import_and_writes_nothing(people, tmp_path, package_of):
    package = package_of(tmp_path)
    before = rows_written()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=package, accept_warnings=True, **people)

    assert not isinstance(refused.value, OcfWarningsNotAccepted)
    assert refused.value.errors == ERRORS[package_of]
    assert rows_written() == before


@ERROR_KINDS
def test_each_kind_of_error_is_reported_by_the_dry_run_with_no_cap_table(
    people, tmp_path, package_of
):
    package = package_of(tmp_path)
    before = rows_written()

    report = ocf_dry_run(path=package, by=people["by"])

    assert report.errors == ERRORS[package_of]
    assert report.cap_table == []
    assert rows_written() == before


def test_errors_are_reported_before_warnings_by_the_import(people, tmp_path):
    def edit(items: list[dict]) -> None:
        item(items, "sc-bob-1")["quantity"] = "150001"

    package = edited(tmp_path, "Transactions.ocf.json", edit, renew_md5=False)

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=package, **people)

    assert not isinstance(refused.value, OcfWarningsNotAccepted)
    assert refused.value.errors == [
        "Transactions.ocf.json: TX_STOCK_CANCELLATION 'sc-bob-1' (on 2024-06-01): security "
        "S-BOB-2 holds 150000 units; 150001 cannot be taken"
    ]


def test_the_dry_run_of_an_unknown_major_still_names_the_issuer_and_version(people, tmp_path):
    report = ocf_dry_run(path=unknown_major(tmp_path), by=people["by"])

    assert (report.issuer_name, report.ocf_version, report.as_of, report.counts) == (
        "Lumen Robotics SAS",
        "2.0.0",
        AS_OF,
        {"ISSUER": 1},
    )


def test_the_dry_run_of_an_invalid_package_reports_what_it_read(people, tmp_path):
    report = ocf_dry_run(path=schema_violation(tmp_path), by=people["by"])

    assert (report.issuer_name, report.ocf_version, report.as_of) == (
        "Lumen Robotics SAS",
        "1.2.1-alpha+main",
        date(2025, 4, 30),
    )
    assert report.counts["STAKEHOLDER"] == 2


def test_a_package_too_large_is_reported_by_the_dry_run(people, settings):
    settings.OCF_IMPORT_MAX_FILE_BYTES = 1024

    report = ocf_dry_run(path=VALID, by=people["by"])

    assert len(report.errors) == 1
    assert report.errors[0].startswith("Manifest.ocf.json: holds ")
    assert report.errors[0].endswith(
        "over the limit of 1,024 bytes per file (OCF_IMPORT_MAX_FILE_BYTES)"
    )


# --- the dry run ------------------------------------------------------------------------------


def test_the_dry_run_writes_nothing_and_its_cap_table_is_the_import_s(people):
    before = rows_written()

    report = ocf_dry_run(path=VALID, by=people["by"])

    assert rows_written() == before
    issuer = ocf_import(path=VALID, **people)
    assert table(report.cap_table) == table(cap_table(issuer, as_of=AS_OF).rows)
    assert len(report.cap_table) == len(HOLDINGS)


def test_the_dry_run_leaves_no_effect_to_run_after_commit(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        ocf_dry_run(path=VALID, by=people["by"])

    assert callbacks == []


def test_the_dry_run_says_its_progress_is_rolled_back(people):
    told: list[tuple[str, int, int]] = []

    ocf_dry_run(path=VALID, by=people["by"], progress=lambda *stage: told.append(stage))

    assert told == [
        ("transactions checked", 25, 25),
        ("reference objects written (dry run, rolled back)", 9, 9),
    ]


def test_the_dry_run_reports_the_package(people):
    report = ocf_dry_run(path=VALID, by=people["by"])

    assert report.issuer_name == "Lumen Robotics SAS"
    assert report.ocf_version == "1.2.1-alpha+main"
    assert report.as_of == AS_OF
    assert report.counts == COUNTS
    assert (report.errors, report.warnings) == ([], [])
    assert {
        (row.holder, row.share_class): (row.units, row.fully_diluted_units)
        for row in report.cap_table
    } == {key: (Decimal(units), Decimal(fd)) for key, (units, fd) in HOLDINGS.items()}
    assert sum(row.percent for row in report.cap_table) == Decimal(100)
    assert {(row.holder_id, row.share_class_id) for row in report.cap_table} == {(None, None)}


def test_without_an_as_of_the_package_s_date_is_its_latest_transaction_s(people, tmp_path):
    package = shutil.copytree(VALID, tmp_path / "package")
    manifest = json.loads((package / "Manifest.ocf.json").read_text())
    del manifest["as_of"]
    (package / "Manifest.ocf.json").write_text(json.dumps(manifest))

    report = ocf_dry_run(path=package, by=people["by"])

    assert report.as_of == date(2025, 4, 1)
    assert report.errors == ["Manifest.ocf.json: at $: 'as_of' is a required property"]


def test_the_system_user_cannot_stand_in_as_checker_for_itself(people):
    before = rows_written()

    report = ocf_dry_run(path=VALID, by=system_user())

    (error,) = report.errors
    assert error.startswith("system@roundtable.invalid made operation ")
    assert error.endswith(" and so cannot approve it: another person must check it")
    assert report.cap_table == []
    assert rows_written() == before


def test_the_dry_run_needs_the_right_to_import(people, tmp_path):
    outsider = UserFactory(is_staff=True, roles=[])

    with pytest.raises(PermissionRefused):
        ocf_dry_run(path=VALID, by=outsider)


# --- the report as data and as text -----------------------------------------------------------


def test_the_report_survives_a_json_round_trip_with_its_numbers_as_strings(people):
    report = ocf_dry_run(path=VALID, by=people["by"])

    stored = json.loads(json.dumps(report.as_json()))

    assert OcfReport.from_json(stored) == report
    first = stored["cap_table"][0]
    assert first == {
        "holder": "Alice Martin",
        "share_class": "Ordinary",
        "units": "1800000",
        "fully_diluted_units": "1800000",
        "percent": str(report.cap_table[0].percent),
        "percent_fully_diluted": str(report.cap_table[0].percent_fully_diluted),
        "holder_id": None,
        "share_class_id": None,
    }
    assert (stored["as_of"], stored["ocf_version"]) == ("2025-04-30", "1.2.1-alpha+main")


REPORT = OcfReport(
    issuer_name="Acme SAS",
    ocf_version="1.1.0",
    as_of=date(2025, 1, 31),
    counts={"TX_STOCK_ISSUANCE": 2, "STAKEHOLDER": 2},
    cap_table=[
        CapTableRow(
            "Ana", "Common", Decimal(750), Decimal(750), Decimal("75.00"), Decimal("60.00")
        ),
        CapTableRow(
            "Pool: ESOP", "Common", Decimal(0), Decimal(250), Decimal("0.00"), Decimal("20.00")
        ),
        CapTableRow(
            "Ben", "Common", Decimal(250), Decimal("250.5"), Decimal("25.00"), Decimal("20.00")
        ),
    ],
    errors=[],
    warnings=["Stakeholders.ocf.json: STAKEHOLDER 'sh-ben': field 'x' is not part of OCF 1.2"],
)


def test_the_report_reads_as_lines_for_a_person():
    assert REPORT.lines() == [
        "Issuer: Acme SAS",
        "OCF version: 1.1.0",
        "As of: 2025-01-31",
        "Objects:",
        "  STAKEHOLDER: 2",
        "  TX_STOCK_ISSUANCE: 2",
        "Cap table as of 2025-01-31:",
        "  Holder      Class   Units  Fully diluted      %  % fully diluted",
        "  Ana         Common    750            750  75.00            60.00",
        "  Pool: ESOP  Common      0            250   0.00            20.00",
        "  Ben         Common    250          250.5  25.00            20.00",
        "Errors: none",
        "Warnings (1):",
        "  - Stakeholders.ocf.json: STAKEHOLDER 'sh-ben': field 'x' is not part of OCF 1.2",
    ]


def test_a_report_with_errors_says_there_is_no_cap_table():
    refused = OcfReport(
        issuer_name="",
        ocf_version="2.0.0",
        as_of=None,
        counts={},
        cap_table=[],
        errors=["Manifest.ocf.json: ocf_version '2.0.0' is of another major version"],
        warnings=[],
    )

    assert refused.lines() == [
        "Issuer: unknown",
        "OCF version: 2.0.0",
        "As of: unknown",
        "Objects:",
        "  none read",
        "Cap table: none, the package has errors",
        "Errors (1):",
        "  - Manifest.ocf.json: ocf_version '2.0.0' is of another major version",
        "Warnings: none",
    ]


# --- the command --------------------------------------------------------------------------------


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command("import_ocf", *args, stdout=out, **options)
    return out.getvalue()


def test_the_dry_run_command_prints_the_report_writes_nothing_and_succeeds(people):
    before = rows_written()

    printed = run(str(VALID), "--dry-run", by=people["by"].email)

    assert rows_written() == before
    report = ocf_dry_run(path=VALID, by=people["by"])
    for line in report.lines():
        assert line in printed
    assert "Issuer: Lumen Robotics SAS" in printed
    assert "Cap table as of 2025-04-30:" in printed
    assert printed.rstrip().endswith("Dry run: nothing was written.")


def test_the_dry_run_command_fails_when_the_package_has_errors(people, tmp_path):
    out = StringIO()
    before = rows_written()

    with pytest.raises(CommandError, match=r"has 1 error\(s\): it cannot be imported"):
        call_command(
            "import_ocf",
            str(transfer_of_more_than_held(tmp_path)),
            "--dry-run",
            by=people["by"].email,
            stdout=out,
        )

    assert "Errors (1):" in out.getvalue()
    assert "security S-BOB-1 holds 200000 units; 250000 cannot be taken" in out.getvalue()
    assert rows_written() == before


def test_the_dry_run_command_succeeds_with_warnings_and_prints_them(people, tmp_path):
    printed = run(str(unknown_field(tmp_path)), "--dry-run", by=people["by"].email)

    assert f"Warnings (1):\n  - {WARNINGS[unknown_field]}\n" in printed


def test_the_import_command_refuses_warnings_and_says_how_to_accept_them(people, tmp_path):
    before = rows_written()

    with pytest.raises(CommandError) as refused:
        run(
            str(unknown_field(tmp_path)),
            by=people["by"].email,
            approved_by=people["approved_by"].email,
        )

    assert WARNINGS[unknown_field] in str(refused.value)
    assert "Rerun with --accept-warnings" in str(refused.value)
    assert rows_written() == before


def test_the_import_command_accepts_warnings_and_prints_them(people, tmp_path):
    printed = run(
        str(unknown_field(tmp_path)),
        "--accept-warnings",
        by=people["by"].email,
        approved_by=people["approved_by"].email,
    )

    assert "Imported Lumen Robotics SAS" in printed
    assert f"OCF import with accepted warnings:\n- {WARNINGS[unknown_field]}" in printed
    assert Issuer.objects.filter(name="Lumen Robotics SAS").exists()


def test_the_import_command_needs_an_approver_unless_it_is_a_dry_run(people):
    with pytest.raises(CommandError, match="--approved-by is required to import"):
        run(str(VALID), by=people["by"].email)

    assert Issuer.objects.count() == 0
