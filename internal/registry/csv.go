package registry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/model"
)

// The CSV form of a registry is a directory of up to seven files, one per
// kind, each with a header row naming its columns (in any order; columns
// marked * are required, the others may be left out):
//
//	counties.csv     code*, name*, name_en
//	enterprises.csv  uscc*, name*, county*, industry, lat, lon
//	outlets.csv      id*, enterprise*, name, kind*
//	limits.csv       outlet*, pollutant*, unit*, kind*, period*, min, max
//	devices.csv      mn*, password*, protocol*, outlet, st, tolerances, networks
//	device_factors.csv  mn*, factor*, unit*, range_min, range_max, detection_limit
//	stations.csv     code*, name*, county*, level*, lat, lon, city_eval, county_eval, mn
//
// limits.csv has one row per limit, attached to the outlet it names, in
// row order. Tolerances and networks are separated by "|". Files are UTF-8 (a leading
// byte order mark, as Excel writes it, is ignored), comma-separated,
// quoted per RFC 4180. A missing file contributes nothing, except that
// outlets.csv needs limits.csv beside it: an import replaces an outlet's
// limits, so outlets without their limits file would lose them.
// device_factors.csv (each device's analysers: measuring range and
// detection limit) has one row per factor, attached to the device it
// names; devices.csv read without it leaves the stored devices' analysers
// as they are (Import keeps them), so a bureau that never keeps the file
// loses nothing.
const (
	CountiesCSV    = "counties.csv"
	EnterprisesCSV = "enterprises.csv"
	OutletsCSV     = "outlets.csv"
	LimitsCSV      = "limits.csv"
	DevicesCSV     = "devices.csv"
	FactorsCSV     = "device_factors.csv"
	StationsCSV    = "stations.csv"
)

// CSVFiles are the CSV file names in the order they are read and written.
var CSVFiles = []string{CountiesCSV, EnterprisesCSV, OutletsCSV, LimitsCSV, DevicesCSV, FactorsCSV, StationsCSV}

var csvColumns = map[string][]string{
	CountiesCSV:    {"code", "name", "name_en"},
	EnterprisesCSV: {"uscc", "name", "county", "industry", "lat", "lon"},
	OutletsCSV:     {"id", "enterprise", "name", "kind"},
	LimitsCSV:      {"outlet", "pollutant", "unit", "kind", "period", "min", "max"},
	DevicesCSV:     {"mn", "password", "protocol", "outlet", "st", "tolerances", "networks"},
	FactorsCSV:     {"mn", "factor", "unit", "range_min", "range_max", "detection_limit"},
	StationsCSV:    {"code", "name", "county", "level", "lat", "lon", "city_eval", "county_eval", "mn"},
}

var csvRequired = map[string][]string{
	CountiesCSV:    {"code", "name"},
	EnterprisesCSV: {"uscc", "name", "county"},
	OutletsCSV:     {"id", "enterprise", "kind"},
	LimitsCSV:      {"outlet", "pollutant", "unit", "kind", "period"},
	DevicesCSV:     {"mn", "password", "protocol"},
	FactorsCSV:     {"mn", "factor", "unit"},
	StationsCSV:    {"code", "name", "county", "level"},
}

// tolerancesSep separates a device's tolerances in one CSV cell.
const tolerancesSep = "|"

// ReadCSV reads a registry from the CSV files in fsys's root directory (see
// CSVFiles). names restricts which files are read (e.g. only devices.csv);
// none means all that exist. Like ReadYAML it reports every structural
// problem with its file and line as an ErrorList and leaves the rules to
// Validate.
func ReadCSV(fsys fs.FS, names ...string) (*model.Registry, *Source, error) {
	return readCSV(fsys, "", names)
}

// readCSV reads like ReadCSV; errors name the files as dir/name.
func readCSV(fsys fs.FS, dir string, names []string) (*model.Registry, *Source, error) {
	if len(names) == 0 {
		names = CSVFiles
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := csvColumns[n]; !ok {
			return nil, nil, fmt.Errorf("%s is not a registry CSV file (want one of %s)", n, strings.Join(CSVFiles, ", "))
		}
		want[n] = true
	}
	if want[OutletsCSV] {
		want[LimitsCSV] = true // see the package comment on limits.csv
	}
	if want[DevicesCSV] {
		want[FactorsCSV] = true // read when it is there; see the package comment
	}
	c := &csvReader{src: NewSource(), reg: &model.Registry{}, outlets: map[string]int{}, devices: map[string]int{}, dir: dir}
	c.src.csv = true
	found := 0
	for _, name := range CSVFiles {
		if !want[name] {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			if name == LimitsCSV && c.haveOutlets {
				c.errs = append(c.errs, &Error{File: c.path(LimitsCSV), Msg: "missing: an import replaces each outlet's limits, so outlets.csv needs limits.csv beside it (a header row alone clears them)"})
			}
			if name == FactorsCSV && len(c.reg.Devices) > 0 {
				c.src.keepFactors = true
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		found++
		if name == OutletsCSV {
			c.haveOutlets = true
		}
		c.file(name, data)
	}
	if found == 0 {
		return nil, nil, fmt.Errorf("no registry CSV files (%s) found", strings.Join(names, ", "))
	}
	if err := c.errs.err(); err != nil {
		return nil, nil, err
	}
	return c.reg, c.src, nil
}

type csvReader struct {
	src         *Source
	reg         *model.Registry
	errs        ErrorList
	outlets     map[string]int // outlet id → index, for limits.csv
	devices     map[string]int // MN → index, for device_factors.csv
	haveOutlets bool
	dir         string // prefix of the file names in errors
}

// path is how errors name a file.
func (c *csvReader) path(name string) string {
	if c.dir == "" {
		return name
	}
	return filepath.Join(c.dir, name)
}

func (c *csvReader) errorf(file string, line int, column, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.path(file), Line: line, Field: column, Msg: fmt.Sprintf(format, args...)})
}

// row is one CSV record with its column index and positions.
type row struct {
	file   string
	cols   map[string]int
	rec    []string
	line   int
	lines  []int // line of each field (a quoted field may span lines)
	reader *csvReader
}

// get returns the value of column name and records its position under
// path; a column not in the header reads as "".
func (r *row) get(name, path string) string {
	i, ok := r.cols[name]
	if !ok {
		return ""
	}
	r.reader.src.set(path, Pos{File: r.reader.path(r.file), Line: r.lines[i], Column: name})
	return r.rec[i]
}

// num reads an optional number.
func (r *row) num(name, path string) *float64 {
	s := r.get(name, path)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.reader.errorf(r.file, r.lines[r.cols[name]], name, "%q is not a number", s)
		return nil
	}
	return &f
}

func (c *csvReader) file(name string, data []byte) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // checked below with a clearer message
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		c.errorf(name, 1, "", "empty file: want a header row (%s)", strings.Join(csvColumns[name], ","))
		return
	}
	if err != nil {
		c.parseError(name, err)
		return
	}
	cols := map[string]int{}
	known := csvColumns[name]
	for i, h := range header {
		h = strings.TrimSpace(h)
		line, _ := cr.FieldPos(i)
		switch {
		case !slices.Contains(known, h):
			c.errorf(name, line, h, "unknown column (known: %s)", strings.Join(known, ", "))
		case hasKey(cols, h):
			c.errorf(name, line, h, "column given twice")
		default:
			cols[h] = i
		}
	}
	missing := false
	for _, req := range csvRequired[name] {
		if !hasKey(cols, req) {
			c.errorf(name, 1, req, "required column missing")
			missing = true
		}
	}
	if missing {
		return
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			c.parseError(name, err)
			return
		}
		r := &row{file: name, cols: cols, rec: rec, reader: c}
		r.line, _ = cr.FieldPos(0)
		if len(rec) != len(header) {
			c.errorf(name, r.line, "", "has %d fields, the header has %d", len(rec), len(header))
			continue
		}
		r.lines = make([]int, len(rec))
		for i := range rec {
			r.lines[i], _ = cr.FieldPos(i)
		}
		c.record(r)
	}
}

// parseError reports a CSV syntax error (e.g. a stray quote) at its line.
// Reading that file stops there: after a quoting error the rest of the
// file cannot be trusted to split into the intended rows.
func (c *csvReader) parseError(name string, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		c.errorf(name, pe.Line, "", "CSV syntax: %v", pe.Err)
		return
	}
	c.errorf(name, 0, "", "CSV: %v", err)
}

func (c *csvReader) record(r *row) {
	reg := c.reg
	mark := func(path string) { c.src.set(path, Pos{File: c.path(r.file), Line: r.line}) }
	switch r.file {
	case CountiesCSV:
		p := fmt.Sprintf("counties[%d]", len(reg.Counties))
		mark(p)
		var c model.County
		csvRecord(r, p, &c, countyFields)
		reg.Counties = append(reg.Counties, c)
	case EnterprisesCSV:
		p := fmt.Sprintf("enterprises[%d]", len(reg.Enterprises))
		mark(p)
		var e model.Enterprise
		csvRecord(r, p, &e, enterpriseFields)
		reg.Enterprises = append(reg.Enterprises, e)
	case OutletsCSV:
		p := fmt.Sprintf("outlets[%d]", len(reg.Outlets))
		mark(p)
		var o model.Outlet
		csvRecord(r, p, &o, outletFields)
		// The first row wins for attaching limits; Validate reports the
		// duplicate id.
		if _, dup := c.outlets[o.ID]; !dup {
			c.outlets[o.ID] = len(reg.Outlets)
		}
		reg.Outlets = append(reg.Outlets, o)
	case LimitsCSV:
		k, ok := c.parent(r, "outlet", c.outlets, "outlet", OutletsCSV)
		if !ok {
			return
		}
		o := &reg.Outlets[k]
		p := fmt.Sprintf("outlets[%d].limits[%d]", k, len(o.Limits))
		mark(p)
		var l model.Limit
		csvRecord(r, p, &l, limitFields)
		o.Limits = append(o.Limits, l)
	case DevicesCSV:
		p := fmt.Sprintf("devices[%d]", len(reg.Devices))
		mark(p)
		var d model.Device
		csvRecord(r, p, &d, deviceFields)
		if t := r.get("tolerances", p+".tolerances"); t != "" {
			d.Tolerances = strings.Split(t, tolerancesSep)
		}
		if t := r.get("networks", p+".networks"); t != "" {
			d.Networks = strings.Split(t, tolerancesSep)
		}
		if _, dup := c.devices[d.MN]; !dup {
			c.devices[d.MN] = len(reg.Devices)
		}
		reg.Devices = append(reg.Devices, d)
	case FactorsCSV:
		k, ok := c.parent(r, "mn", c.devices, "device", DevicesCSV)
		if !ok {
			return
		}
		d := &reg.Devices[k]
		p := fmt.Sprintf("devices[%d].factors[%d]", k, len(d.Factors))
		mark(p)
		var f model.DeviceFactor
		csvRecord(r, p, &f, deviceFactorFields)
		d.Factors = append(d.Factors, f)
	case StationsCSV:
		p := fmt.Sprintf("stations[%d]", len(reg.Stations))
		mark(p)
		var s model.Station
		csvRecord(r, p, &s, stationFields)
		reg.Stations = append(reg.Stations, s)
	}
}

// parent is the index of the record a row of limits.csv or
// device_factors.csv attaches to: the one its column col names, found in
// index (the rows of parentFile read so far). A row naming none is
// reported at that column: the kind of record it names is not there.
func (c *csvReader) parent(r *row, col string, index map[string]int, kind, parentFile string) (int, bool) {
	v := r.rec[r.cols[col]]
	k, ok := index[v]
	if !ok {
		c.errorf(r.file, r.lines[r.cols[col]], col, "%s %q is not in %s", kind, v, parentFile)
	}
	return k, ok
}

// boolean reads an optional true/false column (empty is false).
func (r *row) boolean(name, path string) bool {
	s := r.get(name, path)
	b, ok := parseBool(s)
	if !ok {
		r.reader.errorf(r.file, r.lines[r.cols[name]], name, "%q is not true or false", s)
	}
	return b
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// WriteCSV writes r as the seven CSV files into dir (created if needed),
// with every column, in the form ReadCSV reads. Device passwords are
// included (devices.csv). Files are written whole to a temporary name and
// renamed, so an interrupted export leaves no half-written file.
func WriteCSV(dir string, r *model.Registry) error {
	if r == nil {
		r = &model.Registry{}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for name, data := range EncodeCSV(r) {
		path := filepath.Join(dir, name)
		mode := os.FileMode(0o644)
		if name == DevicesCSV {
			mode = 0o600 // device passwords
		}
		if err := atomicfile.WriteFile(path, data, mode); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// EncodeCSV returns the contents of the seven CSV files of r, by file name.
func EncodeCSV(r *model.Registry) map[string][]byte {
	out := map[string][]byte{}
	enc := func(name string, rows [][]string) {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(csvColumns[name]) // writes to a bytes.Buffer cannot fail
		_ = w.WriteAll(rows)
		out[name] = b.Bytes()
	}
	var rows [][]string
	for _, c := range r.Counties {
		rows = append(rows, []string{c.Code, c.Name, c.NameEN})
	}
	enc(CountiesCSV, rows)

	rows = nil
	for _, e := range r.Enterprises {
		rows = append(rows, []string{e.USCC, e.Name, e.County, e.Industry, formatCoord(e.Lat), formatCoord(e.Lon)})
	}
	enc(EnterprisesCSV, rows)

	rows = nil
	var limits [][]string
	for _, o := range r.Outlets {
		rows = append(rows, []string{o.ID, o.Enterprise, o.Name, o.Kind})
		for _, l := range o.Limits {
			limits = append(limits, []string{o.ID, l.Pollutant, l.Unit, l.Kind, l.Period, formatNum(l.Min), formatNum(l.Max)})
		}
	}
	enc(OutletsCSV, rows)
	enc(LimitsCSV, limits)

	rows = nil
	var factors [][]string
	for _, d := range r.Devices {
		rows = append(rows, []string{d.MN, d.Password, d.Protocol, d.Outlet, d.ST, strings.Join(d.Tolerances, tolerancesSep),
			strings.Join(d.Networks, tolerancesSep)})
		for _, f := range d.Factors {
			factors = append(factors, []string{d.MN, f.Factor, f.Unit, formatNum(&f.RangeMin), formatNum(f.RangeMax), formatNum(f.DetectionLimit)})
		}
	}
	enc(DevicesCSV, rows)
	enc(FactorsCSV, factors)

	rows = nil
	for _, s := range r.Stations {
		rows = append(rows, []string{s.Code, s.Name, s.County, s.Level, formatCoord(s.Lat), formatCoord(s.Lon),
			strconv.FormatBool(s.CityEval), strconv.FormatBool(s.CountyEval), s.MN})
	}
	enc(StationsCSV, rows)
	return out
}

// formatNum writes the shortest decimal that reads back as the same
// float64, so a round trip is exact.
func formatNum(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// formatCoord writes a coordinate; zero means unknown (the model's
// omitempty) and is left empty.
func formatCoord(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
