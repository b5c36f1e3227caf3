package dashboard

import (
	"reflect"
	"testing"

	"github.com/ecowatch/ecowatch/internal/factors"
)

// A flue-gas device's trend is drawn as small charts by unit, never more
// than two value axes on one: concentrations, flow with velocity, O₂ with
// humidity, temperature with pressure.
func TestTrendGroups(t *testing.T) {
	tt := trendTable{Names: map[string]string{}, Units: map[string]string{}}
	for _, f := range []string{"a00000", "a01011", "a01012", "a01013", "a01014", "a19001", "a21002", "a21002-Zs", "a21026", "a34013"} {
		tt.Factors = append(tt.Factors, f)
		code := f
		if f == "a21002-Zs" {
			code = "a21002"
		}
		tt.Names[f], tt.Units[f] = factors.Name(code, "zh"), factors.Unit(code)
		tt.Axes = append(tt.Axes, tt.Units[f])
	}
	gs := trendGroups(&tt, langZH)
	var got [][]string
	seen := 0
	for _, g := range gs {
		if len(g.Units) == 0 || len(g.Units) > 2 || g.Title == "" {
			t.Errorf("group %+v", g)
		}
		got = append(got, g.Units)
		seen += len(g.Factors)
	}
	want := [][]string{{"mg/m³"}, {"m³/s", "m/s"}, {"%"}, {"℃", "kPa"}}
	if !reflect.DeepEqual(got, want) || seen != len(tt.Factors) {
		t.Errorf("units by chart %q (%d factors), want %q", got, seen, want)
	}
	if gs[0].Title != "污染物浓度" || len(gs[0].Factors) != 4 {
		t.Errorf("first chart %+v", gs[0])
	}
	// Units of no family pair up in order.
	odd := trendTable{Factors: []string{"x1", "x2", "x3"}, Names: map[string]string{"x1": "甲", "x2": "乙", "x3": "丙"},
		Units: map[string]string{"x1": "Bq", "x2": "dB", "x3": "lx"}, Axes: []string{"Bq", "dB", "lx"}}
	if gs := trendGroups(&odd, langZH); len(gs) != 2 || len(gs[0].Units) != 2 || gs[1].Title != "丙" {
		t.Errorf("odd units: %+v", gs)
	}
}
