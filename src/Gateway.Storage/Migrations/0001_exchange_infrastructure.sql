-- Exchange infrastructure shared by every node: inbox dedupe, outbox with receipts,
-- dead letters, idempotency records, work items for the province system, audit trail.

CREATE TABLE inbox (
    message_id   text PRIMARY KEY,
    message_type text NOT NULL,
    sender       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox (
    id                bigserial PRIMARY KEY,
    message_id        text NOT NULL UNIQUE,
    message_type      text NOT NULL,
    receiver          text NOT NULL,
    topic             text NOT NULL,
    message_key       text NOT NULL,
    payload           bytea NOT NULL,
    correlation_id    text,
    needs_receipt     boolean NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'awaiting_receipt', 'delivered', 'published', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_published_at timestamptz,
    receipt_at        timestamptz,
    last_error        text
);

-- The relay polls only rows that may still need sending.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'awaiting_receipt');
CREATE INDEX outbox_status_created ON outbox (status, created_at);
CREATE INDEX outbox_correlation ON outbox (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE outbox_attempts (
    id         bigserial PRIMARY KEY,
    message_id text NOT NULL REFERENCES outbox (message_id) ON DELETE CASCADE,
    attempt    integer NOT NULL,
    at         timestamptz NOT NULL,
    outcome    text NOT NULL,
    error      text
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, id);

CREATE TABLE dead_letters (
    id            bigserial PRIMARY KEY,
    message_id    text,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    message_key   text,
    payload       bytea,
    reason        text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    rerun_count   integer NOT NULL DEFAULT 0,
    never_rerun   boolean NOT NULL DEFAULT false
);
-- A redelivered poison record updates its row instead of adding another.
CREATE UNIQUE INDEX dead_letters_position ON dead_letters (topic, partition, "offset");
CREATE INDEX dead_letters_message ON dead_letters (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    method       text NOT NULL,
    request_hash bytea NOT NULL,
    response     bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

CREATE TABLE work_items (
    item_id        text PRIMARY KEY,
    kind           text NOT NULL,
    transfer_id    text,
    payload        bytea NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'answered', 'cancelled')),
    created_at     timestamptz NOT NULL,
    answered_at    timestamptz,
    answer         bytea,
    delivery_count integer NOT NULL DEFAULT 0
);
CREATE INDEX work_items_pending ON work_items (created_at, item_id) WHERE status = 'pending';
CREATE INDEX work_items_transfer ON work_items (transfer_id) WHERE transfer_id IS NOT NULL;

CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    subject text,
    detail  jsonb
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
