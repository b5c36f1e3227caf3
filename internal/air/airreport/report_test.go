package airreport

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// testRegistry: two counties; the city is evaluated on A and B; county
// 371502 on A and B, county 371581 on C; D is a county-level station
// that evaluates nothing.
func testRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371581", Name: "临清市"}},
		Stations: []model.Station{
			{Code: "A", Name: "站A", County: "371502", Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "B", Name: "站B", County: "371502", Level: model.StationNational, Lat: 36.5, Lon: 115.9, CityEval: true, CountyEval: true},
			{Code: "C", Name: "站C", County: "371581", Level: model.StationProvincial, Lat: 36.8, Lon: 115.7, CountyEval: true},
			{Code: "D", Name: "站D", County: "371581", Level: model.StationCounty, Lat: 36.7, Lon: 115.8},
		},
	}
}

func seedYears(t testing.TB, st store.Store, years ...int) {
	t.Helper()
	ctx := context.Background()
	reg := testRegistry()
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for _, y := range years {
		for i, s := range reg.Stations {
			if _, err := st.PutAirHours(ctx, airimport.SyntheticYear(s.Code, i, y, 42), store.AirPut{Source: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestAnnualReportGolden(t *testing.T) { storetest.Run(t, testAnnualReportGolden) }

func testAnnualReportGolden(t *testing.T, st store.Store) {
	seedYears(t, st, 2024, 2025)
	rep, err := Build(context.Background(), st, Options{Period: chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report_2025.json.golden", append(js, '\n'))

	// What the golden must show, asserted so a regenerated golden cannot
	// hide a regression.
	if rep.City == nil || rep.City.Stations != 2 || len(rep.Counties) != 2 || len(rep.Stations) != 4 {
		t.Fatalf("shape: city %+v, %d counties, %d stations", rep.City, len(rep.Counties), len(rep.Stations))
	}
	if rep.City.Previous == nil || rep.City.Change == nil || rep.City.Change.Index == nil {
		t.Errorf("year-over-year missing with 2024 stored: %+v %+v", rep.City.Previous, rep.City.Change)
	}
	if rep.Standard != "GB 3095-2012" {
		t.Errorf("standard %q for 2025", rep.Standard)
	}
	// Four missing days (one a quarter) and ~1% missing hours per station.
	a := rep.Stations[0].Hours["PM2.5"]
	if a.Expected != 365*24 || a.Missing < 4*24 || a.Missing > 4*24+200 || a.Excluded["flagged"] == 0 {
		t.Errorf("station A PM2.5 hours %+v", a)
	}
	if rep.Excluded["missing_hour"] == 0 || rep.Excluded["flagged"] == 0 {
		t.Errorf("report exclusions %v", rep.Excluded)
	}
	// The city is the mean of A and B hour by hour: its PM2.5 mean lies
	// between theirs.
	pa, pb, pc := rep.Stations[0].Pollutants[air.PM25].Mean, rep.Stations[1].Pollutants[air.PM25].Mean, rep.City.Pollutants[air.PM25].Mean
	if pc < min(pa, pb)-1000 || pc > max(pa, pb)+1000 {
		t.Errorf("city PM2.5 %v not between A %v and B %v", pc, pa, pb)
	}
	// Ranks are a permutation with ties allowed: each rank ≤ count.
	for _, e := range rep.Stations {
		if e.Rank.Index < 1 || e.Rank.Index > 4 {
			t.Errorf("station %s index rank %d", e.Code, e.Rank.Index)
		}
	}

	// The county report has the county and its stations only.
	cr, err := Build(context.Background(), st, Options{Period: chinatime.Period{Kind: chinatime.Quarter, Year: 2025, N: 1}, County: "371581", NoPrevious: true})
	if err != nil {
		t.Fatal(err)
	}
	if cr.City != nil || len(cr.Counties) != 1 || cr.Counties[0].Stations != 1 || len(cr.Stations) != 2 || cr.Counties[0].Previous != nil {
		t.Fatalf("county report: %+v", cr)
	}
	// County 371581 is evaluated on C alone: the same statistics.
	if c, s := cr.Counties[0].Pollutants[air.PM25], cr.Stations[0].Pollutants[air.PM25]; c.Mean != s.Mean || c.Percentile != s.Percentile {
		t.Errorf("single-station county %+v differs from its station %+v", c, s)
	}
	if _, err := Build(context.Background(), st, Options{Period: chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, County: "999999"}); err == nil {
		t.Error("unknown county accepted")
	}

	testReportLanguage(t, rep)

	// The workbook opens and carries the table.
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, workbook.Chinese, rep); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("评价表")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2+1+2+4 || rows[1][0] != "类别" || rows[2][0] != "全市" || rows[8][1] != "D" {
		t.Fatalf("workbook rows %d: %q", len(rows), rows)
	}
	if ex, _ := f.GetRows("剔除说明"); len(ex) != 2+4*6 { // title, header, 4 stations × 6 pollutants
		t.Errorf("exclusions sheet has %d rows", len(ex))
	}
}

// constHours returns days of a station from start with every hour at the
// given concentrations (SO2, NO2, CO, O3, PM10, PM2.5 in µg/m³, CO mg/m³).
func constHours(station string, start time.Time, days int, c [6]float64) []model.AirHour {
	var out []model.AirHour
	for h := 1; h <= days*24; h++ {
		hr := model.AirHour{Station: station, End: start.Add(time.Duration(h) * time.Hour)}
		for p, v := range c {
			hr.C[p] = int64(air.FromFloat(v))
		}
		out = append(out, hr)
	}
	return out
}

// TestTargetsHandChecked: the city (station A) has 8 clean days (PM2.5 50,
// AQI 69: good) and 2 smog days (PM2.5 200: IAQI 250, heavily polluted)
// from 2025-01-01 to 01-10; 355 days remain.
//
//	PM2.5: the annual mean rounds to ≤ 35 (odd) iff the total < 35.5 × 365
//	= 12,957.5; so far 8×50 + 2×200 = 800; the rest may total < 12,157.5,
//	i.e. average at most 12,157.499/355 = 34.246 µg/m³ (floored to the
//	thousandth). Mean so far 80: at risk.
//	Good days: 8 of 10; 85.0% of 365 needs 311 good days (310 gives
//	84.9%): 303 more good days of 355, so 52 may be non-good.
//	Heavy days: 2 of at most 3: one left.
func TestTargetsHandChecked(t *testing.T) { storetest.Run(t, testTargetsHandChecked) }

func testTargetsHandChecked(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.ImportRegistry(ctx, testRegistry()); err != nil {
		t.Fatal(err)
	}
	d0 := time.Date(2025, 1, 1, 0, 0, 0, 0, air.CST)
	clean := [6]float64{5, 20, 0.5, 60, 60, 50}
	smog := [6]float64{5, 20, 0.5, 60, 60, 200}
	hours := constHours("A", d0, 8, clean)
	hours = append(hours, constHours("A", d0.AddDate(0, 0, 8), 2, smog)...)
	if _, err := st.PutAirHours(ctx, hours, store.AirPut{}); err != nil {
		t.Fatal(err)
	}
	pm, good, idx := 35.0, 85.0, 9.0
	heavy := 3
	if err := st.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: CityCode, PM25: &pm, GoodRatio: &good, HeavyDays: &heavy, Index: &idx}}); err != nil {
		t.Fatal(err)
	}
	rep, err := Targets(ctx, st, 2025, time.Date(2025, 1, 10, 15, 0, 0, 0, air.CST), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Elapsed != 10 || rep.Remaining != 355 || rep.AsOf != "2025-01-10" {
		t.Fatalf("days: %+v", rep)
	}
	city := rep.Areas[0]
	if city.Area != CityCode || city.Days != 10 {
		t.Fatalf("city %+v", city)
	}
	want := PM25Status{Target: 35, Mean: 80000, Days: 10, Budget: 34246, Feasible: true, Status: StatusAtRisk}
	if *city.PM25 != want {
		t.Errorf("PM2.5 %+v\nwant %+v", *city.PM25, want)
	}
	wantGood := GoodStatus{Target: 85, Ratio: 80, GoodDays: 8, MaxBadDays: 52, Feasible: true, Status: StatusAtRisk}
	if *city.GoodRatio != wantGood {
		t.Errorf("good days %+v\nwant %+v", *city.GoodRatio, wantGood)
	}
	if h := *city.HeavyDays; h != (HeavyStatus{Target: 3, Days: 2, Left: 1, Status: StatusOnTrack}) {
		t.Errorf("heavy days %+v", h)
	}
	// Ten days of all six pollutants give an index; its status follows it.
	if ix := city.Index; ix == nil || ix.Value == nil || (*ix.Value <= 9) != (ix.Status == StatusOnTrack) {
		t.Errorf("index %+v", city.Index)
	}
	// Counties without targets are listed without statuses.
	for _, a := range rep.Areas[1:] {
		if a.PM25 != nil || a.GoodRatio != nil {
			t.Errorf("area %s has statuses without targets", a.Area)
		}
	}

	// At the year's end with 355 more smog days the target is missed;
	// with a target of 20 it cannot be met any more from 01-10.
	pm = 20
	if err := st.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: CityCode, PM25: &pm}}); err != nil {
		t.Fatal(err)
	}
	rep, _ = Targets(ctx, st, 2025, time.Date(2025, 1, 10, 0, 0, 0, 0, air.CST), 0)
	// Even target: the total may reach 20.5 × 365 = 7,482.5, so the rest
	// may average (7,482.5 − 800)/355 = 18.8239 → 18.823.
	if p := rep.Areas[0].PM25; !p.Feasible || p.Budget != 18823 {
		t.Errorf("target 20: %+v", p)
	}
	pm = 2
	_ = st.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: CityCode, PM25: &pm}})
	rep, _ = Targets(ctx, st, 2025, time.Date(2025, 1, 10, 0, 0, 0, 0, air.CST), 0)
	// Even target: a mean of exactly 2.5 rounds (half to even) to 2, so the
	// total may reach 2.5 × 365 = 912.5: (912.5 − 800)/355 = 0.3169 → 0.316.
	if p := rep.Areas[0].PM25; !p.Feasible || p.Budget != 316 {
		t.Errorf("target 2: %+v", p)
	}
	pm = 1
	_ = st.PutAirTargets(ctx, []model.AirTarget{{Year: 2025, Area: CityCode, PM25: &pm}})
	rep, _ = Targets(ctx, st, 2025, time.Date(2025, 1, 10, 0, 0, 0, 0, air.CST), 0)
	if p := rep.Areas[0].PM25; p.Feasible || p.Status != StatusCannotBeMet || p.Budget >= 0 {
		t.Errorf("target 1: %+v", p)
	}
	rep, _ = Targets(ctx, st, 2025, time.Date(2026, 2, 1, 0, 0, 0, 0, air.CST), 0)
	if p := rep.Areas[0].PM25; rep.Remaining != 0 || p.Status != StatusMissed {
		t.Errorf("after the year: remaining %d, %+v", rep.Remaining, p)
	}
}

// Each workbook's sheet names and header rows speak one language: no
// English word in the Chinese one (pollutant symbols aside, which the
// Chinese headers spell out), no Han character in the English one.
func TestWorkbookLanguage(t *testing.T) {
	asciiWord := regexp.MustCompile(`[A-Za-z]{2,}`)
	hasHan := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return true
			}
		}
		return false
	}
	for _, l := range []workbook.Lang{workbook.Chinese, workbook.English} {
		var buf bytes.Buffer
		if err := WriteXLSX(&buf, l, &Report{}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			const hr = 1 // each sheet has a title row above its header
			if len(rows) <= hr {
				t.Fatalf("%s: sheet %q rows %q", l, sh, rows)
			}
			for _, c := range append([]string{sh}, rows[hr]...) {
				if l == workbook.Chinese && (asciiWord.MatchString(c) || !hasHan(c)) {
					t.Errorf("Chinese sheet %q: %q is not Chinese", sh, c)
				}
				if l == workbook.English && (hasHan(c) || c == "") {
					t.Errorf("English sheet %q: %q is not English", sh, c)
				}
			}
		}
	}
	if _, err := workbook.ParseLang("fr"); err == nil {
		t.Error("ParseLang accepted fr")
	}
}

// keepSymbols may stand in a Chinese report: the pollutants' symbols,
// units and the standards' numbers, which Chinese documents write so.
var keepSymbols = []string{"PM2.5", "PM10", "SO2", "NO2", "O3", "CO", "µg/m³", "mg/m³", "GB 3095", "HJ 633", "HJ 663"}

// testReportLanguage: the table (ecowatch air report --lang) and the
// whole workbook, every cell, speak one language: no English word in the
// Chinese ones (but keepSymbols and station codes), no Han character in
// the English ones but the registry's names of counties and stations.
// The tables match their goldens, and carry the words a reader looks for
// so that a regenerated golden cannot hide a slip.
func testReportLanguage(t *testing.T, rep *Report) {
	t.Helper()
	names := append([]string{}, keepSymbols...)
	for _, e := range append(append([]Entity{}, rep.Counties...), rep.Stations...) {
		names = append(names, e.Name, e.Code, e.County)
	}
	for _, tc := range []struct {
		lang   workbook.Lang
		golden string
		want   []string
	}{
		{workbook.Chinese, "testdata/table_2025.golden", []string{"环境空气质量评价 2025年", "按日期适用", "全市", "区县", "点位", "优良比例%", "数据标记无效", "细颗粒物"}},
		{workbook.English, "testdata/table_2025.en.golden", []string{"Air quality evaluation 2025", "HJ 633 by date", "whole city", "county", "station", "good%", "flagged invalid", "missing hour"}},
	} {
		var b bytes.Buffer
		if err := WriteTable(&b, tc.lang, rep); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, tc.golden, b.Bytes())
		golden.CheckLanguage(t, string(tc.lang), b.String(), names...)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s table has no %q", tc.lang, w)
			}
		}
		var x bytes.Buffer
		if err := WriteXLSX(&x, tc.lang, rep); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatal(err)
		}
		var cells strings.Builder
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			cells.WriteString(sh + "\n")
			for _, r := range rows {
				cells.WriteString(strings.Join(r, "\t") + "\n")
			}
		}
		golden.CheckLanguage(t, string(tc.lang), cells.String(), names...)
		for _, w := range map[workbook.Lang][]string{workbook.Chinese: {"否", "数据标记无效", "二氧化硫", "细颗粒物"}, workbook.English: {"whole city", "flagged invalid", "PM2.5"}}[tc.lang] {
			if !strings.Contains(cells.String(), w) {
				t.Errorf("%s workbook has no %q", tc.lang, w)
			}
		}
	}
	// The targets' table, with every status word.
	tr := &TargetReport{Year: 2025, AsOf: "2025-06-02", Elapsed: 153, Remaining: 212}
	for i, st := range []string{StatusMet, StatusMissed, StatusOnTrack, StatusAtRisk, StatusCannotBeMet, StatusAbove} {
		v := 1.2
		tr.Areas = append(tr.Areas, TargetStatus{Area: CityCode, Name: "全市",
			PM25:      &PM25Status{Target: 35, Mean: Conc(30000), Days: 150, Budget: Conc(-1), Feasible: i%2 == 0, Status: st},
			GoodRatio: &GoodStatus{Target: 80, Ratio: 75, GoodDays: 110, Feasible: i%2 == 1, MaxBadDays: 3, Status: st},
			HeavyDays: &HeavyStatus{Target: 3, Days: 1, Left: 2, Status: st},
			Index:     &IndexStatus{Target: 4, Value: &v, Status: st}})
	}
	tr.Areas = append(tr.Areas, TargetStatus{Area: "371502", Name: "东昌府区"})
	for _, l := range []workbook.Lang{workbook.Chinese, workbook.English} {
		var b bytes.Buffer
		if err := WriteTargets(&b, l, tr); err != nil {
			t.Fatal(err)
		}
		golden.CheckLanguage(t, string(l), b.String(), append(names, "371502")...)
		for _, st := range []string{StatusMet, StatusMissed, StatusOnTrack, StatusAtRisk, StatusCannotBeMet, StatusAbove} {
			if !strings.Contains(b.String(), StatusName(l, st)) {
				t.Errorf("%s targets: no %q", l, StatusName(l, st))
			}
		}
	}
}

// TestYearOnYearBothBases: station A has PM2.5 70 µg/m³ every hour of
// 2025-03 and 20 of 2026-03 (other pollutants low). 2025-03 by date is
// under HJ 633-2012 (IAQI 50 + 50·35/40 = 93.75 → 94: good, 31/31), on the
// same basis under HJ 633-2026 (50 + 50·35/25 = 120: not good, 0/31).
// 2026-03: IAQI 29, 31/31 good. Change: 0.0 points by date, +100.0 on the
// same basis.
func TestYearOnYearBothBases(t *testing.T) { storetest.Run(t, testYearOnYearBothBases) }

func testYearOnYearBothBases(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.ImportRegistry(ctx, testRegistry()); err != nil {
		t.Fatal(err)
	}
	base := constHours("A", time.Date(2025, 3, 1, 0, 0, 0, 0, air.CST), 31, [6]float64{5, 10, 0.5, 50, 40, 70})
	cur := constHours("A", time.Date(2026, 3, 1, 0, 0, 0, 0, air.CST), 31, [6]float64{5, 10, 0.5, 50, 40, 20})
	for _, hs := range [][]model.AirHour{base, cur} {
		if _, err := st.PutAirHours(ctx, hs, store.AirPut{Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Build(ctx, st, Options{Period: chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var a *Entity
	for i := range rep.Stations {
		if rep.Stations[i].Code == "A" {
			a = &rep.Stations[i]
		}
	}
	for _, e := range []*Entity{a, rep.City} {
		if e == nil || e.Previous == nil || e.PreviousSameBasis == nil || e.Change == nil || e.ChangeSameBasis == nil ||
			e.Change.GoodRatio == nil || e.ChangeSameBasis.GoodRatio == nil {
			t.Fatalf("year-on-year missing: %+v", e)
		}
		if e.GoodRatio != 100 || e.Previous.GoodRatio != 100 || e.PreviousSameBasis.GoodRatio != 0 ||
			*e.Change.GoodRatio != 0 || *e.ChangeSameBasis.GoodRatio != 100 {
			t.Errorf("%s: now %v, by date %v (%v pp), same basis %v (%v pp)", e.Code, e.GoodRatio,
				e.Previous.GoodRatio, *e.Change.GoodRatio, e.PreviousSameBasis.GoodRatio, *e.ChangeSameBasis.GoodRatio)
		}
	}
	var b strings.Builder
	if err := WriteTable(&b, workbook.English, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "good y/y pp same basis") {
		t.Errorf("table without the same-basis column:\n%s", b.String())
	}
}
