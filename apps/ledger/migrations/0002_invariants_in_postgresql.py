"""The books' invariants, enforced by PostgreSQL itself (other databases rely on the ORM's).

- Entries are append-only: no UPDATE, no DELETE.
- An entry's currency is its account's: (account_id, currency) references the account's key.
- At commit, each operation's entries sum to zero per currency, belong to an executed (or
  reversed) operation and carry its sequence number.
- An executed operation is frozen: only its state may move on, to reversed; it is never deleted.

Also creates the row that numbers executed operations.
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


def create_counter(apps, schema_editor):
    apps.get_model("ledger", "SequenceCounter").objects.get_or_create(name="operations")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        RunPostgreSQLFile(__file__),
        migrations.RunPython(create_counter, migrations.RunPython.noop),
    ]
