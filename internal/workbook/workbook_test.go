package workbook

import (
	"bytes"
	"fmt"
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

// TestCellsAndStyles: a Number is a number cell with its format, other
// values are written as excelize writes them, the header is bold and
// Widths set the first columns' widths.
func TestCellsAndStyles(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, Sheet{Name: "s", Title: "t", Header: []string{"数量", "金额", "n"}, Widths: []float64{12, 20},
		Rows: [][]any{{Number{Value: 123456789.012345, Format: "#,##0.000000"}, Number{Value: -1600, Format: "#,##0.00"}, 7}, {nil, "x", int64(8)}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		cell, raw, format string
	}{
		{"A3", "123456789.012345", "#,##0.000000"},
		{"B3", "-1600", "#,##0.00"},
		{"C3", "7", ""},
		{"B4", "x", ""},
		{"C4", "8", ""},
	}
	for _, tt := range tests {
		raw, err := f.GetCellValue("s", tt.cell, excelize.Options{RawCellValue: true})
		if err != nil || raw != tt.raw {
			t.Errorf("%s = %q (%v), want %q", tt.cell, raw, err, tt.raw)
		}
		id, err := f.GetCellStyle("s", tt.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if st.CustomNumFmt != nil {
			got = *st.CustomNumFmt
		}
		if got != tt.format {
			t.Errorf("%s: number format %q, want %q", tt.cell, got, tt.format)
		}
	}
	for _, c := range []string{"A2", "B2", "C2"} {
		id, _ := f.GetCellStyle("s", c)
		if st, err := f.GetStyle(id); err != nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("header %s not bold: %+v %v", c, st, err)
		}
	}
	for col, want := range map[string]float64{"A": 12, "B": 20} {
		if w, err := f.GetColWidth("s", col); err != nil || w != want {
			t.Errorf("column %s width %v (%v), want %v", col, w, err, want)
		}
	}
}

// A Chinese table lines up on a terminal: each column starts at the same
// display column in every line, a Han character counting two.
func TestTextAlignsByDisplayWidth(t *testing.T) {
	var b bytes.Buffer
	tw := NewText(&b, 2, false)
	fmt.Fprintln(tw, "标题")
	fmt.Fprintln(tw, "类别\t名称\t天数")
	fmt.Fprintln(tw, "city\t东昌府区\t361")
	fmt.Fprintln(tw, "点位\tA\t7")
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "标题\n" +
		"类别  名称      天数\n" +
		"city  东昌府区  361\n" +
		"点位  A         7\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for s, w := range map[string]int{"abc": 3, "东昌府区": 8, "（Ⅲ类）": 7, "µg/m³": 5} {
		if Width(s) != w {
			t.Errorf("Width(%q) = %d, want %d", s, Width(s), w)
		}
	}
}
