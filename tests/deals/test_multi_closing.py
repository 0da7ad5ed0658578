"""A deal may close in several closings at the same price, later investors paying equalisation."""

from datetime import date
from decimal import Decimal

import pytest

from apps.captable.selectors import cap_table
from apps.deals.models import Closing, DealState, SubscriptionState
from apps.deals.services import (
    OperationRefused,
    TransitionRefused,
    deal_close,
    subscriptions_scale_back,
)
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

FIRST = date(2026, 1, 1)
SECOND = date(2026, 7, 1)  # 181 days later


def test_a_later_closing_pays_the_earlier_investors_equalisation_interest(books):
    deal = books.deal(
        "Atlas", equalisation_rate=Decimal("0.05"), hard_cap_minor=eur(1_000_000).amount_minor
    )
    first = books.close(deal, [eur(100_000), eur(200_000)], on=FIRST, final=False)
    early = books.investors_of(deal)
    deal.refresh_from_db()
    assert deal.state == DealState.OPEN and not first.final

    late = books.investor(cash=eur(400_000))  # equalisation on top of the amount
    books.subscribe(deal, eur(365_000), person=late)
    second = books.close(deal, on=SECOND)

    # 365,000.00 x 5 % x 181 / 365 = 9,050.00, shared 1:2 by the first closing's investors.
    assert second.equalisation_minor == 905_000
    assert books.cash(late) == eur(400_000) - eur(365_000) - eur(9_050)
    assert sorted(books.cash(i) for i in early) == [eur("3016.67"), eur("6033.33")]
    units = {row.holder: row.units for row in cap_table(deal.issuer).rows}
    assert units[late.legal_name] == Decimal(365_000)  # the same price as the first closing
    deal.refresh_from_db()
    assert deal.state == DealState.CLOSED and second.final and second.number == 2
    assert ledger_verify_report().passed


def test_a_later_closing_scales_back_within_what_the_first_left_under_the_cap(books):
    deal = books.deal("Capped", hard_cap_minor=eur(500_000).amount_minor)
    books.close(deal, [eur(300_000)], on=FIRST, final=False)
    for amount in (eur(200_000), eur(200_000)):
        books.subscribe(deal, amount)

    accepted = subscriptions_scale_back(deal=deal, by=books.ops)

    assert sorted(accepted.values()) == [eur(100_000).amount_minor] * 2


def test_a_subscription_scaled_back_to_nothing_is_rejected_at_closing(books):
    deal = books.deal("Full", hard_cap_minor=eur(300_000).amount_minor)
    first = books.subscribe(deal, eur(300_000))
    first_only = deal.subscriptions.model.objects.filter(pk=first.pk)
    first_only.update(priority=0)  # served first; the next one gets nothing
    books.subscribe(deal, eur(100_000))

    closing = books.close(deal)

    states = dict(deal.subscriptions.values_list("state", "accepted_minor"))
    assert states == {SubscriptionState.ACCEPTED: 30_000_000, SubscriptionState.REJECTED: 0}
    assert closing.amount_minor == 30_000_000


def test_a_final_closing_needs_the_deal_in_closing(books):
    deal = books.deal("Open")
    books.subscribe(deal, eur(100_000))
    subscriptions_scale_back(deal=deal, by=books.ops)
    with pytest.raises(TransitionRefused, match="a final closing is not possible"):
        deal_close(deal=deal, by=books.ops, approved_by=books.finance, effective_date=FIRST)
    assert not Closing.objects.exists()


def test_a_later_closing_dated_before_the_first_is_refused(books):
    deal = books.deal("Backdated", equalisation_rate=Decimal("0.05"))
    books.close(deal, [eur(100_000)], on=SECOND, final=False)
    books.subscribe(deal, eur(100_000))
    subscriptions_scale_back(deal=deal, by=books.ops)

    with pytest.raises(OperationRefused, match="a later closing cannot be dated 2026-01-01"):
        deal_close(
            deal=deal, by=books.ops, approved_by=books.finance, effective_date=FIRST, final=False
        )
    assert Closing.objects.count() == 1
