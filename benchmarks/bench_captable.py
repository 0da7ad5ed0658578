"""Cap table on PostgreSQL: an SPV with 10,000 holders and 200,000 movements."""

import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.db import connection

from apps.accounts.models import User
from apps.captable.models import Movement, MovementKind, Security, Stakeholder
from apps.captable.selectors import cap_table
from apps.captable.services import (
    Change,
    captable_change_record,
    issuer_create,
    plan_create,
    share_class_create,
)
from benchmarks.timing import Measure, best_of

HOLDERS = int(os.environ.get("BENCH_HOLDERS", "10000"))
MOVEMENTS = int(os.environ.get("BENCH_MOVEMENTS", "200000"))
GRANTS = 1000
BATCHES = 20
START = date(2020, 1, 1)


def _people() -> tuple[User, User]:
    maker, _ = User.objects.get_or_create(email="bench.captable.maker@example.com")
    checker, _ = User.objects.get_or_create(
        email="bench.captable.checker@example.com", is_superuser=True
    )
    maker.is_superuser = True
    maker.save()
    return maker, checker


def _build(rng: random.Random, maker: User, checker: User):
    issuer = issuer_create(
        name=f"Bench SPV {rng.random()}",
        kind="spv",
        legal_form="SCSp",
        country="LU",
        currency="EUR",
        by=maker,
    )
    units = share_class_create(issuer=issuer, name="Units", class_type="units", by=maker)
    Stakeholder.objects.bulk_create(
        Stakeholder(issuer=issuer, name=f"Investor {i:05d}", kind="individual")
        for i in range(HOLDERS)
    )
    stakeholders = list(Stakeholder.objects.filter(issuer=issuer).order_by("pk"))
    operations = []

    def issue_all(change: Change) -> list[Security]:
        return [
            change.issue(
                kind="stock",
                stakeholder=s,
                share_class=units,
                quantity=rng.randint(10, 10**6),
                effective_date=START,
            )
            for s in stakeholders
        ]

    live = captable_change_record(
        issuer=issuer, description="Closing", by=maker, approved_by=checker, build=issue_all
    )
    held = {security.security_id: security for security in live}
    moved = len(live)
    day = START
    per_batch = max(1, (MOVEMENTS - moved) // 3 // BATCHES)  # a transfer writes 3 movements
    for _ in range(BATCHES):
        day += timedelta(days=30)

        def transfers(change: Change, day=day) -> None:
            for _ in range(per_batch):
                source = held.pop(rng.choice(list(held)))
                total = change.units(source)
                quantity = rng.randint(1, max(1, int(total) - 1))
                balance = change.consume(
                    security=source,
                    kind=MovementKind.TRANSFER,
                    quantity=quantity,
                    effective_date=day,
                )
                received = change.issue(
                    kind="stock",
                    stakeholder=rng.choice(stakeholders),
                    share_class=units,
                    quantity=quantity,
                    effective_date=day,
                )
                for security in (balance, received):
                    if security is not None:
                        held[security.security_id] = security

        captable_change_record(
            issuer=issuer,
            description="Secondary transfers",
            by=maker,
            approved_by=checker,
            build=transfers,
        )
        operations.append(Movement.objects.filter(issuer=issuer).latest("pk").operation)
    return issuer, units, stakeholders, operations


def run() -> list[Measure]:
    if connection.vendor != "postgresql":
        print("  (skipped: the cap table benchmarks need PostgreSQL; set DATABASE_URL)")
        return []
    rng = random.Random(2026)
    maker, checker = _people()
    started = time.perf_counter()
    issuer, units, stakeholders, operations = _build(rng, maker, checker)
    movements = Movement.objects.filter(issuer=issuer).count()
    built = time.perf_counter() - started
    print(f"  built {movements:,} movements for {HOLDERS:,} holders in {built:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE captable_movement")
    past = operations[len(operations) // 2]

    def floor_sql(extra: str = "") -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT stakeholder_id, share_class_id, security_kind, SUM(quantity) "
                "FROM captable_movement WHERE issuer_id = %s AND operation_sequence <= %s "
                f"{extra} GROUP BY stakeholder_id, share_class_id, security_kind",
                [issuer.pk, past.sequence],
            )
            cursor.fetchall()

    measures = [
        Measure(
            name=f"cap table after a past operation ({movements:,} movements)",
            seconds=best_of(lambda: cap_table(issuer, after_operation=past), repeat=3),
            floor_name="raw GROUP BY over the same movements",
            floor_seconds=best_of(floor_sql, repeat=3),
        )
    ]

    plan = plan_create(issuer=issuer, name="Carry plan", share_class=units, by=maker)

    def grants(change: Change) -> None:
        change.reserve_pool(plan=plan, quantity=GRANTS * 1000, effective_date=START)
        for stakeholder in rng.sample(stakeholders, min(GRANTS, len(stakeholders))):
            change.issue(
                kind="option",
                stakeholder=stakeholder,
                share_class=units,
                plan=plan,
                quantity=rng.randint(1, 900),
                effective_date=START,
                exercise_price_minor=100,
            )

    captable_change_record(
        issuer=issuer, description="Grants", by=maker, approved_by=checker, build=grants
    )
    latest = Movement.objects.filter(issuer=issuer).latest("pk").operation
    past = latest
    measures.append(
        Measure(
            name=f"fully diluted, now, with {GRANTS:,} grants",
            seconds=best_of(lambda: cap_table(issuer), repeat=3),
            floor_name="raw GROUP BY over the same movements",
            floor_seconds=best_of(floor_sql, repeat=3),
        )
    )
    measures.extend(_ocf_import(issuer, maker, checker))
    return measures


def _ocf_import(issuer, maker, checker) -> list[Measure]:
    try:
        from apps.captable.ocf.exporter import ocf_export
        from apps.captable.ocf.importer import ocf_import
    except ImportError:
        return []
    import json

    with tempfile.TemporaryDirectory() as folder:
        outdir = Path(folder)
        ocf_export(issuer=issuer, outdir=outdir)
        for manifest in outdir.glob("*.json"):
            data = json.loads(manifest.read_text())
            if data.get("file_type") == "OCF_MANIFEST_FILE":
                data["issuer"]["legal_name"] = f"{data['issuer']['legal_name']} (imported)"
                data["issuer"]["dba"] = f"{issuer.name} (imported)"
                manifest.write_text(json.dumps(data))
        movements = Movement.objects.filter(issuer=issuer).count()
        started = time.perf_counter()
        ocf_import(path=outdir, by=maker, approved_by=checker)
        elapsed = time.perf_counter() - started
    rows = list(
        Movement.objects.filter(issuer=issuer).values_list(
            "security_id", "stakeholder_id", "share_class_id", "quantity", "effective_date"
        )
    )

    def copy_floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS movement_floor "
                "(LIKE captable_movement INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
            )
            cursor.execute("TRUNCATE movement_floor")
            with cursor.cursor.copy(
                "COPY movement_floor (operation_id, issuer_id, security_id, kind, quantity, "
                "effective_date, security_kind, stakeholder_id, share_class_id, "
                "operation_sequence, external_id) FROM STDIN"
            ) as copy:
                for security, stakeholder, share_class, quantity, effective_date in rows:
                    copy.write_row(
                        (
                            1,
                            issuer.pk,
                            security,
                            "issuance",
                            quantity,
                            effective_date,
                            "stock",
                            stakeholder,
                            share_class,
                            1,
                            "",
                        )
                    )

    return [
        Measure(
            name=f"OCF import of that issuer ({movements:,} movements)",
            seconds=elapsed,
            floor_name="COPY of the same movement rows",
            floor_seconds=best_of(copy_floor, repeat=1),
        )
    ]
