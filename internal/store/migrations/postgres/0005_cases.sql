-- Closed loop (issue 5): users, sessions, API tokens, the audit log, cases
-- with their event log, petitions, attachments, notifications, patrols and
-- number counters. PostgreSQL dialect. Times are unix microseconds (UTC) in
-- both dialects, so the case code has one path.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	county        TEXT NOT NULL DEFAULT '',
	enterprise    TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      BIGINT NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
	hash       TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0
);

-- Append-only: the triggers refuse updates and deletes.
CREATE TABLE audit_log (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at          BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	role        TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	before_json TEXT NOT NULL DEFAULT '',
	after_json  TEXT NOT NULL DEFAULT '',
	remote      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target ON audit_log (target, id);

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

-- One row per case: the filter and statistics columns only, so that
-- lists and statistics scan narrow rows (100,000 cases in well under 50
-- ms); the whole case as JSON is in case_docs. deadline is the earliest
-- pending deadline of an open case (stage or closure), 0 when none:
-- overdue = deadline > 0 AND deadline <= now.
CREATE TABLE cases (
	id           TEXT PRIMARY KEY,
	source       TEXT NOT NULL,
	line         TEXT NOT NULL,
	county       TEXT NOT NULL,
	enterprise   TEXT NOT NULL DEFAULT '',
	petition     TEXT NOT NULL DEFAULT '',
	is_petition  BIGINT NOT NULL DEFAULT 0,
	state        TEXT NOT NULL,
	severity     BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	closed_at    BIGINT NOT NULL DEFAULT 0,
	deadline     BIGINT NOT NULL DEFAULT 0,
	on_time      BIGINT NOT NULL DEFAULT 0,
	satisfaction TEXT NOT NULL DEFAULT '',
	year_found   BIGINT NOT NULL DEFAULT 0,
	year_closed  BIGINT NOT NULL DEFAULT 0,
	seq          BIGINT NOT NULL
);
CREATE INDEX cases_enterprise ON cases (enterprise, created_at) WHERE enterprise <> '';
CREATE INDEX cases_petition ON cases (petition) WHERE petition <> '';
CREATE INDEX cases_created ON cases (created_at, id);
CREATE INDEX cases_county_created ON cases (county, created_at, id);
CREATE INDEX cases_deadline ON cases (deadline) WHERE deadline > 0;
CREATE INDEX cases_county_deadline ON cases (county, deadline) WHERE deadline > 0;

-- Statistics are kept as tallies, updated in the transaction that writes
-- the case (+1 under its new key, -1 under its old one), so a summary
-- reads a few thousand rows instead of every case. Overdue depends on now:
-- it is the cases with a pending deadline (dated) less those whose deadline
-- is still ahead, counted on cases_deadline (a short range: the future).
CREATE TABLE case_tallies (
	county       TEXT NOT NULL,
	source       TEXT NOT NULL,
	line         TEXT NOT NULL,
	state        TEXT NOT NULL,
	satisfaction TEXT NOT NULL,
	year_found   BIGINT NOT NULL,
	year_closed  BIGINT NOT NULL,
	is_petition  BIGINT NOT NULL,
	n            BIGINT NOT NULL,
	on_time      BIGINT NOT NULL,
	close_us     BIGINT NOT NULL, -- sum of closed_at - created_at of closed cases
	dated        BIGINT NOT NULL, -- cases with a pending deadline (deadline > 0)
	PRIMARY KEY (county, source, line, state, satisfaction, year_found, year_closed, is_petition)
);

CREATE TABLE case_docs (
	id  TEXT PRIMARY KEY REFERENCES cases (id),
	doc TEXT NOT NULL
);

CREATE TABLE case_events (
	case_id TEXT NOT NULL REFERENCES cases (id),
	seq     BIGINT NOT NULL,
	at      BIGINT NOT NULL,
	doc     TEXT NOT NULL,
	PRIMARY KEY (case_id, seq)
);

CREATE TABLE petitions (
	code        TEXT PRIMARY KEY,
	county      TEXT NOT NULL,
	category    TEXT NOT NULL,
	case_id     TEXT NOT NULL DEFAULT '',
	received_at BIGINT NOT NULL,
	reply       TEXT NOT NULL DEFAULT '',
	doc         TEXT NOT NULL
);
CREATE INDEX petitions_county ON petitions (county, received_at);

-- Attachments are files named by their SHA-256 under the data directory;
-- this table holds what is known about each.
CREATE TABLE attachments (
	hash       TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	size       BIGINT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);

-- In-app inbox. recipient is a user id, "county:<code>",
-- "enterprise:<uscc>" or "city".
CREATE TABLE notifications (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	recipient TEXT NOT NULL,
	at        BIGINT NOT NULL,
	kind      TEXT NOT NULL,
	case_id   TEXT NOT NULL DEFAULT '',
	message   TEXT NOT NULL,
	read_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_recipient ON notifications (recipient, id);

CREATE TABLE patrols (
	id         TEXT PRIMARY KEY,
	county     TEXT NOT NULL,
	by_user    TEXT NOT NULL,
	area       TEXT NOT NULL,
	started_at BIGINT NOT NULL,
	ended_at   BIGINT NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX patrols_county ON patrols (county, started_at);

CREATE FUNCTION ecowatch_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION ecowatch_append_only();
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events FOR EACH ROW EXECUTE FUNCTION ecowatch_append_only();
