package airreport

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Target statuses.
const (
	StatusMet         = "met"           // the year is over and the target was met
	StatusMissed      = "missed"        // the year is over and it was not
	StatusOnTrack     = "on_track"      // met so far, and still feasible
	StatusAtRisk      = "at_risk"       // not met so far, but the rest of the year can still make it
	StatusCannotBeMet = "cannot_be_met" // no outcome of the remaining days meets it
	StatusAbove       = "above_target"  // comprehensive index above its target so far (no budget is defined)
)

// TargetReport is the attainment of the annual targets to a date.
type TargetReport struct {
	Year      int            `json:"year"`
	AsOf      string         `json:"as_of"` // the last day counted
	Elapsed   int            `json:"days_elapsed"`
	Remaining int            `json:"days_remaining"`
	Rules     string         `json:"rules"`
	Areas     []TargetStatus `json:"areas"`
}

// TargetStatus is one area's attainment; a nil part has no target.
type TargetStatus struct {
	Area      string       `json:"area"`
	Name      string       `json:"name"`
	Days      int          `json:"days"` // days with a daily AQI so far
	PM25      *PM25Status  `json:"pm25,omitempty"`
	GoodRatio *GoodStatus  `json:"good_ratio,omitempty"`
	HeavyDays *HeavyStatus `json:"heavy_days,omitempty"`
	Index     *IndexStatus `json:"index,omitempty"`
}

// PM25Status: the annual mean target and the remaining-year budget.
type PM25Status struct {
	Target float64 `json:"target"`
	Mean   Conc    `json:"mean"` // mean of the valid daily values so far, GB/T 8170 whole µg/m³
	Days   int     `json:"days"` // valid daily values so far
	// Budget is the highest mean PM2.5 (µg/m³) over the remaining days
	// that still meets the target; null when it can no longer be met.
	Budget   Conc   `json:"budget"`
	Feasible bool   `json:"feasible"`
	Status   string `json:"status"`
}

// GoodStatus: the good-day ratio target and how many of the remaining
// days may still be non-good.
type GoodStatus struct {
	Target     float64 `json:"target"`
	Ratio      float64 `json:"ratio"`
	GoodDays   int     `json:"good_days"`
	MaxBadDays int     `json:"max_bad_days"` // -1 when it can no longer be met
	Feasible   bool    `json:"feasible"`
	Status     string  `json:"status"`
}

// HeavyStatus: the heavily polluted days target.
type HeavyStatus struct {
	Target int    `json:"target"`
	Days   int    `json:"days"`
	Left   int    `json:"left"` // more heavy days allowed; negative when exceeded
	Status string `json:"status"`
}

// IndexStatus: the comprehensive index target (no budget: the index
// mixes six pollutants and percentiles, so "the rest of the year may
// average X" has no single answer).
type IndexStatus struct {
	Target float64  `json:"target"`
	Value  *float64 `json:"value"`
	Status string   `json:"status"`
}

// Targets computes the attainment of year's targets from January 1 to
// asOf (a date; the whole day counts) for the city and every county that
// has evaluation stations. The remaining days are assumed valid.
func Targets(ctx context.Context, st Store, year int, asOf time.Time, rules air.Version) (*TargetReport, error) {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, air.CST)
	end := start.AddDate(1, 0, 0)
	a := asOf.In(air.CST)
	day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, air.CST)
	if day.Before(start) {
		return nil, fmt.Errorf("as-of %s is before %d", day.Format(time.DateOnly), year)
	}
	if !day.Before(end) {
		day = end.AddDate(0, 0, -1)
	}
	upTo := day.AddDate(0, 0, 1)
	reg, err := st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("air targets: %w", err)
	}
	sel, err := selectStations(reg, "")
	if err != nil {
		return nil, err
	}
	targets, err := st.AirTargets(ctx, year)
	if err != nil {
		return nil, fmt.Errorf("air targets: %w", err)
	}
	byArea := map[string]model.AirTarget{}
	for _, t := range targets {
		byArea[t.Area] = t
	}
	c, err := collect(ctx, st, sel.stations, sel.areas, sel.names, start, upTo, rules, false)
	if err != nil {
		return nil, fmt.Errorf("air targets: %w", err)
	}
	elapsed := daysBetween(start, upTo)
	remaining := daysBetween(upTo, end)
	rulesName := "by date"
	if rules != 0 {
		rulesName = rules.String()
	}
	rep := &TargetReport{Year: year, AsOf: day.Format(time.DateOnly), Elapsed: elapsed, Remaining: remaining, Rules: rulesName}
	period := chinatime.Period{Kind: chinatime.Year, Year: year, N: 1}
	for _, code := range sel.areas {
		ar := c.areas[code]
		stats := air.Evaluate(period, ar.days, air.StandardFor(day))
		ts := TargetStatus{Area: code, Name: ar.name, Days: stats.AQIDays}
		t, ok := byArea[code]
		if ok {
			ts.PM25 = pm25Status(t, ar.days, remaining, &stats)
			ts.GoodRatio = goodStatus(t, &stats, remaining)
			ts.HeavyDays = heavyStatus(t, &stats, remaining)
			ts.Index = indexStatus(t, &stats)
		}
		rep.Areas = append(rep.Areas, ts)
	}
	return rep, nil
}

func daysBetween(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

func pm25Status(t model.AirTarget, days []air.Day, remaining int, st *air.PeriodStats) *PM25Status {
	if t.PM25 == nil {
		return nil
	}
	vals := make([]air.Conc, len(days))
	for i, d := range days {
		vals[i] = d.Values.Mean[air.PM25]
	}
	b := air.BudgetPM25(vals, remaining, air.FromFloat(*t.PM25))
	s := &PM25Status{Target: *t.PM25, Mean: Conc(st.Pollutants[air.PM25].Mean), Days: b.DaysSoFar, Budget: Conc(b.MaxMean), Feasible: b.Feasible}
	switch {
	case remaining <= 0 && b.Met:
		s.Status = StatusMet
	case remaining <= 0:
		s.Status = StatusMissed
	case !b.Feasible:
		s.Status = StatusCannotBeMet
	case b.MeanSoFar >= 0 && b.MaxMean >= b.MeanSoFar:
		s.Status = StatusOnTrack // the rest may be as polluted as so far
	default:
		s.Status = StatusAtRisk
	}
	return s
}

func goodStatus(t model.AirTarget, st *air.PeriodStats, remaining int) *GoodStatus {
	if t.GoodRatio == nil {
		return nil
	}
	b := air.BudgetGoodDays(st.GoodDays, st.AQIDays, remaining, int(math.Round(*t.GoodRatio*10)))
	s := &GoodStatus{Target: *t.GoodRatio, Ratio: st.GoodRatio, GoodDays: st.GoodDays, MaxBadDays: b.MaxBadDays, Feasible: b.Feasible}
	met := st.AQIDays > 0 && int(math.Round(st.GoodRatio*10)) >= int(math.Round(*t.GoodRatio*10))
	switch {
	case remaining <= 0 && met:
		s.Status = StatusMet
	case remaining <= 0:
		s.Status = StatusMissed
	case !b.Feasible:
		s.Status = StatusCannotBeMet
	case met:
		s.Status = StatusOnTrack
	default:
		s.Status = StatusAtRisk
	}
	return s
}

func heavyStatus(t model.AirTarget, st *air.PeriodStats, remaining int) *HeavyStatus {
	if t.HeavyDays == nil {
		return nil
	}
	left := air.HeavyDayBudget(st.HeavyDays, *t.HeavyDays)
	s := &HeavyStatus{Target: *t.HeavyDays, Days: st.HeavyDays, Left: left}
	switch {
	case left < 0 && remaining <= 0:
		s.Status = StatusMissed
	case left < 0:
		s.Status = StatusCannotBeMet
	case remaining <= 0:
		s.Status = StatusMet
	default:
		s.Status = StatusOnTrack
	}
	return s
}

func indexStatus(t model.AirTarget, st *air.PeriodStats) *IndexStatus {
	if t.Index == nil {
		return nil
	}
	s := &IndexStatus{Target: *t.Index, Status: StatusAbove}
	if st.Index.Valid {
		v := st.Index.Sum
		s.Value = &v
		if air.Hundredths(v) <= air.Hundredths(*t.Index) {
			s.Status = StatusOnTrack
		}
	}
	return s
}
