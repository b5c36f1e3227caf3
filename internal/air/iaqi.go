package air

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Pollutant is one of the six basic evaluation items (HJ 663-2013 §4.2).
type Pollutant uint8

// The six basic pollutants.
const (
	SO2 Pollutant = iota
	NO2
	CO
	O3
	PM10
	PM25
	NumPollutants
)

var pollutantNames = [NumPollutants]string{"SO2", "NO2", "CO", "O3", "PM10", "PM2.5"}

// String returns the conventional name ("PM2.5", not "PM25").
func (p Pollutant) String() string {
	if p < NumPollutants {
		return pollutantNames[p]
	}
	return "?"
}

// ParsePollutant accepts the names used by CNEMC files and HJ 212 style
// spellings ("PM2.5", "PM25", "pm2_5", "O3", ...).
func ParsePollutant(s string) (Pollutant, bool) {
	switch s {
	case "SO2", "so2":
		return SO2, true
	case "NO2", "no2":
		return NO2, true
	case "CO", "co":
		return CO, true
	case "O3", "o3":
		return O3, true
	case "PM10", "pm10":
		return PM10, true
	case "PM2.5", "PM25", "pm2.5", "pm25", "pm2_5", "PM2_5":
		return PM25, true
	}
	return 0, false
}

// roundStep is the GB/T 8170 reporting precision of each pollutant in Conc
// units: whole µg/m³, CO to 0.1 mg/m³ (HJ 633-2026 §4.2.2; HJ 663-2013 §6).
func (p Pollutant) roundStep() int64 {
	if p == CO {
		return 100
	}
	return 1000
}

// Round rounds c to p's reporting precision per GB/T 8170.
func (p Pollutant) Round(c Conc) Conc { return RoundTo(c, p.roundStep()) }

// Version selects the rule set of HJ 633 (and the matching GB 3095).
type Version uint8

// Rule versions.
const (
	V2012 Version = 1 // HJ 633-2012, GB 3095-2012
	V2026 Version = 2 // HJ 633-2026, GB 3095-2026 (in force 2026-03-01)
)

// String returns "2012" or "2026".
func (v Version) String() string {
	switch v {
	case V2012:
		return "2012"
	case V2026:
		return "2026"
	}
	return "?"
}

// ParseVersion parses "2012" or "2026".
func ParseVersion(s string) (Version, bool) {
	switch s {
	case "2012":
		return V2012, true
	case "2026":
		return V2026, true
	}
	return 0, false
}

// CST is China Standard Time (UTC+8), the time zone of all Chinese
// environmental data. A fixed zone, not a tz database lookup, so the engine
// has no dependency on the host's zoneinfo.
var CST = chinatime.Zone

// Cutover is the instant HJ 633-2026 and GB 3095-2026 came into force.
var Cutover = time.Date(2026, 3, 1, 0, 0, 0, 0, CST)

// VersionAt returns the rule version for data of a period starting at start
// (an hour labelled 2026-03-01 00:00 ends then, so it started on 28 February
// and is evaluated under the 2012 rules).
func VersionAt(start time.Time) Version {
	if start.Before(Cutover) {
		return V2012
	}
	return V2026
}

// Index names one sub-index (分指数) slot of an AQI result. O3 has two: its
// 1-h value and its 8-h value are separate indicators, and CNEMC labels the
// primary pollutant 臭氧1小时 or 臭氧8小时 accordingly.
type Index uint8

// Sub-index slots.
const (
	ISO2 Index = iota
	INO2
	ICO
	IO3_1h
	IO3_8h
	IPM10
	IPM25
	NumIndex
)

var indexNames = [NumIndex]string{"SO2", "NO2", "CO", "O3_1h", "O3_8h", "PM10", "PM2.5"}
var indexChinese = [NumIndex]string{"二氧化硫", "二氧化氮", "一氧化碳", "臭氧1小时", "臭氧8小时", "颗粒物(PM10)", "细颗粒物(PM2.5)"}

// String returns the slot's short name ("O3_1h", "PM2.5").
func (i Index) String() string {
	if i < NumIndex {
		return indexNames[i]
	}
	return "?"
}

// Chinese returns the name CNEMC uses for the primary pollutant.
func (i Index) Chinese() string {
	if i < NumIndex {
		return indexChinese[i]
	}
	return "?"
}

// Set is a set of Index slots.
type Set uint8

// Has reports whether i is in s.
func (s Set) Has(i Index) bool { return s&(1<<i) != 0 }

// With returns s ∪ {i}.
func (s Set) With(i Index) Set { return s | 1<<i }

// Slice returns the members of s in slot order.
func (s Set) Slice() []Index {
	var out []Index
	for i := Index(0); i < NumIndex; i++ {
		if s.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// Strings returns the names of the members of s in slot order.
func (s Set) Strings() []string {
	out := []string{}
	for _, i := range s.Slice() {
		out = append(out, i.String())
	}
	return out
}

// table is one column of the IAQI breakpoint table: concentration limits
// (in Conc units) for IAQI 0, 50, 100, 150, 200, 300, 400, 500; n is the
// number of limits used (the SO2 1-h and O3 8-h columns stop early).
type table struct {
	bp [8]int64
	n  int
}

// iaqiSteps are the IAQI values of the rows of HJ 633 table 1 (2012) /
// table 3 (2026).
var iaqiSteps = [8]int64{0, 50, 100, 150, 200, 300, 400, 500}

func tab(v ...int64) table {
	var t table
	for i, x := range v {
		t.bp[i] = x * Scale
	}
	t.n = len(v)
	return t
}

// Indicator is one column of the breakpoint table.
type Indicator uint8

// Indicators (columns of HJ 633-2012 table 1 / HJ 633-2026 table 3).
const (
	SO2_24h Indicator = iota
	SO2_1h
	NO2_24h
	NO2_1h
	PM10_24h
	CO_24h
	CO_1h
	O3_1h
	O3_8h
	PM25_24h
	NumIndicators
)

var indicatorNames = [NumIndicators]string{"SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h", "PM10_24h", "CO_24h", "CO_1h", "O3_1h", "O3_8h", "PM25_24h"}

// String returns the indicator's name.
func (ind Indicator) String() string {
	if ind < NumIndicators {
		return indicatorNames[ind]
	}
	return "?"
}

// tables2012 is HJ 633-2012 table 1. Units µg/m³, CO mg/m³.
var tables2012 = [NumIndicators]table{
	SO2_24h:  tab(0, 50, 150, 475, 800, 1600, 2100, 2620),
	SO2_1h:   tab(0, 150, 500, 650, 800), // note 2: above 800 no 1-h IAQI
	NO2_24h:  tab(0, 40, 80, 180, 280, 565, 750, 940),
	NO2_1h:   tab(0, 100, 200, 700, 1200, 2340, 3090, 3840),
	PM10_24h: tab(0, 50, 150, 250, 350, 420, 500, 600),
	CO_24h:   tab(0, 2, 4, 14, 24, 36, 48, 60),
	CO_1h:    tab(0, 5, 10, 35, 60, 90, 120, 150),
	O3_1h:    tab(0, 160, 200, 300, 400, 800, 1000, 1200),
	O3_8h:    tab(0, 100, 160, 215, 265, 800), // note 3: above 800 no 8-h IAQI
	PM25_24h: tab(0, 35, 75, 115, 150, 250, 350, 500),
}

// tables2026 is HJ 633-2026 table 3: the 2012 table with the IAQI-100
// limits of PM10 lowered 150 → 120 and of PM2.5 lowered 75 → 60.
var tables2026 = func() [NumIndicators]table {
	t := tables2012
	t[PM10_24h] = tab(0, 50, 120, 250, 350, 420, 500, 600)
	t[PM25_24h] = tab(0, 35, 60, 115, 150, 250, 350, 500)
	return t
}()

// Breakpoints returns the concentration limits (µg/m³, CO mg/m³) of one
// column of the table of version v, for IAQI 0, 50, 100, 150, 200, 300, 400,
// 500 (shorter for SO2 1-h and O3 8-h).
func Breakpoints(v Version, ind Indicator) []float64 {
	t := tablesFor(v)[ind]
	out := make([]float64, t.n)
	for i := range t.n {
		out[i] = float64(t.bp[i]) / Scale
	}
	return out
}

func tablesFor(v Version) *[NumIndicators]table {
	if v == V2026 {
		return &tables2026
	}
	return &tables2012
}

// Over-the-table outcomes of iaqi.
const (
	iaqiNone   = -1 // no value
	iaqiAbove  = -2 // above the column's last limit
	iaqiCapped = 500
)

// iaqiRatio computes HJ 633 eq. 1 for the concentration num/den (Conc units)
// and rounds up (HJ 633-2012 §6.2, HJ 633-2026 §4.2.6):
//
//	IAQI = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo) × (C − BP_Lo) + IAQI_Lo.
//
// IAQI_Lo is an integer, so ceil(IAQI_Lo + x) = IAQI_Lo + ceil(x), and x is
// the exact fraction (ΔI·(num − BP_Lo·den)) / (ΔBP·den). Returns iaqiAbove
// above the last limit of the column.
func (t *table) iaqiRatio(num, den int64) int64 {
	if num < 0 {
		return iaqiNone
	}
	for i := 1; i < t.n; i++ {
		hi := t.bp[i]
		if num <= hi*den {
			lo := t.bp[i-1]
			di := iaqiSteps[i] - iaqiSteps[i-1]
			n := di * (num - lo*den)
			d := (hi - lo) * den
			return iaqiSteps[i-1] + (n+d-1)/d
		}
	}
	return iaqiAbove
}

// iaqi is iaqiRatio for a plain Conc; the hot path of the hourly AQI.
func (t *table) iaqi(c int64) int64 {
	if c < 0 {
		return iaqiNone
	}
	for i := 1; i < t.n; i++ {
		hi := t.bp[i]
		if c <= hi {
			lo := t.bp[i-1]
			di := iaqiSteps[i] - iaqiSteps[i-1]
			d := hi - lo
			return iaqiSteps[i-1] + (di*(c-lo)+d-1)/d
		}
	}
	return iaqiAbove
}

// IAQI returns the individual air quality index of a concentration for one
// indicator under version v, rounded up, and ok=false when c is missing. It
// applies each version's rules above the table:
//   - SO2 1-h above 800 µg/m³: 2012 note 2 computes no 1-h IAQI (ok=false;
//     the caller falls back to the 24-h value), 2026 footnote b gives 200;
//   - O3 8-h above 800 µg/m³: 2012 note 3 computes no 8-h IAQI (ok=false; the
//     1-h value is used), 2026 footnote c gives 300;
//   - any other column above its IAQI-500 limit: 500. The standards say
//     nothing there; capping at the top of the scale is common practice and
//     keeps the AQI within its published range 0–500 (HJ 633-2026 §4.1.1).
func IAQI(v Version, ind Indicator, c Conc) (int, bool) {
	if ind >= NumIndicators {
		return 0, false
	}
	x := tablesFor(v)[ind].iaqi(int64(c))
	return resolveAbove(v, ind, x)
}

func resolveAbove(v Version, ind Indicator, x int64) (int, bool) {
	switch x {
	case iaqiNone:
		return 0, false
	case iaqiAbove:
		switch {
		case ind == SO2_1h && v == V2012, ind == O3_8h && v == V2012:
			return 0, false
		case ind == SO2_1h:
			return 200, true
		case ind == O3_8h:
			return 300, true
		}
		return iaqiCapped, true
	}
	return int(x), true
}

// iaqiMean is IAQI for an exact mean.
func iaqiMean(v Version, ind Indicator, m ratio) (int, bool) {
	return resolveAbove(v, ind, tablesFor(v)[ind].iaqiRatio(m.num, m.den))
}
