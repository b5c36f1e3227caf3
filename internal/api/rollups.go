package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// GET /api/v1/rollups serves the hour and day roll-ups the store keeps of
// the devices' minute data (store.RollUp): per factor the count of
// normal minutes, their mean, extremes and cumulative sum. Reports over
// long ranges read these instead of the minute uploads. Scoped like the
// measurements: a device outside the caller's county or enterprise is
// not found.

var rollupRoutes = []route{
	{"GET /api/v1/rollups", ScopeData, (*server).rollups},
}

// rollupStore is what the endpoint reads (store.Store implements it).
type rollupStore interface {
	Rollups(ctx context.Context, q store.RollupQuery) ([]model.Rollup, error)
}

// rollupPage is how many roll-ups are read from the store at once (a
// variable so that tests can exercise paging with little data).
var rollupPage = 5000

// maxRollupDevices bounds the devices of one request.
const maxRollupDevices = 100

type rollupPoint struct {
	Start    time.Time `json:"start"`
	N        int       `json:"n"`
	Excluded int       `json:"excluded"`
	Avg      *float64  `json:"avg,omitempty"`
	Min      *float64  `json:"min,omitempty"`
	Max      *float64  `json:"max,omitempty"`
	Cou      *float64  `json:"cou,omitempty"`
}

type rollupSeries struct {
	MN     string        `json:"mn"`
	Factor string        `json:"factor"`
	Points []rollupPoint `json:"points"`
}

type rollupsResponse struct {
	Step   string          `json:"step"`
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	Series []*rollupSeries `json:"series"`
}

func (s *server) rollups(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "mn", "factor", "step", "from", "to")
	if err != nil {
		return err
	}
	st := s.st
	step := q.Get("step")
	if step == "" {
		step = model.RollupHour
	}
	// The range limits of the measurements' hour and day periods.
	p, ok := periods[step]
	if !ok || step != model.RollupHour && step != model.RollupDay {
		return paramError("step", "%q is not one of hour, day", step)
	}
	from, to, err := timeRange(q, time.Time{}, s.cfg.Now())
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = to.Add(-p.defRange)
	}
	if to.Sub(from) > p.maxRange {
		return &Error{Code: CodeRangeTooLarge, Field: "to",
			Message: fmt.Sprintf("to: range %s to %s is longer than the %s allowed for step=%s; split the request",
				fmtTime(from), fmtTime(to), fmtDays(p.maxRange), step)}
	}
	factor := q.Get("factor")
	// A code, or a code with -Zs for its converted concentrations.
	if code := strings.TrimSuffix(factor, "-Zs"); factor != "" && !validCode(code) {
		return paramError("factor", "%q is not a pollutant code (letters and digits, e.g. a21026, or a21026-Zs for the converted values)", factor)
	}
	v := q.Get("mn")
	if v == "" {
		return missingError("mn", "give mn (one device, or several separated by commas)")
	}
	var mns []string
	for mn := range strings.SplitSeq(v, ",") {
		if mn = strings.TrimSpace(mn); mn != "" && !slices.Contains(mns, mn) {
			mns = append(mns, mn)
		}
	}
	if len(mns) == 0 || len(mns) > maxRollupDevices {
		return paramError("mn", "give 1 to %d devices", maxRollupDevices)
	}
	// The caller's scope: loadRegistry cuts the registry to it.
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	for _, mn := range mns {
		if x.devices[mn] == nil {
			return notFound("mn", "no device with MN %q", mn)
		}
	}
	slices.Sort(mns)

	resp := rollupsResponse{Step: step, From: cnTime(from), To: cnTime(to), Series: []*rollupSeries{}}
	for _, mn := range mns {
		bySeries := map[string]*rollupSeries{}
		err := s.eachRollup(r.Context(), st, store.RollupQuery{MNs: []string{mn}, Factor: factor, Step: step, From: from, To: to}, func(ru *model.Rollup) {
			sr := bySeries[ru.Factor]
			if sr == nil {
				sr = &rollupSeries{MN: mn, Factor: ru.Factor, Points: []rollupPoint{}}
				bySeries[ru.Factor] = sr
			}
			sr.Points = append(sr.Points, rollupPoint{Start: cnTime(ru.Start), N: ru.N, Excluded: ru.Excluded,
				Avg: ru.Avg, Min: ru.Min, Max: ru.Max, Cou: ru.Cou})
		})
		if err != nil {
			return err
		}
		for _, f := range slices.Sorted(maps.Keys(bySeries)) {
			resp.Series = append(resp.Series, bySeries[f])
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// eachRollup calls fn for each roll-up of q (one device) in (Start,
// Factor) order, reading the store page by page. A page that ends inside
// a period is cut before that period, which the next page reads whole.
func (s *server) eachRollup(ctx context.Context, st rollupStore, q store.RollupQuery, fn func(*model.Rollup)) error {
	q.Limit = rollupPage
	for {
		rs, err := st.Rollups(ctx, q)
		if err != nil {
			return fmt.Errorf("cannot read roll-ups of %s: %w", strings.Join(q.MNs, ","), err)
		}
		if len(rs) < rollupPage {
			for i := range rs {
				fn(&rs[i])
			}
			return nil
		}
		last := rs[len(rs)-1].Start
		cut := len(rs)
		for cut > 0 && rs[cut-1].Start.Equal(last) {
			cut--
		}
		if cut == 0 {
			return fmt.Errorf("cannot page roll-ups of %s: more than %d factors at %s", strings.Join(q.MNs, ","), rollupPage, fmtTime(last))
		}
		for i := range rs[:cut] {
			fn(&rs[i])
		}
		q.From = last
	}
}
