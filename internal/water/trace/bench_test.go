package trace

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// bigNetwork is the network of the tracing performance requirement:
// 10,000 reaches, 5,000 outfalls, 500 sections, and a year of hourly
// concentration and flow for every outfall and section. To keep the
// benchmark's memory small on a shared machine, the background series
// share 64 patterns (a series is a slice into its pattern, as a store
// would return a window); the source and the target have their own. The
// engine cannot tell: every series is a full year.
func bigNetwork(tb testing.TB) (*Network, *MapData, Query, string) {
	tb.Helper()
	const (
		R        = 10_000
		outfalls = 5_000
		sections = 500
		hours    = 365 * 24
		patterns = 64
	)
	rng := rand.New(rand.NewPCG(10_000, 5_000))
	n := &Network{}
	indeg := make([]int, R+1)
	parent := make([]int, R+1)
	for r := 1; r <= R; r++ {
		for {
			p := rng.IntN(r)
			if (p == 0 && indeg[0] == 0) || (p > 0 && indeg[p] < 2) {
				parent[r], indeg[p] = p, indeg[p]+1
				break
			}
		}
	}
	for i := 0; i <= R; i++ {
		k := Junction
		switch {
		case i == 0:
			k = Mouth
		case indeg[i] == 0:
			k = Source
		case indeg[i] == 2:
			k = Confluence
		}
		n.Nodes = append(n.Nodes, Node{ID: fmt.Sprintf("N%d", i), Kind: k})
	}
	for r := 1; r <= R; r++ {
		n.Reaches = append(n.Reaches, Reach{ID: fmt.Sprintf("R%d", r), From: fmt.Sprintf("N%d", r), To: fmt.Sprintf("N%d", parent[r]),
			Length: 1000 + 4000*rng.Float64(), Velocity: 0.3 + 1.2*rng.Float64(), Flow: 1 + 50*rng.Float64()})
	}
	n.Reaches[0].Flow = 10
	n.Sections = append(n.Sections, Section{ID: "S0", Reach: "R1", Offset: n.Reaches[0].Length})
	for i := 1; i <= sections; i++ {
		r := rng.IntN(R)
		n.Sections = append(n.Sections, Section{ID: fmt.Sprintf("S%d", i), Reach: n.Reaches[r].ID, Offset: n.Reaches[r].Length * rng.Float64()})
	}
	for i := range outfalls {
		r := rng.IntN(R)
		n.Outfalls = append(n.Outfalls, Outfall{ID: fmt.Sprintf("O%d", i), Reach: n.Reaches[r].ID, Offset: n.Reaches[r].Length * rng.Float64(),
			Enterprise: fmt.Sprintf("E%d", i), Outlet: "DW001", Device: fmt.Sprintf("MN%08d", i)})
	}

	start := time.Date(2025, 1, 1, 0, 0, 0, 0, cst)
	ser := func(v []float64) Series { return Series{Start: start, Step: time.Hour, Values: v} }
	pattern := func(level, rel float64) []float64 {
		v := make([]float64, hours)
		for h := range v {
			v[h] = level * (1 + rel*rng.NormFloat64())
		}
		return v
	}
	var conc, flow, sec [patterns][]float64
	for i := range patterns {
		conc[i], flow[i], sec[i] = pattern(5, 0.15), pattern(0.05, 0.1), pattern(0.5, 0.05)
	}
	d := &MapData{Sections: map[Key]Series{}, Outfalls: map[Key]Series{}, OutfallFlows: map[string]Series{}, Limits: map[Key]float64{}}
	for i, o := range n.Outfalls {
		d.Outfalls[Key{o.ID, "NH3-N"}] = ser(conc[i%patterns])
		d.OutfallFlows[o.ID] = ser(flow[(i*7)%patterns])
		d.Limits[Key{o.ID, "NH3-N"}] = 10
	}
	for i, s := range n.Sections {
		d.Sections[Key{s.ID, "NH3-N"}] = ser(sec[(i*11)%patterns])
	}

	eng, err := New(n)
	if err != nil {
		tb.Fatal(err)
	}
	ups, err := eng.Upstream("S0", 48*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	// The source: an upstream outfall about 20 h away.
	var src Upstream
	for _, u := range ups {
		if !u.Section && u.Travel >= 20*time.Hour {
			src = u
			break
		}
	}
	const alarm = 6000
	tau := int(src.Travel.Hours() + 0.5)
	c := append([]float64(nil), conc[0]...)
	for h := alarm - tau; h < alarm-tau+4; h++ {
		c[h] += 2 / flow[0][h] // 2 g/s for 4 h
	}
	d.Outfalls[Key{src.ID, "NH3-N"}] = ser(c)
	d.OutfallFlows[src.ID] = ser(flow[0])
	t := append([]float64(nil), sec[0]...)
	for h := alarm; h < alarm+4; h++ {
		t[h] += 2.0 / 10 // 2 g/s diluted in 10 m³/s: 8 noise sigmas
	}
	d.Sections[Key{"S0", "NH3-N"}] = ser(t)
	q := Query{Section: "S0", Factor: "NH3-N", Limit: 0.6, Time: start.Add(alarm * time.Hour), After: 3 * time.Hour}
	return n, d, q, src.ID
}

// BenchmarkTrace: one query on the network, target at the mouth so
// that most of the network lies within the 48 h horizon. Requirement: at
// most 200 ms per query.
func BenchmarkTrace(b *testing.B) {
	n, d, q, _ := bigNetwork(b)
	eng, err := New(n)
	if err != nil {
		b.Fatal(err)
	}
	var rep *Report
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err = eng.Trace(q, d)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
	b.ReportMetric(float64(rep.CandidatesTotal), "candidates")
	b.ReportMetric(float64(len(rep.Sections)), "sections")
}

// BenchmarkNew: building the indexes of the network.
func BenchmarkNew(b *testing.B) {
	n, _, _, _ := bigNetwork(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(n); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBigNetwork checks that the benchmark's query finds its source, so
// the benchmark measures a meaningful answer.
func TestBigNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-reach network")
	}
	n, d, q, src := bigNetwork(t)
	rep := mustTrace(t, n, q, d)
	if rep.Candidates[0].Outfall != src {
		t.Errorf("first %s, want %s", rep.Candidates[0].Outfall, src)
	}
	if rep.CandidatesTotal < 2000 {
		t.Errorf("%d candidates within the horizon: the benchmark should weigh most of the 5,000", rep.CandidatesTotal)
	}
	t.Logf("%d outfalls and %d sections within 48 h; source %s first, score %v", rep.CandidatesTotal, len(rep.Sections), src, rep.Candidates[0].Score)
}
