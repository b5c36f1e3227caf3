// Package workbook writes the Excel workbooks of the reports (air,
// water, accountability) in the one layout the bureau reads: on each
// sheet the title in A1, one header row in row 2, the rows from row 3,
// and the title and header frozen above the rows.
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
}

// Write writes the sheets, in order, as one workbook.
func Write(w io.Writer, sheets ...Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if err := add(f, i == 0, s); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", s.Name, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func add(f *excelize.File, first bool, s Sheet) error {
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
	for i, r := range s.Rows {
		cell, err := excelize.CoordinatesToCellName(1, i+3)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(s.Name, cell, &r); err != nil {
			return err
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
