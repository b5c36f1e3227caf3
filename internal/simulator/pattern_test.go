package simulator

import (
	"math"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

func TestPatternsDeterministicPerSeed(t *testing.T) {
	for _, kind := range []string{KindAir, KindWater, KindAirQuality, KindWaterQuality} {
		d := Generate(1, GenerateOptions{Kind: kind})[0]
		a := NewGenerator(1, d).Period(t0, time.Hour)
		b := NewGenerator(1, d).Period(t0, time.Hour)
		c := NewGenerator(2, d).Period(t0, time.Hour)
		same, diff := true, false
		for i := range a {
			if a[i] != b[i] {
				same = false
			}
			if a[i].Avg != c[i].Avg {
				diff = true
			}
		}
		if !same {
			t.Errorf("%s: same seed gave different data", kind)
		}
		if !diff {
			t.Errorf("%s: seeds 1 and 2 gave the same data", kind)
		}
	}
}

// TestPatternsPlausible runs a week of 10-minute periods per kind.
func TestPatternsPlausible(t *testing.T) {
	for _, kind := range []string{KindAir, KindWater, KindAirQuality, KindWaterQuality} {
		d := Generate(1, GenerateOptions{Kind: kind, MNPrefix: kind})[0]
		g := NewGenerator(3, d)
		var dayMean, nightMean [8]float64
		flags := map[byte]int{}
		for p := 0; p < 7*144; p++ {
			start := t0.Add(time.Duration(p) * 10 * time.Minute)
			for i, a := range g.Period(start, 10*time.Minute) {
				if !(a.Min <= a.Avg && a.Avg <= a.Max) {
					t.Fatalf("%s %s %v: Min %g Avg %g Max %g", kind, a.Code, start, a.Min, a.Avg, a.Max)
				}
				if a.Min < 0 || math.IsNaN(a.Avg) {
					t.Fatalf("%s %s: negative or NaN %+v", kind, a.Code, a)
				}
				if a.HasZs && !(a.ZsMin <= a.ZsAvg && a.ZsAvg <= a.ZsMax) {
					t.Fatalf("%s %s: Zs %+v", kind, a.Code, a)
				}
				switch a.Code {
				case "w01001":
					if a.Min < 6 || a.Max > 9 {
						t.Errorf("pH %g..%g outside 6-9 without exceedance", a.Min, a.Max)
					}
				case "a19001":
					if a.Max > 21 {
						t.Errorf("O2 %g%%", a.Max)
					}
				}
				h := start.In(chinatime.Zone).Hour()
				if h >= 9 && h < 17 {
					dayMean[i] += a.Avg
				} else if h >= 0 && h < 5 {
					nightMean[i] += a.Avg
				}
				flags[a.Flag]++
			}
		}
		if flags['N'] < 7*144*6 {
			t.Errorf("%s: flags %v: want mostly N", kind, flags)
		}
		if kind == KindAir || kind == KindWater {
			// The flow follows working hours: more by day than at night
			// (8 day hours vs 5 night hours summed, so compare means).
			if dayMean[0]/8 <= nightMean[0]/5 {
				t.Errorf("%s flow: day mean %g ≤ night mean %g", kind, dayMean[0]/8, nightMean[0]/5)
			}
		}
	}
}

// TestCouConsistent: the flow's Cou is its volume, and a pollutant's Cou
// is about Avg × volume.
func TestCouConsistent(t *testing.T) {
	for _, kind := range []string{KindAir, KindWater} {
		d := Generate(1, GenerateOptions{Kind: kind})[0]
		g := NewGenerator(5, d)
		aggs := g.Period(t0, time.Hour)
		flow := aggs[0]
		perM3 := 1.0 // flow unit × s → m3
		k := 1e-6    // mg/m3 × m3 → kg
		if kind == KindWater {
			perM3, k = 0.001, 1e-3
		}
		vol := flow.Avg * 3600 * perM3
		if math.Abs(flow.Cou-vol) > 1e-6*vol {
			t.Errorf("%s: flow Cou %g, want Avg × 3600 s = %g m3", kind, flow.Cou, vol)
		}
		for _, a := range aggs[1:] {
			if !a.HasCou {
				continue
			}
			approx := a.Avg * vol * k
			if a.Cou < 0.8*approx || a.Cou > 1.25*approx {
				t.Errorf("%s %s: Cou %g kg, want about Avg × volume = %g", kind, a.Code, a.Cou, approx)
			}
		}
	}
}

func TestExceedancesOnlyWhenConfigured(t *testing.T) {
	for _, kind := range []string{KindAir, KindWater} {
		d := Generate(1, GenerateOptions{Kind: kind})[0]
		limits := map[string]model.Limit{}
		for _, l := range d.Limits {
			limits[l.Pollutant] = l
		}
		count := func(d Device) (over, windows int) {
			g := NewGenerator(9, d)
			for h := 0; h < 14*24; h++ {
				start := t0.Add(time.Duration(h) * time.Hour)
				if g.Exceeding(start.Add(30 * time.Minute)) {
					windows++
				}
				for _, a := range g.Period(start, time.Hour) {
					l, ok := limits[a.Code]
					if !ok {
						continue
					}
					if (l.Max != nil && a.Max > *l.Max) || (l.Min != nil && a.Min < *l.Min) {
						over++
					}
				}
			}
			return
		}
		if over, w := count(d); over != 0 || w != 0 {
			t.Errorf("%s without Exceed: %d hours over a limit, %d windows", kind, over, w)
		}
		d.Behaviour.ExceedEvery = 24 * time.Hour
		d.Behaviour.ExceedFor = 2 * time.Hour
		over, w := count(d)
		if over == 0 || w == 0 {
			t.Errorf("%s with Exceed: %d hours over a limit, %d windows", kind, over, w)
		}
		// Two hours a day for two weeks: about 28 window-hours.
		if w < 14 || w > 42 {
			t.Errorf("%s: %d exceedance hours, want about 28", kind, w)
		}
	}
}

func TestConvertedLimitsCapZs(t *testing.T) {
	max := 50.0
	d := Generate(1, GenerateOptions{Kind: KindAir})[0]
	d.Limits = []model.Limit{{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &max}}
	g := NewGenerator(1, d)
	for h := 0; h < 48; h++ {
		for _, a := range g.Period(t0.Add(time.Duration(h)*time.Hour), time.Hour) {
			if a.Code != "a21026" {
				continue
			}
			if !a.HasZs {
				t.Fatal("converted limit but no Zs values")
			}
			if a.ZsMax > max {
				t.Errorf("ZsMax %g over the converted limit %g", a.ZsMax, max)
			}
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.observe(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := h.quantile(c.q)
		if math.Abs(float64(got-c.want)) > 0.07*float64(c.want) {
			t.Errorf("q%g = %v, want %v ± 7 %%", c.q, got, c.want)
		}
	}
}

func TestParseQuirksAndUploads(t *testing.T) {
	q, err := ParseQuirks("lowercase-crc, lf-only,modbus-crc")
	if err != nil || q != QuirkLowercaseCRC|QuirkLFOnly|QuirkModbusCRC {
		t.Errorf("ParseQuirks: %v %v", q, err)
	}
	if q.String() != "lowercase-crc,lf-only,modbus-crc" {
		t.Errorf("String %q", q.String())
	}
	if _, err := ParseQuirks("bogus"); err == nil {
		t.Error("unknown quirk accepted")
	}
	u, err := ParseUploads("rtd,2051")
	if err != nil || u != UploadRealtime|UploadMinute {
		t.Errorf("ParseUploads: %v %v", u, err)
	}
}

func TestFromRegistry(t *testing.T) {
	max := 80.0
	r := &model.Registry{
		Outlets: []model.Outlet{{ID: "X-DW001", Kind: model.OutletWater, Limits: []model.Limit{{Pollutant: "w01018", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: &max}}}},
		Devices: []model.Device{{MN: "A", Outlet: "X-DW001", Protocol: "2017"}, {MN: "B", ST: "22", Protocol: "2017"}},
	}
	ds := FromRegistry(r)
	if ds[0].Kind != KindWater || len(ds[0].Limits) != 1 || ds[1].Kind != KindAirQuality {
		t.Errorf("FromRegistry: %+v", ds)
	}
}

// An episode at a fixed time (a start-up) exceeds inside it only.
func TestEpisodeExceedsInsideOnly(t *testing.T) {
	max := 50.0
	d := Generate(1, GenerateOptions{Kind: KindAir})[0]
	d.Limits = []model.Limit{{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &max}}
	d.Behaviour.Episodes = []Episode{{From: t0.Add(5 * time.Hour), For: 2 * time.Hour}}
	g := NewGenerator(1, d)
	for h := 0; h < 12; h++ {
		for _, a := range g.Period(t0.Add(time.Duration(h)*time.Hour), time.Hour) {
			if a.Code != "a21026" {
				continue
			}
			if in := h == 5 || h == 6; in != (a.ZsAvg > max) {
				t.Errorf("hour %d: mean %g, inside the episode %v", h, a.ZsAvg, in)
			}
		}
	}
}
