-- The signed envelope each sent, received or dead-lettered entry is about (issue 12: an auditor exports one exchange's
-- entries with the signatures that prove them, docs/security.md "Exporting one exchange"). The bytes as they went on or
-- came off the wire: the envelope with its signature, or a dead-lettered record as it was. They hold the payload's
-- personal data, as the outbox and dead_letters do; the digest and the chain do not change.
ALTER TABLE message_log ADD COLUMN envelope bytea;
CREATE INDEX message_log_exchange ON message_log (correlation_id, seq) WHERE correlation_id IS NOT NULL;
