"""Postings are balanced, in their accounts' currencies, and never overdraw a guarded account."""

import pytest
from django.db import transaction

from apps.core.money import Money
from apps.ledger.exceptions import (
    CurrencyMismatchError,
    InsufficientBalance,
    InvalidLeg,
    TransitionRefused,
    UnbalancedOperation,
)
from apps.ledger.models import Account, AccountPurpose, Entry, OperationKind, OperationState
from apps.ledger.selectors import balance
from apps.ledger.services import (
    AccountSpec,
    account_bulk_open,
    operation_approve,
    operation_execute,
    operation_reverse,
)
from apps.ledger.signals import operation_executed
from tests.ledger.conftest import approved, draft, eur, post, snapshot

pytestmark = pytest.mark.django_db


def test_an_unbalanced_posting_is_refused_naming_the_imbalance(maker, bank, cash):
    before = snapshot()

    with pytest.raises(UnbalancedOperation, match=r"0\.01 EUR left over") as error:
        draft([(bank, eur(-100)), (cash, eur(101))], by=maker)

    assert error.value.data == {"imbalance": {"EUR": 1}}
    assert snapshot() == before


def test_legs_balanced_per_currency_are_accepted_across_currencies(maker, bank, usd_bank, checker):
    usd_cash = Account.objects.create(purpose=AccountPurpose.CASH, currency="USD")
    Account.history.model.objects.create(
        id=usd_cash.pk,
        purpose="cash",
        currency="USD",
        allow_negative=True,
        is_active=True,
        created_at=usd_cash.created_at,
        history_type="+",
        history_date=usd_cash.created_at,
    )

    operation = post(
        [
            (bank, eur(-100)),
            (bank, eur(100)),
            (usd_bank, Money(-5, "USD")),
            (usd_cash, Money(5, "USD")),
        ],
        maker=maker,
        checker=checker,
    )

    assert operation.entries.count() == 4


def test_a_leg_in_another_currency_than_its_account_is_refused(maker, bank, cash):
    before = snapshot()

    with pytest.raises(CurrencyMismatchError, match="USD leg cannot post to account"):
        draft([(bank, Money(-100, "USD")), (cash, Money(100, "USD"))], by=maker)

    assert snapshot() == before


def test_a_leg_on_a_closed_account_is_refused(maker, bank, cash):
    Account.objects.filter(pk=cash.pk).update(is_active=False)

    with pytest.raises(InvalidLeg, match="is closed"):
        draft([(bank, eur(-100)), (cash, eur(100))], by=maker)


@pytest.mark.parametrize("legs", [[("bank", 5)], [("bank", 0), ("cash", 0)]])
def test_an_operation_without_two_non_zero_legs_is_refused(maker, bank, cash, legs):
    accounts = {"bank": bank, "cash": cash}
    with pytest.raises(InvalidLeg):
        draft([(accounts[name], eur(amount)) for name, amount in legs], by=maker)


def test_an_operation_that_moves_no_money_executes_without_entries(maker, checker):
    operation = post([], maker=maker, checker=checker, kind="correction")

    assert operation.sequence == 1
    assert not operation.entries.exists()


def test_a_guarded_account_cannot_go_below_zero_and_the_shortfall_is_named(
    maker, checker, bank, cash
):
    post([(bank, eur(-300_00)), (cash, eur(300_00))], maker=maker, checker=checker)
    withdrawal = approved([(cash, eur(-500_00)), (bank, eur(500_00))], maker=maker, checker=checker)
    before = snapshot()

    with pytest.raises(InsufficientBalance, match=r"short of 200\.00 EUR") as error:
        operation_execute(operation=withdrawal, by=checker)

    assert error.value.data == {"account": cash.pk, "shortfall_minor": 200_00, "currency": "EUR"}
    assert snapshot() == before
    assert balance(cash) == eur(300_00)


def test_the_balance_check_counts_operations_executed_after_the_approval(
    maker, checker, bank, cash
):
    post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    first = approved([(cash, eur(-100)), (bank, eur(100))], maker=maker, checker=checker)
    second = approved([(cash, eur(-100)), (bank, eur(100))], maker=maker, checker=checker)
    operation_execute(operation=first, by=checker)

    with pytest.raises(InsufficientBalance):
        operation_execute(operation=second, by=checker)


def test_execution_writes_entries_with_the_operation_number_and_time(maker, checker, bank, cash):
    operation = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)

    entries = list(operation.entries.order_by("pk"))

    assert [(e.account_id, e.amount_minor, e.currency) for e in entries] == [
        (bank.pk, -100, "EUR"),
        (cash.pk, 100, "EUR"),
    ]
    assert {e.operation_sequence for e in entries} == {operation.sequence}
    assert {e.effective_at for e in entries} == {
        operation.effective_at == operation.executed_at and operation.effective_at
    }


def test_a_reversal_posts_the_opposite_entries_and_marks_the_original(
    maker, checker, second_checker, bank, cash
):
    original = post([(bank, eur(-250)), (cash, eur(250))], maker=maker, checker=checker)

    reversal = operation_reverse(
        operation=original, by=checker, reason="Sent to the wrong investor"
    )
    assert reversal.state == OperationState.SUBMITTED
    assert reversal.kind == OperationKind.REVERSAL
    operation_approve(operation=reversal, by=second_checker)
    operation_execute(operation=reversal, by=second_checker)

    original.refresh_from_db()
    assert original.state == OperationState.REVERSED
    assert reversal.reverses == original
    assert balance(cash) == eur(0)
    assert balance(bank) == eur(0)
    assert [e.amount_minor for e in reversal.entries.order_by("pk")] == [250, -250]


def test_only_an_executed_operation_can_be_reversed(maker, checker, bank, cash):
    operation = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)

    with pytest.raises(TransitionRefused, match="only an executed operation can be reversed"):
        operation_reverse(operation=operation, by=checker, reason="No")


def test_a_reversal_that_would_overdraw_is_refused(maker, checker, second_checker, bank, cash):
    deposit = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    post([(cash, eur(-100)), (bank, eur(100))], maker=maker, checker=checker)  # spent
    reversal = operation_reverse(operation=deposit, by=checker, reason="The transfer bounced")
    operation_approve(operation=reversal, by=second_checker)
    before = snapshot()

    with pytest.raises(InsufficientBalance, match=r"short of 1\.00 EUR"):
        operation_execute(operation=reversal, by=second_checker)

    assert snapshot() == before
    deposit.refresh_from_db()
    assert deposit.state == OperationState.EXECUTED


def test_effects_are_sent_after_commit_and_never_for_a_rolled_back_execution(
    maker, checker, bank, cash, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, operation_id, **kwargs):
        received.append(operation_id)

    operation_executed.connect(receiver)
    try:
        first = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)
        with django_capture_on_commit_callbacks(execute=True):
            operation_execute(operation=first, by=checker)
        assert received == [first.pk]

        second = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            operation_execute(operation=second, by=checker)
            raise RuntimeError("the enclosing use case failed")
        assert callbacks == []
        assert received == [first.pk]
        assert not Entry.objects.filter(operation=second).exists()
    finally:
        operation_executed.disconnect(receiver)


def test_opening_accounts_in_bulk_writes_one_history_row_each(checker):
    specs = [AccountSpec(purpose="cash", currency="EUR", name=f"Investor {i}") for i in range(250)]

    accounts = account_bulk_open(specs=specs, by=checker)

    assert len(accounts) == 250
    history = Account.history.filter(id__in=[a.pk for a in accounts])
    assert history.count() == 250
    assert {row.history_user_id for row in history} == {checker.pk}
