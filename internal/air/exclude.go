package air

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Reason is why a value, hour or day was left out of a computation.
type Reason uint8

// Exclusion reasons.
const (
	ReasonNone             Reason = iota
	ReasonNegative                // a negative concentration
	ReasonImpossible              // above any physically plausible ambient value
	ReasonDuplicate               // the same station, hour and pollutant given twice
	ReasonFlagged                 // the data flag marks it invalid (maintenance, calibration, fault …)
	ReasonMissingHour             // no value for an hour of the day
	ReasonDayIncomplete           // fewer than 20 valid hours: no daily mean (GB 3095 table 4)
	ReasonWindowIncomplete        // fewer than 6 of 8 hours: no 8-h O3 mean (GB 3095 table 4)
	ReasonO3DayIncomplete         // too few valid 8-h O3 windows for a daily maximum (HJ 663)
	ReasonUnknownStation          // a station code not in the registry
	ReasonOutOfPeriod             // a day outside the period evaluated
	numReasons
)

var reasonNames = [numReasons]string{"", "negative", "impossible", "duplicate", "flagged", "missing_hour", "day_incomplete", "window_incomplete", "o3_day_incomplete", "unknown_station", "out_of_period"}

// String returns a stable snake_case name for reports and JSON.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// ceilings are values no ambient monitor reports outside instrument
// failure: well above the IAQI-500 limits and above the worst dust-storm and
// smog hours observed in China (PM10 1-h ~ 9,000 µg/m³ in dust storms).
var ceilings = [NumPollutants]Conc{
	SO2:  20000 * Scale,
	NO2:  10000 * Scale,
	CO:   200 * Scale,
	O3:   5000 * Scale,
	PM10: 20000 * Scale,
	PM25: 10000 * Scale,
}

// Check classifies a 1-h concentration: ReasonNone when usable, else why not.
// A missing value (NA) is ReasonMissingHour; negative values are never taken
// as zero.
func Check(p Pollutant, c Conc) Reason {
	switch {
	case c == NA:
		return ReasonMissingHour
	case c < 0:
		return ReasonNegative
	case p < NumPollutants && c > ceilings[p]:
		return ReasonImpossible
	}
	return ReasonNone
}

// Exclusion is one thing left out, with its reason.
type Exclusion struct {
	Station   string
	Time      time.Time // the hour's end label, or the day's start
	Pollutant Pollutant
	Reason    Reason
	Value     string // the offending text, when there was one
}

// Exclusions collects exclusions with counts per reason; List may be capped
// so a year of bad data does not hold millions of entries.
type Exclusions struct {
	Count   [numReasons]int
	List    []Exclusion
	MaxList int // 0 = keep all
}

// Add records x.
func (e *Exclusions) Add(x Exclusion) {
	e.Count[x.Reason]++
	if e.MaxList == 0 || len(e.List) < e.MaxList {
		e.List = append(e.List, x)
	}
}

// Total returns the number of exclusions recorded.
func (e *Exclusions) Total() int {
	n := 0
	for _, c := range e.Count {
		n += c
	}
	return n
}

// Summary returns the counts by reason name, omitting zero counts.
func (e *Exclusions) Summary() map[string]int {
	m := map[string]int{}
	for r, c := range e.Count {
		if c > 0 {
			m[Reason(r).String()] = c
		}
	}
	return m
}

// FormatCounts renders counts by key as "key=n ..." in key order (the
// exclusions' and invalid days' summaries).
func FormatCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
