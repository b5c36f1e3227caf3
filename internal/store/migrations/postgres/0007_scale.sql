-- Issue 9: PostgreSQL at scale.

-- The JetStream sequence of the bus message that carried a raw frame: a
-- message delivered twice (a writer crashed before acknowledging it) is
-- archived once. NULL for frames that did not come over the bus.
ALTER TABLE raw_frames ADD COLUMN bus_seq bigint;
CREATE UNIQUE INDEX raw_frames_bus_seq ON raw_frames (bus_seq) WHERE bus_seq IS NOT NULL;

-- Hour and day aggregates of minute data (CN 2051) per factor, kept by
-- the store (RollUp) and kept longer than the minute data. Periods are
-- China Standard Time hours and days; period_start is their start.
-- The key leads with (mn, step, period_start) so that one device's
-- periods of all factors are one index range.
CREATE TABLE rollups (
	mn           text NOT NULL,
	step         text NOT NULL CHECK (step IN ('hour', 'day')),
	period_start timestamptz NOT NULL,
	factor       text NOT NULL,
	n            integer NOT NULL,
	excluded     integer NOT NULL,
	avg          double precision,
	min          double precision,
	max          double precision,
	cou          double precision,
	PRIMARY KEY (mn, step, period_start, factor)
);
-- Retention (PurgeRollupsBefore) walks this index.
CREATE INDEX rollups_step_start ON rollups (step, period_start);

-- Hours whose minute data changed since they were last rolled up,
-- appended by CommitBatch in its transaction. An append-only log (no
-- unique key) so that committing writers never wait on RollUp, which
-- deletes exactly the marks it has read.
CREATE TABLE rollup_dirty (
	id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	mn   text NOT NULL,
	hour timestamptz NOT NULL
);
