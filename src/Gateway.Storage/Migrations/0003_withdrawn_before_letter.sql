-- A withdrawal that reached the origin before its contact letter (the letter was delayed or
-- re-sent). The origin confirms it and ignores the letter when it finally arrives.
CREATE TABLE withdrawn_before_letter (
    transfer_id   text PRIMARY KEY,
    requested_by  text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
