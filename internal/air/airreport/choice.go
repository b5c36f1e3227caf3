package airreport

import (
	"errors"
	"fmt"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Choice is a report as the command line names it: a year, or one month
// or quarter of it, a county, and the rule version and GB 3095 limits by
// name ("auto": by date).
type Choice struct {
	Year, Month, Quarter int
	County               string
	Rules, Standard      string
}

var standards = map[string]air.Standard{"auto": 0, "2012": air.GB3095_2012, "2026-transition": air.GB3095_2026Transition, "2026": air.GB3095_2026}

// ParseRules reads a rule version: auto (0: by date), 2012 or 2026.
func ParseRules(s string) (air.Version, error) {
	if s == "auto" {
		return 0, nil
	}
	v, ok := air.ParseVersion(s)
	if !ok {
		return 0, fmt.Errorf("--rules %q: want auto, 2012 or 2026", s)
	}
	return v, nil
}

// Options checks the choice and returns the report's options; every
// error names the flag at fault.
func (c Choice) Options() (Options, error) {
	o := Options{County: c.County}
	if c.Year < 2000 || c.Year > 2100 {
		return o, errors.New("--year YYYY is required (2000-2100)")
	}
	switch {
	case c.Month != 0 && c.Quarter != 0:
		return o, errors.New("give --month or --quarter, not both")
	case c.Month != 0:
		if c.Month < 1 || c.Month > 12 {
			return o, fmt.Errorf("--month %d: want 1-12", c.Month)
		}
		o.Period = chinatime.Period{Kind: chinatime.Month, Year: c.Year, N: c.Month}
	case c.Quarter != 0:
		if c.Quarter < 1 || c.Quarter > 4 {
			return o, fmt.Errorf("--quarter %d: want 1-4", c.Quarter)
		}
		o.Period = chinatime.Period{Kind: chinatime.Quarter, Year: c.Year, N: c.Quarter}
	default:
		o.Period = chinatime.Period{Kind: chinatime.Year, Year: c.Year, N: 1}
	}
	var err error
	if o.Rules, err = ParseRules(c.Rules); err != nil {
		return o, err
	}
	s, ok := standards[c.Standard]
	if !ok {
		return o, fmt.Errorf("--standard %q: want auto, 2012, 2026-transition or 2026", c.Standard)
	}
	o.Standard = s
	return o, nil
}
