"""A digest pins the books' newest operation: books cut off or rewritten since no longer hold it.

The hash chain alone proves no link was changed, not that none was cut off the end; PostgreSQL
refuses the bluntest cut, a TRUNCATE, outright.
"""

import json
from datetime import UTC
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from apps.ledger.models import Entry, Operation
from apps.ledger.services import OPERATIONS_COUNTER
from apps.ledger.verification import DIGEST_FORMAT, ledger_verify_report
from tests.ledger.conftest import eur, post, requires_postgresql, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(maker, checker, bank, cash) -> list[Operation]:
    return [
        post([(bank, eur(-100 * n)), (cash, eur(100 * n))], maker=maker, checker=checker)
        for n in (1, 2, 3)
    ]


def take_digest(directory: Path) -> Path:
    out = StringIO()
    call_command("ledger_digest", stdout=out)
    path = directory / "digest.json"
    path.write_text(out.getvalue())
    return path


def verify(path: Path, out: StringIO | None = None) -> str:
    """Run ``ledger_verify --digest path``; return what it printed (also in ``out``)."""
    out = out or StringIO()
    call_command("ledger_verify", "--digest", str(path), stdout=out)
    return out.getvalue()


def behind_the_application(sql: str, params: list) -> None:
    """Change rows as someone with direct database access would, triggers switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The books so far are committed history: run their deferred checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
            # Back to each constraint's own timing (all deferrable ones are initially deferred),
            # for the books to go on.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def cut_off_after(last_kept: Operation) -> None:
    """Delete every operation after ``last_kept``, with its entries, and rewind the counter."""
    behind_the_application(
        "DELETE FROM ledger_entry WHERE operation_sequence > %s", [last_kept.sequence]
    )
    behind_the_application("DELETE FROM ledger_operation WHERE sequence > %s", [last_kept.sequence])
    behind_the_application(
        "UPDATE ledger_sequencecounter SET value = %s, last_hash = %s WHERE name = %s",
        [last_kept.sequence, last_kept.hash, OPERATIONS_COUNTER],
    )


def test_the_digest_names_the_newest_operation(books, tmp_path):
    newest = books[-1]

    document = json.loads(take_digest(tmp_path).read_text())

    assert document["format"] == DIGEST_FORMAT
    assert document["heads"] == {
        "operations": {
            "sequence": 3,
            "hash": newest.hash,
            "executed_at": newest.executed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        "movement_seals": None,
    }


def test_books_that_moved_on_since_the_digest_still_hold_its_head(
    books, tmp_path, maker, checker, bank, cash
):
    path = take_digest(tmp_path)
    post([(bank, eur(-5)), (cash, eur(5))], maker=maker, checker=checker)

    output = verify(path)

    assert "digest head of operations (1 checked)" in output
    assert "The books verify." in output


def test_a_digest_of_empty_books_is_held_by_any_books(tmp_path, maker, checker, bank, cash):
    path = take_digest(tmp_path)
    post([(bank, eur(-5)), (cash, eur(5))], maker=maker, checker=checker)

    assert "The books verify." in verify(path)


def test_operations_cut_off_the_end_pass_the_chain_but_not_the_digest(books, tmp_path):
    path = take_digest(tmp_path)
    cut_off_after(books[0])
    written, out = snapshot(), StringIO()

    assert ledger_verify_report().passed
    with pytest.raises(CommandError, match="fail verification: 1 breach"):
        verify(path, out)

    assert (
        "the digest's head, operation sequence 3, is missing: the books end at sequence 1"
        in out.getvalue()
    )
    assert snapshot() == written


def test_a_head_rewritten_since_the_digest_is_a_breach(books, tmp_path, maker, checker, bank, cash):
    path = take_digest(tmp_path)
    cut_off_after(books[1])
    rewritten = post([(bank, eur(-7)), (cash, eur(7))], maker=maker, checker=checker)
    written, out = snapshot(), StringIO()

    assert rewritten.sequence == 3
    assert ledger_verify_report().passed
    with pytest.raises(CommandError, match="fail verification: 2 breach"):
        verify(path, out)

    assert (
        f"operation sequence 3 has hash {rewritten.hash}, not the digest's {books[2].hash}: "
        "the chain was rewritten from there" in out.getvalue()
    )
    assert "operation sequence 3 was executed at " in out.getvalue()
    assert snapshot() == written


def _valid(books) -> dict:
    newest = books[-1]
    return {
        "format": DIGEST_FORMAT,
        "taken_at": "2026-01-10T09:00:00.000000+00:00",
        "heads": {
            "operations": {
                "sequence": newest.sequence,
                "hash": newest.hash,
                "executed_at": newest.executed_at.isoformat(),
            },
            "movement_seals": None,
        },
    }


def _without(document: dict, *path: str) -> dict:
    *parents, last = path
    container = document
    for key in parents:
        container = container[key]
    del container[last]
    return document


def _with(document: dict, value, *path: str) -> dict:
    *parents, last = path
    container = document
    for key in parents:
        container = container[key]
    container[last] = value
    return document


@pytest.mark.parametrize(
    ("malformed", "message"),
    [
        (lambda d: "{not json", "it is not JSON"),
        (lambda d: "[]", 'it is not a JSON object with "format"'),
        (lambda d: json.dumps(_with(d, "other/1", "format")), "it is not a JSON object"),
        (lambda d: json.dumps(_with(d, "yesterday", "taken_at")), '"taken_at", an ISO 8601'),
        (lambda d: json.dumps(_without(d, "heads")), 'it has no "heads" object'),
        (
            lambda d: json.dumps(_without(d, "heads", "movement_seals")),
            'it has no head for "movement_seals"',
        ),
        (
            lambda d: json.dumps(_with(d, {"sequence": 3}, "heads", "invoices")),
            "it pins chains these books do not keep: invoices",
        ),
        (
            lambda d: json.dumps(_with(d, "3", "heads", "operations", "sequence")),
            "\"sequence\", a positive integer; it has '3'",
        ),
        (
            lambda d: json.dumps(_with(d, "ABC", "heads", "operations", "hash")),
            '"hash", 64 lowercase hex digits',
        ),
        (
            lambda d: json.dumps(
                _with(d, "2026-01-10T09:00", "heads", "operations", "executed_at")
            ),
            '"executed_at", an ISO 8601 time with an offset',
        ),
        (
            lambda d: json.dumps(_with(d, [], "heads", "movement_seals")),
            'the head of "movement_seals" is neither an object nor null',
        ),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "other-format",
        "bad-time",
        "no-heads",
        "a-head-missing",
        "unknown-chain",
        "sequence-as-text",
        "bad-hash",
        "time-without-offset",
        "head-not-an-object",
    ],
)
def test_a_malformed_digest_is_a_clear_error(books, tmp_path, malformed, message):
    path = tmp_path / "digest.json"
    path.write_text(malformed(_valid(books)))
    written = snapshot()

    with pytest.raises(CommandError, match="is not a ledger digest: ") as raised:
        verify(path)

    assert message in str(raised.value)
    assert snapshot() == written


def test_a_digest_file_that_cannot_be_read_is_a_clear_error(books, tmp_path):
    with pytest.raises(CommandError, match="cannot read the digest"):
        verify(tmp_path / "missing.json")


# --- TRUNCATE, on PostgreSQL ------------------------------------------------------------------


@requires_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE ledger_entry",
        "TRUNCATE ledger_operation CASCADE",
        "TRUNCATE accounts_user CASCADE",  # reaches the books through their makers
    ],
)
def test_postgresql_refuses_to_truncate_the_books(books, statement):
    written = snapshot()

    with (
        pytest.raises(IntegrityError, match="is append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The books so far are committed history: run their deferred checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)

    assert snapshot() == written


@requires_postgresql
def test_the_test_suites_flush_alone_may_truncate_the_books(books):
    flush = connection.ops.sql_flush(
        no_style(), ["ledger_entry", "ledger_operation"], allow_cascade=True
    )

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.ops.execute_sql_flush(flush)
        emptied = (Operation.objects.count(), Entry.objects.count())
        transaction.set_rollback(True)

    assert emptied == (0, 0)
    assert Operation.objects.count() == 3
