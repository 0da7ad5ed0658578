import itertools

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.ledger.models import Account, AccountPurpose, Entry, Operation
from apps.ledger.services import (
    Leg,
    account_open,
    operation_approve,
    operation_create,
    operation_execute,
    operation_submit,
)
from tests.factories import UserFactory

_keys = itertools.count(1)


def eur(amount_minor: int) -> Money:
    return Money(amount_minor, "EUR")


def snapshot() -> tuple:
    """What a refused request must leave exactly as it was."""
    return (
        Operation.objects.count(),
        list(Operation.objects.order_by("pk").values_list("pk", "state", "sequence")),
        list(Entry.objects.order_by("pk").values_list("pk", "account_id", "amount_minor")),
        Operation.history.count(),
        Account.history.count(),
    )


@pytest.fixture
def maker(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS], email="maker@example.com")


@pytest.fixture
def checker(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE], email="checker@example.com")


@pytest.fixture
def second_checker(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE], email="second.checker@example.com")


@pytest.fixture
def bank(checker) -> Account:
    return account_open(purpose=AccountPurpose.BANK, currency="EUR", name="Bank", by=checker)


@pytest.fixture
def cash(checker) -> Account:
    """An investor's cash: it can never go below zero."""
    return account_open(
        purpose=AccountPurpose.CASH,
        currency="EUR",
        name="Investor cash",
        allow_negative=False,
        by=checker,
    )


@pytest.fixture
def usd_bank(checker) -> Account:
    return account_open(purpose=AccountPurpose.BANK, currency="USD", name="USD bank", by=checker)


def draft(legs, *, by, kind="transfer", key=None, **kwargs) -> Operation:
    return operation_create(
        kind=kind,
        legs=[Leg(account.pk, amount) for account, amount in legs],
        idempotency_key=key or f"test-{next(_keys)}",
        by=by,
        **kwargs,
    )


def approved(legs, *, maker, checker, **kwargs) -> Operation:
    operation = draft(legs, by=maker, **kwargs)
    operation_submit(operation=operation, by=maker)
    return operation_approve(operation=operation, by=checker)


def post(legs, *, maker, checker, **kwargs) -> Operation:
    """Take an operation from draft to executed, as two people would."""
    operation = approved(legs, maker=maker, checker=checker, **kwargs)
    return operation_execute(operation=operation, by=checker)


requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="enforced by PostgreSQL itself; runs in make test-pg"
)
