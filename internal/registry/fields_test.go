package registry

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecowatch/ecowatch/internal/model"
)

// TestAnalyserFieldsBothForms: a device's analysers read from YAML and
// from device_factors.csv come out the same (range, detection limit, an
// absent bottom of the range as 0), and a bad number is reported at its
// file, line and field in each form.
func TestAnalyserFieldsBothForms(t *testing.T) {
	fp := func(f float64) *float64 { return &f }
	want := []model.DeviceFactor{
		{Factor: "a21026", Unit: "mg/m3", RangeMin: 5, RangeMax: fp(200), DetectionLimit: fp(3)},
		{Factor: "a34013", Unit: "mg/m3", DetectionLimit: fp(0.5)},
	}
	yml := "devices:\n  - mn: MN1\n    password: pw\n    protocol: hj212-2017\n    factors:\n" +
		"      - {factor: a21026, unit: mg/m3, range_min: 5, range_max: 200, detection_limit: 3}\n" +
		"      - {factor: a34013, unit: mg/m3, detection_limit: 0.5}\n"
	r, _, err := ReadYAML(strings.NewReader(yml), "d.yaml")
	if err != nil || len(r.Devices) != 1 || !reflect.DeepEqual(r.Devices[0].Factors, want) {
		t.Fatalf("YAML: %+v, %v", r, err)
	}
	fsys := fstest.MapFS{
		DevicesCSV: {Data: []byte("mn,password,protocol\nMN1,pw,hj212-2017\n")},
		FactorsCSV: {Data: []byte("mn,factor,unit,range_min,range_max,detection_limit\n" +
			"MN1,a21026,mg/m3,5,200,3\nMN1,a34013,mg/m3,,,0.5\n")},
	}
	r, _, err = ReadCSV(fsys)
	if err != nil || len(r.Devices) != 1 || !reflect.DeepEqual(r.Devices[0].Factors, want) {
		t.Fatalf("CSV: %+v, %v", r, err)
	}

	yml = "devices:\n  - mn: MN1\n    factors:\n      - factor: a21026\n        range_max: lots\n        detection_limit: [1]\n"
	_, _, err = ReadYAML(strings.NewReader(yml), "d.yaml")
	wantErr := []string{
		`d.yaml:5: devices[0].factors[0].range_max: "lots" is not a number`,
		`d.yaml:6: devices[0].factors[0].detection_limit: is a list, want a number`,
	}
	if got := errorStrings(err); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("YAML errors %q\nwant %q", got, wantErr)
	}
	fsys[FactorsCSV] = &fstest.MapFile{Data: []byte("mn,factor,unit,range_max,detection_limit\nMN1,a21026,mg/m3,lots,x\n")}
	_, _, err = ReadCSV(fsys)
	wantErr = []string{
		`device_factors.csv:2: range_max: "lots" is not a number`,
		`device_factors.csv:2: detection_limit: "x" is not a number`,
	}
	if got := errorStrings(err); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("CSV errors %q\nwant %q", got, wantErr)
	}
}
