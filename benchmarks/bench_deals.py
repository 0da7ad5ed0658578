"""Deals on PostgreSQL: a closing of 10,000 subscriptions and a distribution to 10,000 investors.

The investors, their cash and their funded subscriptions are written in bulk (one funding
operation of N + 1 legs); the deal is created, opened and moved to closing through the services.
Only ``deal_close`` and ``distribution_record`` are timed, once each (neither can be repeated on
the same deal), and their queries counted at two sizes: a closing's or a distribution's queries
must not grow with the number of investors beyond the batches of its bulk writes.

Each floor is measured in the same run: the very rows the service inserted, read back with
``COPY ... TO STDOUT`` and written again with ``COPY ... FROM STDIN`` into TEMP tables made
``LIKE`` the real ones (their indexes and checks, not their foreign keys or triggers), in one
transaction; for the distribution, after the raw ``GROUP BY`` of the holdings it reads.
"""

import os
import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.captable.models import Issuer, ShareClass
from apps.captable.services import issuer_create, share_class_create
from apps.core.money import Money
from apps.deals.fees import setup_fee
from apps.deals.models import Closing, Deal, Distribution, Subscription
from apps.deals.services import (
    deal_close,
    deal_create,
    deal_open,
    deal_start_closing,
    distribution_record,
)
from apps.investors.models import Investor
from apps.ledger.models import Account, AccountPurpose
from apps.ledger.services import (
    AccountSpec,
    Leg,
    account_bulk_open,
    account_open,
    operation_approve,
    operation_create,
    operation_execute,
    operation_submit,
)
from benchmarks.timing import Measure, best_of

SUBSCRIPTIONS = int(os.environ.get("BENCH_SUBSCRIPTIONS", "10000"))
SMALL = int(os.environ.get("BENCH_SUBSCRIPTIONS_SMALL", "1000"))
CURRENCY = "EUR"
UNIT_PRICE_MINOR = 100_000  # 1,000.00 EUR a unit: the units carry decimals
CLOSING_DAY = date(2022, 3, 31)
DISTRIBUTION_DAY = date(2026, 3, 31)
PROCEEDS_MULTIPLE = 2  # proceeds about twice the capital: every tier of the waterfall is reached
TERMS = {
    "setup_fee_rate": Decimal("0.02"),
    "carry_rate": Decimal("0.20"),
    "hurdle_rate": Decimal("0.08"),
    "catch_up_rate": Decimal("1"),
}
QUERY_LOG_LIMIT = 1_000_000  # room for every query of one timed call
# The PL/pgSQL functions PostgreSQL runs on these tables (deferred constraint triggers).
TRIGGERS = ("ledger_entry_check_operation", "captable_movement_check_operation")


@dataclass
class World:
    deal: Deal
    issuer: Issuer
    units: ShareClass
    capital_minor: int


@dataclass
class Call:
    """One timed call of a service, with the queries it issued."""

    seconds: float
    queries: list[dict]
    trigger_seconds: dict[str, tuple[int, float]]

    @property
    def query_seconds(self) -> float:
        return sum(float(query["time"]) for query in self.queries)


# --- set-up -----------------------------------------------------------------------------------


def _people() -> tuple[User, User]:
    people = []
    for role in ("maker", "checker"):
        user, _ = User.objects.get_or_create(
            email=f"bench.deals.{role}@example.com",
            defaults={"is_staff": True, "is_superuser": True},
        )
        people.append(user)
    return people[0], people[1]


def _post(legs: list[tuple[int, int]], *, key: str, kind: str, maker: User, checker: User):
    """Take an operation from draft to executed, as two people would."""
    operation = operation_create(
        kind=kind,
        legs=[Leg(account, Money(amount, CURRENCY)) for account, amount in legs],
        idempotency_key=key,
        by=maker,
    )
    operation_submit(operation=operation, by=maker)
    operation_approve(operation=operation, by=checker)
    return operation_execute(operation=operation, by=checker)


def _bank(checker: User) -> Account:
    name = "Bench deals client bank"
    found = Account.objects.filter(
        owner_type__isnull=True, purpose=AccountPurpose.BANK, currency=CURRENCY, name=name
    ).first()
    return found or account_open(
        purpose=AccountPurpose.BANK, currency=CURRENCY, name=name, by=checker
    )


def _build(rng: random.Random, size: int, maker: User, checker: User) -> World:
    """A deal in closing with ``size`` funded subscriptions, whose investors hold the cash."""
    label = f"{size:,}"
    issuer = issuer_create(
        name=f"Bench deal vehicle ({label})",
        kind="spv",
        legal_form="SCSp",
        country="LU",
        currency=CURRENCY,
        by=maker,
    )
    units = share_class_create(issuer=issuer, name="Units", class_type="units", by=maker)
    amounts = [rng.randint(10_000, 250_000) * 100 + rng.randint(0, 99) for _ in range(size)]
    capital = sum(amounts)
    deal = deal_create(
        name=f"Bench co-investment ({label})",
        issuer=issuer,
        share_class=units,
        asset_class="equity",
        currency=CURRENCY,
        unit_price_minor=UNIT_PRICE_MINOR,
        target_minor=capital,
        hard_cap_minor=capital,
        eligible_regimes=[],
        by=maker,
        **TERMS,
    )
    deal = deal_open(deal=deal, by=maker)

    investors = Investor.objects.bulk_create(
        (
            Investor(
                kind="person",
                legal_name=f"Bench investor {label} {i:05d}",
                country_of_residence="FR",
                tax_residence_country="FR",
                kyc_state="approved",
                sanctions_status="clear",
            )
            for i in range(size)
        ),
        batch_size=2000,
    )
    cash = account_bulk_open(
        specs=[
            AccountSpec(AccountPurpose.CASH, CURRENCY, owner=investor, allow_negative=False)
            for investor in investors
        ],
        by=checker,
    )
    # What the closing takes from each investor: the accepted amount and the setup fee.
    rate = Fraction(deal.setup_fee_rate)
    owed = [
        amount + setup_fee(amount=Money(amount, CURRENCY), rate=rate).amount_minor
        for amount in amounts
    ]
    _post(
        [
            (_bank(checker).pk, -sum(owed)),
            *((account.pk, paid) for account, paid in zip(cash, owed, strict=True)),
        ],
        key=f"bench-deals-funding-{deal.pk}",
        kind="deposit",
        maker=maker,
        checker=checker,
    )
    Subscription.objects.bulk_create(
        (
            Subscription(
                deal=deal,
                investor=investor,
                amount_minor=amount,
                accepted_minor=amount,
                state="funded",
                created_by=maker,
            )
            for investor, amount in zip(investors, amounts, strict=True)
        ),
        batch_size=2000,
    )
    deal = deal_start_closing(deal=deal, by=maker)
    return World(deal=deal, issuer=issuer, units=units, capital_minor=capital)


def _deposit_proceeds(world: World, maker: User, checker: User) -> Money:
    """Pay the exit proceeds into the vehicle's cash account, from the platform's bank."""
    vehicle = Account.objects.get(
        owner_type=ContentType.objects.get_for_model(Issuer),
        owner_id=world.issuer.pk,
        purpose=AccountPurpose.CASH,
        currency=CURRENCY,
    )
    proceeds = world.capital_minor * PROCEEDS_MULTIPLE
    _post(
        [(_bank(checker).pk, -proceeds), (vehicle.pk, proceeds)],
        key=f"bench-deals-proceeds-{world.deal.pk}",
        kind="deposit",
        maker=maker,
        checker=checker,
    )
    return Money(proceeds, CURRENCY)


# --- measuring --------------------------------------------------------------------------------


def _trigger_totals() -> dict[str, tuple[int, float]] | None:
    """Calls and total seconds of the deferred triggers' functions so far (track_functions)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
        with connection.cursor() as cursor:  # a transaction of its own: its end flushes
            cursor.execute(
                "SELECT funcname, calls, total_time FROM pg_stat_user_functions "
                "WHERE funcname = ANY(%s)",
                [list(TRIGGERS)],
            )
            rows = cursor.fetchall()
    except Exception:  # no statistics: not fatal to the benchmark
        return None
    totals = {name: (0, 0.0) for name in TRIGGERS}
    totals.update({name: (calls, ms / 1000) for name, calls, ms in rows})
    return totals


def _timed(call) -> tuple[object, Call]:
    before = _trigger_totals()
    # The captured queries are read from the connection's log, which keeps the last 9,000 only:
    # give the timed call an empty one that can hold all of its queries.
    saved_log = connection.queries_log
    connection.queries_log = deque(maxlen=QUERY_LOG_LIMIT)
    try:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - started
        queries = list(captured.captured_queries)
    finally:
        connection.queries_log = saved_log
    after = _trigger_totals()
    triggers = {}
    if before is not None and after is not None:
        triggers = {
            name: (after[name][0] - before[name][0], after[name][1] - before[name][1])
            for name in TRIGGERS
        }
    return result, Call(elapsed, queries, triggers)


def _shape(sql: str) -> str:
    """What a statement does, to which table: ``INSERT captable_security``."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else ''}".strip()


def _report(what: str, small: Call, large: Call, small_size: int, large_size: int) -> None:
    """Print the query counts at both sizes, what differs, and where the time went."""
    print(
        f"  {what}: {len(small.queries)} queries at N={small_size:,}, "
        f"{len(large.queries)} at N={large_size:,}"
    )
    counts = (Counter(_shape(q["sql"]) for q in small.queries), Counter())
    counts[1].update(_shape(q["sql"]) for q in large.queries)
    grown = [
        f"{shape} {counts[0][shape]} -> {counts[1][shape]}"
        for shape in sorted(set(counts[0]) | set(counts[1]))
        if counts[0][shape] != counts[1][shape]
    ]
    if grown:
        print(f"    differing: {'; '.join(grown)}")
    for shape, count in sorted(counts[1].items()):
        if count >= large_size // 2:  # one statement (or more) per investor
            sample = next(q["sql"] for q in large.queries if _shape(q["sql"]) == shape)
            print(f"    per investor: {count:,} x {' '.join(sample.split())[:110]}")
    outside = large.seconds - large.query_seconds
    print(
        f"    time: {small.seconds:.2f} s at N={small_size:,}; {large.seconds:.2f} s at "
        f"N={large_size:,}, of which {large.query_seconds:.2f} s in its queries (COMMIT "
        f"included) and {outside:.2f} s in Python"
    )
    for name in TRIGGERS:
        calls, seconds = large.trigger_seconds.get(name, (0, 0.0))
        if calls:
            small_calls, small_seconds = small.trigger_seconds.get(name, (0, 0.0))
            print(
                f"    deferred trigger {name} at COMMIT: {calls:,} calls, {seconds:.2f} s "
                f"(at N={small_size:,}: {small_calls:,} calls, {small_seconds:.2f} s)"
            )
    print(f"    slowest queries at N={large_size:,}:")
    for query in sorted(large.queries, key=lambda q: float(q["time"]), reverse=True)[:4]:
        sql = " ".join(query["sql"].split())
        print(f"      {float(query['time']):>7.3f} s  {sql[:100]}")


def _dump(table: str, where: str) -> bytes:
    """The rows of ``table`` matching ``where``, in COPY's text format."""
    data = bytearray()
    sql = f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for block in copy:
            data += block
    return bytes(data)


def _copy_floor(dumps: dict[str, bytes]):
    """Return a function writing ``dumps`` again through COPY into TEMP twins of the tables."""
    with connection.cursor() as cursor:
        for table in dumps:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS floor_{table} (LIKE {table} INCLUDING ALL)"
            )

    def floor() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, data in dumps.items():
                cursor.execute(f"TRUNCATE floor_{table}")
                with cursor.cursor.copy(f"COPY floor_{table} FROM STDIN") as copy:
                    copy.write(data)

    return floor


def _rows(dumps: dict[str, bytes]) -> dict[str, int]:
    return {table: data.count(b"\n") for table, data in dumps.items()}


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in rows.items())


def _closing_dumps(closing: Closing, world: World) -> dict[str, bytes]:
    """Every row the closing inserted (the subscriptions it updated are not counted)."""
    operation, issuer = int(closing.operation_id), int(world.issuer.pk)
    return {
        "ledger_entry": _dump("ledger_entry", f"operation_id = {operation}"),
        "captable_stakeholder": _dump("captable_stakeholder", f"issuer_id = {issuer}"),
        "captable_historicalstakeholder": _dump(
            "captable_historicalstakeholder", f"issuer_id = {issuer}"
        ),
        "captable_security": _dump("captable_security", f"issuer_id = {issuer}"),
        "captable_movement": _dump("captable_movement", f"operation_id = {operation}"),
        "deals_historicalsubscription": _dump(
            "deals_historicalsubscription", f"history_operation_id = {operation}"
        ),
    }


def _distribution_dumps(distribution: Distribution) -> dict[str, bytes]:
    operation, pk = int(distribution.operation_id), int(distribution.pk)
    return {
        "ledger_entry": _dump("ledger_entry", f"operation_id = {operation}"),
        "deals_distributionline": _dump("deals_distributionline", f"distribution_id = {pk}"),
    }


def _holdings_sql(world: World) -> None:
    """The read a distribution needs: each holder's units of the deal's class on the date."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stakeholder_id, SUM(quantity) FROM captable_movement "
            "WHERE issuer_id = %s AND share_class_id = %s AND security_kind = 'stock' "
            "AND effective_date <= %s GROUP BY stakeholder_id",
            [world.issuer.pk, world.units.pk, DISTRIBUTION_DAY],
        )
        cursor.fetchall()


def run() -> list[Measure]:
    if connection.vendor != "postgresql":
        print("  (skipped: the deal benchmarks need PostgreSQL; set DATABASE_URL)")
        return []
    rng = random.Random(2026)
    maker, checker = _people()
    try:
        with connection.cursor() as cursor:  # to time the deferred triggers (superuser only)
            cursor.execute("SET track_functions = 'pl'")
    except Exception:
        print("  (the triggers' time is not reported: SET track_functions was refused)")

    sizes = [SMALL, SUBSCRIPTIONS] if SMALL < SUBSCRIPTIONS else [SUBSCRIPTIONS]
    worlds, closings, distributions = {}, {}, {}
    for size in sizes:
        started = time.perf_counter()
        worlds[size] = _build(rng, size, maker, checker)
        built = time.perf_counter() - started
        print(f"  built a deal of {size:,} funded subscriptions in {built:.1f} s")
    for size in sizes:
        world = worlds[size]
        closings[size] = _timed(
            lambda world=world: deal_close(
                deal=world.deal, by=maker, approved_by=checker, effective_date=CLOSING_DAY
            )
        )
    for size in sizes:
        world = worlds[size]
        proceeds = _deposit_proceeds(world, maker, checker)
        distributions[size] = _timed(
            lambda world=world, proceeds=proceeds: distribution_record(
                deal=world.deal,
                proceeds=proceeds,
                on=DISTRIBUTION_DAY,
                by=maker,
                approved_by=checker,
            )
        )

    large = sizes[-1]
    world = worlds[large]
    closing, closed = closings[large]
    distribution, distributed = distributions[large]
    _report("deal_close", closings[sizes[0]][1], closed, sizes[0], large)
    tiers = ", ".join(
        f"{tier['name']} {Money(tier['lp_minor'], CURRENCY)} + {Money(tier['gp_minor'], CURRENCY)}"
        for tier in distribution.tiers
    )
    print(f"    waterfall (LP + GP): {tiers}")
    _report("distribution_record", distributions[sizes[0]][1], distributed, sizes[0], large)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE captable_movement")
        cursor.execute("ANALYZE ledger_entry")
    closing_dumps = _closing_dumps(closing, world)
    closing_rows = _rows(closing_dumps)
    print(f"  the closing inserted: {_rows_text(closing_rows)}")
    distribution_dumps = _distribution_dumps(distribution)
    distribution_rows = _rows(distribution_dumps)
    print(f"  the distribution inserted: {_rows_text(distribution_rows)}")
    copy_closing = _copy_floor(closing_dumps)
    copy_distribution = _copy_floor(distribution_dumps)

    def distribution_floor() -> None:
        _holdings_sql(world)
        copy_distribution()

    return [
        Measure(
            name=f"deal_close, {large:,} subscriptions ({len(closed.queries)} queries)",
            seconds=closed.seconds,
            floor_name=f"COPY of the same {sum(closing_rows.values()):,} inserted rows",
            floor_seconds=best_of(copy_closing, repeat=3),
        ),
        Measure(
            name=f"distribution_record, {large:,} investors ({len(distributed.queries)} queries)",
            seconds=distributed.seconds,
            floor_name=(
                f"raw GROUP BY of the holdings + COPY of its "
                f"{sum(distribution_rows.values()):,} rows"
            ),
            floor_seconds=best_of(distribution_floor, repeat=3),
        ),
    ]
