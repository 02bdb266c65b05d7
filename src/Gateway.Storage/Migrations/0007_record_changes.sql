-- The change log of synced records (filings, enrolment records) as this node applied them, in commit order.
-- WatchRecords streams it from a cursor (seq); backfill and live changes both append here when they change a row.
-- Appenders take a transaction-level advisory lock just before the insert (RecordChangeLog), so seq order is commit
-- order and a watcher that has read up to seq N can never later see a smaller seq commit.
CREATE TABLE record_changes (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text        NOT NULL,            -- 'filing' | 'enrolment' | ...
    owner_province text        NOT NULL,
    record_id      text        NOT NULL,
    person_key     text        NOT NULL,
    version        bigint      NOT NULL,
    change         text        NOT NULL,            -- what happened to the row here: 'upsert' | 'removed'
    payload        bytea,                           -- the record as applied (protobuf), null when removed
    applied_at     timestamptz NOT NULL
);

CREATE INDEX record_changes_person ON record_changes (person_key, seq);
