    CREATE FUNCTION captable_movement_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'holding movements are append-only: % of movement % refused',
            TG_OP, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

    CREATE TRIGGER captable_movement_append_only
        BEFORE UPDATE OR DELETE ON captable_movement
        FOR EACH ROW EXECUTE FUNCTION captable_movement_append_only();

    CREATE FUNCTION captable_movement_check_operation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        op RECORD;
    BEGIN
        SELECT state, sequence INTO op FROM ledger_operation WHERE id = NEW.operation_id;
        IF op.state NOT IN ('executed', 'reversed') THEN
            RAISE EXCEPTION 'operation % is %: only an executed operation moves holdings',
                NEW.operation_id, op.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.operation_sequence IS DISTINCT FROM op.sequence THEN
            RAISE EXCEPTION 'movement % carries sequence %, its operation %',
                NEW.id, NEW.operation_sequence, op.sequence
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$;

    CREATE CONSTRAINT TRIGGER captable_movement_check_operation
        AFTER INSERT ON captable_movement
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION captable_movement_check_operation();

--- reverse:
    DROP TRIGGER IF EXISTS captable_movement_check_operation ON captable_movement;
    DROP FUNCTION IF EXISTS captable_movement_check_operation();
    DROP TRIGGER IF EXISTS captable_movement_append_only ON captable_movement;
    DROP FUNCTION IF EXISTS captable_movement_append_only();
