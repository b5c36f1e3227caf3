package accountsvc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/workbook"

	"github.com/xuri/excelize/v2"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

var q3 = chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 3}

func testRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371581", Name: "临清市"}},
		Stations: []model.Station{
			{Code: "A", Name: "站A", County: "371502", Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "B", Name: "站B", County: "371502", Level: model.StationNational, Lat: 36.5, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "C", Name: "站C", County: "371581", Level: model.StationProvincial, Lat: 36.8, Lon: 115.7, CountyEval: true},
		},
	}
}

// Scheme LC-T: air indicators only, so that synthetic air data is the
// whole input.
func testConfig() store.AccountConfig {
	return store.AccountConfig{
		Schemes: []acc.Scheme{{Version: "LC-T", Title: "测试考核办法", From: time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone),
			Kinds: []chinatime.Kind{chinatime.Quarter, chinatime.Year}, Rules: []acc.Rule{
				{Indicator: acc.PM25, Method: acc.ByTarget, Points: 40, DeductPerUnit: 2},
				{Indicator: acc.GoodDays, Method: acc.ByTarget, Points: 20, DeductPerUnit: 1},
				{Indicator: acc.AirIndex, Method: acc.ByRank, Points: 20},
				{Indicator: acc.AirIndexChange, Method: acc.ByRank, Points: 20},
			}}},
		Formulas: acc.ShandongFormulas(), // none covers 2026: refused until the city's own is added
		Rules: []acc.TriggerRule{{ID: "last-index", Title: "综合指数排名末位", Predicate: acc.Bottom, Indicator: acc.AirIndex, N: 1,
			Kinds: []chinatime.Kind{chinatime.Quarter}, Step: acc.StepWarning, Line: "air-general"}},
	}
}

func setup(t *testing.T, be storetest.Backend) (*Service, store.Store) { return setupOn(t, be) }

// setupB is the benchmarks' setup, on SQLite.
func setupB(t testing.TB) (*Service, store.Store) { return setupOn(t, storetest.SQLite) }

func setupOn(t testing.TB, be storetest.Backend) (*Service, store.Store) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, be)
	reg := testRegistry()
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{2025, 2026} {
		for i, s := range reg.Stations {
			if _, err := st.PutAirHours(ctx, airimport.SyntheticYear(s.Code, i, y, uint64(y)), store.AirPut{Source: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := func() time.Time { return time.Date(2026, 10, 10, 9, 0, 0, 0, chinatime.Zone) }
	svc := &Service{St: st, Now: now, Issuer: "聊城市生态环境局",
		Cases: &casesvc.Service{St: st, DataDir: t.TempDir(), Now: now}}
	return svc, st
}

func putTargets(t *testing.T, st store.Store) { putTargetsB(t, st) }

func putTargetsB(t testing.TB, st store.Store) {
	t.Helper()
	var ts []acc.Target
	for _, c := range []string{"371502", "371581"} {
		ts = append(ts, acc.Target{County: c, Indicator: acc.PM25, Value: 40}, acc.Target{County: c, Indicator: acc.GoodDays, Value: 75})
	}
	if err := st.PutTargets(context.Background(), q3, ts); err != nil {
		t.Fatal(err)
	}
}

func TestWholePeriod(t *testing.T) { storetest.Each(t, testWholePeriod) }

func testWholePeriod(t *testing.T, be storetest.Backend) {
	svc, st := setup(t, be)
	ctx := context.Background()

	// A period not over yet: refused.
	early := &Service{St: st, Now: func() time.Time { return time.Date(2026, 9, 30, 23, 0, 0, 0, chinatime.Zone) }}
	if _, err := early.Assess(ctx, q3); !errors.Is(err, acc.ErrRefused) || !strings.Contains(err.Error(), "not over") {
		t.Fatalf("unfinished period: %v", err)
	}
	// Nothing configured: refused, nothing stored.
	if _, err := svc.Assess(ctx, q3); !errors.Is(err, acc.ErrRefused) {
		t.Fatalf("no scheme: %v", err)
	}
	if err := st.PutAccountConfig(ctx, testConfig()); err != nil {
		t.Fatal(err)
	}
	// A target missing for a county: refused, nothing stored.
	if err := st.PutTargets(ctx, q3, []acc.Target{{County: "371502", Indicator: acc.PM25, Value: 40}}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Assess(ctx, q3)
	var ae *acc.Error
	if !errors.As(err, &ae) || ae.What != "target" {
		t.Fatalf("missing target: %v", err)
	}
	if _, err := st.Assessment(ctx, q3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused assessment was stored: %v", err)
	}
	putTargets(t, st)

	a, err := svc.Assess(ctx, q3)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Counties) != 2 || a.Scheme != "LC-T" {
		t.Fatalf("assessment %+v", a)
	}
	for _, c := range a.Counties {
		it, _ := c.Item(acc.PM25)
		if it.Value <= 0 || !it.HasTarget {
			t.Fatalf("county %s PM2.5 item %+v", c.County, it)
		}
	}
	if got, err := st.Assessment(ctx, q3); err != nil || got.Counties[0].Total != a.Counties[0].Total {
		t.Fatalf("stored %+v %v", got, err)
	}

	if _, err := svc.Compensate(ctx, q3); !errors.As(err, &ae) || ae.What != "formula" {
		t.Fatalf("no formula version for 2026: %v", err)
	}
	if _, err := st.Settlement(ctx, q3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused settlement was stored: %v", err)
	}
	city := acc.ShandongFormulas()[len(acc.ShandongFormulas())-1]
	city.Version, city.From, city.To = "LC-2026", time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone), time.Time{}
	city.RoundYuan = 1
	if err := st.PutAccountConfig(ctx, store.AccountConfig{Formulas: []acc.Formula{city}}); err != nil {
		t.Fatal(err)
	}
	s, err := svc.Compensate(ctx, q3)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 2 || s.Formula == "" {
		t.Fatalf("settlement %+v", s)
	}
	var sum int64
	for _, l := range s.Lines {
		sum += l.Receivable - l.Payable
		if l.Receivable != 0 && l.Payable != 0 {
			t.Fatalf("line both receivable and payable: %+v", l)
		}
	}
	if sum != s.Receivable-s.Payable {
		t.Fatalf("lines sum %d, totals %d-%d", sum, s.Receivable, s.Payable)
	}

	// The last county on the index fires; its case opens once.
	last := a.Counties[len(a.Counties)-1].County
	for run := range 2 {
		fs, err := svc.Triggers(ctx, q3, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].County != lastOnIndex(a) || fs[0].CaseID == "" {
			t.Fatalf("run %d: firings %+v (last overall %s)", run, fs, last)
		}
		cs, err := st.Cases(ctx, store.CaseQuery{County: fs[0].County})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].ID != fs[0].CaseID || cs[0].Ref != fs[0].Case.ID {
			t.Fatalf("run %d: %d cases for the firing: %+v", run, len(cs), cs)
		}
		// Accepted by the bureau with the firing's 30-day report deadline.
		if cs[0].State != cases.StateAccepted || !cs[0].Due.Equal(fs[0].ReportDue) {
			t.Errorf("run %d: case state %s due %s, want accepted due %s", run, cs[0].State, cs[0].Due, fs[0].ReportDue)
		}
	}

	md, err := svc.Bulletin(ctx, q3, "聊环通〔2026〕9号", workbook.Chinese)
	if err != nil {
		t.Fatal(err)
	}
	en, err := svc.Bulletin(ctx, q3, "聊环通〔2026〕9号", workbook.English)
	if err != nil || !strings.Contains(en, "Circular on the environmental-quality assessment of the counties, 2026-Q3") || !strings.Contains(en, "Ecology and Environment Bureau") {
		t.Errorf("English bulletin: %v\n%s", err, en)
	}
	for _, want := range []string{"2026年第三季度", "东昌府区", "临清市", "聊环通〔2026〕9号"} {
		if !strings.Contains(md, want) {
			t.Errorf("bulletin lacks %q", want)
		}
	}

	var buf bytes.Buffer
	fs, _ := st.Firings(ctx, q3)
	if err := WriteXLSX(&buf, AssessmentTable(a).In(workbook.Chinese), SettlementTable(s).In(workbook.Chinese), FiringsTable(q3, fs).In(workbook.Chinese)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("考核")
	if err != nil || len(rows) != 4 || rows[2][1] != a.Counties[0].County {
		t.Fatalf("assessment sheet %v %v", rows, err)
	}
	if rows, _ := f.GetRows("触发"); len(rows) != 3 || rows[2][6] != fs[0].CaseID {
		t.Fatalf("triggers sheet %v", rows)
	}
}

func lastOnIndex(a acc.Assessment) string {
	worst, code := 0, ""
	for _, c := range a.Counties {
		it, _ := c.Item(acc.AirIndex)
		if it.Rank > worst {
			worst, code = it.Rank, c.County
		}
	}
	return code
}

// Overdue soil duties open one case each, once.
func TestSoilCases(t *testing.T) { storetest.Each(t, testSoilCases) }

func testSoilCases(t *testing.T, be storetest.Backend) {
	svc, st := setup(t, be)
	ctx := context.Background()
	u := acc.SoilUnit{ID: "SU-1", Enterprise: "91371500MA3C000001", County: "371502", Name: "某化工", Listed: time.Date(2024, 3, 1, 0, 0, 0, 0, chinatime.Zone), GroundwaterClass: 1}
	if err := st.PutSoilUnits(ctx, []acc.SoilUnit{u}); err != nil {
		t.Fatal(err)
	}
	rows, err := svc.SoilDuties(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, r := range rows {
		if r.Status == acc.StatusOverdue {
			overdue++
		}
	}
	if overdue == 0 {
		t.Fatal("no overdue duty at 2026-10-10: the test proves nothing")
	}
	opened, err := svc.SoilCases(ctx, 2026)
	if err != nil || len(opened) != overdue {
		t.Fatalf("opened %d cases for %d overdue duties: %v", len(opened), overdue, err)
	}
	if again, err := svc.SoilCases(ctx, 2026); err != nil || len(again) != 0 {
		t.Fatalf("second run opened %d: %v", len(again), err)
	}
	cs, err := st.Cases(ctx, store.CaseQuery{County: "371502", Line: "soil"})
	if err != nil || len(cs) != overdue || cs[0].Enterprise != u.Enterprise {
		t.Fatalf("stored soil cases %d, want %d: %v", len(cs), overdue, err)
	}
}

// Water indicators come from the stored water samples: section compliance
// per county (sections with data meeting their target class) and CWQI.
func TestWaterIndicators(t *testing.T) { storetest.Each(t, testWaterIndicators) }

func testWaterIndicators(t *testing.T, be storetest.Backend) {
	svc, st := setup(t, be)
	ctx := context.Background()
	sec := func(code, county string, target int) model.WaterSection {
		return model.WaterSection{Code: code, Name: code + "断面", Level: "provincial", Body: "river", River: "A", Target: target, County: county, Reach: "R"}
	}
	w := &model.WaterRegistry{
		Rivers:   []model.River{{Code: "A", Name: "甲河", Basin: "海河流域", Kind: "river"}},
		Sections: []model.WaterSection{sec("W1", "371502", 3), sec("W2", "371502", 3), sec("W3", "371581", 4)},
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		t.Fatal(err)
	}
	var samples []model.WaterSample
	five := func(point string, year int, ph, do, codmn, nh3n, tp string) {
		tm := time.Date(year, 8, 8, 10, 0, 0, 0, chinatime.Zone)
		for _, kv := range [][2]string{{"pH", ph}, {"DO", do}, {"CODMn", codmn}, {"NH3-N", nh3n}, {"TP", tp}} {
			samples = append(samples, model.WaterSample{Point: point, Time: tm, Item: kv[0], Value: kv[1], Source: "test"})
		}
	}
	for _, y := range []int{2025, 2026} {
		five("W1", y, "7.8", "7.0", "3.0", "0.4", "0.08") // Ⅱ: meets Ⅲ
		five("W2", y, "7.8", "6.1", "5.2", "1.6", "0.25") // Ⅴ by NH3-N: misses Ⅲ
		five("W3", y, "7.5", "5.5", "4.5", "0.8", "0.1")  // Ⅲ: meets Ⅳ
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	cfg := store.AccountConfig{Schemes: []acc.Scheme{{Version: "LC-W", Title: "水考核", From: time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone),
		Kinds: []chinatime.Kind{chinatime.Quarter}, Rules: []acc.Rule{
			{Indicator: acc.WaterCompliance, Method: acc.ByTarget, Points: 50, DeductPerUnit: 1},
			{Indicator: acc.CWQI, Method: acc.ByRank, Points: 50},
		}}}}
	if err := st.PutAccountConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.PutTargets(ctx, q3, []acc.Target{{County: "371502", Indicator: acc.WaterCompliance, Value: 80}, {County: "371581", Indicator: acc.WaterCompliance, Value: 80}}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.Assess(ctx, q3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"371502": 50, "371581": 100}
	for _, c := range a.Counties {
		it, _ := c.Item(acc.WaterCompliance)
		if it.Value != want[c.County] || it.Met != (want[c.County] >= 80) {
			t.Errorf("%s compliance %+v, want %v", c.County, it, want[c.County])
		}
		if cw, _ := c.Item(acc.CWQI); cw.Value <= 0 {
			t.Errorf("%s CWQI %+v", c.County, cw)
		}
	}
	// 371502's second section, with the worse water, gives the worse CWQI.
	x, _ := a.County("371502")
	y, _ := a.County("371581")
	if cx, _ := x.Item(acc.CWQI); func() bool { cy, _ := y.Item(acc.CWQI); return cx.Value <= cy.Value }() {
		t.Errorf("CWQI: 371502 %+v not above 371581 %+v", x.Items, y.Items)
	}
}

// A limited enterprise running above its share during an orange warning
// breaches once per run of samples and opens one case per breach, once.
func TestCheckWarning(t *testing.T) { storetest.Each(t, testCheckWarning) }

func testCheckWarning(t *testing.T, be storetest.Backend) {
	svc, st := setup(t, be)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, chinatime.Zone)
	if err := st.AddWarning(ctx, acc.Warning{ID: "W1", Level: acc.Orange, Start: t0, End: t0.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	limit := acc.Measure{Kind: acc.MeasureLimit, LoadPermille: 500}
	e := acc.ReductionEntry{Enterprise: "91371500MA3C000001", County: "371502", Grade: acc.GradeB, NormalKW: 1000, StopKW: 20,
		Measures: map[acc.WarnLevel]acc.Measure{acc.Yellow: {Kind: acc.MeasureNone}, acc.Orange: limit, acc.Red: {Kind: acc.MeasureStop}}}
	if err := st.PutReductionEntries(ctx, 2026, []acc.ReductionEntry{e}); err != nil {
		t.Fatal(err)
	}
	var el []acc.Sample
	for h, kw := range []float64{400, 600, 700, 450, 800, 300} { // two runs above 500 kW
		el = append(el, acc.Sample{At: t0.Add(time.Duration(h) * time.Hour), Value: kw})
	}
	el = append(el, acc.Sample{At: t0.Add(-time.Hour), Value: 990}) // before the warning: ignored
	series := map[string]Series{e.Enterprise: {Electricity: el}}
	bs, opened, err := svc.CheckWarning(ctx, "W1", 2026, series, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Samples != 2 || bs[0].Max != 700 || bs[1].Samples != 1 || bs[0].Allowed != 500 || len(opened) != 2 {
		t.Fatalf("breaches %+v, opened %d", bs, len(opened))
	}
	if _, again, err := svc.CheckWarning(ctx, "W1", 2026, series, true); err != nil || len(again) != 0 {
		t.Fatalf("second check opened %d: %v", len(again), err)
	}
	if _, _, err := svc.CheckWarning(ctx, "W9", 2026, series, false); !errors.Is(err, acc.ErrRefused) {
		t.Fatalf("unknown warning: %v", err)
	}
	if _, _, err := svc.CheckWarning(ctx, "W1", 2025, series, false); !errors.Is(err, acc.ErrRefused) {
		t.Fatalf("no list for the year: %v", err)
	}
}
