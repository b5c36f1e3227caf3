package air

// PM25Budget answers "what may the rest of the year average and still meet
// the annual PM2.5 target?".
type PM25Budget struct {
	Feasible bool // the target can still be met
	Met      bool // already met with no days remaining
	// MaxMean is the highest mean of the remaining days's daily values (Conc
	// units, floored) for which the annual mean, rounded per GB/T 8170 to a
	// whole µg/m³, is still ≤ the target. NA when infeasible or no days remain.
	MaxMean   Conc
	MeanSoFar Conc // mean of the valid days so far, rounded to the Conc unit
	DaysSoFar int
	Remaining int
}

// BudgetPM25 computes the remaining-year PM2.5 budget from the valid daily
// values so far (missing values ignored), the number of remaining days
// (assumed all valid) and the annual target in Conc units (e.g. 35000 for
// 35 µg/m³; a whole µg/m³, as targets are set).
//
// The annual mean is the mean of all daily values (GB 3095-2026 §3.13),
// compared after GB/T 8170 rounding to a whole µg/m³: with T the target,
// rounded mean ≤ T ⇔ total ≤ (T + 0.5)·N, the equality allowed only when T is
// even (half to even rounds T + 0.5 down to T only for even T).
func BudgetPM25(daysSoFar []Conc, remaining int, target Conc) PM25Budget {
	var sum, n int64
	for _, c := range daysSoFar {
		if c >= 0 {
			sum += int64(c)
			n++
		}
	}
	b := PM25Budget{DaysSoFar: int(n), Remaining: remaining, MaxMean: NA, MeanSoFar: NA}
	if n > 0 {
		b.MeanSoFar = ratio{sum, n}.conc()
	}
	t := int64(target) / Scale
	total := n + int64(max(remaining, 0))
	if total == 0 {
		return b
	}
	// Largest allowed total in Conc units.
	allowed := (int64(target) + Scale/2) * total
	if t%2 == 1 {
		allowed--
	}
	if remaining <= 0 {
		b.Met = sum <= allowed
		b.Feasible = b.Met
		return b
	}
	left := allowed - sum
	if left < 0 {
		return b
	}
	b.Feasible = true
	b.MaxMean = Conc(left / int64(remaining))
	return b
}

// GoodDayBudget answers "how many of the remaining days may still be
// non-good and meet the good-day ratio target?".
type GoodDayBudget struct {
	Feasible   bool
	MaxBadDays int // non-good days still allowed among the remaining ones; -1 when infeasible
	RatioSoFar float64
	Remaining  int
}

// BudgetGoodDays computes the good-day-ratio budget. good and valid are the
// good days (AQI ≤ 100) and days with an AQI so far; remaining days are
// assumed valid. The target is in tenths of a percent (e.g. 850 for 85.0%);
// the ratio is compared after GB/T 8170 rounding to one decimal.
func BudgetGoodDays(good, valid, remaining int, targetTenths int) GoodDayBudget {
	b := GoodDayBudget{MaxBadDays: -1, Remaining: remaining}
	if valid > 0 {
		b.RatioSoFar = roundN(100*float64(good)/float64(valid), 1)
	}
	total := int64(valid + remaining)
	if total == 0 {
		return b
	}
	meets := func(g int64) bool {
		return roundDiv(1000*g, total) >= int64(targetTenths)
	}
	// The ratio falls as bad days rise: find the largest bad count that meets.
	for bad := remaining; bad >= 0; bad-- {
		if meets(int64(good + remaining - bad)) {
			b.Feasible = true
			b.MaxBadDays = bad
			return b
		}
	}
	return b
}

// HeavyDayBudget returns how many more heavily polluted days (AQI > 200)
// the year may have under a target maximum; negative when already exceeded.
func HeavyDayBudget(heavySoFar, targetMax int) int { return targetMax - heavySoFar }
