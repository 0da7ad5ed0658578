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

--- reverse:
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
