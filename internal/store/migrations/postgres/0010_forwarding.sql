-- Forwarding to upper platforms (数据转发): which devices' data goes to
-- which upper platform, and the durable outbound queue.

-- One row per (device, target): the CNs forwarded, written ",2011,2051,".
-- Kept by the forwarding service from its configuration and the registry;
-- CommitBatch reads it in the transaction that stores the uploads.
CREATE TABLE forward_routes (
	mn     text NOT NULL,
	target text NOT NULL,
	cns    text NOT NULL,
	PRIMARY KEY (mn, target)
);

-- The outbound queue: one row per upload key and target, written in the
-- same transaction as the upload, deleted when the target acknowledged
-- it. gen counts later changes of the upload (a split packet's second
-- part merged in): an acknowledgement of an older generation keeps the
-- row, so the merged values are sent again.
CREATE TABLE forward_queue (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	target      text NOT NULL,
	mn          text NOT NULL,
	cn          text NOT NULL,
	data_time   timestamptz NOT NULL,
	enqueued_at timestamptz NOT NULL,
	gen         integer NOT NULL DEFAULT 0,
	UNIQUE (target, mn, cn, data_time)
);
CREATE INDEX forward_queue_target ON forward_queue (target, id);

-- Each target's sending state as its forwarder last saved it (counters
-- since the forwarder started, the last acknowledgement and error), so
-- that any process serving the pages can show it. The epoch means never.
CREATE TABLE forward_state (
	target        text PRIMARY KEY,
	address       text NOT NULL DEFAULT '',
	connected     integer NOT NULL DEFAULT 0,
	sent          bigint NOT NULL DEFAULT 0,
	acked         bigint NOT NULL DEFAULT 0,
	resent        bigint NOT NULL DEFAULT 0,
	errors        bigint NOT NULL DEFAULT 0,
	evicted       bigint NOT NULL DEFAULT 0,
	last_ack_at   timestamptz NOT NULL DEFAULT 'epoch',
	last_error    text NOT NULL DEFAULT '',
	last_error_at timestamptz NOT NULL DEFAULT 'epoch',
	updated_at    timestamptz NOT NULL DEFAULT 'epoch'
);
