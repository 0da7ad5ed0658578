"""Check an operation's balance once per operation at commit, not once per entry.

The deferred trigger fires for every entry row. Summing all of the operation's entries each time
made a commit of n entries cost n x n row reads. The first firing for an operation now records,
in a transaction-local setting, the operation and the highest entry id its check covered; the
following firings for the same operation skip the sum while their entry is among those already
checked (entries added later have higher ids and are checked again). State and sequence are
still checked row by row.
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_history_reason_text")]

    operations = [RunPostgreSQLFile(__file__)]
