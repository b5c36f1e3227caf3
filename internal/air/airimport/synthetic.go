package airimport

import (
	"math"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
)

// SyntheticYear returns a year of plausible hourly data for one station,
// the same for the same (station index, year, seed): PM high in winter and
// at night, O3 high on summer afternoons, a few winter smog episodes, and
// a small share of missing hours (about 1%, plus a whole missing day each
// quarter) and of values a data flag excludes. It is for tests, demos and
// benchmarks, not a model of any real station.
func SyntheticYear(station string, index, year int, seed uint64) []model.AirHour {
	start := time.Date(year, 1, 1, 1, 0, 0, 0, air.CST) // the first hour ends 01:00
	end := time.Date(year+1, 1, 1, 1, 0, 0, 0, air.CST)
	n := int(end.Sub(start).Hours())
	out := make([]model.AirHour, 0, n)
	base := 0.8 + 0.4*unit(mix(seed, uint64(index)*7919))
	for i := range n {
		t := start.Add(time.Duration(i) * time.Hour)
		day := t.Add(-time.Hour).YearDay()
		if day%91 == 17 { // a missing day each quarter (a station outage)
			continue
		}
		k := uint64(index)<<32 | uint64(i)
		r := func(j uint64) float64 { return unit(mix(seed^j*0x9e3779b97f4a7c15, k)) }
		if r(1) < 0.01 {
			continue // a missing hour
		}
		season := math.Cos(2 * math.Pi * float64(day-15) / 365) // 1 in mid-January, −1 in July
		hour := float64(t.Add(-time.Hour).Hour())
		night := 0.5 + 0.5*math.Cos(2*math.Pi*(hour-2)/24)
		afternoon := math.Max(0, math.Cos(2*math.Pi*(hour-15)/24))
		smog := 1.0
		if season > 0.6 && (day/5)%7 == 3 {
			smog = 2.6 // an episode
		}
		noise := 0.75 + 0.5*r(2)
		pm25 := base * (42 + 30*season) * (0.8 + 0.4*night) * smog * noise
		pm10 := pm25 * (1.6 + 0.3*r(3))
		so2 := base * (9 + 6*season) * (0.7 + 0.6*r(4))
		no2 := base * (30 + 10*season) * (0.7 + 0.6*night) * (0.8 + 0.4*r(5))
		co := base * (0.7 + 0.5*season) * (0.8 + 0.4*night) * smog * (0.8 + 0.4*r(6))
		o3 := (70 - 45*season) * (0.3 + 1.2*afternoon) * (0.8 + 0.4*r(7))
		h := model.AirHour{Station: station, End: t}
		vals := [6]float64{so2, no2, co, o3, pm10, pm25}
		for p, v := range vals {
			c := math.Round(v) * air.Scale // µg/m³ to whole units, as stations publish
			if p == int(air.CO) {
				c = math.Round(v*10) * 100 // CO to 0.1 mg/m³
			}
			h.C[p] = int64(c)
		}
		if r(8) < 0.003 { // a calibration hour: the device flags PM2.5
			h.C[air.PM25], h.Flags[air.PM25] = model.AirNA, uint8(air.ReasonFlagged)
		}
		out = append(out, h)
	}
	return out
}

// mix is SplitMix64's finaliser over a and b.
func mix(a, b uint64) uint64 {
	z := a ^ (b + 0x9e3779b97f4a7c15 + (a << 6) + (a >> 2))
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }
