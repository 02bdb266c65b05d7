-- Cross-region care filings (异地就医备案): the owner's own rows (owner_province = this node) and the replicas this
-- node holds as province of care, in one table keyed like the owner keys them. The owner is the only writer; a replica
-- is applied only when its version is newer (version-guarded upsert), so an old or repeated version changes nothing.
-- A replica whose destination moved away is kept as a tombstone (removed = true) with the removal's version, so an
-- older upsert arriving later cannot bring it back.
CREATE TABLE filings (
    owner_province       text        NOT NULL,
    filing_id            text        NOT NULL,
    version              bigint      NOT NULL CHECK (version > 0),
    person_key           text        NOT NULL,      -- PersonKey: never the identity number itself
    status               text        NOT NULL,      -- CareFilingStatus name: Active | Suspended | Terminated
    category             text        NOT NULL,      -- CareFilingCategory name
    insutype             integer     NOT NULL,      -- 310 | 390
    destination_province text        NOT NULL,
    destination_city     text,
    valid_from           date        NOT NULL,
    valid_to             date,
    document             bytea       NOT NULL,      -- protobuf gateway.sync.v1.Filing as of this version
    removed              boolean     NOT NULL DEFAULT false,
    delivered_to         text,                      -- at the owner: the province of care this version went to
    last_action          text        NOT NULL,      -- CareFilingAction name
    last_reason          text,
    updated_at           timestamptz NOT NULL,
    -- Arrival order here: the stable order of lists, and a short opaque page token.
    row_no               bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    PRIMARY KEY (owner_province, filing_id)
);

-- List filters keep the list's order (row_no) after their equality columns.
CREATE INDEX filings_owner ON filings (owner_province, row_no) WHERE NOT removed;
CREATE INDEX filings_destination ON filings (destination_province, row_no) WHERE NOT removed;
CREATE INDEX filings_status_category ON filings (status, category, row_no) WHERE NOT removed;
CREATE INDEX filings_validity ON filings (valid_from, valid_to) WHERE NOT removed;
CREATE INDEX filings_person ON filings (person_key);
