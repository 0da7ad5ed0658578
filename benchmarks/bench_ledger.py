"""Ledger on PostgreSQL: executing operations, and balances over a million entries."""

import io
import os
import random
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from apps.accounts.models import User
from apps.ledger.models import Account, Operation, OperationState
from apps.ledger.selectors import balance
from apps.ledger.services import AccountSpec, account_bulk_open, operation_execute
from benchmarks.timing import Measure, best_of

OPERATIONS = int(os.environ.get("BENCH_OPERATIONS", "10000"))
LEGS = 10
ACCOUNTS = 1000
LEDGER_ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
START = datetime(2024, 1, 1, tzinfo=UTC)
ENTRY_COLUMNS = "operation_id, account_id, amount_minor, currency, operation_sequence, effective_at"


def _legs(rng: random.Random, accounts: list[int]) -> list[tuple[int, int]]:
    """Ten legs summing to zero: nine random credits and the debit that balances them."""
    chosen = rng.sample(accounts, LEGS)
    amounts = [rng.randint(1, 10**7) for _ in range(LEGS - 1)]
    return [(chosen[0], -sum(amounts)), *zip(chosen[1:], amounts, strict=True)]


def _copy(table: str, columns: str, rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(value) for value in row))
        buffer.write("\n")
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        copy.write(buffer.getvalue())


def _users() -> tuple[User, User]:
    maker, _ = User.objects.get_or_create(email="bench.maker@example.com")
    checker, _ = User.objects.get_or_create(email="bench.checker@example.com", is_superuser=True)
    return maker, checker


def _approved_operations(rng, accounts, maker, checker, count) -> list[Operation]:
    operations = [
        Operation(
            kind="transfer",
            state=OperationState.APPROVED,
            idempotency_key=f"bench-{rng.random()}",
            legs=[
                {"account": account, "amount_minor": amount, "currency": "EUR"}
                for account, amount in _legs(rng, accounts)
            ],
            created_by=maker,
            approved_by=checker,
        )
        for _ in range(count)
    ]
    return Operation.objects.bulk_create(operations, batch_size=2000)


def _execution(rng, accounts, maker, checker) -> Measure:
    operations = _approved_operations(rng, accounts, maker, checker, OPERATIONS)
    started = time.perf_counter()
    for operation in operations:
        operation_execute(operation=operation, by=checker)
    elapsed = time.perf_counter() - started

    rows = [
        (operation.pk, leg["account"], leg["amount_minor"], "EUR", index, START.isoformat())
        for index, operation in enumerate(operations)
        for leg in operation.legs
    ]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE entry_floor (LIKE ledger_entry INCLUDING ALL)")

    def copy_floor() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE entry_floor")
            _copy("entry_floor", ENTRY_COLUMNS, rows)

    floor = best_of(copy_floor, repeat=3)
    rate = OPERATIONS / elapsed
    return Measure(
        name=f"execute {OPERATIONS:,} operations x {LEGS} entries ({rate:,.0f} op/s)",
        seconds=elapsed,
        floor_name=f"COPY of the same {len(rows):,} entry rows ({OPERATIONS / floor:,.0f} op/s)",
        floor_seconds=floor,
    )


def _load_entries(rng, accounts, maker, checker, target: int) -> None:
    """Fill the books up to ``target`` entries, straight through COPY (triggers off)."""
    missing_operations = max(0, (target - _entry_count()) // LEGS)
    first_sequence = (
        Operation.objects.filter(sequence__isnull=False).order_by("-sequence").first().sequence + 1
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT nextval(pg_get_serial_sequence('ledger_operation', 'id'))")
        next_id = cursor.fetchone()[0] + 1
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_operation', 'id'), %s)",
            [next_id + missing_operations],
        )
        span = timedelta(days=730).total_seconds()
        operations, entries = [], []
        for n in range(missing_operations):
            effective = START + timedelta(seconds=span * n / missing_operations)
            operations.append(
                (
                    next_id + n,
                    "transfer",
                    "executed",
                    f"load-{n}",
                    "[]",
                    maker.pk,
                    checker.pk,
                    first_sequence + n,
                    effective.isoformat(),
                    effective.isoformat(),
                    "",
                    "",
                    "",
                    "",
                    datetime.now(UTC).isoformat(),
                )
            )
            for account, amount in _legs(rng, accounts):
                entries.append(
                    (next_id + n, account, amount, "EUR", first_sequence + n, effective.isoformat())
                )
        _copy(
            "ledger_operation",
            "id, kind, state, idempotency_key, legs, created_by_id, approved_by_id, sequence, "
            "effective_at, executed_at, hash, previous_hash, description, reason, created_at",
            operations,
        )
        _copy("ledger_entry", ENTRY_COLUMNS, entries)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_entry")


def _entry_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry")
        return cursor.fetchone()[0]


def _balance_latency(rng, accounts) -> list[Measure]:
    as_of = START + timedelta(days=365)
    sample = [Account.objects.get(pk=pk) for pk in rng.sample(accounts, 50)]
    entries = _entry_count()

    def orm() -> None:
        for account in sample:
            balance(account, as_of=as_of)

    def raw() -> None:
        with connection.cursor() as cursor:
            for account in sample:
                cursor.execute(
                    "SELECT account_id, SUM(amount_minor) FROM ledger_entry "
                    "WHERE account_id = %s AND effective_at <= %s GROUP BY account_id",
                    [account.pk, as_of],
                )
                cursor.fetchall()

    def whole_ledger() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_id, SUM(amount_minor) FROM ledger_entry "
                "WHERE effective_at <= %s GROUP BY account_id",
                [as_of],
            )
            cursor.fetchall()

    per_call = best_of(orm) / len(sample)
    return [
        Measure(
            name=f"balance(as_of=...) of one account, {entries:,} entries",
            seconds=per_call,
            floor_name="raw SUM ... GROUP BY over the same account's rows",
            floor_seconds=best_of(raw) / len(sample),
        ),
        Measure(
            name="  the same, beside a GROUP BY of the whole ledger",
            seconds=per_call,
            floor_name="raw GROUP BY of every account (a full scan)",
            floor_seconds=best_of(whole_ledger, repeat=3),
        ),
    ]


def run() -> list[Measure]:
    if connection.vendor != "postgresql":
        print("  (skipped: the ledger benchmarks need PostgreSQL; set DATABASE_URL)")
        return []
    rng = random.Random(2026)
    maker, checker = _users()
    accounts = [
        account.pk
        for account in account_bulk_open(
            specs=[AccountSpec("cash", "EUR", name=f"Bench {i}") for i in range(ACCOUNTS)],
            by=checker,
        )
    ]
    measures = [_execution(rng, accounts, maker, checker)]
    _load_entries(rng, accounts, maker, checker, LEDGER_ENTRIES)
    measures.extend(_balance_latency(rng, accounts))
    return measures
