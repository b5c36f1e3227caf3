package factors

import "testing"

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range All() {
		if seen[f.Code] {
			t.Errorf("%s listed twice", f.Code)
		}
		seen[f.Code] = true
		if f.Zh == "" || f.En == "" {
			t.Errorf("%s lacks a name: %+v", f.Code, f)
		}
		if len(f.Code) != 6 || (f.Code[0] != 'a' && f.Code[0] != 'w') {
			t.Errorf("%s is not a 2017 code", f.Code)
		}
	}
	cases := []struct{ code, lang, name, label, unit string }{
		{"a21002", "zh", "氮氧化物", "氮氧化物 (a21002)", "mg/m³"},
		{"a21002", "en", "NOx", "NOx (a21002)", "mg/m³"},
		{"a21026", "zh", "二氧化硫", "二氧化硫 (a21026)", "mg/m³"},
		{"w01018", "zh", "化学需氧量", "化学需氧量 (w01018)", "mg/L"},
		{"w01001", "en", "pH", "pH (w01001)", ""},
		{"a34013", "zh", "烟尘", "烟尘 (a34013)", "mg/m³"},
		{"x99999", "zh", "x99999", "x99999", ""},
	}
	for _, c := range cases {
		if got := Name(c.code, c.lang); got != c.name {
			t.Errorf("Name(%s,%s) = %q, want %q", c.code, c.lang, got, c.name)
		}
		if got := Label(c.code, c.lang); got != c.label {
			t.Errorf("Label(%s,%s) = %q, want %q", c.code, c.lang, got, c.label)
		}
		if got := Unit(c.code); got != c.unit {
			t.Errorf("Unit(%s) = %q, want %q", c.code, got, c.unit)
		}
	}
}

func TestWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{DisplayUnit("mg/m3"), "mg/m³"}, {DisplayUnit("ug/m3"), "μg/m³"}, {DisplayUnit("mg/L"), "mg/L"},
		{Field("ZsAvg", "zh"), "折算均值"}, {Field("Avg", "en"), "mean"}, {Field("Odd", "zh"), "Odd"},
		{Period("hour", "zh"), "小时"}, {Period("2061", "en"), "hourly"}, {Period("week", "zh"), "week"},
		{Flag("D", "zh"), "故障"}, {Flag("N", "en"), "normal"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
