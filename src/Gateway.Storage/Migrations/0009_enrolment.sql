-- Enrolment status sync (DESIGN §5). One table for the records this node holds: its own (it is their owner and only
-- writer) and the replicas other owners sent because this node is the persons' index province. Applied
-- version-guarded: a row changes only to a higher version of its owner.
CREATE TABLE enrolment_records (
    owner_province     text        NOT NULL,
    record_id          text        NOT NULL,
    person_key         text        NOT NULL,            -- PersonKey: never the identity number in a key or index
    version            bigint      NOT NULL CHECK (version > 0),
    insuplc_admdvs     text        NOT NULL,
    insutype           integer     NOT NULL,            -- 310 / 390
    status             integer     NOT NULL,            -- 1 active, 2 suspended, 3 terminated
    paid_from          text        NOT NULL,            -- yyyy-MM
    paid_to            text        NOT NULL,
    basis              integer     NOT NULL,
    current_employment boolean     NOT NULL,
    document           bytea       NOT NULL,            -- gateway.sync.v1.EnrolmentRecord as applied
    applied_at         timestamptz NOT NULL,
    PRIMARY KEY (owner_province, record_id)
);
CREATE INDEX enrolment_records_person ON enrolment_records (person_key);

-- Duplicate enrolments this node detected (as index province) or was told about (as an involved owner). The id is
-- deterministic, so a re-detected finding is the same row and is notified once.
CREATE TABLE duplicate_findings (
    finding_id      text        PRIMARY KEY,
    person_key      text        NOT NULL,
    kind            text        NOT NULL,               -- EmployeeWithinScheme | ResidentWithinScheme | CrossScheme
    period_from     text        NOT NULL,               -- yyyy-MM
    period_to       text        NOT NULL,
    resolution      text        NOT NULL,
    document        bytea       NOT NULL,               -- gateway.sync.v1.DuplicateEnrolmentFinding
    found_at        timestamptz NOT NULL,
    acknowledged_at timestamptz                         -- the province system took it up (work item answered)
);
CREATE INDEX duplicate_findings_person ON duplicate_findings (person_key);
