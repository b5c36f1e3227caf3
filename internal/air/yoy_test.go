package air

import (
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// cleanDay is a day of low concentrations but PM2.5 at pm25 µg/m³ every
// hour: SO2 5, NO2 10, CO 0.5 mg/m³, O3 50, PM10 40.
func cleanDay(pm25 float64) DayHours {
	d := NewDayHours()
	vals := [NumPollutants]float64{SO2: 5, NO2: 10, CO: 0.5, O3: 50, PM10: 40, PM25: pm25}
	for p := range d.C {
		for h := range d.C[p] {
			d.C[p][h] = FromFloat(vals[p])
		}
	}
	return d
}

func daysOf(from, to time.Time, pm25 func(time.Time) float64) ([]Day, []BaseDay) {
	var ds []Day
	var bs []BaseDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		h := cleanDay(pm25(d))
		ds = append(ds, publishedDay(d, EvaluateDay(VersionAt(d), &h)))
		bs = append(bs, BaseDay{Date: d, Hours: h})
	}
	return ds, bs
}

// A PM2.5 daily mean of 70 µg/m³ is good under HJ 633-2012 (IAQI
// 50 + 50·35/40 = 93.75 → 94) and not under HJ 633-2026 (50 + 50·35/25 =
// 120); 20 µg/m³ is good under both (IAQI 29).
func TestYearOnYearAcrossCutover(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, CST) }
	// Base: PM2.5 70 on the 1st–10th of every month, 20 otherwise.
	basePM := func(t time.Time) float64 {
		if t.Day() <= 10 {
			return 70
		}
		return 20
	}
	flat := func(time.Time) float64 { return 20 }
	cases := []struct {
		name              string
		period            chinatime.Period
		curFrom, curTo    time.Time
		baseFrom, baseTo  time.Time
		byDate, sameBasis float64 // base good-day ratio, %
		chByDate, chSame  float64 // change, points
		sameBasisGoodDays int
	}{
		// 2026-03 vs 2025-03: the base by date is all 2012 (31/31 good);
		// on the same basis all 2026: 21/31 = 67.74 → 67.7 %.
		{"month", chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 3}, d(2026, 3, 1), d(2026, 4, 1), d(2025, 3, 1), d(2025, 4, 1),
			100, 67.7, 0, 32.3, 21},
		// 2026-02 vs 2025-02: both periods before the cutover: the two
		// bases agree.
		{"month before", chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 2}, d(2026, 2, 1), d(2026, 3, 1), d(2025, 2, 1), d(2025, 3, 1),
			100, 100, 0, 0, 28},
		// 2026 Q1 straddles: January and February 2026 were under 2012,
		// March under 2026. The base 2025 Q1 mirrors it day by day: its
		// January and February days stay good (2012), its 1st–10th March
		// are not (2026): 80/90 = 88.9 %. (Under the rules of the current
		// period's last day it would be 60/90 = 66.7 %; not done.)
		{"quarter straddling", chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, d(2026, 1, 1), d(2026, 4, 1), d(2025, 1, 1), d(2025, 4, 1),
			100, 88.9, 0, 11.1, 80},
		// 2027-03 vs 2026-03: both under 2026 by date already.
		{"month after", chinatime.Period{Kind: chinatime.Month, Year: 2027, N: 3}, d(2027, 3, 1), d(2027, 4, 1), d(2026, 3, 1), d(2026, 4, 1),
			67.7, 67.7, 32.3, 32.3, 21},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur, _ := daysOf(c.curFrom, c.curTo, flat)
			_, base := daysOf(c.baseFrom, c.baseTo, basePM)
			y := CompareYearOnYear(c.period, cur, base, StandardFor(c.curTo.AddDate(0, 0, -1)))
			if y.Current.GoodRatio != 100 {
				t.Fatalf("current ratio %v", y.Current.GoodRatio)
			}
			if y.BaseByDate.GoodRatio != c.byDate || y.BaseSameBasis.GoodRatio != c.sameBasis {
				t.Errorf("base ratio by date %v same basis %v, want %v %v",
					y.BaseByDate.GoodRatio, y.BaseSameBasis.GoodRatio, c.byDate, c.sameBasis)
			}
			if y.BaseSameBasis.GoodDays != c.sameBasisGoodDays {
				t.Errorf("same-basis good days %d, want %d", y.BaseSameBasis.GoodDays, c.sameBasisGoodDays)
			}
			if !y.ChangeByDate.GoodRatioOK || y.ChangeByDate.GoodRatio != c.chByDate ||
				!y.ChangeSameBasis.GoodRatioOK || y.ChangeSameBasis.GoodRatio != c.chSame {
				t.Errorf("change by date %+v same basis %+v, want %v %v", y.ChangeByDate, y.ChangeSameBasis, c.chByDate, c.chSame)
			}
			// The concentrations do not depend on the rules: PM2.5 rates agree.
			if y.ChangeByDate.PM25 != y.ChangeSameBasis.PM25 {
				t.Errorf("PM2.5 change %v vs %v", y.ChangeByDate.PM25, y.ChangeSameBasis.PM25)
			}
		})
	}
}

func TestSameBasisVersion(t *testing.T) {
	cases := []struct {
		day  time.Time
		want Version
	}{
		{time.Date(2025, 2, 28, 0, 0, 0, 0, CST), V2012},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, CST), V2026},
		{time.Date(2024, 3, 1, 0, 0, 0, 0, CST), V2012},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, CST), V2012}, // → 2025-03-01
		{time.Date(2025, 2, 28, 23, 59, 0, 0, CST), V2012},
	}
	for _, c := range cases {
		if got := SameBasisVersion(c.day); got != c.want {
			t.Errorf("%v: %v, want %v", c.day, got, c.want)
		}
	}
}
