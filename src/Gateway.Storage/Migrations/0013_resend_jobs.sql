-- Paced bulk re-sends (issue 11). A job snapshots the failed envelopes it will re-send, so its counts stay those of
-- its own envelopes however the outbox moves on; a runner re-queues a few per tick and survives restarts.

CREATE TABLE resend_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state        text        NOT NULL CHECK (state IN ('running', 'stopped', 'done')),
    counterpart  text,
    created_from timestamptz NOT NULL,
    created_to   timestamptz NOT NULL,
    per_second   integer     NOT NULL CHECK (per_second BETWEEN 1 AND 1000),
    operator     text        NOT NULL,
    reason       text        NOT NULL,
    started_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    matched      integer     NOT NULL,
    requeued     integer     NOT NULL DEFAULT 0
);
CREATE INDEX resend_jobs_running ON resend_jobs (id) WHERE state = 'running';

CREATE TABLE resend_job_items (
    job_id      bigint      NOT NULL REFERENCES resend_jobs (id),
    position    integer     NOT NULL,
    message_id  text        NOT NULL,
    requeued_at timestamptz,
    PRIMARY KEY (job_id, position)
);
CREATE INDEX resend_job_items_due ON resend_job_items (job_id, position) WHERE requeued_at IS NULL;
