-- Document numbers (certificate, application, contact letter) come from one SEQUENCE per
-- (kind, pooling region, year) instead of a row of certificate_sequences that every call of a region
-- had to lock until its commit. nextval() never waits, so calls of one region no longer queue;
-- a number taken by a call that then rolls back is skipped (seeds/README.md: gaps are allowed).
--
-- Sequence names are built here from checked parts only (a lower-case kind, six digits, four digits)
-- and quoted with %I, so no input reaches DDL as text. The maximum is the one the printed number
-- allows (第 XXXXX 号: 99,999 per year); past it nextval fails rather than wrapping (NO CYCLE).
CREATE FUNCTION document_sequence_name(kind text, region text, year integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF kind !~ '^[a-z]{1,20}$' OR region !~ '^[0-9]{6}$' OR year NOT BETWEEN 1990 AND 9999 THEN
        RAISE EXCEPTION 'document sequence: kind must be lower-case letters, region six digits, year 1990..9999'
            USING ERRCODE = '22023';
    END IF;
    RETURN format('document_seq_%s_%s_%s', kind, region, year);
END $$;

-- Creates the sequence if it is missing. Called in its own short autocommit statement, before the
-- call's transaction uses it, so the catalogue row is committed and visible to every other call.
-- The old table's count seeds a new sequence, so numbers issued before this migration never repeat.
CREATE FUNCTION ensure_document_sequence(kind text, region text, year integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := document_sequence_name(kind, region, year);
    used integer;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format('CREATE SEQUENCE %I AS integer MINVALUE 1 MAXVALUE 99999 NO CYCLE', name);
    EXCEPTION WHEN duplicate_table OR unique_violation THEN
        -- Another session created it at the same moment: its start value is already set.
        RETURN;
    END;
    SELECT s.last_no INTO used FROM certificate_sequences s WHERE s.region = kind || ':' || $2 AND s.year = $3;
    IF used IS NOT NULL AND used > 0 THEN
        PERFORM setval(name, least(used, 99999), true);
    END IF;
END $$;

-- Every (kind, region, year) numbered so far gets its sequence now; certificate_sequences stays as the
-- record of numbers issued before this migration and is no longer written.
SELECT ensure_document_sequence(split_part(region, ':', 1), split_part(region, ':', 2), year)
FROM certificate_sequences
WHERE region ~ '^[a-z]{1,20}:[0-9]{6}$' AND year BETWEEN 1990 AND 9999;

-- The last number used per sequence, for operators and tests (null last_value: none used yet).
CREATE VIEW document_numbers_used AS
SELECT split_part(sequencename, '_', 3) AS kind,
       split_part(sequencename, '_', 4) AS region,
       split_part(sequencename, '_', 5)::integer AS year,
       coalesce(last_value, 0) AS last_no
FROM pg_sequences
WHERE sequencename ~ '^document_seq_[a-z]+_[0-9]{6}_[0-9]{4}$' AND schemaname = current_schema();
