"""A fund's portfolio: deal-by-deal carry per investment, loss carryforward, clawback and fee
offsets, each worked by hand.

The fund: 10,000,000.00 committed on 2021-01-01 (4,000,000.00 and 6,000,000.00), a 10 % hurdle
compounding, 20 % carry, full catch-up. It calls 5,000,000.00 on 2021-01-01 for each of its two
investments, Alpha and Beta. 10 % on 1,000,000.00 over one year is 100,000.00, over two
1.1^2 - 1 = 21 %: 210,000.00.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.deals.selectors import carry_position
from apps.deals.services import (
    OperationRefused,
    clawback_settle,
    deal_operation_reverse,
    distribution_record,
    management_fee_charge,
)
from apps.deals.services.portfolio import (
    portfolio_fee_income_record,
    portfolio_investment_record,
    portfolio_realise,
    portfolio_write_down,
)
from apps.ledger.models import Account
from apps.ledger.selectors import balance
from apps.ledger.services import operation_approve, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur, figures
from tests.deals.portfolio import TERMS, Y0, Y1, Y2, Fund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tiers(distribution) -> list[tuple[int, int]]:
    return [(tier["lp_minor"], tier["gp_minor"]) for tier in distribution.tiers]


def carry_account() -> Account:
    return Account.objects.get(owner_type__isnull=True, name="Carried interest (EUR)")


def test_deal_by_deal_a_winner_pays_carry_on_its_own_profit_after_a_loser(books):
    # Alpha returns 1,000,000.00 in 2022: capital only. Beta returns 15,000,000.00 in 2023:
    # capital 5,000,000.00, hurdle 1,050,000.00, catch-up 262,500.00, split 8,687,500.00 of
    # which the GP takes 20 % of Beta's 10,000,000.00 of profit less the catch-up: 1,737,500.00.
    fund = Fund(books)
    loser = fund.sell(fund.alpha, eur(1_000_000), Y1)
    winner = fund.sell(fund.beta, eur(15_000_000), Y2)

    assert tiers(loser) == [(100_000_000, 0), (0, 0), (0, 0), (0, 0)]
    assert tiers(winner) == [
        (500_000_000, 0),
        (105_000_000, 0),
        (0, 26_250_000),
        (695_000_000, 173_750_000),
    ]
    assert balance(carry_account()) == eur(2_000_000)  # 20 % of Beta's profit alone


def test_with_loss_carryforward_the_winner_first_makes_good_the_losers_capital(books):
    # Beta's capital to return: its 5,000,000.00 and Alpha's 4,000,000.00 loss, both in since
    # 2021: hurdle 9,000,000.00 x 21 % = 1,890,000.00; catch-up 472,500.00; split 3,637,500.00
    # with the GP at 20 % of the fund's 6,000,000.00 of profit: 1,200,000.00 in all.
    fund = Fund(books, loss_carryforward=True)
    fund.sell(fund.alpha, eur(1_000_000), Y1)
    winner = fund.sell(fund.beta, eur(15_000_000), Y2)

    assert tiers(winner) == [
        (900_000_000, 0),
        (189_000_000, 0),
        (0, 47_250_000),
        (291_000_000, 72_750_000),
    ]
    assert winner.losses_recouped_minor == 400_000_000
    assert balance(carry_account()) == eur(1_200_000)
    assert fund.cash() == [eur(5_920_000), eur(8_880_000)]  # 14,800,000.00 shared 4 to 6
    assert carry_position(fund.deal).excess == eur(0)


def test_a_write_down_is_carried_forward_before_the_investment_is_realised(books):
    # Alpha written down by 3,000,000.00 in 2021; Beta sold for 15,000,000.00 in 2022: capital
    # 8,000,000.00, hurdle 800,000.00, catch-up 200,000.00, split 6,000,000.00 (GP 1,200,000.00).
    fund = Fund(books, loss_carryforward=True)
    portfolio_write_down(
        investment=fund.alpha,
        amount=eur(3_000_000),
        on=date(2021, 6, 30),
        by=books.ops,
        reason="the last round priced it at 40 % of cost",
    )
    winner = fund.sell(fund.beta, eur(15_000_000), Y1)

    assert tiers(winner) == [
        (800_000_000, 0),
        (80_000_000, 0),
        (0, 20_000_000),
        (480_000_000, 120_000_000),
    ]
    assert winner.losses_recouped_minor == 300_000_000


def test_a_clawback_returns_the_carry_an_early_winner_paid_above_the_funds_profit(books):
    # Beta wins first (2022): carry 2,000,000.00 on its 10,000,000.00 profit. Alpha then loses
    # 4,000,000.00 (2023). The fund made 6,000,000.00: 1,200,000.00 of carry is due, 800,000.00
    # is excess. The GP keeps back 25 % for tax (200,000.00) and returns 600,000.00, 4 to 6.
    fund = Fund(books, clawback_tax_rate=Decimal("0.25"))
    fund.sell(fund.beta, eur(15_000_000), Y1)
    fund.sell(fund.alpha, eur(1_000_000), Y2)
    before = fund.cash()

    position = carry_position(fund.deal, as_of=Y2)
    assert (position.profit, position.carried, position.due, position.excess) == (
        eur(6_000_000),
        eur(2_000_000),
        eur(1_200_000),
        eur(800_000),
    )
    clawback = clawback_settle(deal=fund.deal, as_of=Y2, by=books.ops, approved_by=books.finance)

    assert (clawback.excess_minor, clawback.tax_kept_minor, clawback.amount_minor) == (
        80_000_000,
        20_000_000,
        60_000_000,
    )
    assert [line.amount_minor for line in clawback.lines.order_by("investor")] == [
        24_000_000,
        36_000_000,
    ]
    assert [after - was for after, was in zip(fund.cash(), before, strict=True)] == [
        eur(240_000),
        eur(360_000),
    ]
    assert balance(carry_account()) == eur(1_400_000)
    assert carry_position(fund.deal, as_of=Y2).excess == eur(0)
    with pytest.raises(OperationRefused, match="holds no carry above its due"):
        clawback_settle(deal=fund.deal, as_of=Y2, by=books.ops, approved_by=books.finance)
    assert ledger_verify_report().passed


def test_a_clawback_reverses_and_the_books_come_back_exactly(books):
    fund = Fund(books)
    fund.sell(fund.beta, eur(15_000_000), Y1)
    fund.sell(fund.alpha, eur(1_000_000), Y2)
    before = figures()
    clawback = clawback_settle(deal=fund.deal, as_of=Y2, by=books.ops, approved_by=books.finance)
    checker = UserFactory(is_staff=True, roles=[Role.FINANCE])

    reversal = deal_operation_reverse(
        operation=clawback.operation, by=books.finance, reason="settled outside the platform"
    )
    operation_approve(operation=reversal, by=checker)
    operation_execute(operation=reversal, by=checker)

    assert figures() == before
    assert carry_position(fund.deal, as_of=Y2).excess == eur(800_000)


def test_fee_income_from_portfolio_companies_offsets_the_management_fee(books):
    # 2 % of 10,000,000.00 of commitments for 2021: 200,000.00. Alpha paid a 100,000.00
    # transaction fee in March; 80 % of it, 80,000.00, comes off: the investors pay 120,000.00,
    # 48,000.00 and 72,000.00. In 2022 nothing is left to offset.
    fund = Fund(books, management_fee_rate=Decimal("0.02"), fee_offset_rate=Decimal("0.8"))
    portfolio_fee_income_record(
        investment=fund.alpha,
        kind="transaction",
        amount=eur(100_000),
        received_on=date(2021, 3, 1),
        by=books.ops,
    )
    for person in fund.investors:
        books.deposit(person, eur(200_000))
    before = fund.cash()

    first = management_fee_charge(
        deal=fund.deal, period_start=Y0, period_end=Y1, by=books.ops, approved_by=books.finance
    )
    second = management_fee_charge(
        deal=fund.deal, period_start=Y1, period_end=Y2, by=books.ops, approved_by=books.finance
    )

    assert (first.amount_minor, first.offset_minor) == (12_000_000, 8_000_000)
    assert (second.amount_minor, second.offset_minor) == (20_000_000, 0)
    assert [was - after for was, after in zip(before, fund.cash(), strict=True)] == [
        eur(48_000 + 80_000),
        eur(72_000 + 120_000),
    ]


def test_a_deal_by_deal_distribution_names_its_investment(books):
    fund = Fund(books)
    books.deposit(fund.deal.issuer, eur(1_000_000))

    with pytest.raises(OperationRefused, match="name the portfolio investment"):
        distribution_record(
            deal=fund.deal,
            proceeds=eur(1_000_000),
            on=Y1,
            by=books.ops,
            approved_by=books.finance,
        )


def test_an_investment_of_another_fund_is_refused(books):
    fund = Fund(books)
    other = books.deal("Other fund", **TERMS)
    books.close(other, [eur(1_000_000)], on=Y0)
    stranger = portfolio_investment_record(
        deal=other, invested_on=Y0, cost=eur(1_000_000), company="Gamma", by=books.ops
    )
    books.deposit(fund.deal.issuer, eur(1_000_000))

    with pytest.raises(OperationRefused, match="Gamma is not an investment of Orion Fund I"):
        distribution_record(
            deal=fund.deal,
            proceeds=eur(1_000_000),
            on=Y1,
            investment=stranger,
            by=books.ops,
            approved_by=books.finance,
        )


def test_a_write_down_is_at_most_the_cost_and_a_realised_investment_stays_realised(books):
    fund = Fund(books)

    with pytest.raises(OperationRefused, match=re.escape("at most its cost, €5,000,000.00")):
        portfolio_write_down(
            investment=fund.alpha, amount=eur(5_000_001), on=Y1, by=books.ops, reason="lost"
        )
    portfolio_realise(investment=fund.alpha, on=Y1, by=books.ops, reason="written off")
    with pytest.raises(OperationRefused, match="was realised on 2022-01-01"):
        portfolio_realise(investment=fund.alpha, on=Y2, by=books.ops, reason="again")
    fund.alpha.refresh_from_db()
    assert fund.alpha.history.first().history_change_reason == "written off"
