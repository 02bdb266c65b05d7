-- The person's index province, kept on the owner's own records, so a backfill of one index province reads its
-- persons' records by index (and person-key range) instead of deriving the index for every record the owner holds.
ALTER TABLE enrolment_records ADD COLUMN index_province text;
CREATE INDEX enrolment_records_backfill ON enrolment_records (owner_province, index_province, person_key COLLATE "C", record_id COLLATE "C");
