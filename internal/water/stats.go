package water

import (
	"math"
	"sort"
	"time"
)

// Value is one measured value. When BelowDL is set, V is the detection limit
// (检出限) and the value counts as V/2.
type Value struct {
	V       Dec
	BelowDL bool
}

func (v Value) effective() Dec {
	if v.BelowDL {
		return halfDL(v.V)
	}
	return v.V
}

// Mean returns the mean of the values of one item, unrounded (round it with
// the assessment decimals before classifying, or classify with
// RoundAssessment). Values below the detection limit count as half the
// limit (2020 statistics rules, point 7). pH is averaged through the
// hydrogen-ion concentration: pH = -lg(mean(10^-pH)) (2020 statistics rules),
// not arithmetically. It returns false for no values.
func Mean(it Item, vs []Value) (Dec, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	if it == PH {
		var sum float64
		for _, v := range vs {
			sum += math.Pow(10, -v.effective().Float64())
		}
		return phFromH(sum / float64(len(vs))), true
	}
	// Sum in Dec: exact, no overflow below ~9e9 units in total.
	var sum Dec
	for _, v := range vs {
		sum += v.effective()
	}
	return divRound(sum, int64(len(vs))), true
}

// MeanPH averages pH values through the hydrogen-ion concentration.
func MeanPH(ph []Dec) (Dec, bool) {
	if len(ph) == 0 {
		return 0, false
	}
	var sum float64
	for _, p := range ph {
		sum += math.Pow(10, -p.Float64())
	}
	return phFromH(sum / float64(len(ph))), true
}

func phFromH(h float64) Dec {
	d, err := DecFromFloat(-math.Log10(h))
	if err != nil {
		return 0
	}
	// The logarithm is not exact: keep 6 decimals so that float noise in
	// the last digits cannot sit on a rounding half later.
	return d.Round(6)
}

// divRound divides with half-to-even rounding at the Dec resolution.
func divRound(sum Dec, n int64) Dec {
	q, r := int64(sum)/n, int64(sum)%n
	if r < 0 {
		r = -r
	}
	if 2*r > n || 2*r == n && q&1 != 0 {
		if sum < 0 {
			q--
		} else {
			q++
		}
	}
	return Dec(q)
}

// Reading is one timestamped value of one item at one section.
type Reading struct {
	Time time.Time
	Value
}

// YearMonth names a calendar month.
type YearMonth struct {
	Year  int
	Month time.Month
}

func ymOf(t time.Time) YearMonth { return YearMonth{t.Year(), t.Month()} }

func (a YearMonth) before(b YearMonth) bool {
	return a.Year < b.Year || a.Year == b.Year && a.Month < b.Month
}

// MonthMean is the mean of one item in one month.
type MonthMean struct {
	YearMonth
	Mean Dec
	N    int // number of readings
}

// MonthlyMeans groups readings of one item by calendar month, in the
// location of each reading's Time (pass China Standard Time), and returns
// the monthly means in month order. Monthly value = mean of the month's
// samples (环办〔2011〕22号 一(二)1; 2020 statistics rules).
func MonthlyMeans(it Item, rs []Reading) []MonthMean {
	groups := map[YearMonth][]Value{}
	for _, r := range rs {
		k := ymOf(r.Time)
		groups[k] = append(groups[k], r.Value)
	}
	out := make([]MonthMean, 0, len(groups))
	for k, vs := range groups {
		m, _ := Mean(it, vs)
		out = append(out, MonthMean{YearMonth: k, Mean: m, N: len(vs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].YearMonth.before(out[j].YearMonth) })
	return out
}

// PeriodMean returns the mean of the monthly means from..to inclusive:
// quarterly and annual values are the means of the monthly values, not of
// all samples (环办〔2011〕22号 一(二)2-3 as recorded in our notes from
// memory; only the section headings could be checked), so a month with many
// samples does not outweigh the others. pH monthly means are again averaged through [H+].
func PeriodMean(it Item, ms []MonthMean, from, to YearMonth) (Dec, bool) {
	vs := make([]Value, 0, 12)
	for _, m := range ms {
		if m.YearMonth.before(from) || to.before(m.YearMonth) {
			continue
		}
		vs = append(vs, Value{V: m.Mean})
	}
	return Mean(it, vs)
}

// QuarterMean returns the mean of the monthly means of quarter q (1..4).
func QuarterMean(it Item, ms []MonthMean, year, q int) (Dec, bool) {
	if q < 1 || q > 4 {
		return 0, false
	}
	first := time.Month(3*(q-1) + 1)
	return PeriodMean(it, ms, YearMonth{year, first}, YearMonth{year, first + 2})
}

// AnnualMean returns the mean of the monthly means of a year.
func AnnualMean(it Item, ms []MonthMean, year int) (Dec, bool) {
	return PeriodMean(it, ms, YearMonth{year, time.January}, YearMonth{year, time.December})
}
