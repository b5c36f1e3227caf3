-- Ambient air quality (issue 3): stations, hourly concentrations,
-- corrections and targets. SQLite dialect.

CREATE TABLE air_stations (
	code        TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	county      TEXT NOT NULL REFERENCES counties (code),
	level       TEXT NOT NULL,
	lat         REAL NOT NULL,
	lon         REAL NOT NULL,
	city_eval   INTEGER NOT NULL DEFAULT 0, -- 0 or 1
	county_eval INTEGER NOT NULL DEFAULT 0,
	mn          TEXT NOT NULL DEFAULT ''
) STRICT;

-- One row per station and natural day (CST), the day as days since
-- 1970-01-01 in CST. conc packs the 6 pollutants x 24 hours as
-- little-endian int32 thousandths (-1 = missing), pollutant-major in the
-- order SO2, NO2, CO, O3, PM10, PM2.5; flags packs the exclusion reason of
-- each cell as one byte, or is empty when no cell has one. A day row
-- rather than an hour row: a year of 2,000 stations is 730,000 rows
-- instead of 17.5 million, which is what lets the annual report read it
-- in seconds (see internal/store/air.go).
CREATE TABLE air_days (
	station TEXT NOT NULL,
	day     INTEGER NOT NULL,
	conc    BLOB NOT NULL,
	flags   BLOB NOT NULL,
	PRIMARY KEY (station, day)
) STRICT, WITHOUT ROWID;

-- Every stored value an import replaced: the old value stays on record.
CREATE TABLE air_changes (
	id         INTEGER PRIMARY KEY,
	station    TEXT NOT NULL,
	hour_end   INTEGER NOT NULL,
	pollutant  TEXT NOT NULL,
	old_value  INTEGER NOT NULL,
	new_value  INTEGER NOT NULL,
	old_flag   INTEGER NOT NULL,
	new_flag   INTEGER NOT NULL,
	source     TEXT NOT NULL,
	changed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX air_changes_station ON air_changes (station, hour_end);

CREATE TABLE air_targets (
	year       INTEGER NOT NULL,
	area       TEXT NOT NULL,
	pm25       REAL,
	good_ratio REAL,
	heavy_days INTEGER,
	comp_index REAL,
	PRIMARY KEY (year, area)
) STRICT;
