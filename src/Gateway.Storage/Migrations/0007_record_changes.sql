-- The change log of synced records (filings, enrolment records) as this node applied them, for WatchRecords.
-- Appenders insert without any shared lock (id = insertion order), so record-sync transactions commit side by side
-- and share group commits. A reader gives committed rows their seq, the watchers' cursor, in id order, one
-- sequencing transaction at a time (RecordChangeLog.SequenceAsync): seq order is then the order rows became visible,
-- and a watcher that has read up to seq N never later sees a smaller seq appear. One person's changes keep their
-- order: the second waits on the first's row lock until it commits, so it is inserted (and sequenced) after it.
CREATE TABLE record_changes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq            bigint UNIQUE,                   -- null until sequenced
    kind           text        NOT NULL,            -- 'filing' | 'enrolment' | ...
    owner_province text        NOT NULL,
    record_id      text        NOT NULL,
    person_key     text        NOT NULL,
    version        bigint      NOT NULL,
    change         text        NOT NULL,            -- what happened to the row here: 'upsert' | 'removed'
    payload        bytea,                           -- the record as applied (protobuf), null when removed
    applied_at     timestamptz NOT NULL
);

CREATE SEQUENCE record_change_seq OWNED BY record_changes.seq;
CREATE INDEX record_changes_unsequenced ON record_changes (id) WHERE seq IS NULL;
CREATE INDEX record_changes_person ON record_changes (person_key, id);
