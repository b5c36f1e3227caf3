package air

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Standard selects the limits of GB 3095.
type Standard uint8

// Limit sets.
const (
	GB3095_2012           Standard = 1 // GB 3095-2012 table 1
	GB3095_2026Transition Standard = 2 // GB 3095-2026 table 1, until 2030-12-31
	GB3095_2026           Standard = 3 // GB 3095-2026 table 1, from 2031-01-01
)

// String names the limit set.
func (s Standard) String() string {
	switch s {
	case GB3095_2012:
		return "GB 3095-2012"
	case GB3095_2026Transition:
		return "GB 3095-2026 (transition)"
	case GB3095_2026:
		return "GB 3095-2026"
	}
	return "?"
}

// StandardFor returns the limits in force at the end of a period (the last
// day evaluated): GB 3095-2012 before 2026-03-01, the 2026 transition limits
// to 2030-12-31, the final ones after. A period straddling 2026-03-01 is
// assessed against the standard in force when it is assessed; callers may
// override for what-if reports.
func StandardFor(lastDay time.Time) Standard {
	switch {
	case lastDay.Before(Cutover):
		return GB3095_2012
	case lastDay.Before(time.Date(2031, 1, 1, 0, 0, 0, 0, CST)):
		return GB3095_2026Transition
	}
	return GB3095_2026
}

// Limits are concentration limits (NA where the standard sets none).
// Daily[O3] is the daily maximum 8-h limit.
type Limits struct {
	Annual [NumPollutants]Conc
	Daily  [NumPollutants]Conc
}

func lim(annual, daily [NumPollutants]float64) Limits {
	var l Limits
	for p := range l.Annual {
		l.Annual[p], l.Daily[p] = NA, NA
		if annual[p] > 0 {
			l.Annual[p] = FromFloat(annual[p])
		}
		if daily[p] > 0 {
			l.Daily[p] = FromFloat(daily[p])
		}
	}
	return l
}

// Order of the arrays below: SO2, NO2, CO, O3, PM10, PM2.5.
var limitTable = map[[2]int]Limits{
	// GB 3095-2012 table 1.
	{int(GB3095_2012), 1}: lim([6]float64{20, 40, 0, 0, 40, 15}, [6]float64{50, 80, 4, 100, 50, 35}),
	{int(GB3095_2012), 2}: lim([6]float64{60, 40, 0, 0, 70, 35}, [6]float64{150, 80, 4, 160, 150, 75}),
	// GB 3095-2026 table 1, transition stage (to 2030-12-31).
	{int(GB3095_2026Transition), 1}: lim([6]float64{20, 40, 0, 0, 40, 15}, [6]float64{50, 80, 4, 100, 50, 35}),
	{int(GB3095_2026Transition), 2}: lim([6]float64{60, 40, 0, 0, 60, 30}, [6]float64{150, 80, 4, 160, 120, 60}),
	// GB 3095-2026 table 1, from 2031-01-01.
	{int(GB3095_2026), 1}: lim([6]float64{20, 30, 0, 0, 20, 10}, [6]float64{50, 50, 4, 100, 50, 25}),
	{int(GB3095_2026), 2}: lim([6]float64{20, 30, 0, 0, 50, 25}, [6]float64{50, 50, 4, 160, 100, 50}),
}

// LimitsOf returns the limits of a standard for a zone class (1: national
// parks, nature reserves …; 2: everything else).
func LimitsOf(s Standard, class int) (Limits, error) {
	l, ok := limitTable[[2]int{int(s), class}]
	if !ok {
		return Limits{}, fmt.Errorf("air: no limits for %v class %d", s, class)
	}
	return l, nil
}

// Percentile ranks per HJ 663-2013 §5 (annual evaluation statistics).
var percentileOf = [NumPollutants]int{SO2: 98, NO2: 98, CO: 95, O3: 90, PM10: 95, PM25: 95}

// PercentileRank returns the percentile HJ 663 evaluates p on.
func PercentileRank(p Pollutant) int { return percentileOf[p] }

// Percentile computes the p-th percentile of values per HJ 663-2013
// appendix A: sort ascending X(1) … X(n); k = 1 + (n−1)·p/100; s = ⌊k⌋;
// m = X(s) + (X(s+1) − X(s))·(k − s). The result is exact to the Conc unit
// (rounded half to even there). Missing values are ignored; ok is false
// when none remain. values is not modified.
func Percentile(values []Conc, p int) (Conc, bool) {
	xs := make([]Conc, 0, len(values))
	for _, v := range values {
		if v >= 0 {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 || p < 0 || p > 100 {
		return NA, false
	}
	slices.Sort(xs)
	n := int64(len(xs))
	// k − 1 = (n−1)·p/100 = whole + frac/100.
	kk := (n - 1) * int64(p)
	whole, frac := kk/100, kk%100
	lo := int64(xs[whole])
	if frac == 0 {
		return Conc(lo), true
	}
	hi := int64(xs[whole+1])
	return ratio{lo*100 + (hi-lo)*frac, 100}.conc(), true
}

// Day is one evaluated day of a station or city, as the period statistics
// take it.
type Day struct {
	Date   time.Time // 00:00 CST of the natural day
	Values DayValues // reported (rounded) daily values; NA where invalid
	AQI    int       // daily AQI; -1 when none was published
}

// MonthMinimum returns the valid daily values a month needs for the annual
// statistic (GB 3095 table 4): 27, or 25 in February.
func MonthMinimum(m time.Month) int {
	if m == time.February {
		return MinDaysInFebruary
	}
	return MinDaysPerMonth
}

// PollutantStats are the period statistics of one pollutant.
type PollutantStats struct {
	Pollutant Pollutant
	Days      int  // days with a valid daily value
	Complete  bool // the GB 3095 table 4 completeness rule for the period holds
	// Mean is the period mean of the daily values (monthly/quarterly/annual
	// mean = mean of daily means, GB 3095-2026 §3.11–3.13), rounded per
	// GB/T 8170. For O3 it is the mean of the daily maximum 8-h values.
	Mean       Conc
	Rank       int  // percentile rank: 98, 95 or 90
	Percentile Conc // HJ 663 appendix A, rounded per GB/T 8170
	Max        Conc
	ExceedDays int     // days above the daily limit
	ExceedRate float64 // percent of valid days above the daily limit, 1 decimal
	// Compliant: mean ≤ annual limit (SO2, NO2, PM10, PM2.5) and percentile
	// ≤ daily limit (all six). Only meaningful for a year (HJ 663 §5.3).
	Compliant bool
	// Multiples are exceedance multiples (C − S)/S, 2 decimals; 0 when C ≤ S.
	MeanMultiple       float64
	PercentileMultiple float64
}

// PeriodStats is the evaluation of one station or city over a period.
type PeriodStats struct {
	Period       chinatime.Period // a month, quarter, half or year
	Standard     Standard
	Pollutants   [NumPollutants]PollutantStats
	AQIDays      int     // days with a daily AQI
	GoodDays     int     // AQI ≤ 100 (优良)
	GoodRatio    float64 // 优良天数比例, percent, 1 decimal
	HeavyDays    int     // AQI > 200 (重污染)
	LevelDays    [7]int  // days per level 1–6
	PrimaryDays  [NumIndex]int
	Compliant    bool // all six pollutants compliant (years only)
	Index        CompositeIndex
	MonthsShort  []int // months below the 27/25-day minimum (any pollutant)
	Excluded     int   // days outside the period, ignored
	DuplicateDay int   // days given twice, second ignored
}

// round1 and round2 round a float for reporting per GB/T 8170 (half to even
// at 1e-9 tolerance so 12.25 stays 12.2 despite binary representation).
func roundN(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	y := x * p
	f := math.Floor(y)
	d := y - f
	switch {
	case d > 0.5+1e-9:
		f++
	case d >= 0.5-1e-9 && math.Mod(f, 2) != 0:
		f++
	}
	return f / p
}

func multiple(c, s Conc) float64 {
	if c <= s || s <= 0 {
		return 0
	}
	return roundN(float64(c-s)/float64(s), 2)
}

// Evaluate computes the statistics of period from days (of one station or
// city) against the limits of std for zone class 2. Days outside the period
// and repeated dates are ignored (counted in Excluded / DuplicateDay).
func Evaluate(period chinatime.Period, days []Day, std Standard) PeriodStats {
	st := PeriodStats{Period: period, Standard: std}
	limits, _ := LimitsOf(std, 2)
	start, end := period.Start(), period.End()
	seen := map[int64]bool{}
	var vals [NumPollutants][]Conc
	var perMonth [NumPollutants][13]int
	for i := range days {
		d := &days[i]
		if d.Date.Before(start) || !d.Date.Before(end) {
			st.Excluded++
			continue
		}
		key := d.Date.Unix()
		if seen[key] {
			st.DuplicateDay++
			continue
		}
		seen[key] = true
		for p := Pollutant(0); p < NumPollutants; p++ {
			c := d.Values.Mean[p]
			if p == O3 {
				c = d.Values.O3Max8h
			}
			if c >= 0 {
				vals[p] = append(vals[p], c)
				perMonth[p][d.Date.In(CST).Month()]++
			}
		}
		if d.AQI >= 0 {
			st.AQIDays++
			st.LevelDays[LevelOf(d.AQI).Number]++
			if Good(d.AQI) {
				st.GoodDays++
			}
			if HeavilyPolluted(d.AQI) {
				st.HeavyDays++
			}
		}
	}
	if st.AQIDays > 0 {
		st.GoodRatio = roundN(100*float64(st.GoodDays)/float64(st.AQIDays), 1)
	}
	short := map[int]bool{}
	st.Compliant = true
	for p := Pollutant(0); p < NumPollutants; p++ {
		ps := &st.Pollutants[p]
		ps.Pollutant = p
		ps.Rank = percentileOf[p]
		xs := vals[p]
		ps.Days = len(xs)
		ps.Mean, ps.Percentile, ps.Max = NA, NA, NA
		ps.Complete = completeness(period, ps.Days, &perMonth[p], short)
		if len(xs) == 0 {
			ps.Compliant = false
			st.Compliant = false
			continue
		}
		var sum int64
		for _, x := range xs {
			sum += int64(x)
			if x > ps.Max {
				ps.Max = x
			}
			if limits.Daily[p] >= 0 && x > limits.Daily[p] {
				ps.ExceedDays++
			}
		}
		ps.ExceedRate = roundN(100*float64(ps.ExceedDays)/float64(len(xs)), 1)
		step := p.roundStep()
		ps.Mean = ratio{sum, int64(len(xs))}.round(step)
		pc, _ := Percentile(xs, ps.Rank)
		ps.Percentile = p.Round(pc)
		ps.Compliant = ps.Complete
		if limits.Annual[p] >= 0 {
			ps.MeanMultiple = multiple(ps.Mean, limits.Annual[p])
			if ps.Mean > limits.Annual[p] {
				ps.Compliant = false
			}
		}
		if limits.Daily[p] >= 0 {
			ps.PercentileMultiple = multiple(ps.Percentile, limits.Daily[p])
			if ps.Percentile > limits.Daily[p] {
				ps.Compliant = false
			}
		}
		if !ps.Compliant {
			st.Compliant = false
		}
	}
	for m := range short {
		st.MonthsShort = append(st.MonthsShort, m)
	}
	slices.Sort(st.MonthsShort)
	if period.Kind != chinatime.Year {
		st.Compliant = false // annual compliance is defined for a year only
	}
	st.Index = CompositeIndexOf(&st)
	return st
}

// completeness applies GB 3095 table 4: a year needs ≥ 324 valid days and
// each month ≥ 27 (February ≥ 25); a month needs its own minimum; a
// quarter (or a half) each of its months.
func completeness(period chinatime.Period, n int, perMonth *[13]int, short map[int]bool) bool {
	if !period.Valid() {
		return false // no months to count (a year with N 0, say)
	}
	first, last := period.MonthSpan()
	ok := true
	for m := first; m <= last; m++ {
		if perMonth[m] < MonthMinimum(m) {
			ok = false
			short[int(m)] = true
		}
	}
	if period.Kind == chinatime.Year && n < MinDaysPerYear {
		ok = false
	}
	return ok
}
