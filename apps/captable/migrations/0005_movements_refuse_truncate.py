"""PostgreSQL refuses to TRUNCATE holding movements and their seals, as it does the books.

The trigger function, and the one setting that lets a TRUNCATE through (for the test suite's
flush alone), are the ledger's: see ledger migration 0008.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE TRIGGER captable_movement_refuse_truncate
        BEFORE TRUNCATE ON captable_movement
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
    """,
    """
    CREATE TRIGGER captable_movementseal_refuse_truncate
        BEFORE TRUNCATE ON captable_movementseal
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS captable_movementseal_refuse_truncate ON captable_movementseal;",
    "DROP TRIGGER IF EXISTS captable_movement_refuse_truncate ON captable_movement;",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("captable", "0004_movement_seals"),
        ("ledger", "0008_books_refuse_truncate"),
    ]

    operations = [
        migrations.RunPython(_run_on_postgresql(FORWARD), _run_on_postgresql(BACKWARD)),
    ]
