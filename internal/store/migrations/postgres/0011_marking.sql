-- Data marking of automatic monitoring (自动监测数据标记) and the
-- decisions the marking rules made about exceedances. PostgreSQL dialect.
--
-- data_marks is append-only: a mark is never edited; a correction by the
-- enterprise or a review by the bureau inserts the next version. doc holds
-- the internal/marking.Mark; the columns beside it are what marks are
-- looked up by.
CREATE TABLE data_marks (
	id         text NOT NULL,
	version    integer NOT NULL,
	mn         text NOT NULL,
	enterprise text NOT NULL,
	county     text NOT NULL,
	from_t     timestamptz NOT NULL,
	to_t       timestamptz NOT NULL,
	at         timestamptz NOT NULL,
	doc        jsonb NOT NULL,
	PRIMARY KEY (id, version)
);
CREATE INDEX data_marks_mn ON data_marks (mn, from_t);
CREATE INDEX data_marks_enterprise ON data_marks (enterprise, at);

-- Which rule decided about an exceedance episode (excused by a mark,
-- case opened, case annotated, late mark, false stop).
CREATE TABLE mark_decisions (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         timestamptz NOT NULL,
	mn         text NOT NULL,
	enterprise text NOT NULL,
	county     text NOT NULL,
	doc        jsonb NOT NULL
);
CREATE INDEX mark_decisions_enterprise ON mark_decisions (enterprise, at);
CREATE INDEX mark_decisions_county ON mark_decisions (county, at);
