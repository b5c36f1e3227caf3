package air

import (
	"math"
	"slices"
)

// rankingS are the S_i of the 2018 city ranking rules (城市环境空气质量排名
// 技术规定, 环办监测〔2018〕19号): the GB 3095-2012 class-2 annual limits for
// SO2, NO2, PM10, PM2.5, the 24-h CO limit and the 8-h O3 limit. No rule
// re-basing them on GB 3095-2026 was found, so they apply to both.
var rankingS = [NumPollutants]Conc{SO2: 60 * Scale, NO2: 40 * Scale, CO: 4 * Scale, O3: 160 * Scale, PM10: 70 * Scale, PM25: 35 * Scale}

// CompositeIndex is the ambient air quality comprehensive index (环境空气
// 质量综合指数) of a period: I_sum = Σ I_i, I_i = C_i / S_i, where C_i is the
// period mean for SO2, NO2, PM10, PM2.5, the CO 95th percentile and the O3
// daily maximum 8-h 90th percentile. Larger is worse.
type CompositeIndex struct {
	Valid   bool                   // all six C_i available
	Single  [NumPollutants]float64 // I_i, 2 decimals
	Sum     float64                // I_sum, 2 decimals
	Largest Pollutant              // the pollutant with the largest I_i (首要污染物 of the index)
}

// CompositeIndexOf computes the comprehensive index from period statistics.
func CompositeIndexOf(st *PeriodStats) CompositeIndex {
	var c [NumPollutants]Conc
	for p := Pollutant(0); p < NumPollutants; p++ {
		ps := &st.Pollutants[p]
		c[p] = ps.Mean
		if p == CO || p == O3 {
			c[p] = ps.Percentile
		}
	}
	return CompositeIndexFrom(c)
}

// CompositeIndexFrom computes the index from the six C_i (rounded
// concentrations as reported).
func CompositeIndexFrom(c [NumPollutants]Conc) CompositeIndex {
	ci := CompositeIndex{Valid: true}
	var sum float64
	best := -1.0
	for p := Pollutant(0); p < NumPollutants; p++ {
		if c[p] < 0 {
			ci.Valid = false
			continue
		}
		x := float64(c[p]) / float64(rankingS[p])
		sum += x
		ci.Single[p] = roundN(x, 2)
		if x > best {
			best, ci.Largest = x, p
		}
	}
	ci.Sum = roundN(sum, 2)
	return ci
}

// ChangeRate returns the year-on-year change rate (同比变化率) in percent,
// 1 decimal: (current − last)/last × 100. ok is false when last is not
// positive. Positive is worse for an index or a concentration.
func ChangeRate(current, last float64) (float64, bool) {
	if !(last > 0) || math.IsNaN(current) {
		return 0, false
	}
	return roundN((current-last)/last*100, 1), true
}

// Rank returns competition ranks ("1, 2, 2, 4") of keys: equal keys tie
// (并列) and the next rank skips. ascending ranks the smallest key first (a
// comprehensive index, a concentration); otherwise the largest (a good-day
// ratio). Compare rounded reported values (e.g. the index in hundredths as
// int64) so that ties are the ties a reader sees.
func Rank(keys []int64, ascending bool) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := keys[a], keys[b]
		if !ascending {
			x, y = y, x
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	ranks := make([]int, len(keys))
	for pos, i := range idx {
		if pos > 0 && keys[i] == keys[idx[pos-1]] {
			ranks[i] = ranks[idx[pos-1]]
		} else {
			ranks[i] = pos + 1
		}
	}
	return ranks
}

// Hundredths converts a 2-decimal reported value to an int64 ranking key.
func Hundredths(x float64) int64 { return int64(math.Round(x * 100)) }

// MeanOf returns the arithmetic mean of the valid values (rounded to the
// Conc unit) and how many there were; NA when none. A city or county value
// is the mean over its evaluation stations (HJ 663-2013 §5.1: 城市点位的
// 算术平均).
func MeanOf(values []Conc) (Conc, int) {
	var sum, n int64
	for _, v := range values {
		if v >= 0 {
			sum += int64(v)
			n++
		}
	}
	if n == 0 {
		return NA, 0
	}
	return ratio{sum, n}.conc(), int(n)
}

// AverageHours returns the city (or county) hour: per pollutant the mean of
// the stations' valid 1-h values. City daily values and the city O3 8-h
// series are then computed from the city hours with EvaluateDay.
func AverageHours(stations []Hour) Hour {
	out := NewHour()
	buf := make([]Conc, len(stations))
	for p := Pollutant(0); p < NumPollutants; p++ {
		for i := range stations {
			buf[i] = stations[i].C[p]
		}
		out.C[p], _ = MeanOf(buf)
	}
	for i := range stations {
		buf[i] = stations[i].SO2_24h
	}
	out.SO2_24h, _ = MeanOf(buf)
	return out
}
