-- Certificates are consumed by one transfer-out at a time, and a new one supersedes the person's
-- earlier certificates of the same insurance type. Transfers can be held for operators with a reason,
-- and the destination records the benefit-continuity outcome. Conflicting work-item answers are kept.

ALTER TABLE certificates
    ADD COLUMN insutype    integer,
    ADD COLUMN status      text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'consumed', 'superseded')),
    ADD COLUMN consumed_by text;
CREATE INDEX certificates_person_type ON certificates (certno, insutype) WHERE status <> 'superseded';

ALTER TABLE transfers
    ADD COLUMN hold_reason text,
    ADD COLUMN continuity  bytea;
CREATE INDEX transfers_held ON transfers (updated_at) WHERE hold_reason IS NOT NULL;

CREATE TABLE work_item_answer_conflicts (
    id       bigserial PRIMARY KEY,
    item_id  text NOT NULL REFERENCES work_items (item_id),
    at       timestamptz NOT NULL,
    answer   bytea NOT NULL
);
CREATE INDEX work_item_answer_conflicts_item ON work_item_answer_conflicts (item_id, id);
