-- Transfers as each node sees them: the destination's copy and the origin's copy of one
-- protocol run share a transfer_id but live in different nodes' databases.

CREATE TABLE certificates (
    number      text PRIMARY KEY,
    certno      text NOT NULL,
    issued_on   date NOT NULL,
    document    bytea NOT NULL,          -- protobuf Certificate as issued
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_certno ON certificates (certno);

-- Certificate numbers run per issuing pooling region and year.
CREATE TABLE certificate_sequences (
    region   text NOT NULL,
    year     integer NOT NULL,
    last_no  integer NOT NULL,
    PRIMARY KEY (region, year)
);

CREATE TABLE transfers (
    transfer_id              text PRIMARY KEY,
    role                     text NOT NULL CHECK (role IN ('Origin', 'Destination')),
    state                    text NOT NULL,
    origin_province          text NOT NULL,
    destination_province     text NOT NULL,
    certificate_number       text NOT NULL,
    certno                   text NOT NULL,
    -- the domain snapshot, one column per date or amount (see Gateway.Domain TransferSnapshot)
    accepted_on              date,
    letter_sent_on           date,
    letter_received_on       date,
    withdrawal_requested_on  date,
    letter_returned_on       date,
    return_reason            text,
    return_text              text,
    info_table_on            date,
    table_amount_fen         bigint,
    transferred_amount_fen   bigint,
    completed_on             date,
    credited_amount_fen      bigint,
    acknowledged_on          date,
    withdrawn_on             date,
    -- node-side facts
    exchange_failed          boolean NOT NULL DEFAULT false,
    failure_reason           text,
    letter                   bytea NOT NULL,   -- protobuf ContactLetterSent: certificate + letter
    info_table               bytea,            -- protobuf InformationTable once known
    version                  integer NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfers_state ON transfers (state, updated_at);
CREATE INDEX transfers_certno ON transfers (certno);
CREATE INDEX transfers_created ON transfers (created_at, transfer_id);

CREATE TABLE transfer_timeline (
    transfer_id  text NOT NULL REFERENCES transfers (transfer_id),
    seq          integer NOT NULL,
    event        text NOT NULL,
    on_date      date NOT NULL,
    at           timestamptz NOT NULL,
    detail       text NOT NULL DEFAULT '',
    PRIMARY KEY (transfer_id, seq)
);
