-- Surface water (issue 4): the water registry and measured values at
-- sections and drinking-water sources. PostgreSQL dialect; see the SQLite
-- file for the layout.

CREATE TABLE water_items (
	kind text NOT NULL,
	code text NOT NULL,
	seq  integer NOT NULL,
	doc  text NOT NULL,
	PRIMARY KEY (kind, code)
);

CREATE TABLE water_samples (
	point    text NOT NULL,
	item     text NOT NULL,
	time     timestamptz NOT NULL,
	value    text NOT NULL,
	below_dl integer NOT NULL DEFAULT 0,
	source   text NOT NULL,
	PRIMARY KEY (point, item, time)
);
CREATE INDEX water_samples_time ON water_samples (time);
