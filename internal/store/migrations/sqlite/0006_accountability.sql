-- County accountability (issue 8): assessment, ecological compensation,
-- summons triggers, heavy-pollution warnings and reduction lists, soil
-- registers, governance projects. SQLite dialect.
--
-- Each row keeps the core's value (internal/accountability) as JSON in
-- doc, with the columns it is looked up or kept unique by beside it: the
-- core's types are the contract and change with it, the keys do not.

-- assessment schemes (考核办法), one version each (accountability.Scheme)
CREATE TABLE acc_schemes (
	version TEXT PRIMARY KEY,
	doc     TEXT NOT NULL
) STRICT;

-- compensation formula versions (accountability.Formula)
CREATE TABLE acc_formulas (
	version TEXT PRIMARY KEY,
	doc     TEXT NOT NULL
) STRICT;

-- summons trigger rules (accountability.TriggerRule)
CREATE TABLE acc_trigger_rules (
	id  TEXT PRIMARY KEY,
	doc TEXT NOT NULL
) STRICT;

-- county targets per period and indicator
CREATE TABLE acc_targets (
	period    TEXT NOT NULL,
	county    TEXT NOT NULL,
	indicator TEXT NOT NULL,
	value     REAL NOT NULL,
	PRIMARY KEY (period, county, indicator)
) STRICT;

-- county values given per period (water, total-quantity tasks...); air values are computed from the stored air data
CREATE TABLE acc_values (
	period    TEXT NOT NULL,
	county    TEXT NOT NULL,
	indicator TEXT NOT NULL,
	value     REAL NOT NULL,
	PRIMARY KEY (period, county, indicator)
) STRICT;

-- assessment results per period (accountability.Assessment, counties inside)
CREATE TABLE acc_assessments (
	period      TEXT PRIMARY KEY,
	scheme      TEXT NOT NULL,
	doc         TEXT NOT NULL,
	computed_at INTEGER NOT NULL
) STRICT;

-- one row per county of each stored assessment: rank and total for queries
CREATE TABLE acc_scores (
	period TEXT NOT NULL,
	county TEXT NOT NULL,
	total  REAL NOT NULL,
	rank   INTEGER NOT NULL,
	PRIMARY KEY (period, county)
) STRICT;

-- compensation settlements per period (accountability.Settlement)
CREATE TABLE acc_settlements (
	period      TEXT PRIMARY KEY,
	formula     TEXT NOT NULL,
	doc         TEXT NOT NULL,
	computed_at INTEGER NOT NULL
) STRICT;

-- trigger firings, unique per rule, period and county, with the ladder step and the case opened
CREATE TABLE acc_firings (
	rule    TEXT NOT NULL,
	period  TEXT NOT NULL,
	county  TEXT NOT NULL,
	step    INTEGER NOT NULL,
	doc     TEXT NOT NULL,
	case_id TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (rule, period, county)
) STRICT;

-- heavy-pollution warnings (accountability.Warning); never overlapping in a shared area
CREATE TABLE acc_warnings (
	id       TEXT PRIMARY KEY,
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL,
	doc      TEXT NOT NULL
) STRICT;

-- emergency reduction list entries (应急减排清单) per list year
CREATE TABLE acc_reduction_entries (
	enterprise TEXT NOT NULL,
	year       INTEGER NOT NULL,
	county     TEXT NOT NULL,
	doc        TEXT NOT NULL,
	PRIMARY KEY (enterprise, year)
) STRICT;

-- soil key supervised units
CREATE TABLE acc_soil_units (
	id     TEXT PRIMARY KEY,
	county TEXT NOT NULL,
	doc    TEXT NOT NULL
) STRICT;

-- soil units' annual legal duties with due days and completion
CREATE TABLE acc_soil_duties (
	unit   TEXT NOT NULL,
	kind   TEXT NOT NULL,
	year   INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	county TEXT NOT NULL,
	doc    TEXT NOT NULL,
	PRIMARY KEY (unit, kind, year, seq)
) STRICT;

-- construction-land plots under supervision
CREATE TABLE acc_soil_plots (
	id     TEXT PRIMARY KEY,
	county TEXT NOT NULL,
	doc    TEXT NOT NULL
) STRICT;

-- survey report reviews
CREATE TABLE acc_soil_reviews (
	id   TEXT PRIMARY KEY,
	plot TEXT NOT NULL,
	doc  TEXT NOT NULL
) STRICT;

-- governance projects (ultra-low-emission retrofits, VOCs substitution)
CREATE TABLE acc_projects (
	id     TEXT PRIMARY KEY,
	county TEXT NOT NULL,
	doc    TEXT NOT NULL
) STRICT;

CREATE INDEX acc_firings_period ON acc_firings (period);
CREATE INDEX acc_soil_duties_year ON acc_soil_duties (year, county);
