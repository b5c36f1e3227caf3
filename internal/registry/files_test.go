package registry

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
)

// loadAndValidate is what `ecowatch registry validate` does.
func loadAndValidate(path string) error {
	r, src, err := Load(path, "")
	if err != nil {
		return err
	}
	return Validate(r, nil, src)
}

// Each file holds deliberate mistakes; the golden lists the exact messages
// with file, line and field. Reading and validation must report every one
// of them, in line order.
func TestFileErrors(t *testing.T) {
	for _, name := range []string{"invalid.yaml", "malformed.yaml", "syntax.yaml", "invalid-csv", "malformed-csv"} {
		t.Run(name, func(t *testing.T) {
			err := loadAndValidate(filepath.Join("testdata", name))
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			golden.Check(t, "testdata/"+name+".golden", []byte(err.Error()+"\n"))
		})
	}
}

func TestDemoCityGolden(t *testing.T) {
	r := DemoCity(1)
	var b bytes.Buffer
	if err := WriteYAML(&b, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/demo-city.yaml", b.Bytes())

	// The golden itself is a valid registry that reads back as DemoCity(1).
	got, src, err := Load(filepath.Join("testdata", "demo-city.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(got, nil, src); err != nil {
		t.Fatalf("golden demo city does not validate:\n%v", err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatal("the golden demo city read back differs from DemoCity(1)")
	}
}

func TestDemoCity(t *testing.T) {
	r := DemoCity(1)
	if !reflect.DeepEqual(r, DemoCity(1)) {
		t.Fatal("DemoCity(1) is not deterministic")
	}
	if reflect.DeepEqual(r.Devices, DemoCity(2).Devices) {
		t.Fatal("DemoCity(2) equals DemoCity(1): the seed is ignored")
	}
	if err := Validate(DemoCity(2), nil, nil); err != nil {
		t.Fatalf("DemoCity(2) is invalid:\n%v", err)
	}
	if len(r.Counties) != 11 {
		t.Errorf("%d counties, want 11", len(r.Counties))
	}
	if n := len(r.Enterprises); n < 280 || n > 320 {
		t.Errorf("%d enterprises, want about 300", n)
	}
	if n := len(r.Outlets); n < 450 || n > 550 {
		t.Errorf("%d outlets, want about 500", n)
	}
	if len(r.Devices) != len(r.Outlets)+len(r.Stations) {
		t.Errorf("%d devices for %d outlets and %d stations, want one each", len(r.Devices), len(r.Outlets), len(r.Stations))
	}
	// Air stations: national ones in the urban area (东昌府区 and the three
	// zones) evaluate the city; every county has at least one station that
	// evaluates it; each reports through its own ST=22 device.
	national, countyEval := 0, map[string]int{}
	stationMN := map[string]bool{}
	urban := map[string]bool{"371502": true, "371591": true, "371592": true, "371593": true}
	for _, st := range r.Stations {
		if st.Level == model.StationNational {
			national++
			if !st.CityEval || !urban[st.County] {
				t.Errorf("national station %s: city_eval %v in %s, want an urban city station", st.Code, st.CityEval, st.County)
			}
		}
		if st.CountyEval {
			countyEval[st.County]++
		}
		if st.MN == "" {
			t.Errorf("station %s has no device", st.Code)
		}
		stationMN[st.MN] = true
	}
	if national < 4 || national > 6 {
		t.Errorf("%d national stations, want 4-5", national)
	}
	for _, c := range r.Counties {
		if countyEval[c.Code] == 0 {
			t.Errorf("county %s has no evaluation station", c.Code)
		}
	}
	for _, d := range r.Devices {
		if stationMN[d.MN] && (d.ST != StationST || d.Outlet != "") {
			t.Errorf("station device %s: st %q outlet %q", d.MN, d.ST, d.Outlet)
		}
	}
	realCodes := map[string]string{"371502": "东昌府区", "371503": "茌平区", "371521": "阳谷县", "371522": "莘县",
		"371524": "东阿县", "371525": "冠县", "371526": "高唐县", "371581": "临清市"}
	for _, c := range r.Counties {
		if name, ok := realCodes[c.Code]; ok && name != c.Name {
			t.Errorf("county %s is %s, want %s", c.Code, c.Name, name)
		}
		delete(realCodes, c.Code)
		if c.NameEN == "" {
			t.Errorf("county %s has no English name", c.Code)
		}
	}
	if len(realCodes) != 0 {
		t.Errorf("missing counties: %v", realCodes)
	}
	for _, e := range r.Enterprises {
		if e.Lat < demoMinLat || e.Lat > demoMaxLat || e.Lon < demoMinLon || e.Lon > demoMaxLon {
			t.Errorf("%s at (%g, %g) is outside the city", e.Name, e.Lat, e.Lon)
		}
	}
	protocols := map[string]int{}
	outletKind := map[string]string{}
	for _, o := range r.Outlets {
		outletKind[o.ID] = o.Kind
	}
	for _, d := range r.Devices {
		protocols[d.Protocol]++
		switch d.Protocol {
		case Protocol2005:
			if len(d.MN) != 14 {
				t.Errorf("2005 device MN %q is not 14 characters", d.MN)
			}
		default:
			if len(d.MN) != 24 || strings.Trim(d.MN, "0123456789ABCDEF") != "" {
				t.Errorf("%s device MN %q is not 24 hex characters", d.Protocol, d.MN)
			}
		}
		if stationMN[d.MN] {
			continue
		}
		wantST := map[string]string{model.OutletAir: "31", model.OutletWater: "32"}[outletKind[d.Outlet]]
		if d.ST != wantST {
			t.Errorf("device %s on a %s outlet has ST %s, want %s", d.MN, outletKind[d.Outlet], d.ST, wantST)
		}
	}
	if protocols[Protocol2005] == 0 || protocols[Protocol2025] == 0 || protocols[Protocol2017] < len(r.Devices)*3/4 {
		t.Errorf("protocol mix %v: want mostly 2017 and a few 2005 and 2025", protocols)
	}
	// Every air outlet monitors SO2/NOx/dust or at least dust, and every
	// water outlet COD, NH3-N, TP, TN and pH 6-9.
	for _, o := range r.Outlets {
		has := map[string]model.Limit{}
		for _, l := range o.Limits {
			has[l.Pollutant] = l
		}
		switch o.Kind {
		case model.OutletAir:
			if _, ok := has["a34013"]; !ok {
				t.Errorf("air outlet %s has no dust limit", o.ID)
			}
		case model.OutletWater:
			for _, p := range []string{"w01018", "w21003", "w21011", "w21001", "w01001", "w00000"} {
				if _, ok := has[p]; !ok {
					t.Errorf("water outlet %s lacks %s", o.ID, p)
				}
			}
			if ph := has["w01001"]; ph.Min == nil || *ph.Min != 6 || ph.Max == nil || *ph.Max != 9 {
				t.Errorf("water outlet %s pH limit is not 6-9", o.ID)
			}
		}
	}
}

// A registry written as YAML reads back equal, and writing it again gives
// the same bytes.
func TestYAMLRoundTrip(t *testing.T) {
	for _, r := range []*model.Registry{baseRegistry(), DemoCity(3), {}} {
		var b1 bytes.Buffer
		if err := WriteYAML(&b1, r); err != nil {
			t.Fatal(err)
		}
		got, _, err := ReadYAML(bytes.NewReader(b1.Bytes()), "x.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(r)) {
			t.Fatalf("read back differs:\n got %+v\nwant %+v", got, r)
		}
		var b2 bytes.Buffer
		if err := WriteYAML(&b2, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
			t.Fatal("second write differs from the first")
		}
	}
}

// normalize makes nil and empty slices compare equal: the readers leave
// absent lists nil.
func normalize(r *model.Registry) *model.Registry {
	c := *r
	if len(c.Counties) == 0 {
		c.Counties = nil
	}
	if len(c.Enterprises) == 0 {
		c.Enterprises = nil
	}
	if len(c.Outlets) == 0 {
		c.Outlets = nil
	}
	if len(c.Devices) == 0 {
		c.Devices = nil
	}
	if len(c.Stations) == 0 {
		c.Stations = nil
	}
	c.Outlets = append([]model.Outlet(nil), c.Outlets...)
	for i := range c.Outlets {
		if len(c.Outlets[i].Limits) == 0 {
			c.Outlets[i].Limits = nil
		}
	}
	c.Devices = append([]model.Device(nil), c.Devices...)
	for i := range c.Devices {
		if len(c.Devices[i].Tolerances) == 0 {
			c.Devices[i].Tolerances = nil
		}
	}
	return &c
}

func csvFS(files map[string][]byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func TestCSVRoundTrip(t *testing.T) {
	for _, r := range []*model.Registry{baseRegistry(), DemoCity(1)} {
		files := EncodeCSV(r)
		got, _, err := ReadCSV(csvFS(files))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(r)) {
			t.Fatalf("read back differs:\n got %+v\nwant %+v", got, r)
		}
		again := EncodeCSV(got)
		for name, data := range files {
			if !bytes.Equal(again[name], data) {
				t.Errorf("%s: second write differs", name)
			}
		}
	}
}

func TestCSVDirectoryRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := baseRegistry()
	if err := Save(dir, "", r); err != nil {
		t.Fatal(err)
	}
	for _, name := range CSVFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("export did not write %s: %v", name, err)
		}
	}
	got, _, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(r)) {
		t.Fatalf("read back differs:\n got %+v\nwant %+v", got, r)
	}
	// A single file imports only its kind.
	got, _, err = Load(filepath.Join(dir, DevicesCSV), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Devices) != 2 || len(got.Outlets) != 0 || len(got.Enterprises) != 0 {
		t.Errorf("devices.csv alone read %d devices, %d outlets, %d enterprises", len(got.Devices), len(got.Outlets), len(got.Enterprises))
	}
	// outlets.csv brings its limits.
	got, _, err = Load(filepath.Join(dir, OutletsCSV), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Outlets) != 2 || len(got.Outlets[0].Limits) != 2 {
		t.Errorf("outlets.csv alone read %+v, want 2 outlets with their limits", got.Outlets)
	}
}

func TestCSVSpecialCases(t *testing.T) {
	t.Run("byte order mark and columns in any order", func(t *testing.T) {
		got, _, err := ReadCSV(fstest.MapFS{CountiesCSV: {Data: []byte("\uFEFFname,code\n东昌府区,371502\n")}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []model.County{{Code: "371502", Name: "东昌府区"}}; !reflect.DeepEqual(got.Counties, want) {
			t.Errorf("got %+v, want %+v", got.Counties, want)
		}
	})
	t.Run("outlets without limits.csv", func(t *testing.T) {
		_, _, err := ReadCSV(fstest.MapFS{OutletsCSV: {Data: []byte("id,enterprise,kind\nX,Y,air\n")}})
		want := "limits.csv: missing: an import replaces each outlet's limits, so outlets.csv needs limits.csv beside it (a header row alone clears them)"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		_, _, err := ReadCSV(fstest.MapFS{DevicesCSV: {Data: nil}})
		want := "devices.csv:1: empty file: want a header row (mn,password,protocol,outlet,st,tolerances,networks)"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("no files", func(t *testing.T) {
		if _, _, err := ReadCSV(fstest.MapFS{}); err == nil {
			t.Error("no error for a directory without registry files")
		}
	})
	t.Run("multi-line quoted field keeps line numbers", func(t *testing.T) {
		data := "code,name,name_en\n371502,\"东昌\n府区\",x\n,临清市,y\n"
		r, src, err := ReadCSV(fstest.MapFS{CountiesCSV: {Data: []byte(data)}})
		if err != nil {
			t.Fatal(err)
		}
		got := errorStrings(Validate(r, nil, src))
		want := []string{"counties.csv:4: code: required"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestYAMLSpecialCases(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // error, or "" for success
	}{
		{"empty file", "", ""},
		{"comments only", "# nothing yet\n", ""},
		{"null lists", "counties:\nenterprises: ~\n", ""},
		{"unquoted numeric code", "counties:\n  - {code: 371502, name: x}\n", ""},
		{"two documents", "counties: []\n---\ndevices: []\n", "x.yaml:2: more than one YAML document; a registry is one document"},
		{"top level list", "- code: 1\n", "x.yaml:1: is a list, want a mapping of fields"},
		{"duplicate key", "counties: []\ncounties: []\n", "x.yaml:2: counties: given twice (first at line 1)"},
		{"syntax error in a flow list", "counties: []\nenterprises: [x\ndevices: []\n", "x.yaml:2: YAML syntax: did not find expected ',' or ']'"},
		{"syntax error: tab", "counties: []\n\tenterprises: []\n", "x.yaml:2: YAML syntax: found character that cannot start any token"},
		{"anchors and aliases", "counties:\n  - &c {code: \"371502\", name: x}\noutlets: []\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadYAML(strings.NewReader(tt.in), "x.yaml")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ path, want string }{
		{"registry.yaml", FormatYAML},
		{"REGISTRY.YML", FormatYAML},
		{"devices.csv", FormatCSV},
		{dir, FormatCSV},
		{filepath.Join(dir, "new-export"), FormatCSV},
		{"registry.json", ""},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.path)
		if tt.want == "" {
			if err == nil {
				t.Errorf("DetectFormat(%s) = %s, want an error", tt.path, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DetectFormat(%s) = %s, %v; want %s", tt.path, got, err, tt.want)
		}
	}
}

func BenchmarkDemoCity(b *testing.B) {
	for b.Loop() {
		DemoCity(1)
	}
}

func BenchmarkValidateDemoCity(b *testing.B) {
	r := DemoCity(1)
	for b.Loop() {
		if err := Validate(r, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadYAMLDemoCity(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "demo-city.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := ReadYAML(bytes.NewReader(data), "demo-city.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteYAMLDemoCity(b *testing.B) {
	r := DemoCity(1)
	for b.Loop() {
		if err := WriteYAML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCSVDemoCity(b *testing.B) {
	fsys := csvFS(EncodeCSV(DemoCity(1)))
	for b.Loop() {
		if _, _, err := ReadCSV(fsys); err != nil {
			b.Fatal(err)
		}
	}
}

// Aliases must not make the reader expand a small file into billions of
// nodes: here a list of 20,000 aliases of a mapping with 200 keys.
func TestYAMLAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &a {")
	for i := range 200 {
		fmt.Fprintf(&b, "k%d: v, ", i)
	}
	b.WriteString("code: \"1\"}\ncounties: [")
	b.WriteString(strings.Repeat("*a, ", 20000))
	b.WriteString("*a]\n")
	_, _, err := ReadYAML(strings.NewReader(b.String()), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "more than 1000 problems") {
		t.Fatalf("got %.300v..., want the expansion refused", err)
	}
	list := err.(ErrorList)
	if len(list) > 1001 {
		t.Fatalf("%d errors, want at most 1001", len(list))
	}
}

// Without any error to stop at, the node budget does: 2,000 aliases of an
// outlet whose limits are an alias of 1,000 limits.
func TestYAMLAliasBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &l [")
	b.WriteString(strings.Repeat("{pollutant: a, unit: u, kind: measured, period: hour}, ", 1000))
	b.WriteString("]\ny: &o {id: o, enterprise: e, kind: air, limits: *l}\noutlets: [")
	b.WriteString(strings.Repeat("*o, ", 2000))
	b.WriteString("*o]\n")
	_, _, err := ReadYAML(strings.NewReader(strings.Replace(b.String(), "x: &l", "counties: []\nx: &l", 1)), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "expands to more than 500000 nodes") {
		t.Fatalf("got %.300v..., want the expansion refused", err)
	}
}
