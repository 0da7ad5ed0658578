"""A deal's terms are checked by its services, each refusal on its field, and nothing is saved;
the admin shows each refusal, and each amount it cannot take, on the field typed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from apps.captable.services import share_class_create
from apps.deals.models import Deal, Subscription
from apps.deals.services import deal_create, deal_update
from tests.captable.conftest import make_issuer
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

DEALS = "/admin/deals/deal/"
SUBSCRIPTIONS = "/admin/deals/subscription/"
LARGEST_EUR = "at most 92,233,720,368,547,758.07 EUR"


@pytest.fixture
def vehicle(books):
    spv = make_issuer("Borealis vehicle", books.ops, kind="spv")
    units = share_class_create(issuer=spv, name="Units", class_type="units", by=books.ops)
    return spv, units


def _terms(vehicle, **overrides) -> dict:
    spv, units = vehicle
    return {
        "name": "Borealis co-investment",
        "issuer": spv,
        "share_class": units,
        "asset_class": "equity",
        "currency": "EUR",
        "unit_price_minor": 100,
        "target_minor": eur(100_000).amount_minor,
        "hard_cap_minor": eur(1_000_000).amount_minor,
        "min_ticket_minor": eur(10_000).amount_minor,
        **overrides,
    }


@pytest.fixture
def draft(books, vehicle) -> Deal:
    return deal_create(by=books.ops, **_terms(vehicle, name="Borealis draft"))


def _refused_create(books, vehicle, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        deal_create(by=books.ops, **_terms(vehicle, **overrides))
    assert not Deal.objects.exists()
    return refused.value.message_dict


# --- the services -----------------------------------------------------------------------------


def test_a_minimum_ticket_above_the_hard_cap_is_refused_on_the_minimum_ticket(books, vehicle):
    assert _refused_create(books, vehicle, min_ticket_minor=eur(1_000_001).amount_minor) == {
        "min_ticket_minor": ["The minimum ticket cannot be above the hard cap (€1,000,000.00)."]
    }


def test_a_minimum_ticket_above_the_hard_cap_and_the_maximum_is_refused_on_both(books, vehicle):
    errors = _refused_create(
        books,
        vehicle,
        min_ticket_minor=eur(2_000_000).amount_minor,
        max_ticket_minor=eur(500_000).amount_minor,
    )

    assert errors == {
        "min_ticket_minor": ["The minimum ticket cannot be above the hard cap (€1,000,000.00)."],
        "max_ticket_minor": [
            "The maximum ticket cannot be below the minimum ticket (€2,000,000.00)."
        ],
    }


def test_a_negative_minimum_ticket_is_refused_on_its_field(books, vehicle):
    assert _refused_create(books, vehicle, min_ticket_minor=-1) == {
        "min_ticket_minor": ["A minimum ticket cannot be negative."]
    }


def test_a_target_above_the_hard_cap_is_refused_on_the_hard_cap(books, vehicle):
    assert _refused_create(books, vehicle, target_minor=eur(2_000_000).amount_minor) == {
        "hard_cap_minor": ["The hard cap cannot be below the target (€2,000,000.00)."]
    }


def test_a_closing_date_before_the_opening_date_is_refused_on_the_closing_date(books, vehicle):
    errors = _refused_create(books, vehicle, opens_on=date(2026, 6, 1), closes_on=date(2026, 5, 31))

    assert errors == {"closes_on": ["The deal cannot close before it opens (2026-06-01)."]}


def test_a_deal_may_close_on_the_day_it_opens(books, vehicle):
    deal = deal_create(
        by=books.ops, **_terms(vehicle, opens_on=date(2026, 6, 1), closes_on=date(2026, 6, 1))
    )

    assert deal.closes_on == deal.opens_on


def test_an_amount_no_column_holds_is_refused_on_its_field_without_comparing_it(books, vehicle):
    errors = _refused_create(books, vehicle, hard_cap_minor=2**63, min_ticket_minor=10**30)

    assert errors == {
        "hard_cap_minor": [f"The amount is too large: {LARGEST_EUR}."],
        "min_ticket_minor": [f"The amount is too large: {LARGEST_EUR}."],
    }


def test_a_draft_whose_minimum_ticket_goes_above_the_hard_cap_keeps_its_terms(books, draft):
    with pytest.raises(ValidationError) as refused:
        deal_update(
            deal=draft, data={"min_ticket_minor": eur(1_000_001).amount_minor}, by=books.ops
        )

    assert list(refused.value.message_dict) == ["min_ticket_minor"]
    draft.refresh_from_db()
    assert draft.min_ticket_minor == eur(10_000).amount_minor
    assert draft.history.count() == 1


def test_a_draft_closing_before_it_opens_keeps_its_dates(books, draft):
    with pytest.raises(ValidationError) as refused:
        deal_update(
            deal=draft,
            data={"opens_on": date(2026, 6, 1), "closes_on": date(2026, 1, 1)},
            by=books.ops,
        )

    assert list(refused.value.message_dict) == ["closes_on"]
    draft.refresh_from_db()
    assert (draft.opens_on, draft.closes_on) == (None, None)


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def ops_client(books, admin_as) -> Client:
    return admin_as(books.ops)


def _form(vehicle, **overrides) -> dict:
    spv, units = vehicle
    data = {
        "name": "Borealis co-investment",
        "issuer": spv.pk,
        "share_class": units.pk,
        "asset_class": "equity",
        "currency": "EUR",
        "opens_on": "",
        "closes_on": "",
        "unit_price": "1.00",
        "target": "500000",
        "hard_cap": "750000",
        "min_ticket": "100000",
        "max_ticket": "",
        "setup_fee_rate": "0",
        "management_fee_rate": "0",
        "management_fee_basis": "commitments",
        "carry_rate": "0",
        "hurdle_rate": "0",
        "catch_up_rate": "0",
        "waterfall_type": "european",
        "equalisation_rate": "0",
        "interest_rate": "",
        "day_count": "act_365",
        "hurdle_compounding": "compound",
        "hurdle_day_count": "act_365",
        "fee_offset_rate": "0",
        "clawback_tax_rate": "0",
    }
    return data | overrides


def _errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e30", f"The amount is too large: {LARGEST_EUR}."),
        ("92233720368547758.08", f"The amount is too large: {LARGEST_EUR}."),
        ("1e999999999", f"The amount is too large: {LARGEST_EUR}."),
        ("1.00000000000000000000000000000001", "has more decimals than EUR allows (2)"),
    ],
)
@pytest.mark.parametrize("field", ["unit_price", "target", "hard_cap", "min_ticket", "max_ticket"])
def test_an_amount_the_deal_cannot_hold_is_a_form_error_on_its_field(
    ops_client, vehicle, field, typed, message
):
    response = ops_client.post(f"{DEALS}add/", _form(vehicle, **{field: typed}))

    errors = _errors(response)
    assert any(message in error for error in errors[field]), errors
    assert not Deal.objects.exists()


def test_the_largest_amount_a_column_holds_is_taken(ops_client, vehicle):
    largest = "92233720368547758.07"

    response = ops_client.post(
        f"{DEALS}add/", _form(vehicle, target="1", hard_cap=largest, max_ticket=largest)
    )

    assert response.status_code == 302
    assert Deal.objects.get().hard_cap_minor == 2**63 - 1


def test_a_minimum_ticket_above_the_hard_cap_is_shown_on_the_minimum_ticket(ops_client, vehicle):
    response = ops_client.post(f"{DEALS}add/", _form(vehicle, min_ticket="800000"))

    assert _errors(response)["min_ticket"] == [
        "The minimum ticket cannot be above the hard cap (€750,000.00)."
    ]
    assert not Deal.objects.exists()


def test_a_closing_date_before_the_opening_is_shown_on_the_closing_date(ops_client, vehicle):
    response = ops_client.post(
        f"{DEALS}add/", _form(vehicle, opens_on="2026-06-01", closes_on="2026-05-01")
    )

    assert _errors(response)["closes_on"] == ["The deal cannot close before it opens (2026-06-01)."]
    assert not Deal.objects.exists()


def test_a_draft_edited_with_a_huge_amount_is_a_form_error_and_keeps_its_terms(ops_client, draft):
    data = _form((draft.issuer, draft.share_class), name=draft.name, hard_cap="1e30")

    response = ops_client.post(f"{DEALS}{draft.pk}/change/", data)

    assert _errors(response)["hard_cap"] == [f"The amount is too large: {LARGEST_EUR}."]
    draft.refresh_from_db()
    assert draft.hard_cap_minor == eur(1_000_000).amount_minor


def test_a_subscription_of_a_huge_amount_is_a_form_error(books, ops_client):
    deal = books.deal("Atlas")
    person = books.investor()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/", {"deal": deal.pk, "investor": person.pk, "amount": "1e30"}
    )

    assert _errors(response)["amount"] == [f"The amount is too large: {LARGEST_EUR}."]
    assert not Subscription.objects.exists()


def test_a_deals_vehicle_and_currency_cannot_change_and_unknown_fields_are_refused(books, draft):
    other = make_issuer("Other vehicle", books.ops, kind="spv")
    before = (draft.history.count(), draft.issuer_id, draft.currency, draft.name)

    with pytest.raises(ValidationError) as refused:
        deal_update(
            deal=draft,
            data={"issuer": other, "currency": "USD", "state": "closed", "name": "Renamed"},
            by=books.ops,
        )

    assert refused.value.message_dict == {
        "issuer": ["the vehicle of a deal is fixed when it is created"],
        "currency": ["the currency of a deal is fixed when it is created"],
        "state": ["not a term of a deal that can be changed"],
    }
    draft.refresh_from_db()
    assert (draft.history.count(), draft.issuer_id, draft.currency, draft.name) == before
    assert deal_update(deal=draft, data={"currency": "EUR", "name": "Renamed"}, by=books.ops)
