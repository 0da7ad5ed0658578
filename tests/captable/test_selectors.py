"""Cap tables on any date or after any operation, exact percentages, look-through ownership."""

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import Movement, Security
from apps.captable.selectors import cap_table, cap_table_pro_forma, look_through, option_vested
from apps.captable.services import (
    convertible_issue,
    options_grant,
    plan_create,
    pool_reserve,
    security_transfer,
    share_class_create,
    shares_issue,
    stakeholder_create,
    vesting_terms_create,
)
from apps.core.money import Money
from apps.ledger.models import Operation
from tests.captable.conftest import D1, D2, D3, holder, make_issuer

pytestmark = pytest.mark.django_db


def test_the_cap_table_after_an_operation_ignores_what_came_later(
    issuer, common, alice, bob, people
):
    first = shares_issue(
        share_class=common, stakeholder=alice, quantity=600, effective_date=D1, **people
    )
    operation = Movement.objects.get(security=first).operation
    security_transfer(security=first, to=bob, quantity=200, effective_date=D1, **people)

    before = cap_table(issuer, after_operation=operation)
    now = cap_table(issuer)

    assert [(r.holder, r.units) for r in before.rows] == [("Alice Martin", Decimal(600))]
    assert [(r.holder, r.units) for r in now.rows] == [
        ("Alice Martin", Decimal(400)),
        ("Bob Keller", Decimal(200)),
    ]


def test_percentages_add_up_to_exactly_one_hundred(issuer, common, maker, people):
    for name in ["A", "B", "C"]:
        shares_issue(
            share_class=common,
            stakeholder=holder(issuer, name, maker),
            quantity=1,
            effective_date=D1,
            **people,
        )

    table = cap_table(issuer)

    assert [row.percent for row in table.rows] == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert sum(row.percent for row in table.rows) == Decimal("100.00")


def test_look_through_ownership_is_exact_through_two_layers_of_vehicles(maker, people):
    company = make_issuer("Portfolio Co SAS", maker)
    fund_spv = make_issuer("Holding SPV SCSp", maker, kind="spv")
    feeder = make_issuer("Feeder SPV SCSp", maker, kind="spv")
    classes = {
        issuer.pk: share_class_create(issuer=issuer, name="Units", class_type="units", by=maker)
        for issuer in (company, fund_spv, feeder)
    }

    def position(issuer, name, units, **fields):
        stakeholder = stakeholder_create(
            issuer=issuer, name=name, kind="institution", by=maker, **fields
        )
        shares_issue(
            share_class=classes[issuer.pk],
            stakeholder=stakeholder,
            quantity=units,
            effective_date=D1,
            **people,
        )

    # The company: 30 % held by the holding SPV, 70 % by founders.
    position(company, "Holding SPV", 300, holder_issuer=fund_spv, role="vehicle")
    position(company, "Founders", 700)
    # The holding SPV: a third held by the feeder SPV, the rest by Zoé directly.
    position(fund_spv, "Feeder SPV", 1, holder_issuer=feeder, role="vehicle")
    position(fund_spv, "Zoé", 2, party_key="investor:zoe")
    # The feeder: Zoé holds a quarter of it.
    position(feeder, "Zoé", 25, party_key="investor:zoe")
    position(feeder, "Others", 75)

    share = look_through(party_key="investor:zoe", issuer=company)

    # 3/10 x (2/3 + 1/3 x 1/4) = 3/10 x 3/4 = 9/40
    assert share == Fraction(9, 40)
    assert look_through(party_key="investor:zoe", issuer=fund_spv) == Fraction(3, 4)
    assert look_through(party_key="investor:nobody", issuer=company) == 0


def _export(issuer, fmt, **options) -> bytes | str:
    out = StringIO()
    call_command("export_cap_table", issuer.name, format=fmt, stdout=out, **options)
    return out.getvalue()


def test_the_json_export_has_the_documented_shape(issuer, common, alice, bob, people):
    shares_issue(
        share_class=common,
        stakeholder=alice,
        quantity=Decimal("750.25"),
        effective_date=D1,
        **people,
    )
    shares_issue(share_class=common, stakeholder=bob, quantity=250, effective_date=D2, **people)

    data = json.loads(_export(issuer, "json", as_of=D1))
    later = json.loads(_export(issuer, "json"))

    assert data == {
        "issuer": "Lumen Robotics SAS",
        "as_of": "2025-01-10",
        "rows": [
            {
                "holder": "Alice Martin",
                "class": "Ordinary",
                "units": "750.25",
                "fully_diluted_units": "750.25",
                "percent": "100.00",
                "percent_fully_diluted": "100.00",
            }
        ],
        "totals": {"units": "750.25", "fully_diluted_units": "750.25"},
        "convertibles_at": None,
    }
    assert later["totals"]["units"] == "1000.25"
    assert [row["percent"] for row in later["rows"]] == ["75.01", "24.99"]


def test_the_csv_and_xlsx_exports_hold_the_same_rows(issuer, common, alice, people, tmp_path):
    shares_issue(share_class=common, stakeholder=alice, quantity=10, effective_date=D1, **people)

    csv_text = _export(issuer, "csv", as_of=D3)
    call_command("export_cap_table", str(issuer.pk), format="xlsx", output=str(tmp_path / "t.xlsx"))
    sheet = load_workbook(BytesIO((tmp_path / "t.xlsx").read_bytes())).active

    assert csv_text.splitlines()[1] == "Alice Martin,Ordinary,10,10,100.00,100.00"
    assert [cell.value for cell in sheet[3]] == [
        "Alice Martin",
        "Ordinary",
        "10",
        "10",
        "100.00",
        "100.00",
    ]


def test_the_export_of_an_unknown_issuer_is_a_clear_error():
    with pytest.raises(CommandError, match="no issuer with the id or exact name 'Nope'"):
        call_command("export_cap_table", "Nope", format="json")


def test_the_admin_offers_the_cap_table_as_a_download(staff_client, issuer, common, alice, people):
    from apps.accounts.roles import Role
    from tests.factories import StaffFactory

    shares_issue(share_class=common, stakeholder=alice, quantity=10, effective_date=D1, **people)
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    response = client.get(
        f"/admin/captable/issuer/{issuer.pk}/export/", {"format": "json", "as_of": "2025-12-31"}
    )

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="cap-table-{issuer.pk}-2025-12-31.json"'
    )
    assert json.loads(response.content)["totals"]["units"] == "10"
    assert client.get(f"/admin/captable/issuer/{issuer.pk}/change/").status_code == 200


def test_the_issuer_page_shows_its_classes_units_as_quantities(
    staff_client, issuer, common, preferred
):
    from apps.accounts.roles import Role
    from tests.factories import StaffFactory

    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    page = " ".join(
        client.get(f"/admin/captable/issuer/{issuer.pk}/change/").content.decode().split()
    )

    assert '<td class="field-authorised"> <p>1,000,000</p> </td>' in page
    assert '<td class="field-conversion"> <p>1</p> </td>' in page
    assert "1000000.0000000000" not in page


@pytest.fixture
def with_a_safe(issuer, common, alice, bob, people):
    """Alice's 8,000,000 shares and Bob's pre-money SAFE of 1,000,000 at a 20 % discount."""
    shares_issue(
        share_class=common, stakeholder=alice, quantity=8_000_000, effective_date=D1, **people
    )
    convertible_issue(
        issuer=issuer,
        stakeholder=bob,
        convertible_type="safe",
        terms=ConvertibleTerms(
            kind="safe",
            principal=Money(100_000_000, "EUR"),
            discount=Fraction(20, 100),
            post_money=False,
        ),
        effective_date=D2,
        **people,
    )
    return issuer


def test_a_pro_forma_round_models_the_post_money_table_and_writes_nothing(with_a_safe):
    issuer = with_a_safe
    before = (Operation.objects.count(), Security.objects.count(), Movement.objects.count())

    model = cap_table_pro_forma(
        issuer,
        pre_money=Money(1_000_000_000, "EUR"),
        new_money=[("Lead VC", Money(250_000_000, "EUR"))],
        pool_top_up_percent=Fraction(0),
        conversion_date=date(2026, 6, 1),
    )

    assert (Operation.objects.count(), Security.objects.count(), Movement.objects.count()) == before
    rows = {row.holder: row for row in model.rows}
    # 10,000,000 EUR pre-money over 8,000,000 shares plus the SAFE's shares at a 20 % discount:
    # price p solves p x (8,000,000 + 1,000,000 / 0.8p) = 10,000,000, so p = 1.09375.
    assert model.price_per_share == Fraction(35, 32)
    assert rows["Bob Keller"].units == 1_142_857  # 1,000,000 / (0.8 x 1.09375), rounded down
    assert rows["Lead VC"].units == 2_285_714  # 2,500,000 / 1.09375, rounded down
    assert sum(row.percent for row in model.rows) == Decimal("100.00")


def test_a_pro_forma_round_states_its_price_to_the_decimals_of_the_term_sheet(with_a_safe):
    issuer = with_a_safe

    model = cap_table_pro_forma(
        issuer,
        pre_money=Money(1_000_000_000, "EUR"),
        new_money=[("Lead VC", Money(250_000_000, "EUR"))],
        pool_top_up_percent=Fraction(0),
        conversion_date=date(2026, 6, 1),
        price_decimals=2,
    )

    rows = {row.holder: row.units for row in model.rows}
    # The price above, 1.09375, stated 1.09: the SAFE converts at 0.8 x 1.09 = 0.872, stated
    # 0.87 in its turn.
    assert model.price_per_share == Fraction("1.09")
    assert rows["Bob Keller"] == 1_149_425  # 1,000,000 / 0.87 = 1,149,425.29
    assert rows["Lead VC"] == 2_293_577  # 2,500,000 / 1.09 = 2,293,577.98


def test_options_vest_on_their_schedule(issuer, common, alice, people):

    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=people["by"])
    pool_reserve(plan=plan, quantity=48_000, effective_date=D1, **people)
    terms = vesting_terms_create(
        issuer=issuer, name="4y / 1y cliff", cliff_months=12, duration_months=48, by=people["by"]
    )
    grant = options_grant(
        plan=plan,
        stakeholder=alice,
        quantity=48_000,
        exercise_price_minor=10,
        effective_date=date(2024, 1, 1),
        vesting_terms=terms,
        **people,
    )

    assert option_vested(grant, as_of=date(2024, 12, 31)) == 0
    assert option_vested(grant, as_of=date(2025, 1, 1)) == 12_000
    assert option_vested(grant, as_of=date(2028, 1, 1)) == 48_000


def test_operations_staff_create_an_issuer_and_a_class_in_the_admin(staff_client):
    from apps.accounts.roles import Role
    from apps.captable.models import Issuer, ShareClass
    from tests.factories import StaffFactory

    operator = StaffFactory(roles=[Role.OPERATIONS])
    client = staff_client(operator)

    response = client.post(
        "/admin/captable/issuer/add/",
        {
            "name": "Atlas SPV",
            "legal_name": "",
            "kind": "spv",
            "legal_form": "SCSp",
            "country": "LU",
            "currency": "EUR",
            "formation_date": "",
            "ocf_id": "",
            "share_classes-TOTAL_FORMS": "0",
            "share_classes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    issuer = Issuer.objects.get(name="Atlas SPV")
    assert issuer.history.get().history_user == operator

    client.post(
        "/admin/captable/shareclass/add/",
        {
            "issuer": issuer.pk,
            "name": "Units",
            "class_type": "units",
            "authorised_units": "",
            "price_per_unit_minor": "",
            "liquidation_preference_multiple": "1",
            "participation_cap_multiple": "",
            "seniority": "1",
            "conversion_ratio": "1",
            "votes_per_unit": "1",
            "ocf_id": "",
        },
    )
    assert ShareClass.objects.get(issuer=issuer).history.get().history_user == operator


def test_a_pro_forma_counts_the_plans_pool_not_yet_granted_towards_an_available_pool_target(
    issuer, common, alice, people
):
    shares_issue(
        share_class=common, stakeholder=alice, quantity=8_000_000, effective_date=D1, **people
    )
    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=people["by"])
    pool_reserve(plan=plan, quantity=2_000_000, effective_date=D1, **people)

    model = cap_table_pro_forma(
        issuer,
        pre_money=Money(1_000_000_000, "EUR"),
        new_money=[("Lead VC", Money(250_000_000, "EUR"))],
        pool_top_up_percent=Fraction(1, 5),
        conversion_date=date(2026, 6, 1),
        pool_target="available_pool",
    )

    # The pool after the round (2,000,000 + top-up) is 20 % of it: price x top-up =
    # 20 % x 12,500,000 - 2,000,000 x price, so 10,000,000 p + 2,500,000 - 2,000,000 p =
    # 10,000,000 and p = 15/16. New money 2,500,000 / (15/16) = 2,666,666 2/3; the top-up
    # floor((20 % x 12,666,666 - 2,000,000) / 80 %) = 666,666.
    assert model.price_per_share == Fraction(15, 16)
    rows = {row.holder: row.units for row in model.rows}
    assert rows == {
        "Alice Martin": 8_000_000,
        "Pool: ESOP": 2_000_000,
        "Lead VC": 2_666_666,
        "Pool: top-up": 666_666,
    }
