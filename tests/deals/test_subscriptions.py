"""Deals open, take subscriptions checked against their terms and the investor's eligibility,
and scale over-subscription back exactly to the hard cap."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.deals.models import Deal, DealState, Subscription, SubscriptionState
from apps.deals.services import (
    SubscriptionRefused,
    TransitionRefused,
    deal_create,
    deal_open,
    scaled_back,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscriptions_scale_back,
)
from tests.captable.conftest import make_issuer
from tests.deals.conftest import eur, investor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS])


@pytest.fixture
def officer(db):
    return UserFactory(is_staff=True, roles=[Role.COMPLIANCE])


@pytest.fixture
def deal(ops) -> Deal:
    deal = deal_create(
        name="Helio Series A co-investment",
        issuer=make_issuer("Helio Co-invest SPV", ops, kind="spv"),
        asset_class="equity",
        currency="EUR",
        unit_price_minor=100,
        target_minor=eur(800_000).amount_minor,
        hard_cap_minor=eur(1_000_000).amount_minor,
        min_ticket_minor=eur(100_000).amount_minor,
        max_ticket_minor=eur(500_000).amount_minor,
        eligible_regimes=["fr_min_ticket_100k"],
        by=ops,
    )
    return deal_open(deal=deal, by=ops)


def test_a_deal_goes_from_draft_to_open_and_cannot_open_twice(deal, ops):
    assert deal.state == DealState.OPEN

    with pytest.raises(TransitionRefused, match="is open: it cannot open"):
        deal_open(deal=deal, by=ops)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Money(60_000_000, "EUR"), "above the maximum ticket of €500,000.00"),
        (Money(5_000_000, "EUR"), "below the minimum ticket of €100,000.00"),
        (Money(20_000_000, "USD"), "the deal is in EUR, not USD"),
    ],
)
def test_a_subscription_outside_the_terms_is_refused_and_nothing_is_written(
    deal, ops, officer, amount, reason
):
    person = investor(ops, officer, "Camille Rousseau")

    with pytest.raises(SubscriptionRefused, match=reason):
        subscription_create(deal=deal, investor=person, amount=amount, by=ops)

    assert not Subscription.objects.exists()


def test_an_ineligible_investor_is_refused_with_the_reasons(deal, ops, officer):
    person = investor(ops, officer, "Hugo Bernard", qualified=False)
    subscription = subscription_create(deal=deal, investor=person, amount=eur(150_000), by=ops)

    with pytest.raises(SubscriptionRefused, match="fr_min_ticket_100k: not assessed yet"):
        subscription_submit(subscription=subscription, by=ops)

    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.DRAFT


def test_an_eligible_subscription_moves_to_funded(deal, ops, officer):
    person = investor(ops, officer, "Camille Rousseau")
    subscription = subscription_create(deal=deal, investor=person, amount=eur(150_000), by=ops)

    subscription = subscription_submit(subscription=subscription, by=ops)
    assert subscription.state == SubscriptionState.ELIGIBLE
    assert subscription.reasons[0] == "qualified under fr_min_ticket_100k"
    subscription = subscription_fund(
        subscription=subscription_sign(subscription=subscription, by=ops), by=ops
    )

    assert subscription.state == SubscriptionState.FUNDED
    assert subscription.history.latest().history_user == ops


def _live(deal, ops, officer, amounts: list[int], priorities: list[int] | None = None):
    subscriptions = []
    for index, amount in enumerate(amounts):
        person = investor(ops, officer, f"Investor {index:03d}")
        subscription = subscription_create(deal=deal, investor=person, amount=eur(amount), by=ops)
        if priorities:
            Subscription.objects.filter(pk=subscription.pk).update(priority=priorities[index])
        subscriptions.append(subscription_submit(subscription=subscription, by=ops))
    return subscriptions


def test_over_subscription_is_scaled_back_pro_rata_to_exactly_the_hard_cap(deal, ops, officer):
    subscriptions = _live(deal, ops, officer, [500_000, 400_000, 300_000])

    accepted = subscriptions_scale_back(deal=deal, by=ops)

    assert sum(accepted.values()) == deal.hard_cap_minor
    # 1,000,000 over 1,200,000 asked: 5/12 x 1,000,000 = 416,666.666… and so on.
    assert [accepted[s.pk] for s in subscriptions] == [41_666_667, 33_333_333, 25_000_000]
    assert Subscription.history.filter(accepted_minor__isnull=False).count() == 3


def test_a_priority_tier_is_served_first(deal, ops, officer):
    subscriptions = _live(deal, ops, officer, [400_000, 400_000, 400_000], priorities=[2, 1, 1])

    accepted = subscriptions_scale_back(deal=deal, by=ops)

    assert [accepted[s.pk] for s in subscriptions] == [20_000_000, 40_000_000, 40_000_000]


def test_an_under_subscribed_deal_accepts_every_amount_asked(deal, ops, officer):
    subscriptions = _live(deal, ops, officer, [300_000, 200_000])

    accepted = subscriptions_scale_back(deal=deal, by=ops)

    assert [accepted[s.pk] for s in subscriptions] == [30_000_000, 20_000_000]


@given(
    requests=st.lists(
        st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=10**9)),
        min_size=1,
        max_size=60,
    ),
    cap=st.integers(min_value=0, max_value=10**10),
)
def test_scale_back_fills_exactly_up_to_the_cap_and_never_beyond_what_was_asked(requests, cap):
    parts = scaled_back(cap=cap, asked=requests)

    assert sum(parts) == min(cap, sum(amount for _, amount in requests))
    assert all(0 <= part <= amount for part, (_, amount) in zip(parts, requests, strict=True))
    # A tier is served before any later tier gets anything.
    for (priority, _), part in zip(requests, parts, strict=True):
        if part:
            assert all(
                other_part == other_amount
                for (other_priority, other_amount), other_part in zip(requests, parts, strict=True)
                if other_priority < priority
            )


def test_operations_staff_submit_from_the_admin_and_ineligible_ones_are_reported(
    staff_client, deal, ops, officer
):
    from django.contrib.messages import get_messages

    from tests.factories import StaffFactory

    good = subscription_create(
        deal=deal, investor=investor(ops, officer, "Qualified One"), amount=eur(150_000), by=ops
    )
    bad = subscription_create(
        deal=deal,
        investor=investor(ops, officer, "Not Assessed", qualified=False),
        amount=eur(150_000),
        by=ops,
    )
    client = staff_client(StaffFactory(roles=[Role.OPERATIONS]))

    response = client.post(
        "/admin/deals/subscription/",
        {"action": "submit", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )

    shown = [str(message) for message in get_messages(response.wsgi_request)]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.state, bad.state) == (SubscriptionState.ELIGIBLE, SubscriptionState.DRAFT)
    assert any("not assessed yet" in message for message in shown)
    assert client.get("/admin/deals/deal/", {"state__exact": "open"}).status_code == 200


def test_a_subscription_of_nothing_is_refused(deal, ops, officer):
    with pytest.raises(SubscriptionRefused, match="a subscription is for a positive amount"):
        subscription_create(
            deal=deal, investor=investor(ops, officer, "Zero"), amount=eur(0), by=ops
        )
    assert not Subscription.objects.exists()


def test_terms_that_cannot_work_are_refused_each_on_its_field(ops):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        deal_create(
            name="Broken terms",
            issuer=make_issuer("Broken SPV", ops, kind="spv"),
            asset_class="equity",
            currency="EUR",
            unit_price_minor=0,
            target_minor=eur(800_000).amount_minor,
            hard_cap_minor=eur(500_000).amount_minor,
            min_ticket_minor=eur(100_000).amount_minor,
            max_ticket_minor=eur(50_000).amount_minor,
            carry_rate=Decimal(1),
            catch_up_rate=Decimal(1),
            by=ops,
        )

    assert refused.value.message_dict == {
        "unit_price_minor": ["A unit must cost more than nothing."],
        "hard_cap_minor": ["The hard cap cannot be below the target (€800,000.00)."],
        "max_ticket_minor": [
            "The maximum ticket cannot be below the minimum ticket (€100,000.00)."
        ],
        "carry_rate": ["A rate is from 0 up to 1, 1 excluded (0.02 is 2 %)."],
    }
    assert not Deal.objects.exists()
