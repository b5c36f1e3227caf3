package air

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/golden"
)

// syntheticYear generates a deterministic year of hourly data for one
// station: seasonal PM (winter high), summer O3 afternoons, a few gaps that
// exercise the validity rules (a 5-hour outage, a day with 19 hours, a week
// off-line in November).
func syntheticYear(year int) []DayHours {
	rng := rand.New(rand.NewPCG(uint64(year), 212))
	start := time.Date(year, 1, 1, 0, 0, 0, 0, CST)
	n := int(start.AddDate(1, 0, 0).Sub(start).Hours() / 24)
	days := make([]DayHours, n)
	for d := range days {
		days[d] = NewDayHours()
		season := math.Cos(2 * math.Pi * float64(d) / float64(n)) // 1 in winter, −1 in summer
		episode := 1.0
		if d%37 < 3 { // recurring pollution episodes
			episode = 3.2
		}
		for h := range 24 {
			diurnal := math.Sin(math.Pi * float64(h-6) / 12) // peaks mid-afternoon
			pm25 := (38 + 22*season) * episode * (0.8 + 0.4*rng.Float64())
			vals := [NumPollutants]float64{
				SO2:  math.Round(8 + 4*season + 3*rng.Float64()),
				NO2:  math.Round(30 + 8*season - 10*diurnal + 6*rng.Float64()),
				CO:   math.Round((0.7+0.4*season*episode/2)*10*(0.9+0.2*rng.Float64())) / 10,
				O3:   math.Round(math.Max(5, 70-40*season+90*diurnal*(1-season)/2+10*rng.Float64())),
				PM25: math.Round(pm25),
				PM10: math.Round(pm25*1.6 + 10*rng.Float64()),
			}
			for p, x := range vals {
				days[d].C[p][h] = FromFloat(x)
			}
		}
	}
	// Gaps.
	for h := 2; h < 7; h++ {
		for p := range days[40].C {
			days[40].C[p][h] = NA
		}
	}
	for h := range 5 {
		days[100].C[PM25][h] = NA // 19 hours: no daily PM2.5
	}
	for d := 310; d < 317; d++ {
		days[d] = NewDayHours()
	}
	return days
}

type goldenDay struct {
	Date    string
	AQI     int
	Primary []string
	Values  [7]string
}

func TestSyntheticYear(t *testing.T) {
	for _, year := range []int{2024, 2027} { // a leap year under 2012 rules, a year under 2026 rules
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			hours := syntheticYear(year)
			start := time.Date(year, 1, 1, 0, 0, 0, 0, CST)
			var days []Day
			var out bytes.Buffer
			for i := range hours {
				date := start.AddDate(0, 0, i)
				r := EvaluateDay(VersionAt(date), &hours[i])
				aqi := -1
				if r.AQI.Publishable() {
					aqi = int(r.AQI.AQI)
				}
				days = append(days, Day{Date: date, Values: r.Values, AQI: aqi})
				gd := goldenDay{Date: date.Format("2006-01-02"), AQI: aqi, Primary: r.AQI.Primary.Strings()}
				for p := range NumPollutants {
					gd.Values[p] = r.Values.Mean[p].String()
				}
				gd.Values[O3] = r.Values.O3Max8h.String()
				gd.Values[6] = r.Values.O3Max1h.String()
				b, _ := json.Marshal(gd)
				out.Write(b)
				out.WriteByte('\n')
			}
			std := StandardFor(start.AddDate(1, 0, -1))
			var periods []chinatime.Period
			for m := 1; m <= 12; m++ {
				periods = append(periods, chinatime.Period{Kind: chinatime.Month, Year: year, N: m})
			}
			for q := 1; q <= 4; q++ {
				periods = append(periods, chinatime.Period{Kind: chinatime.Quarter, Year: year, N: q})
			}
			periods = append(periods, chinatime.Period{Kind: chinatime.Year, Year: year, N: 1})
			for _, p := range periods {
				st := Evaluate(p, days, std)
				fmt.Fprintf(&out, "%s %s good=%d/%d (%.1f%%) heavy=%d levels=%v index=%.2f largest=%v complete_pm25=%v compliant=%v short=%v\n",
					p, st.Standard, st.GoodDays, st.AQIDays, st.GoodRatio, st.HeavyDays, st.LevelDays[1:], st.Index.Sum, st.Index.Largest, st.Pollutants[PM25].Complete, st.Compliant, st.MonthsShort)
				for q := range NumPollutants {
					ps := st.Pollutants[q]
					fmt.Fprintf(&out, "  %-5v days=%d mean=%v p%d=%v max=%v exceed=%d (%.1f%%) multiples=%.2f/%.2f compliant=%v\n",
						ps.Pollutant, ps.Days, ps.Mean, ps.Rank, ps.Percentile, ps.Max, ps.ExceedDays, ps.ExceedRate, ps.MeanMultiple, ps.PercentileMultiple, ps.Compliant)
				}
			}
			path := fmt.Sprintf("testdata/synthetic_year_%d.golden", year)
			golden.Check(t, path, out.Bytes())
		})
	}
}

func BenchmarkHourly(b *testing.B) {
	hs := make([]Hour, 1024)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range hs {
		hs[i] = hour(rng.Float64()*50, rng.Float64()*120, rng.Float64()*3, rng.Float64()*300, rng.Float64()*300, rng.Float64()*250)
	}
	for _, v := range versions {
		b.Run(v.String(), func(b *testing.B) {
			b.ReportAllocs()
			var sink int16
			i := 0
			for b.Loop() {
				r := Hourly(v, &hs[i&1023])
				sink += r.AQI
				i++
			}
			_ = sink
		})
	}
}

func BenchmarkEvaluateDay(b *testing.B) {
	days := syntheticYear(2025)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = EvaluateDay(V2012, &days[i%len(days)])
		i++
	}
}
