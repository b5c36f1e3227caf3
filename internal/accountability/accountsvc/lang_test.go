package accountsvc

import (
	"bytes"
	"regexp"
	"testing"
	"unicode"

	"github.com/xuri/excelize/v2"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
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
		AssessmentTable(acc.Assessment{Rules: rules}), SettlementTable(acc.Settlement{}), FiringsTable(acc.Period{}, nil),
		WarningsTable(nil), DutiesTable(2026, nil), ProjectsTable(nil), BreachesTable("W1", nil),
		ReductionTable(2026, nil), PlotsTable(nil), ReviewsTable(nil),
	}
}

// headerRows writes the tables in one language and reads back each sheet's
// name and header row, as a reader of the workbook sees them.
func headerRows(t *testing.T, l Lang) map[string][]string {
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
	for sh, h := range headerRows(t, Chinese) {
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
	for sh, h := range headerRows(t, English) {
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
		if got := pick(c.in, Chinese); got != c.zh {
			t.Errorf("pick(%q, zh) = %q, want %q", c.in, got, c.zh)
		}
		if got := pick(c.in, English); got != c.en {
			t.Errorf("pick(%q, en) = %q, want %q", c.in, got, c.en)
		}
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Error("ParseLang accepted fr")
	}
}
