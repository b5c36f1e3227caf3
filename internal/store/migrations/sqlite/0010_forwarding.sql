-- Forwarding to upper platforms (数据转发): which devices' data goes to
-- which upper platform, and the durable outbound queue.

-- One row per (device, target): the CNs forwarded, written ",2011,2051,".
-- Kept by the forwarding service from its configuration and the registry;
-- CommitBatch reads it in the transaction that stores the uploads.
CREATE TABLE forward_routes (
	mn     TEXT NOT NULL,
	target TEXT NOT NULL,
	cns    TEXT NOT NULL,
	PRIMARY KEY (mn, target)
) STRICT, WITHOUT ROWID;

-- The outbound queue: one row per upload key and target, written in the
-- same transaction as the upload, deleted when the target acknowledged
-- it. gen counts later changes of the upload (a split packet's second
-- part merged in): an acknowledgement of an older generation keeps the
-- row, so the merged values are sent again.
CREATE TABLE forward_queue (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	target      TEXT NOT NULL,
	mn          TEXT NOT NULL,
	cn          TEXT NOT NULL,
	data_time   INTEGER NOT NULL,
	enqueued_at INTEGER NOT NULL,
	gen         INTEGER NOT NULL DEFAULT 0,
	UNIQUE (target, mn, cn, data_time)
) STRICT;
CREATE INDEX forward_queue_target ON forward_queue (target, id);

-- Each target's sending state as its forwarder last saved it (counters
-- since the forwarder started, the last acknowledgement and error), so
-- that any process serving the pages can show it. 0 means never.
CREATE TABLE forward_state (
	target        TEXT PRIMARY KEY,
	address       TEXT NOT NULL DEFAULT '',
	connected     INTEGER NOT NULL DEFAULT 0,
	sent          INTEGER NOT NULL DEFAULT 0,
	acked         INTEGER NOT NULL DEFAULT 0,
	resent        INTEGER NOT NULL DEFAULT 0,
	errors        INTEGER NOT NULL DEFAULT 0,
	evicted       INTEGER NOT NULL DEFAULT 0,
	last_ack_at   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	last_error_at INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL DEFAULT 0
) STRICT;
