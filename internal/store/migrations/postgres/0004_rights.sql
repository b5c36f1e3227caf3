-- Emission-rights ledger (issue 6): one row per rights.Entry, append-only.
-- seq is the position in the hash chain; the primary key makes a second
-- writer that read the same head fail instead of forking the chain.
CREATE TABLE rights_entries (
    seq         BIGINT      PRIMARY KEY,
    time        TIMESTAMPTZ NOT NULL,
    key         TEXT        NOT NULL,      -- idempotency key of the command
    body        BYTEA       NOT NULL,      -- SHA-256 of the command body
    cmd         TEXT        NOT NULL,
    op          TEXT        NOT NULL,
    kind        TEXT        NOT NULL,      -- rights | money | event
    ref         TEXT        NOT NULL DEFAULT '',
    asset       TEXT        NOT NULL DEFAULT '',
    from_acct   TEXT        NOT NULL DEFAULT '',
    to_acct     TEXT        NOT NULL DEFAULT '',
    start       BIGINT      NOT NULL DEFAULT 0,
    amount      BIGINT      NOT NULL DEFAULT 0,
    valid_until TIMESTAMPTZ,               -- NULL = unchanged
    paid        BOOLEAN     NOT NULL DEFAULT false,
    status      TEXT        NOT NULL DEFAULT '',
    detail      TEXT        NOT NULL DEFAULT '',
    actor       TEXT        NOT NULL DEFAULT '',
    doc         TEXT        NOT NULL DEFAULT '',
    prev        BYTEA       NOT NULL,
    hash        BYTEA       NOT NULL
);
CREATE INDEX rights_entries_from ON rights_entries (from_acct, seq) WHERE from_acct <> '';
CREATE INDEX rights_entries_to ON rights_entries (to_acct, seq) WHERE to_acct <> '';

-- One row per applied command: the idempotency key is unique, and the
-- command's entries are the run [first_seq, last_seq].
CREATE TABLE rights_commands (
    key       TEXT   PRIMARY KEY,
    cmd       TEXT   NOT NULL,
    body      BYTEA  NOT NULL,
    first_seq BIGINT NOT NULL UNIQUE,
    last_seq  BIGINT NOT NULL
);
