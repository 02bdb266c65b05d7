-- Operators' lists (issue 11): every condition is read through a partial index in (created_at, key) order, so
-- lists page by keyset and counts touch only the rows in the condition, however many transfers the node holds.

CREATE INDEX transfers_open ON transfers (created_at, transfer_id) WHERE state NOT IN ('Acknowledged', 'Withdrawn', 'LetterReturned');
CREATE INDEX transfers_held_created ON transfers (created_at, transfer_id) WHERE hold_reason IS NOT NULL;
CREATE INDEX transfers_returned ON transfers (created_at, transfer_id) WHERE state = 'LetterReturned';
CREATE INDEX outbox_waiting ON outbox (created_at, id) WHERE status IN ('failed', 'awaiting_receipt');
CREATE INDEX outbox_waiting_receiver ON outbox (status, receiver) WHERE status IN ('failed', 'awaiting_receipt');
-- Inbound message ids are {sender}:{correlation}:{step}: an exchange's story finds what it received by the correlation.
CREATE INDEX inbox_correlation ON inbox ((split_part(message_id, ':', 2)));
CREATE INDEX dead_letters_first_seen ON dead_letters (first_seen_at, id);

-- Operator actions name why, what came of it and the exchange they touched, for the story of one exchange.
ALTER TABLE audit_log
    ADD COLUMN reason      text,
    ADD COLUMN result      text,
    ADD COLUMN transfer_id text;
CREATE INDEX audit_log_transfer ON audit_log (transfer_id, id) WHERE transfer_id IS NOT NULL;
