// Package airreport turns the stored station-hours into evaluations: the
// daily values and AQI of stations, counties and the city; the monthly,
// quarterly and annual evaluation table (HJ 663 statistics, GB 3095
// compliance, good-day ratio, heavily polluted days, the comprehensive
// index, rankings with ties, year-over-year change); and the annual
// targets with the remaining-year budget. The arithmetic is the engine's
// (internal/air); this package reads the store and arranges the results.
//
// A county's or the city's values are computed from the mean, hour by hour
// and pollutant by pollutant, of the valid values of its evaluation
// stations (HJ 663-2013 §5.1: 城市点位的算术平均; the city O3 8-h values
// come from the city-average hourly series), then evaluated like a
// station. The city's stations are those with city_eval, a county's those
// in it with county_eval.
package airreport

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Store is what the reports read.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	AirDays(ctx context.Context, q store.AirDayQuery, fn func(*model.AirDay) error) error
	AirTargets(ctx context.Context, year int) ([]model.AirTarget, error)
}

// CityCode is the code of the city in reports (model.AirCity).
const CityCode = model.AirCity

// counts are a station's hours over a range, per pollutant.
type counts struct {
	valid    [air.NumPollutants]int
	reasons  [air.NumPollutants][32]int // by air.Reason of an excluded value
	invalid  [air.NumPollutants]int     // days without a valid daily value
	dayCount int                        // days stored
}

// dayAcc sums the stations' valid hourly values of one area-day.
type dayAcc struct {
	sum [air.NumPollutants][24]int64
	n   [air.NumPollutants][24]int32
}

// area is a county or the city with its evaluation stations.
type area struct {
	code, name string
	stations   []string
	acc        map[int64]*dayAcc // by day number
	days       []air.Day
}

// collection is what one pass over the stored days yields.
type collection struct {
	from, to time.Time // [from, to), whole days in CST
	rules    air.Version
	// basis: air.SameBasis evaluates each day under the rules of the day a
	// year later (a year-on-year base period on the current period's rules).
	basis  air.Basis
	days   map[string][]air.Day // per station, by date
	counts map[string]*counts
	areas  map[string]*area // CityCode and county codes
	// results keeps each day's AQI result beside days (by station or area
	// code) when asked for: the daily series shows the sub-indices.
	results map[string][]air.Result
}

// versionFor is the rule version of the day starting at d.
func (c *collection) versionFor(d time.Time) air.Version {
	if c.rules != 0 {
		return c.rules
	}
	return air.VersionOn(c.basis, d)
}

// collect reads the stored days of stations in [from, to) and evaluates
// every station-day, accumulating the areas' hourly means; areas lists
// which areas to build (CityCode and/or county codes).
func collect(ctx context.Context, st Store, stations []model.Station, areaCodes []string, names map[string]string,
	from, to time.Time, rules air.Version, keep bool) (*collection, error) {
	return collectOn(ctx, st, stations, areaCodes, names, from, to, rules, air.ByDate, keep)
}

// collectOn is collect with each day evaluated on basis (see collection.basis).
func collectOn(ctx context.Context, st Store, stations []model.Station, areaCodes []string, names map[string]string,
	from, to time.Time, rules air.Version, basis air.Basis, keep bool) (*collection, error) {
	c := &collection{from: from, to: to, rules: rules, basis: basis, days: map[string][]air.Day{}, counts: map[string]*counts{}, areas: map[string]*area{}}
	if keep {
		c.results = map[string][]air.Result{}
	}
	member := map[string][]*area{}
	for _, code := range areaCodes {
		a := &area{code: code, name: names[code], acc: map[int64]*dayAcc{}}
		c.areas[code] = a
		for _, s := range stations {
			if code == CityCode && s.CityEval || code != CityCode && s.County == code && s.CountyEval {
				a.stations = append(a.stations, s.Code)
				member[s.Code] = append(member[s.Code], a)
			}
		}
	}
	codes := make([]string, len(stations))
	for i, s := range stations {
		codes[i] = s.Code
		c.counts[s.Code] = &counts{}
	}
	if len(codes) == 0 {
		return c, nil
	}
	var dh air.DayHours
	err := st.AirDays(ctx, store.AirDayQuery{Stations: codes, From: from, To: to}, func(d *model.AirDay) error {
		cnt := c.counts[d.Station]
		if cnt == nil {
			return nil
		}
		cnt.dayCount++
		for p := range air.NumPollutants {
			for h := range 24 {
				v := d.C[p][h]
				dh.C[p][h] = air.Conc(v)
				switch {
				case v >= 0:
					cnt.valid[p]++
				case d.Flags[p][h] != 0:
					cnt.reasons[p][d.Flags[p][h]&31]++
				}
			}
		}
		day := d.Day.In(air.CST)
		res := air.EvaluateDay(c.versionFor(day), &dh)
		for p := range air.NumPollutants {
			if res.Excluded[p] != air.ReasonNone {
				cnt.invalid[p]++
			}
		}
		c.days[d.Station] = append(c.days[d.Station], dayOf(day, &res))
		if keep {
			c.results[d.Station] = append(c.results[d.Station], res.AQI)
		}
		if areas := member[d.Station]; len(areas) > 0 {
			dn := store.AirDayNumber(day)
			for _, a := range areas {
				acc := a.acc[dn]
				if acc == nil {
					acc = &dayAcc{}
					a.acc[dn] = acc
				}
				for p := range air.NumPollutants {
					for h := range 24 {
						if v := d.C[p][h]; v >= 0 {
							acc.sum[p][h] += v
							acc.n[p][h]++
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range c.areas {
		dns := make([]int64, 0, len(a.acc))
		for dn := range a.acc {
			dns = append(dns, dn)
		}
		slices.Sort(dns)
		for _, dn := range dns {
			acc := a.acc[dn]
			for p := range air.NumPollutants {
				for h := range 24 {
					dh.C[p][h] = air.NA
					if n := int64(acc.n[p][h]); n > 0 {
						dh.C[p][h] = air.Conc(roundDiv(acc.sum[p][h], n))
					}
				}
			}
			day := store.AirDayTime(dn)
			res := air.EvaluateDay(c.versionFor(day), &dh)
			a.days = append(a.days, dayOf(day, &res))
			if keep {
				c.results[a.code] = append(c.results[a.code], res.AQI)
			}
		}
		a.acc = nil
	}
	return c, nil
}

// dayOf is the day as the period statistics take it: the daily AQI only
// when it may be published (HJ 633-2026 §5.3.1; with an indicator missing
// the AQI counts only above 100), so that a day with a gap is not
// counted good on a partial AQI.
func dayOf(day time.Time, res *air.DayResult) air.Day {
	aqi := -1
	if res.AQI.Publishable() {
		aqi = int(res.AQI.AQI)
	}
	return air.Day{Date: day, Values: res.Values, AQI: aqi}
}

// roundDiv is num/den rounded half to even (GB/T 8170), as air.MeanOf
// rounds a mean of stations to the Conc unit.
func roundDiv(num, den int64) int64 {
	q, r := num/den, num%den
	switch {
	case 2*r > den:
		q++
	case 2*r == den && q%2 == 1:
		q++
	}
	return q
}

// selection is the registry's part a report covers.
type selection struct {
	stations []model.Station
	areas    []string // CityCode first when present, then counties by code
	names    map[string]string
	counties map[string]model.County
}

// selectStations picks the stations of county (all when empty) and the
// areas to evaluate: the city (only without a county filter) and each
// county that has evaluation stations.
func selectStations(reg *model.Registry, county string) (*selection, error) {
	sel := &selection{names: map[string]string{CityCode: "全市"}, counties: map[string]model.County{}}
	for _, c := range reg.Counties {
		sel.names[c.Code] = c.Name
		sel.counties[c.Code] = c
	}
	if county != "" {
		if _, ok := sel.counties[county]; !ok {
			return nil, fmt.Errorf("%w: county %q", ErrUnknown, county)
		}
	}
	has := map[string]bool{}
	for _, s := range reg.Stations {
		if county != "" && s.County != county {
			continue
		}
		sel.stations = append(sel.stations, s)
		if s.CountyEval {
			has[s.County] = true
		}
	}
	slices.SortFunc(sel.stations, func(a, b model.Station) int {
		switch {
		case a.Code < b.Code:
			return -1
		case a.Code > b.Code:
			return 1
		}
		return 0
	})
	if county == "" {
		sel.areas = append(sel.areas, CityCode)
	}
	for _, c := range reg.Counties {
		if has[c.Code] {
			sel.areas = append(sel.areas, c.Code)
		}
	}
	return sel, nil
}
