-- Backfill runs this node started as a requester, and each owner's progress (one row per owner and kind).
-- The cursor is the owner's: the requester stores it and sends it back with the next page request.
CREATE TABLE backfill_runs (
    run_id     text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    reason     text NOT NULL
);

CREATE TABLE backfill_progress (
    run_id           text        NOT NULL REFERENCES backfill_runs (run_id),
    owner_province   text        NOT NULL,
    kind             text        NOT NULL,
    slice            integer     NOT NULL DEFAULT 0,  -- person-key range, paged side by side with the others
    cursor           text        NOT NULL DEFAULT '',
    pages            bigint      NOT NULL DEFAULT 0,
    records_received bigint      NOT NULL DEFAULT 0,
    records_applied  bigint      NOT NULL DEFAULT 0,
    done             boolean     NOT NULL DEFAULT false,
    kind_unknown     boolean     NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (run_id, owner_province, kind, slice)
);

-- An owner's filings for care in one province, by person key then id (byte order): a backfill slice is a person-key
-- range read in this order, so each page is one index range scan.
CREATE INDEX filings_backfill ON filings (destination_province, owner_province, person_key COLLATE "C", filing_id COLLATE "C")
    WHERE NOT removed;
