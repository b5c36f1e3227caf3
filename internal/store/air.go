package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
)

// AirStore is the ambient air-quality part of the store.
//
// Hourly concentrations are kept one row per station and natural day
// (China Standard Time), the 6 pollutants x 24 hours packed in a blob.
// The obvious layout, one row per station-hour with a column per
// pollutant, was measured first: SQLite (modernc) scans about 360,000 such
// rows a second on the project machine, so a year of 2,000 stations (17.5
// million rows) would take ~50 s to read, five times the report's budget.
// Day rows are 24 times fewer and read as fast per row.
type AirStore interface {
	// PutAirHours stores station-hours in one transaction: all of them or,
	// on error, none. A cell (station, hour, pollutant) that is given (a
	// value, or an exclusion flag) and not yet stored is added; the same
	// value again changes nothing (a re-import is a no-op); a different
	// value replaces the stored one and the change is recorded
	// (AirChanges), unless opts.FillOnly, when the stored value is kept.
	PutAirHours(ctx context.Context, hours []model.AirHour, opts AirPut) (AirPutResult, error)
	// AirDays calls fn for each stored station-day matching q, ordered by
	// station then day. fn's argument is reused: it is valid only during
	// the call. An error from fn stops the scan and is returned.
	AirDays(ctx context.Context, q AirDayQuery, fn func(*model.AirDay) error) error
	// AirChanges returns recorded corrections, oldest first.
	AirChanges(ctx context.Context, q AirChangeQuery) ([]model.AirChange, error)
	// PutAirTargets upserts targets by (year, area) in one transaction.
	PutAirTargets(ctx context.Context, targets []model.AirTarget) error
	// AirTargets returns the targets of a year, ordered by area.
	AirTargets(ctx context.Context, year int) ([]model.AirTarget, error)
}

// AirPut says where hours come from and how they merge.
type AirPut struct {
	Source   string    // recorded with changes, e.g. "file:2025.csv" or "hj212"
	FillOnly bool      // only fill empty cells; never replace (the gateway's sync)
	At       time.Time // time recorded with changes; zero means now
}

// AirPutResult counts what PutAirHours did, per cell (station, hour,
// pollutant).
type AirPutResult struct {
	Added     int `json:"added"`     // newly stored
	Unchanged int `json:"unchanged"` // already stored with the same value
	Replaced  int `json:"replaced"`  // a different stored value replaced (recorded)
	Kept      int `json:"kept"`      // FillOnly: a different stored value kept
	Duplicate int `json:"duplicate"` // given twice in the same call; the first counts
	Days      int `json:"days"`      // station-day rows written
}

// AirDayQuery selects station-days. Zero values mean any; From and To are
// times whose CST dates bound the days as [From, To).
type AirDayQuery struct {
	Stations []string
	From, To time.Time
}

// AirChangeQuery selects recorded corrections by the hour they concern.
type AirChangeQuery struct {
	Station  string
	From, To time.Time
	Limit    int // 0 means 10000
}

const (
	airCells     = 6 * 24
	airConcBytes = airCells * 4
)

// AirDayNumber returns the natural day (CST) of t as days since 1970-01-01.
func AirDayNumber(t time.Time) int64 { return air.DayNumber(t) }

// AirDayTime returns 00:00 CST of day number d.
func AirDayTime(d int64) time.Time { return air.DayStart(d) }

// airCell locates the hour ending at end: its day and the hour's start
// (0 = 00:00-01:00, labelled 01:00), by the air data's day rule.
func airCell(end time.Time) (day int64, hour int) { return air.HourOf(end) }

func encodeAirDay(d *model.AirDay) (conc, flags []byte) {
	conc = make([]byte, airConcBytes)
	anyFlag := false
	for p := range 6 {
		for h := range 24 {
			binary.LittleEndian.PutUint32(conc[(p*24+h)*4:], uint32(int32(d.C[p][h])))
			if d.Flags[p][h] != 0 {
				anyFlag = true
			}
		}
	}
	if !anyFlag {
		return conc, []byte{}
	}
	flags = make([]byte, airCells)
	for p := range 6 {
		copy(flags[p*24:], d.Flags[p][:])
	}
	return conc, flags
}

func decodeAirDay(d *model.AirDay, conc, flags []byte) error {
	if len(conc) != airConcBytes || len(flags) != 0 && len(flags) != airCells {
		return fmt.Errorf("air day %s/%s: bad row sizes %d and %d", d.Station, d.Day.Format(time.DateOnly), len(conc), len(flags))
	}
	for p := range 6 {
		row := &d.C[p]
		b := conc[p*96 : p*96+96]
		for h := range 24 {
			v := int64(int32(binary.LittleEndian.Uint32(b[h*4:])))
			if v < 0 {
				v = model.AirNA
			}
			row[h] = v
		}
		if len(flags) == 0 {
			d.Flags[p] = [24]uint8{}
		} else {
			copy(d.Flags[p][:], flags[p*24:p*24+24])
		}
	}
	return nil
}

func emptyAirDay(station string, day int64) *model.AirDay {
	d := &model.AirDay{Station: station, Day: AirDayTime(day)}
	for p := range d.C {
		for h := range d.C[p] {
			d.C[p][h] = model.AirNA
		}
	}
	return d
}

type airKey struct {
	station string
	day     int64
}

// PutAirHours implements AirStore.
func (s *sqlBase) PutAirHours(ctx context.Context, hours []model.AirHour, opts AirPut) (res AirPutResult, err error) {
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	// Check everything before touching the database.
	for i := range hours {
		h := &hours[i]
		if h.Station == "" {
			return res, fmt.Errorf("put air hours: hour %d: empty station", i)
		}
		if h.End.Unix()%3600 != 0 || h.End.Nanosecond() != 0 {
			return res, fmt.Errorf("put air hours: %s %s: not a whole hour", h.Station, h.End.Format(time.RFC3339))
		}
		for p, v := range h.C {
			if v < model.AirNA || v > math.MaxInt32 {
				return res, fmt.Errorf("put air hours: %s %s %s: value %d out of range", h.Station, h.End.Format(time.RFC3339), model.AirPollutants[p], v)
			}
		}
	}
	// Group cells by station-day.
	type cell struct {
		p, h  int
		v     int64
		f     uint8
		end   time.Time
		index int
	}
	groups := map[airKey][]cell{}
	for i := range hours {
		hr := &hours[i]
		day, h := airCell(hr.End)
		k := airKey{hr.Station, day}
		for p := range 6 {
			if hr.C[p] == model.AirNA && hr.Flags[p] == 0 {
				continue // not given
			}
			v := hr.C[p]
			if hr.Flags[p] != 0 {
				v = model.AirNA // an excluded value is never stored as a value
			}
			groups[k] = append(groups[k], cell{p: p, h: h, v: v, f: hr.Flags[p], end: hr.End, index: i})
		}
	}
	keys := make([]airKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b airKey) int {
		if c := cmp.Compare(a.station, b.station); c != 0 {
			return c
		}
		return cmp.Compare(a.day, b.day)
	})

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("put air hours: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			res = AirPutResult{}
		}
	}()
	upsert, err := tx.PrepareContext(ctx, s.q(`INSERT INTO air_days (station, day, conc, flags) VALUES (?, ?, ?, ?)
		ON CONFLICT (station, day) DO UPDATE SET conc = excluded.conc, flags = excluded.flags`))
	if err != nil {
		return res, fmt.Errorf("put air hours: %w", err)
	}
	defer upsert.Close()
	change, err := tx.PrepareContext(ctx, s.q(`INSERT INTO air_changes (station, hour_end, pollutant, old_value, new_value, old_flag, new_flag, source, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return res, fmt.Errorf("put air hours: %w", err)
	}
	defer change.Close()

	// Read the stored days station by station, one range query each.
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j].station == keys[i].station {
			j++
		}
		station := keys[i].station
		stored := map[int64]*model.AirDay{}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT day, conc, flags FROM air_days WHERE station = ? AND day >= ? AND day <= ?`),
			station, keys[i].day, keys[j-1].day)
		if err != nil {
			return res, fmt.Errorf("put air hours: read %s: %w", station, err)
		}
		for rows.Next() {
			var day int64
			var conc, flags []byte
			if err := rows.Scan(&day, &conc, &flags); err != nil {
				rows.Close()
				return res, fmt.Errorf("put air hours: read %s: %w", station, err)
			}
			d := &model.AirDay{Station: station, Day: AirDayTime(day)}
			if err := decodeAirDay(d, conc, flags); err != nil {
				rows.Close()
				return res, err
			}
			stored[day] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("put air hours: read %s: %w", station, err)
		}
		for _, k := range keys[i:j] {
			d := stored[k.day]
			if d == nil {
				d = emptyAirDay(station, k.day)
			}
			var given [6][24]bool
			dirty := false
			for _, c := range groups[k] {
				if given[c.p][c.h] {
					res.Duplicate++
					continue
				}
				given[c.p][c.h] = true
				ov, of := d.C[c.p][c.h], d.Flags[c.p][c.h]
				switch {
				case ov == c.v && of == c.f:
					res.Unchanged++
					continue
				case ov == model.AirNA && of == 0:
					res.Added++
				case opts.FillOnly:
					res.Kept++
					continue
				default:
					res.Replaced++
					if _, err := change.ExecContext(ctx, station, s.t(c.end), model.AirPollutants[c.p], ov, c.v, int(of), int(c.f),
						cleanText(opts.Source), s.t(at)); err != nil {
						return res, fmt.Errorf("put air hours: record change: %w", err)
					}
				}
				d.C[c.p][c.h], d.Flags[c.p][c.h] = c.v, c.f
				dirty = true
			}
			if !dirty {
				continue
			}
			conc, flags := encodeAirDay(d)
			if _, err := upsert.ExecContext(ctx, station, k.day, conc, flags); err != nil {
				return res, fmt.Errorf("put air hours: write %s %s: %w", station, d.Day.Format(time.DateOnly), err)
			}
			res.Days++
		}
		i = j
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("put air hours: commit: %w", err)
	}
	return res, nil
}

// AirDays implements AirStore.
func (s *sqlBase) AirDays(ctx context.Context, q AirDayQuery, fn func(*model.AirDay) error) error {
	var where []string
	var args []any
	if len(q.Stations) > 0 {
		c, a := inList("station", q.Stations)
		where, args = append(where, c), append(args, a...)
	}
	if !q.From.IsZero() {
		where = append(where, "day >= ?")
		args = append(args, AirDayNumber(q.From))
	}
	if !q.To.IsZero() {
		// [From, To): the day containing To is excluded only when To is
		// its midnight.
		to := AirDayNumber(q.To)
		if !AirDayTime(to).Equal(q.To) {
			to++
		}
		where = append(where, "day < ?")
		args = append(args, to)
	}
	query := `SELECT station, day, conc, flags FROM air_days`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY station, day"
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("query air days: %w", err)
	}
	defer rows.Close()
	var d model.AirDay
	var station sql.RawBytes
	var conc, flags sql.RawBytes
	var day int64
	for rows.Next() {
		if err := rows.Scan(&station, &day, &conc, &flags); err != nil {
			return fmt.Errorf("query air days: %w", err)
		}
		if string(station) != d.Station {
			d.Station = string(station)
		}
		d.Day = AirDayTime(day)
		if err := decodeAirDay(&d, conc, flags); err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query air days: %w", err)
	}
	return nil
}

// AirChanges implements AirStore.
func (s *sqlBase) AirChanges(ctx context.Context, q AirChangeQuery) ([]model.AirChange, error) {
	var where []string
	var args []any
	if q.Station != "" {
		where = append(where, "station = ?")
		args = append(args, q.Station)
	}
	if !q.From.IsZero() {
		where = append(where, "hour_end >= ?")
		args = append(args, s.t(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "hour_end < ?")
		args = append(args, s.t(q.To))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10000
	}
	query := `SELECT station, hour_end, pollutant, old_value, new_value, old_flag, new_flag, source, changed_at FROM air_changes`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id LIMIT " + strconv.Itoa(limit)
	var out []model.AirChange
	err := s.query(ctx, query, args, func(rows *sql.Rows) error {
		var c model.AirChange
		var end, at dbTime
		var of, nf int64
		if err := rows.Scan(&c.Station, &end, &c.Pollutant, &c.Old, &c.New, &of, &nf, &c.Source, &at); err != nil {
			return err
		}
		c.End, c.At = time.Time(end), time.Time(at)
		c.OldFlag, c.NewFlag = uint8(of), uint8(nf)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query air changes: %w", err)
	}
	return out, nil
}

// PutAirTargets implements AirStore.
func (s *sqlBase) PutAirTargets(ctx context.Context, targets []model.AirTarget) (err error) {
	for _, t := range targets {
		if t.Year < 2000 || t.Year > 2100 || t.Area == "" {
			return fmt.Errorf("put air targets: year %d area %q: want a year 2000-2100 and an area", t.Year, t.Area)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put air targets: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, t := range targets {
		var heavy any
		if t.HeavyDays != nil {
			heavy = int64(*t.HeavyDays)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO air_targets (year, area, pm25, good_ratio, heavy_days, comp_index) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (year, area) DO UPDATE SET pm25 = excluded.pm25, good_ratio = excluded.good_ratio,
				heavy_days = excluded.heavy_days, comp_index = excluded.comp_index`),
			t.Year, cleanText(t.Area), nullFloat(t.PM25), nullFloat(t.GoodRatio), heavy, nullFloat(t.Index)); err != nil {
			return fmt.Errorf("put air targets: %d %s: %w", t.Year, t.Area, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put air targets: commit: %w", err)
	}
	return nil
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// AirTargets implements AirStore.
func (s *sqlBase) AirTargets(ctx context.Context, year int) ([]model.AirTarget, error) {
	var out []model.AirTarget
	err := s.query(ctx, `SELECT year, area, pm25, good_ratio, heavy_days, comp_index FROM air_targets WHERE year = ? ORDER BY area`,
		[]any{year}, func(rows *sql.Rows) error {
			var t model.AirTarget
			var pm, good, idx sql.NullFloat64
			var heavy sql.NullInt64
			if err := rows.Scan(&t.Year, &t.Area, &pm, &good, &heavy, &idx); err != nil {
				return err
			}
			if pm.Valid {
				t.PM25 = &pm.Float64
			}
			if good.Valid {
				t.GoodRatio = &good.Float64
			}
			if heavy.Valid {
				h := int(heavy.Int64)
				t.HeavyDays = &h
			}
			if idx.Valid {
				t.Index = &idx.Float64
			}
			out = append(out, t)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("query air targets: %w", err)
	}
	return out, nil
}

// importStations upserts the registry's air stations (inside
// ImportRegistry's transaction).
func (s *sqlBase) importStations(ctx context.Context, tx *sql.Tx, stations []model.Station) error {
	for _, st := range stations {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO air_stations (code, name, county, level, lat, lon, city_eval, county_eval, mn)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, county = excluded.county, level = excluded.level,
				lat = excluded.lat, lon = excluded.lon, city_eval = excluded.city_eval,
				county_eval = excluded.county_eval, mn = excluded.mn`),
			st.Code, st.Name, st.County, st.Level, st.Lat, st.Lon, boolInt(st.CityEval), boolInt(st.CountyEval), st.MN); err != nil {
			return fmt.Errorf("station %q: %w", st.Code, err)
		}
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// readStations reads the air stations ordered by code.
func (s *sqlBase) readStations(ctx context.Context) ([]model.Station, error) {
	var out []model.Station
	err := s.query(ctx, `SELECT code, name, county, level, lat, lon, city_eval, county_eval, mn FROM air_stations ORDER BY code`, nil,
		func(rows *sql.Rows) error {
			var st model.Station
			var city, county int64
			if err := rows.Scan(&st.Code, &st.Name, &st.County, &st.Level, &st.Lat, &st.Lon, &city, &county, &st.MN); err != nil {
				return err
			}
			st.CityEval, st.CountyEval = city != 0, county != 0
			out = append(out, st)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
