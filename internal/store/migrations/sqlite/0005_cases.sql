-- Closed loop (issue 5): users, sessions, API tokens, the audit log, cases
-- with their event log, petitions, attachments, notifications, patrols and
-- number counters. SQLite dialect. Times are unix microseconds (UTC) in
-- both dialects, so the case code has one path.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	county        TEXT NOT NULL DEFAULT '',
	enterprise    TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
	hash       TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Append-only: the triggers refuse updates and deletes.
CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	role        TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	before_json TEXT NOT NULL DEFAULT '',
	after_json  TEXT NOT NULL DEFAULT '',
	remote      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;

-- One row per case: the filter and statistics columns, and the whole case
-- as JSON (doc). deadline is the earliest pending deadline of an open case
-- (stage or closure), 0 when none: overdue = deadline > 0 AND deadline <= now.
CREATE TABLE cases (
	id           TEXT PRIMARY KEY,
	source       TEXT NOT NULL,
	line         TEXT NOT NULL,
	county       TEXT NOT NULL,
	enterprise   TEXT NOT NULL DEFAULT '',
	petition     TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	severity     INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	closed_at    INTEGER NOT NULL DEFAULT 0,
	deadline     INTEGER NOT NULL DEFAULT 0,
	on_time      INTEGER NOT NULL DEFAULT 0,
	satisfaction TEXT NOT NULL DEFAULT '',
	year_found   INTEGER NOT NULL DEFAULT 0,
	year_closed  INTEGER NOT NULL DEFAULT 0,
	seq          INTEGER NOT NULL,
	doc          TEXT NOT NULL
) STRICT;
CREATE INDEX cases_county ON cases (county, state);
CREATE INDEX cases_enterprise ON cases (enterprise) WHERE enterprise <> '';
CREATE INDEX cases_petition ON cases (petition) WHERE petition <> '';
CREATE INDEX cases_state ON cases (state, deadline);
CREATE INDEX cases_created ON cases (created_at);

CREATE TABLE case_events (
	case_id TEXT NOT NULL REFERENCES cases (id),
	seq     INTEGER NOT NULL,
	at      INTEGER NOT NULL,
	doc     TEXT NOT NULL,
	PRIMARY KEY (case_id, seq)
) STRICT;
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

CREATE TABLE petitions (
	code        TEXT PRIMARY KEY,
	county      TEXT NOT NULL,
	category    TEXT NOT NULL,
	case_id     TEXT NOT NULL DEFAULT '',
	received_at INTEGER NOT NULL,
	reply       TEXT NOT NULL DEFAULT '',
	doc         TEXT NOT NULL
) STRICT;
CREATE INDEX petitions_county ON petitions (county, received_at);

-- Attachments are files named by their SHA-256 under the data directory;
-- this table holds what is known about each.
CREATE TABLE attachments (
	hash       TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	size       INTEGER NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;

-- In-app inbox. recipient is a user id, "county:<code>",
-- "enterprise:<uscc>" or "city".
CREATE TABLE notifications (
	id        INTEGER PRIMARY KEY,
	recipient TEXT NOT NULL,
	at        INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	case_id   TEXT NOT NULL DEFAULT '',
	message   TEXT NOT NULL,
	read_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notifications_recipient ON notifications (recipient, id);

CREATE TABLE patrols (
	id         TEXT PRIMARY KEY,
	county     TEXT NOT NULL,
	by_user    TEXT NOT NULL,
	area       TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at   INTEGER NOT NULL,
	doc        TEXT NOT NULL
) STRICT;
CREATE INDEX patrols_county ON patrols (county, started_at);
