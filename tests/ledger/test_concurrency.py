"""Concurrent executions on PostgreSQL: once each, numbered without gap, chained in order."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from apps.ledger.exceptions import InsufficientBalance, TransitionRefused
from apps.ledger.models import Entry, Operation, OperationState
from apps.ledger.selectors import balance
from apps.ledger.services import AccountSpec, account_bulk_open, operation_execute
from apps.ledger.verification import ledger_verify_report
from tests.ledger.conftest import approved, eur, post, requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


def _in_own_connection(func):
    def run(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return run


def _execute_concurrently(operations, *, by, workers: int) -> list[int]:
    """Execute each operation from its own thread and connection; return their numbers."""

    @_in_own_connection
    def execute(operation):
        return operation_execute(operation=operation, by=by).sequence

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(execute, operations))


def test_twenty_concurrent_executions_of_one_operation_execute_it_once(maker, checker, bank, cash):
    operation = approved([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    start = threading.Barrier(20)

    @_in_own_connection
    def attempt(_):
        start.wait()
        try:
            operation_execute(operation=Operation.objects.get(pk=operation.pk), by=checker)
        except TransitionRefused:
            return "refused"
        return "executed"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))

    assert sorted(outcomes) == ["executed"] + ["refused"] * 19
    assert Entry.objects.filter(operation=operation).count() == 2
    assert balance(cash) == eur(100)
    assert Operation.objects.get(pk=operation.pk).sequence == 1


def test_two_hundred_concurrent_executions_are_numbered_one_to_two_hundred(maker, checker):
    # Each operation has accounts of its own, so only the numbering serialises them.
    accounts = account_bulk_open(
        specs=[
            AccountSpec(purpose="cash", currency="EUR", name=f"Account {i}") for i in range(400)
        ],
        by=checker,
    )
    operations = [
        approved(
            [(accounts[2 * i], eur(-(i + 1))), (accounts[2 * i + 1], eur(i + 1))],
            maker=maker,
            checker=checker,
        )
        for i in range(200)
    ]

    sequences = _execute_concurrently(operations, by=checker, workers=16)

    assert sorted(sequences) == list(range(1, 201))
    assert Operation.objects.filter(state=OperationState.EXECUTED).count() == 200
    report = ledger_verify_report()
    assert report.passed, [check.breaches for check in report.checks]


def test_concurrent_executions_over_the_same_accounts_in_either_order_do_not_deadlock(
    maker, checker, bank, cash
):
    # Half the operations list the accounts in the other order: locks are still taken by id.
    operations = [
        approved(
            [(bank, eur(-(i + 1))), (cash, eur(i + 1))]
            if i % 2
            else [(cash, eur(i + 1)), (bank, eur(-(i + 1)))],
            maker=maker,
            checker=checker,
        )
        for i in range(50)
    ]

    sequences = _execute_concurrently(operations, by=checker, workers=10)

    assert sorted(sequences) == list(range(1, 51))
    assert balance(cash) == eur(sum(range(1, 51)))


def test_concurrent_withdrawals_never_overdraw_a_guarded_account(maker, checker, bank, cash):
    post([(bank, eur(-500)), (cash, eur(500))], maker=maker, checker=checker)
    withdrawals = [
        approved([(cash, eur(-100)), (bank, eur(100))], maker=maker, checker=checker)
        for _ in range(10)
    ]
    start = threading.Barrier(10)

    @_in_own_connection
    def withdraw(operation):
        start.wait()
        try:
            operation_execute(operation=operation, by=checker)
        except InsufficientBalance:
            return "refused"
        return "executed"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(withdraw, withdrawals))

    assert sorted(outcomes) == ["executed"] * 5 + ["refused"] * 5
    assert balance(cash) == eur(0)
