package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// The command-centre big screen (指挥中心大屏): one 1920×1080 page of the
// whole city's figures, for a wall display. It shows city-wide cases and
// petitions, so it needs the screen scope: the city's staff and display
// accounts (a machine token on the wall's browser), not counties or
// enterprises.
const accessScreen = auth.ScopeScreen

// screenRefresh is how often the screen's script fetches new figures
// (the figures themselves are shared and at most a minute old).
const screenRefresh = 30 * time.Second

// screenFigures is everything the big screen shows; the page embeds it
// and /screen/data.json serves it again for the refresh.
type screenFigures struct {
	Updated string `json:"updated"` // when computed, CST
	Date    string `json:"date"`

	// The city's latest day with an AQI.
	City *screenAQI `json:"city"`
	// Counties are the map's regions coloured by the mean of their
	// stations' latest hourly AQI; Stations its points.
	Counties []screenRegion `json:"counties"`
	Stations []mapPoint     `json:"stations"`
	Levels   []levelInfo    `json:"levels"`

	// The year so far against the targets (up to yesterday).
	TargetsOf string       `json:"targets_of"`
	PM25      *screenPM25  `json:"pm25"`
	Good      *screenGood  `json:"good"`
	Ranking   []screenRank `json:"ranking"` // counties by year-to-date PM2.5, best first

	Enterprises screenEnterprises `json:"enterprises"`
	Alarms      screenAlarms      `json:"alarms"`
	Cases       screenCases       `json:"cases"`
	Petitions   screenPetitions   `json:"petitions"`
	Water       *screenWater      `json:"water"`
	Warning     screenWarning     `json:"warning"`
	Rates       *screenRates      `json:"rates"` // nil: no marking service

	// Text is every figure as the screen prints it, by element id: the
	// page and its refresh script show the same strings.
	Text map[string]string `json:"text"`
}

type screenAQI struct {
	Date     string `json:"date"`
	AQI      int    `json:"aqi"`
	Category string `json:"category"`
	Colour   string `json:"colour"`
	Fg       string `json:"fg"`
	Primary  string `json:"primary"`
}

type screenRegion struct {
	Name   string `json:"name"` // the map's region name
	Label  string `json:"label"`
	Value  *int   `json:"value"` // nil: no station reported
	Colour string `json:"colour"`
}

type screenPM25 struct {
	Mean, Target string
	Budget       string // what the rest of the year must average; "" when it can no longer be met
	Feasible     bool
	Status       string
	Progress     float64 // mean / target, for the gauge
}

type screenGood struct {
	Ratio, Target float64
	GoodDays      int
	MaxBadDays    int // -1: can no longer be met
	Feasible      bool
	Status        string
}

type screenRank struct {
	Name string   `json:"name"`
	PM25 *float64 `json:"pm25"`
}

type screenEnterprises struct {
	Total, Online, Offline, Never, Exceeding int
}

type screenAlarm struct {
	Time, County, Title string
}

type screenAlarms struct {
	Today  int
	Latest []screenAlarm
}

type screenState struct {
	State string `json:"state"`
	Label string `json:"label"`
	N     int    `json:"n"`
}

type screenCases struct {
	Open, Overdue, ClosedYear int
	ByState                   []screenState
}

type screenPetitions struct {
	Month           int
	Rated           int
	Satisfaction    float64 // per cent, of the year's rated petitions
	HasSatisfaction bool
}

type screenWater struct {
	Period            string
	Sections, Meeting int
	Share             float64
	Good              float64
}

// screenRates is this month's effective transmission rate (传输有效率) of
// the city with its arithmetic, and the lowest outlets and county.
type screenRates struct {
	Month     string
	City      marking.Count
	Threshold float64
	Below     int           // outlets under the threshold
	Lowest    []marking.Row // the three lowest outlets
	County    *marking.Row  // the lowest county
}

type screenWarning struct {
	Level  int    `json:"level"` // 0 none, 1 yellow, 2 orange, 3 red
	Label  string `json:"label"`
	Colour string `json:"colour"`
	Until  string `json:"until"`
}

// mapRegion names a county as the bundled 聊城 map does (its boundaries
// predate 茌平's change from county to district in 2019).
var mapRegion = map[string]string{"茌平区": "茌平县"}

func (h *Handler) screenPage(w http.ResponseWriter, r *http.Request, p *page) error {
	f, err := h.screenData(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "screen", p.T("screen.title"), f
	t := h.pages["screen"]
	if t == nil {
		return fmt.Errorf("dashboard: no template screen")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "screen-page", p); err != nil {
		return fmt.Errorf("dashboard: render screen: %w", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", map[string]string{langZH: "zh-CN", langEN: "en"}[p.Lang])
	hd.Set("Vary", "Cookie")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'")
	_, err = w.Write(buf.Bytes())
	return err
}

// screenJSON serves the figures for the page's refresh.
func (h *Handler) screenJSON(w http.ResponseWriter, r *http.Request, p *page) error {
	f, err := h.screenData(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(b)
	return err
}

func (h *Handler) screenData(ctx context.Context, lang string) (*screenFigures, error) {
	return cached(ctx, h.figs, "screen|"+lang, func(ctx context.Context) (*screenFigures, error) {
		return h.screenFigures(ctx, lang)
	})
}

// screenFigures computes the screen's figures from the same engines and
// store reads as the other pages.
func (h *Handler) screenFigures(ctx context.Context, lang string) (*screenFigures, error) {
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	day := today(now)
	names := countyNames(reg, lang)
	f := &screenFigures{Updated: now.In(cst).Format("2006-01-02 15:04:05"), Date: day.Format(time.DateOnly), Levels: levels(lang)}

	// Air now: stations' latest hours, counties by their stations' mean.
	stations, err := h.latestHours(ctx, reg, lang)
	if err != nil {
		return nil, err
	}
	sum, n := map[string]int{}, map[string]int{}
	for i, s := range stations {
		if s.AQI < 0 {
			// No hour in the last six: the station's latest day.
			ds, err := airreport.Daily(ctx, h.st, s.Code, day.AddDate(0, 0, -7), day.AddDate(0, 0, 1), 0)
			if err != nil {
				return nil, err
			}
			for j := len(ds) - 1; j >= 0; j-- {
				if ds[j].AQI.AQI != nil {
					s.AQI = *ds[j].AQI.AQI
					s.Colour = air.LevelOf(s.AQI).HexColour
					stations[i] = s
					break
				}
			}
		}
		if s.AQI < 0 {
			continue
		}
		f.Stations = append(f.Stations, mapPoint{Name: s.Name, Code: s.Code, Value: [3]float64{s.Lon, s.Lat, float64(s.AQI)}, Colour: s.Colour})
		sum[s.County] += s.AQI
		n[s.County]++
	}
	for _, c := range reg.Counties {
		rg := screenRegion{Name: c.Name, Label: names[c.Code], Colour: "#3a4a5c"}
		if m, ok := mapRegion[c.Name]; ok {
			rg.Name = m
		}
		if n[c.Code] > 0 {
			v := int(math.Round(float64(sum[c.Code]) / float64(n[c.Code])))
			rg.Value, rg.Colour = &v, air.LevelOf(v).HexColour
		}
		f.Counties = append(f.Counties, rg)
	}
	days, err := airreport.Daily(ctx, h.st, airreport.CityCode, day.AddDate(0, 0, -7), day.AddDate(0, 0, 1), 0)
	if err != nil {
		return nil, err
	}
	for i := len(days) - 1; i >= 0; i-- {
		x := days[i]
		if x.AQI.AQI == nil {
			continue
		}
		lv := air.LevelOf(*x.AQI.AQI)
		a := &screenAQI{Date: x.Date, AQI: *x.AQI.AQI, Category: lv.Category, Colour: lv.HexColour, Fg: textOn(lv.HexColour), Primary: pollutantLabel(strings.Join(x.Primary, ", "))}
		if lang == langEN {
			a.Category = lv.English
		}
		f.City = a
		break
	}

	// The year against the targets, up to yesterday.
	asOf := day.AddDate(0, 0, -1)
	tr, err := airreport.Targets(ctx, h.st, asOf.Year(), asOf, 0)
	if err != nil {
		return nil, err
	}
	f.TargetsOf = tr.AsOf
	for _, a := range tr.Areas {
		if a.Area == model.AirCity {
			if x := a.PM25; x != nil {
				f.PM25 = &screenPM25{Mean: x.Mean.String(), Target: fmt.Sprint(x.Target), Feasible: x.Feasible, Status: x.Status}
				if x.Budget >= 0 {
					// The budget is a bound, so rounded down: averaging the
					// shown figure still meets the target.
					f.PM25.Budget = fmt.Sprintf("%.1f", math.Floor(float64(x.Budget)/air.Scale*10)/10)
				}
				if x.Target > 0 && x.Mean >= 0 {
					f.PM25.Progress = float64(x.Mean) / air.Scale / x.Target
				}
			}
			if x := a.GoodRatio; x != nil {
				f.Good = &screenGood{Ratio: x.Ratio, Target: x.Target, GoodDays: x.GoodDays, MaxBadDays: x.MaxBadDays, Feasible: x.Feasible, Status: x.Status}
			}
			continue
		}
		rk := screenRank{Name: names[a.Area]}
		if rk.Name == "" {
			rk.Name = a.Name
		}
		if a.PM25 != nil && a.PM25.Mean >= 0 {
			v := float64(a.PM25.Mean) / air.Scale
			rk.PM25 = &v
		}
		f.Ranking = append(f.Ranking, rk)
	}
	slices.SortStableFunc(f.Ranking, func(a, b screenRank) int {
		switch {
		case a.PM25 == nil && b.PM25 == nil:
			return 0
		case a.PM25 == nil:
			return 1
		case b.PM25 == nil:
			return -1
		}
		return int(math.Round((*a.PM25 - *b.PM25) * 100))
	})

	if err := h.screenMonitoring(ctx, reg, now, f); err != nil {
		return nil, err
	}
	if err := h.screenCases(ctx, now, lang, names, f); err != nil {
		return nil, err
	}
	if err := h.screenWater(ctx, day, f); err != nil {
		return nil, err
	}
	if err := h.screenWarning(ctx, now, lang, f); err != nil {
		return nil, err
	}
	if err := h.screenRates(ctx, day, names, f); err != nil {
		return nil, err
	}
	f.Text = screenText(f, lang)
	return f, nil
}

// screenText formats the figures for the screen, units beside values.
func screenText(f *screenFigures, lang string) map[string]string {
	t := map[string]string{"updated": f.Updated[11:16], "targets-of": f.TargetsOf}
	dash := "—"
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", v) }
	t["city-aqi"], t["city-cat"], t["city-date"], t["city-primary"] = dash, "", "", ""
	if c := f.City; c != nil {
		t["city-aqi"], t["city-cat"], t["city-date"] = fmt.Sprint(c.AQI), c.Category, c.Date
		if c.Primary != "" {
			t["city-primary"] = tr(lang, "col.primary") + " " + c.Primary
		}
	}
	t["pm25-mean"], t["pm25-target"], t["pm25-budget"], t["pm25-status"] = dash, dash, dash, ""
	if x := f.PM25; x != nil {
		t["pm25-mean"], t["pm25-target"] = x.Mean, x.Target
		t["pm25-status"] = tr(lang, "status."+x.Status)
		if x.Feasible && x.Budget != "" {
			t["pm25-budget"] = "≤ " + x.Budget
		} else {
			t["pm25-budget"] = tr(lang, "status.cannot_be_met")
		}
	}
	t["good-ratio"], t["good-target"], t["good-bad"], t["good-status"] = dash, dash, dash, ""
	if x := f.Good; x != nil {
		t["good-ratio"], t["good-target"] = pct(x.Ratio), pct(x.Target)
		t["good-status"] = tr(lang, "status."+x.Status)
		if x.MaxBadDays >= 0 {
			t["good-bad"] = fmt.Sprint(x.MaxBadDays)
		} else {
			t["good-bad"] = tr(lang, "status.cannot_be_met")
		}
	}
	e := f.Enterprises
	t["ent-total"], t["ent-online"], t["ent-offline"], t["ent-never"], t["ent-exceed"] = fmt.Sprint(e.Total), fmt.Sprint(e.Online), fmt.Sprint(e.Offline), fmt.Sprint(e.Never), fmt.Sprint(e.Exceeding)
	t["ent-rate"] = dash
	if e.Total > 0 {
		t["ent-rate"] = pct(100 * float64(e.Online) / float64(e.Total))
	}
	t["alarm-today"] = fmt.Sprint(f.Alarms.Today)
	t["case-open"], t["case-overdue"] = fmt.Sprint(f.Cases.Open), fmt.Sprint(f.Cases.Overdue)
	t["pet-month"], t["pet-sat"], t["pet-rated"] = fmt.Sprint(f.Petitions.Month), dash, ""
	if f.Petitions.HasSatisfaction {
		t["pet-sat"] = pct(f.Petitions.Satisfaction)
		t["pet-rated"] = fmt.Sprintf(tr(lang, "screen.rated"), f.Petitions.Rated)
	}
	t["water-meet"], t["water-share"], t["water-period"] = dash, dash, ""
	if w := f.Water; w != nil && w.Sections > 0 {
		t["water-meet"] = fmt.Sprintf("%d/%d", w.Meeting, w.Sections)
		t["water-share"] = pct(w.Share)
		t["water-period"] = w.Period
	}
	screenRateText(t, f.Rates, lang)
	t["warn-label"], t["warn-until"] = f.Warning.Label, ""
	if f.Warning.Until != "" {
		t["warn-until"] = fmt.Sprintf(tr(lang, "screen.warn.until"), f.Warning.Until)
	}
	return t
}

// screenMonitoring counts enterprises by their devices' state: online
// when any device reports, offline when all that ever reported are
// silent, never when none ever reported.
func (h *Handler) screenMonitoring(ctx context.Context, reg *model.Registry, now time.Time, f *screenFigures) error {
	contacts, err := h.st.Contacts(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]time.Time, len(contacts))
	for _, c := range contacts {
		seen[c.MN] = c.At
	}
	outletOf := map[string]string{}
	for _, o := range reg.Outlets {
		outletOf[o.ID] = o.Enterprise
	}
	state := map[string]string{}
	for _, d := range reg.Devices {
		e := outletOf[d.Outlet]
		if e == "" {
			continue
		}
		switch st := model.DeviceStateAt(seen[d.MN], now, h.cfg.OfflineAfter); {
		case st == model.DeviceOnline:
			state[e] = model.DeviceOnline
		case st == model.DeviceOffline && state[e] != model.DeviceOnline:
			state[e] = model.DeviceOffline
		case state[e] == "":
			state[e] = model.DeviceNeverSeen
		}
	}
	en := &f.Enterprises
	for _, e := range reg.Enterprises {
		en.Total++
		switch state[e.USCC] {
		case model.DeviceOnline:
			en.Online++
		case model.DeviceOffline:
			en.Offline++
		default:
			en.Never++
		}
	}
	return nil
}

// screenCases: the loop's figures (states, overdue), today's alarms (the
// alert rules' cases opened today), enterprises with an open exceedance
// case, this month's petitions and the year's satisfaction.
func (h *Handler) screenCases(ctx context.Context, now time.Time, lang string, names map[string]string, f *screenFigures) error {
	cs := h.st
	sum, err := cs.CaseStats(ctx, store.CaseQuery{Now: now})
	if err != nil {
		return err
	}
	for _, s := range cases.States() {
		if s.Open() {
			f.Cases.Open += sum.ByState[s]
		}
		if s == cases.StateRejected {
			continue
		}
		f.Cases.ByState = append(f.Cases.ByState, screenState{State: string(s), Label: tr(lang, "case."+string(s)), N: sum.ByState[s]})
	}
	f.Cases.Overdue = sum.Overdue

	day := today(now)
	exceeding := map[string]bool{}
	for _, src := range []cases.Source{cases.SourceOnline, cases.SourceElectric} {
		list, err := cs.Cases(ctx, store.CaseQuery{Source: src, Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range list {
			if c.State.Open() && c.Enterprise != "" && c.ProblemType == "exceedance" {
				exceeding[c.Enterprise] = true
			}
			if !c.CreatedAt.Before(day) && c.CreatedAt.Before(day.AddDate(0, 0, 1)) {
				f.Alarms.Today++
				f.Alarms.Latest = append(f.Alarms.Latest, screenAlarm{Time: c.CreatedAt.In(cst).Format("15:04"), County: names[c.County], Title: c.TitleIn(lang)})
			}
		}
	}
	f.Enterprises.Exceeding = len(exceeding)
	slices.SortStableFunc(f.Alarms.Latest, func(a, b screenAlarm) int { return strings.Compare(b.Time, a.Time) })
	if len(f.Alarms.Latest) > 6 {
		f.Alarms.Latest = f.Alarms.Latest[:6]
	}

	pets, err := cs.Cases(ctx, store.CaseQuery{Source: cases.SourcePetition, Limit: 1000})
	if err != nil {
		return err
	}
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, cst)
	year := time.Date(day.Year(), 1, 1, 0, 0, 0, 0, cst)
	var answers []cases.Satisfaction
	for _, c := range pets {
		if !c.CreatedAt.Before(month) {
			f.Petitions.Month++
		}
		if !c.CreatedAt.Before(year) {
			answers = append(answers, c.Satisfaction)
		}
	}
	rate, rated, ok := cases.SatisfactionRate(answers)
	f.Petitions.Rated, f.Petitions.HasSatisfaction, f.Petitions.Satisfaction = rated, ok, rate*100
	return nil
}

// screenWater: the sections of the last ended month against their target
// classes (GB 3838).
func (h *Handler) screenWater(ctx context.Context, day time.Time, f *screenFigures) error {
	ws := h.st
	per := chinatime.PeriodOf(chinatime.Month, day).Previous() // the last month that has ended
	rep, err := waterreport.Build(ctx, ws, per, waterreport.Options{})
	if err != nil {
		return err
	}
	s := rep.Summary
	f.Water = &screenWater{Period: rep.Period, Sections: s.Sections, Meeting: s.Meeting, Share: s.MeetShare, Good: s.GoodShare}
	return nil
}

// screenWarning: the heavy-pollution weather warning in force now, the
// most severe if several counties differ.
func (h *Handler) screenWarning(ctx context.Context, now time.Time, lang string, f *screenFigures) error {
	f.Warning = screenWarning{Label: tr(lang, "screen.warn.none"), Colour: "#2e7d32"}
	as := h.st
	ws, err := as.Warnings(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if now.Before(w.Start) || !now.Before(w.End) || int(w.Level) <= f.Warning.Level {
			continue
		}
		f.Warning.Level = int(w.Level)
		f.Warning.Label = tr(lang, "screen.warn."+w.Level.String())
		f.Warning.Colour = map[int]string{1: "#f5c400", 2: "#ff7e00", 3: "#e0001b"}[int(w.Level)]
		f.Warning.Until = w.End.In(cst).Format("01-02 15:04")
	}
	return nil
}

// screenRates: the month so far, counted by the marking service (its day
// counts are cached: closed days until a mark changes them, today's at
// most marksvc.TodayMaxAge old).
func (h *Handler) screenRates(ctx context.Context, day time.Time, names map[string]string, f *screenFigures) error {
	ms := h.cfg.Marks
	if ms == nil {
		return nil
	}
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, cst)
	rep, err := ms.Rates(ctx, month, month.AddDate(0, 1, 0), auth.Principal{User: "screen", Role: model.RoleCity, Via: "screen"})
	if err != nil {
		return fmt.Errorf("screen: rates of %s: %w", month.Format("2006-01"), err)
	}
	r := &screenRates{Month: month.Format("2006-01"), City: rep.City.Count, Threshold: rep.Threshold}
	for _, o := range rep.Outlets {
		if o.Below {
			r.Below++
		}
	}
	// Rows are ranked best first: the lowest are at the end.
	for i := len(rep.Outlets) - 1; i >= 0 && len(r.Lowest) < 3; i-- {
		r.Lowest = append(r.Lowest, rep.Outlets[i])
	}
	if n := len(rep.Counties); n > 0 {
		c := rep.Counties[n-1]
		if names[c.Key] != "" {
			c.Name = names[c.Key] // in the page's language
		}
		r.County = &c
	}
	f.Rates = r
	return nil
}

// screenRateText writes the rates' texts: the city's rate, its
// arithmetic (due, received, valid), the outlets below the threshold, the
// lowest county and the three lowest outlets.
func screenRateText(t map[string]string, r *screenRates, lang string) {
	dash := "—"
	t["rate-city"], t["rate-arith"], t["rate-below"], t["rate-county"], t["rate-month"] = dash, "", dash, dash, ""
	for i := range 3 {
		t[fmt.Sprintf("rate-low%d", i)], t[fmt.Sprintf("rate-low%d-v", i)] = "", ""
	}
	if r == nil {
		return
	}
	pct := func(c marking.Count) string { return fmt.Sprintf("%.2f%%", 100*c.Effective()) }
	t["rate-month"] = r.Month
	if r.City.Due > 0 {
		t["rate-city"] = pct(r.City)
		t["rate-arith"] = fmt.Sprintf(tr(lang, "screen.rate.arith"), r.City.Due, r.City.Received, r.City.Valid,
			100*r.City.Transmission(), 100*r.City.Validity())
	}
	t["rate-below"] = fmt.Sprintf(tr(lang, "screen.rate.below"), 100*r.Threshold, r.Below)
	if c := r.County; c != nil {
		t["rate-county"] = c.Name + " " + pct(c.Count)
	}
	for i, o := range r.Lowest {
		t[fmt.Sprintf("rate-low%d", i)], t[fmt.Sprintf("rate-low%d-v", i)] = o.Name, pct(o.Count)
	}
}
