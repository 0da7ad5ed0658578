    CREATE TRIGGER captable_movement_refuse_truncate
        BEFORE TRUNCATE ON captable_movement
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();

    CREATE TRIGGER captable_movementseal_refuse_truncate
        BEFORE TRUNCATE ON captable_movementseal
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();

--- reverse:
    DROP TRIGGER IF EXISTS captable_movementseal_refuse_truncate ON captable_movementseal;
    DROP TRIGGER IF EXISTS captable_movement_refuse_truncate ON captable_movement;
