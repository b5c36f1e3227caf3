-- Surface water (issue 4): the water registry and measured values at
-- sections and drinking-water sources. SQLite dialect.

-- The water registry (rivers, nodes, reaches, sections, drinking-water
-- sources, outfalls) is validated and replaced as a whole (the network is
-- only valid as a whole), and always read as a whole: one row per item,
-- the item as JSON in doc, kind one of river, node, reach, section,
-- source, outfall; seq keeps the file order.
CREATE TABLE water_items (
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	doc  TEXT NOT NULL,
	PRIMARY KEY (kind, code)
) STRICT;

-- Measured values: laboratory results and automatic stations' hourly
-- values. The decimal is kept as text, exactly as reported (evidence);
-- below_dl = 1 means value is the detection limit of a result below it.
-- time is unix microseconds.
CREATE TABLE water_samples (
	point    TEXT NOT NULL,
	item     TEXT NOT NULL,
	time     INTEGER NOT NULL,
	value    TEXT NOT NULL,
	below_dl INTEGER NOT NULL DEFAULT 0,
	source   TEXT NOT NULL,
	PRIMARY KEY (point, item, time)
) STRICT, WITHOUT ROWID;
CREATE INDEX water_samples_time ON water_samples (time);
