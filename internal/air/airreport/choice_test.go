package airreport

import (
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func TestChoiceOptions(t *testing.T) {
	for _, c := range []struct {
		name   string
		choice Choice
		want   Options
		err    string
	}{
		{"year", Choice{Year: 2025, Rules: "auto", Standard: "auto"}, Options{Period: chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}}, ""},
		{"month", Choice{Year: 2026, Month: 3, County: "371502", Rules: "2026", Standard: "2026-transition"},
			Options{Period: chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 3}, County: "371502", Rules: air.V2026, Standard: air.GB3095_2026Transition}, ""},
		{"quarter", Choice{Year: 2026, Quarter: 2, Rules: "2012", Standard: "2012"},
			Options{Period: chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 2}, Rules: air.V2012, Standard: air.GB3095_2012}, ""},
		{"no year", Choice{Rules: "auto", Standard: "auto"}, Options{}, "--year"},
		{"both", Choice{Year: 2026, Month: 1, Quarter: 1, Rules: "auto", Standard: "auto"}, Options{}, "not both"},
		{"month 13", Choice{Year: 2026, Month: 13, Rules: "auto", Standard: "auto"}, Options{}, "--month 13"},
		{"quarter 5", Choice{Year: 2026, Quarter: 5, Rules: "auto", Standard: "auto"}, Options{}, "--quarter 5"},
		{"rules", Choice{Year: 2026, Rules: "2019", Standard: "auto"}, Options{}, "--rules"},
		{"standard", Choice{Year: 2026, Rules: "auto", Standard: "1996"}, Options{}, "--standard"},
	} {
		got, err := c.choice.Options()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error naming %s", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}
