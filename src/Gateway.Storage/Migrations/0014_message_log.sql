-- The tamper-evident message log (issue 12; docs/security.md, "Message log"). Every envelope this node sent (when it
-- entered the outbox) or received (when the inbox recorded it, a receipt when it was applied, a dead letter when it
-- was refused), and every operator action, is appended here by the transaction that did it, with no shared lock:
-- id is insertion order. The sealer (MessageLogSealer) later gives committed rows, one sealing transaction at a time,
-- a gap-free seq and hash = SM3(previous hash || canonical entry bytes), so seq order is the order rows became
-- visible to the sealer. Digests only: the envelopes and their personal data stay where they are.
CREATE TABLE message_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq            bigint UNIQUE,                  -- null until sealed
    kind           text        NOT NULL CHECK (kind IN ('sent', 'received', 'dead_lettered', 'operator_action')),
    message_id     text,                           -- operator_action: 'audit:<audit_log.id>'; null for an unreadable record
    message_type   text,                           -- operator_action: the action
    sender         text,                           -- operator_action: the operator
    receiver       text,
    correlation_id text,                           -- operator_action: the transfer, if any
    digest         bytea       NOT NULL,           -- SM3, 32 bytes (what is digested: docs/security.md)
    at             timestamptz NOT NULL,
    hash           bytea                           -- null until sealed
);
CREATE INDEX message_log_unsealed ON message_log (id) WHERE seq IS NULL;

-- Chain heads signed with the node's own envelope key: (province, seq, hash, signed_at) of the latest sealed entry.
CREATE TABLE message_log_heads (
    seq        bigint      PRIMARY KEY,
    hash       bytea       NOT NULL,
    signed_at  timestamptz NOT NULL,
    province   text        NOT NULL,
    key_id     text        NOT NULL,
    algorithm  text        NOT NULL,
    signature  bytea       NOT NULL
);
