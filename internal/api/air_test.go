package api

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The fixture fake holds no air data: its air reads return nothing, so
// the route table's auth tests can reach every air endpoint.
func (f *fakeStore) AirDays(ctx context.Context, _ store.AirDayQuery, _ func(*model.AirDay) error) error {
	return f.enter(ctx, "air_days")
}

func (f *fakeStore) AirTargets(ctx context.Context, _ int) ([]model.AirTarget, error) {
	return nil, f.enter(ctx, "air_targets")
}

func init() {
	routeSamples["GET /api/v1/air/stations"] = "/api/v1/air/stations"
	routeSamples["GET /api/v1/air/hourly"] = "/api/v1/air/hourly?station=S1"
	routeSamples["GET /api/v1/air/daily"] = "/api/v1/air/daily?county=city"
	routeSamples["GET /api/v1/air/report"] = "/api/v1/air/report?year=2026"
	routeSamples["GET /api/v1/air/targets"] = "/api/v1/air/targets"
	routeSamples["GET /api/v1/air/rankings"] = "/api/v1/air/rankings?period=2026-03"
}

// airRegistry: the city is evaluated on S1 and S2 (东昌府区), 临清市 on S3.
func airRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371581", Name: "临清市"}},
		Stations: []model.Station{
			{Code: "S1", Name: "市监测站", County: "371502", Level: model.StationNational, Lat: 36.45, Lon: 115.98, CityEval: true, CountyEval: true},
			{Code: "S2", Name: "聊城大学", County: "371502", Level: model.StationNational, Lat: 36.43, Lon: 115.96, CityEval: true, CountyEval: true},
			{Code: "S3", Name: "临清市监测站", County: "371581", Level: model.StationProvincial, Lat: 36.84, Lon: 115.71, CountyEval: true},
		},
	}
}

// seedAir stores 2026-02-27 … 03-02 (across the 2026-03-01 change of
// rules) for the three stations, with four missing hours at S2 and one
// flagged PM2.5 hour at S1, and the city's and 临清市's 2026 targets.
func seedAir(t *testing.T, st store.Store) store.Store {
	t.Helper()
	ctx := context.Background()
	if err := st.ImportRegistry(ctx, airRegistry()); err != nil {
		t.Fatal(err)
	}
	d0 := time.Date(2026, 2, 27, 0, 0, 0, 0, chinaTime)
	var hours []model.AirHour
	for i, code := range []string{"S1", "S2", "S3"} {
		for h := 1; h <= 4*24; h++ {
			end := d0.Add(time.Duration(h) * time.Hour)
			if code == "S2" && h >= 28 && h < 32 {
				continue
			}
			v := [6]float64{float64(8 + i), float64(25 + h%5 + i), 0.6 + 0.1*float64(i), float64(60 + 5*(h%8)), float64(90 + 10*i + h%7), float64(55 + 12*i + 3*(h%6))}
			hr := model.AirHour{Station: code, End: end}
			for p := range v {
				hr.C[p] = int64(air.FromFloat(v[p]))
			}
			if code == "S1" && h == 40 {
				hr.C[air.PM25], hr.Flags[air.PM25] = model.AirNA, uint8(air.ReasonFlagged)
			}
			hours = append(hours, hr)
		}
	}
	if _, err := st.PutAirHours(ctx, hours, store.AirPut{Source: "test"}); err != nil {
		t.Fatal(err)
	}
	pm, good, heavy := 40.0, 80.0, 5
	if err := st.PutAirTargets(ctx, []model.AirTarget{
		{Year: 2026, Area: model.AirCity, PM25: &pm, GoodRatio: &good, HeavyDays: &heavy},
		{Year: 2026, Area: "371581", PM25: &pm},
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

var airHappyPaths = []struct{ name, target string }{
	{"air_stations", "/api/v1/air/stations"},
	{"air_stations_county", "/api/v1/air/stations?county=371581"},
	{"air_hourly", "/api/v1/air/hourly?station=S1&from=2026-02-28T21:00&to=2026-03-01T02:00"},
	{"air_daily_station", "/api/v1/air/daily?station=S2&from=2026-02-27&to=2026-03-02"},
	{"air_daily_city", "/api/v1/air/daily?county=city&from=2026-02-27&to=2026-03-02"},
	{"air_report_quarter", "/api/v1/air/report?year=2026&quarter=1"},
	{"air_report_county", "/api/v1/air/report?period=2026-03&county=371581"},
	{"air_targets", "/api/v1/air/targets?year=2026&as_of=2026-03-02"},
	{"air_rankings", "/api/v1/air/rankings?period=2026-03"},
}

func TestAir(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st store.Store) { testAir(t, seedAir(t, st)) })
}

func testAir(t *testing.T, st store.Store) {
	h := New(Config{Now: func() time.Time { return testNow }}, st, nil)
	for _, tc := range airHappyPaths {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			golden.Check(t, "testdata/"+tc.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}
	for _, tc := range []struct {
		target, code, field string
		status              int
	}{
		{"/api/v1/air/hourly", "missing_parameter", "station", 400},
		{"/api/v1/air/hourly?station=NOPE", "not_found", "station", 404},
		{"/api/v1/air/hourly?station=S1&from=2026-01-01&to=2026-03-01", "range_too_large", "to", 400},
		{"/api/v1/air/hourly?station=S1&rules=2020", "invalid_parameter", "rules", 400},
		{"/api/v1/air/daily", "missing_parameter", "station", 400},
		{"/api/v1/air/daily?station=S1&county=371502", "invalid_parameter", "county", 400},
		{"/api/v1/air/daily?county=379999", "not_found", "county", 404},
		{"/api/v1/air/daily?station=NOPE", "not_found", "station", 404},
		{"/api/v1/air/daily?county=city&from=2024-01-01&to=2026-01-01", "range_too_large", "to", 400},
		{"/api/v1/air/report", "missing_parameter", "year", 400},
		{"/api/v1/air/report?year=2026&county=379999", "not_found", "county", 404},
		{"/api/v1/air/report?year=2026&format=pdf", "invalid_parameter", "format", 400},
		{"/api/v1/air/report?year=2026&month=2&quarter=1", "invalid_parameter", "quarter", 400},
		{"/api/v1/air/report?year=2026&period=2026", "invalid_parameter", "period", 400},
		{"/api/v1/air/rankings", "missing_parameter", "period", 400},
		{"/api/v1/air/rankings?period=2026-13", "invalid_parameter", "period", 400},
		{"/api/v1/air/targets?as_of=2026-03-02T10:00", "invalid_parameter", "as_of", 400},
		{"/api/v1/air/targets?year=2027&as_of=2026-03-02", "invalid_parameter", "as_of", 400},
		{"/api/v1/air/stations?county=379999", "not_found", "county", 404},
	} {
		rec := do(t, h, "GET", tc.target)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.target, rec.Code, tc.status, rec.Body)
			continue
		}
		if e := decodeError(t, rec); e.Error.Code != tc.code || e.Error.Field != tc.field {
			t.Errorf("%s: error %+v, want %s on %s", tc.target, e.Error, tc.code, tc.field)
		}
	}
	t.Run("xlsx", func(t *testing.T) {
		rec := do(t, h, "GET", "/api/v1/air/report?year=2026&format=xlsx")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("评价表")
		if len(rows) != 2+1+2+3 || rows[1][0] != "类别" || rows[2][2] != "全市" {
			t.Fatalf("workbook rows %q", rows)
		}
		rec = do(t, h, "GET", "/api/v1/air/report?year=2026&format=xlsx&lang=en")
		en, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if rec.Code != 200 || err != nil {
			t.Fatalf("English: %d %v", rec.Code, err)
		}
		if rows, _ := en.GetRows("evaluation"); len(rows) != 2+1+2+3 || rows[1][0] != "kind" || rows[1][9] != "SO2 mean" {
			t.Fatalf("English workbook %v rows %q", en.GetSheetList(), rows)
		}
		if rec := do(t, h, "GET", "/api/v1/air/report?year=2026&format=xlsx&lang=fr"); rec.Code != 400 || decodeError(t, rec).Error.Field != "lang" {
			t.Fatalf("lang=fr: %d %s", rec.Code, rec.Body)
		}
	})
}
