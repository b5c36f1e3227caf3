// Package workbook writes the Excel workbooks of the reports (air,
// water, accountability, emission rights) in the one layout the bureau
// reads: on each sheet the title in A1, one header row in bold in row 2,
// the rows from row 3, and the title and header frozen above the rows.
package workbook

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Sheet is one worksheet.
type Sheet struct {
	Name   string
	Title  string
	Header []string
	Rows   [][]any
	// FreezeCols keeps that many leading columns (the names of what a
	// row is about) in view when the sheet scrolls right.
	FreezeCols int
	// Widths, when given, are the widths of the first columns in
	// characters; the others keep Excel's default.
	Widths []float64
}

// Number is a cell written as a number shown with an Excel number format:
// the value stays a number to compute with, the format shows its unit's
// precision (tonnes to the gram, yuan to the fen).
type Number struct {
	Value  float64
	Format string
}

// Write writes the sheets, in order, as one workbook.
func Write(w io.Writer, sheets ...Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	st := &styles{f: f, ids: map[string]int{}}
	for i, s := range sheets {
		if err := add(st, i == 0, s); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", s.Name, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// styles are a workbook's cell styles, each made once: the header's
// bold, and one per number format.
type styles struct {
	f   *excelize.File
	ids map[string]int
}

func (st *styles) get(key string, s *excelize.Style) (int, error) {
	if id, ok := st.ids[key]; ok {
		return id, nil
	}
	id, err := st.f.NewStyle(s)
	if err != nil {
		return 0, err
	}
	st.ids[key] = id
	return id, nil
}

func add(st *styles, first bool, s Sheet) error {
	f := st.f
	// The first sheet takes the place of the empty "Sheet1" a new file has.
	if first {
		if err := f.SetSheetName("Sheet1", s.Name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(s.Name); err != nil {
		return err
	}
	if err := f.SetCellValue(s.Name, "A1", s.Title); err != nil {
		return err
	}
	if err := f.SetSheetRow(s.Name, "A2", &s.Header); err != nil {
		return err
	}
	if len(s.Header) > 0 {
		bold, err := st.get("bold", &excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			return err
		}
		last, err := excelize.CoordinatesToCellName(len(s.Header), 2)
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(s.Name, "A2", last, bold); err != nil {
			return err
		}
	}
	for i, w := range s.Widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(s.Name, col, col, w); err != nil {
			return err
		}
	}
	for i, r := range s.Rows {
		for j, v := range r {
			cell, err := excelize.CoordinatesToCellName(j+1, i+3)
			if err != nil {
				return err
			}
			if err := setCell(st, s.Name, cell, v); err != nil {
				return err
			}
		}
	}
	panes := &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}
	if s.FreezeCols > 0 {
		topLeft, err := excelize.CoordinatesToCellName(s.FreezeCols+1, 3)
		if err != nil {
			return err
		}
		panes = &excelize.Panes{Freeze: true, XSplit: s.FreezeCols, YSplit: 2, TopLeftCell: topLeft, ActivePane: "bottomRight"}
	}
	return f.SetPanes(s.Name, panes)
}

// setCell writes v as excelize writes a value (SetCellValue), a Number
// as a number with its format.
func setCell(st *styles, sheet, cell string, v any) error {
	n, ok := v.(Number)
	if !ok {
		return st.f.SetCellValue(sheet, cell, v)
	}
	id, err := st.get("num "+n.Format, &excelize.Style{CustomNumFmt: &n.Format})
	if err != nil {
		return err
	}
	if err := st.f.SetCellFloat(sheet, cell, n.Value, -1, 64); err != nil {
		return err
	}
	return st.f.SetCellStyle(sheet, cell, cell, id)
}

// Lang is the language of a report's workbook, tables and words: "zh"
// (the bureau's reading, the default) or "en". Each page and file is in
// one language throughout.
type Lang string

const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// ParseLang reads a request's language; empty means Chinese.
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "zh":
		return Chinese, nil
	case "en":
		return English, nil
	}
	return "", fmt.Errorf("language %q: want zh or en", s)
}

// Pick returns zh or en, whichever is in l.
func (l Lang) Pick(zh, en string) string {
	if l == English {
		return en
	}
	return zh
}

// Pair is Pick of a {Chinese, English} pair.
func (l Lang) Pair(c [2]string) string { return l.Pick(c[0], c[1]) }

// Cols is Pair of each pair: a header row in l.
func (l Lang) Cols(cs [][2]string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = l.Pair(c)
	}
	return out
}
