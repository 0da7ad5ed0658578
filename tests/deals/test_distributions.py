"""Distributions run proceeds through the waterfall to the investors and the carry account."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.core.money import Money
from apps.deals.models import DealState, Distribution
from apps.deals.services import (
    OperationRefused,
    capital_call_issue,
    capital_call_payment_record,
    distribution_record,
    interest_distribute,
)
from apps.ledger.models import Account, Operation
from apps.ledger.selectors import balance
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

START = date(2020, 1, 1)
EXIT = date(2025, 1, 1)
TERMS = {
    "hurdle_rate": Decimal("0.08"),
    "carry_rate": Decimal("0.20"),
    "catch_up_rate": Decimal("1"),
}


def _vehicle_cash(deal) -> Account:
    return Account.objects.get(
        owner_type=ContentType.objects.get_for_model(deal.issuer),
        owner_id=deal.issuer_id,
        purpose="cash",
    )


def _proceeds(books, deal, amount: Money) -> None:
    books.deposit(deal.issuer, amount)


def _distribute(books, deal, proceeds, on=EXIT, **kwargs):
    return distribution_record(
        deal=deal, proceeds=proceeds, on=on, by=books.ops, approved_by=books.finance, **kwargs
    )


@pytest.fixture
def spv(books):
    deal = books.deal("Atlas", **TERMS)
    books.close(deal, [eur(2_000_000), eur(3_000_000), eur(5_000_000)], on=START)
    deal.refresh_from_db()
    return deal


def test_the_worked_example_pays_each_investor_pro_rata_and_the_carry_to_the_cent(books, spv):
    _proceeds(books, spv, eur(25_000_000))

    distribution = _distribute(books, spv, eur(25_000_000), closes_deal=True)

    assert [(t["name"], t["lp_minor"], t["gp_minor"]) for t in distribution.tiers] == [
        ("return of capital", 1_000_000_000, 0),
        ("preferred return", 469_947_829, 0),
        ("catch-up", 0, 117_486_957),
        ("split", 730_052_171, 182_513_043),
    ]
    assert (distribution.lp_minor, distribution.gp_minor) == (2_200_000_000, 300_000_000)
    received = sorted(books.cash(i) for i in books.investors_of(spv))
    assert received == [eur(4_400_000), eur(6_600_000), eur(11_000_000)]
    carry = Account.objects.get(owner_type__isnull=True, name="Carried interest (EUR)")
    assert balance(carry) == eur(3_000_000)
    assert balance(_vehicle_cash(spv)) == eur(10_000_000)  # the capital it invested stays
    spv.refresh_from_db()
    assert spv.state == DealState.EXITED
    assert ledger_verify_report().passed


def test_each_tier_is_shared_by_units_and_the_lines_add_up_exactly(books):
    deal = books.deal("Odd", **TERMS)
    books.close(deal, [eur(100_000), eur(100_000), eur(100_000)], on=START)
    _proceeds(books, deal, eur("1000000.00"))

    distribution = _distribute(books, deal, eur("1000000.00"))

    lines = sorted(line.amount_minor for line in distribution.lines.all())
    assert sum(lines) == distribution.lp_minor
    assert lines[-1] - lines[0] <= 4  # one cent of remainder per tier at most
    assert distribution.lp_minor + distribution.gp_minor == 100_000_000


def test_a_prior_distribution_returns_capital_first_then_the_hurdle_runs_on_the_rest(books, spv):
    _proceeds(books, spv, eur(25_000_000))
    first = _distribute(books, spv, eur(4_000_000), on=date(2022, 1, 1))
    assert (first.lp_minor, first.gp_minor) == (400_000_000, 0)  # all return of capital

    second = _distribute(books, spv, eur(21_000_000))

    tiers = {t["name"]: (t["lp_minor"], t["gp_minor"]) for t in second.tiers}
    assert tiers["return of capital"] == (600_000_000, 0)
    # The hurdle stops accruing on the 4,000,000.00 returned on 2022-01-01.
    assert 0 < tiers["preferred return"][0] < 469_947_829
    assert second.proceeds_minor == 2_100_000_000
    assert ledger_verify_report().passed


def test_an_american_deal_pays_carry_on_its_own_flows(books):
    deal = books.deal("Deal by deal", waterfall_type="american", **TERMS)
    books.close(deal, [eur(1_000_000)], on=START)
    _proceeds(books, deal, eur(3_000_000))

    distribution = _distribute(books, deal, eur(3_000_000))

    assert distribution.gp_minor == 40_000_000  # 20 % of the 2,000,000.00 profit
    assert distribution.lp_minor == 260_000_000


def test_a_fund_counts_call_payments_as_its_contributions(books):
    fund = books.deal("Orion Fund I", drawn_by_calls=True, asset_class="fund_units", **TERMS)
    books.close(fund, [eur(1_000_000)], on=START)
    fund.refresh_from_db()
    call = capital_call_issue(
        deal=fund,
        amount=eur(600_000),
        call_date=START,
        due_date=START,
        by=books.ops,
        approved_by=books.finance,
    )
    notice = call.notices.get()
    books.deposit(notice.investor, eur(600_000))
    capital_call_payment_record(
        notice=notice, amount=eur(600_000), paid_on=START, by=books.ops, approved_by=books.finance
    )
    _proceeds(books, fund, eur(400_000))

    distribution = _distribute(books, fund, eur(1_000_000))

    tiers = {t["name"]: t["lp_minor"] for t in distribution.tiers}
    assert tiers["return of capital"] == 60_000_000


@pytest.mark.parametrize(
    ("proceeds", "error"),
    [
        (Money(1_000_00, "USD"), "in USD is refused"),
        (eur(0), "positive amount"),
    ],
)
def test_a_bad_distribution_is_refused_and_nothing_is_written(books, spv, proceeds, error):
    _proceeds(books, spv, eur(1_000))
    before = Operation.objects.count()
    with pytest.raises(OperationRefused, match=error):
        _distribute(books, spv, proceeds)
    assert Operation.objects.count() == before
    assert not Distribution.objects.exists()


def test_a_vehicle_cannot_distribute_cash_it_does_not_hold(books, spv):
    from apps.ledger.exceptions import InsufficientBalance

    with pytest.raises(InsufficientBalance):
        _distribute(books, spv, eur("10000000.01"))
    assert not Distribution.objects.exists()


def test_an_open_deal_distributes_nothing(books):
    deal = books.deal("Still open")
    with pytest.raises(OperationRefused, match="only a closed deal distributes"):
        _distribute(books, deal, eur(1))


def test_debt_interest_is_paid_on_each_holders_principal_by_the_day_count(books):
    note = books.deal(
        "Helio note",
        asset_class="debt",
        interest_rate=Decimal("0.075"),
        day_count="30_360",
    )
    books.close(note, [eur(100_000), eur("250000.50")], on=START)
    _proceeds(books, note, eur(100_000))

    paid = interest_distribute(
        deal=note,
        start=date(2020, 1, 31),
        end=date(2020, 7, 31),
        by=books.ops,
        approved_by=books.finance,
    )

    # 30/360: 180 days, half the yearly rate: 3,750.00 and 9,375.02 (9,375.01875 rounded).
    assert sorted(line.amount_minor for line in paid.lines.all()) == [375_000, 937_502]
    assert paid.kind == "interest" and paid.gp_minor == 0
    assert ledger_verify_report().passed


def test_a_deal_without_a_rate_pays_no_interest(books, spv):
    with pytest.raises(OperationRefused, match="bears no interest"):
        interest_distribute(
            deal=spv, start=START, end=EXIT, by=books.ops, approved_by=books.finance
        )


def test_a_fund_pays_out_by_capital_paid_in_so_a_defaulter_gets_nothing_unpaid(books):
    fund = books.deal("Orion Fund II", drawn_by_calls=True, asset_class="fund_units")
    books.close(fund, [eur(100_000), eur(100_000)], on=START)
    call = capital_call_issue(
        deal=fund,
        amount=eur(100_000),
        call_date=START,
        due_date=START,
        by=books.ops,
        approved_by=books.finance,
    )
    payer, defaulter = call.notices.order_by("pk")
    books.deposit(payer.investor, eur(50_000))
    capital_call_payment_record(
        notice=payer, amount=eur(50_000), paid_on=START, by=books.ops, approved_by=books.finance
    )
    books.deposit(fund.issuer, eur(10_000))

    distribution = _distribute(books, fund, eur(60_000))

    assert {line.investor_id: line.amount_minor for line in distribution.lines.all()} == {
        payer.investor_id: eur(60_000).amount_minor
    }
    assert books.cash(defaulter.investor) == eur(0)
