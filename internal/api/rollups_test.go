package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func init() {
	routeSamples["GET /api/v1/rollups"] = "/api/v1/rollups?mn=" + mnPlant
	roleSamples["GET /api/v1/rollups"] = func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/rollups?mn=" + mnPlant + "&step=day&from=2026-03-01", owner: "X"}
	}
}

// Rollups lets the fixture store serve the route (no roll-ups kept).
func (f *fakeStore) Rollups(ctx context.Context, q store.RollupQuery) ([]model.Rollup, error) {
	return nil, f.enter(ctx, "rollups")
}

// rollupsStore is a store whose roll-ups come in pages of a fixed list,
// as the store contract orders them.
type rollupsStore struct {
	*fakeStore
	rows    []model.Rollup
	queries []store.RollupQuery
}

func (r *rollupsStore) Rollups(ctx context.Context, q store.RollupQuery) ([]model.Rollup, error) {
	r.queries = append(r.queries, q)
	var out []model.Rollup
	for _, ru := range r.rows {
		if ru.MN == q.MNs[0] && ru.Step == q.Step && !ru.Start.Before(q.From) && ru.Start.Before(q.To) && len(out) < q.Limit {
			out = append(out, ru)
		}
	}
	return out, nil
}

func decodeRollups(t *testing.T, body []byte) rollupsResponse {
	t.Helper()
	var resp rollupsResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("decode: %v: %s", err, body)
	}
	return resp
}

func fmtPoint(sr *rollupSeries, p rollupPoint) string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf("%.6g", *v)
	}
	return fmt.Sprintf("%s %s %s n=%d x=%d avg=%s min=%s max=%s cou=%s", sr.MN, sr.Factor, p.Start.Format("01-02T15:04-07:00"),
		p.N, p.Excluded, f(p.Avg), f(p.Min), f(p.Max), f(p.Cou))
}

// TestRollupsAPI rolls the fixture's minute data up in a real store and
// reads it through the endpoint: hand-computed hour and day values (the
// 10:20 minute is flagged M and left out), the factor filter, and the
// parameter errors.
func TestRollupsAPI(t *testing.T) {
	st := seed(t, storetest.Open(t, storetest.SQLite))
	if _, err := st.RollUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := testHandler(st)
	get := func(target string) []string {
		t.Helper()
		rec := do(t, h, "GET", target)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		resp := decodeRollups(t, rec.Body.Bytes())
		var out []string
		for _, sr := range resp.Series {
			for _, p := range sr.Points {
				out = append(out, fmtPoint(sr, p))
			}
		}
		return out
	}
	check := func(target string, want ...string) {
		t.Helper()
		if got := get(target); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", target, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
	// a21026: 28.0, 38.4, 29.0 counted (10:20 flagged M); Min 25.1, 33.0
	// and 29.0 (no Min: its Avg); Max 31.5, 45.0, 29.0.
	check("/api/v1/rollups?mn="+mnPlant+"&from=2026-03-15&to=2026-03-15",
		"88888880000001 a21002 03-15T10:00+08:00 n=2 x=1 avg=41.1 min=40.2 max=42 cou=-",
		// Converted: 44.0 and 46.5 (the flagged minute has none).
		"88888880000001 a21002-Zs 03-15T10:00+08:00 n=2 x=0 avg=45.25 min=44 max=46.5 cou=-",
		"88888880000001 a21026 03-15T10:00+08:00 n=3 x=1 avg=31.8 min=25.1 max=45 cou=-",
		// Converted: 30.0 and 41.2; the 10:20 minute's 0 is flagged M.
		"88888880000001 a21026-Zs 03-15T10:00+08:00 n=2 x=1 avg=35.6 min=30 max=41.2 cou=-",
		"88888880000001 a34013 03-15T10:00+08:00 n=2 x=0 avg=7.8 min=3.1 max=12.5 cou=-")
	check("/api/v1/rollups?mn="+mnPlant+"&factor=a21026-Zs&step=day&from=2026-03-01",
		"88888880000001 a21026-Zs 03-15T00:00+08:00 n=2 x=1 avg=35.6 min=30 max=41.2 cou=-")
	check("/api/v1/rollups?mn="+mnPlant+","+mnBearing+"&factor=a21026&step=day&from=2026-03-01",
		"88888880000001 a21026 03-15T00:00+08:00 n=3 x=1 avg=31.8 min=25.1 max=45 cou=-")
	// Before the data: nothing, but a well-formed answer.
	if got := get("/api/v1/rollups?mn=" + mnPlant + "&from=2026-03-01&to=2026-03-02"); len(got) != 0 {
		t.Errorf("rollups before the data: %v", got)
	}

	for _, c := range []struct {
		target, code, field string
	}{
		{"/api/v1/rollups", "missing_parameter", "mn"},
		{"/api/v1/rollups?mn=nope", "not_found", "mn"},
		{"/api/v1/rollups?mn=" + mnPlant + "&step=min", "invalid_parameter", "step"},
		{"/api/v1/rollups?mn=" + mnPlant + "&step=week", "invalid_parameter", "step"},
		{"/api/v1/rollups?mn=" + mnPlant + "&factor=a2-1", "invalid_parameter", "factor"},
		{"/api/v1/rollups?mn=" + mnPlant + "&factor=a21026-Zs-Zs", "invalid_parameter", "factor"},
		{"/api/v1/rollups?mn=" + mnPlant + "&from=2024-01-01&to=2026-01-01", "range_too_large", "to"},
		{"/api/v1/rollups?mn=" + mnPlant + "&period=hour", "invalid_parameter", "period"},
	} {
		rec := do(t, h, "GET", c.target)
		e := decodeError(t, rec)
		if e.Error.Code != c.code || e.Error.Field != c.field {
			t.Errorf("%s: %d %s/%s, want %s/%s", c.target, rec.Code, e.Error.Code, e.Error.Field, c.code, c.field)
		}
	}
}

// TestRollupsPaging reads a day of hours of two factors in pages of 3:
// a page ending inside an hour is cut before it, so every point comes
// once and in order.
func TestRollupsPaging(t *testing.T) {
	old := rollupPage
	rollupPage = 3
	defer func() { rollupPage = old }()
	fs := &rollupsStore{fakeStore: newFixtureStore()}
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, chinaTime)
	var want []string
	for h := range 5 {
		for _, f := range []string{"a21002", "a21026"} {
			avg := float64(h)
			fs.rows = append(fs.rows, model.Rollup{MN: mnPlant, Factor: f, Step: model.RollupHour, Start: day.Add(time.Duration(h) * time.Hour), N: 60, Avg: &avg})
		}
	}
	for _, f := range []string{"a21002", "a21026"} {
		for h := range 5 {
			want = append(want, fmt.Sprintf("%s %s %s n=60 x=0 avg=%d min=- max=- cou=-", mnPlant, f,
				day.Add(time.Duration(h)*time.Hour).In(chinaTime).Format("01-02T15:04-07:00"), h))
		}
	}
	h := testHandler(fs)
	target := "/api/v1/rollups?mn=" + mnPlant + "&from=" + strings.ReplaceAll(fmtTime(day), "+", "%2B") + "&to=" + strings.ReplaceAll(fmtTime(day.Add(24*time.Hour)), "+", "%2B")
	rec := do(t, h, "GET", target)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	resp := decodeRollups(t, rec.Body.Bytes())
	var got []string
	for _, sr := range resp.Series {
		for _, p := range sr.Points {
			got = append(got, fmtPoint(sr, p))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paged:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if len(fs.queries) < 4 {
		t.Fatalf("%d store queries, want paging in 3s", len(fs.queries))
	}
}
