-- ecowatch schema, PostgreSQL dialect. Times are timestamptz
-- (microseconds); the SQLite store keeps the same precision.

CREATE TABLE counties (
	code    text PRIMARY KEY,
	name    text NOT NULL,
	name_en text NOT NULL DEFAULT ''
);

CREATE TABLE enterprises (
	uscc     text PRIMARY KEY,
	name     text NOT NULL,
	county   text REFERENCES counties (code),
	industry text NOT NULL DEFAULT '',
	lat      double precision NOT NULL DEFAULT 0,
	lon      double precision NOT NULL DEFAULT 0
);
CREATE INDEX enterprises_county ON enterprises (county);

CREATE TABLE outlets (
	id         text PRIMARY KEY,
	enterprise text NOT NULL REFERENCES enterprises (uscc),
	name       text NOT NULL,
	kind       text NOT NULL,
	limits     jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX outlets_enterprise ON outlets (enterprise);

CREATE TABLE devices (
	mn         text PRIMARY KEY,
	password   text NOT NULL,
	protocol   text NOT NULL,
	outlet     text REFERENCES outlets (id),
	st         text NOT NULL DEFAULT '',
	tolerances jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX devices_outlet ON devices (outlet);

-- Uploads are partitioned by month of data_time (China Standard Time
-- months). Partitions are created on demand by the store; the default
-- partition takes anything else so that no upload is ever refused.
CREATE TABLE uploads (
	mn        text NOT NULL,
	cn        text NOT NULL,
	data_time timestamptz NOT NULL,
	vals      jsonb NOT NULL,
	PRIMARY KEY (mn, cn, data_time)
) PARTITION BY RANGE (data_time);
CREATE TABLE uploads_default PARTITION OF uploads DEFAULT;

CREATE TABLE raw_frames (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at timestamptz NOT NULL,
	remote      text NOT NULL,
	mn          text NOT NULL DEFAULT '',
	cn          text NOT NULL DEFAULT '',
	qn          text NOT NULL DEFAULT '',
	status      text NOT NULL CHECK (status IN ('accepted', 'quarantined', 'rejected', 'duplicate')),
	reason      text NOT NULL DEFAULT '',
	deviations  jsonb NOT NULL DEFAULT '[]',
	raw         bytea NOT NULL
);
CREATE INDEX raw_frames_mn ON raw_frames (mn, received_at);
CREATE INDEX raw_frames_status ON raw_frames (status, received_at);

CREATE TABLE contacts (
	mn     text PRIMARY KEY,
	at     timestamptz NOT NULL,
	remote text NOT NULL,
	cn     text NOT NULL
);
