package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/trace"
	"github.com/ecowatch/ecowatch/internal/water/tracesvc"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The surface-water endpoints read the water registry and the
// water samples through waterStore; store.Store implements it, a store
// that does not (the older test fakes) answers them with "unavailable".
// Water quality of sections and sources is published city-wide, so the
// data routes are not cut to a caller's county. A tracing report names
// suspected enterprises of any county: it has a scope of its own, which
// the role table does not grant, so that under Config.Auth only the city
// may trace (static tokens carry every scope).

// ScopeWaterTrace is the scope of the tracing route.
const ScopeWaterTrace = "water:trace"

var waterRoutes = []route{
	{"GET /api/v1/water/sections", ScopeRegistry, (*server).waterSections},
	{"GET /api/v1/water/classes", ScopeData, (*server).waterClasses},
	{"GET /api/v1/water/report", ScopeData, (*server).waterReport},
	{"GET /api/v1/water/cwqi", ScopeData, (*server).waterCWQI},
	{"GET /api/v1/water/drinking", ScopeData, (*server).waterDrinking},
	{"GET /api/v1/water/trace", ScopeWaterTrace, (*server).waterTrace},
}

// waterStore is what the water endpoints read.
type waterStore interface {
	Registry(ctx context.Context) (*model.Registry, error)
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
}

// waterSections lists the monitoring sections, optionally of one county
// or river.
func (s *server) waterSections(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "county", "river")
	if err != nil {
		return err
	}
	st := s.st
	wr, err := st.WaterRegistry(r.Context())
	if err != nil {
		return err
	}
	county, river := q.Get("county"), q.Get("river")
	if county != "" {
		x, err := s.loadRegistry(r.Context())
		if err != nil {
			return err
		}
		if x.counties[county] == nil {
			return notFound("county", "no county with code %q", county)
		}
	}
	if river != "" && !hasRiver(wr, river) {
		return notFound("river", "no river with code %q", river)
	}
	out := []model.WaterSection{}
	for _, sec := range wr.Sections {
		if (county == "" || sec.County == county) && (river == "" || sec.River == river) {
			out = append(out, sec)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Sections []model.WaterSection `json:"sections"`
		Rivers   []model.River        `json:"rivers"`
	}{out, wr.Rivers})
	return nil
}

func hasRiver(w *model.WaterRegistry, code string) bool {
	for _, r := range w.Rivers {
		if r.Code == code {
			return true
		}
	}
	return false
}

// waterPeriodReport parses period (required) and compare, and builds the
// report.
func (s *server) waterPeriodReport(r *http.Request, q url.Values) (*waterreport.Report, error) {
	st := s.st
	v := q.Get("period")
	if v == "" {
		return nil, missingError("period", "give the period: YYYY-MM, YYYYQn or YYYY")
	}
	p, err := chinatime.ParsePeriod(v, waterreport.Kinds...)
	if err != nil {
		return nil, paramError("period", "%q: want YYYY-MM, YYYYQn or YYYY", v)
	}
	cmp := q.Get("compare")
	if cmp != "" && cmp != "yoy" && cmp != "prev" {
		return nil, paramError("compare", "%q: want yoy or prev", cmp)
	}
	return waterreport.Build(r.Context(), st, p, waterreport.Options{Compare: cmp})
}

// waterClasses: each section's class against its target in the period.
func (s *server) waterClasses(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "compare")
	if err != nil {
		return err
	}
	rep, err := s.waterPeriodReport(r, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Period   string                `json:"period"`
		Base     string                `json:"base"`
		Summary  waterreport.Summary   `json:"summary"`
		Sections []waterreport.Section `json:"sections"`
	}{rep.Period, rep.Base, rep.Summary, rep.Sections})
	return nil
}

// waterReport: the whole period report, JSON or an Excel workbook.
func (s *server) waterReport(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "compare", "format", "lang")
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
	rep, err := s.waterPeriodReport(r, q)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := waterreport.WriteXLSX(&buf, lang, rep); err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="water-report-`+rep.Period+`.xlsx"`)
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// waterCWQI: the city's CWQI, the county and section rankings and the
// change rates.
func (s *server) waterCWQI(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "compare")
	if err != nil {
		return err
	}
	rep, err := s.waterPeriodReport(r, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Period string           `json:"period"`
		Base   string           `json:"base"`
		CWQI   waterreport.CWQI `json:"cwqi"`
	}{rep.Period, rep.Base, rep.CWQI})
	return nil
}

// waterDrinking: the drinking-water sources' evaluation.
func (s *server) waterDrinking(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "compare")
	if err != nil {
		return err
	}
	rep, err := s.waterPeriodReport(r, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Period  string                      `json:"period"`
		Base    string                      `json:"base"`
		Sources []waterreport.DrinkingPoint `json:"sources"`
	}{rep.Period, rep.Base, rep.Drinking})
	return nil
}

// maxTraceHorizon bounds the upstream walk a request may ask for.
const maxTraceHorizon = 7 * 24 * time.Hour

// waterTrace: trace an exceedance (or a jump) at a section upstream.
func (s *server) waterTrace(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "section", "time", "factor", "horizon", "after", "trigger", "limit")
	if err != nil {
		return err
	}
	st := s.st
	tq := tracesvc.Query{Section: q.Get("section"), Factor: q.Get("factor")}
	if tq.Section == "" {
		return missingError("section", "give the section code")
	}
	if q.Get("time") == "" {
		return missingError("time", "give the time of the exceedance")
	}
	if tq.Time, _, err = parseTime("time", q.Get("time")); err != nil {
		return err
	}
	if tq.Factor == "" {
		tq.Factor = "CODMn"
	}
	if _, ok := water.LookupItem(tq.Factor); !ok {
		return paramError("factor", "%q: not a GB 3838 item or HJ 212 code", tq.Factor)
	}
	dur := func(name string, def time.Duration) (time.Duration, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxTraceHorizon {
			return 0, paramError(name, "%q: want a duration such as 48h, at most 168h", v)
		}
		return d, nil
	}
	if tq.Horizon, err = dur("horizon", 48*time.Hour); err != nil {
		return err
	}
	if tq.Horizon == 0 {
		return paramError("horizon", "must be positive")
	}
	if tq.After, err = dur("after", 24*time.Hour); err != nil {
		return err
	}
	if tq.After == 0 {
		tq.After = -1
	}
	switch q.Get("trigger") {
	case "", "exceedance":
	case "jump":
		tq.Jump = true
	default:
		return paramError("trigger", "%q: want exceedance or jump", q.Get("trigger"))
	}
	if v := q.Get("limit"); v != "" {
		d, err := water.ParseDec(v)
		if err != nil || d <= 0 {
			return paramError("limit", "%q: want a positive concentration in mg/L", v)
		}
		tq.Limit = d.Float64()
	}
	wr, err := st.WaterRegistry(r.Context())
	if err != nil {
		return err
	}
	known := false
	for _, sec := range wr.Sections {
		known = known || sec.Code == tq.Section
	}
	if !known {
		return notFound("section", "no section with code %q", tq.Section)
	}
	rep, err := tracesvc.Run(r.Context(), st, tq)
	if errors.Is(err, trace.ErrNoData) {
		return notFound("time", "%s", err.Error())
	}
	if err != nil && strings.Contains(err.Error(), "give the limit") {
		// pH, an item without a class limit, or a section without a target.
		return paramError("limit", "%s", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
