"""PostgreSQL refuses to TRUNCATE the books' entries and operations.

TRUNCATE fires no row trigger, so the append-only and frozen rules of migration 0002 do not see
it. A statement-level ``BEFORE TRUNCATE`` trigger refuses it, including a ``TRUNCATE ...
CASCADE`` reaching these tables from another. One setting lets it through: a transaction that
has run ``SET LOCAL roundtable.allow_truncate = on``. Only the test suite's flush does that
(tests/conftest.py), so that transactional tests can still empty the database between them.
The cap table puts the same trigger on its movements and seals (its migration 0005).
"""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION ledger_refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('roundtable.allow_truncate', true) = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;
    """,
    """
    CREATE TRIGGER ledger_entry_refuse_truncate
        BEFORE TRUNCATE ON ledger_entry
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
    """,
    """
    CREATE TRIGGER ledger_operation_refuse_truncate
        BEFORE TRUNCATE ON ledger_operation
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_operation_refuse_truncate ON ledger_operation;",
    "DROP TRIGGER IF EXISTS ledger_entry_refuse_truncate ON ledger_entry;",
    "DROP FUNCTION IF EXISTS ledger_refuse_truncate();",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_operation_hash_covers_every_column")]

    operations = [
        migrations.RunPython(_run_on_postgresql(FORWARD), _run_on_postgresql(BACKWARD)),
    ]
