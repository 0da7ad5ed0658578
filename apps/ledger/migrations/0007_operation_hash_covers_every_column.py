"""Hash every column of an executed operation but its state, and freeze the same in PostgreSQL.

The chain covered an operation's kind, sequence, effective time and entries: its description,
maker, checker, idempotency key and the rest could be changed without the chain noticing. The
hash now covers every column but ``state`` (which moves on once, from executed to reversed),
``hash`` (the result) and ``previous_hash`` (the chain itself): see ``HASHED_FIELDS`` in
apps/ledger/services.py.

1. PostgreSQL freezes every column of an executed operation but its state (it froze ten):
   the function is in the ``.pg.sql`` file beside this one, the one it replaces its reverse.
2. The chain is hashed again under the new formula, from the first operation on, and the
   counter's last hash follows. Each operation must first match its hash under the formula the
   chain leaves: books that fail ``ledger_verify`` are refused, as hashing them again would seal
   the change into the chain. On PostgreSQL the freezing trigger is switched off for this alone,
   inside the migration's transaction. The reverse hashes the chain under the old formula again.

Both formulas are copied here as they stand at this migration, so that it keeps its meaning
whatever the service's formula becomes.
"""

import hashlib
import json
from datetime import UTC, datetime

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile

GENESIS = "0" * 64
CHUNK = 2000
BOOKED_STATES = ("executed", "reversed")

# The columns each formula hashes, besides the entries.
OLD_FIELDS = ("kind", "sequence", "effective_at")
NEW_FIELDS = (
    "id",
    "kind",
    "sequence",
    "effective_at",
    "executed_at",
    "description",
    "idempotency_key",
    "legs",
    "reverses_id",
    "created_by_id",
    "created_at",
    "approved_by_id",
    "approved_at",
    "reason",
)

UNFREEZE = "ALTER TABLE ledger_operation DISABLE TRIGGER ledger_operation_frozen;"
REFREEZE = "ALTER TABLE ledger_operation ENABLE TRIGGER ledger_operation_frozen;"


def _digest(previous: str, fields: tuple[str, ...], row: dict, entries: list[tuple]) -> str:
    content = {
        name: row[name].astimezone(UTC).isoformat(timespec="microseconds")
        if isinstance(row[name], datetime)
        else row[name]
        for name in fields
    }
    content["entries"] = sorted(
        [account, currency, amount] for account, currency, amount in entries
    )
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


def rechain(apps, connection, *, source: tuple[str, ...], target: tuple[str, ...]) -> None:
    """Hash the chain of executed operations under ``target``, once it verifies under ``source``."""
    operation = apps.get_model("ledger", "Operation")
    entry = apps.get_model("ledger", "Entry")
    counter = apps.get_model("ledger", "SequenceCounter").objects.filter(name="operations").first()
    columns = sorted({"id", *source, *target, "previous_hash", "hash"})
    booked = operation.objects.filter(state__in=BOOKED_STATES).order_by("sequence")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(UNFREEZE)
    verified, written, last_sequence = GENESIS, GENESIS, 0
    while chunk := list(booked.filter(sequence__gt=last_sequence).values(*columns)[:CHUNK]):
        entries: dict[int, list[tuple]] = {row["id"]: [] for row in chunk}
        for operation_id, *values in entry.objects.filter(operation_id__in=entries).values_list(
            "operation_id", "account_id", "currency", "amount_minor"
        ):
            entries[operation_id].append(tuple(values))
        rehashed = []
        for row in chunk:
            if row["previous_hash"] != verified or row["hash"] != _digest(
                verified, source, row, entries[row["id"]]
            ):
                raise RuntimeError(
                    f"operation {row['id']} (sequence {row['sequence']}) does not match its "
                    "hash: the books fail ledger_verify. Find out why before migrating: hashing "
                    "them again would seal the change into the chain."
                )
            verified = row["hash"]
            digest = _digest(written, target, row, entries[row["id"]])
            rehashed.append(operation(id=row["id"], previous_hash=written, hash=digest))
            written = digest
        operation.objects.bulk_update(rehashed, ["previous_hash", "hash"])
        last_sequence = chunk[-1]["sequence"]
    if counter is not None:
        if (counter.value, counter.last_hash) != (last_sequence, verified):
            raise RuntimeError(
                f"the operations counter says {counter.value} and {counter.last_hash}, the books "
                f"{last_sequence} and {verified}: the books fail ledger_verify"
            )
        counter.last_hash = written
        counter.save(update_fields=["last_hash"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(REFREEZE)


def hash_every_column(apps, schema_editor):
    rechain(apps, schema_editor.connection, source=OLD_FIELDS, target=NEW_FIELDS)


def hash_three_columns(apps, schema_editor):
    rechain(apps, schema_editor.connection, source=NEW_FIELDS, target=OLD_FIELDS)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_balance_check_once_per_operation")]

    operations = [
        RunPostgreSQLFile(__file__),
        migrations.RunPython(hash_every_column, hash_three_columns),
    ]
