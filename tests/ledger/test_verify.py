"""``ledger_verify`` re-checks the whole ledger and finds a row changed behind the application."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.ledger.models import Account, AccountPurpose, Operation, SequenceCounter
from apps.ledger.services import (
    HASHED_FIELDS,
    OPERATIONS_COUNTER,
    operation_approve,
    operation_execute,
    operation_reverse,
)
from apps.ledger.verification import ledger_verify_report
from tests.ledger.conftest import approved, eur, post, requires_postgresql

pytestmark = [pytest.mark.django_db, pytest.mark.books_not_verified]


@pytest.fixture
def books(maker, checker, second_checker, bank, cash) -> list[Operation]:
    first = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    second = post([(bank, eur(-40)), (cash, eur(40))], maker=maker, checker=checker)
    reversal = operation_reverse(operation=second, by=checker, reason="Duplicate wire")
    operation_approve(operation=reversal, by=second_checker)
    third = operation_execute(operation=reversal, by=second_checker)
    return [first, second, third]


def tamper(sql: str, params: list) -> None:
    """Change rows as someone with direct database access would, triggers switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The books so far are committed history: run their deferred checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def breaches() -> dict[str, list[str]]:
    return {check.name: check.breaches for check in ledger_verify_report().checks if check.breaches}


def test_sound_books_verify(books):
    out = StringIO()

    call_command("ledger_verify", stdout=out)

    assert breaches() == {}
    assert "The books verify." in out.getvalue()
    assert "hash chain (3 checked)" in out.getvalue()


def test_an_amount_changed_behind_the_application_breaks_the_hash_chain(books):
    first = books[0]
    tamper(
        "UPDATE ledger_entry SET amount_minor = amount_minor * 10 WHERE operation_id = %s",
        [first.pk],
    )

    found = breaches()

    assert list(found) == ["hash chain"]
    assert found["hash chain"] == [
        f"operation {first.pk} (sequence 1) does not match its hash: "
        "it or its entries changed after execution"
    ]


def test_an_unbalanced_operation_is_reported(books):
    tamper("UPDATE ledger_entry SET amount_minor = 1 WHERE id = %s", [books[0].entries.first().pk])

    found = breaches()

    assert found["balanced operations"] == [
        f"operation {books[0].pk}: its EUR entries sum to 101 minor units"
    ]


def test_a_gap_in_the_sequence_is_reported(books):
    tamper("UPDATE ledger_operation SET sequence = 7 WHERE id = %s", [books[2].pk])

    found = breaches()

    assert "sequence jumps from 2 to 7" in found["gap-free sequence"]


def test_entries_on_an_operation_not_executed_are_reported(maker, checker, books, bank, cash):
    pending = approved([(bank, eur(-5)), (cash, eur(5))], maker=maker, checker=checker)
    tamper(
        "UPDATE ledger_entry SET operation_id = %s WHERE operation_id = %s",
        [pending.pk, books[0].pk],
    )

    found = breaches()

    assert (
        f"operation {pending.pk} is approved but has 2 entries"
        in found["entries only on executed operations"]
    )


def test_an_entry_in_another_currency_than_its_account_is_reported(books, cash):
    tamper("UPDATE ledger_account SET currency = 'USD' WHERE id = %s", [cash.pk])

    found = breaches()

    assert any(
        f"on account #{cash.pk}, kept in USD" in b for b in found["entry currency is the account's"]
    )


def test_a_bulk_path_that_skips_history_is_caught(books):
    # Plain bulk_create writes no history row: exactly what the books' bulk paths must not do.
    Account.objects.bulk_create([Account(purpose=AccountPurpose.CASH, currency="EUR", name="Bulk")])

    found = breaches()

    assert list(found) == ["history present"]


def test_the_command_fails_when_the_books_do_not_verify(books):
    tamper("UPDATE ledger_entry SET amount_minor = 1 WHERE id = %s", [books[0].entries.first().pk])
    out = StringIO()

    with pytest.raises(CommandError, match="fail verification"):
        call_command("ledger_verify", stdout=out)

    assert "BREACHED" in out.getvalue()


def rewrite(operation: Operation, column: str, value) -> None:
    """Change a column of an executed operation past the application, and its triggers."""
    if connection.vendor == "postgresql":
        # The column is one of this module's names, never input.
        sql = f"UPDATE ledger_operation SET {column} = %s WHERE id = %s"  # noqa: S608
        tamper(sql, [value, operation.pk])
    else:
        Operation.objects.filter(pk=operation.pk).update(**{column: value})


@pytest.mark.parametrize(
    "column",
    [
        "description",
        "created_by_id",
        "approved_by_id",
        "idempotency_key",
        "executed_at",
        "reason",
    ],
)
def test_a_column_of_an_executed_operation_changed_behind_the_application_breaks_the_hash_chain(
    books, second_checker, column
):
    first = books[0]
    value = {
        "description": "Nothing to see here",
        "created_by_id": second_checker.pk,
        "approved_by_id": second_checker.pk,
        "idempotency_key": "another-request",
        "executed_at": first.executed_at - timedelta(days=1),
        "reason": "Edited",
    }[column]
    rewrite(first, column, value)

    found = breaches()

    assert found == {
        "hash chain": [
            f"operation {first.pk} (sequence 1) does not match its hash: "
            "it or its entries changed after execution"
        ]
    }


def test_every_column_of_an_operation_is_hashed_but_its_state_and_the_chain_itself():
    columns = {field.attname for field in Operation._meta.concrete_fields}

    assert columns == {*HASHED_FIELDS, "state", "hash", "previous_hash"}


@requires_postgresql
def test_postgresql_refuses_a_new_description_of_an_executed_operation(books):
    with (
        pytest.raises(IntegrityError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE ledger_operation SET description = 'Nothing to see here' WHERE id = %s",
            [books[0].pk],
        )

    assert Operation.objects.get(pk=books[0].pk).description == books[0].description


HASH_MIGRATION = "apps.ledger.migrations.0007_operation_hash_covers_every_column"


def _chain() -> list:
    counter = SequenceCounter.objects.get(name=OPERATIONS_COUNTER)
    rows = Operation.objects.order_by("sequence").values_list("sequence", "previous_hash", "hash")
    return [*rows, (counter.value, counter.last_hash)]


def _pending_checks_run() -> None:
    # The books so far are committed history: run their deferred checks now, as PostgreSQL
    # alters no table with checks still pending.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_migration_hashes_the_chain_again_under_either_formula(books):
    migration = importlib.import_module(HASH_MIGRATION)
    written = _chain()
    _pending_checks_run()

    migration.rechain(apps, connection, source=migration.NEW_FIELDS, target=migration.OLD_FIELDS)
    under_the_old_formula = _chain()
    migration.rechain(apps, connection, source=migration.OLD_FIELDS, target=migration.NEW_FIELDS)

    assert migration.NEW_FIELDS == HASHED_FIELDS
    assert under_the_old_formula[-1][1] == under_the_old_formula[-2][2] != written[-1][1]
    assert _chain() == written
    assert breaches() == {}


def test_the_migration_refuses_to_hash_again_books_that_fail_verification(books):
    migration = importlib.import_module(HASH_MIGRATION)
    tamper("UPDATE ledger_entry SET amount_minor = 1 WHERE id = %s", [books[1].entries.first().pk])
    written = _chain()

    with (
        pytest.raises(RuntimeError, match=f"operation {books[1].pk} .* does not match"),
        transaction.atomic(),
    ):
        migration.rechain(
            apps, connection, source=migration.NEW_FIELDS, target=migration.OLD_FIELDS
        )

    assert _chain() == written
