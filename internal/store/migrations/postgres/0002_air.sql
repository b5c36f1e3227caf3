-- Ambient air quality (issue 3): stations, hourly concentrations,
-- corrections and targets. PostgreSQL dialect; see the SQLite file for
-- the layout of air_days.

CREATE TABLE air_stations (
	code        text PRIMARY KEY,
	name        text NOT NULL,
	county      text NOT NULL REFERENCES counties (code),
	level       text NOT NULL,
	lat         double precision NOT NULL,
	lon         double precision NOT NULL,
	city_eval   integer NOT NULL DEFAULT 0,
	county_eval integer NOT NULL DEFAULT 0,
	mn          text NOT NULL DEFAULT ''
);

CREATE TABLE air_days (
	station text NOT NULL,
	day     integer NOT NULL,
	conc    bytea NOT NULL,
	flags   bytea NOT NULL,
	PRIMARY KEY (station, day)
);

CREATE TABLE air_changes (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	station    text NOT NULL,
	hour_end   timestamptz NOT NULL,
	pollutant  text NOT NULL,
	old_value  bigint NOT NULL,
	new_value  bigint NOT NULL,
	old_flag   integer NOT NULL,
	new_flag   integer NOT NULL,
	source     text NOT NULL,
	changed_at timestamptz NOT NULL
);
CREATE INDEX air_changes_station ON air_changes (station, hour_end);

CREATE TABLE air_targets (
	year       integer NOT NULL,
	area       text NOT NULL,
	pm25       double precision,
	good_ratio double precision,
	heavy_days integer,
	comp_index double precision,
	PRIMARY KEY (year, area)
);
