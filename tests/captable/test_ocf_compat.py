"""OCF packages written by other tools in OCF 1.0 and 1.1: upgraded to 1.2 and imported to the
cap table they describe; versions that cannot be read are refused, naming what was found."""

import hashlib
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from apps.captable.models import EquityPlan, Issuer, Movement, Stakeholder, VestingTerms
from apps.captable.ocf import OcfImportError, OcfWarningsNotAccepted
from apps.captable.ocf.compat import (
    OcfVersion,
    item_upgrade,
    manifest_upgrade,
    ocf_version_read,
    schema_version,
)
from apps.captable.ocf.importer import ocf_dry_run, ocf_import
from apps.captable.ocf.schema import pinned_ocf_version, validate_item
from apps.captable.selectors import cap_table
from apps.ledger.models import Operation

pytestmark = pytest.mark.django_db

VALID = Path(__file__).parent / "ocf_packages" / "valid"
V1_0 = OcfVersion(declared="1.0.0", minor=0)
V1_1 = OcfVersion(declared="1.1.0", minor=1)
V1_2 = OcfVersion(declared="1.2.0", minor=2)
FILES = {
    "stakeholders_files": ("Stakeholders.ocf.json", "OCF_STAKEHOLDERS_FILE"),
    "stock_classes_files": ("StockClasses.ocf.json", "OCF_STOCK_CLASSES_FILE"),
    "stock_plans_files": ("StockPlans.ocf.json", "OCF_STOCK_PLANS_FILE"),
    "vesting_terms_files": ("VestingTerms.ocf.json", "OCF_VESTING_TERMS_FILE"),
    "transactions_files": ("Transactions.ocf.json", "OCF_TRANSACTIONS_FILE"),
}


def rows_written() -> dict[str, int]:
    return {
        "issuers": Issuer.objects.count(),
        "movements": Movement.objects.count(),
        "operations": Operation.objects.count(),
    }


def positions(issuer: Issuer, on: date) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {
        (row.holder, row.share_class): (row.units, row.fully_diluted_units)
        for row in cap_table(issuer, as_of=on).rows
    }


def package_written(
    folder: Path, *, version: str, issuer: dict, as_of: str, items: dict[str, list[dict]]
) -> Path:
    """Write a package as another tool would: one file per list, each with its md5."""
    folder.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "ocf_version": version,
        "file_type": "OCF_MANIFEST_FILE",
        "issuer": issuer,
        "as_of": as_of,
        "generated_at": f"{as_of}T18:00:00Z",
        "stock_legend_templates_files": [],
        "valuations_files": [],
    }
    for list_name, (name, file_type) in FILES.items():
        content = json.dumps({"file_type": file_type, "items": items.get(list_name, [])}).encode()
        (folder / name).write_bytes(content)
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        manifest[list_name] = [{"filepath": name, "md5": md5}]
    (folder / "Manifest.ocf.json").write_text(json.dumps(manifest, indent=2))
    return folder


def stakeholder(sid: str, name: str, relationship: str, kind: str = "INDIVIDUAL") -> dict:
    """A stakeholder as 1.0 and 1.1 wrote one: a single ``current_relationship``."""
    return {
        "id": sid,
        "object_type": "STAKEHOLDER",
        "name": {"legal_name": name},
        "stakeholder_type": kind,
        "current_relationship": relationship,
    }


def stock_class(cid: str, name: str, class_type: str, seniority: str, currency: str) -> dict:
    return {
        "id": cid,
        "object_type": "STOCK_CLASS",
        "name": name,
        "class_type": class_type,
        "default_id_prefix": f"{cid.upper()}-",
        "initial_shares_authorized": "10000000",
        "votes_per_share": "1",
        "seniority": seniority,
        "price_per_share": {"amount": "0.01", "currency": currency},
    }


def issuance(tid: str, on: str, security: str, holder: str, cls: str, qty: str, cur: str) -> dict:
    """A stock issuance with the fields 1.0 requires (custom id, exemptions, legends, price)."""
    return {
        "id": tid,
        "object_type": "TX_STOCK_ISSUANCE",
        "date": on,
        "security_id": security,
        "custom_id": security,
        "stakeholder_id": holder,
        "security_law_exemptions": [],
        "stock_class_id": cls,
        "share_price": {"amount": "0.01", "currency": cur},
        "quantity": qty,
        "stock_legend_ids": [],
    }


def option(tid: str, kind: str, on: str, security: str, holder: str, qty: str, grant: str) -> dict:
    """An option from a plan as 1.0 (``TX_PLAN_SECURITY_ISSUANCE``) and 1.1 wrote one: an
    ``OPTION`` with its ``option_grant_type``, and no stock class of its own."""
    return {
        "id": tid,
        "object_type": kind,
        "date": on,
        "security_id": security,
        "custom_id": security,
        "stakeholder_id": holder,
        "security_law_exemptions": [],
        "stock_plan_id": "plan-1",
        "compensation_type": "OPTION",
        "option_grant_type": grant,
        "quantity": qty,
        "exercise_price": {"amount": "0.10", "currency": "USD" if grant == "ISO" else "GBP"},
        "expiration_date": "2032-03-01",
        "termination_exercise_windows": [
            {"reason": "VOLUNTARY_OTHER", "period": 3, "period_type": "MONTHS"}
        ],
    }


FOUR_YEARS_ONE_CLIFF = {
    "id": "vest-4y",
    "object_type": "VESTING_TERMS",
    "name": "Four years, one-year cliff",
    "description": "25% after a year, then monthly for three years",
    "allocation_type": "CUMULATIVE_ROUND_DOWN",
    "vesting_conditions": [
        {
            "id": "start",
            "quantity": "0",
            "trigger": {"type": "VESTING_START_DATE"},
            "next_condition_ids": ["cliff"],
        },
        {
            "id": "cliff",
            "portion": {"numerator": "12", "denominator": "48"},
            "trigger": {
                "type": "VESTING_SCHEDULE_RELATIVE",
                "period": {
                    "type": "MONTHS",
                    "length": 12,
                    "occurrences": 1,
                    "day_of_month": "VESTING_START_DAY_OR_LAST_DAY_OF_MONTH",
                },
                "relative_to_condition_id": "start",
            },
            "next_condition_ids": ["monthly"],
        },
        {
            "id": "monthly",
            "portion": {"numerator": "36", "denominator": "48"},
            "trigger": {
                "type": "VESTING_SCHEDULE_RELATIVE",
                "period": {
                    "type": "MONTHS",
                    "length": 1,
                    "occurrences": 36,
                    "day_of_month": "VESTING_START_DAY_OR_LAST_DAY_OF_MONTH",
                },
                "relative_to_condition_id": "cliff",
            },
            "next_condition_ids": [],
        },
    ],
}


def ocf_1_0_package(folder: Path, **manifest: Any) -> Path:
    """Acme Widgets Inc. in OCF 1.0: a founder transfers shares to an investor, an employee
    exercises part of an ISO granted from a plan whose pool then grows."""
    transactions = [
        issuance("si-ana-1", "2022-01-15", "CS-1", "sh-ana", "common", "800000", "USD"),
        option(
            "ps-ben-1", "TX_PLAN_SECURITY_ISSUANCE", "2022-03-01", "OPT-1", "sh-ben", "40000", "ISO"
        ),
        {
            "id": "st-ana-1",
            "object_type": "TX_STOCK_TRANSFER",
            "date": "2022-06-01",
            "security_id": "CS-1",
            "quantity": "100000",
            "resulting_security_ids": ["CS-2"],
            "balance_security_id": "CS-3",
        },
        issuance("si-cleo-1", "2022-06-01", "CS-2", "sh-cleo", "common", "100000", "USD"),
        issuance("si-ana-2", "2022-06-01", "CS-3", "sh-ana", "common", "700000", "USD"),
        {
            "id": "pse-ben-1",
            "object_type": "TX_PLAN_SECURITY_EXERCISE",
            "date": "2023-03-01",
            "security_id": "OPT-1",
            "quantity": "10000",
            "resulting_security_ids": ["CS-4"],
        },
        issuance("si-ben-1", "2023-03-01", "CS-4", "sh-ben", "common", "10000", "USD"),
        {
            "id": "pa-plan-1",
            "object_type": "TX_STOCK_PLAN_POOL_ADJUSTMENT",
            "date": "2023-04-01",
            "stock_plan_id": "plan-1",
            "board_approval_date": "2023-03-20",
            "shares_reserved": "150000",
        },
    ]
    transactions[1]["vesting_terms_id"] = "vest-4y"
    return package_written(
        folder,
        version=manifest.pop("version", "1.0.0"),
        issuer={
            "id": "issuer-acme",
            "object_type": "ISSUER",
            "legal_name": "Acme Widgets Inc.",
            "formation_date": "2021-11-30",
            "country_of_formation": "US",
            "country_subdivision_of_formation": "DE",
            **manifest.pop("issuer", {}),
        },
        as_of="2023-12-31",
        items={
            "stakeholders_files": [
                stakeholder("sh-ana", "Ana Ortiz", "FOUNDER"),
                stakeholder("sh-ben", "Ben Adler", "EMPLOYEE"),
                stakeholder("sh-cleo", "Cleo Ventures LP", "INVESTOR", kind="INSTITUTION"),
            ],
            "stock_classes_files": [stock_class("common", "Common", "COMMON", "1", "USD")],
            "stock_plans_files": [
                {
                    "id": "plan-1",
                    "object_type": "STOCK_PLAN",
                    "plan_name": "Equity Incentive Plan 2022",
                    "board_approval_date": "2022-02-01",
                    "initial_shares_reserved": "100000",
                    "stock_class_id": "common",
                }
            ],
            "vesting_terms_files": [FOUR_YEARS_ONE_CLIFF],
            "transactions_files": transactions,
        },
    )


def ocf_1_1_package(folder: Path) -> Path:
    """Borealis Labs Ltd in OCF 1.1: an equity compensation issuance (the 1.1 name) partly
    cancelled under its 1.0 name, and a fund's warrant exercised into preference shares."""
    warrant = {
        "id": "wi-fund-1",
        "object_type": "TX_WARRANT_ISSUANCE",
        "date": "2023-03-01",
        "security_id": "W-FUND-1",
        "custom_id": "W-FUND-1",
        "stakeholder_id": "sh-fund",
        "security_law_exemptions": [],
        "quantity": "5000",
        "exercise_price": {"amount": "1.00", "currency": "GBP"},
        "purchase_price": {"amount": "0", "currency": "GBP"},
        "exercise_triggers": [
            {
                "type": "ELECTIVE_AT_WILL",
                "trigger_id": "at-will",
                "conversion_right": {
                    "type": "WARRANT_CONVERSION_RIGHT",
                    "conversion_mechanism": {
                        "type": "FIXED_AMOUNT_CONVERSION",
                        "converts_to_quantity": "5000",
                    },
                    "converts_to_stock_class_id": "pref",
                },
            }
        ],
    }
    remainder = option(
        "ec-eli-2",
        "TX_EQUITY_COMPENSATION_ISSUANCE",
        "2023-09-01",
        "O-ELI-2",
        "sh-eli",
        "15000",
        "NSO",
    )
    transactions = [
        issuance("si-dora-1", "2023-01-10", "S-DORA-1", "sh-dora", "ord", "1000000", "GBP"),
        option(
            "ec-eli-1",
            "TX_EQUITY_COMPENSATION_ISSUANCE",
            "2023-02-01",
            "O-ELI-1",
            "sh-eli",
            "20000",
            "NSO",
        ),
        warrant,
        issuance("si-fund-1", "2023-06-01", "S-FUND-1", "sh-fund", "pref", "250000", "GBP"),
        {
            "id": "pc-eli-1",
            "object_type": "TX_PLAN_SECURITY_CANCELLATION",
            "date": "2023-09-01",
            "security_id": "O-ELI-1",
            "quantity": "5000",
            "balance_security_id": "O-ELI-2",
            "reason_text": "Leaver",
        },
        remainder,
        {
            "id": "we-fund-1",
            "object_type": "TX_WARRANT_EXERCISE",
            "date": "2023-10-01",
            "security_id": "W-FUND-1",
            "trigger_id": "at-will",
            "resulting_security_ids": ["S-FUND-2"],
        },
        issuance("si-fund-2", "2023-10-01", "S-FUND-2", "sh-fund", "pref", "5000", "GBP"),
    ]
    return package_written(
        folder,
        version="1.1.0",
        issuer={
            "id": "issuer-borealis",
            "object_type": "ISSUER",
            "legal_name": "Borealis Labs Ltd",
            "formation_date": "2022-09-01",
            "country_of_formation": "GB",
        },
        as_of="2023-12-31",
        items={
            "stakeholders_files": [
                stakeholder("sh-dora", "Dora Quinn", "FOUNDER"),
                stakeholder("sh-eli", "Eli Stone", "EMPLOYEE"),
                stakeholder("sh-fund", "Northern Seed Fund", "INVESTOR", kind="INSTITUTION"),
            ],
            "stock_classes_files": [
                stock_class("ord", "Ordinary", "COMMON", "1", "GBP"),
                stock_class("pref", "Preference", "PREFERRED", "2", "GBP"),
            ],
            "stock_plans_files": [
                {
                    "id": "plan-1",
                    "object_type": "STOCK_PLAN",
                    "plan_name": "EMI Scheme",
                    "board_approval_date": "2023-01-05",
                    "initial_shares_reserved": "50000",
                    "default_cancellation_behavior": "RETURN_TO_POOL",
                    "stock_class_id": "ord",
                }
            ],
            "transactions_files": transactions,
        },
    )


def manifest_edited(package: Path, **fields: Any) -> Path:
    path = package / "Manifest.ocf.json"
    manifest = json.loads(path.read_text())
    manifest.update(fields)
    path.write_text(json.dumps(manifest))
    return package


# --- packages of earlier versions import ----------------------------------------------------


def test_an_ocf_1_0_package_imports_to_the_cap_table_it_describes(people, tmp_path):
    issuer = ocf_import(path=ocf_1_0_package(tmp_path / "acme"), **people)

    assert positions(issuer, date(2023, 12, 31)) == {
        ("Ana Ortiz", "Common"): (Decimal(700_000), Decimal(700_000)),
        ("Cleo Ventures LP", "Common"): (Decimal(100_000), Decimal(100_000)),
        # 10,000 exercised; the 30,000 options left stay under the grant.
        ("Ben Adler", "Common"): (Decimal(10_000), Decimal(40_000)),
        # 150,000 reserved after the adjustment, 40,000 of it granted.
        ("Pool: Equity Incentive Plan 2022", "Common"): (Decimal(0), Decimal(110_000)),
    }
    assert (issuer.country, issuer.currency) == ("US", "USD")


def test_an_ocf_1_0_package_keeps_its_relationships_and_its_plan_s_class(people, tmp_path):
    issuer = ocf_import(path=ocf_1_0_package(tmp_path / "acme"), **people)

    roles = dict(Stakeholder.objects.filter(issuer=issuer).values_list("name", "role"))
    assert roles == {
        "Ana Ortiz": "founder",
        "Ben Adler": "employee",
        "Cleo Ventures LP": "investor",
    }
    assert EquityPlan.objects.get(issuer=issuer).share_class.name == "Common"
    terms = VestingTerms.objects.get(issuer=issuer)
    assert (terms.cliff_months, terms.duration_months, terms.frequency_months) == (12, 48, 1)


def test_an_ocf_1_1_package_imports_to_the_cap_table_it_describes(people, tmp_path):
    issuer = ocf_import(path=ocf_1_1_package(tmp_path / "borealis"), **people)

    assert positions(issuer, date(2023, 12, 31)) == {
        ("Dora Quinn", "Ordinary"): (Decimal(1_000_000), Decimal(1_000_000)),
        ("Northern Seed Fund", "Preference"): (Decimal(255_000), Decimal(255_000)),
        ("Pool: EMI Scheme", "Ordinary"): (Decimal(0), Decimal(35_000)),
        ("Eli Stone", "Ordinary"): (Decimal(0), Decimal(15_000)),
    }
    assert Movement.objects.get(external_id="pc-eli-1", quantity__lt=0).kind == "cancellation"


def test_a_1_2_package_declaring_another_1_2_release_imports_without_warning(people, tmp_path):
    package = manifest_edited(shutil.copytree(VALID, tmp_path / "valid"), ocf_version="1.2.0")

    issuer = ocf_import(path=package, **people)

    assert issuer.name == "Lumen Robotics SAS"


def test_the_dry_run_of_a_1_0_package_reports_its_version_and_object_types(people, tmp_path):
    report = ocf_dry_run(path=ocf_1_0_package(tmp_path / "acme"), by=people["by"])

    assert (report.ocf_version, report.issuer_name, report.as_of) == (
        "1.0.0",
        "Acme Widgets Inc.",
        date(2023, 12, 31),
    )
    assert report.counts == {
        "ISSUER": 1,
        "STAKEHOLDER": 3,
        "STOCK_CLASS": 1,
        "STOCK_PLAN": 1,
        "TX_EQUITY_COMPENSATION_EXERCISE": 1,
        "TX_EQUITY_COMPENSATION_ISSUANCE": 1,
        "TX_STOCK_ISSUANCE": 4,
        "TX_STOCK_PLAN_POOL_ADJUSTMENT": 1,
        "TX_STOCK_TRANSFER": 1,
        "VESTING_TERMS": 1,
    }
    assert (report.errors, report.warnings) == ([], [])


# --- the upgrades, one by one -----------------------------------------------------------------


def test_plan_securities_are_renamed_equity_compensation_and_their_grant_type_folded_in():
    item = option("ps-1", "TX_PLAN_SECURITY_ISSUANCE", "2022-03-01", "OPT-1", "sh-1", "100", "ISO")

    upgraded, warnings = item_upgrade(item, version=V1_0, name="Transactions.ocf.json")

    expected = {**item, "object_type": "TX_EQUITY_COMPENSATION_ISSUANCE"}
    expected["compensation_type"] = "OPTION_ISO"
    del expected["option_grant_type"]
    assert (upgraded, warnings) == (expected, [])
    assert validate_item(upgraded) == []


@pytest.mark.parametrize(
    ("written", "upgraded"),
    [
        ("TX_PLAN_SECURITY_EXERCISE", "TX_EQUITY_COMPENSATION_EXERCISE"),
        ("TX_PLAN_SECURITY_TRANSFER", "TX_EQUITY_COMPENSATION_TRANSFER"),
        ("TX_PLAN_SECURITY_CANCELLATION", "TX_EQUITY_COMPENSATION_CANCELLATION"),
        ("TX_PLAN_SECURITY_ACCEPTANCE", "TX_EQUITY_COMPENSATION_ACCEPTANCE"),
        ("TX_PLAN_SECURITY_RELEASE", "TX_EQUITY_COMPENSATION_RELEASE"),
        ("TX_PLAN_SECURITY_RETRACTION", "TX_EQUITY_COMPENSATION_RETRACTION"),
    ],
)
def test_every_plan_security_transaction_takes_its_1_2_name(written, upgraded):
    item = {"id": "t", "object_type": written, "date": "2022-01-01", "security_id": "s"}

    assert item_upgrade(item, version=V1_1, name="T.json")[0]["object_type"] == upgraded


def test_an_international_option_keeps_its_grant_type():
    item = option("ec-1", "TX_EQUITY_COMPENSATION_ISSUANCE", "2023-01-01", "O", "sh", "1", "INTL")

    upgraded, _ = item_upgrade(item, version=V1_1, name="T.json")

    assert (upgraded["compensation_type"], upgraded["option_grant_type"]) == ("OPTION", "INTL")


def test_a_plan_s_single_class_becomes_a_list():
    plan = {
        "id": "p",
        "object_type": "STOCK_PLAN",
        "plan_name": "Plan",
        "initial_shares_reserved": "1",
        "stock_class_id": "common",
    }

    upgraded, _ = item_upgrade(plan, version=V1_0, name="StockPlans.ocf.json")

    assert upgraded == {
        **{k: v for k, v in plan.items() if k != "stock_class_id"},
        "stock_class_ids": ["common"],
    }


def test_a_single_relationship_joins_the_list_once():
    holder = {**stakeholder("sh", "X", "ADVISOR"), "current_relationships": ["ADVISOR", "INVESTOR"]}

    upgraded, _ = item_upgrade(holder, version=V1_1, name="Stakeholders.ocf.json")

    assert "current_relationship" not in upgraded
    assert upgraded["current_relationships"] == ["ADVISOR", "INVESTOR"]


def test_a_1_2_package_is_read_as_written():
    item = option("ps-1", "TX_PLAN_SECURITY_ISSUANCE", "2022-03-01", "OPT-1", "sh", "1", "NSO")

    assert item_upgrade(item, version=V1_2, name="T.json") == (item, [])


def test_a_pre_release_state_of_formation_moves_to_the_1_2_subdivision_fields():
    def issuer_of(state: str) -> dict:
        manifest = {
            "ocf_version": "1.0.0-b1",
            "issuer": {"id": "i", "object_type": "ISSUER", "state_of_formation": state},
        }
        return manifest_upgrade(manifest, version=V1_0, name="Manifest.ocf.json")[0]["issuer"]

    assert issuer_of("DE") == {
        "id": "i",
        "object_type": "ISSUER",
        "country_subdivision_of_formation": "DE",
    }
    assert issuer_of("Delaware") == {
        "id": "i",
        "object_type": "ISSUER",
        "country_subdivision_name_of_formation": "Delaware",
    }


def test_the_manifest_is_validated_against_the_version_the_schemas_pin():
    upgraded, warnings = manifest_upgrade(
        {"ocf_version": "1.0.0"}, version=V1_0, name="Manifest.ocf.json"
    )

    assert upgraded["ocf_version"] == schema_version() == pinned_ocf_version()
    assert schema_version() == "1.2.1-alpha+main"
    assert warnings == []


def test_a_manifest_field_1_2_does_not_know_is_left_out_with_a_warning():
    upgraded, warnings = manifest_upgrade(
        {"ocf_version": "1.1.0", "exported_by": "CapTool 7"}, version=V1_1, name="Manifest.ocf.json"
    )

    assert upgraded == {"ocf_version": schema_version()}
    assert warnings == [
        "Manifest.ocf.json: field 'exported_by' is not part of OCF 1.2 and nothing here maps it; "
        "it was left out"
    ]


def test_a_field_no_version_has_is_left_out_with_a_warning_naming_the_item_and_field(
    people, tmp_path
):
    package = ocf_1_0_package(tmp_path / "acme", issuer={"jurisdiction_of_formation": "Delaware"})

    report = ocf_dry_run(path=package, by=people["by"])

    assert report.errors == []
    assert report.warnings == [
        "Manifest.ocf.json: ISSUER 'issuer-acme': field 'jurisdiction_of_formation' is not part "
        "of OCF 1.2 and nothing here maps it; it was left out"
    ]
    assert [row.holder for row in report.cap_table][:1] == ["Ana Ortiz"]


# --- versions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("1.0.0-b3", (0, [])),
        ("1.1.1-alpha+main", (1, [])),
        ("1.2.1-alpha+main", (2, [])),
        (
            "1.3.0",
            (
                3,
                [
                    "M.json: ocf_version '1.3.0' is newer than OCF 1.2, the version read here: "
                    "it is read as 1.2, and any field 1.2 does not know is reported"
                ],
            ),
        ),
    ],
)
def test_every_1_x_version_is_read(declared, expected):
    version, warnings = ocf_version_read({"ocf_version": declared}, name="M.json")

    assert (version.minor, warnings) == expected
    assert version.declared == declared


SUPPORTED = "the versions read here are OCF 1.0, 1.1 and 1.2 (a later 1.x is read as 1.2)"


@pytest.mark.parametrize(
    ("declared", "error"),
    [
        (
            "2.0.0",
            f"Manifest.ocf.json: ocf_version '2.0.0' is of another major version: {SUPPORTED}",
        ),
        (
            "0.9.0",
            f"Manifest.ocf.json: ocf_version '0.9.0' is of another major version: {SUPPORTED}",
        ),
        ("one.two", f"Manifest.ocf.json: ocf_version 'one.two' is not a version: {SUPPORTED}"),
        (120, f"Manifest.ocf.json: ocf_version is 120, not a version: {SUPPORTED}"),
        (None, f"Manifest.ocf.json: ocf_version is missing: {SUPPORTED}"),
    ],
)
def test_a_version_not_read_here_is_refused_naming_it_and_writes_nothing(
    people, tmp_path, declared, error
):
    package = ocf_1_0_package(tmp_path / "acme")
    manifest = json.loads((package / "Manifest.ocf.json").read_text())
    manifest["ocf_version"] = declared
    if declared is None:
        del manifest["ocf_version"]
    (package / "Manifest.ocf.json").write_text(json.dumps(manifest))
    before = rows_written()

    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=package, **people)

    assert refused.value.errors == [error]
    assert "the OCF package's version is not supported" in str(refused.value)
    assert rows_written() == before


def test_a_newer_minor_is_refused_until_its_warning_is_accepted(people, tmp_path):
    package = manifest_edited(shutil.copytree(VALID, tmp_path / "valid"), ocf_version="1.3.0")
    before = rows_written()

    with pytest.raises(OcfWarningsNotAccepted) as refused:
        ocf_import(path=package, **people)

    assert refused.value.errors == [
        "Manifest.ocf.json: ocf_version '1.3.0' is newer than OCF 1.2, the version read here: "
        "it is read as 1.2, and any field 1.2 does not know is reported"
    ]
    assert rows_written() == before
    assert ocf_import(path=package, accept_warnings=True, **people).name == "Lumen Robotics SAS"
