    CREATE FUNCTION ledger_entry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger entries are append-only: % of entry % refused', TG_OP, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

    CREATE TRIGGER ledger_entry_append_only
        BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();

    ALTER TABLE ledger_entry
        ADD CONSTRAINT ledger_entry_currency_is_account_currency
        FOREIGN KEY (account_id, currency) REFERENCES ledger_account (id, currency);

    CREATE FUNCTION ledger_entry_check_operation() RETURNS trigger
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

    CREATE CONSTRAINT TRIGGER ledger_entry_check_operation
        AFTER INSERT ON ledger_entry
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_check_operation();

    CREATE FUNCTION ledger_operation_frozen() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.state NOT IN ('executed', 'reversed') THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'operation % is %: it cannot be deleted', OLD.id, OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF (NEW.kind, NEW.sequence, NEW.hash, NEW.previous_hash, NEW.effective_at,
            NEW.executed_at, NEW.legs, NEW.created_by_id, NEW.approved_by_id, NEW.reverses_id)
           IS DISTINCT FROM
           (OLD.kind, OLD.sequence, OLD.hash, OLD.previous_hash, OLD.effective_at,
            OLD.executed_at, OLD.legs, OLD.created_by_id, OLD.approved_by_id, OLD.reverses_id)
           OR NOT (NEW.state = OLD.state OR (OLD.state = 'executed' AND NEW.state = 'reversed'))
        THEN
            RAISE EXCEPTION 'operation % is %: it cannot be changed', OLD.id, OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$;

    CREATE TRIGGER ledger_operation_frozen
        BEFORE UPDATE OR DELETE ON ledger_operation
        FOR EACH ROW EXECUTE FUNCTION ledger_operation_frozen();

--- reverse:
    DROP TRIGGER IF EXISTS ledger_operation_frozen ON ledger_operation;
    DROP FUNCTION IF EXISTS ledger_operation_frozen();
    DROP TRIGGER IF EXISTS ledger_entry_check_operation ON ledger_entry;
    DROP FUNCTION IF EXISTS ledger_entry_check_operation();
    ALTER TABLE ledger_entry DROP CONSTRAINT IF EXISTS ledger_entry_currency_is_account_currency;
    DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
    DROP FUNCTION IF EXISTS ledger_entry_append_only();
