"""Properties of a fund's whole life: close, call, pay, distribute, reverse."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    deal_operation_reverse,
    distribution_record,
)
from apps.ledger.services import operation_approve, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import Books, figures
from tests.factories import UserFactory
from tests.rollback import rolled_back

pytestmark = pytest.mark.django_db

CLOSED = date(2024, 1, 1)
CALLED = date(2024, 2, 1)
DISTRIBUTED = date(2026, 6, 30)

lives = st.fixed_dictionaries(
    {
        "commitments": st.lists(st.integers(100_000_00, 2_000_000_00), min_size=1, max_size=5),
        "called": st.fractions(min_value=Decimal("0.01"), max_value=1),
        "proceeds": st.integers(1, 10_000_000_00),
        "hurdle": st.sampled_from([Decimal(0), Decimal("0.08"), Decimal("0.125")]),
        "carry": st.sampled_from([Decimal(0), Decimal("0.2"), Decimal("0.3")]),
        "catch_up": st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1)]),
        "undo": st.sampled_from(["distribution", "everything"]),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(life=lives)
def test_every_distribution_adds_up_and_every_reversal_restores_the_books(books, life):
    if life["carry"] and life["catch_up"] and life["catch_up"] <= life["carry"]:
        life["catch_up"] = Decimal(1)
    with rolled_back():
        books = Books(ops=books.ops, finance=books.finance, officer=books.officer)
        checker = UserFactory(is_staff=True, roles=[Role.FINANCE])
        fund = books.deal(
            "Property fund",
            drawn_by_calls=True,
            hurdle_rate=life["hurdle"],
            carry_rate=life["carry"],
            catch_up_rate=life["catch_up"],
        )
        for amount in life["commitments"]:
            books.subscribe(fund, Money(amount, "EUR"))
        start = figures()
        closing = books.close(fund, on=CLOSED)
        total = sum(life["commitments"])
        called = max(1, int(total * life["called"]))
        call = capital_call_issue(
            deal=fund,
            amount=Money(called, "EUR"),
            call_date=CALLED,
            due_date=CALLED,
            by=books.ops,
            approved_by=books.finance,
        )
        payments = []
        for notice in call.notices.select_related("investor"):
            owed = Money(notice.amount_minor, "EUR")
            books.deposit(notice.investor, owed)
            payments.append(
                capital_call_payment_record(
                    notice=notice,
                    amount=owed,
                    paid_on=CALLED,
                    by=books.ops,
                    approved_by=books.finance,
                )
            )
        proceeds = Money(life["proceeds"], "EUR")
        if proceeds.amount_minor > called:  # the vehicle holds what was paid in, and the gain
            books.deposit(fund.issuer, proceeds - Money(called, "EUR"))
        before_distribution = figures()

        distribution = distribution_record(
            deal=fund, proceeds=proceeds, on=DISTRIBUTED, by=books.ops, approved_by=books.finance
        )

        lines = [line.amount_minor for line in distribution.lines.all()]
        assert all(amount >= 0 for amount in lines)
        assert sum(lines) == distribution.lp_minor
        assert distribution.lp_minor + distribution.gp_minor == proceeds.amount_minor
        assert all(t["lp_minor"] >= 0 and t["gp_minor"] >= 0 for t in distribution.tiers)
        assert ledger_verify_report().passed

        def undo(operation):
            reversal = deal_operation_reverse(operation=operation, by=books.finance, reason="test")
            operation_approve(operation=reversal, by=checker)
            operation_execute(operation=reversal, by=checker)

        undo(distribution.operation)
        assert figures() == before_distribution
        if life["undo"] == "everything":
            for payment in payments:
                undo(payment.operation)
            undo(call.operation)
            undo(closing.operation)
            balances, holdings = figures()
            assert holdings == start[1]
            # What remains is the cash deposited for the test, back in the investors' hands.
            assert sum(balances.values()) == 0
        assert ledger_verify_report().passed
