"""A closing moves cash, fees and units in one operation, or nothing at all."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.captable.selectors import cap_table
from apps.core.money import Money
from apps.deals.models import DealState, SubscriptionState
from apps.deals.services import (
    deal_close,
    deal_start_closing,
    distribution_record,
    subscriptions_scale_back,
)
from apps.ledger.exceptions import InsufficientBalance
from apps.ledger.models import Account, Entry, Operation
from apps.ledger.selectors import balance
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

CLOSING_DAY = date(2026, 6, 30)


def _ready(books, amounts, *, short_by: int = 0):
    """Atlas in closing, with funded subscriptions of ``amounts`` (EUR) and each investor
    holding the amount and the 2 % setup fee, less ``short_by`` minor units."""
    deal = books.deal(
        "Atlas co-investment",
        target_minor=eur(200_000).amount_minor,
        hard_cap_minor=eur(500_000).amount_minor,
        setup_fee_rate=Decimal("0.02"),
    )
    subscriptions = []
    for index, amount in enumerate(amounts):
        person = books.investor(
            cash=eur(amount).times(Decimal("1.02")) - Money(short_by, "EUR"),
            name=f"Investor {index}",
        )
        subscriptions.append(books.subscribe(deal, eur(amount), person=person))
    subscriptions_scale_back(deal=deal, by=books.ops)
    deal_start_closing(deal=deal, by=books.ops)
    return deal, subscriptions


def test_a_closing_posts_cash_fees_and_units_in_one_operation(books):
    deal, subscriptions = _ready(books, [150_000, 250_000])

    operation = deal_close(
        deal=deal, by=books.ops, approved_by=books.finance, effective_date=CLOSING_DAY
    ).operation

    deal.refresh_from_db()
    assert deal.state == DealState.CLOSED
    assert operation.kind == "closing" and operation.state == "executed"
    assert operation.movements.count() == 2
    vehicle = Account.objects.get(
        owner_type=ContentType.objects.get_for_model(deal.issuer), owner_id=deal.issuer_id
    )
    fees = Account.objects.get(owner_type__isnull=True, purpose="fee")
    assert balance(vehicle) == eur(400_000)
    assert balance(fees) == eur(8_000)
    table = {row.holder: row.units for row in cap_table(deal.issuer, as_of=CLOSING_DAY).rows}
    assert table == {"Investor 1": Decimal(250_000), "Investor 0": Decimal(150_000)}  # at 1.00 EUR
    assert {s.state for s in deal.subscriptions.all()} == {SubscriptionState.ACCEPTED}
    assert all(books.cash(s.investor) == eur(0) for s in subscriptions)
    assert ledger_verify_report().passed


def test_a_closing_with_an_investor_short_of_cash_writes_nothing(books):
    deal, _ = _ready(books, [150_000, 250_000], short_by=1)
    before = (Operation.objects.count(), Entry.objects.count())

    with pytest.raises(InsufficientBalance, match=r"short of 0\.01 EUR"):
        deal_close(deal=deal, by=books.ops, approved_by=books.finance, effective_date=CLOSING_DAY)

    deal.refresh_from_db()
    assert deal.state == DealState.CLOSING
    assert (Operation.objects.count(), Entry.objects.count()) == before
    assert cap_table(deal.issuer).rows == []


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_a_closing_and_a_distribution_issue_as_many_queries_for_3_investors_as_for_12(books):
    counts = []
    for size in (2, 3, 12):  # the first opens the platform's fee and carry accounts
        deal = books.deal(f"Deal of {size}", setup_fee_rate=Decimal("0.01"))
        for _ in range(size):
            books.subscribe(deal, eur(100_000))
        subscriptions_scale_back(deal=deal, by=books.ops)
        deal_start_closing(deal=deal, by=books.ops)
        closing = _queries(
            lambda deal=deal: deal_close(
                deal=deal, by=books.ops, approved_by=books.finance, effective_date=CLOSING_DAY
            )
        )
        books.deposit(deal.issuer, eur(1_000))
        deal.refresh_from_db()
        distribution = _queries(
            lambda deal=deal, size=size: distribution_record(
                deal=deal,
                proceeds=eur(100_000 * size + 1_000),
                on=date(2027, 1, 1),
                by=books.ops,
                approved_by=books.finance,
            )
        )
        counts.append((closing, distribution))

    assert counts[1] == counts[2]
