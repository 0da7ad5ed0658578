    CREATE OR REPLACE FUNCTION ledger_operation_frozen() RETURNS trigger
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
        -- Every column but the state, which moves on once: from executed to reversed.
        IF (to_jsonb(NEW) - 'state') IS DISTINCT FROM (to_jsonb(OLD) - 'state')
           OR NOT (NEW.state = OLD.state OR (OLD.state = 'executed' AND NEW.state = 'reversed'))
        THEN
            RAISE EXCEPTION 'operation % is %: it cannot be changed', OLD.id, OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$;

--- reverse:
    CREATE OR REPLACE FUNCTION ledger_operation_frozen() RETURNS trigger
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
