package model

import "time"

// Roll-up steps: the periods minute data is aggregated into.
const (
	RollupHour = "hour"
	RollupDay  = "day"
)

// Rollup is one factor's aggregate of a device's minute data (HJ 212 CN
// 2051) over an hour or a day of China Standard Time, kept by the store.
// Only minute values whose -Flag is absent or "N" (normal, HJ 212-2017
// table 8) are counted; the others are counted in Excluded.
type Rollup struct {
	MN string `json:"mn"`
	// Factor is the pollutant code, e.g. a21026, or the code with "-Zs"
	// (a21026-Zs) for its converted (折算) concentrations, the minutes'
	// -ZsAvg/-ZsMin/-ZsMax, which gas outlets' limits apply to.
	Factor string    `json:"factor"`
	Step   string    `json:"step"`  // RollupHour or RollupDay
	Start  time.Time `json:"start"` // start of the period (UTC; periods are CST hours and days)
	// N is the number of counted minutes with a -Avg: Avg is their mean
	// (a day's is the mean over all its minutes, not of its hours).
	N int `json:"n"`
	// Excluded is the number of minutes left out by their -Flag.
	Excluded int `json:"excluded"`
	// Min and Max are the extremes of the counted minutes' -Min and -Max
	// (their -Avg where a minute has none); Cou is the sum of their -Cou
	// (a cumulative quantity such as a discharge volume). Nil: no value.
	Avg *float64 `json:"avg,omitempty"`
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	Cou *float64 `json:"cou,omitempty"`
}
