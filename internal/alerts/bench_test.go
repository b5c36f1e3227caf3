package alerts

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
)

// benchEngine has n hourly converted-concentration series with limits
// (every rule but the meters active) and a stream of values around the
// limit, so rules fire, clear and escalate now and then.
func benchEngine(b *testing.B, n int) (*Engine, []Sample, []SeriesKey) {
	specs := make([]SeriesSpec, n)
	keys := make([]SeriesKey, n)
	for i := range specs {
		keys[i] = SeriesKey{MN: fmt.Sprintf("MN%06d", i/4), Outlet: "O", Factor: fmt.Sprintf("a2%04d", i%4), Field: "ZsAvg", Period: model.PeriodHour}
		specs[i] = SeriesSpec{Key: keys[i], Limits: []model.Limit{{Pollutant: keys[i].Factor, Kind: model.LimitConverted, Period: model.PeriodHour, Max: f(35)}}}
	}
	e, err := New(DefaultConfig(), specs, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	stream := make([]Sample, 1<<16)
	flags := []byte{'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'M'}
	for i := range stream {
		stream[i] = Sample{Value: 20 + 17*rng.Float64(), Flag: flags[rng.IntN(len(flags))]}
	}
	return e, stream, keys
}

func BenchmarkObserve(b *testing.B) {
	const n = 10000
	e, stream, _ := benchEngine(b, n)
	out := make([]Outcome, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	t := h0
	id := 0
	for i := 0; i < b.N; i++ {
		s := stream[i&(len(stream)-1)]
		s.Series = SeriesID(id)
		s.T = t
		if id++; id == n {
			id, t = 0, t+hour
		}
		out = e.Observe(s, out[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkLookupObserve adds the map look-up a caller that has only the
// series key pays.
func BenchmarkLookupObserve(b *testing.B) {
	const n = 10000
	e, stream, keys := benchEngine(b, n)
	out := make([]Outcome, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	t := h0
	id := 0
	for i := 0; i < b.N; i++ {
		s := stream[i&(len(stream)-1)]
		s.Series, _ = e.Lookup(keys[id])
		s.T = t
		if id++; id == n {
			id, t = 0, t+hour
		}
		out = e.Observe(s, out[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkObserveMeters streams 1-minute power readings of 1,000
// enterprises, each with two production and two treatment meters and a
// night restricted window.
func BenchmarkObserveMeters(b *testing.B) {
	const ents = 1000
	var specs []SeriesSpec
	var groups []MeterGroup
	for i := 0; i < ents; i++ {
		base := SeriesID(len(specs))
		for j := 0; j < 4; j++ {
			specs = append(specs, SeriesSpec{Key: SeriesKey{MN: fmt.Sprintf("EM%05d", i), Factor: fmt.Sprintf("M%03d", j), Field: "Pt", Period: PeriodMinute}})
		}
		groups = append(groups, MeterGroup{Enterprise: fmt.Sprint(i), Class: "steel-B", Production: []SeriesID{base, base + 1}, ProductionOnKW: 50,
			Treatment: []TreatmentMeter{{base + 2, 1, 20}, {base + 3, 1, 20}}})
	}
	sc := Schedule{Class: "steel-B", From: unix(h0), To: unix(h0 + 365*86400), Windows: []DayWindow{{22 * 60, 6 * 60}}}
	e, err := New(DefaultConfig(), specs, groups, []Schedule{sc})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	vals := make([]float64, 1<<16)
	for i := range vals {
		vals[i] = 120 * rng.Float64()
	}
	out := make([]Outcome, 0, 64)
	n := len(specs)
	b.ReportAllocs()
	b.ResetTimer()
	t := h0
	id := 0
	for i := 0; i < b.N; i++ {
		out = e.Observe(Sample{SeriesID(id), t, vals[i&(len(vals)-1)], 'N'}, out[:0])
		if id++; id == n {
			id, t = 0, t+60
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
