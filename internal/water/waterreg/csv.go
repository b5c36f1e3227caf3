package waterreg

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// csvTables are the CSV files of a water registry, one per list, in the
// order of model.WaterRegistry. Columns are the YAML field names; a list
// (a source's items) is written with ';' between its elements.
var csvTables = []struct {
	file, list string // file name, YAML name of the list
	field      string // model.WaterRegistry field
}{
	{"rivers.csv", "rivers", "Rivers"},
	{"nodes.csv", "nodes", "Nodes"},
	{"reaches.csv", "reaches", "Reaches"},
	{"sections.csv", "sections", "Sections"},
	{"sources.csv", "sources", "Sources"},
	{"outfalls.csv", "outfalls", "Outfalls"},
}

// column is a struct field and its CSV name.
type column struct {
	name  string
	index int
}

func columns(t reflect.Type) []column {
	var cols []column
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		cols = append(cols, column{name, i})
	}
	return cols
}

// ReadCSV reads the CSV files of a water registry from fsys (missing
// files are empty lists). dir names the directory in errors.
func ReadCSV(fsys fs.FS, dir string) (*model.WaterRegistry, *Source, error) {
	w := &model.WaterRegistry{}
	src := NewSource()
	var errs registry.ErrorList
	rv := reflect.ValueOf(w).Elem()
	for _, tb := range csvTables {
		data, err := fs.ReadFile(fsys, tb.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		file := path.Join(dir, tb.file)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		list := rv.FieldByName(tb.field)
		errs = append(errs, readTable(data, file, tb.list, list, src)...)
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return w, src, nil
}

func readTable(data []byte, file, listName string, list reflect.Value, src *Source) registry.ErrorList {
	var errs registry.ErrorList
	fail := func(line int, col, format string, args ...any) {
		errs = append(errs, &registry.Error{File: file, Line: line, Field: col, Msg: fmt.Sprintf(format, args...)})
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		fail(1, "", "no header: %v", err)
		return errs
	}
	byName := map[string]column{}
	for _, c := range columns(list.Type().Elem()) {
		byName[c.name] = c
	}
	cols := make([]column, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		c, ok := byName[h]
		if !ok {
			fail(1, h, "unknown column")
			continue
		}
		cols[i] = c
	}
	if len(errs) > 0 {
		return errs
	}
	for {
		rec, err := r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fail(pe.Line, "", "%v", pe.Err)
				return errs
			}
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			fail(line, "", "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		i := list.Len()
		item := reflect.New(list.Type().Elem()).Elem()
		p := fmt.Sprintf("%s[%d]", listName, i)
		src.set(p, Pos{File: file, Line: line})
		for j, s := range rec {
			c := cols[j]
			src.set(p+"."+c.name, Pos{File: file, Line: line, Field: c.name})
			if err := setField(item.Field(c.index), strings.TrimSpace(s)); err != nil {
				fail(line, c.name, "%v", err)
			}
		}
		list.Set(reflect.Append(list, item))
	}
	return errs
}

func setField(f reflect.Value, s string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Float64:
		if s == "" {
			return nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(v)
	case reflect.Int:
		if s == "" {
			return nil
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		f.SetInt(int64(v))
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "", "false", "no", "0", "否":
			f.SetBool(false)
		case "true", "yes", "1", "是":
			f.SetBool(true)
		default:
			return fmt.Errorf("%q is not true or false", s)
		}
	case reflect.Slice:
		var items []string
		for _, x := range strings.Split(s, ";") {
			if x = strings.TrimSpace(x); x != "" {
				items = append(items, x)
			}
		}
		f.Set(reflect.ValueOf(items))
	}
	return nil
}

func formatField(f reflect.Value) string {
	switch f.Kind() {
	case reflect.String:
		return f.String()
	case reflect.Float64:
		if f.Float() == 0 {
			return ""
		}
		return formatFloat(f.Float())
	case reflect.Int:
		return strconv.FormatInt(f.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(f.Bool())
	case reflect.Slice:
		return strings.Join(f.Interface().([]string), ";")
	}
	return ""
}

// EncodeCSV returns the CSV files of w by name.
func EncodeCSV(w *model.WaterRegistry) map[string][]byte {
	out := map[string][]byte{}
	rv := reflect.ValueOf(w).Elem()
	for _, tb := range csvTables {
		list := rv.FieldByName(tb.field)
		cols := columns(list.Type().Elem())
		var b bytes.Buffer
		cw := csv.NewWriter(&b)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.name
		}
		_ = cw.Write(head)
		for i := range list.Len() {
			rec := make([]string, len(cols))
			for j, c := range cols {
				rec[j] = formatField(list.Index(i).Field(c.index))
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		out[tb.file] = b.Bytes()
	}
	return out
}

// WriteCSV writes the CSV files of w into dir, creating it.
func WriteCSV(dir string, w *model.WaterRegistry) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range EncodeCSV(w) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
