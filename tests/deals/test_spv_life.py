"""A whole SPV's life on PostgreSQL, each step committed as it would be in production.

Open, 500 subscriptions, scale-back to the hard cap, closing, exit distribution, the reversal of
a mistaken fee charge; and a fund's capital call beside it. The database's own triggers check
every commit.
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.captable.selectors import cap_table
from apps.core.money import Money
from apps.deals.models import DealState, SubscriptionState
from apps.deals.selectors import uncalled_commitments
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    deal_close,
    deal_operation_reverse,
    deal_start_closing,
    distribution_record,
    management_fee_charge,
    subscriptions_scale_back,
)
from apps.ledger.models import Account
from apps.ledger.selectors import balance
from apps.ledger.services import operation_approve, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur, figures
from tests.factories import UserFactory
from tests.ledger.conftest import post, requires_postgresql

pytestmark = [
    requires_postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("published_rule_sets"),
]

INVESTORS = 500
CLOSING = date(2021, 6, 30)
EXIT = date(2026, 6, 30)
HARD_CAP = eur(45_000_000)


def test_an_spv_from_opening_to_exit_with_500_investors(books):
    checker = UserFactory(is_staff=True, roles=[Role.FINANCE])
    deal = books.deal(
        "Helio SPV",
        hard_cap_minor=HARD_CAP.amount_minor,
        target_minor=eur(20_000_000).amount_minor,
        setup_fee_rate=Decimal("0.01"),
        management_fee_rate=Decimal("0.015"),
        hurdle_rate=Decimal("0.08"),
        carry_rate=Decimal("0.2"),
        catch_up_rate=Decimal("1"),
    )
    asked = [eur(100_000 + 137 * (i % 50) * 1_000) + Money(i, "EUR") for i in range(INVESTORS)]
    people = [books.investor() for _ in range(INVESTORS)]
    # Each investor's cash arrives in one bank transfer operation: the amount, the fee and a
    # margin for the management fee.
    post(
        [(books.bank, -sum((a + a.times(Decimal("0.2")) for a in asked), eur(0)))]
        + [
            (books.cash_account(person), amount + amount.times(Decimal("0.2")))
            for person, amount in zip(people, asked, strict=True)
        ],
        maker=books.ops,
        checker=books.finance,
    )
    for person, amount in zip(people, asked, strict=True):
        books.subscribe(deal, amount, person=person)
    assert sum(asked, eur(0)) > HARD_CAP

    accepted = subscriptions_scale_back(deal=deal, by=books.ops)
    assert sum(accepted.values()) == HARD_CAP.amount_minor
    deal_start_closing(deal=deal, by=books.ops)
    closing = deal_close(deal=deal, by=books.ops, approved_by=books.finance, effective_date=CLOSING)

    deal.refresh_from_db()
    assert deal.state == DealState.CLOSED and closing.amount_minor == HARD_CAP.amount_minor
    assert set(deal.subscriptions.values_list("state", flat=True)) == {SubscriptionState.ACCEPTED}
    table = cap_table(deal.issuer)
    assert len(table.rows) == INVESTORS
    assert sum(row.units for row in table.rows) == Decimal(45_000_000)
    assert sum(row.percent for row in table.rows) == Decimal("100.00")
    vehicle = Account.objects.get(
        owner_type__model="issuer", owner_id=deal.issuer_id, purpose="cash"
    )
    assert balance(vehicle) == HARD_CAP

    before_fee = figures()
    mistaken = management_fee_charge(
        deal=deal,
        period_start=date(2020, 1, 1),  # before the closing: entered by mistake
        period_end=date(2021, 1, 1),
        by=books.ops,
        approved_by=books.finance,
    )
    reversal = deal_operation_reverse(
        operation=mistaken.operation, by=books.finance, reason="period before the closing"
    )
    operation_approve(operation=reversal, by=checker)
    operation_execute(operation=reversal, by=checker)
    assert figures() == before_fee

    books.deposit(deal.issuer, eur(90_000_000) - HARD_CAP)  # the exit proceeds, net
    distribution = distribution_record(
        deal=deal,
        proceeds=eur(90_000_000),
        on=EXIT,
        by=books.ops,
        approved_by=books.finance,
        closes_deal=True,
    )
    lines = list(distribution.lines.values_list("amount_minor", flat=True))
    assert len(lines) == INVESTORS and min(lines) > 0
    assert sum(lines) + distribution.gp_minor == eur(90_000_000).amount_minor
    assert balance(vehicle) == eur(0)
    deal.refresh_from_db()
    assert deal.state == DealState.EXITED

    fund = books.deal("Orion Fund I", drawn_by_calls=True, asset_class="fund_units")
    for person in people[:40]:
        books.subscribe(fund, eur(250_000), person=person)
    books.close(fund, on=CLOSING)
    call = capital_call_issue(
        deal=fund,
        amount=eur("1000000.01"),
        call_date=date(2021, 9, 1),
        due_date=date(2021, 9, 30),
        by=books.ops,
        approved_by=books.finance,
    )
    assert sum(call.notices.values_list("amount_minor", flat=True)) == 100_000_001
    notice = call.notices.first()
    capital_call_payment_record(
        notice=notice,
        amount=Money(notice.amount_minor, "EUR"),
        paid_on=date(2021, 9, 15),
        by=books.ops,
        approved_by=books.finance,
    )
    assert sum(uncalled_commitments(fund).values()) == 1_000_000_000 - 100_000_001

    report = ledger_verify_report()
    assert report.passed, report
