package airreport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// ErrUnknown is returned for a county or station not in the registry.
var ErrUnknown = errors.New("unknown")

// Options selects a report.
type Options struct {
	Period chinatime.Period // a month, quarter or year (Kinds)
	County string           // only this county and its stations; "" for the city, all counties and stations
	Rules  air.Version      // 0: by date (2012 rules before 2026-03-01, 2026 from then)
	// Standard overrides the GB 3095 limits; 0: those in force on the
	// period's last day (air.StandardFor).
	Standard air.Standard
	// NoPrevious skips the same period of the previous year (no
	// year-over-year change).
	NoPrevious bool
}

// Conc is a concentration in a report: a JSON number with as many
// decimals as needed, or null.
type Conc air.Conc

// MarshalJSON writes c as a number, or null when missing.
func (c Conc) MarshalJSON() ([]byte, error) {
	if c < 0 {
		return []byte("null"), nil
	}
	return []byte(air.Conc(c).String()), nil
}

// String formats c, "" when missing.
func (c Conc) String() string {
	if c < 0 {
		return ""
	}
	return air.Conc(c).String()
}

// Report is an evaluation table (评价报表) of one period.
type Report struct {
	Period   string `json:"period"`
	From     string `json:"from"` // first day
	To       string `json:"to"`   // last day
	Rules    string `json:"rules"`
	Standard string `json:"standard"`
	County   string `json:"county,omitempty"`
	// City is the city's evaluation (absent in a county report).
	City     *Entity  `json:"city,omitempty"`
	Counties []Entity `json:"counties"`
	Stations []Entity `json:"stations"`
	// Excluded sums the hours dropped at the report's stations, by reason
	// (missing_hour for hours never received); InvalidDays the
	// station-days without a valid daily value, by pollutant.
	Excluded    map[string]int `json:"excluded"`
	InvalidDays map[string]int `json:"invalid_days"`
}

// Entity is the evaluation of a station, a county or the city.
type Entity struct {
	Kind     string `json:"kind"` // station, county or city
	Code     string `json:"code"`
	Name     string `json:"name"`
	County   string `json:"county,omitempty"`
	Level    string `json:"level,omitempty"`
	Stations int    `json:"stations,omitempty"` // evaluation stations of an area
	// Days are days with a (publishable) daily AQI: the good-day ratio's
	// denominator (有效监测天数).
	Days       int         `json:"days"`
	GoodDays   int         `json:"good_days"`
	GoodRatio  float64     `json:"good_ratio"` // percent, 1 decimal
	HeavyDays  int         `json:"heavy_days"`
	LevelDays  [6]int      `json:"level_days"` // days at AQI levels 1-6
	Pollutants []Pollutant `json:"pollutants"`
	// Compliant: every pollutant meets its annual limits (years only).
	Compliant bool   `json:"compliant"`
	Index     *Index `json:"index"` // null without all six pollutants
	Rank      Ranks  `json:"rank"`
	// Previous is the same period a year earlier, when stored; Change the
	// year-over-year change (同比). Both by date (按日期): each day of the
	// previous period under the rules in force on its date.
	Previous *Previous `json:"previous,omitempty"`
	Change   *Change   `json:"change,omitempty"`
	// PreviousSameBasis and ChangeSameBasis are the same on the same basis
	// (同口径): the previous period's days under the rules of the current
	// period's corresponding days (air.SameBasisVersion). They differ from
	// the by-date figures only when the two periods straddle 2026-03-01.
	PreviousSameBasis *Previous `json:"previous_same_basis,omitempty"`
	ChangeSameBasis   *Change   `json:"change_same_basis,omitempty"`
	// Hours are a station's hours by state over the period, per pollutant.
	Hours map[string]HourCounts `json:"hours,omitempty"`
	stats air.PeriodStats
}

// Pollutant is one pollutant's period statistics (HJ 663-2013).
type Pollutant struct {
	Name       string  `json:"pollutant"`
	Days       int     `json:"days"`     // valid daily values
	Complete   bool    `json:"complete"` // GB 3095 table 4 completeness
	Mean       Conc    `json:"mean"`     // O3: mean of daily max 8-h
	Rank       int     `json:"percentile_rank"`
	Percentile Conc    `json:"percentile"`
	Max        Conc    `json:"max"`
	ExceedDays int     `json:"exceed_days"`
	ExceedRate float64 `json:"exceed_rate"`
	Compliant  bool    `json:"compliant"`
	// Exceedance multiples (C − S)/S of the mean and the percentile.
	MeanMultiple       float64 `json:"mean_multiple"`
	PercentileMultiple float64 `json:"percentile_multiple"`
}

// Index is the comprehensive index (综合指数) with its single-item indices.
type Index struct {
	Sum     float64            `json:"sum"`
	Single  map[string]float64 `json:"single"`
	Largest string             `json:"largest"`
}

// Ranks are competition ranks among the report's stations or counties
// (ties share a rank): index and PM2.5 ascending, good-day ratio
// descending. 0 when the value is missing.
type Ranks struct {
	Index     int `json:"index"`
	PM25      int `json:"pm25"`
	GoodRatio int `json:"good_ratio"`
}

// Previous holds last year's headline values.
type Previous struct {
	Days      int      `json:"days"`
	Index     *float64 `json:"index"`
	PM25      Conc     `json:"pm25"`
	GoodRatio float64  `json:"good_ratio"`
}

// Change is the year-over-year change: rates in percent (positive is
// worse for the index and PM2.5), the good-day ratio in percentage points.
type Change struct {
	Index     *float64 `json:"index"`
	PM25      *float64 `json:"pm25"`
	GoodRatio *float64 `json:"good_ratio_points"`
}

// HourCounts are one pollutant's hours at a station: valid, excluded by
// reason, and missing (never received).
type HourCounts struct {
	Expected int            `json:"expected"`
	Valid    int            `json:"valid"`
	Missing  int            `json:"missing"`
	Excluded map[string]int `json:"excluded,omitempty"`
	// InvalidDays are days without a valid daily value (fewer than 20
	// hours; O3: too few 8-h windows).
	InvalidDays int `json:"invalid_days"`
}

// Build computes the report of opts.Period.
func Build(ctx context.Context, st Store, opts Options) (*Report, error) {
	reg, err := st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("air report: %w", err)
	}
	sel, err := selectStations(reg, opts.County)
	if err != nil {
		return nil, err
	}
	if !opts.Period.Valid() {
		return nil, fmt.Errorf("air report: %+v is not a period", opts.Period)
	}
	from, to := opts.Period.Start(), opts.Period.End()
	std := opts.Standard
	if std == 0 {
		std = air.StandardFor(opts.Period.LastDay())
	}
	cur, err := collect(ctx, st, sel.stations, sel.areas, sel.names, from, to, opts.Rules, false)
	if err != nil {
		return nil, fmt.Errorf("air report: %w", err)
	}
	var prev, same *collection
	if !opts.NoPrevious {
		pp := opts.Period.LastYear()
		if prev, err = collect(ctx, st, sel.stations, sel.areas, sel.names, pp.Start(), pp.End(), opts.Rules, false); err != nil {
			return nil, fmt.Errorf("air report: previous year: %w", err)
		}
		same = prev
		// With fixed rules (opts.Rules) or a previous year wholly on the
		// current rules, the same basis is the by-date evaluation.
		if opts.Rules == 0 && pp.Start().Before(air.Cutover) && opts.Period.End().After(air.Cutover) {
			if same, err = collectOn(ctx, st, sel.stations, sel.areas, sel.names, pp.Start(), pp.End(), 0, air.SameBasis, false); err != nil {
				return nil, fmt.Errorf("air report: previous year on the same basis: %w", err)
			}
		}
	}
	rules := "by date"
	if opts.Rules != 0 {
		rules = opts.Rules.String()
	}
	rep := &Report{
		Period: opts.Period.String(), From: from.Format(time.DateOnly), To: opts.Period.LastDay().Format(time.DateOnly),
		Rules: rules, Standard: std.String(), County: opts.County,
		Counties: []Entity{}, Stations: []Entity{}, Excluded: map[string]int{}, InvalidDays: map[string]int{},
	}
	period := opts.Period
	prevPeriod := period.LastYear()
	entity := func(kind, code string, days, prevDays, sameDays []air.Day) Entity {
		e := fromStats(air.Evaluate(period, days, std))
		e.Kind, e.Code = kind, code
		if prev != nil && countAQI(prevDays) > 0 {
			ps := air.Evaluate(prevPeriod, prevDays, std)
			e.Previous, e.Change = previous(&ps, &e.stats)
			ss := air.Evaluate(prevPeriod, sameDays, std)
			e.PreviousSameBasis, e.ChangeSameBasis = previous(&ss, &e.stats)
		}
		return e
	}
	for _, code := range sel.areas {
		a := cur.areas[code]
		var pd, sd []air.Day
		if prev != nil {
			pd, sd = prev.areas[code].days, same.areas[code].days
		}
		e := entity("county", code, a.days, pd, sd)
		e.Name, e.Stations = a.name, len(a.stations)
		if code == CityCode {
			e.Kind = "city"
			rep.City = &e
			continue
		}
		rep.Counties = append(rep.Counties, e)
	}
	days := period.Days()
	for _, s := range sel.stations {
		var pd, sd []air.Day
		if prev != nil {
			pd, sd = prev.days[s.Code], same.days[s.Code]
		}
		e := entity("station", s.Code, cur.days[s.Code], pd, sd)
		e.Name, e.County, e.Level = s.Name, s.County, s.Level
		e.Hours = hourCounts(cur.counts[s.Code], days)
		for p, hc := range e.Hours {
			rep.Excluded[air.ReasonMissingHour.String()] += hc.Missing
			for r, n := range hc.Excluded {
				rep.Excluded[r] += n
			}
			rep.InvalidDays[p] += hc.InvalidDays
		}
		rep.Stations = append(rep.Stations, e)
	}
	for r, n := range rep.Excluded {
		if n == 0 {
			delete(rep.Excluded, r)
		}
	}
	rank(rep.Counties)
	rank(rep.Stations)
	return rep, nil
}

func countAQI(days []air.Day) int {
	n := 0
	for _, d := range days {
		if d.AQI >= 0 {
			n++
		}
	}
	return n
}

func fromStats(st air.PeriodStats) Entity {
	e := Entity{
		Days: st.AQIDays, GoodDays: st.GoodDays, GoodRatio: st.GoodRatio, HeavyDays: st.HeavyDays,
		Compliant: st.Compliant, stats: st,
	}
	copy(e.LevelDays[:], st.LevelDays[1:])
	for p := air.Pollutant(0); p < air.NumPollutants; p++ {
		ps := &st.Pollutants[p]
		e.Pollutants = append(e.Pollutants, Pollutant{
			Name: p.String(), Days: ps.Days, Complete: ps.Complete, Mean: Conc(ps.Mean), Rank: ps.Rank,
			Percentile: Conc(ps.Percentile), Max: Conc(ps.Max), ExceedDays: ps.ExceedDays, ExceedRate: ps.ExceedRate,
			Compliant: ps.Compliant, MeanMultiple: ps.MeanMultiple, PercentileMultiple: ps.PercentileMultiple,
		})
	}
	if st.Index.Valid {
		idx := &Index{Sum: st.Index.Sum, Single: map[string]float64{}, Largest: st.Index.Largest.String()}
		for p := air.Pollutant(0); p < air.NumPollutants; p++ {
			idx.Single[p.String()] = st.Index.Single[p]
		}
		e.Index = idx
	}
	return e
}

func previous(ps, cur *air.PeriodStats) (*Previous, *Change) {
	p := &Previous{Days: ps.AQIDays, PM25: Conc(ps.Pollutants[air.PM25].Mean), GoodRatio: ps.GoodRatio}
	if ps.Index.Valid {
		v := ps.Index.Sum
		p.Index = &v
	}
	yc := air.ChangeOf(cur, ps)
	ch := &Change{}
	if yc.IndexOK {
		ch.Index = &yc.Index
	}
	if yc.PM25OK {
		ch.PM25 = &yc.PM25
	}
	if yc.GoodRatioOK {
		ch.GoodRatio = &yc.GoodRatio
	}
	return p, ch
}

func hourCounts(c *counts, days int) map[string]HourCounts {
	out := map[string]HourCounts{}
	for p := air.Pollutant(0); p < air.NumPollutants; p++ {
		hc := HourCounts{Expected: days * 24, Valid: c.valid[p]}
		excluded := 0
		for r, n := range c.reasons[p] {
			if n > 0 {
				if hc.Excluded == nil {
					hc.Excluded = map[string]int{}
				}
				hc.Excluded[air.Reason(r).String()] = n
				excluded += n
			}
		}
		hc.Missing = hc.Expected - hc.Valid - excluded
		// Days never stored have no daily value either.
		hc.InvalidDays = c.invalid[p] + days - c.dayCount
		out[p.String()] = hc
	}
	return out
}

// rank sets the competition ranks (ties share a rank, air.Rank) of es; an
// entity without the value is left unranked (0).
func rank(es []Entity) {
	type keyed struct {
		idx []int
		key []int64
	}
	by := func(get func(e *Entity) (int64, bool), asc bool, set func(e *Entity, r int)) {
		var k keyed
		for i := range es {
			if v, ok := get(&es[i]); ok {
				k.idx = append(k.idx, i)
				k.key = append(k.key, v)
			}
		}
		for j, r := range air.Rank(k.key, asc) {
			set(&es[k.idx[j]], r)
		}
	}
	by(func(e *Entity) (int64, bool) {
		if e.Index == nil {
			return 0, false
		}
		return air.Hundredths(e.Index.Sum), true
	}, true, func(e *Entity, r int) { e.Rank.Index = r })
	by(func(e *Entity) (int64, bool) {
		m := e.stats.Pollutants[air.PM25].Mean
		return int64(m), m >= 0
	}, true, func(e *Entity, r int) { e.Rank.PM25 = r })
	by(func(e *Entity) (int64, bool) {
		return int64(e.GoodRatio*10 + 0.5), e.Days > 0
	}, false, func(e *Entity, r int) { e.Rank.GoodRatio = r })
}

// Kinds are the periods the air quality is evaluated on: month, quarter
// and year, as HJ 663-2013 evaluates them; a half-year is not among them. Read a period
// with chinatime.ParsePeriod(s, Kinds...).
var Kinds = []chinatime.Kind{chinatime.Year, chinatime.Quarter, chinatime.Month}
