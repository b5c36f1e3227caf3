package workbook

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestLayout: each sheet has its title in row 1, its header in row 2 and
// its rows below, in the order given, with the panes frozen below the
// header (and right of FreezeCols).
func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf,
		Sheet{Name: "评价表", Title: "标题", Header: []string{"代码", "数值"}, Rows: [][]any{{"A", 1.5}, {"B", ""}}, FreezeCols: 1},
		Sheet{Name: "second", Title: "Second", Header: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"评价表", "second"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("评价表")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"标题"}, {"代码", "数值"}, {"A", "1.5"}, {"B"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	tests := []struct {
		sheet   string
		x       int
		topLeft string
	}{{"评价表", 1, "B3"}, {"second", 0, "A3"}}
	for _, tt := range tests {
		p, err := f.GetPanes(tt.sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 2 || p.XSplit != tt.x || p.TopLeftCell != tt.topLeft {
			t.Errorf("%s panes %+v, want frozen at row 2, column %d, %s", tt.sheet, p, tt.x, tt.topLeft)
		}
	}
}

// TestLang: a request's language is zh (also when empty) or en, and
// nothing else; Pick, Pair and Cols keep the side of that language.
func TestLang(t *testing.T) {
	tests := []struct {
		in      string
		want    Lang
		ok      bool
		picked  string
		headers []string
	}{
		{"", Chinese, true, "是", []string{"代码", "数值"}},
		{"zh", Chinese, true, "是", []string{"代码", "数值"}},
		{"en", English, true, "yes", []string{"code", "value"}},
		{"fr", "", false, "", nil},
		{"EN", "", false, "", nil},
	}
	for _, tt := range tests {
		l, err := ParseLang(tt.in)
		if (err == nil) != tt.ok || l != tt.want {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, ok %v", tt.in, l, err, tt.want, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if got := l.Pick("是", "yes"); got != tt.picked {
			t.Errorf("%s: Pick = %q, want %q", tt.in, got, tt.picked)
		}
		if got := l.Pair([2]string{"是", "yes"}); got != tt.picked {
			t.Errorf("%s: Pair = %q, want %q", tt.in, got, tt.picked)
		}
		if got := l.Cols([][2]string{{"代码", "code"}, {"数值", "value"}}); !reflect.DeepEqual(got, tt.headers) {
			t.Errorf("%s: Cols = %q, want %q", tt.in, got, tt.headers)
		}
	}
}
