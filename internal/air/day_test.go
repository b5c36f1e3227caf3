package air

import (
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func fullDay(v float64) DayHours {
	d := NewDayHours()
	for p := range d.C {
		for h := range d.C[p] {
			d.C[p][h] = FromFloat(v)
		}
	}
	return d
}

func TestDayValidity(t *testing.T) {
	for _, n := range []int{19, 20} {
		d := fullDay(30)
		for h := n; h < 24; h++ {
			d.C[PM25][h] = NA
		}
		r := EvaluateDay(V2012, &d)
		valid := r.Values.Mean[PM25] >= 0
		if valid != (n >= 20) || r.Hours[PM25] != n {
			t.Errorf("%d hours: valid=%v hours=%d", n, valid, r.Hours[PM25])
		}
		if n == 19 && (r.Excluded[PM25] != ReasonDayIncomplete || !r.AQI.Missing.Has(IPM25)) {
			t.Errorf("19 hours: excluded %v missing %v", r.Excluded[PM25], r.AQI.Missing)
		}
	}
}

func TestDailyMeanRounding(t *testing.T) {
	// 12 hours of 75 and 12 of 76: mean 75.5 → reported 76 (GB/T 8170, 75 odd → up).
	d := fullDay(10)
	for h := range 24 {
		d.C[PM25][h] = FromFloat(75 + float64(h%2))
	}
	r12 := EvaluateDay(V2012, &d)
	if r12.Values.Mean[PM25] != 76000 {
		t.Fatalf("mean %v", r12.Values.Mean[PM25])
	}
	// 2012: IAQI from the reported 76 as well: 100 + 50·1/40 = 101.25 → 102.
	if r12.AQI.IAQI[IPM25] != 102 {
		t.Errorf("2012 IAQI %d", r12.AQI.IAQI[IPM25])
	}
	// 2026: from the rounded 76 on the 2026 table: 100 + 50·16/55 = 114.5 → 115.
	r26 := EvaluateDay(V2026, &d)
	if r26.AQI.IAQI[IPM25] != 115 {
		t.Errorf("2026 IAQI %d", r26.AQI.IAQI[IPM25])
	}
}

// The daily PM10 edge at the class-2 limit of 150 µg/m³ under the 2012
// rules: the IAQI is computed from the reported (rounded) daily mean, so a
// day reported as 150 is neither an exceedance day nor above IAQI 100.
func TestDailyPM10LimitEdge2012(t *testing.T) {
	cases := []struct {
		last     float64 // 23 hours of 150 and this one
		reported Conc
		iaqi     int16
		exceeds  bool
	}{
		{150, 150000, 100, false},
		{159.6, 150000, 100, false}, // mean 150.4 → 150
		{162, 150000, 100, false},   // mean 150.5 → 150 (GB/T 8170: half to even)
		{174, 151000, 101, true},    // mean 151.0 → 151: 100 + 50·1/100 = 100.5 → 101
		{163.2, 151000, 101, true},  // mean 150.55 → 151
		{126, 149000, 100, false},   // mean 149.0: 50 + 50·99/100 = 99.5 → 100
	}
	for _, c := range cases {
		d := fullDay(10)
		for h := range 23 {
			d.C[PM10][h] = FromFloat(150)
		}
		d.C[PM10][23] = FromFloat(c.last)
		r := EvaluateDay(V2012, &d)
		if r.Values.Mean[PM10] != c.reported || r.AQI.IAQI[IPM10] != c.iaqi || r.AQI.Exceeding().Has(IPM10) != c.exceeds {
			t.Errorf("last hour %v: reported %v IAQI %d exceeding %v; want %v %d %v",
				c.last, r.Values.Mean[PM10], r.AQI.IAQI[IPM10], r.AQI.Exceeding().Has(IPM10), c.reported, c.iaqi, c.exceeds)
		}
		if d := Daily(V2012, &r.Values); d.IAQI[IPM10] != c.iaqi {
			t.Errorf("last hour %v: Daily from the reported values gives IAQI %d, EvaluateDay %d", c.last, d.IAQI[IPM10], c.iaqi)
		}
	}
}

func TestDailyIndicators(t *testing.T) {
	d := fullDay(10)
	for h := range 24 {
		d.C[O3][h] = FromFloat(20)
	}
	d.C[O3][14] = FromFloat(400) // one 1-h spike: O3 1-h IAQI 200
	r12 := EvaluateDay(V2012, &d)
	if r12.AQI.IAQI[IO3_1h] != 200 || r12.AQI.AQI != 200 || !r12.AQI.Primary.Has(IO3_1h) {
		t.Errorf("2012 daily should count the O3 1-h maximum: %+v", r12.AQI)
	}
	r26 := EvaluateDay(V2026, &d)
	// 2026: no O3 1-h indicator; 8-h max = (7·20+400)/8 = 67.5 → 68 → 34.
	if r26.AQI.IAQI[IO3_1h] != -1 || r26.Values.O3Max8h != 68000 || r26.AQI.IAQI[IO3_8h] != 34 {
		t.Errorf("2026 daily: %+v O3 8h %v", r26.AQI, r26.Values.O3Max8h)
	}
}

func TestO3Windows(t *testing.T) {
	// Window validity: 6 of 8 hours. Leave hours 0..2 missing: window ending
	// 08:00 has 5 hours (invalid), ending 09:00 has 6 (valid).
	d := fullDay(50)
	for h := range 3 {
		d.C[O3][h] = NA
	}
	r := EvaluateDay(V2012, &d)
	if r.O3Windows != 16 {
		t.Errorf("windows %d want 16", r.O3Windows)
	}
	// Windows end 08:00 … 24:00 only: a peak at 00:00–01:00 of the day is in
	// the first window, the next day's hours are not included at all.
	d = fullDay(50)
	d.C[O3][0] = FromFloat(130) // window 00–08 mean = (130+7·50)/8 = 60
	r = EvaluateDay(V2012, &d)
	if r.Values.O3Max8h != 60000 {
		t.Errorf("max 8h %v", r.Values.O3Max8h)
	}
	// Fewer than 14 valid windows: invalid unless the maximum exceeds 160.
	d = fullDay(50)
	for h := 10; h < 24; h++ {
		d.C[O3][h] = NA
	}
	if r = EvaluateDay(V2012, &d); r.Values.O3Max8h != NA || r.Excluded[O3] != ReasonO3DayIncomplete {
		t.Errorf("too few windows: %v %v (windows %d)", r.Values.O3Max8h, r.Excluded[O3], r.O3Windows)
	}
	for h := range 10 {
		d.C[O3][h] = FromFloat(200)
	}
	if r = EvaluateDay(V2012, &d); r.Values.O3Max8h != 200000 {
		t.Errorf("exceeding max with few windows should count: %v", r.Values.O3Max8h)
	}
}

func TestPercentile(t *testing.T) {
	c := func(xs ...float64) []Conc {
		out := make([]Conc, len(xs))
		for i, x := range xs {
			out[i] = FromFloat(x)
		}
		return out
	}
	cases := []struct {
		xs   []Conc
		p    int
		want float64
	}{
		// n=5, p=90: k = 1 + 4·0.9 = 4.6, s=4: X4 + 0.6·(X5−X4) = 40 + 6 = 46.
		{c(50, 10, 40, 20, 30), 90, 46},
		// n=10, p=95: k = 1 + 9·0.95 = 9.55: X9 + 0.55·(X10−X9) = 90 + 5.5.
		{c(10, 20, 30, 40, 50, 60, 70, 80, 90, 100), 95, 95.5},
		// n=10, p=98: k = 9.82: 90 + 0.82·10 = 98.2.
		{c(10, 20, 30, 40, 50, 60, 70, 80, 90, 100), 98, 98.2},
		// n=1: the value itself; p=100: the maximum; p=0: the minimum.
		{c(42), 95, 42}, {c(1, 2, 3), 100, 3}, {c(1, 2, 3), 0, 1},
		// missing values are ignored: n=3 (1,2,3), p=50: k=2 → 2.
		{append(c(3, 1, 2), NA), 50, 2},
	}
	for _, tc := range cases {
		got, ok := Percentile(tc.xs, tc.p)
		if !ok || got != FromFloat(tc.want) {
			t.Errorf("Percentile(%v, %d) = %v want %v", tc.xs, tc.p, got, tc.want)
		}
	}
	if _, ok := Percentile([]Conc{NA}, 90); ok {
		t.Error("no values should not give a percentile")
	}
}

// yearDays builds daily records for a year with n valid days per month
// taken from counts (missing days have all-NA values).
func yearDays(year int, counts [12]int, v float64) []Day {
	var out []Day
	for m := 1; m <= 12; m++ {
		first := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, CST)
		for d := 0; d < counts[m-1]; d++ {
			dv := NewDayValues()
			for p := range dv.Mean {
				dv.Mean[p] = FromFloat(v)
			}
			dv.Mean[CO] = FromFloat(1)
			dv.O3Max8h = FromFloat(v)
			out = append(out, Day{Date: first.AddDate(0, 0, d), Values: dv, AQI: 50})
		}
	}
	return out
}

func TestCompleteness(t *testing.T) {
	full := [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	cases := []struct {
		name   string
		period chinatime.Period
		counts [12]int
		want   bool
	}{
		{"month 27", chinatime.Period{Kind: chinatime.Month, Year: 2025, N: 3}, [12]int{2: 27}, true},
		{"month 26", chinatime.Period{Kind: chinatime.Month, Year: 2025, N: 3}, [12]int{2: 26}, false},
		{"feb 25", chinatime.Period{Kind: chinatime.Month, Year: 2025, N: 2}, [12]int{1: 25}, true},
		{"feb 24", chinatime.Period{Kind: chinatime.Month, Year: 2025, N: 2}, [12]int{1: 24}, false},
		{"year 324", chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, [12]int{27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 29}, true},
		{"year 323", chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, [12]int{27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 28}, false},
		{"year full but a short month", chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, func() [12]int { c := full; c[5] = 26; return c }(), false},
		{"quarter", chinatime.Period{Kind: chinatime.Quarter, Year: 2025, N: 1}, [12]int{27, 25, 27}, true},
		{"quarter 4, December short", chinatime.Period{Kind: chinatime.Quarter, Year: 2025, N: 4}, [12]int{9: 27, 10: 27, 11: 26}, false},
		{"half", chinatime.Period{Kind: chinatime.Half, Year: 2025, N: 2}, [12]int{6: 27, 7: 27, 8: 27, 9: 27, 10: 27, 11: 27}, true},
		{"half, a short month", chinatime.Period{Kind: chinatime.Half, Year: 2025, N: 1}, [12]int{27, 24, 27, 27, 27, 27}, false},
		{"not a period", chinatime.Period{Kind: chinatime.Year, Year: 2025}, full, false},
	}
	for _, c := range cases {
		st := Evaluate(c.period, yearDays(c.period.Year, c.counts, 20), GB3095_2012)
		if got := st.Pollutants[PM25].Complete; got != c.want {
			t.Errorf("%s: complete=%v want %v (days %d, short %v)", c.name, got, c.want, st.Pollutants[PM25].Days, st.MonthsShort)
		}
	}
	// Leap year: 29 February is a day of the year and of the month.
	leap := [12]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	st := Evaluate(chinatime.Period{Kind: chinatime.Year, Year: 2024, N: 1}, yearDays(2024, leap, 20), GB3095_2012)
	if st.Pollutants[PM25].Days != 366 || st.Period.Days() != 366 {
		t.Errorf("leap year days %d / %d", st.Pollutants[PM25].Days, st.Period.Days())
	}
	if (chinatime.Period{Kind: chinatime.Month, Year: 2024, N: 2}).Days() != 29 || (chinatime.Period{Kind: chinatime.Month, Year: 2025, N: 2}).Days() != 28 {
		t.Error("february length")
	}
}

func TestEvaluateCompliance(t *testing.T) {
	full := [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	days := yearDays(2025, full, 33) // PM2.5 annual 33 ≤ 35 (2012) but > 30 (2026 transition)
	st12 := Evaluate(chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, days, GB3095_2012)
	if !st12.Pollutants[PM25].Compliant {
		t.Error("2012: PM2.5 33 should comply")
	}
	st26 := Evaluate(chinatime.Period{Kind: chinatime.Year, Year: 2025, N: 1}, days, GB3095_2026Transition)
	ps := st26.Pollutants[PM25]
	if ps.Compliant || ps.MeanMultiple != 0.1 {
		t.Errorf("2026 transition: PM2.5 33 vs 30: compliant %v multiple %v", ps.Compliant, ps.MeanMultiple)
	}
	if st12.GoodRatio != 100 || st12.GoodDays != 365 {
		t.Errorf("good days %d ratio %v", st12.GoodDays, st12.GoodRatio)
	}
}

func TestStandardFor(t *testing.T) {
	cases := []struct {
		t    time.Time
		want Standard
	}{
		{time.Date(2026, 2, 28, 0, 0, 0, 0, CST), GB3095_2012},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, CST), GB3095_2026Transition},
		{time.Date(2030, 12, 31, 0, 0, 0, 0, CST), GB3095_2026Transition},
		{time.Date(2031, 1, 1, 0, 0, 0, 0, CST), GB3095_2026},
	}
	for _, c := range cases {
		if got := StandardFor(c.t); got != c.want {
			t.Errorf("StandardFor(%v) = %v want %v", c.t, got, c.want)
		}
	}
	// An hour labelled 2026-03-01 00:00 started on 28 February: 2012 rules.
	if VersionAt(time.Date(2026, 2, 28, 23, 0, 0, 0, CST)) != V2012 || VersionAt(Cutover) != V2026 {
		t.Error("VersionAt around the cutover")
	}
}

func TestCompositeIndexAndRank(t *testing.T) {
	// SO2 6/60 + NO2 20/40 + CO 1.2/4 + O3 160/160 + PM10 70/70 + PM2.5 35/35
	// = 0.1 + 0.5 + 0.3 + 1 + 1 + 1 = 3.9.
	ci := CompositeIndexFrom([NumPollutants]Conc{SO2: 6000, NO2: 20000, CO: 1200, O3: 160000, PM10: 70000, PM25: 35000})
	if !ci.Valid || ci.Sum != 3.9 || ci.Single[NO2] != 0.5 {
		t.Errorf("index %+v", ci)
	}
	if got := Rank([]int64{390, 350, 390, 410}, true); got[0] != 2 || got[1] != 1 || got[2] != 2 || got[3] != 4 {
		t.Errorf("ascending ranks %v", got)
	}
	if got := Rank([]int64{850, 900, 900, 700}, false); got[0] != 3 || got[1] != 1 || got[2] != 1 || got[3] != 4 {
		t.Errorf("descending ranks %v", got)
	}
	if r, ok := ChangeRate(3.9, 4.2); !ok || r != -7.1 {
		t.Errorf("change rate %v", r)
	}
}

func TestBudgets(t *testing.T) {
	// 100 days at 40 µg/m³, 265 remaining, target 35 (odd): annual mean must
	// be < 35.5, total < 35.5·365 = 12957.5 → ≤ 12957.499 µg: remaining
	// ≤ (12957499 − 4000000)/265 = 33801.88 → 33801 Conc.
	days := make([]Conc, 100)
	for i := range days {
		days[i] = 40000
	}
	b := BudgetPM25(days, 265, 35000)
	if !b.Feasible || b.MaxMean != 33801 {
		t.Errorf("budget %+v", b)
	}
	// The boundary holds: that mean rounds to 35, one unit more to 36.
	check := func(extra Conc) Conc {
		total := 100*40000 + int64(extra)*265
		return ratio{total, 365}.round(1000)
	}
	if check(b.MaxMean) != 35000 || check(b.MaxMean+1) != 36000 {
		t.Errorf("boundary: %v %v", check(b.MaxMean), check(b.MaxMean+1))
	}
	// Even target 34: mean exactly 34.5 still rounds to 34, so it is allowed.
	b = BudgetPM25([]Conc{34500}, 1, 34000)
	if !b.Feasible || b.MaxMean != 34500 {
		t.Errorf("even target: %+v", b)
	}
	// Infeasible: 300 days at 60, target 35.
	days = make([]Conc, 300)
	for i := range days {
		days[i] = 60000
	}
	if b = BudgetPM25(days, 65, 35000); b.Feasible || b.MaxMean != NA {
		t.Errorf("infeasible: %+v", b)
	}
	// Good days: 250 of 300 so far, 65 remaining, target 80.0%: need
	// round(1000·g/365) ≥ 800 → g ≥ 291.8 → 292 good → 42 good of 65 → 23 bad.
	g := BudgetGoodDays(250, 300, 65, 800)
	if !g.Feasible || g.MaxBadDays != 23 {
		t.Errorf("good-day budget %+v", g)
	}
	if g = BudgetGoodDays(200, 300, 65, 800); g.Feasible || g.MaxBadDays != -1 {
		t.Errorf("good-day infeasible %+v", g)
	}
}

func TestCheck(t *testing.T) {
	if Check(PM25, -1000) != ReasonNegative || Check(PM25, NA) != ReasonMissingHour ||
		Check(CO, 201*Scale) != ReasonImpossible || Check(PM10, 9000*Scale) != ReasonNone {
		t.Error("Check")
	}
}

// The O3 daily maximum 1-h value needs no minimum number of hours (GB 3095
// table 4 sets none for it): 19 or even 1 valid hour give a value, none
// gives NA.
func TestO3Max1hAnyValidHour(t *testing.T) {
	cases := []struct {
		hours int
		want  Conc
	}{{24, 250000}, {20, 250000}, {19, 250000}, {1, 250000}, {0, NA}}
	for _, c := range cases {
		d := fullDay(10)
		for h := range 24 {
			d.C[O3][h] = NA
			if h < c.hours {
				d.C[O3][h] = FromFloat(40)
			}
		}
		if c.hours > 0 {
			d.C[O3][c.hours-1] = FromFloat(250) // the day's maximum, in the last valid hour
		}
		r := EvaluateDay(V2012, &d)
		if r.Values.O3Max1h != c.want || r.Hours[O3] != c.hours {
			t.Errorf("%d hours: O3 max 1-h %v (hours %d), want %v", c.hours, r.Values.O3Max1h, r.Hours[O3], c.want)
		}
		// 250 µg/m³ on the 2012 O3 1-h column (200 → 100, 300 → 150): 125.
		if want := int16(-1); c.want < 0 && r.AQI.IAQI[IO3_1h] != want || c.want >= 0 && r.AQI.IAQI[IO3_1h] != 125 {
			t.Errorf("%d hours: O3 1-h IAQI %d", c.hours, r.AQI.IAQI[IO3_1h])
		}
	}
}
