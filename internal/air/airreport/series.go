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

// AQI is an AQI result as the API and the files show it (the same shape
// as 'ecowatch air hourly'): AQI, level, category and primary pollutants
// are null when HJ 633-2026 §5.3.1 forbids publishing them (an indicator
// missing and the AQI not above 100).
type AQI struct {
	AQI      *int           `json:"aqi"`
	Level    *int           `json:"level"`
	Category *string        `json:"category"`
	Colour   *string        `json:"colour,omitempty"`
	Primary  []string       `json:"primary"`
	IAQI     map[string]int `json:"iaqi"`
	Missing  []string       `json:"missing,omitempty"`
}

func aqiOf(r *air.Result) AQI {
	out := AQI{Primary: []string{}, IAQI: map[string]int{}}
	for i, v := range r.IAQI {
		if v >= 0 {
			out.IAQI[air.Index(i).String()] = int(v)
		}
	}
	if r.Missing != 0 {
		out.Missing = r.Missing.Strings()
	}
	if !r.Publishable() {
		return out
	}
	a := int(r.AQI)
	lv := r.Level()
	out.AQI, out.Level, out.Category, out.Colour = &a, &lv.Number, &lv.Category, &lv.HexColour
	out.Primary = r.Primary.Strings()
	return out
}

// HourAQI is one station-hour with its real-time AQI.
type HourAQI struct {
	Station string          `json:"station"`
	Time    time.Time       `json:"time"` // end of the hour, CST
	Rules   string          `json:"rules"`
	Conc    map[string]Conc `json:"conc"`
	// Excluded names the pollutants whose value was excluded, with why.
	Excluded map[string]string `json:"excluded,omitempty"`
	AQI
}

// Hourly returns the stored hours of a station whose end lies in
// (from, to], the hours of the natural days a date range names, with
// their real-time AQI (air.Hourly). Hours with nothing stored are left
// out.
func Hourly(ctx context.Context, st Store, station string, from, to time.Time, rules air.Version) ([]HourAQI, error) {
	out := []HourAQI{}
	err := st.AirDays(ctx, store.AirDayQuery{Stations: []string{station}, From: from.Add(-time.Hour), To: to}, func(d *model.AirDay) error {
		for h := range 24 {
			end := d.Day.Add(time.Duration(h+1) * time.Hour)
			if !end.After(from) || end.After(to) {
				continue
			}
			hr := air.NewHour()
			any := false
			var ex map[string]string
			conc := map[string]Conc{}
			for p := air.Pollutant(0); p < air.NumPollutants; p++ {
				v, f := d.C[p][h], d.Flags[p][h]
				conc[p.String()] = Conc(air.NA)
				if v >= 0 {
					hr.C[p] = air.Conc(v)
					conc[p.String()] = Conc(v)
					any = true
				} else if f != 0 {
					if ex == nil {
						ex = map[string]string{}
					}
					ex[p.String()] = air.Reason(f).String()
					any = true
				}
			}
			if !any {
				continue
			}
			v := rules
			if v == 0 {
				v = air.VersionAt(end.Add(-time.Hour))
			}
			r := air.Hourly(v, &hr)
			out = append(out, HourAQI{Station: d.Station, Time: end.In(air.CST), Rules: v.String(), Conc: conc, Excluded: ex, AQI: aqiOf(&r)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DayAQI is one station-day or area-day with its daily values and AQI.
type DayAQI struct {
	Code  string          `json:"code"`
	Date  string          `json:"date"`
	Rules string          `json:"rules"`
	Conc  map[string]Conc `json:"conc"` // daily means, O3_8h and O3_1h maxima; null when invalid
	AQI
}

// Daily returns the days in [from, to) of a station, or of a county or the
// city (the mean of its evaluation stations) when code is an area.
func Daily(ctx context.Context, st Store, code string, from, to time.Time, rules air.Version) ([]DayAQI, error) {
	reg, err := st.Registry(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := selectStations(reg, "")
	if err != nil {
		return nil, err
	}
	var stations []model.Station
	var areas []string
	isArea := code == CityCode
	if _, ok := sel.counties[code]; ok {
		isArea = true
	}
	if isArea {
		stations, areas = sel.stations, []string{code}
	} else {
		i := slices.IndexFunc(sel.stations, func(s model.Station) bool { return s.Code == code })
		if i < 0 {
			return nil, fmt.Errorf("%w: station %q", ErrUnknown, code)
		}
		stations = sel.stations[i : i+1]
	}
	c, err := collect(ctx, st, stations, areas, sel.names, from, to, rules, true)
	if err != nil {
		return nil, err
	}
	days := c.days[code]
	if isArea {
		days = c.areas[code].days
	}
	results := c.results[code]
	out := []DayAQI{}
	for i, d := range days {
		v := c.versionFor(d.Date)
		vals := d.Values
		res := results[i]
		conc := map[string]Conc{}
		for p := air.Pollutant(0); p < air.NumPollutants; p++ {
			if p != air.O3 {
				conc[p.String()] = Conc(vals.Mean[p])
			}
		}
		conc["O3_8h"], conc["O3_1h"] = Conc(vals.O3Max8h), Conc(vals.O3Max1h)
		out = append(out, DayAQI{Code: code, Date: d.Date.Format(time.DateOnly), Rules: v.String(), Conc: conc, AQI: aqiOf(&res)})
	}
	return out, nil
}
