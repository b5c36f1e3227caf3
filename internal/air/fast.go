package air

import "math/bits"

// The hourly AQI is the hot path (a year of 2,000 stations is 17.5 million
// station-hours). Its divisions by the constant segment widths are done by
// multiplying with a precomputed reciprocal: for 0 ≤ n < 2³² and 0 < d < 2³²,
// ⌊n/d⌋ = hi64(M·n) with M = ⌊(2⁶⁴−1)/d⌋ + 1 (Lemire, Kaser & Kurz, "Faster
// remainder by direct computation", 2019), which is exact. Every numerator
// here is below 100 × 3,840,000 (the widest IAQI step times the highest
// in-table concentration), far below 2³².

type seg struct {
	hi   int64  // upper limit (Conc units)
	lo   int64  // lower limit
	base int64  // IAQI at lo
	di   int64  // IAQI step of the segment
	d    int64  // hi − lo
	m    uint64 // reciprocal of d
}

type fastTable struct {
	segs [7]seg
	n    int
}

func makeFast(t *table) fastTable {
	var f fastTable
	for i := 1; i < t.n; i++ {
		d := t.bp[i] - t.bp[i-1]
		f.segs[i-1] = seg{hi: t.bp[i], lo: t.bp[i-1], base: iaqiSteps[i-1], di: iaqiSteps[i] - iaqiSteps[i-1], d: d, m: ^uint64(0)/uint64(d) + 1}
	}
	f.n = t.n - 1
	return f
}

// fastHourly holds, per version, the hourly table of each pollutant.
var fastHourly = func() (out [3][NumPollutants]fastTable) {
	for _, v := range []Version{V2012, V2026} {
		for p := range NumPollutants {
			out[v][p] = makeFast(&tablesFor(v)[hourlySlots[p].ind])
		}
	}
	return out
}()

// iaqi returns the rounded-up IAQI of c ≥ 0, or iaqiAbove.
func (f *fastTable) iaqi(c int64) int64 {
	for i := 0; i < f.n; i++ {
		s := &f.segs[i]
		if c <= s.hi {
			n := uint64(s.di*(c-s.lo) + s.d - 1)
			q, _ := bits.Mul64(s.m, n)
			return s.base + int64(q)
		}
	}
	return iaqiAbove
}
