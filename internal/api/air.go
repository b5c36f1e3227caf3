package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The ambient air endpoints read the store's air data through
// airreport.Store. store.Store implements it; a store that does not (the
// older test fakes) answers them with "unavailable".

// Range limits of the air series.
const (
	maxAirHourlyRange = 31 * 24 * time.Hour
	maxAirDailyRange  = 366 * 24 * time.Hour
)

// airError maps an unknown county or station to not_found.
func airError(field string, err error) error {
	if errors.Is(err, airreport.ErrUnknown) {
		return notFound(field, "%s", err.Error())
	}
	return err
}

func rulesParam(q url.Values) (air.Version, error) {
	v := q.Get("rules")
	if v == "" || v == "auto" {
		return 0, nil
	}
	r, ok := air.ParseVersion(v)
	if !ok {
		return 0, paramError("rules", "%q: want auto, 2012 or 2026", v)
	}
	return r, nil
}

// airStations lists the air stations, optionally of one county.
func (s *server) airStations(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "county")
	if err != nil {
		return err
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	county := q.Get("county")
	if county != "" && x.counties[county] == nil {
		return notFound("county", "no county with code %q", county)
	}
	out := []model.Station{}
	for _, st := range x.Stations {
		if county == "" || st.County == county {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b model.Station) int {
		switch {
		case a.Code < b.Code:
			return -1
		case a.Code > b.Code:
			return 1
		}
		return 0
	})
	writeJSON(w, http.StatusOK, struct {
		Stations []model.Station `json:"stations"`
	}{out})
	return nil
}

// airHourly: a station's hours with their real-time AQI.
func (s *server) airHourly(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "station", "from", "to", "rules")
	if err != nil {
		return err
	}
	st := s.st
	station := q.Get("station")
	if station == "" {
		return missingError("station", "give the station code")
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(x.Stations, func(m model.Station) bool { return m.Code == station }) {
		return notFound("station", "no air station with code %q", station)
	}
	now := s.cfg.Now()
	from, to, err := timeRange(q, now.Add(-24*time.Hour), now)
	if err != nil {
		return err
	}
	if to.Sub(from) > maxAirHourlyRange {
		return &Error{Code: CodeRangeTooLarge, Field: "to", Message: "to: hourly data is served for at most 31 days at a time"}
	}
	rules, err := rulesParam(q)
	if err != nil {
		return err
	}
	hours, err := airreport.Hourly(r.Context(), st, station, from, to, rules)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Station string              `json:"station"`
		From    time.Time           `json:"from"`
		To      time.Time           `json:"to"`
		Hours   []airreport.HourAQI `json:"hours"`
	}{station, cnTime(from), cnTime(to), hours})
	return nil
}

// airDaily: daily values and AQI of a station, a county or the city.
func (s *server) airDaily(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "station", "county", "from", "to", "rules")
	if err != nil {
		return err
	}
	st := s.st
	code, field := q.Get("station"), "station"
	switch {
	case code != "" && q.Get("county") != "":
		return paramError("county", "give station or county, not both")
	case code == "":
		code, field = q.Get("county"), "county"
	}
	if code == "" {
		return missingError("station", "give station=CODE, or county=CODE (county=city for the city)")
	}
	if field == "county" && code != model.AirCity {
		x, err := s.loadRegistry(r.Context())
		if err != nil {
			return err
		}
		if x.counties[code] == nil {
			return notFound("county", "no county with code %q", code)
		}
	}
	now := s.cfg.Now().In(chinaTime)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, chinaTime)
	from, to, err := timeRange(q, today.AddDate(0, 0, -30), today.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	if to.Sub(from) > maxAirDailyRange {
		return &Error{Code: CodeRangeTooLarge, Field: "to", Message: "to: daily data is served for at most 366 days at a time"}
	}
	rules, err := rulesParam(q)
	if err != nil {
		return err
	}
	days, err := airreport.Daily(r.Context(), st, code, from, to, rules)
	if err != nil {
		return airError(field, err)
	}
	writeJSON(w, http.StatusOK, struct {
		Code string             `json:"code"`
		From time.Time          `json:"from"`
		To   time.Time          `json:"to"`
		Days []airreport.DayAQI `json:"days"`
	}{code, cnTime(from), cnTime(to), days})
	return nil
}

// periodParams reads year (with month or quarter) or period.
func periodParams(q url.Values) (chinatime.Period, error) {
	if p := q.Get("period"); p != "" {
		if q.Get("year") != "" {
			return chinatime.Period{}, paramError("period", "give period or year, not both")
		}
		per, err := chinatime.ParsePeriod(p, airreport.Kinds...)
		if err != nil {
			return chinatime.Period{}, paramError("period", "%q: want YYYY, YYYY-Qn or YYYY-MM", p)
		}
		return per, nil
	}
	if q.Get("year") == "" {
		return chinatime.Period{}, missingError("year", "give the year (or period=YYYY, YYYY-Qn, YYYY-MM)")
	}
	y, err := intParam(q, "year", 0, 2000, 2100)
	if err != nil {
		return chinatime.Period{}, err
	}
	per := chinatime.Period{Kind: chinatime.Year, Year: int(y), N: 1}
	m, err := intParam(q, "month", 0, 1, 12)
	if err != nil {
		return per, err
	}
	qu, err := intParam(q, "quarter", 0, 1, 4)
	if err != nil {
		return per, err
	}
	switch {
	case m != 0 && qu != 0:
		return per, paramError("quarter", "give month or quarter, not both")
	case m != 0:
		per.Kind, per.N = chinatime.Month, int(m)
	case qu != 0:
		per.Kind, per.N = chinatime.Quarter, int(qu)
	}
	return per, nil
}

// airReport: the evaluation table, JSON or an Excel workbook.
func (s *server) airReport(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "month", "quarter", "period", "county", "rules", "format", "lang")
	if err != nil {
		return err
	}
	st := s.st
	per, err := periodParams(q)
	if err != nil {
		return err
	}
	rules, err := rulesParam(q)
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		return paramError("format", "%q: want json or xlsx", format)
	}
	lang, err := workbook.ParseLang(q.Get("lang"))
	if err != nil {
		return paramError("lang", "%q: want zh or en", q.Get("lang"))
	}
	rep, err := airreport.Build(r.Context(), st, airreport.Options{Period: per, County: q.Get("county"), Rules: rules})
	if err != nil {
		return airError("county", err)
	}
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := airreport.WriteXLSX(&buf, lang, rep); err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="air-report-`+rep.Period+`.xlsx"`)
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// airTargets: attainment of the year's targets and the budget.
func (s *server) airTargets(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "as_of", "rules")
	if err != nil {
		return err
	}
	st := s.st
	now := s.cfg.Now().In(chinaTime)
	asOf := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, chinaTime).AddDate(0, 0, -1)
	if v := q.Get("as_of"); v != "" {
		t, dateOnly, err := parseTime("as_of", v)
		if err != nil {
			return err
		}
		if !dateOnly {
			return paramError("as_of", "%q: want a date YYYY-MM-DD", v)
		}
		asOf = t
	}
	year, err := intParam(q, "year", int64(asOf.Year()), 2000, 2100)
	if err != nil {
		return err
	}
	rules, err := rulesParam(q)
	if err != nil {
		return err
	}
	if asOf.Year() < int(year) {
		return paramError("as_of", "%s is before %d", asOf.Format(time.DateOnly), year)
	}
	rep, err := airreport.Targets(r.Context(), st, int(year), asOf, rules)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// rankingRow is one ranked area or station.
type rankingRow struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	Index     *float64          `json:"index"`
	PM25      airreport.Conc    `json:"pm25"`
	GoodRatio float64           `json:"good_ratio"`
	Rank      airreport.Ranks   `json:"rank"`
	Change    *airreport.Change `json:"change,omitempty"`
}

// airRankings: counties and stations ranked by the comprehensive index
// (ascending; ties share a rank), with their PM2.5 and good-day ranks.
func (s *server) airRankings(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "rules")
	if err != nil {
		return err
	}
	st := s.st
	if q.Get("period") == "" {
		return missingError("period", "give period=YYYY, YYYY-Qn or YYYY-MM")
	}
	per, err := periodParams(q)
	if err != nil {
		return err
	}
	rules, err := rulesParam(q)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), st, airreport.Options{Period: per, Rules: rules})
	if err != nil {
		return err
	}
	rows := func(es []airreport.Entity) []rankingRow {
		out := make([]rankingRow, 0, len(es))
		for _, e := range es {
			row := rankingRow{Code: e.Code, Name: e.Name, PM25: e.Pollutants[air.PM25].Mean, GoodRatio: e.GoodRatio, Rank: e.Rank, Change: e.Change}
			if e.Index != nil {
				v := e.Index.Sum
				row.Index = &v
			}
			out = append(out, row)
		}
		// By index rank; unranked (no index) last; then by code.
		slices.SortStableFunc(out, func(a, b rankingRow) int {
			ka, kb := a.Rank.Index, b.Rank.Index
			if ka == 0 {
				ka = 1 << 30
			}
			if kb == 0 {
				kb = 1 << 30
			}
			return ka - kb
		})
		return out
	}
	writeJSON(w, http.StatusOK, struct {
		Period   string       `json:"period"`
		Counties []rankingRow `json:"counties"`
		Stations []rankingRow `json:"stations"`
	}{rep.Period, rows(rep.Counties), rows(rep.Stations)})
	return nil
}
