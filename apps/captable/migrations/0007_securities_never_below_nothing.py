"""PostgreSQL refuses, at commit, a change that leaves any security holding less than nothing.

The position engine refuses such a change first; this is the same rule kept by the database,
whoever writes. Checked once per inserted movement, deferred to commit, over the movements of
that movement's security (an index range).
"""

from django.db import migrations

from apps.core.migrations_sql import RunPostgreSQLFile


class Migration(migrations.Migration):
    dependencies = [("captable", "0006_text_without_control_characters")]

    operations = [
        RunPostgreSQLFile(__file__),
    ]
