package registry

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecowatch/ecowatch/internal/model"
)

// stationRegistry is baseRegistry with two air stations, one reporting
// through an ST=22 device.
func stationRegistry() *model.Registry {
	r := baseRegistry()
	r.Devices = append(r.Devices, model.Device{MN: "AQ0000000000000000000001", Password: "222222", Protocol: "2017", ST: "22"})
	r.Stations = []model.Station{
		{Code: "371501A", Name: "市环境监测站", County: "371502", Level: model.StationNational, Lat: 36.456, Lon: 115.985, CityEval: true, CountyEval: true, MN: "AQ0000000000000000000001"},
		{Code: "371581A", Name: "临清市监测站", County: "371581", Level: model.StationProvincial, Lat: 36.838, Lon: 115.706, CountyEval: true},
	}
	return r
}

func TestStationsRoundTrip(t *testing.T) {
	r := stationRegistry()
	if err := Validate(r, nil, nil); err != nil {
		t.Fatalf("valid registry rejected:\n%v", err)
	}
	var b bytes.Buffer
	if err := WriteYAML(&b, r); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadYAML(&b, "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(r)) {
		t.Fatalf("YAML round trip differs:\n got %+v\nwant %+v", got.Stations, r.Stations)
	}
	dir := t.TempDir()
	if err := Save(dir, FormatCSV, r); err != nil {
		t.Fatal(err)
	}
	got, _, err = Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(r)) {
		t.Fatalf("CSV round trip differs:\n got %+v\nwant %+v", got.Stations, r.Stations)
	}
}

func TestStationsValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(r *model.Registry)
		want string
	}{
		{"no code", func(r *model.Registry) { r.Stations[0].Code = "" }, "stations[0].code: required"},
		{"duplicate code", func(r *model.Registry) { r.Stations[1].Code = "371501A" }, `stations[1].code: duplicate station code "371501A" (first at stations[0].code)`},
		{"bad level", func(r *model.Registry) { r.Stations[0].Level = "city" }, `stations[0].level: is "city", want national, provincial or county`},
		{"no level", func(r *model.Registry) { r.Stations[0].Level = "" }, "stations[0].level: required (national, provincial or county)"},
		{"unknown county", func(r *model.Registry) { r.Stations[1].County = "379999" }, `stations[1].county: unknown county "379999"`},
		{"no point", func(r *model.Registry) { r.Stations[1].Lat, r.Stations[1].Lon = 0, 0 }, "stations[1]: lat and lon are required for a station"},
		{"bad latitude", func(r *model.Registry) { r.Stations[1].Lat = 136 }, "stations[1].lat: 136 is not a latitude"},
		{"unknown device", func(r *model.Registry) { r.Stations[1].MN = "NOPE" }, `stations[1].mn: unknown device "NOPE"`},
		{"outlet device", func(r *model.Registry) { r.Stations[1].MN = "88888880000001" },
			`stations[1].mn: device "88888880000001" reports for outlet "91350100M000100Y43-DW001", not for an air station`},
		{"device shared", func(r *model.Registry) { r.Stations[1].MN = r.Stations[0].MN },
			`stations[1].mn: device "AQ0000000000000000000001" already reports for another station (first at stations[0].mn)`},
		{"wrong st", func(r *model.Registry) { r.Devices[2].ST = "31" },
			`stations[0].mn: device "AQ0000000000000000000001" has st 31, an air station's device has st 22`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := stationRegistry()
			c.edit(r)
			got := errorStrings(Validate(r, nil, nil))
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("errors %q\nwant [%q]", got, c.want)
			}
		})
	}
}

func TestStationsCSVErrors(t *testing.T) {
	fsys := fstest.MapFS{
		CountiesCSV: {Data: []byte("code,name\n371502,东昌府区\n")},
		StationsCSV: {Data: []byte("code,name,county,level,lat,lon,city_eval\n" +
			"371501A,市环境监测站,371502,national,36.4,115.9,yes\n" +
			"371502A,聊城大学,371502,national,north,115.9,maybe\n" +
			"371503A,,371509,national,36.4,115.9,false\n")},
	}
	r, src, err := ReadCSV(fsys)
	want := []string{
		`stations.csv:3: lat: "north" is not a number`,
		`stations.csv:3: city_eval: "maybe" is not true or false`,
	}
	if got := errorStrings(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("read errors %q\nwant %q", got, want)
	}
	fsys[StationsCSV] = &fstest.MapFile{Data: []byte("code,name,county,level,lat,lon,city_eval\n" +
		"371501A,市环境监测站,371502,national,36.4,115.9,yes\n" +
		"371503A,,371509,national,36.4,115.9,false\n")}
	r, src, err = ReadCSV(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Stations[0].CityEval || r.Stations[1].CityEval {
		t.Errorf("city_eval read as %v, %v", r.Stations[0].CityEval, r.Stations[1].CityEval)
	}
	got := errorStrings(Validate(r, nil, src))
	want = []string{`stations.csv:3: name: required`, `stations.csv:3: county: unknown county "371509"`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("validate errors %q\nwant %q", got, want)
	}
}

func TestStationsYAMLErrors(t *testing.T) {
	in := "stations:\n  - code: 371501A\n    city_eval: perhaps\n    colour: red\n"
	_, _, err := ReadYAML(strings.NewReader(in), "s.yaml")
	want := []string{`s.yaml:3: stations[0].city_eval: "perhaps" is not true or false`, `s.yaml:4: stations[0].colour: unknown field`}
	if got := errorStrings(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors %q\nwant %q", got, want)
	}
}
