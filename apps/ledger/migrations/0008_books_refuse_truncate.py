"""PostgreSQL refuses to TRUNCATE the books' entries and operations.

TRUNCATE fires no row trigger, so the append-only and frozen rules of migration 0002 do not see
it. A statement-level ``BEFORE TRUNCATE`` trigger refuses it, including a ``TRUNCATE ...
CASCADE`` reaching these tables from another. One setting lets it through: a transaction that
has run ``SET LOCAL roundtable.allow_truncate = on``. Only the test suite's flush does that
(tests/conftest.py), so that transactional tests can still empty the database between them.
The cap table puts the same trigger on its movements and seals (its migration 0005).
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_operation_hash_covers_every_column")]

    operations = [
        RunPostgreSQLFile(__file__),
    ]
