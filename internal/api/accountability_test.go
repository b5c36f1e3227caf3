package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The fixture fake holds no accountability data: reads answer empty (an
// assessment with no county), so the auth tests reach every route.
func (f *fakeStore) PutAccountConfig(context.Context, store.AccountConfig) error { return nil }
func (f *fakeStore) AccountConfig(context.Context) (store.AccountConfig, error) {
	return store.AccountConfig{}, nil
}
func (f *fakeStore) PutTargets(context.Context, chinatime.Period, []acc.Target) error { return nil }
func (f *fakeStore) Targets(context.Context, chinatime.Period) ([]acc.Target, error)  { return nil, nil }
func (f *fakeStore) PutCountyValues(context.Context, chinatime.Period, []acc.CountyValues) error {
	return nil
}
func (f *fakeStore) CountyValues(context.Context, chinatime.Period) ([]acc.CountyValues, error) {
	return nil, nil
}
func (f *fakeStore) SaveAssessment(context.Context, acc.Assessment, time.Time) error { return nil }
func (f *fakeStore) Assessment(_ context.Context, p chinatime.Period) (acc.Assessment, error) {
	return acc.Assessment{Period: p}, nil
}
func (f *fakeStore) SaveSettlement(context.Context, acc.Settlement, time.Time) error { return nil }
func (f *fakeStore) Settlement(_ context.Context, p chinatime.Period) (acc.Settlement, error) {
	return acc.Settlement{Period: p}, nil
}
func (f *fakeStore) RecordFirings(context.Context, chinatime.Period, []acc.Firing) ([]store.StoredFiring, error) {
	return nil, nil
}
func (f *fakeStore) Firings(context.Context, chinatime.Period) ([]store.StoredFiring, error) {
	return nil, nil
}
func (f *fakeStore) SetFiringCase(context.Context, string, chinatime.Period, string, string) error {
	return nil
}
func (f *fakeStore) AddWarning(context.Context, acc.Warning) error   { return nil }
func (f *fakeStore) Warnings(context.Context) ([]acc.Warning, error) { return nil, nil }
func (f *fakeStore) PutReductionEntries(context.Context, int, []acc.ReductionEntry) error {
	return nil
}
func (f *fakeStore) ReductionEntries(context.Context, int) ([]acc.ReductionEntry, error) {
	return nil, nil
}
func (f *fakeStore) PutSoilUnits(context.Context, []acc.SoilUnit) error { return nil }
func (f *fakeStore) SoilUnits(context.Context) ([]acc.SoilUnit, error)  { return nil, nil }
func (f *fakeStore) PutDuties(context.Context, []acc.Duty) error        { return nil }
func (f *fakeStore) Duties(context.Context, int) ([]acc.Duty, error)    { return nil, nil }
func (f *fakeStore) PutPlots(context.Context, []acc.Plot) error         { return nil }
func (f *fakeStore) Plots(context.Context) ([]acc.Plot, error)          { return nil, nil }
func (f *fakeStore) PutReviews(context.Context, []acc.Review) error     { return nil }
func (f *fakeStore) Reviews(context.Context) ([]acc.Review, error)      { return nil, nil }
func (f *fakeStore) PutProjects(context.Context, []acc.Project) error   { return nil }
func (f *fakeStore) Projects(context.Context) ([]acc.Project, error)    { return nil, nil }

// countyZ is the fixture registry's third county (no users).
const countyZ = "371521"

func init() {
	// The auth matrix GETs each sample (POST routes share their GET's path).
	for _, k := range []string{"assessment", "compensation", "triggers", "bulletin"} {
		routeSamples["GET /api/v1/accountability/"+k] = "/api/v1/accountability/" + k + "?period=2025Q3"
		routeSamples["POST /api/v1/accountability/"+k] = "/api/v1/accountability/" + k + "?period=2025Q3"
	}
	routeSamples["GET /api/v1/accountability/warnings"] = "/api/v1/accountability/warnings"
	routeSamples["POST /api/v1/accountability/warnings"] = "/api/v1/accountability/warnings"
	// GET on a POST-only path: 405 is not what the matrix wants, so the
	// sample is the warnings list (the route's scope is checked by the
	// role matrix and TestAccountabilityAPI).
	routeSamples["POST /api/v1/accountability/warnings/{id}/check"] = "/api/v1/accountability/warnings"
	routeSamples["GET /api/v1/accountability/soil"] = "/api/v1/accountability/soil?year=2026"
	routeSamples["POST /api/v1/accountability/soil"] = "/api/v1/accountability/soil?year=2026"
	routeSamples["GET /api/v1/accountability/projects"] = "/api/v1/accountability/projects"
	routeSamples["GET /api/v1/accountability/reduction"] = "/api/v1/accountability/reduction?year=2026"
	routeSamples["GET /api/v1/accountability/soil/plots"] = "/api/v1/accountability/soil/plots"
	routeSamples["GET /api/v1/accountability/soil/reviews"] = "/api/v1/accountability/soil/reviews"
	routeSamples["GET /api/v1/accountability/formulas"] = "/api/v1/accountability/formulas"
	routeSamples["POST /api/v1/accountability/formulas"] = "/api/v1/accountability/formulas"
}

// seedAccount adds air stations in both counties of the role fixture, two
// years of synthetic hours, a scheme, a formula, a rule and targets.
func seedAccount(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	reg := &model.Registry{Stations: []model.Station{
		{Code: "AX1", Name: "站X1", County: countyX, Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
		{Code: "AY1", Name: "站Y1", County: countyY, Level: model.StationProvincial, Lat: 36.8, Lon: 115.7, CountyEval: true},
		{Code: "AZ1", Name: "站Z1", County: countyZ, Level: model.StationProvincial, Lat: 36.6, Lon: 115.6, CountyEval: true},
	}}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{2024, 2025} {
		for i, s := range reg.Stations {
			if _, err := st.PutAirHours(ctx, airimport.SyntheticYear(s.Code, i, y, uint64(y)), store.AirPut{Source: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q3 := chinatime.Period{Kind: chinatime.Quarter, Year: 2025, N: 3}
	f := acc.ShandongFormulas()[len(acc.ShandongFormulas())-1]
	f.Version, f.From, f.To, f.RoundYuan = "LC-2025", time.Date(2025, 1, 1, 0, 0, 0, 0, chinatime.Zone), time.Time{}, 1
	cfg := store.AccountConfig{
		Schemes: []acc.Scheme{{Version: "LC-T", Title: "测试考核办法", From: time.Date(2025, 1, 1, 0, 0, 0, 0, chinatime.Zone),
			Kinds: []chinatime.Kind{chinatime.Quarter}, Rules: []acc.Rule{
				{Indicator: acc.PM25, Method: acc.ByTarget, Points: 50, DeductPerUnit: 2},
				{Indicator: acc.AirIndex, Method: acc.ByRank, Points: 50},
			}}},
		Formulas: []acc.Formula{f},
		Rules: []acc.TriggerRule{{ID: "last-index", Title: "综合指数排名末位", Predicate: acc.Bottom, Indicator: acc.AirIndex, N: 1,
			Kinds: []chinatime.Kind{chinatime.Quarter}, Step: acc.StepWarning, Line: "air-general"}},
	}
	if err := st.PutAccountConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.PutTargets(ctx, q3, []acc.Target{{County: countyX, Indicator: acc.PM25, Value: 35}, {County: countyY, Indicator: acc.PM25, Value: 35}, {County: countyZ, Indicator: acc.PM25, Value: 35}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutProjects(ctx, []acc.Project{
		{ID: "GP-X", County: countyX, Kind: acc.VOCsSubstitute, Name: "X替代", Target: 100, Progress: 50},
		{ID: "GP-Y", County: countyY, Kind: acc.UltraLow, Name: "Y改造", Target: 1, Progress: 1},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAccountabilityAPI(t *testing.T) { storetest.Run(t, testAccountabilityAPI) }

// testAccountabilityAPI runs a period through the API on a store seeded
// with the role fixture and synthetic air data; the city's answers are
// goldens (the same on both stores).
func testAccountabilityAPI(t *testing.T, st store.Store) {
	st = seed(t, st)
	seedAccount(t, st)
	fx := newRoleFixture(t, st)
	get := func(role, path string, want int) *bytes.Buffer {
		t.Helper()
		rec := fx.do(t, role, roleRequest{method: "GET", path: path})
		if rec.Code != want {
			t.Fatalf("GET %s as %s: %d, want %d: %s", path, role, rec.Code, want, rec.Body)
		}
		return rec.Body
	}
	post := func(role, path string, body []byte, want int) *bytes.Buffer {
		t.Helper()
		rec := fx.do(t, role, roleRequest{method: "POST", path: path, body: body})
		if rec.Code != want {
			t.Fatalf("POST %s as %s: %d, want %d: %s", path, role, rec.Code, want, rec.Body)
		}
		return rec.Body
	}
	const a = "/api/v1/accountability/assessment?period=2025Q3"
	get("city", a, 404) // not computed yet
	post("countyX", a, nil, 403)
	post("city", a, nil, 201)
	get("enterpriseA", a, 403)
	cityA := get("city", a, 200).Bytes()
	golden.Check(t, "testdata/accountability_assessment.golden", cityA)
	var all acc.Assessment
	if err := json.Unmarshal(cityA, &all); err != nil || len(all.Counties) != 3 {
		t.Fatalf("city assessment: %+v %v", all, err)
	}
	for _, role := range []string{"countyX", "countyY"} {
		var got acc.Assessment
		if err := json.Unmarshal(get(role, a, 200).Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"countyX": countyX, "countyY": countyY}[role]
		if len(got.Counties) != 1 || got.Counties[0].County != want {
			t.Fatalf("%s sees %+v", role, got.Counties)
		}
		full, _ := all.County(want)
		if got.Counties[0].Rank != full.Rank {
			t.Errorf("%s: rank %d, the assessment's is %d", role, got.Counties[0].Rank, full.Rank)
		}
	}
	rec := fx.do(t, "city", roleRequest{method: "GET", path: a + "&format=xlsx"})
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %s", rec.Code, rec.Header())
	}
	if f, err := excelize.OpenReader(rec.Body); err != nil {
		t.Fatal(err)
	} else if rows, _ := f.GetRows("考核"); len(rows) != 5 || rows[1][0] != "排名" || rows[1][3] != "总分" {
		t.Fatalf("xlsx rows %q", rows)
	}
	rec = fx.do(t, "city", roleRequest{method: "GET", path: a + "&format=xlsx&lang=en"})
	if f, err := excelize.OpenReader(rec.Body); rec.Code != 200 || err != nil {
		t.Fatalf("English xlsx: %d %v", rec.Code, err)
	} else if rows, _ := f.GetRows("assessment"); len(rows) != 5 || rows[1][0] != "rank" || rows[1][3] != "total" {
		t.Fatalf("English xlsx sheets %v rows %q", f.GetSheetList(), rows)
	}
	if rec := fx.do(t, "city", roleRequest{method: "GET", path: a + "&format=xlsx&lang=fr"}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "lang") {
		t.Fatalf("lang=fr: %d %s", rec.Code, rec.Body)
	}

	post("city", "/api/v1/accountability/compensation?period=2025Q3", nil, 201)
	golden.Check(t, "testdata/accountability_compensation.golden", get("city", "/api/v1/accountability/compensation?period=2025Q3", 200).Bytes())
	var sx acc.Settlement
	if err := json.Unmarshal(get("countyX", "/api/v1/accountability/compensation?period=2025Q3", 200).Bytes(), &sx); err != nil ||
		len(sx.Lines) != 1 || sx.Lines[0].County != countyX || sx.Receivable != sx.Lines[0].Receivable {
		t.Fatalf("county X settlement %+v %v", sx, err)
	}

	const tr = "/api/v1/accountability/triggers?period=2025Q3"
	for range 2 {
		post("city", tr+"&open_cases=true", nil, 200)
	}
	cityF := get("city", tr, 200).Bytes()
	golden.Check(t, "testdata/accountability_triggers.golden", cityF)
	var fs []store.StoredFiring
	if err := json.Unmarshal(cityF, &fs); err != nil || len(fs) != 1 || fs[0].CaseID == "" {
		t.Fatalf("firings %+v %v", fs, err)
	}
	// Both languages of the reason: reason as before, reason_en added.
	if fs[0].ReasonEN != "air quality index ranked 3, among the last 1" || fs[0].Reason != "综合指数排名第3,列后1位" {
		t.Fatalf("reasons %q / %q", fs[0].Reason, fs[0].ReasonEN)
	}
	cs, err := st.Cases(context.Background(), store.CaseQuery{County: fs[0].County, Source: "assignment"})
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases of the firing after two runs: %d %v", len(cs), err)
	}
	other := countyX
	if fs[0].County == countyX {
		other = countyY
	}
	owner := map[string]string{countyX: "countyX", countyY: "countyY"}
	if err := json.Unmarshal(get(owner[other], tr, 200).Bytes(), &fs); err != nil || len(fs) != 0 {
		t.Fatalf("the other county sees firings %+v", fs)
	}
	if md := get("countyY", "/api/v1/accountability/bulletin?period=2025Q3", 200).String(); !strings.Contains(md, "2025年第三季度") {
		t.Fatalf("bulletin %s", md)
	}

	const wp = "/api/v1/accountability/warnings"
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, chinatime.Zone)
	w1 := jsonBody(acc.Warning{ID: "W1", Level: acc.Orange, Start: t0, End: t0.Add(48 * time.Hour)})
	post("countyX", wp, w1, 403)
	post("city", wp, w1, 201)
	body := post("city", wp, jsonBody(acc.Warning{ID: "W2", Level: acc.Red, Start: t0.Add(time.Hour), End: t0.Add(72 * time.Hour)}), 422)
	if !strings.Contains(body.String(), `"refused"`) || !strings.Contains(body.String(), "overlaps W1") {
		t.Fatalf("overlap answer %s", body)
	}
	// The reduction list of 2026 with one limited enterprise; its power
	// above half the normal load for two hours breaches once.
	lim50 := acc.Measure{Kind: acc.MeasureLimit, LoadPermille: 500}
	if err := st.PutReductionEntries(context.Background(), 2026, []acc.ReductionEntry{{Enterprise: usccPlant, County: countyX, Grade: acc.GradeB, NormalKW: 1000, StopKW: 20,
		Measures: map[acc.WarnLevel]acc.Measure{acc.Yellow: {Kind: acc.MeasureNone}, acc.Orange: lim50, acc.Red: {Kind: acc.MeasureStop}}}}); err != nil {
		t.Fatal(err)
	}
	samples := jsonBody(map[string]any{"series": map[string]any{usccPlant: map[string]any{"electricity": []acc.Sample{
		{At: t0.Add(time.Hour), Value: 400}, {At: t0.Add(2 * time.Hour), Value: 700}, {At: t0.Add(3 * time.Hour), Value: 650}, {At: t0.Add(4 * time.Hour), Value: 300}}}}})
	const chk = wp + "/W1/check?year=2026&open_cases=true"
	post("countyX", chk, samples, 403)
	for i := range 2 {
		var res struct {
			Breaches []acc.Breach `json:"breaches"`
			Opened   []string     `json:"opened"`
		}
		if err := json.Unmarshal(post("city", chk, samples, 200).Bytes(), &res); err != nil || len(res.Breaches) != 1 || res.Breaches[0].Samples != 2 || len(res.Opened) != 1-i {
			t.Fatalf("check run %d: %+v %v", i, res, err)
		}
	}
	post("city", wp+"/W9/check?year=2026", samples, 422)
	var ws []acc.Warning
	if err := json.Unmarshal(get("countyY", wp, 200).Bytes(), &ws); err != nil || len(ws) != 1 {
		t.Fatalf("warnings after refusal %+v %v", ws, err)
	}

	var ps []struct {
		ID     string `json:"id"`
		County string `json:"county"`
	}
	if err := json.Unmarshal(get("countyX", "/api/v1/accountability/projects", 200).Bytes(), &ps); err != nil || len(ps) != 1 || ps[0].ID != "GP-X" {
		t.Fatalf("county X projects %+v %v", ps, err)
	}
	get("city", "/api/v1/accountability/soil", 400)

	// Compensation formula versions: every reader lists them; only the
	// city adds one, and a bad one is refused naming its field.
	const fp = "/api/v1/accountability/formulas"
	var vs []acc.Formula
	if err := json.Unmarshal(get("countyX", fp, 200).Bytes(), &vs); err != nil || len(vs) != 1 || vs[0].Version != "LC-2025" {
		t.Fatalf("formulas %+v %v", vs, err)
	}
	get("enterpriseA", fp, 403)
	nf := `{"version":"LC-2026","title":"测试","title_en":"Test measures","from":"2026-01-01T00:00:00+08:00","kinds":["quarter"],` +
		`"weights":[{"pollutant":"pm25","permille":600},{"pollutant":"pm10","permille":150},{"pollutant":"so2","permille":150},{"pollutant":"no2","permille":100}],` +
		`"yuan_per_ug":800000,"yuan_per_point":200000,"factors":{},"default_factor":1000,"round_yuan":1,"source":"测试通知"}`
	post("countyX", fp, []byte(nf), 403)
	post("enterpriseA", fp, []byte(nf), 403)
	var refusal struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	badW := strings.Replace(nf, `"permille":600`, `"permille":500`, 1)
	if err := json.Unmarshal(post("city", fp, []byte(badW), 422).Bytes(), &refusal); err != nil || refusal.Error.Field != "weights" {
		t.Fatalf("bad weights: field %q %v", refusal.Error.Field, err)
	}
	badEN := strings.Replace(nf, `"title_en":"Test measures"`, `"title_en":"测试"`, 1)
	if err := json.Unmarshal(post("city", fp, []byte(badEN), 422).Bytes(), &refusal); err != nil || refusal.Error.Field != "title_en" {
		t.Fatalf("Chinese English title: field %q %v", refusal.Error.Field, err)
	}
	if err := json.Unmarshal(post("city", fp, []byte(nf), 201).Bytes(), &vs); err != nil || len(vs) != 2 || vs[0].To.IsZero() || vs[1].Source != "测试通知" || vs[1].TitleEN != "Test measures" {
		t.Fatalf("after the add: %+v %v", fs, err)
	}

	// Registers: a county sees its own enterprises' entries, plots and
	// the reviews of its plots.
	ctx := context.Background()
	lim := acc.Measure{Kind: acc.MeasureLimit, LoadPermille: 500}
	entry := func(ent, county string) acc.ReductionEntry {
		return acc.ReductionEntry{Enterprise: ent, County: county, Grade: acc.GradeB, NormalKW: 100, StopKW: 5,
			Measures: map[acc.WarnLevel]acc.Measure{acc.Yellow: {Kind: acc.MeasureNone}, acc.Orange: lim, acc.Red: {Kind: acc.MeasureStop}}}
	}
	if err := st.PutReductionEntries(ctx, 2025, []acc.ReductionEntry{entry(usccPlant, countyX), entry(usccBear, countyY)}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPlots(ctx, []acc.Plot{{ID: "PX", Name: "X地块", County: countyX}, {ID: "PY", Name: "Y地块", County: countyY}}); err != nil {
		t.Fatal(err)
	}
	sub := time.Date(2025, 5, 1, 0, 0, 0, 0, chinatime.Zone)
	if err := st.PutReviews(ctx, []acc.Review{{ID: "RX", Plot: "PX", Stage: acc.StageIdentification, Submitted: sub, Outcome: acc.OutcomePending},
		{ID: "RY", Plot: "PY", Stage: acc.StageIdentification, Submitted: sub, Outcome: acc.OutcomePending}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/api/v1/accountability/reduction?year=2025": usccPlant,
		"/api/v1/accountability/soil/plots":          `"PX"`,
		"/api/v1/accountability/soil/reviews":        `"RX"`,
	} {
		city := get("city", path, 200).String()
		x := get("countyX", path, 200).String()
		if !strings.Contains(x, want) || strings.Contains(x, usccBear) || strings.Contains(x, `"PY"`) || strings.Contains(x, `"RY"`) || len(city) <= len(x) {
			t.Errorf("%s as county X: %s (city: %s)", path, x, city)
		}
	}
	get("city", "/api/v1/accountability/assessment?period=2026Q9", 400)
	// 2026Q1 is not over at testNow: refused, nothing stored.
	if body := post("city", "/api/v1/accountability/assessment?period=2026Q1", nil, 422).String(); !strings.Contains(body, "not over") {
		t.Fatalf("unfinished period: %s", body)
	}
	get("city", "/api/v1/accountability/assessment?period=2026Q1", 404)
}
