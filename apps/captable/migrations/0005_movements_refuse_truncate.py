"""PostgreSQL refuses to TRUNCATE holding movements and their seals, as it does the books.

The trigger function, and the one setting that lets a TRUNCATE through (for the test suite's
flush alone), are the ledger's: see ledger migration 0008.
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


class Migration(migrations.Migration):
    dependencies = [
        ("captable", "0004_movement_seals"),
        ("ledger", "0008_books_refuse_truncate"),
    ]

    operations = [
        RunPostgreSQLFile(__file__),
    ]
