"""Distributions run proceeds through the waterfall to the investors and the carry account."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.deals.models import DealState, Distribution
from apps.deals.services import (
    OperationRefused,
    capital_call_issue,
    capital_call_payment_record,
    deal_operation_reverse,
    distribution_record,
    interest_distribute,
    management_fee_charge,
)
from apps.ledger.models import Account, Operation
from apps.ledger.selectors import balance
from apps.ledger.services import operation_approve, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur, figures
from tests.factories import UserFactory

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


# Across the deal's life: each distribution's waterfall counts every earlier one as recorded.

TEN_PERCENT = {
    "hurdle_rate": Decimal("0.10"),
    "carry_rate": Decimal("0.20"),
    "catch_up_rate": Decimal("1"),
}
Y0, Y1, Y2 = date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)


@pytest.fixture
def ten_million(books):
    """10,000,000.00 closed on 2021-01-01 at a 10 % hurdle: 1,000,000.00 of it a year later."""
    deal = books.deal("Helios", **TEN_PERCENT)
    books.close(deal, [eur(4_000_000), eur(6_000_000)], on=Y0)
    deal.refresh_from_db()
    books.deposit(deal.issuer, eur(14_000_000))
    return deal


def _carry_account() -> Account:
    return Account.objects.get(owner_type__isnull=True, name="Carried interest (EUR)")


def test_the_catch_up_counts_the_preferred_return_an_earlier_distribution_paid(books, ten_million):
    # 2022: capital and the whole hurdle, 11,000,000.00. 2023: 3,000,000.00, of which the
    # GP catches up 1,000,000.00 x 20 / 80 = 250,000.00 and takes 20 % of the 2,750,000.00 split.
    _distribute(books, ten_million, eur(11_000_000), on=Y1)
    second = _distribute(books, ten_million, eur(3_000_000), on=Y2)

    assert [(t["name"], t["lp_minor"], t["gp_minor"]) for t in second.tiers] == [
        ("return of capital", 0, 0),
        ("preferred return", 0, 0),
        ("catch-up", 0, 25_000_000),
        ("split", 220_000_000, 55_000_000),
    ]
    assert balance(_carry_account()) == eur(800_000)  # 20 % of the 4,000,000.00 of profit
    assert sorted(books.cash(i) for i in books.investors_of(ten_million)) == [
        eur(5_280_000),  # 40 % of 13,200,000.00
        eur(7_920_000),
    ]
    assert ledger_verify_report().passed


def test_two_distributions_on_one_day_pay_what_one_of_their_total_pays(books, ten_million):
    _distribute(books, ten_million, eur(11_000_000), on=Y1)
    _distribute(books, ten_million, eur(3_000_000), on=Y1)

    assert balance(_carry_account()) == eur(800_000)
    assert sorted(books.cash(i) for i in books.investors_of(ten_million)) == [
        eur(5_280_000),
        eur(7_920_000),
    ]


def test_a_distribution_with_later_ones_reverses_only_after_them_and_the_books_come_back(
    books, ten_million
):
    checker = UserFactory(is_staff=True, roles=[Role.FINANCE])
    before = figures()
    first = _distribute(books, ten_million, eur(11_000_000), on=Y1)
    after_first = figures()
    second = _distribute(books, ten_million, eur(3_000_000), on=Y2)

    with pytest.raises(OperationRefused, match="later operations stand on it"):
        deal_operation_reverse(operation=first.operation, by=books.finance, reason="wrong date")

    for distribution, expected in [(second, after_first), (first, before)]:
        reversal = deal_operation_reverse(
            operation=distribution.operation, by=books.finance, reason="wrong date"
        )
        operation_approve(operation=reversal, by=checker)
        operation_execute(operation=reversal, by=checker)
        assert figures() == expected
    assert balance(_carry_account()) == eur(0)
    assert ledger_verify_report().passed
    again = _distribute(books, ten_million, eur(11_000_000), on=Y1)
    assert again.tiers == first.tiers


def test_management_fees_paid_come_back_first_when_the_terms_say_so(books):
    deal = books.deal(
        "Fees first", management_fee_rate=Decimal("0.02"), return_fees_first=True, **TEN_PERCENT
    )
    books.close(deal, [eur(10_000_000)], on=Y0)
    deal.refresh_from_db()
    (person,) = books.investors_of(deal)
    books.deposit(person, eur(200_000))
    management_fee_charge(
        deal=deal, period_start=Y0, period_end=Y1, by=books.ops, approved_by=books.finance
    )
    books.deposit(deal.issuer, eur(12_000_000))

    # 365 days at 2 %: 200,000.00 of fees, paid 2022-01-01. Capital to return: 10,200,000.00;
    # the hurdle accrues on the capital for a year (1,000,000.00), on the fees for none.
    distribution = _distribute(books, deal, eur(12_000_000), on=Y1)

    tiers = {t["name"]: (t["lp_minor"], t["gp_minor"]) for t in distribution.tiers}
    assert tiers["return of capital"] == (1_020_000_000, 0)
    assert tiers["preferred return"] == (100_000_000, 0)
    assert tiers["catch-up"] == (0, 25_000_000)
    assert tiers["split"] == (44_000_000, 11_000_000)


def test_the_gps_own_commitment_takes_its_share_whole_and_bears_no_carry_or_fee(books):
    # 9,000,000.00 from two investors and 1,000,000.00 from the GP's commitment; 20,000,000.00
    # a year later. The commitment takes a tenth, 2,000,000.00, without carry. The carried
    # 18,000,000.00: capital 9,000,000.00, hurdle 900,000.00, catch-up 225,000.00, split
    # 7,875,000.00 of which the GP takes 1,575,000.00: carry 1,800,000.00 = 20 % of the
    # 9,000,000.00 of profit on the carried capital. The investors share 16,200,000.00 4 to 5.
    gp = books.investor(cash=eur(1_000_000), name="Helios Partners GP")
    deal = books.deal("Helios", gp_investor=gp, management_fee_rate=Decimal("0.02"), **TEN_PERCENT)
    books.subscribe(deal, eur(1_000_000), person=gp)
    books.close(deal, [eur(4_000_000), eur(5_000_000)], on=Y0)
    deal.refresh_from_db()
    books.deposit(deal.issuer, eur(20_000_000))

    distribution = _distribute(books, deal, eur(20_000_000), on=Y1)

    assert [(t["name"], t["lp_minor"], t["gp_minor"]) for t in distribution.tiers] == [
        ("return of capital", 900_000_000, 0),
        ("preferred return", 90_000_000, 0),
        ("catch-up", 0, 22_500_000),
        ("split", 630_000_000, 157_500_000),
    ]
    assert distribution.carry_free_minor == 200_000_000
    assert (distribution.lp_minor, distribution.gp_minor) == (1_820_000_000, 180_000_000)
    assert books.cash(gp) == eur(2_000_000)
    others = [i for i in books.investors_of(deal) if i != gp]
    assert sorted(books.cash(i) for i in others) == [eur(7_200_000), eur(9_000_000)]
    for person in [gp, *others]:
        books.deposit(person, eur(500_000))
    fee = management_fee_charge(
        deal=deal, period_start=Y1, period_end=Y2, by=books.ops, approved_by=books.finance
    )
    assert fee.amount_minor == 18_000_000  # 2 % of the investors' 9,000,000.00, none on the GP's
