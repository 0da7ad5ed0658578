    CREATE FUNCTION ledger_refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('roundtable.allow_truncate', true) = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

    CREATE TRIGGER ledger_entry_refuse_truncate
        BEFORE TRUNCATE ON ledger_entry
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();

    CREATE TRIGGER ledger_operation_refuse_truncate
        BEFORE TRUNCATE ON ledger_operation
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();

--- reverse:
    DROP TRIGGER IF EXISTS ledger_operation_refuse_truncate ON ledger_operation;
    DROP TRIGGER IF EXISTS ledger_entry_refuse_truncate ON ledger_entry;
    DROP FUNCTION IF EXISTS ledger_refuse_truncate();
