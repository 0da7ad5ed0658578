"""Fully diluted cap tables with every convertible outstanding converted at a given price."""

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from apps.accounts.roles import Role
from apps.captable.conversion import ConvertibleTerms, RoundTerms
from apps.captable.selectors import cap_table, convertibles_round
from apps.captable.services import (
    convertible_issue,
    plan_create,
    pool_reserve,
    shares_issue,
)
from apps.core.money import Money
from tests.captable.conftest import D1, holder
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


@pytest.fixture
def company(issuer, common, alice, bob, maker, people):
    """8,000 shares held, 2,000 reserved in a plan and not granted, and two convertibles:
    Carol's BSA AIR of 10,000 capped at 500,000 and Bob's post-money SAFE of 20,000 capped at
    1,000,000."""
    shares_issue(share_class=common, stakeholder=alice, quantity=8_000, effective_date=D1, **people)
    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=maker)
    pool_reserve(plan=plan, quantity=2_000, effective_date=D1, **people)
    carol = holder(issuer, "Carol Petit", maker)
    convertible_issue(
        issuer=issuer,
        stakeholder=carol,
        convertible_type="bsa_air",
        terms=ConvertibleTerms(kind="bsa_air", principal=eur("10000"), valuation_cap=eur("500000")),
        effective_date=D1,
        **people,
    )
    convertible_issue(
        issuer=issuer,
        stakeholder=bob,
        convertible_type="safe",
        terms=ConvertibleTerms(kind="safe", principal=eur("20000"), valuation_cap=eur("1000000")),
        effective_date=D1,
        **people,
    )
    return issuer


# Worked by hand. Before the round: 10,000 fully diluted, 2,000 of them the unallocated pool.
# At 100.00 a share the BSA AIR's cap price is 500,000 / 10,000 = 50: 10,000 / 50 = 200 shares.
# The post-money SAFE counts the conversions: C = 10,000 + 200 + 2 % of C, so C = 10,200 / 0.98
# = 10,408.16..., its price 1,000,000 / C = 96.08 below 100, and its shares 2 % of C = 208.16:
# 208. Fully diluted: 8,000 + 2,000 + 200 + 208 = 10,408.
EXPECTED_ROWS = [
    ("Alice Martin", "Ordinary", Decimal(8_000), Decimal(8_000)),
    ("Pool: ESOP", "Ordinary", Decimal(0), Decimal(2_000)),
    ("Bob Keller", "Convertibles (as converted)", Decimal(0), Decimal(208)),
    ("Carol Petit", "Convertibles (as converted)", Decimal(0), Decimal(200)),
]


def test_the_round_at_a_price_counts_the_table_before_it_and_its_unallocated_pool(company):
    round = convertibles_round(company, price=Decimal("100.00"), as_of=date(2026, 1, 31))

    assert round == RoundTerms(
        price_per_share=Fraction(100),
        pre_money_fully_diluted_shares=Fraction(10_000),
        conversion_date=date(2026, 1, 31),
        currency="EUR",
        unallocated_pool=Fraction(2_000),
    )


def test_every_convertible_outstanding_is_counted_as_converted_at_the_price(company):
    table = cap_table(company, convertibles_at=convertibles_round(company, price=Decimal(100)))

    assert [
        (row.holder, row.share_class, row.units, row.fully_diluted_units) for row in table.rows
    ] == EXPECTED_ROWS
    assert (table.total_units, table.total_fully_diluted_units) == (8_000, 10_408)


@pytest.mark.parametrize("price", [Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_a_price_that_is_not_a_positive_amount_is_refused(company, price):
    with pytest.raises(ValueError, match="the price per share is a positive amount"):
        convertibles_round(company, price=price)


def test_a_company_without_fully_diluted_units_has_nothing_to_convert_beside(issuer):
    with pytest.raises(ValueError, match="has no fully diluted units"):
        convertibles_round(issuer, price=Decimal(1))


def test_the_export_command_converts_the_convertibles_at_the_price(company):
    out = StringIO()

    call_command(
        "export_cap_table", company.name, format="json", convertibles_at="100.00", stdout=out
    )

    data = json.loads(out.getvalue())
    assert data["convertibles_at"] == "100"
    assert [(row["holder"], row["fully_diluted_units"]) for row in data["rows"]] == [
        (holder, str(diluted)) for holder, _, _, diluted in EXPECTED_ROWS
    ]
    assert data["totals"] == {"units": "8000", "fully_diluted_units": "10408"}


def test_the_export_without_a_price_leaves_the_convertibles_out_and_says_so(company):
    out = StringIO()

    call_command("export_cap_table", company.name, format="json", stdout=out)

    data = json.loads(out.getvalue())
    assert data["convertibles_at"] is None
    assert data["totals"] == {"units": "8000", "fully_diluted_units": "10000"}


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("ten", "--convertibles-at: 'ten' is not a decimal number"),
        ("0", "--convertibles-at: the price per share is positive, not 0"),
        ("-5", "--convertibles-at: the price per share is positive, not -5"),
    ],
)
def test_the_export_command_refuses_a_price_it_cannot_read(company, price, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_cap_table", company.name, convertibles_at=price)


def test_the_export_command_names_a_convertible_in_another_currency(company, people):
    convertible_issue(
        issuer=company,
        stakeholder=company.stakeholders.get(name="Bob Keller"),
        convertible_type="safe",
        terms=ConvertibleTerms(kind="safe", principal=Money(100_00, "USD")),
        effective_date=D1,
        **people,
    )

    with pytest.raises(CommandError, match="a USD instrument cannot convert in a EUR round"):
        call_command("export_cap_table", company.name, convertibles_at="100")


def test_the_xlsx_states_the_price_beside_the_date(company, tmp_path):
    output = tmp_path / "table.xlsx"

    call_command(
        "export_cap_table",
        company.name,
        "--as-of=2026-01-31",
        format="xlsx",
        convertibles_at="100",
        output=str(output),
    )

    sheet = load_workbook(BytesIO(output.read_bytes())).active
    assert sheet["A1"].value == (
        "Lumen Robotics SAS, as of 2026-01-31, convertibles converted at 100 EUR per share"
    )
    assert [cell.value for cell in sheet[7]] == ["Total", None, "8000", "10408", "100.00", "100.00"]


def test_the_admin_download_takes_a_price_for_the_convertibles(staff_client, company):
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    response = client.get(
        f"/admin/captable/issuer/{company.pk}/export/",
        {"format": "json", "as_of": "", "convertibles_at": "100.00"},
    )

    assert response.status_code == 200
    data = json.loads(response.content)
    assert (data["convertibles_at"], data["totals"]["fully_diluted_units"]) == ("100", "10408")


def test_the_issuer_page_offers_the_download_with_a_price_in_its_currency(staff_client, company):
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    page = client.get(f"/admin/captable/issuer/{company.pk}/change/").content.decode()

    assert "Download the cap table" in page
    assert "Convertibles converted at (EUR)" in page
    assert f'action="/admin/captable/issuer/{company.pk}/export/"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"format": "pdf"}, "Select a valid choice. pdf is not one of the available choices."),
        ({"format": "csv", "as_of": "31/01/2026"}, "Enter a valid date."),
        ({"format": "csv", "convertibles_at": "-1"}, "The price per share is positive."),
        ({"format": "csv", "convertibles_at": "0"}, "The price per share is positive."),
    ],
)
def test_a_download_it_cannot_read_is_said_back_on_the_issuer(
    staff_client, company, query, message
):
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    response = client.get(f"/admin/captable/issuer/{company.pk}/export/", query, follow=True)

    assert response.redirect_chain == [(f"/admin/captable/issuer/{company.pk}/change/", 302)]
    said = [str(m) for m in response.context["messages"] if "cap table" in str(m)]
    assert said == [f"The cap table was not downloaded: {message}"]


def test_a_download_without_a_format_is_an_xlsx_of_today(staff_client, company):
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    response = client.get(f"/admin/captable/issuer/{company.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
