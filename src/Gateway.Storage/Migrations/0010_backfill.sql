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
    cursor           text        NOT NULL DEFAULT '',
    pages            bigint      NOT NULL DEFAULT 0,
    records_received bigint      NOT NULL DEFAULT 0,
    records_applied  bigint      NOT NULL DEFAULT 0,
    done             boolean     NOT NULL DEFAULT false,
    kind_unknown     boolean     NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (run_id, owner_province, kind)
);

-- An owner's filings for care in one province, in id order: the pages it sends that province's backfill.
CREATE INDEX filings_backfill ON filings (destination_province, owner_province, filing_id) WHERE NOT removed;
