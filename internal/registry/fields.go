package registry

import (
	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/internal/model"
)

// The scalar fields of each kind of record, by the name they have in both
// forms (a YAML key, a CSV column), in the CSV files' column order. The
// YAML and CSV readers fill a record from the same table, so a field is
// named and parsed (a number, an optional number, true/false) in one place;
// each reader only says where the value is and reports a bad one at its
// file, line and field. Lists (an outlet's limits, a device's tolerances,
// networks and factors) are read by each form its own way.

// value is one field's value in a record being read.
type value interface {
	str() string
	num() *float64 // nil when empty
	boolean() bool
}

// field is one scalar field of a record of type T.
type field[T any] struct {
	key string
	set func(*T, value)
}

// orZero is an optional number read into a plain one (a coordinate, the
// bottom of a range): absent is 0.
func orZero(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

var countyFields = []field[model.County]{
	{"code", func(c *model.County, v value) { c.Code = v.str() }},
	{"name", func(c *model.County, v value) { c.Name = v.str() }},
	{"name_en", func(c *model.County, v value) { c.NameEN = v.str() }},
}

var enterpriseFields = []field[model.Enterprise]{
	{"uscc", func(e *model.Enterprise, v value) { e.USCC = v.str() }},
	{"name", func(e *model.Enterprise, v value) { e.Name = v.str() }},
	{"county", func(e *model.Enterprise, v value) { e.County = v.str() }},
	{"industry", func(e *model.Enterprise, v value) { e.Industry = v.str() }},
	{"lat", func(e *model.Enterprise, v value) { e.Lat = orZero(v.num()) }},
	{"lon", func(e *model.Enterprise, v value) { e.Lon = orZero(v.num()) }},
}

var outletFields = []field[model.Outlet]{
	{"id", func(o *model.Outlet, v value) { o.ID = v.str() }},
	{"enterprise", func(o *model.Outlet, v value) { o.Enterprise = v.str() }},
	{"name", func(o *model.Outlet, v value) { o.Name = v.str() }},
	{"kind", func(o *model.Outlet, v value) { o.Kind = v.str() }},
}

var limitFields = []field[model.Limit]{
	{"pollutant", func(l *model.Limit, v value) { l.Pollutant = v.str() }},
	{"unit", func(l *model.Limit, v value) { l.Unit = v.str() }},
	{"kind", func(l *model.Limit, v value) { l.Kind = v.str() }},
	{"period", func(l *model.Limit, v value) { l.Period = v.str() }},
	{"min", func(l *model.Limit, v value) { l.Min = v.num() }},
	{"max", func(l *model.Limit, v value) { l.Max = v.num() }},
}

var deviceFields = []field[model.Device]{
	{"mn", func(d *model.Device, v value) { d.MN = v.str() }},
	{"password", func(d *model.Device, v value) { d.Password = v.str() }},
	{"protocol", func(d *model.Device, v value) { d.Protocol = v.str() }},
	{"outlet", func(d *model.Device, v value) { d.Outlet = v.str() }},
	{"st", func(d *model.Device, v value) { d.ST = v.str() }},
}

// deviceFactorFields are an analyser's: the factor it measures, its unit,
// its measuring range and its detection limit.
var deviceFactorFields = []field[model.DeviceFactor]{
	{"factor", func(f *model.DeviceFactor, v value) { f.Factor = v.str() }},
	{"unit", func(f *model.DeviceFactor, v value) { f.Unit = v.str() }},
	{"range_min", func(f *model.DeviceFactor, v value) { f.RangeMin = orZero(v.num()) }},
	{"range_max", func(f *model.DeviceFactor, v value) { f.RangeMax = v.num() }},
	{"detection_limit", func(f *model.DeviceFactor, v value) { f.DetectionLimit = v.num() }},
}

var stationFields = []field[model.Station]{
	{"code", func(s *model.Station, v value) { s.Code = v.str() }},
	{"name", func(s *model.Station, v value) { s.Name = v.str() }},
	{"county", func(s *model.Station, v value) { s.County = v.str() }},
	{"level", func(s *model.Station, v value) { s.Level = v.str() }},
	{"lat", func(s *model.Station, v value) { s.Lat = orZero(v.num()) }},
	{"lon", func(s *model.Station, v value) { s.Lon = orZero(v.num()) }},
	{"city_eval", func(s *model.Station, v value) { s.CityEval = v.boolean() }},
	{"county_eval", func(s *model.Station, v value) { s.CountyEval = v.boolean() }},
	{"mn", func(s *model.Station, v value) { s.MN = v.str() }},
}

// yamlValue is the value of the YAML node n at path.
type yamlValue struct {
	y    *yamlReader
	n    *yaml.Node
	path string
}

func (v yamlValue) str() string   { return v.y.str(v.n, v.path) }
func (v yamlValue) num() *float64 { return v.y.num(v.n, v.path) }
func (v yamlValue) boolean() bool { return v.y.boolean(v.n, v.path) }

// yamlRecord reads the mapping n at path p into rec by the table fs;
// other handles the keys the table lacks (the lists), returning false for
// an unknown one; nil knows none.
func yamlRecord[T any](y *yamlReader, n *yaml.Node, p string, rec *T, fs []field[T], other func(key string, v *yaml.Node) bool) {
	y.mark(n, p)
	y.fields(n, p, func(key string, v *yaml.Node) bool {
		for _, f := range fs {
			if f.key == key {
				f.set(rec, yamlValue{y, v, p + "." + key})
				return true
			}
		}
		return other != nil && other(key, v)
	})
}

// csvValue is the value of column name in row r, recorded at path.
type csvValue struct {
	r          *row
	name, path string
}

func (v csvValue) str() string   { return v.r.get(v.name, v.path) }
func (v csvValue) num() *float64 { return v.r.num(v.name, v.path) }
func (v csvValue) boolean() bool { return v.r.boolean(v.name, v.path) }

// csvRecord reads the columns of the table fs from r into rec, whose
// path is p (a column the header lacks reads as empty).
func csvRecord[T any](r *row, p string, rec *T, fs []field[T]) {
	for _, f := range fs {
		f.set(rec, csvValue{r, f.key, p + "." + f.key})
	}
}
