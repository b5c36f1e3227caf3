package air

import (
	"math"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Basis names how the base period of a year-on-year comparison (同比) is
// evaluated.
type Basis uint8

// Bases of a year-on-year comparison.
const (
	// ByDate (按日期): each day of the base period under the rules in
	// force on its own date (HJ 633-2012 before 2026-03-01, HJ 633-2026
	// from then).
	ByDate Basis = 1
	// SameBasis (同口径): each day of the base period under the rules of
	// the current period's corresponding day, so that both periods are
	// counted by the same rules.
	SameBasis Basis = 2
)

// String returns "by_date" or "same_basis".
func (b Basis) String() string {
	switch b {
	case ByDate:
		return "by_date"
	case SameBasis:
		return "same_basis"
	}
	return "?"
}

// SameBasisVersion is the rule version a base-period day starting at day is
// evaluated under on the same basis: that of the day one year later, the
// current period's corresponding day. A current period straddling
// 2026-03-01 (2026 Q1, the year 2026) is therefore mirrored day by day:
// 2025-01-01 … 2025-02-28 under HJ 633-2012 as 2026-01-01 … 2026-02-28
// were, 2025-03-01 on under HJ 633-2026. The current period itself is
// evaluated by date (each day under the rules of its date, HJ 633-2026
// from its date of entry into force), and the base period is made to count
// the same way. 29 February of a leap base year maps to 1 March
// (time.AddDate), i.e. under the rules of the current year's 1 March.
func SameBasisVersion(day time.Time) Version {
	return VersionAt(day.AddDate(1, 0, 0))
}

// VersionOn is the version a day of a period evaluated on basis b is
// evaluated under: by date for the current period and for ByDate; mirrored
// one year ahead for a base period on SameBasis.
func VersionOn(b Basis, day time.Time) Version {
	if b == SameBasis {
		return SameBasisVersion(day)
	}
	return VersionAt(day)
}

// YearChange is the change of a period's headline values against a base
// period: the comprehensive index and the PM2.5 mean as rates in percent
// (positive is worse), the good-day ratio in percentage points. OK flags
// say whether each was computable.
type YearChange struct {
	Index, PM25, GoodRatio       float64
	IndexOK, PM25OK, GoodRatioOK bool
}

// ChangeOf is the year-on-year change of cur against base.
func ChangeOf(cur, base *PeriodStats) YearChange {
	var ch YearChange
	if base.Index.Valid && cur.Index.Valid {
		ch.Index, ch.IndexOK = ChangeRate(cur.Index.Sum, base.Index.Sum)
	}
	if last, now := base.Pollutants[PM25].Mean, cur.Pollutants[PM25].Mean; last > 0 && now >= 0 {
		ch.PM25, ch.PM25OK = ChangeRate(float64(now), float64(last))
	}
	if base.AQIDays > 0 && cur.AQIDays > 0 {
		// Both ratios have one decimal: the difference is exact in tenths.
		ch.GoodRatio, ch.GoodRatioOK = math.Round((cur.GoodRatio-base.GoodRatio)*10)/10, true
	}
	return ch
}

// BaseDay is one day of the base period as hours, so that it can be
// evaluated under either rule set.
type BaseDay struct {
	Date  time.Time // 00:00 CST of the natural day
	Hours DayHours
}

// YearOnYear is a current period compared with the same period a year
// earlier both ways.
type YearOnYear struct {
	Current PeriodStats
	// BaseByDate and BaseSameBasis are the base period evaluated by date
	// and on the same basis; ChangeByDate and ChangeSameBasis the changes.
	BaseByDate, BaseSameBasis     PeriodStats
	ChangeByDate, ChangeSameBasis YearChange
}

// CompareYearOnYear evaluates the current period's days (already evaluated
// by date) and the base period's days both by date and on the same basis,
// all against the limits of std (the current period's), and returns both
// changes. The base period is period one year earlier.
func CompareYearOnYear(period chinatime.Period, cur []Day, base []BaseDay, std Standard) YearOnYear {
	bp := period.LastYear()
	byDate := make([]Day, len(base))
	same := make([]Day, len(base))
	for i := range base {
		b := &base[i]
		byDate[i] = publishedDay(b.Date, EvaluateDay(VersionOn(ByDate, b.Date), &b.Hours))
		same[i] = publishedDay(b.Date, EvaluateDay(VersionOn(SameBasis, b.Date), &b.Hours))
	}
	y := YearOnYear{
		Current:       Evaluate(period, cur, std),
		BaseByDate:    Evaluate(bp, byDate, std),
		BaseSameBasis: Evaluate(bp, same, std),
	}
	y.ChangeByDate = ChangeOf(&y.Current, &y.BaseByDate)
	y.ChangeSameBasis = ChangeOf(&y.Current, &y.BaseSameBasis)
	return y
}

// publishedDay is the day as the period statistics take it: the daily AQI
// only when it may be published (HJ 633-2026 §5.3.1).
func publishedDay(date time.Time, res DayResult) Day {
	aqi := -1
	if res.AQI.Publishable() {
		aqi = int(res.AQI.AQI)
	}
	return Day{Date: date, Values: res.Values, AQI: aqi}
}
