package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The fixture fake holds a one-section water network whose section F1
// exceeds on NH3-N from 10:00 to 13:00 on 2026-03-15 (China time), so the
// route table's auth tests reach every water endpoint with a 200.
func fakeWaterRegistry() *model.WaterRegistry {
	return &model.WaterRegistry{
		Rivers:   []model.River{{Code: "FR", Name: "测试河", Kind: "river"}},
		Nodes:    []model.WaterNode{{ID: "FA", Kind: "source"}, {ID: "FB", Kind: "mouth"}},
		Reaches:  []model.Reach{{ID: "FR1", River: "FR", From: "FA", To: "FB", LengthM: 10000, VelocityMS: 0.5, FlowM3S: 5}},
		Sections: []model.WaterSection{{Code: "F1", Name: "测试断面", Level: "provincial", Body: "river", River: "FR", Target: 3, Reach: "FR1", OffsetM: 9000}},
		Sources:  []model.DrinkingSource{},
		Outfalls: []model.WaterOutfall{{Code: "FO1", Reach: "FR1", OffsetM: 1000}},
	}
}

func (f *fakeStore) WaterRegistry(ctx context.Context) (*model.WaterRegistry, error) {
	return fakeWaterRegistry(), f.enter(ctx, "water_registry")
}

func (f *fakeStore) WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error) {
	if err := f.enter(ctx, "water_samples"); err != nil {
		return nil, err
	}
	from, to := q.From, q.To
	if from.IsZero() || to.Sub(from) > 40*24*time.Hour {
		return nil, nil
	}
	var out []model.WaterSample
	peak := time.Date(2026, 3, 15, 10, 0, 0, 0, chinaTime)
	for t := from.Truncate(time.Hour); t.Before(to); t = t.Add(time.Hour) {
		v := "0.3"
		if !t.Before(peak) && t.Before(peak.Add(4*time.Hour)) {
			v = "2.5"
		}
		out = append(out, model.WaterSample{Point: "F1", Item: "NH3-N", Time: t.UTC(), Value: v, Source: "hj212"})
	}
	return out, nil
}

func init() {
	routeSamples["GET /api/v1/water/sections"] = "/api/v1/water/sections"
	routeSamples["GET /api/v1/water/classes"] = "/api/v1/water/classes?period=2026-03"
	routeSamples["GET /api/v1/water/report"] = "/api/v1/water/report?period=2026-03"
	routeSamples["GET /api/v1/water/cwqi"] = "/api/v1/water/cwqi?period=2026Q1"
	routeSamples["GET /api/v1/water/drinking"] = "/api/v1/water/drinking?period=2026"
	routeSamples["GET /api/v1/water/trace"] = "/api/v1/water/trace?section=F1&time=2026-03-15T10:00&factor=NH3-N"
}

// seedWater: river A (two reaches, 0.5 m/s) with sections WA1 (manual)
// and WA2 (automatic, near the mouth), lake L with WL1, a reservoir
// source WD1, and two outfalls with online monitors; outfall WO2's
// enterprise discharges an NH3-N pulse on 2026-03-15 01:00-04:00 that
// reaches WA2 about 5.6 h later. Laboratory results for February 2025
// and 2026.
func seedWater(t *testing.T, st store.Store) store.Store {
	t.Helper()
	ctx := context.Background()
	max := 25.0
	reg := &model.Registry{Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371581", Name: "临清市"}}}
	for i, c := range []string{"371502", "371581"} {
		e := fmt.Sprintf("91371500MA3C0000%02d", i)
		reg.Enterprises = append(reg.Enterprises, model.Enterprise{USCC: e, Name: "企业" + strconv.Itoa(i+1), County: c, Industry: "2221"})
		reg.Outlets = append(reg.Outlets, model.Outlet{ID: e + "-DW001", Enterprise: e, Name: "废水总排口", Kind: model.OutletWater,
			Limits: []model.Limit{{Pollutant: "w21003", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodHour, Max: &max}}})
		reg.Devices = append(reg.Devices, model.Device{MN: fmt.Sprintf("WMN%d", i+1), Password: "123456", Protocol: "2017", Outlet: e + "-DW001", ST: "32"})
	}
	reg.Devices = append(reg.Devices, model.Device{MN: "WST21", Password: "123456", Protocol: "2017", ST: "21"})
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	w := &model.WaterRegistry{
		Rivers: []model.River{{Code: "A", Name: "甲河", Basin: "海河流域", Kind: "river"}, {Code: "L", Name: "乙湖", Kind: "lake"}},
		Nodes:  []model.WaterNode{{ID: "N0", Kind: "source"}, {ID: "N1", Kind: "junction"}, {ID: "N2", Kind: "mouth"}},
		Reaches: []model.Reach{
			{ID: "R1", River: "A", From: "N0", To: "N1", LengthM: 10000, VelocityMS: 0.5, FlowM3S: 8},
			{ID: "R2", River: "A", From: "N1", To: "N2", LengthM: 12000, VelocityMS: 0.5, FlowM3S: 8},
		},
		Sections: []model.WaterSection{
			{Code: "WA1", Name: "甲河交界", Level: "provincial", Body: "river", River: "A", Target: 4, County: "371502", Reach: "R1", OffsetM: 9000},
			{Code: "WA2", Name: "甲河出境", Level: "national", Body: "river", River: "A", Target: 3, County: "371581", Automatic: true, MN: "WST21", Reach: "R2", OffsetM: 11000},
			{Code: "WL1", Name: "乙湖湖心", Level: "city", Body: "lake", River: "L", Target: 3, County: "371502", Reach: "R2", OffsetM: 100},
		},
		Sources: []model.DrinkingSource{{Code: "WD1", Name: "甲水库水源地", County: "371502", Body: "reservoir", Items: []string{"SO4", "Fe", "Mn"}}},
		Outfalls: []model.WaterOutfall{
			{Code: "WO1", Name: "企业1入河排污口", Reach: "R1", OffsetM: 2000, Outlet: reg.Outlets[0].ID},
			{Code: "WO2", Name: "企业2入河排污口", Reach: "R2", OffsetM: 1000, Outlet: reg.Outlets[1].ID},
		},
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		t.Fatal(err)
	}
	var samples []model.WaterSample
	lab := func(point string, y int, kv ...string) {
		tm := time.Date(y, 2, 10, 9, 0, 0, 0, chinaTime).UTC()
		for i := 0; i+1 < len(kv); i += 2 {
			samples = append(samples, model.WaterSample{Point: point, Time: tm, Item: kv[i], Value: kv[i+1], Source: "file:lab.csv"})
		}
	}
	lab("WA1", 2026, "pH", "7.6", "DO", "5.6", "CODMn", "6.4", "NH3-N", "1.2", "TP", "0.18")
	lab("WA2", 2026, "pH", "7.9", "DO", "6.8", "CODMn", "4.2", "NH3-N", "0.6", "TP", "0.12")
	lab("WL1", 2026, "pH", "8.3", "DO", "7.9", "CODMn", "3.1", "NH3-N", "0.2", "TP", "0.07")
	lab("WD1", 2026, "pH", "7.8", "DO", "8.2", "CODMn", "2.0", "NH3-N", "0.1", "TP", "0.02", "SO4", "180", "Fe", "0.12")
	lab("WA1", 2025, "pH", "7.6", "DO", "4.6", "CODMn", "8.4", "NH3-N", "1.7", "TP", "0.28")
	lab("WA2", 2025, "pH", "7.9", "DO", "6.8", "CODMn", "4.2", "NH3-N", "0.9", "TP", "0.12")
	lab("WD1", 2025, "pH", "7.8", "DO", "8.2", "CODMn", "2.0", "NH3-N", "0.1", "TP", "0.02", "SO4", "260", "Fe", "0.12")
	// Hourly NH3-N at WA2 and at both outfalls, 2026-03-12 00:00 to
	// 03-15 12:00 (China time).
	h0 := time.Date(2026, 3, 12, 0, 0, 0, 0, chinaTime)
	pulse := time.Date(2026, 3, 15, 1, 0, 0, 0, chinaTime)
	var ups []model.Upload
	for h := 0; h < 84; h++ {
		tm := h0.Add(time.Duration(h) * time.Hour)
		c2, q2 := 8.0+float64(h%3), 40.0
		if !tm.Before(pulse) && tm.Before(pulse.Add(4*time.Hour)) {
			c2, q2 = 150, 80
		}
		c1 := 9.0 + float64(h%5)*0.5
		for i, cq := range [][2]float64{{c1, 45}, {c2, q2}} {
			ups = append(ups, model.Upload{MN: fmt.Sprintf("WMN%d", i+1), CN: "2061", DataTime: tm.UTC(), Values: []model.Value{
				{Factor: "w21003", Field: "Avg", Value: strconv.FormatFloat(cq[0], 'f', 2, 64)},
				{Factor: "w21003", Field: "Flag", Value: "N"},
				{Factor: "w00000", Field: "Avg", Value: strconv.FormatFloat(cq[1], 'f', 1, 64)},
			}})
		}
		// At WA2: 0.35 plus what the outfalls add over 8 m³/s, WO2's
		// 5.6 h later (rounded to 6), WO1's 11.7 h later (12).
		v := 0.35 + 0.02*float64(h%4)
		if up := tm.Add(-6 * time.Hour); !up.Before(pulse) && up.Before(pulse.Add(4*time.Hour)) {
			v += 150 * 0.080 / 8
		}
		samples = append(samples, model.WaterSample{Point: "WA2", Time: tm.UTC(), Item: "NH3-N", Value: strconv.FormatFloat(v, 'f', 3, 64), Source: "hj212"})
	}
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	return st
}

var waterHappyPaths = []struct{ name, target string }{
	{"water_sections", "/api/v1/water/sections"},
	{"water_sections_county", "/api/v1/water/sections?county=371581&river=A"},
	{"water_classes", "/api/v1/water/classes?period=2026-02"},
	{"water_report", "/api/v1/water/report?period=2026Q1"},
	{"water_cwqi", "/api/v1/water/cwqi?period=2026-02"},
	{"water_drinking", "/api/v1/water/drinking?period=2026-02"},
	{"water_trace", "/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&factor=NH3-N"},
}

func TestWater(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st store.Store) { testWater(t, seedWater(t, st)) })
}

func testWater(t *testing.T, st store.Store) {
	h := New(Config{Now: func() time.Time { return testNow }}, st, nil)
	for _, tc := range waterHappyPaths {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			golden.Check(t, "testdata/"+tc.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}
	// The pulsing outfall ranks first.
	rec := do(t, h, "GET", "/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&factor=NH3-N")
	if !bytes.Contains(rec.Body.Bytes(), []byte(`"candidates":[{"rank":1,"outfall":"WO2"`)) {
		t.Errorf("WO2 is not first: %s", rec.Body)
	}
	for _, tc := range []struct {
		target, code, field string
		status              int
	}{
		{"/api/v1/water/classes", "missing_parameter", "period", 400},
		{"/api/v1/water/classes?period=2026-13", "invalid_parameter", "period", 400},
		{"/api/v1/water/report?period=2026&compare=mom", "invalid_parameter", "compare", 400},
		{"/api/v1/water/report?period=2026&format=pdf", "invalid_parameter", "format", 400},
		{"/api/v1/water/cwqi?period=2026&x=1", "invalid_parameter", "x", 400},
		{"/api/v1/water/sections?county=379999", "not_found", "county", 404},
		{"/api/v1/water/sections?river=Z", "not_found", "river", 404},
		{"/api/v1/water/trace?time=2026-03-15T07:00", "missing_parameter", "section", 400},
		{"/api/v1/water/trace?section=WA2", "missing_parameter", "time", 400},
		{"/api/v1/water/trace?section=NOPE&time=2026-03-15T07:00", "not_found", "section", 404},
		{"/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&factor=XX", "invalid_parameter", "factor", 400},
		{"/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&horizon=1000h", "invalid_parameter", "horizon", 400},
		{"/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&trigger=up", "invalid_parameter", "trigger", 400},
		{"/api/v1/water/trace?section=WA1&time=2026-03-15T07:00&factor=NH3-N", "not_found", "time", 404},
		{"/api/v1/water/trace?section=WA2&time=2026-03-15T07:00&factor=pH", "invalid_parameter", "limit", 400},
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
		rec := do(t, h, "GET", "/api/v1/water/report?period=2026-02&format=xlsx")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("断面")
		if len(rows) != 5 || rows[1][0] != "断面编码" || rows[2][0] != "WA1" || rows[2][6] != "Ⅳ类" {
			t.Fatalf("workbook rows %q", rows)
		}
		rec = do(t, h, "GET", "/api/v1/water/report?period=2026-02&format=xlsx&lang=en")
		en, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if rec.Code != 200 || err != nil {
			t.Fatalf("English: %d %v", rec.Code, err)
		}
		if rows, _ := en.GetRows("sections"); len(rows) != 5 || rows[1][0] != "code" || rows[2][6] != "Ⅳ" {
			t.Fatalf("English workbook %v rows %q", en.GetSheetList(), rows)
		}
		if rec := do(t, h, "GET", "/api/v1/water/report?period=2026-02&format=xlsx&lang=fr"); rec.Code != 400 || decodeError(t, rec).Error.Field != "lang" {
			t.Fatalf("lang=fr: %d %s", rec.Code, rec.Body)
		}
	})
}
