"""Check an operation's balance once per operation at commit, not once per entry.

The deferred trigger fires for every entry row. Summing all of the operation's entries each time
made a commit of n entries cost n x n row reads. The first firing for an operation now records,
in a transaction-local setting, the operation and the highest entry id its check covered; the
following firings for the same operation skip the sum while their entry is among those already
checked (entries added later have higher ids and are checked again). State and sequence are
still checked row by row.
"""

from django.db import migrations

FUNCTION = """
    CREATE OR REPLACE FUNCTION ledger_entry_check_operation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        leftover RECORD;
        op RECORD;
        checked text := current_setting('ledger.entries_checked', true);
        covered bigint;
    BEGIN
        IF checked IS NULL OR checked = ''
           OR split_part(checked, ':', 1)::bigint <> NEW.operation_id
           OR NEW.id > split_part(checked, ':', 2)::bigint
        THEN
            SELECT currency, SUM(amount_minor) AS total INTO leftover
                FROM ledger_entry WHERE operation_id = NEW.operation_id
                GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'operation % is unbalanced: its % entries sum to % minor units',
                    NEW.operation_id, leftover.currency, leftover.total
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            SELECT MAX(id) INTO covered FROM ledger_entry WHERE operation_id = NEW.operation_id;
            PERFORM set_config(
                'ledger.entries_checked', NEW.operation_id || ':' || covered, true
            );
        END IF;
        SELECT state, sequence INTO op FROM ledger_operation WHERE id = NEW.operation_id;
        IF op.state NOT IN ('executed', 'reversed') THEN
            RAISE EXCEPTION 'operation % is %: only an executed operation has entries',
                NEW.operation_id, op.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.operation_sequence IS DISTINCT FROM op.sequence THEN
            RAISE EXCEPTION 'entry % carries sequence %, its operation %',
                NEW.id, NEW.operation_sequence, op.sequence
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$;
"""

PREVIOUS = """
    CREATE OR REPLACE FUNCTION ledger_entry_check_operation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        leftover RECORD;
        op RECORD;
    BEGIN
        SELECT currency, SUM(amount_minor) AS total INTO leftover
            FROM ledger_entry WHERE operation_id = NEW.operation_id
            GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'operation % is unbalanced: its % entries sum to % minor units',
                NEW.operation_id, leftover.currency, leftover.total
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        SELECT state, sequence INTO op FROM ledger_operation WHERE id = NEW.operation_id;
        IF op.state NOT IN ('executed', 'reversed') THEN
            RAISE EXCEPTION 'operation % is %: only an executed operation has entries',
                NEW.operation_id, op.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.operation_sequence IS DISTINCT FROM op.sequence THEN
            RAISE EXCEPTION 'entry % carries sequence %, its operation %',
                NEW.id, NEW.operation_sequence, op.sequence
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$;
"""


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_history_reason_text")]

    operations = [migrations.RunPython(_on_postgresql(FUNCTION), _on_postgresql(PREVIOUS))]
