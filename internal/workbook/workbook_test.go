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
