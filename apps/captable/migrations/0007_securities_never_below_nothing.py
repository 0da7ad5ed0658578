"""PostgreSQL refuses, at commit, a change that leaves any security holding less than nothing.

The position engine refuses such a change first; this is the same rule kept by the database,
whoever writes. Checked once per inserted movement, deferred to commit, over the movements of
that movement's security (an index range).
"""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION captable_security_not_negative() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        remaining NUMERIC;
    BEGIN
        IF NEW.security_id IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT SUM(quantity) INTO remaining FROM captable_movement
            WHERE security_id = NEW.security_id;
        IF remaining < 0 THEN
            RAISE EXCEPTION 'security % would hold %: a security never holds less than nothing',
                NEW.security_id, remaining
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$;
    """,
    """
    CREATE CONSTRAINT TRIGGER captable_security_not_negative
        AFTER INSERT ON captable_movement
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION captable_security_not_negative();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS captable_security_not_negative ON captable_movement;",
    "DROP FUNCTION IF EXISTS captable_security_not_negative();",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("captable", "0006_text_without_control_characters")]

    operations = [
        migrations.RunPython(_run_on_postgresql(FORWARD), _run_on_postgresql(BACKWARD)),
    ]
