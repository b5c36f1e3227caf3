package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// cst is China Standard Time, in which every air date and hour is labelled.
var cst = air.CST

// today returns 00:00 CST of now's date.
func today(now time.Time) time.Time {
	n := now.In(cst)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
}

// levelInfo is one CNEMC AQI level for legends and the charts' colour
// scale (HJ 633 table 2 / appendix A colours, from internal/air).
type levelInfo struct {
	Min, Max int
	Colour   string
	Label    string
}

func levels(lang string) []levelInfo {
	var out []levelInfo
	lo := 0
	for _, probe := range []int{25, 75, 125, 175, 250, 400} {
		lv := air.LevelOf(probe)
		label := lv.Category
		if lang == langEN {
			label = lv.English
		}
		out = append(out, levelInfo{Min: lo, Max: lv.MaxAQI, Colour: lv.HexColour, Label: label})
		lo = lv.MaxAQI + 1
	}
	return out
}

// stationNow is a station's latest published hour.
type stationNow struct {
	model.Station
	CountyName string
	AQI        int // -1: none in the last hours
	Category   string
	Colour     string
	Primary    string
	Time       string
}

// latestHours returns each station's latest hour in the 6 hours up to
// now with a publishable AQI.
func (h *Handler) latestHours(ctx context.Context, reg *model.Registry, lang string) ([]stationNow, error) {
	now := h.cfg.Now()
	names := countyNames(reg, lang)
	out := make([]stationNow, 0, len(reg.Stations))
	for _, s := range reg.Stations {
		sn := stationNow{Station: s, CountyName: names[s.County], AQI: -1}
		hours, err := airreport.Hourly(ctx, h.st, s.Code, now.Add(-6*time.Hour), now, 0)
		if err != nil {
			return nil, err
		}
		for i := len(hours) - 1; i >= 0; i-- {
			x := hours[i]
			if x.AQI.AQI == nil {
				continue
			}
			sn.AQI = *x.AQI.AQI
			lv := air.LevelOf(sn.AQI)
			sn.Category, sn.Colour = lv.Category, lv.HexColour
			if lang == langEN {
				sn.Category = lv.English
			}
			sn.Primary = pollutantLabel(strings.Join(x.Primary, ", "))
			sn.Time = x.Time.In(cst).Format("01-02 15:04")
			break
		}
		out = append(out, sn)
	}
	return out, nil
}

func countyNames(reg *model.Registry, lang string) map[string]string {
	m := map[string]string{model.AirCity: tr(lang, "report.city")}
	for _, c := range reg.Counties {
		m[c.Code] = c.Name
		if lang == langEN && c.NameEN != "" {
			m[c.Code] = c.NameEN
		}
	}
	return m
}

// mapPoint is a station on the ECharts map: [lon, lat, aqi].
type mapPoint struct {
	Name   string     `json:"name"`
	Code   string     `json:"code"`
	Value  [3]float64 `json:"value"`
	Colour string     `json:"colour"`
}

type series struct {
	Name string `json:"name"`
	Data []*int `json:"data"`
}

// overviewData is the overview's content.
type overviewData struct {
	Stations   []stationNow
	Latest     *airreport.DayAQI // the city's latest day with an AQI
	LatestFg   string
	Targets    *airreport.TargetStatus
	TargetsOf  string // as-of date
	Levels     []levelInfo
	HasHistory bool
}

type overviewCharts struct {
	Map      []mapPoint  `json:"map"`
	Hours    []string    `json:"hours"`
	Trend24  []series    `json:"trend24"`
	Dates    []string    `json:"dates"`
	AQI30    []*int      `json:"aqi30"`
	PM2530   []*float64  `json:"pm25_30"`
	Year     int         `json:"year"`
	Calendar [][2]any    `json:"calendar"`
	Levels   []levelInfo `json:"levels"`
	Labels   struct {
		AQI  string `json:"aqi"`
		PM25 string `json:"pm25"`
	} `json:"labels"`
}

// overviewFigures is what the overview shows, the same for every viewer
// of a language: computed once and shared (figureCache).
type overviewFigures struct {
	Data   *overviewData
	Charts *overviewCharts
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, p *page) error {
	f, err := cached(r.Context(), h.figs, "overview|"+p.Lang, func(ctx context.Context) (overviewFigures, error) {
		return h.overviewFigures(ctx, p.Lang)
	})
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data, p.Charts = "overview", p.T("overview.title"), f.Data, f.Charts
	return h.render(w, http.StatusOK, "overview", p)
}

func (h *Handler) overviewFigures(ctx context.Context, lang string) (overviewFigures, error) {
	var f overviewFigures
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return f, err
	}
	now := h.cfg.Now()
	day := today(now)
	d := &overviewData{Levels: levels(lang)}
	if d.Stations, err = h.latestHours(ctx, reg, lang); err != nil {
		return f, err
	}
	c := &overviewCharts{Levels: d.Levels, Year: day.Year()}
	c.Labels.AQI, c.Labels.PM25 = "AQI", "PM2.5 (µg/m³)"
	for _, s := range d.Stations {
		if s.AQI >= 0 {
			c.Map = append(c.Map, mapPoint{Name: s.Name, Code: s.Code, Value: [3]float64{s.Lon, s.Lat, float64(s.AQI)}, Colour: s.Colour})
		}
	}

	// 24 hours of the city's evaluation stations, hour by hour.
	from := now.Add(-24 * time.Hour).Truncate(time.Hour)
	var slots []time.Time
	for t := from.Add(time.Hour); !t.After(now); t = t.Add(time.Hour) {
		slots = append(slots, t)
		c.Hours = append(c.Hours, t.In(cst).Format("15:04"))
	}
	for _, s := range reg.Stations {
		if !s.CityEval {
			continue
		}
		hours, err := airreport.Hourly(ctx, h.st, s.Code, from, now, 0)
		if err != nil {
			return f, err
		}
		ser := series{Name: s.Name, Data: make([]*int, len(slots))}
		for _, x := range hours {
			if i := slices.IndexFunc(slots, func(t time.Time) bool { return t.Equal(x.Time) }); i >= 0 {
				ser.Data[i] = x.AQI.AQI
			}
		}
		c.Trend24 = append(c.Trend24, ser)
	}

	// The year's daily city AQI: calendar, 30-day trend, latest day.
	yearStart := time.Date(day.Year(), 1, 1, 0, 0, 0, 0, cst)
	days, err := airreport.Daily(ctx, h.st, airreport.CityCode, yearStart.AddDate(0, 0, -30), day.AddDate(0, 0, 1), 0)
	if err != nil {
		return f, err
	}
	byDate := map[string]airreport.DayAQI{}
	for i, x := range days {
		byDate[x.Date] = x
		if x.AQI.AQI != nil {
			d.Latest = &days[i]
			if x.Date >= yearStart.Format(time.DateOnly) {
				c.Calendar = append(c.Calendar, [2]any{x.Date, *x.AQI.AQI})
			}
		}
	}
	if d.Latest != nil && d.Latest.Colour != nil {
		d.LatestFg = textOn(*d.Latest.Colour)
	}
	for t := day.AddDate(0, 0, -29); !t.After(day); t = t.AddDate(0, 0, 1) {
		k := t.Format(time.DateOnly)
		c.Dates = append(c.Dates, k[5:])
		x, ok := byDate[k]
		if !ok {
			c.AQI30, c.PM2530 = append(c.AQI30, nil), append(c.PM2530, nil)
			continue
		}
		c.AQI30 = append(c.AQI30, x.AQI.AQI)
		var pm *float64
		if v := x.Conc["PM2.5"]; v >= 0 {
			f := float64(v) / air.Scale
			pm = &f
		}
		c.PM2530 = append(c.PM2530, pm)
	}
	d.HasHistory = len(days) > 0

	// This year against the targets, up to yesterday.
	asOf := day.AddDate(0, 0, -1)
	tr, err := airreport.Targets(ctx, h.st, asOf.Year(), asOf, 0)
	if err != nil {
		return f, err
	}
	d.TargetsOf = tr.AsOf
	for i := range tr.Areas {
		if tr.Areas[i].Area == model.AirCity {
			d.Targets = &tr.Areas[i]
		}
	}
	return overviewFigures{Data: d, Charts: c}, nil
}

// airData is the air page's content.
type airData struct {
	Targets  *airreport.TargetReport
	Names    map[string]string
	Period   string
	Counties []airreport.Entity
	Stations []stationNow
	Levels   []levelInfo
}

func (h *Handler) airPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ps := r.URL.Query().Get("period")
	var per *chinatime.Period
	if ps != "" {
		x, err := chinatime.ParsePeriod(ps, airreport.Kinds...)
		if err != nil {
			return errStatus(http.StatusBadRequest)
		}
		per, ps = &x, x.String()
	}
	d, err := cached(r.Context(), h.figs, "air|"+p.Lang+"|"+ps, func(ctx context.Context) (*airData, error) {
		return h.airFigures(ctx, p.Lang, per)
	})
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "air", p.T("air.title"), d
	return h.render(w, http.StatusOK, "air", p)
}

// airFigures computes the air page: the targets up to yesterday, the
// rankings of per (nil: the year so far) and the stations' latest hours.
func (h *Handler) airFigures(ctx context.Context, lang string, per *chinatime.Period) (*airData, error) {
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return nil, err
	}
	day := today(h.cfg.Now())
	asOf := day.AddDate(0, 0, -1)
	d := &airData{Names: countyNames(reg, lang), Levels: levels(lang)}
	if d.Targets, err = airreport.Targets(ctx, h.st, asOf.Year(), asOf, 0); err != nil {
		return nil, err
	}
	// Rankings of the year so far: the report of the year's months up to
	// the latest complete day, with the change against the same period a
	// year earlier both by date and on the same basis (同口径): across
	// 2026-03-01 the two differ (HJ 633-2012 vs HJ 633-2026 days).
	if per == nil {
		per = &chinatime.Period{Kind: chinatime.Year, Year: asOf.Year(), N: 1}
	}
	rep, err := airreport.Build(ctx, h.st, airreport.Options{Period: *per})
	if err != nil {
		return nil, err
	}
	d.Period = rep.Period
	d.Counties = rankedByIndex(rep.Counties)
	if d.Stations, err = h.latestHours(ctx, reg, lang); err != nil {
		return nil, err
	}
	return d, nil
}

// rankedByIndex orders entities by their index rank, unranked last.
func rankedByIndex(es []airreport.Entity) []airreport.Entity {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b airreport.Entity) int {
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

// stationData is a station page's content.
type stationData struct {
	Station    model.Station
	CountyName string
	Hours      []airreport.HourAQI // newest first, for the table
	Days       []airreport.DayAQI  // newest first
	Pollutants []string
}

type stationCharts struct {
	Hours  []string            `json:"hours"`
	AQI    []*int              `json:"aqi"`
	Conc   map[string][]*int64 `json:"conc"`
	Dates  []string            `json:"dates"`
	DayAQI []*int              `json:"day_aqi"`
	Colour []string            `json:"day_colour"`
	Levels []levelInfo         `json:"levels"`
}

func (h *Handler) stationPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ctx := r.Context()
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	i := slices.IndexFunc(reg.Stations, func(s model.Station) bool { return s.Code == code })
	if i < 0 {
		return errStatus(http.StatusNotFound)
	}
	now := h.cfg.Now()
	day := today(now)
	d := &stationData{Station: reg.Stations[i], CountyName: countyNames(reg, p.Lang)[reg.Stations[i].County], Pollutants: []string{"PM2.5", "PM10", "O3", "NO2", "SO2", "CO"}}
	hours, err := airreport.Hourly(ctx, h.st, code, now.Add(-72*time.Hour), now, 0)
	if err != nil {
		return err
	}
	days, err := airreport.Daily(ctx, h.st, code, day.AddDate(0, 0, -30), day, 0)
	if err != nil {
		return err
	}
	c := &stationCharts{Conc: map[string][]*int64{}, Levels: levels(p.Lang)}
	for _, x := range hours {
		c.Hours = append(c.Hours, x.Time.In(cst).Format("01-02 15:04"))
		c.AQI = append(c.AQI, x.AQI.AQI)
		for _, pol := range d.Pollutants {
			var v *int64
			if x.Conc[pol] >= 0 && pol != "CO" {
				n := int64(x.Conc[pol]) / air.Scale
				v = &n
			}
			c.Conc[pol] = append(c.Conc[pol], v)
		}
	}
	for _, x := range days {
		c.Dates = append(c.Dates, x.Date[5:])
		c.DayAQI = append(c.DayAQI, x.AQI.AQI)
		col := "#ccc"
		if x.Colour != nil {
			col = *x.Colour
		}
		c.Colour = append(c.Colour, col)
	}
	d.Hours = reversed(hours)
	if len(d.Hours) > 24 {
		d.Hours = d.Hours[:24]
	}
	d.Days = reversed(days)
	p.Nav, p.Title, p.Data, p.Charts = "air", d.Station.Name, d, c
	return h.render(w, http.StatusOK, "station", p)
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
