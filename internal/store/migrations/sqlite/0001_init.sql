-- ecowatch schema, SQLite dialect.
-- Times are INTEGER unix microseconds, UTC (the precision PostgreSQL keeps,
-- so both stores round-trip the same values). Tables are STRICT so a
-- wrongly typed value is refused, not silently converted.

CREATE TABLE counties (
	code    TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE enterprises (
	uscc     TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	county   TEXT REFERENCES counties (code),
	industry TEXT NOT NULL DEFAULT '',
	lat      REAL NOT NULL DEFAULT 0,
	lon      REAL NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX enterprises_county ON enterprises (county);

CREATE TABLE outlets (
	id         TEXT PRIMARY KEY,
	enterprise TEXT NOT NULL REFERENCES enterprises (uscc),
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	limits     TEXT NOT NULL DEFAULT '[]' -- JSON array of model.Limit
) STRICT;
CREATE INDEX outlets_enterprise ON outlets (enterprise);

CREATE TABLE devices (
	mn         TEXT PRIMARY KEY,
	password   TEXT NOT NULL,
	protocol   TEXT NOT NULL,
	outlet     TEXT REFERENCES outlets (id),
	st         TEXT NOT NULL DEFAULT '',
	tolerances TEXT NOT NULL DEFAULT '[]' -- JSON array of strings
) STRICT;
CREATE INDEX devices_outlet ON devices (outlet);

-- One row per device upload; vals is a JSON object of CP keys
-- ("a21026-Rtd") to values as sent.
CREATE TABLE uploads (
	id        INTEGER PRIMARY KEY,
	mn        TEXT NOT NULL,
	cn        TEXT NOT NULL,
	data_time INTEGER NOT NULL,
	vals      TEXT NOT NULL,
	UNIQUE (mn, cn, data_time)
) STRICT;

-- AUTOINCREMENT: an archived frame's id is never reused after retention
-- deletes the newest rows.
CREATE TABLE raw_frames (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at INTEGER NOT NULL,
	remote      TEXT NOT NULL,
	mn          TEXT NOT NULL DEFAULT '',
	cn          TEXT NOT NULL DEFAULT '',
	qn          TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL CHECK (status IN ('accepted', 'quarantined', 'rejected', 'duplicate')),
	reason      TEXT NOT NULL DEFAULT '',
	deviations  TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	raw         BLOB NOT NULL
) STRICT;
CREATE INDEX raw_frames_mn ON raw_frames (mn, received_at);
CREATE INDEX raw_frames_status ON raw_frames (status, received_at);

CREATE TABLE contacts (
	mn     TEXT PRIMARY KEY,
	at     INTEGER NOT NULL,
	remote TEXT NOT NULL,
	cn     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
