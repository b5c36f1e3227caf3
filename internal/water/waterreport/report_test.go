package waterreport

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// scenario is a small city: river A with 5 sections (the proportion
// method), river B with 2 (the average method), a lake section and a
// drinking-water source, with laboratory results for October 2025 and
// October 2026.
func scenario(t *testing.T, be storetest.Backend) store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, be)
	reg := &model.Registry{Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371521", Name: "阳谷县"}}}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	sec := func(code, river, level, county string, target int, body string) model.WaterSection {
		return model.WaterSection{Code: code, Name: code + "断面", Level: level, Body: body, River: river, Target: target, County: county, Reach: "R"}
	}
	w := &model.WaterRegistry{
		Rivers: []model.River{{Code: "A", Name: "甲河", Basin: "海河流域", Kind: "river"}, {Code: "B", Name: "乙河", Basin: "海河流域", Kind: "river"}, {Code: "L", Name: "丙湖", Kind: "lake"}},
		Sections: []model.WaterSection{
			sec("A1", "A", "national", "371502", 4, "river"), sec("A2", "A", "provincial", "371502", 4, "river"),
			sec("A3", "A", "provincial", "371521", 3, "river"), sec("A4", "A", "provincial", "371521", 4, "river"),
			sec("A5", "A", "provincial", "371521", 4, "river"),
			sec("B1", "B", "provincial", "371502", 4, "river"), sec("B2", "B", "city", "371502", 4, "river"),
			sec("L1", "L", "provincial", "371502", 3, "lake"),
		},
		Sources: []model.DrinkingSource{{Code: "D1", Name: "水库水源地", County: "371502", Body: "reservoir", Items: []string{"SO4", "Fe", "Mn"}}},
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		t.Fatal(err)
	}
	var samples []model.WaterSample
	add := func(point string, year, day int, kv ...string) {
		tm := time.Date(year, 10, day, 10, 0, 0, 0, cst)
		for i := 0; i+1 < len(kv); i += 2 {
			v, dl := kv[i+1], false
			if v[0] == '<' {
				v, dl = v[1:], true
			}
			samples = append(samples, model.WaterSample{Point: point, Time: tm, Item: kv[i], Value: v, BelowDL: dl, Source: "test"})
		}
	}
	five := func(point string, year int, ph, do, codmn, nh3n, tp string) {
		add(point, year, 8, "pH", ph, "DO", do, "CODMn", codmn, "NH3-N", nh3n, "TP", tp)
	}
	// October 2026. A1: NH3-N 1.6 (Ⅴ, multiple 0.6), TP 0.25 (Ⅳ).
	five("A1", 2026, "7.8", "6.1", "5.2", "1.6", "0.25")
	// A2: two samples; NH3-N mean (0.4+0.6)/2 = 0.5 (Ⅱ), all Ⅱ otherwise.
	five("A2", 2026, "7.6", "7.0", "3.0", "0.4", "0.08")
	add("A2", 2026, 22, "NH3-N", "0.6")
	// A3: COD 4.1 CODMn is Ⅲ (≤6), target Ⅲ: meets.
	five("A3", 2026, "8.0", "6.5", "4.1", "0.9", "0.15")
	// A4: 劣Ⅴ by NH3-N 2.5 (multiple 1.5) and DO 1.5 (劣Ⅴ).
	five("A4", 2026, "7.2", "1.5", "9.0", "2.5", "0.35")
	// A5: no data in October 2026.
	five("B1", 2026, "7.5", "5.5", "4.5", "0.8", "<0.01")
	five("B2", 2026, "7.5", "5.0", "6.5", "1.2", "0.2")
	// L1: lake TP 0.06 is Ⅳ for lakes (Ⅲ ≤ 0.05), target Ⅲ: misses.
	five("L1", 2026, "8.2", "7.5", "3.5", "0.3", "0.06")
	add("D1", 2026, 8, "pH", "7.9", "DO", "8", "CODMn", "2.1", "NH3-N", "0.2", "TP", "0.02", "SO4", "260", "Fe", "0.1")
	// October 2025: worse at A1, better at A4.
	five("A1", 2025, "7.8", "4.1", "8.5", "2.2", "0.3")
	five("A2", 2025, "7.6", "7.0", "3.0", "0.5", "0.08")
	five("A3", 2025, "8.0", "6.5", "4.1", "0.9", "0.15")
	five("A4", 2025, "7.2", "4.5", "7.0", "1.3", "0.25")
	five("A5", 2025, "7.2", "6.5", "3.0", "0.3", "0.05")
	five("B1", 2025, "7.5", "5.5", "4.5", "0.8", "0.1")
	five("L1", 2025, "8.2", "7.5", "3.5", "0.3", "0.04")
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPeriods: the months whose monthly means make a period's mean, and
// the kinds the water evaluation accepts.
func TestPeriods(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last water.YearMonth
	}{
		{"2026-10", water.YearMonth{Year: 2026, Month: 10}, water.YearMonth{Year: 2026, Month: 10}},
		{"2026-01", water.YearMonth{Year: 2026, Month: 1}, water.YearMonth{Year: 2026, Month: 1}},
		{"2026Q3", water.YearMonth{Year: 2026, Month: 7}, water.YearMonth{Year: 2026, Month: 9}},
		{"2026-q4", water.YearMonth{Year: 2026, Month: 10}, water.YearMonth{Year: 2026, Month: 12}},
		{"2026", water.YearMonth{Year: 2026, Month: 1}, water.YearMonth{Year: 2026, Month: 12}},
	} {
		p, err := chinatime.ParsePeriod(tc.in, Kinds...)
		if err != nil {
			t.Fatal(err)
		}
		if f, l := months(p); f != tc.first || l != tc.last {
			t.Errorf("%s: months %v – %v, want %v – %v", tc.in, f, l, tc.first, tc.last)
		}
	}
	for _, bad := range []string{"2026H1", "2026-h2"} {
		if _, err := chinatime.ParsePeriod(bad, Kinds...); err == nil || !strings.Contains(err.Error(), "half-year") {
			t.Errorf("%q: %v, want a half-year refused", bad, err)
		}
	}
}

func TestReport(t *testing.T) { storetest.Each(t, testReport) }

func testReport(t *testing.T, be storetest.Backend) {
	st := scenario(t, be)
	p, _ := chinatime.ParsePeriod("2026-10")
	r, err := Build(context.Background(), st, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Section{}
	for _, s := range r.Sections {
		by[s.Code] = s
	}
	// Hand-checked against GB 3838-2002 table 1.
	check := func(code string, class int, meets bool) {
		t.Helper()
		if s := by[code]; s.Class != class || s.Meets != meets {
			t.Errorf("%s: class %d meets %v, want %d %v", code, s.Class, s.Meets, class, meets)
		}
	}
	check("A1", 5, false)
	check("A2", 2, true)
	check("A3", 3, true)
	check("A4", 6, false)
	check("A5", 0, false)
	check("L1", 4, false)
	if mp := by["A1"].MainPollutants; len(mp) != 2 || mp[0].Item != "NH3-N" || *mp[0].Multiple != 0.6 || mp[1].Item != "TP" {
		t.Errorf("A1 main pollutants = %+v", mp)
	}
	if v := by["A2"].Values; v[3].Item != "NH3-N" || v[3].Value != 0.5 {
		t.Errorf("A2 NH3-N = %+v, want the monthly mean 0.5", v)
	}
	// Assessed: A1-A5, B1, L1 (B2 is a city section): 6 evaluated; B1 is
	// Ⅲ (DO 5.5, NH3-N 0.8, TP below 0.01 counts 0.005), meeting are A2, A3, B1.
	sm := r.Summary
	if sm.Sections != 7 || sm.Evaluated != 6 || sm.ByClass != [6]int{0, 1, 2, 1, 1, 1} || sm.GoodShare != 50 || sm.Meeting != 3 || sm.WorseV != 16.7 {
		t.Errorf("summary = %+v", sm)
	}
	if by["A1"].Change == "" || by["A1"].BaseClass != 6 {
		t.Errorf("A1 vs 2025-10: %+v", by["A1"])
	}
	if r.Drinking[0].Pass || r.Drinking[0].Failed[0] != "SO4" || r.Drinking[0].Unmeasured[0] != "Mn" {
		t.Errorf("drinking = %+v", r.Drinking[0])
	}
	if r.Rivers[0].Method != "average" || r.Rivers[0].Sections != 4 {
		t.Errorf("river A with 4 sections with data: %+v", r.Rivers[0])
	}
	// The basin holds A's 4 and B's 2 sections with data: proportions.
	if len(r.Basins) != 1 || r.Basins[0].Method != "proportion" || r.Basins[0].Sections != 6 || r.Basins[0].GoodShare != 50 {
		t.Errorf("basins = %+v", r.Basins)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	golden.Check(t, "testdata/report_2026-10.json.golden", append(b, '\n'))
	testTextLanguage(t, r)

	var x bytes.Buffer
	if err := WriteXLSX(&x, workbook.Chinese, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("断面")
	if len(rows) != 2+len(r.Sections) || rows[2][0] != "A1" || rows[2][6] != "Ⅴ类" {
		t.Errorf("sections sheet: %v", rows[:3])
	}
	testWorkbookLanguage(t, r)
}

// testTextLanguage: the text report (ecowatch water report --lang) in
// each language matches its golden file and speaks that language only:
// no English word in the Chinese text (section codes such as A1, the
// registry's names and the index's symbol CWQI aside), no Han character
// in the English one but the registry's names. The goldens must also
// carry the words a reader looks for, so a regenerated golden cannot
// hide a language slip.
func testTextLanguage(t *testing.T, r *Report) {
	t.Helper()
	var names []string
	for _, s := range r.Sections {
		names = append(names, s.Name, s.RiverName, s.CountyName)
	}
	for _, rv := range append(append([]River{}, r.Rivers...), r.Basins...) {
		names = append(names, rv.Name, rv.Basin)
	}
	for _, d := range r.Drinking {
		names = append(names, d.Name, d.CountyName)
	}
	for _, tc := range []struct {
		lang   workbook.Lang
		golden string
		want   []string
	}{
		{workbook.Chinese, "testdata/report_2026-10.txt.golden", []string{"地表水水质报告", "劣Ⅴ类", "国控", "是否达标", "均值法", "断面比例法", "硫酸盐", "不达标", "锰"}},
		{workbook.English, "testdata/report_2026-10.en.txt.golden", []string{"Surface water report", "worse than Ⅴ", "national", "meets", "mean of sections", "share of sections", "fails"}},
	} {
		var text bytes.Buffer
		if err := WriteText(&text, tc.lang, r); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, tc.golden, text.Bytes())
		golden.CheckLanguage(t, string(tc.lang), text.String(), append(names, "CWQI")...)
		for _, w := range tc.want {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s text has no %q:\n%s", tc.lang, w, text.String())
			}
		}
	}
	// A note reaches the reader in the report's language.
	n := &Report{}
	n.note("中文说明", "an workbook.English note")
	for l, want := range map[workbook.Lang]string{workbook.Chinese: "注：中文说明", workbook.English: "note: an workbook.English note"} {
		var b bytes.Buffer
		if err := WriteText(&b, l, n); err != nil || !strings.Contains(b.String(), want) {
			t.Errorf("%s note: %v %q", l, err, b.String())
		}
	}
}

// testWorkbookLanguage: the Chinese workbook has no Latin word outside
// parentheses (a code or unit may follow a name there) and in the code
// column, the English one no Han character outside the registry's names
// (sections, rivers, basins, counties, sources).
func testWorkbookLanguage(t *testing.T, r *Report) {
	t.Helper()
	names := map[string]bool{}
	for _, s := range r.Sections {
		names[s.Name], names[s.RiverName], names[s.CountyName] = true, true, true
	}
	for _, rv := range append(append([]River{}, r.Rivers...), r.Basins...) {
		names[rv.Name], names[rv.Basin] = true, true
	}
	for _, c := range r.CWQI.Counties {
		names[c.Name] = true
	}
	for _, d := range r.Drinking {
		names[d.Name], names[d.CountyName] = true, true
	}
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	paren := regexp.MustCompile(`[（(][^）)]*[）)]`)
	han := regexp.MustCompile(`\p{Han}`)
	for _, l := range []workbook.Lang{workbook.Chinese, workbook.English} {
		var x bytes.Buffer
		if err := WriteXLSX(&x, l, r); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.GetSheetList()) != 5 {
			t.Errorf("%s: sheets %v", l, f.GetSheetList())
		}
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			if len(rows) < 3 {
				t.Errorf("%s %s: %d rows", l, sh, len(rows))
				continue
			}
			codeCol := -1
			for i, h := range rows[1] {
				if h == "code" || strings.HasSuffix(h, "编码") {
					codeCol = i
				}
			}
			for i, row := range append([][]string{{sh}}, rows...) {
				for j, c := range row {
					if names[c] || (i > 2 && j == codeCol) {
						continue
					}
					if l == workbook.Chinese && latin.MatchString(paren.ReplaceAllString(c, "")) {
						t.Errorf("Chinese sheet %s row %d: %q", sh, i, c)
					}
					if l == workbook.English && han.MatchString(c) {
						t.Errorf("English sheet %s row %d: %q", sh, i, c)
					}
				}
			}
		}
	}
}

// compare=prev takes the month before (no data here): no base, no change;
// an unknown compare is refused.
func TestReportComparePrev(t *testing.T) { storetest.Each(t, testReportComparePrev) }

func testReportComparePrev(t *testing.T, be storetest.Backend) {
	st := scenario(t, be)
	p, _ := chinatime.ParsePeriod("2026-10")
	r, err := Build(context.Background(), st, p, Options{Compare: "prev"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Base != "2026-09" || r.Summary.BaseGood != nil || r.Summary.Change != "" || r.CWQI.ChangeRate != nil {
		t.Fatalf("base %s, summary %+v, cwqi change %v", r.Base, r.Summary, r.CWQI.ChangeRate)
	}
	for _, s := range r.Sections {
		if s.BaseClass != 0 || s.Change != "" || s.ChangeRate != nil {
			t.Fatalf("%s compared with an empty month: %+v", s.Code, s)
		}
	}
	if _, err := Build(context.Background(), st, p, Options{Compare: "mom"}); err == nil {
		t.Fatal("compare mom accepted")
	}
}
