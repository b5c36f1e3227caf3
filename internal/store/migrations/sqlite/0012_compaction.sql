-- Closed days compacted into blocks (internal/store/compact.go): one block
-- per device, CN and China Standard Time day of uploads; one per device
-- and day of receipt of accepted raw frames. day, first_*, last_*: unix
-- microseconds; data: a flate stream of the block's encoding and its
-- CRC-32 (blockcodec.go).
CREATE TABLE upload_blocks (
	mn         TEXT NOT NULL,
	cn         TEXT NOT NULL,
	day        INTEGER NOT NULL,
	first_time INTEGER NOT NULL,
	last_time  INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	data       BLOB NOT NULL,
	PRIMARY KEY (mn, cn, day)
) STRICT;

CREATE TABLE raw_blocks (
	mn       TEXT NOT NULL,
	day      INTEGER NOT NULL,
	status   TEXT NOT NULL,
	min_id   INTEGER NOT NULL,
	max_id   INTEGER NOT NULL,
	first_at INTEGER NOT NULL,
	last_at  INTEGER NOT NULL,
	n        INTEGER NOT NULL,
	data     BLOB NOT NULL,
	PRIMARY KEY (mn, day, status)
) STRICT;
-- The newest-first listing of raw frames walks the blocks by max_id.
CREATE INDEX raw_blocks_max_id ON raw_blocks (max_id);
