-- Closed days compacted into blocks (internal/store/compact.go): one block
-- per device, CN and China Standard Time day of uploads; one per device
-- and day of receipt of accepted raw frames. data is already compressed
-- (a flate stream and its CRC-32, blockcodec.go): STORAGE EXTERNAL keeps
-- TOAST from trying to compress it again.
CREATE TABLE upload_blocks (
	mn         text NOT NULL,
	cn         text NOT NULL,
	day        timestamptz NOT NULL,
	first_time timestamptz NOT NULL,
	last_time  timestamptz NOT NULL,
	n          integer NOT NULL,
	data       bytea NOT NULL,
	PRIMARY KEY (mn, cn, day)
);
ALTER TABLE upload_blocks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE raw_blocks (
	mn       text NOT NULL,
	day      timestamptz NOT NULL,
	status   text NOT NULL,
	min_id   bigint NOT NULL,
	max_id   bigint NOT NULL,
	first_at timestamptz NOT NULL,
	last_at  timestamptz NOT NULL,
	n        integer NOT NULL,
	data     bytea NOT NULL,
	PRIMARY KEY (mn, day, status)
);
ALTER TABLE raw_blocks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX raw_blocks_max_id ON raw_blocks (max_id);
