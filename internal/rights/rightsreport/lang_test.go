package rightsreport

import (
	"bytes"
	"regexp"
	"testing"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/workbook"
)

// asciiWord is a run of two or more Latin letters: a Chinese header may
// carry a unit or a digit, never an English word.
var asciiWord = regexp.MustCompile(`[A-Za-z]{2,}`)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// headerRows writes every report in one language and reads back each
// sheet's name and header row.
func headerRows(t *testing.T, l workbook.Lang) map[string][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, l, ReservoirReport{}, ProjectReport{}, TradeReport{}, StatementReport{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil || len(rows) < 2 {
			t.Fatalf("sheet %q: %q %v", sh, rows, err)
		}
		out[sh] = rows[1]
	}
	if len(out) != 5 {
		t.Fatalf("sheets %v, want 5", f.GetSheetList())
	}
	return out
}

func TestChineseWorkbookHeadersHaveNoEnglish(t *testing.T) {
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

func TestEnglishWorkbookHeadersHaveNoChinese(t *testing.T) {
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
	if _, err := workbook.ParseLang("fr"); err == nil {
		t.Error("ParseLang accepted fr")
	}
}
