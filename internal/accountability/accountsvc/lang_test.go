package accountsvc

import (
	"bytes"
	"regexp"
	"slices"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// asciiWord is a run of two or more Latin letters: a header in Chinese may
// carry a unit symbol or a digit, never an English word.
var asciiWord = regexp.MustCompile(`[A-Za-z]{2,}`)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func allTables() []Table {
	var rules []acc.Rule
	for _, i := range []acc.Indicator{acc.PM25, acc.GoodDays, acc.AirIndex, acc.AirIndexChange, acc.WaterCompliance, acc.CWQI, acc.TotalQuantity, acc.Governance} {
		rules = append(rules, acc.Rule{Indicator: i})
	}
	return []Table{
		AssessmentTable(acc.Assessment{Rules: rules}), SettlementTable(acc.Settlement{}), FiringsTable(chinatime.Period{}, nil),
		WarningsTable(nil), DutiesTable(2026, nil), ProjectsTable(nil), BreachesTable("W1", nil),
		ReductionTable(2026, nil), PlotsTable(nil), ReviewsTable(nil),
	}
}

// headerRows writes the tables in one language and reads back each sheet's
// name and header row, as a reader of the workbook sees them.
func headerRows(t *testing.T, l workbook.Lang) map[string][]string {
	t.Helper()
	var ts []Table
	for _, x := range allTables() {
		ts = append(ts, x.In(l))
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, ts...); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil || len(rows) < 2 {
			t.Fatalf("sheet %q: %v %v", sh, rows, err)
		}
		out[sh] = rows[1]
	}
	if len(out) != len(ts) {
		t.Fatalf("%d sheets, want %d: %v", len(out), len(ts), f.GetSheetList())
	}
	return out
}

func TestChineseHeadersHaveNoEnglish(t *testing.T) {
	for sh, h := range headerRows(t, workbook.Chinese) {
		if asciiWord.MatchString(sh) || !hasHan(sh) {
			t.Errorf("sheet name %q is not Chinese", sh)
		}
		for _, c := range h {
			if asciiWord.MatchString(c) || !hasHan(c) {
				t.Errorf("sheet %q: header %q is not Chinese", sh, c)
			}
		}
	}
}

func TestEnglishHeadersHaveNoChinese(t *testing.T) {
	for sh, h := range headerRows(t, workbook.English) {
		if hasHan(sh) {
			t.Errorf("sheet name %q has Chinese", sh)
		}
		for _, c := range h {
			if hasHan(c) || c == "" {
				t.Errorf("sheet %q: header %q is not English", sh, c)
			}
		}
	}
}

func TestPick(t *testing.T) {
	for _, c := range []struct{ in, zh, en string }{
		{"排名 rank", "排名", "rank"},
		{"金额（元） amount ¥", "金额（元）", "amount ¥"},
		{"细颗粒物浓度数值 PM2.5 value", "细颗粒物浓度数值", "PM2.5 value"},
		{"code", "code", "code"},
		{"县区", "县区", "县区"},
	} {
		if got := pick(c.in, workbook.Chinese); got != c.zh {
			t.Errorf("pick(%q, zh) = %q, want %q", c.in, got, c.zh)
		}
		if got := pick(c.in, workbook.English); got != c.en {
			t.Errorf("pick(%q, en) = %q, want %q", c.in, got, c.en)
		}
	}
	if _, err := workbook.ParseLang("fr"); err == nil {
		t.Error("ParseLang accepted fr")
	}
}

// The cells speak the table's language too: kinds, statuses, levels,
// measures, grades, outcomes and yes/no are words of the language, not the
// engine's codes. Codes (credit codes, county codes, ids with digits) and
// names are data.
func TestCellsInOneLanguage(t *testing.T) {
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, chinatime.Zone)
	word := regexp.MustCompile(`\b[A-Za-z]{2,}\b`)
	tables := []Table{
		// The formula version by its English title on the English sheet.
		SettlementTable(acc.Settlement{Formula: "鲁政办字〔2017〕43号", FormulaTitleEN: acc.ShandongFormulas()[2].TitleEN,
			Lines: []acc.CompLine{{County: "371502", Name: "东昌府区", Exempt: true}}}),
		FiringsTable(chinatime.Period{Year: 2026, N: 1, Kind: chinatime.Quarter}, []store.StoredFiring{{Firing: acc.Firing{Rule: "R1", County: "371502", Step: acc.StepSummons, Period: chinatime.Period{Year: 2026, N: 1, Kind: chinatime.Quarter}}}}),
		WarningsTable([]acc.Warning{{ID: "W1", Level: acc.Orange, Start: d, End: d}, {ID: "W2", Level: acc.Red, Start: d, End: d, Counties: []string{"371502"}}}),
		DutiesTable(2026, []DutyRow{{Duty: acc.Duty{Unit: "U1", Enterprise: "91371500MA3C000001", County: "371502", Kind: acc.DutyGroundwater, Due: d}, Status: acc.StatusOverdue}}),
		ProjectsTable([]ProjectRow{{Project: acc.Project{ID: "P1", County: "371502", Kind: acc.UltraLow, Name: "1号锅炉超低排放", Due: d}, Done: true}}),
		BreachesTable("W1", []acc.Breach{{Enterprise: "91371500MA3C000001", Series: "electricity", Measure: acc.MeasureLimit, From: d, To: d}}),
		ReductionTable(2026, []acc.ReductionEntry{{Enterprise: "91371500MA3C000001", Grade: acc.GradeB, Measures: map[acc.WarnLevel]acc.Measure{
			acc.Yellow: {Kind: acc.MeasureLimit, LoadPermille: 700}, acc.Orange: {Kind: acc.MeasureStagger, Windows: []alerts.DayWindow{{Start: 360, End: 600}}}, acc.Red: {Kind: acc.MeasureStop}}}}),
		PlotsTable([]acc.Plot{{ID: "PL1", Name: "原化肥厂地块", Priority: true}}),
		ReviewsTable([]acc.Review{{ID: "RV1", Plot: "PL1", Stage: 2, Outcome: acc.OutcomeRevision, AboveRisk: true}}),
	}
	for _, tb := range tables {
		zh, en := tb.In(workbook.Chinese), tb.In(workbook.English)
		if word.MatchString(zh.Title) || hasHan(en.Title) || en.Title == "" {
			t.Errorf("titles %q / %q", zh.Title, en.Title)
		}
		for i := range zh.Rows {
			for j := range zh.Rows[i] {
				z, e := cell(zh.Rows[i][j]), cell(en.Rows[i][j])
				if word.MatchString(z) {
					t.Errorf("%s row %d col %s: Chinese cell %q", zh.Sheet, i, zh.Header[j], z)
				}
				if hasHan(e) && e != "原化肥厂地块" && e != "1号锅炉超低排放" && e != "东昌府区" {
					t.Errorf("%s row %d col %s: English cell %q", en.Sheet, i, en.Header[j], e)
				}
			}
		}
	}
}

// The reason of a firing is in the workbook's language: the English
// workbook has no Chinese in its reason column, also for a firing stored
// before firings carried their English reason, and the Chinese workbook
// the engine's Chinese reason.
func TestFiringReasonInWorkbookLanguage(t *testing.T) {
	p := chinatime.Period{Year: 2026, N: 1, Kind: chinatime.Quarter}
	han := regexp.MustCompile(`\p{Han}`)
	fs := []store.StoredFiring{
		{Firing: acc.Firing{Rule: "tq", Period: p, County: "371502", Step: acc.StepBulletin,
			Reason: "总量任务完成率(%)为80.0,未完成目标100.0", ReasonEN: "total-quantity task completion 80.0%, target 100.0% not met"}},
		{Firing: acc.Firing{Rule: "worse", Period: p, County: "371521", Step: acc.StepSummons, Reason: "综合指数变化率(%)为3.2,同比恶化"}},
	}
	for _, c := range []struct {
		lang workbook.Lang
		want []string
	}{
		{workbook.Chinese, []string{fs[0].Reason, fs[1].Reason}},
		{workbook.English, []string{fs[0].ReasonEN, "air quality index change 3.2%, worse than a year before"}},
	} {
		var buf bytes.Buffer
		if err := WriteXLSX(&buf, FiringsTable(p, fs).In(c.lang)); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetList()[0])
		if err != nil || len(rows) != 4 {
			t.Fatalf("%s: %v %v", c.lang, rows, err)
		}
		col := slices.Index(rows[1], map[workbook.Lang]string{workbook.Chinese: "原因", workbook.English: "reason"}[c.lang])
		if col < 0 {
			t.Fatalf("%s: no reason column in %q", c.lang, rows[1])
		}
		for i, want := range c.want {
			got := rows[i+2][col]
			if got != want {
				t.Errorf("%s row %d: reason %q, want %q", c.lang, i, got, want)
			}
			if c.lang == workbook.English && han.MatchString(got) {
				t.Errorf("English workbook, row %d: reason %q has Chinese", i, got)
			}
		}
	}
}
