"""A deal ends cancelled (before anything closed) or wound up (once its vehicle is empty)."""

from datetime import date

import pytest

from apps.deals.models import DealState, SubscriptionState
from apps.deals.services import (
    TransitionRefused,
    deal_cancel,
    deal_operation_reverse,
    deal_wind_up,
    distribution_record,
)
from apps.ledger.services import operation_approve, operation_execute
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db


def test_cancelling_a_deal_rejects_its_live_subscriptions_with_the_reason(books):
    deal = books.deal("Atlas")
    subscription = books.subscribe(deal, eur(100_000))

    cancelled = deal_cancel(deal=deal, by=books.ops, reason="the company withdrew the round")

    assert cancelled.state == DealState.CANCELLED
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.REJECTED
    assert subscription.reasons == ["the deal was cancelled: the company withdrew the round"]
    assert subscription.history.first().history_change_reason == "the company withdrew the round"


def test_a_deal_with_a_closing_is_cancelled_only_once_the_closing_is_reversed(books):
    from apps.accounts.roles import Role
    from tests.factories import UserFactory

    deal = books.deal("Atlas")
    closing = books.close(deal, [eur(100_000)], final=False)

    with pytest.raises(TransitionRefused, match="reverse them before cancelling"):
        deal_cancel(deal=deal, by=books.ops, reason="no")

    reversal = deal_operation_reverse(operation=closing.operation, by=books.finance, reason="x")
    checker = UserFactory(is_staff=True, roles=[Role.FINANCE])
    operation_execute(operation=operation_approve(operation=reversal, by=checker), by=checker)
    assert deal_cancel(deal=deal, by=books.ops, reason="no").state == DealState.CANCELLED


def test_a_vehicle_is_wound_up_only_once_it_holds_no_cash(books):
    deal = books.deal("Atlas")
    books.close(deal, [eur(100_000)])

    with pytest.raises(TransitionRefused, match=r"still holds €100,000\.00"):
        deal_wind_up(deal=deal, by=books.ops, reason="liquidated")

    distribution_record(
        deal=deal,
        proceeds=eur(100_000),
        on=date(2026, 6, 1),
        by=books.ops,
        approved_by=books.finance,
    )
    assert deal_wind_up(deal=deal, by=books.ops, reason="liquidated").state == DealState.WOUND_UP


def test_a_reason_is_required(books):
    deal = books.deal("Atlas")
    with pytest.raises(TransitionRefused, match="say why"):
        deal_cancel(deal=deal, by=books.ops, reason=" ")


@pytest.mark.parametrize("role", ["auditor", "compliance", "administrator"])
def test_a_role_that_may_not_change_deals_cannot_move_one_through_the_service(books, role):
    from apps.accounts.roles import Role
    from apps.core.exceptions import PermissionRefused
    from apps.deals.services import subscription_create, subscription_submit
    from tests.factories import UserFactory

    deal = books.deal("Atlas")
    subscription = subscription_create(
        deal=deal, investor=books.investor(), amount=eur(100_000), by=books.ops
    )
    outsider = UserFactory(is_staff=True, roles=[Role(role)])
    before = (deal.history.count(), subscription.history.count())

    with pytest.raises(PermissionRefused, match="may not change deal"):
        deal_cancel(deal=deal, by=outsider, reason="not mine to cancel")
    with pytest.raises(PermissionRefused, match="may not submit subscriptions"):
        subscription_submit(subscription=subscription, by=outsider)

    deal.refresh_from_db()
    subscription.refresh_from_db()
    assert (deal.state, subscription.state) == (DealState.OPEN, SubscriptionState.DRAFT)
    assert (deal.history.count(), subscription.history.count()) == before
