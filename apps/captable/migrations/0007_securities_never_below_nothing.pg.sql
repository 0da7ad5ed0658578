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

    CREATE CONSTRAINT TRIGGER captable_security_not_negative
        AFTER INSERT ON captable_movement
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION captable_security_not_negative();

--- reverse:
    DROP TRIGGER IF EXISTS captable_security_not_negative ON captable_movement;
    DROP FUNCTION IF EXISTS captable_security_not_negative();
