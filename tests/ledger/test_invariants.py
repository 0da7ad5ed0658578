"""The books' invariants hold whichever way a change comes: the ORM, or raw SQL on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.ledger.exceptions import AppendOnlyViolation
from apps.ledger.models import Entry, Operation
from apps.ledger.selectors import balance
from tests.ledger.conftest import approved, draft, eur, post, requires_postgresql


@pytest.fixture
def executed(maker, checker, bank, cash) -> Operation:
    return post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)


# --- through the ORM, on every database -------------------------------------------------------


@pytest.mark.django_db
def test_an_entry_cannot_be_saved_again(executed):
    entry = executed.entries.first()
    entry.amount_minor = 1

    with pytest.raises(AppendOnlyViolation):
        entry.save()


@pytest.mark.django_db
def test_an_entry_cannot_be_deleted(executed):
    with pytest.raises(AppendOnlyViolation):
        executed.entries.first().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda entries: entries.update(amount_minor=1),
        lambda entries: entries.delete(),
        lambda entries: entries.bulk_update(list(entries), ["amount_minor"]),
    ],
)
def test_entries_cannot_be_changed_in_bulk(executed, change):
    with pytest.raises(AppendOnlyViolation):
        change(Entry.objects.filter(operation=executed))

    assert balance(executed.entries.first().account) in {eur(100), eur(-100)}


@pytest.mark.django_db
def test_an_operation_cannot_be_approved_by_its_maker_even_around_the_services(maker, bank, cash):
    operation = draft([(bank, eur(-1)), (cash, eur(1))], by=maker)

    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=operation.pk).update(approved_by=maker)


@pytest.mark.django_db
def test_an_executed_operation_without_a_sequence_is_refused_by_the_database(executed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=executed.pk).update(sequence=None)


@pytest.mark.django_db
def test_an_entry_of_zero_is_refused_by_the_database(executed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create(
            [
                Entry(
                    operation=executed,
                    account_id=executed.entries.first().account_id,
                    amount_minor=0,
                    currency="EUR",
                    operation_sequence=executed.sequence,
                    effective_at=executed.effective_at,
                )
            ]
        )


# --- around the ORM, on PostgreSQL ------------------------------------------------------------


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@requires_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_a_raw_update_of_an_entry(executed):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        _raw("UPDATE ledger_entry SET amount_minor = 1 WHERE operation_id = %s", [executed.pk])


@requires_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_a_raw_delete_of_an_entry(executed):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM ledger_entry WHERE operation_id = %s", [executed.pk])


@requires_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_an_entry_in_another_currency_than_its_account(executed, cash):
    with pytest.raises(IntegrityError, match="currency_is_account_currency"), transaction.atomic():
        _raw(
            "INSERT INTO ledger_entry (operation_id, account_id, amount_minor, currency, "
            "operation_sequence, effective_at) VALUES (%s, %s, 5, 'USD', %s, now())",
            [executed.pk, cash.pk, executed.sequence],
        )


@requires_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_a_change_to_an_executed_operation(executed):
    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
        _raw("UPDATE ledger_operation SET kind = 'fee' WHERE id = %s", [executed.pk])
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        _raw("DELETE FROM ledger_operation WHERE id = %s", [executed.pk])


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_a_raw_unbalanced_insert_at_commit(maker, checker, bank, cash):
    executed = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)

    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        _raw(
            "INSERT INTO ledger_entry (operation_id, account_id, amount_minor, currency, "
            "operation_sequence, effective_at) VALUES (%s, %s, 5, 'EUR', %s, %s)",
            [executed.pk, cash.pk, executed.sequence, timezone.now()],
        )

    assert Entry.objects.filter(operation=executed).count() == 2


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_checks_again_entries_added_after_an_operation_was_checked(
    maker, checker, bank, cash
):
    executed = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    insert = (
        "INSERT INTO ledger_entry (operation_id, account_id, amount_minor, currency, "
        "operation_sequence, effective_at) VALUES (%s, %s, %s, 'EUR', %s, now())"
    )

    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        for account, amount in [(bank, -7), (cash, 7)]:
            _raw(insert, [executed.pk, account.pk, amount, executed.sequence])
        _raw("SET CONSTRAINTS ALL IMMEDIATE")  # checked here: balanced
        _raw(insert, [executed.pk, cash.pk, 1, executed.sequence])

    assert Entry.objects.filter(operation=executed).count() == 2


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_accepts_a_raw_balanced_insert_only_on_an_executed_operation(
    maker, checker, bank, cash
):
    pending = approved([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)

    with pytest.raises(IntegrityError, match="only an executed operation"), transaction.atomic():
        for account, amount in [(bank, -100), (cash, 100)]:
            _raw(
                "INSERT INTO ledger_entry (operation_id, account_id, amount_minor, currency, "
                "operation_sequence, effective_at) VALUES (%s, %s, %s, 'EUR', 1, now())",
                [pending.pk, account.pk, amount],
            )

    assert not Entry.objects.exists()
