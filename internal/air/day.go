package air

// Validity thresholds of GB 3095-2012 table 4 (identical in GB 3095-2026
// table 4).
const (
	MinHoursPerDay     = 20 // daily mean: at least 20 hourly means
	MinHoursPer8h      = 6  // 8-h O3 mean: at least 6 hourly means in the 8 hours
	MinDaysPerYear     = 324
	MinDaysPerMonth    = 27
	MinDaysInFebruary  = 25
	minO3WindowsPerDay = 14 // HJ 663-2013 (per air.md §4; from memory, not seen in the text)
	o3Windows          = 17 // 8-h windows ending 08:00 … 24:00
)

// o3DayLimit is the class-2 O3 daily maximum 8-h limit (160 µg/m³, the same
// in GB 3095-2012 and -2026); a day with too few 8-h windows still counts
// when its maximum exceeds it, since more data could only raise the maximum.
const o3DayLimit = 160 * Scale

// DayHours holds the 1-h means of one station (or city) for one natural day,
// indexed by the hour's start: C[p][0] is 00:00–01:00 (labelled 01:00 by
// CNEMC), C[p][23] is 23:00–24:00 (labelled 00:00 of the next day).
type DayHours struct {
	C [NumPollutants][24]Conc
}

// NewDayHours returns a DayHours with every hour missing.
func NewDayHours() DayHours {
	var d DayHours
	for p := range d.C {
		for h := range d.C[p] {
			d.C[p][h] = NA
		}
	}
	return d
}

// DayResult is the daily evaluation of one station-day.
type DayResult struct {
	Hours     [NumPollutants]int // valid hours per pollutant
	O3Windows int                // valid 8-h O3 windows ending 08:00 … 24:00
	// Values are the reported daily values, rounded per GB/T 8170 (whole
	// µg/m³, CO 0.1 mg/m³); NA where the validity rules are not met.
	Values DayValues
	AQI    Result
	// Excluded lists the pollutants whose daily value is invalid and why.
	Excluded [NumPollutants]Reason
}

// EvaluateDay computes the daily means (GB 3095 §3: mean of the 1-h values
// of a natural day, valid with ≥ 20 hours), the O3 daily maximum 8-h mean
// and maximum 1-h value (from any valid hours), and the daily AQI under
// version v.
//
// O3 8-h: the mean of the 8 hours ending at t, valid with ≥ 6 hours; the
// daily maximum is taken over the 17 windows ending 08:00 … 24:00 (GB
// 3095-2026 §3.10: within the natural day; HJ 663-2013), valid when ≥ 14
// windows are valid or, with fewer, when the maximum exceeds 160 µg/m³.
//
// The daily AQI is computed from the rounded means under both versions
// (HJ 633-2026 §4.2.2; for 2012 see dailyExact).
func EvaluateDay(v Version, d *DayHours) DayResult {
	var res DayResult
	var m dayMeans
	res.Values = NewDayValues()
	for p := Pollutant(0); p < NumPollutants; p++ {
		var sum, n int64
		for _, c := range d.C[p] {
			if c >= 0 {
				sum += int64(c)
				n++
			}
		}
		res.Hours[p] = int(n)
		if p == O3 {
			continue
		}
		if n < MinHoursPerDay {
			m.mean[p] = ratio{-1, 1}
			res.Excluded[p] = ReasonDayIncomplete
			continue
		}
		m.mean[p] = ratio{sum, n}
		res.Values.Mean[p] = m.mean[p].round(p.roundStep())
	}

	// O3 maximum 1-h value: the largest valid 1-h mean of the day. GB
	// 3095-2012 table 4 (and GB 3095-2026 table 4) sets a day's minimum of
	// 20 hourly values only for the 24-h means (SO2, NO2, CO, PM10, PM2.5,
	// NOx), 6 of 8 hours for the O3 8-h mean and 45 minutes for each 1-h
	// mean; it sets none for the O3 daily maximum 1-h value, and no other
	// text found (HJ 633-2012, HJ 663-2013 as quoted) does. So any valid
	// hour counts; Hours[O3] tells how many there were.
	o3 := &d.C[O3]
	m.o3max1h = NA
	for _, c := range o3 {
		if c > m.o3max1h {
			m.o3max1h = c
		}
	}
	res.Values.O3Max1h = m.o3max1h

	// O3 8-h windows: window w covers start hours w … w+7 (ends w+8:00).
	best := ratio{-1, 1}
	for w := 0; w < o3Windows; w++ {
		var sum, n int64
		for h := w; h < w+8; h++ {
			if o3[h] >= 0 {
				sum += int64(o3[h])
				n++
			}
		}
		if n < MinHoursPer8h {
			continue
		}
		res.O3Windows++
		if r := (ratio{sum, n}); best.num < 0 || best.less(r) {
			best = r
		}
	}
	switch {
	case best.num < 0:
		res.Excluded[O3] = ReasonO3DayIncomplete
	case res.O3Windows >= minO3WindowsPerDay, best.num > o3DayLimit*best.den:
		m.o3max8h = best
		res.Values.O3Max8h = best.round(1000)
	default:
		best = ratio{-1, 1}
		res.Excluded[O3] = ReasonO3DayIncomplete
	}
	m.o3max8h = best
	res.AQI = dailyExact(v, &m)
	return res
}
