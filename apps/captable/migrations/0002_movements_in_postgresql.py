"""Holding movements are append-only and belong to executed operations, enforced by PostgreSQL.

- No UPDATE and no DELETE of a movement.
- At commit, a movement's operation is executed (or reversed) and the movement carries its
  sequence number.
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


class Migration(migrations.Migration):
    dependencies = [("captable", "0001_initial")]

    operations = [
        RunPostgreSQLFile(__file__),
    ]
