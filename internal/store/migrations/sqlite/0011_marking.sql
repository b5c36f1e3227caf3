-- Data marking of automatic monitoring (自动监测数据标记) and the
-- decisions the marking rules made about exceedances. SQLite dialect.
--
-- data_marks is append-only: a mark is never edited; a correction by the
-- enterprise or a review by the bureau inserts the next version. doc holds
-- the internal/marking.Mark; the columns beside it are what marks are
-- looked up by. Times are unix microseconds.
CREATE TABLE data_marks (
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	mn         TEXT NOT NULL,
	enterprise TEXT NOT NULL,
	county     TEXT NOT NULL,
	from_t     INTEGER NOT NULL,
	to_t       INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	doc        TEXT NOT NULL,
	PRIMARY KEY (id, version)
) STRICT;
CREATE INDEX data_marks_mn ON data_marks (mn, from_t);
CREATE INDEX data_marks_enterprise ON data_marks (enterprise, at);

-- Which rule decided about an exceedance episode (excused by a mark,
-- case opened, case annotated, late mark, false stop).
CREATE TABLE mark_decisions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,
	mn         TEXT NOT NULL,
	enterprise TEXT NOT NULL,
	county     TEXT NOT NULL,
	doc        TEXT NOT NULL
) STRICT;
CREATE INDEX mark_decisions_enterprise ON mark_decisions (enterprise, at);
CREATE INDEX mark_decisions_county ON mark_decisions (county, at);
