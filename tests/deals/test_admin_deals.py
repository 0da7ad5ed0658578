"""Operations staff create deals and subscriptions in the admin, through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client

from apps.captable.services import share_class_create
from apps.core.money import Money
from apps.deals.models import Deal, DealState, Subscription, SubscriptionState
from apps.deals.services import (
    capital_call_issue,
    deal_create,
    deal_open,
    deal_update,
    subscription_create,
)
from tests.captable.conftest import make_issuer
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

DEALS = "/admin/deals/deal/"
SUBSCRIPTIONS = "/admin/deals/subscription/"


@pytest.fixture
def ops_client(books, admin_as) -> Client:
    return admin_as(books.ops)


@pytest.fixture
def vehicle(books):
    spv = make_issuer("Borealis vehicle", books.ops, kind="spv")
    units = share_class_create(issuer=spv, name="Units", class_type="units", by=books.ops)
    return spv, units


@pytest.fixture
def draft(books, vehicle) -> Deal:
    spv, units = vehicle
    return deal_create(
        name="Borealis draft",
        issuer=spv,
        share_class=units,
        asset_class="equity",
        currency="EUR",
        unit_price_minor=100,
        target_minor=eur(100_000).amount_minor,
        hard_cap_minor=eur(1_000_000).amount_minor,
        min_ticket_minor=eur(10_000).amount_minor,
        by=books.ops,
    )


def _deal_data(vehicle, **overrides) -> dict:
    spv, units = vehicle
    data = {
        "name": "Borealis co-investment",
        "issuer": spv.pk,
        "share_class": units.pk,
        "asset_class": "equity",
        "currency": "EUR",
        "eligible_regimes": ["fr_min_ticket_100k"],
        "opens_on": "",
        "closes_on": "2026-06-30",
        "unit_price": "1.25",
        "target": "500000",
        "hard_cap": "750000.50",
        "min_ticket": "100000",
        "max_ticket": "",
        "setup_fee_rate": "0.01",
        "management_fee_rate": "0.02",
        "management_fee_basis": "commitments",
        "carry_rate": "0.2",
        "hurdle_rate": "0.08",
        "catch_up_rate": "1",
        "waterfall_type": "european",
        "equalisation_rate": "0",
        "interest_rate": "",
        "day_count": "act_365",
        "hurdle_compounding": "compound",
        "hurdle_day_count": "act_365",
        "fee_offset_rate": "0",
        "clawback_tax_rate": "0",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def _draft_data(deal: Deal, **overrides) -> dict:
    """What the edit form of ``deal`` posts when nothing is typed over."""
    data = {
        "name": deal.name,
        "share_class": deal.share_class_id,
        "asset_class": deal.asset_class,
        "eligible_regimes": deal.eligible_regimes,
        "opens_on": "",
        "closes_on": "",
        "unit_price": "1.00",
        "target": "100000.00",
        "hard_cap": "1000000.00",
        "min_ticket": "10000.00",
        "max_ticket": "",
        "setup_fee_rate": "0",
        "management_fee_rate": "0",
        "management_fee_basis": deal.management_fee_basis,
        "carry_rate": "0",
        "hurdle_rate": "0",
        "catch_up_rate": "0",
        "waterfall_type": deal.waterfall_type,
        "equalisation_rate": "0",
        "interest_rate": "",
        "day_count": deal.day_count,
        "hurdle_compounding": deal.hurdle_compounding,
        "hurdle_day_count": deal.hurdle_day_count,
        "fee_offset_rate": "0",
        "clawback_tax_rate": "0",
    }
    data.update(overrides)
    return data


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _deal_rows() -> tuple[int, int]:
    return Deal.objects.count(), Deal.history.count()


def _subscription_rows() -> tuple[int, int]:
    return Subscription.objects.count(), Subscription.history.count()


# --- deals -------------------------------------------------------------------------------------


def test_the_deal_form_renders_for_operations_staff(books, vehicle, ops_client):
    response = ops_client.get(f"{DEALS}add/")

    assert response.status_code == 200
    form = response.context["form"]
    assert {"unit_price", "target", "hard_cap", "min_ticket", "max_ticket"} <= set(form.fields)
    assert not {"state", "created_by", "created_at", "target_minor"} & set(form.fields)
    shown = [field.name for _, fields in response.context["fieldsets"] for field in fields]
    assert sorted(shown) == sorted(form.fields)  # every field shown, once
    content = response.content.decode()
    assert 'name="hard_cap"' in content and "Create the draft" in content
    assert f"{DEALS}add/" in ops_client.get(DEALS).content.decode()  # the changelist offers it


def test_staff_who_may_not_add_deals_or_subscriptions_get_no_form(books, admin_as):
    client = admin_as(books.officer)  # compliance views deals, adds none

    for url in (DEALS, SUBSCRIPTIONS):
        assert client.get(f"{url}add/").status_code == 403
        assert client.post(f"{url}add/", {}).status_code == 403
        assert f"{url}add/" not in client.get(url).content.decode()
    assert _deal_rows() == (0, 0)


def test_creating_a_deal_converts_amounts_to_minor_units(books, vehicle, ops_client):
    response = ops_client.post(f"{DEALS}add/", _deal_data(vehicle))

    assert response.status_code == 302, response.context["form"].errors
    assert response.url == DEALS
    deal = Deal.objects.get()
    assert (deal.name, deal.issuer, deal.share_class) == ("Borealis co-investment", *vehicle)
    assert deal.state == DealState.DRAFT
    assert deal.created_by == books.ops
    assert deal.unit_price_minor == 125
    assert deal.target_minor == 50_000_000
    assert deal.hard_cap_minor == 75_000_050
    assert deal.min_ticket_minor == 10_000_000
    assert deal.max_ticket_minor is None
    assert deal.eligible_regimes == ["fr_min_ticket_100k"]
    assert (deal.setup_fee_rate, deal.carry_rate) == (Decimal("0.01"), Decimal("0.2"))
    created = deal.history.get()
    assert (created.history_type, created.history_user) == ("+", books.ops)
    assert any("created as a draft" in m for m in _messages(ops_client.get(DEALS)))


def test_an_empty_minimum_ticket_is_zero(books, vehicle, ops_client):
    ops_client.post(f"{DEALS}add/", _deal_data(vehicle, min_ticket="", max_ticket="250000"))

    deal = Deal.objects.get()
    assert (deal.min_ticket_minor, deal.max_ticket_minor) == (0, 25_000_000)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "USD"}, "currency", "the vehicle keeps its books in EUR"),  # the service's
        ({"target": "1000.001"}, "target", "more decimals than EUR allows"),
        ({"unit_price": "0.001"}, "unit_price", "more decimals than EUR allows"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"hard_cap": "1000"}, "hard_cap", "cannot be below the target (€500,000.00)"),
        ({"max_ticket": "10"}, "max_ticket", "cannot be below the minimum ticket"),
        ({"target": "0", "hard_cap": "0"}, "target", "must be more than nothing"),
        ({"min_ticket": "-1"}, "min_ticket", "greater than or equal to 0"),
        ({"carry_rate": "1"}, "carry_rate", "from 0 up to 1, 1 excluded"),
        ({"catch_up_rate": "1.5"}, "catch_up_rate", "from 0 to 1 (a full catch-up)"),
        # Past what the column holds: refused as typed, naming the largest amount it holds.
        (
            {"target": "100000000000000000000", "hard_cap": "100000000000000000000"},
            "target",
            "at most 92,233,720,368,547,758.07 EUR",
        ),
    ],
)
def test_a_bad_deal_is_shown_on_the_form_and_writes_nothing(
    books, vehicle, ops_client, overrides, field, message
):
    response = ops_client.post(f"{DEALS}add/", _deal_data(vehicle, **overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message in response.content.decode()
    assert _deal_rows() == (0, 0)


def test_a_share_class_of_another_vehicle_is_refused(books, vehicle, ops_client):
    other = make_issuer("Other vehicle", books.ops, kind="spv")
    foreign = share_class_create(issuer=other, name="Units", class_type="units", by=books.ops)

    response = ops_client.post(f"{DEALS}add/", _deal_data(vehicle, share_class=foreign.pk))

    assert response.status_code == 200
    assert response.context["form"].errors["share_class"] == [
        "“Other vehicle · Units” is not a class of Borealis vehicle."
    ]
    assert _deal_rows() == (0, 0)


def test_a_service_error_on_no_form_field_is_shown_above_the_form(
    books, vehicle, ops_client, monkeypatch
):
    def refuse(**fields):
        raise ValidationError({"state": ["cannot start here"], "__all__": ["not today"]})

    monkeypatch.setattr("apps.deals.admin.deals.deal_create", refuse)

    response = ops_client.post(f"{DEALS}add/", _deal_data(vehicle))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["state: cannot start here", "not today"]
    assert _deal_rows() == (0, 0)


def test_a_draft_shows_its_amounts_in_major_units(books, draft, ops_client):
    response = ops_client.get(f"{DEALS}{draft.pk}/change/")

    assert response.status_code == 200
    form = response.context["form"]
    assert form["target"].value() == Decimal("100000.00")
    assert form["min_ticket"].value() == Decimal("10000.00")
    assert form["max_ticket"].value() is None
    assert form.fields["currency"].disabled and form.fields["issuer"].disabled
    content = response.content.decode()
    assert 'name="target" value="100000.00"' in content
    assert f"{DEALS}{draft.pk}/history/" in content


def test_editing_a_draft_changes_its_terms_with_history(books, draft, ops_client):
    before = draft.history.count()

    response = ops_client.post(
        f"{DEALS}{draft.pk}/change/",
        _draft_data(draft, target="200000", currency="USD"),  # the currency is fixed: ignored
    )

    assert response.status_code == 302, response.context["form"].errors
    draft.refresh_from_db()
    assert draft.target_minor == 20_000_000
    assert (draft.currency, draft.hard_cap_minor, draft.state) == (
        "EUR",
        100_000_000,
        DealState.DRAFT,
    )
    assert draft.history.count() == before + 1
    changed = draft.history.first()
    assert (changed.history_type, changed.history_user) == ("~", books.ops)
    assert [c.field for c in changed.diff_against(changed.prev_record).changes] == ["target_minor"]
    assert "The terms of “Borealis draft” are saved." in _messages(ops_client.get(DEALS))


def test_saving_a_draft_unchanged_writes_nothing(books, draft, ops_client):
    before = draft.history.count()

    response = ops_client.post(f"{DEALS}{draft.pk}/change/", _draft_data(draft))

    assert response.status_code == 302
    assert draft.history.count() == before
    assert "Nothing changed." in _messages(ops_client.get(DEALS))


def test_a_bad_edit_of_a_draft_is_shown_and_writes_nothing(books, draft, ops_client):
    before = draft.history.count()

    response = ops_client.post(f"{DEALS}{draft.pk}/change/", _draft_data(draft, hard_cap="5"))

    assert response.status_code == 200
    assert "cannot be below the target" in response.context["form"].errors["hard_cap"][0]
    draft.refresh_from_db()
    assert (draft.hard_cap_minor, draft.history.count()) == (100_000_000, before)


def test_an_open_deal_shows_read_only_and_saves_nothing(books, ops_client):
    deal = books.deal("Atlas")
    before = deal.history.count()

    page = ops_client.get(f"{DEALS}{deal.pk}/change/")
    posted = ops_client.post(f"{DEALS}{deal.pk}/change/", {"target": "1", "name": "Renamed"})

    assert page.status_code == 200
    content = page.content.decode()
    assert "View deal" in content and 'name="target"' not in content
    assert "€100,000.00" in content  # the target, as money
    assert "no limit" in content  # the maximum ticket
    assert posted.status_code == 403
    deal.refresh_from_db()
    assert (deal.name, deal.target_minor) == ("Atlas", eur(100_000).amount_minor)
    assert deal.history.count() == before


def test_staff_who_may_not_change_deals_see_a_draft_read_only(books, draft, admin_as):
    client = admin_as(books.officer)

    page = client.get(f"{DEALS}{draft.pk}/change/")
    posted = client.post(f"{DEALS}{draft.pk}/change/", _draft_data(draft, target="1"))

    assert page.status_code == 200
    assert 'name="target"' not in page.content.decode()
    assert posted.status_code == 403
    draft.refresh_from_db()
    assert draft.target_minor == eur(100_000).amount_minor


def test_the_deal_list_shows_amounts_as_money(books, ops_client):
    books.deal("Atlas")

    response = ops_client.get(DEALS)

    content = response.content.decode()
    assert '<td class="field-target">€100,000.00</td>' in content
    assert '<td class="field-hard_cap">€10,000,000.00</td>' in content
    assert ops_client.get(DEALS, {"state__exact": "open"}).context["cl"].result_count == 1
    assert ops_client.get(DEALS, {"state__exact": "draft"}).context["cl"].result_count == 0
    assert "Open for subscriptions" in content  # the actions stay


# --- subscriptions -----------------------------------------------------------------------------


def test_the_subscription_form_lists_open_deals_only(books, draft, ops_client):
    deal = books.deal("Atlas")

    response = ops_client.get(f"{SUBSCRIPTIONS}add/")

    assert response.status_code == 200
    assert list(response.context["form"].fields["deal"].queryset) == [deal]
    content = response.content.decode()
    assert "admin-autocomplete" in content and "select2" in content


def test_the_investor_is_found_by_name(books, ops_client):
    person = books.investor(name="Ada Lovelace")

    response = ops_client.get(
        "/admin/autocomplete/",
        {
            "term": "Lovel",
            "app_label": "deals",
            "model_name": "subscription",
            "field_name": "investor",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(person.pk), "text": "Ada Lovelace"}]


def test_creating_a_subscription(books, ops_client):
    deal = books.deal("Atlas")
    person = books.investor()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/",
        {"deal": deal.pk, "investor": person.pk, "amount": "150000.50", "priority": "2"},
    )

    assert response.status_code == 302, response.context["form"].errors
    subscription = Subscription.objects.get()
    assert (subscription.deal, subscription.investor) == (deal, person)
    assert subscription.amount_minor == 15_000_050
    assert subscription.priority == 2
    assert subscription.state == SubscriptionState.DRAFT
    assert subscription.created_by == books.ops
    assert [(h.history_type, h.history_user) for h in subscription.history.order_by("pk")] == [
        ("+", books.ops)
    ]
    assert any(
        "for €150,000.50 recorded as a draft" in m for m in _messages(ops_client.get(SUBSCRIPTIONS))
    )


def test_a_subscription_without_priority_gets_the_default(books, ops_client):
    deal = books.deal("Atlas")
    person = books.investor()

    ops_client.post(
        f"{SUBSCRIPTIONS}add/", {"deal": deal.pk, "investor": person.pk, "amount": "100000"}
    )

    subscription = Subscription.objects.get()
    assert (subscription.amount_minor, subscription.priority) == (10_000_000, 1)
    assert subscription.history.count() == 1


def test_a_refused_subscription_shows_the_reason_and_writes_nothing(books, ops_client):
    deal = books.deal("Atlas")  # minimum ticket EUR 100,000
    person = books.investor()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/",
        {"deal": deal.pk, "investor": person.pk, "amount": "50000", "priority": "2"},
    )

    assert response.status_code == 200
    reason = "€50,000.00 is below the minimum ticket of €100,000.00"
    assert response.context["form"].non_field_errors() == [reason]
    assert "below the minimum ticket" in response.content.decode()
    assert _subscription_rows() == (0, 0)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("100000.001", "more decimals than EUR allows"), ("0", "must be more than nothing")],
)
def test_a_bad_amount_is_a_field_error(books, ops_client, amount, message):
    deal = books.deal("Atlas")
    person = books.investor()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/", {"deal": deal.pk, "investor": person.pk, "amount": amount}
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors["amount"][0]
    assert _subscription_rows() == (0, 0)


def test_a_second_subscription_of_the_same_investor_is_shown_not_a_crash(books, ops_client):
    deal = books.deal("Atlas")
    person = books.investor()
    subscription_create(deal=deal, investor=person, amount=eur(100_000), by=books.ops)
    before = _subscription_rows()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/", {"deal": deal.pk, "investor": person.pk, "amount": "200000"}
    )

    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["form"].non_field_errors())
    assert _subscription_rows() == before


def test_a_deal_not_open_cannot_be_chosen(books, draft, ops_client):
    person = books.investor()

    response = ops_client.post(
        f"{SUBSCRIPTIONS}add/", {"deal": draft.pk, "investor": person.pk, "amount": "100000"}
    )

    assert response.status_code == 200
    assert "deal" in response.context["form"].errors
    assert _subscription_rows() == (0, 0)


def test_withdrawing_subscriptions(books, ops_client):
    deal = books.deal("Atlas")
    draft = subscription_create(
        deal=deal, investor=books.investor(), amount=eur(100_000), by=books.ops
    )
    funded = books.subscribe(deal, eur(200_000))  # past signing: cannot be withdrawn

    response = ops_client.post(
        SUBSCRIPTIONS,
        {"action": "withdraw", "_selected_action": [draft.pk, funded.pk]},
        follow=True,
    )

    shown = _messages(response)
    assert "1 withdrawn." in shown
    assert any(m.startswith(f"{funded}: ") for m in shown), shown
    draft.refresh_from_db()
    funded.refresh_from_db()
    reason = f"Withdrawn from the admin by {books.ops}"
    assert (draft.state, draft.reasons) == (SubscriptionState.WITHDRAWN, [reason])
    latest = draft.history.first()
    assert (latest.history_user, latest.history_change_reason) == (books.ops, reason)
    assert funded.state == SubscriptionState.FUNDED


def test_staff_who_may_not_change_subscriptions_are_not_offered_withdrawal(
    books, admin_as, ops_client
):
    deal = books.deal("Atlas")
    draft = subscription_create(
        deal=deal, investor=books.investor(), amount=eur(100_000), by=books.ops
    )
    client = admin_as(books.officer)

    assert 'value="withdraw"' not in client.get(SUBSCRIPTIONS).content.decode()
    client.post(SUBSCRIPTIONS, {"action": "withdraw", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.state == SubscriptionState.DRAFT
    assert '<option value="withdraw">Withdraw</option>' in (
        ops_client.get(SUBSCRIPTIONS).content.decode()
    )


def test_the_subscription_list_and_page_show_amounts_as_money(books, ops_client):
    deal = books.deal("Atlas")
    subscription = subscription_create(
        deal=deal, investor=books.investor(), amount=eur("150000.5"), by=books.ops
    )

    response = ops_client.get(SUBSCRIPTIONS)

    content = response.content.decode()
    assert '<td class="field-amount">€150,000.50</td>' in content
    assert '<td class="field-accepted">-</td>' in content
    assert ops_client.get(SUBSCRIPTIONS, {"state__exact": "draft"}).context["cl"].result_count == 1
    assert "Record the signature" in content  # the actions stay
    page = ops_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/change/").content.decode()
    assert "€150,000.50" in page
    deal_page = "".join(ops_client.get(f"{DEALS}{deal.pk}/change/").content.decode().split())
    assert '<tdclass="field-amount"><p>€150,000.50</p></td>' in deal_page  # the inline


def test_terms_of_a_deal_opened_meanwhile_are_refused(books, draft):
    deal_open(deal=draft, by=books.ops)

    with pytest.raises(ValidationError, match="is open: only a draft's terms change"):
        deal_update(deal=draft, data={"target_minor": 1}, by=books.ops)

    draft.refresh_from_db()
    assert draft.target_minor == eur(100_000).amount_minor


def test_staff_who_only_view_deals_cannot_move_them_along(books, draft, admin_as):
    client = admin_as(books.officer)  # compliance: views deals, changes none

    assert 'value="open_deals"' not in client.get(DEALS).content.decode()
    client.post(DEALS, {"action": "open_deals", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.state == DealState.DRAFT


def test_a_deals_page_shows_its_closings_and_calls(books, ops_client):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000)])
    capital_call_issue(
        deal=fund,
        amount=eur("2500.50"),
        call_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        by=books.ops,
        approved_by=books.finance,
        purpose="bridge",
    )

    page = ops_client.get(f"{DEALS}{fund.pk}/change/").content.decode()

    assert "€100,000.00" in page and "€2,500.50" in page and "bridge" in page
    assert page.count("Executed") >= 2


def test_every_version_of_a_deal_its_subscription_and_its_operation_renders_read_only(
    books, ops_client
):
    from apps.ledger.models import Operation

    deal = books.deal("Atlas", setup_fee_rate=Decimal("0.01"))
    subscription = books.subscribe(deal, eur(100_000))
    operation = Operation.objects.filter(state="executed").latest("sequence")
    pages = []
    for record, base in (
        (deal, DEALS),
        (subscription, SUBSCRIPTIONS),
        (operation, "/admin/ledger/operation/"),
    ):
        pages.append(ops_client.get(f"{base}{record.pk}/history/"))
        for version in record.history.all():
            pages.append(ops_client.get(f"{base}{record.pk}/history/{version.history_id}/"))
            refused = ops_client.post(f"{base}{record.pk}/history/{version.history_id}/", {})
            assert refused.status_code == 405

    assert {page.status_code for page in pages} == {200}
    assert len(pages) > 6
    first = deal.history.earliest().history_id
    deal_version = ops_client.get(f"{DEALS}{deal.pk}/history/{first}/").content.decode()
    assert Money(deal.hard_cap_minor, "EUR").format() in deal_version
    assert f">{deal.hard_cap_minor}<" not in deal_version
