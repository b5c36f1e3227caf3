-- Issue 9: bus sequence of raw frames, roll-ups of minute data.

-- The JetStream sequence of the bus message that carried a raw frame: a
-- message delivered twice is archived once. NULL when not over the bus.
ALTER TABLE raw_frames ADD COLUMN bus_seq INTEGER;
CREATE UNIQUE INDEX raw_frames_bus_seq ON raw_frames (bus_seq) WHERE bus_seq IS NOT NULL;

-- Hour and day aggregates of minute data (CN 2051) per factor, kept by
-- the store (RollUp). period_start: unix microseconds of the start of
-- the China Standard Time hour or day.
CREATE TABLE rollups (
	mn           TEXT NOT NULL,
	step         TEXT NOT NULL CHECK (step IN ('hour', 'day')),
	period_start INTEGER NOT NULL,
	factor       TEXT NOT NULL,
	n            INTEGER NOT NULL,
	excluded     INTEGER NOT NULL,
	avg          REAL,
	min          REAL,
	max          REAL,
	cou          REAL,
	PRIMARY KEY (mn, step, period_start, factor)
) STRICT;
CREATE INDEX rollups_step_start ON rollups (step, period_start);

-- Hours whose minute data changed since they were last rolled up.
-- SQLite has one writer at a time, so a keyed set suffices.
CREATE TABLE rollup_dirty (
	mn   TEXT NOT NULL,
	hour INTEGER NOT NULL,
	PRIMARY KEY (mn, hour)
) STRICT, WITHOUT ROWID;
