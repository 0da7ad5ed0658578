"""Management fees are charged to each investor by operation, once per day of the year."""

from datetime import date
from decimal import Decimal

import pytest

from apps.deals.models import FeeCharge
from apps.deals.services import (
    OperationRefused,
    capital_call_issue,
    capital_call_payment_record,
    management_fee_charge,
)
from apps.ledger.exceptions import InsufficientBalance
from apps.ledger.models import Account, Operation
from apps.ledger.selectors import balance
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

Q1 = (date(2026, 1, 1), date(2026, 4, 1))  # 90 days


def _charge(books, deal, period=Q1):
    return management_fee_charge(
        deal=deal,
        period_start=period[0],
        period_end=period[1],
        by=books.ops,
        approved_by=books.finance,
    )


@pytest.fixture
def spv(books):
    deal = books.deal("Atlas", management_fee_rate=Decimal("0.02"))
    books.close(deal, [eur(100_000), eur("123456.78")])
    for investor in books.investors_of(deal):
        books.deposit(investor, eur(5_000))
    return deal


def test_each_investor_pays_the_yearly_rate_for_the_days_rounded_once(books, spv):
    charge = _charge(books, spv)

    # 100,000.00 x 2 % x 90 / 365 = 493.150684... and 123,456.78 x ... = 608.822...
    paid = sorted(eur(5_000) - books.cash(i) for i in books.investors_of(spv))
    assert paid == [eur("493.15"), eur("608.83")]
    income = Account.objects.get(owner_type__isnull=True, name="Management fees (EUR)")
    assert balance(income) == eur("1101.98") and charge.amount_minor == 110_198


def test_a_period_already_charged_is_refused_and_nothing_is_written(books, spv):
    _charge(books, spv)
    before = Operation.objects.count()

    with pytest.raises(OperationRefused, match="already charged 2026-01-01 to 2026-04-01"):
        _charge(books, spv, (date(2026, 3, 31), date(2026, 7, 1)))

    assert Operation.objects.count() == before
    _charge(books, spv, (date(2026, 4, 1), date(2026, 7, 1)))  # the next quarter is fine


def test_an_investor_short_of_cash_stops_the_whole_charge(books, spv):
    poor = books.investors_of(spv)[0]
    books.deposit(poor, -eur(5_000))  # takes it all back
    with pytest.raises(InsufficientBalance):
        _charge(books, spv)
    assert not FeeCharge.objects.exists()


def test_a_fund_charging_on_invested_capital_counts_only_what_was_paid_in(books):
    fund = books.deal(
        "Orion",
        drawn_by_calls=True,
        management_fee_rate=Decimal("0.02"),
        management_fee_basis="invested",
    )
    books.close(fund, [eur(365_000), eur(730_000)])
    fund.refresh_from_db()
    call = capital_call_issue(
        deal=fund,
        amount=eur(109_500),
        call_date=date(2026, 2, 1),
        due_date=date(2026, 2, 1),
        by=books.ops,
        approved_by=books.finance,
    )
    payer = call.notices.order_by("amount_minor").first()  # owes 36,500.00
    books.deposit(payer.investor, eur(40_000))
    capital_call_payment_record(
        notice=payer,
        amount=eur(36_500),
        paid_on=date(2026, 2, 1),
        by=books.ops,
        approved_by=books.finance,
    )

    charge = _charge(books, fund)

    assert charge.amount_minor == eur(180).amount_minor  # 36,500 x 2 % x 90 / 365
    assert books.cash(payer.investor) == eur(3_320)


def test_an_inverted_period_is_refused(books, spv):
    with pytest.raises(OperationRefused, match="ends after it starts"):
        _charge(books, spv, (date(2026, 4, 1), date(2026, 4, 1)))
