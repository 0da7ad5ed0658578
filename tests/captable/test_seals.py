"""Holding movements are sealed and chained: ledger_verify finds one changed behind our back."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.captable.models import Movement, MovementSeal
from apps.captable.services import security_transfer, shares_issue
from apps.ledger.verification import ledger_verify_report
from tests.captable.conftest import holder
from tests.ledger.conftest import requires_postgresql

pytestmark = pytest.mark.django_db

D1 = date(2026, 1, 10)


@pytest.fixture
def history(issuer, common, maker, people):
    alice, bob = holder(issuer, "Alice", maker), holder(issuer, "Bob", maker)
    shares = shares_issue(
        share_class=common, stakeholder=alice, quantity=1000, effective_date=D1, **people
    )
    security_transfer(security=shares, to=bob, quantity=400, effective_date=D1, **people)
    return shares


def _seal_check(report):
    return next(check for check in report.checks if check.name == "holding movements sealed")


def _behind_our_back(sql: str, params: list) -> None:
    """Change rows as a database superuser could, past the application and its triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_each_change_is_sealed_and_chained_to_the_one_before(history):
    first, second = MovementSeal.objects.order_by("operation_sequence")
    assert (first.count, second.count) == (1, 3)  # issue; transfer out, balance, transfer in
    assert second.previous_digest == first.digest
    check = _seal_check(ledger_verify_report())
    assert check.passed and check.checked == 2


@pytest.mark.books_not_verified
def test_a_movement_edited_behind_our_back_is_found(history):
    moved = Movement.objects.order_by("pk").last()
    _behind_our_back("UPDATE captable_movement SET quantity = 401 WHERE id = %s", [moved.pk])

    check = _seal_check(ledger_verify_report())

    assert check.breaches == [
        f"the movements of operation {moved.operation_id} on issuer {moved.issuer_id} changed "
        "after they were recorded"
    ]


@pytest.mark.books_not_verified
def test_a_movement_slipped_into_a_change_is_found(history):
    moved = Movement.objects.order_by("pk").first()
    _behind_our_back(
        "INSERT INTO captable_movement (operation_id, issuer_id, security_id, kind, quantity, "
        "effective_date, security_kind, stakeholder_id, share_class_id, operation_sequence, "
        "external_id) SELECT operation_id, issuer_id, security_id, kind, quantity, "
        "effective_date, security_kind, stakeholder_id, share_class_id, operation_sequence, "
        "external_id FROM captable_movement WHERE id = %s",
        [moved.pk],
    )

    assert not _seal_check(ledger_verify_report()).passed


@pytest.mark.books_not_verified
def test_a_deleted_seal_leaves_its_movements_unsealed(history):
    last = MovementSeal.objects.order_by("operation_sequence").last()
    _behind_our_back("DELETE FROM captable_movementseal WHERE id = %s", [last.pk])

    breaches = _seal_check(ledger_verify_report()).breaches
    assert breaches == [
        f"the movements of operation {last.operation_id} on issuer {last.issuer_id} have no seal"
    ]


def test_the_migration_seals_earlier_movements_as_they_would_have_been_sealed(history):
    import importlib

    from django.apps import apps

    written = list(MovementSeal.objects.values_list("operation_id", "count", "digest"))
    MovementSeal.objects.all().delete()

    migration = importlib.import_module("apps.captable.migrations.0004_movement_seals")
    migration.seal_existing(apps, None)

    assert list(MovementSeal.objects.values_list("operation_id", "count", "digest")) == written


def _seals_and_movements() -> tuple:
    return (
        list(MovementSeal.objects.order_by("pk").values_list("pk", "digest")),
        list(Movement.objects.order_by("pk").values_list("pk", "quantity")),
    )


def _take_digest(tmp_path):
    out = StringIO()
    call_command("ledger_digest", stdout=out)
    path = tmp_path / "digest.json"
    path.write_text(out.getvalue())
    return path


def test_the_digest_names_the_newest_seal_and_the_seals_hold_it(history, tmp_path):
    newest = MovementSeal.objects.order_by("operation_sequence").last()
    path = _take_digest(tmp_path)
    out = StringIO()

    call_command("ledger_verify", "--digest", str(path), stdout=out)

    assert json.loads(path.read_text())["heads"]["movement_seals"] == {
        "operation_sequence": newest.operation_sequence,
        "issuer": newest.issuer_id,
        "digest": newest.digest,
    }
    assert "digest head of movement_seals (1 checked)" in out.getvalue()


def test_seals_cut_off_at_their_head_pass_the_chain_but_not_a_digest_taken_before(
    history, tmp_path
):
    first, last = MovementSeal.objects.order_by("operation_sequence")
    path = _take_digest(tmp_path)
    _behind_our_back(
        "DELETE FROM captable_movement WHERE operation_id = %s AND issuer_id = %s",
        [last.operation_id, last.issuer_id],
    )
    _behind_our_back("DELETE FROM captable_movementseal WHERE id = %s", [last.pk])
    written, out = _seals_and_movements(), StringIO()

    assert ledger_verify_report().passed
    with pytest.raises(CommandError, match="fail verification: 1 breach"):
        call_command("ledger_verify", "--digest", str(path), stdout=out)

    assert (
        f"the digest's head, the seal of operation sequence {last.operation_sequence} on issuer "
        f"{last.issuer_id}, is missing: the seals end at operation sequence "
        f"{first.operation_sequence}" in out.getvalue()
    )
    assert _seals_and_movements() == written


@requires_postgresql
@pytest.mark.parametrize("table", ["captable_movement", "captable_movementseal"])
def test_postgresql_refuses_to_truncate_movements_and_their_seals(history, table):
    written = _seals_and_movements()

    with (
        pytest.raises(IntegrityError, match=f"{table} is append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The changes so far are committed history: run their deferred checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {table}")

    assert _seals_and_movements() == written
