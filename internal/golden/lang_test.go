package golden

import "testing"

// CheckLanguage flags English words in Chinese text and Han characters in
// English text, but not what is kept (names, symbols, units).
func TestCheckLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang, text string
		keep       []string
		bad        int
	}{
		{"zh", "细颗粒物 42 µg/m³\n全市 city", []string{"µg/m³"}, 1},
		{"zh", "状态 status.cannot_be_met", nil, 1},
		{"zh", "点位 A，PM2.5 42", []string{"PM2.5"}, 0},
		{"zh", "站 Liaocheng-1", []string{"Liaocheng-1"}, 0},
		{"en", "station 东昌府区\nstatus 已达标", []string{"东昌府区"}, 1},
		{"en", "no data", nil, 0},
	} {
		r := &recorder{TB: t}
		CheckLanguage(r, tc.lang, tc.text, tc.keep...)
		if len(r.errors) != tc.bad {
			t.Errorf("%s %q: %d errors %q, want %d", tc.lang, tc.text, len(r.errors), r.errors, tc.bad)
		}
	}
}
