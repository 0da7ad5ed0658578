"""Every deal operation reverses: the books and the cap table return to the exact prior figures."""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.captable.exceptions import SecurityClosed
from apps.deals.models import DealState, SubscriptionState
from apps.deals.services import (
    OperationRefused,
    capital_call_issue,
    capital_call_payment_record,
    deal_close,
    deal_operation_reverse,
    distribution_record,
    management_fee_charge,
    secondary_transfer,
)
from apps.ledger.models import Operation
from apps.ledger.services import operation_approve, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur, figures
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXIT = date(2026, 9, 1)


@pytest.fixture
def checker(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE])


def _reverse(books, checker, operation: Operation) -> Operation:
    reversal = deal_operation_reverse(
        operation=operation, by=books.finance, reason="entered by mistake"
    )
    operation_approve(operation=reversal, by=checker)
    return operation_execute(operation=reversal, by=checker)


def _closed(books, **terms):
    deal = books.deal("Atlas", **terms)
    books.close(deal, [eur(100_000), eur(300_000)])
    deal.refresh_from_db()
    return deal


def test_a_reversed_closing_restores_cash_fees_units_and_subscriptions(books, checker):
    deal = books.deal("Atlas", setup_fee_rate=Decimal("0.015"))
    for amount in (eur(100_000), eur("300000.33")):
        books.subscribe(deal, amount)
    before = figures()
    closing = books.close(deal)

    reversal = _reverse(books, checker, closing.operation)

    assert figures() == before
    assert reversal.movements.count() == 2
    deal.refresh_from_db()
    assert deal.state == DealState.CLOSING
    subscriptions = list(deal.subscriptions.all())
    assert {(s.state, s.closing_id) for s in subscriptions} == {(SubscriptionState.FUNDED, None)}
    assert subscriptions[0].history.first().history_change_reason == "entered by mistake"
    assert ledger_verify_report().passed
    again = deal_close(
        deal=deal, by=books.ops, approved_by=books.finance, effective_date=date(2026, 2, 1)
    )
    assert again.number == 2 and again.amount_minor == closing.amount_minor


def test_a_reversed_exit_distribution_restores_the_books_and_reopens_the_deal(books, checker):
    deal = _closed(books, carry_rate=Decimal("0.2"))
    books.deposit(deal.issuer, eur(1_000_000))
    before = figures()
    distribution = distribution_record(
        deal=deal,
        proceeds=eur(1_000_000),
        on=EXIT,
        by=books.ops,
        approved_by=books.finance,
        closes_deal=True,
    )

    _reverse(books, checker, distribution.operation)

    assert figures() == before
    deal.refresh_from_db()
    assert deal.state == DealState.CLOSED
    # The reversed distribution no longer counts as returned capital.
    again = distribution_record(
        deal=deal, proceeds=eur(1_000_000), on=EXIT, by=books.ops, approved_by=books.finance
    )
    assert again.tiers == distribution.tiers


def test_a_reversed_secondary_transfer_gives_the_units_and_cash_back(books, checker):
    deal = _closed(books)
    seller = books.investors_of(deal)[1]
    buyer = books.investor(cash=eur(150_000), name="Buyer")
    before = figures()
    transfer = secondary_transfer(
        deal=deal,
        seller=seller,
        buyer=buyer,
        units=Decimal("123456.789"),
        price=eur(140_000),
        on=EXIT,
        by=books.ops,
        approved_by=books.finance,
    )

    _reverse(books, checker, transfer.operation)

    assert figures() == before
    assert ledger_verify_report().passed


def test_a_reversed_management_fee_is_refunded(books, checker):
    deal = _closed(books, management_fee_rate=Decimal("0.02"))
    for investor in books.investors_of(deal):
        books.deposit(investor, eur(10_000))
    before = figures()
    charge = management_fee_charge(
        deal=deal,
        period_start=date(2026, 1, 1),
        period_end=date(2027, 1, 1),
        by=books.ops,
        approved_by=books.finance,
    )

    _reverse(books, checker, charge.operation)

    assert figures() == before
    # The year may now be charged again.
    management_fee_charge(
        deal=deal,
        period_start=date(2026, 1, 1),
        period_end=date(2027, 1, 1),
        by=books.ops,
        approved_by=books.finance,
    )


def test_a_call_with_payments_reverses_only_after_its_payments(books, checker):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000), eur(100_000)])
    fund.refresh_from_db()
    for investor in books.investors_of(fund):
        books.deposit(investor, eur(25_000))
    before = figures()
    call = capital_call_issue(
        deal=fund,
        amount=eur(50_000),
        call_date=EXIT,
        due_date=EXIT,
        by=books.ops,
        approved_by=books.finance,
    )
    notice = call.notices.first()
    payment = capital_call_payment_record(
        notice=notice, amount=eur(25_000), paid_on=EXIT, by=books.ops, approved_by=books.finance
    )
    count = Operation.objects.count()

    with pytest.raises(OperationRefused, match=r"reverse Payment of .* first"):
        deal_operation_reverse(operation=call.operation, by=books.finance, reason="wrong amount")
    assert Operation.objects.count() == count

    _reverse(books, checker, payment.operation)
    _reverse(books, checker, call.operation)

    assert figures() == before
    assert ledger_verify_report().passed


def test_a_closing_with_a_later_distribution_is_refused_until_that_is_reversed(books, checker):
    deal = _closed(books)
    books.deposit(deal.issuer, eur(10_000))
    distribution = distribution_record(
        deal=deal, proceeds=eur(10_000), on=EXIT, by=books.ops, approved_by=books.finance
    )
    closing = deal.subscriptions.first().closing

    with pytest.raises(OperationRefused, match="reverse Distribution 1 of Atlas first"):
        deal_operation_reverse(operation=closing.operation, by=books.finance, reason="oops")

    _reverse(books, checker, distribution.operation)
    _reverse(books, checker, closing.operation)
    assert ledger_verify_report().passed


def test_units_transferred_on_cannot_be_taken_back_by_reversing_their_closing(books, checker):
    """The cap table refuses even when the reversal is forced through the ledger alone."""
    from apps.ledger.services import operation_reverse

    deal = _closed(books)
    seller = books.investors_of(deal)[0]
    buyer = books.investor(cash=eur(100_000), name="Buyer")
    secondary_transfer(
        deal=deal,
        seller=seller,
        buyer=buyer,
        units=Decimal(100_000),
        price=eur(100_000),
        on=EXIT,
        by=books.ops,
        approved_by=books.finance,
    )
    closing = deal.subscriptions.first().closing
    reversal = operation_reverse(operation=closing.operation, by=books.finance, reason="oops")
    operation_approve(operation=reversal, by=checker)

    with pytest.raises((OperationRefused, SecurityClosed)):
        operation_execute(operation=reversal, by=checker)
    closing.operation.refresh_from_db()
    assert closing.operation.state == "executed"
