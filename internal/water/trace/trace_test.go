package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/golden"
)

// pulse is an extra load injected by one outfall, timed to reach the
// target section T of edgeNetwork at hour arrive of the record.
type pulse struct {
	outfall string
	arrive  int
	hours   int
	load    float64 // g/s
}

// edgeData builds hourly series for edgeNetwork: every outfall discharges
// 2 mg/L at 0.02 m³/s with noise (limit 10 mg/L); every section has a
// background of 0.3 mg/L with noise plus the loads of all outfalls above
// it, routed with the network's travel times and diluted by the reach's
// flow. It returns the data and the query an alarm at T would raise.
func edgeData(t testing.TB, n *Network, p pulse) (*MapData, Query) {
	t.Helper()
	eng, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 34))
	const hours = 240
	ser := func(v []float64) Series { return Series{Start: genStart, Step: time.Hour, Values: v} }
	d := &MapData{Sections: map[Key]Series{}, Outfalls: map[Key]Series{}, OutfallFlows: map[string]Series{}, Limits: map[Key]float64{}}
	load := map[string][]float64{}
	var tauP float64
	all, _ := eng.Upstream("T", 1000*time.Hour)
	for _, u := range all {
		if u.ID == p.outfall {
			tauP = u.Travel.Hours()
		}
	}
	for _, o := range n.Outfalls {
		c, f, l := make([]float64, hours), make([]float64, hours), make([]float64, hours)
		start := p.arrive - int(math.Round(tauP))
		for h := range hours {
			f[h] = 0.02 * (1 + 0.05*rng.NormFloat64())
			c[h] = 2 * (1 + 0.1*rng.NormFloat64())
			if o.ID == p.outfall && h >= start && h < start+p.hours {
				c[h] += p.load / f[h]
			}
			l[h] = c[h] * f[h]
		}
		d.Outfalls[Key{o.ID, "NH3-N"}] = ser(c)
		d.OutfallFlows[o.ID] = ser(f)
		d.Limits[Key{o.ID, "NH3-N"}] = 10
		load[o.ID] = l
	}
	for _, s := range n.Sections {
		q := 0.0
		for _, r := range n.Reaches {
			if r.ID == s.Reach {
				q = r.Flow
			}
		}
		c := make([]float64, hours)
		for h := range hours {
			c[h] = 0.3 + 0.02*rng.NormFloat64()
		}
		ups, _ := eng.Upstream(s.ID, 1000*time.Hour)
		for _, u := range ups {
			if u.Section {
				continue
			}
			lag := int(math.Round(u.Travel.Hours()))
			for h := range hours {
				c[h] += load[u.ID][max(h-lag, 0)] / q
			}
		}
		d.Sections[Key{s.ID, "NH3-N"}] = ser(c)
	}
	q := Query{Section: "T", Factor: "NH3-N", After: 6 * time.Hour, MaxCandidates: -1}
	tc := d.Sections[Key{"T", "NH3-N"}].Values
	for h := p.arrive - 2; h < hours; h++ {
		if tc[h] > 0.5 { // class II NH3-N, the target of T
			q.Time = genStart.Add(time.Duration(h) * time.Hour)
			break
		}
	}
	if q.Time.IsZero() {
		t.Fatalf("pulse from %s never exceeds at T", p.outfall)
	}
	return d, q
}

func mustTrace(t *testing.T, n *Network, q Query, d Data) *Report {
	t.Helper()
	eng, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Trace(q, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
	return rep
}

func candidate(rep *Report, id string) (Candidate, bool) {
	for _, c := range rep.Candidates {
		if c.Outfall == id {
			return c, true
		}
	}
	return Candidate{}, false
}

func TestTraceFindsSource(t *testing.T) {
	tests := []struct {
		name   string
		source string
		travel float64 // h, hand-computed (see TestUpstream)
	}{
		{"same reach just above the section", "Onear", 0.1},
		{"two outfalls on one reach, upper", "Oc1", 10000.0/3600 + 7},
		{"two outfalls on one reach, lower", "Oc2", 9000.0/3600 + 7},
		{"tributary b above the confluence", "Ob", 15000.0/3600 + 12000.0/3600 + 7},
		{"tributary a above the confluence", "Oa", 10000.0/3600 + 12000.0/3600 + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := edgeNetwork()
			d, q := edgeData(t, n, pulse{outfall: tt.source, arrive: 150, hours: 4, load: 2})
			rep := mustTrace(t, n, q, d)
			if rep.Limit != 0.5 {
				t.Errorf("limit %v, want 0.5 (NH3-N class II, T's target)", rep.Limit)
			}
			if !rep.Exceeds {
				t.Error("Exceeds is false for a pulse above the limit")
			}
			top := rep.Candidates[0]
			if top.Outfall != tt.source {
				t.Fatalf("first %s (score %v), want %s\n%s", top.Outfall, top.Score, tt.source, rep.Text())
			}
			if math.Abs(top.TravelH-tt.travel) > 0.001 {
				t.Errorf("travel time %v h, want %.3f", top.TravelH, tt.travel)
			}
			if !top.Correlation.Available || math.Abs(top.Correlation.LagH-math.Round(tt.travel)) > 1 {
				t.Errorf("correlation lag %v h (available %v), want about %.1f", top.Correlation.LagH, top.Correlation.Available, tt.travel)
			}
			// 2 g/s for 4 h is 28.8 kg; the event at T sees most of it.
			if !top.Load.Available || top.Load.Share < 0.6 || top.Load.Share > 1.6 {
				t.Errorf("load share %v, want near 1", top.Load.Share)
			}
			if !top.Exceedance.Available || top.Exceedance.Overlap == 0 {
				t.Errorf("exceedance %+v: the pulse is 100 mg/L over a 10 mg/L limit", top.Exceedance)
			}
			if top.Score < 0.7 {
				t.Errorf("score %v, want at least 0.7 with all evidence agreeing", top.Score)
			}
			for _, c := range rep.Candidates[1:] {
				if c.Correlation.R >= top.Correlation.R {
					t.Errorf("%s correlates as well as the source: r %v ≥ %v", c.Outfall, c.Correlation.R, top.Correlation.R)
				}
			}
			if _, ok := candidate(rep, "Obelow"); ok {
				t.Error("Obelow, below the section, is listed")
			}
		})
	}
}

// TestTraceMassBalance: with the source on tributary b, the stretch above
// UC (which holds b) carries the event and the stretch above UA (tributary
// a) does not.
func TestTraceMassBalance(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Ob", arrive: 150, hours: 4, load: 2})
	rep := mustTrace(t, n, q, d)
	ob, _ := candidate(rep, "Ob")
	oa, _ := candidate(rep, "Oa")
	if ob.MassBalance.Segment != "UC" || !slices.Equal(ob.MassBalance.Upstream, []string{"UA"}) {
		t.Errorf("Ob's stretch %s above %v, want UC above [UA]", ob.MassBalance.Segment, ob.MassBalance.Upstream)
	}
	if ob.MassBalance.Share < 0.7 || ob.MassBalance.Score < 0.7 {
		t.Errorf("stretch UA→UC share %v, want most of the event", ob.MassBalance.Share)
	}
	if oa.MassBalance.Segment != "UA" || math.Abs(oa.MassBalance.Share) > 0.15 {
		t.Errorf("Oa's stretch %s share %v, want UA with almost nothing", oa.MassBalance.Segment, oa.MassBalance.Share)
	}
	var tsec SectionEvidence
	for _, s := range rep.Sections {
		if s.ID == "T" {
			tsec = s
		}
	}
	if !tsec.IncrementKnown || math.Abs(tsec.Share) > 0.15 {
		t.Errorf("stretch UC→T share %v, want almost nothing (the event passed UC)", tsec.Share)
	}
}

func TestTraceBeyondHorizon(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Ofar", arrive: 150, hours: 4, load: 2})
	rep := mustTrace(t, n, q, d)
	if _, ok := candidate(rep, "Ofar"); ok || slices.Contains(rep.NoData, "Ofar") {
		t.Errorf("Ofar (τ 57.6 h) listed within a 48 h horizon")
	}
	if rep.CandidatesTotal != 6 {
		t.Errorf("%d candidates weighed, want 6 (all but Obelow and Ofar)", rep.CandidatesTotal)
	}
	// The mass balance still points at the stretch above UA, where the
	// pulse entered; a wider horizon then finds Ofar.
	var ua SectionEvidence
	for _, s := range rep.Sections {
		if s.ID == "UA" {
			ua = s
		}
	}
	if ua.Share < 0.7 {
		t.Errorf("stretch above UA share %v, want most of the event", ua.Share)
	}
	q.Horizon = 72 * time.Hour
	rep = mustTrace(t, n, q, d)
	if rep.Candidates[0].Outfall != "Ofar" {
		t.Errorf("72 h horizon: first %s, want Ofar", rep.Candidates[0].Outfall)
	}
}

// TestTraceLakeDelay: the 6 h residence of the lake is part of the travel
// time; an engine that ignored it would look for the discharge 6 h too
// late and find a weaker correlation.
func TestTraceLakeDelay(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	rep := mustTrace(t, n, q, d)
	c, _ := candidate(rep, "Oc1")
	if c.Rank != 1 || math.Abs(c.TravelH-(10000.0/3600+7)) > 0.001 {
		t.Fatalf("Oc1 rank %d travel %v h, want first at 9.778 h", c.Rank, c.TravelH)
	}
	noLake := edgeNetwork()
	noLake.Nodes[4].Residence = 0
	rep2 := mustTrace(t, noLake, q, d)
	c2, _ := candidate(rep2, "Oc1")
	if math.Abs(c2.TravelH-(10000.0/3600+1)) > 0.001 {
		t.Errorf("without the lake's residence: travel %v h, want 3.778", c2.TravelH)
	}
	if c2.Correlation.R >= c.Correlation.R-0.2 {
		t.Errorf("without the residence delay r %v, with %v: the lag should matter", c2.Correlation.R, c.Correlation.R)
	}
}

func TestTraceMissingData(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	delete(d.Outfalls, Key{"Ob", "NH3-N"}) // no data at all
	delete(d.OutfallFlows, "Oa")           // concentration only
	delete(d.Limits, Key{"Oc2", "NH3-N"})  // no permit limit
	rep := mustTrace(t, n, q, d)
	if rep.Candidates[0].Outfall != "Oc1" {
		t.Errorf("first %s, want Oc1", rep.Candidates[0].Outfall)
	}
	if !slices.Equal(rep.NoData, []string{"Ob"}) {
		t.Errorf("no data %v, want [Ob]", rep.NoData)
	}
	ob, _ := candidate(rep, "Ob")
	if !slices.Equal(ob.Missing, []string{"concentration"}) || ob.Exceedance.Available || ob.Correlation.Available || ob.Load.Available {
		t.Errorf("Ob: missing %v, evidence available %v %v %v: want only the travel time and mass balance",
			ob.Missing, ob.Exceedance.Available, ob.Correlation.Available, ob.Load.Available)
	}
	for _, r := range []string{ob.Exceedance.Reason, ob.Correlation.Reason, ob.Load.Reason} {
		if !strings.Contains(r, "no NH3-N data from the outfall") {
			t.Errorf("Ob reason %q", r)
		}
	}
	w := DefaultWeights()
	if want := round(w.TravelTime*ob.Time.Score+w.MassBalance*ob.MassBalance.Score, 4); ob.Score != want {
		t.Errorf("Ob score %v, want %v: missing evidence must count nothing", ob.Score, want)
	}
	oa, _ := candidate(rep, "Oa")
	if !slices.Contains(oa.Missing, "flow") || oa.Load.Available || oa.Correlation.OnLoad || !oa.Correlation.Available {
		t.Errorf("Oa without flow: missing %v, load %v, correlation on load %v", oa.Missing, oa.Load.Available, oa.Correlation.OnLoad)
	}
	oc2, _ := candidate(rep, "Oc2")
	if oc2.Exceedance.Available || !strings.Contains(oc2.Exceedance.Reason, "no discharge limit") {
		t.Errorf("Oc2 without a limit: %+v", oc2.Exceedance)
	}
	txt := rep.Text()
	for _, s := range []string{"无数据、未能评估的排口: Ob", "not assessed for lack of data: Ob", "排口无流量数据", "no flow data from the outfall"} {
		if !strings.Contains(txt, s) {
			t.Errorf("text lacks %q", s)
		}
	}
}

// TestTraceLabResult: a manual section with one laboratory value and no
// series: correlation is impossible and said so, the rest still works.
func TestTraceLabResult(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	v := d.Sections[Key{"T", "NH3-N"}].At(q.Time)
	delete(d.Sections, Key{"T", "NH3-N"})
	eng, _ := New(n)
	if _, err := eng.Trace(q, d); !errors.Is(err, ErrNoData) {
		t.Fatalf("no data at the target: error %v, want ErrNoData", err)
	}
	q.Value = v
	rep := mustTrace(t, n, q, d)
	if rep.Peak != round(v, 6) {
		t.Errorf("peak %v, want the lab value %v", rep.Peak, v)
	}
	for _, c := range rep.Candidates {
		if c.Correlation.Available {
			t.Errorf("%s: correlation from a single value", c.Outfall)
		}
	}
	if len(rep.Notes) == 0 {
		t.Error("no note on the missing background")
	}
}

func TestTraceJump(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc2", arrive: 150, hours: 4, load: 1})
	q.Kind = Jump
	rep := mustTrace(t, n, q, d)
	if rep.Trigger != "jump" || rep.Limit != 0 || rep.Threshold >= rep.Peak || rep.Threshold <= rep.Baseline {
		t.Errorf("jump: trigger %s limit %v threshold %v baseline %v peak %v", rep.Trigger, rep.Limit, rep.Threshold, rep.Baseline, rep.Peak)
	}
	if rep.Candidates[0].Outfall != "Oc2" {
		t.Errorf("first %s, want Oc2", rep.Candidates[0].Outfall)
	}
}

// TestTraceDODeficit: DO is a lower bound; the deficit is traced with the
// outfalls' COD.
func TestTraceDODeficit(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Ob", arrive: 150, hours: 4, load: 2})
	nh3 := maps.Clone(d.Sections) // not adding to the map being ranged over
	for k, s := range nh3 {
		do := make([]float64, len(s.Values))
		for i, v := range s.Values {
			do[i] = 8 - 8*(v-0.3)
		}
		d.Sections[Key{k.ID, "DO"}] = Series{Start: s.Start, Step: s.Step, Values: do}
	}
	for k, s := range maps.Clone(d.Outfalls) {
		d.Outfalls[Key{k.ID, "COD"}] = s
		d.Limits[Key{k.ID, "COD"}] = 10
	}
	q.Factor = "DO"
	eng, _ := New(n)
	if _, err := eng.Trace(q, d); err == nil || !strings.Contains(err.Error(), "OutfallFactor") {
		t.Fatalf("DO without OutfallFactor: %v", err)
	}
	q.OutfallFactor = "COD"
	rep := mustTrace(t, n, q, d)
	if rep.Limit != 6 || rep.Peak >= 6 || rep.Baseline < 7 {
		t.Errorf("DO: limit %v (want 6, class II), low %v, baseline %v", rep.Limit, rep.Peak, rep.Baseline)
	}
	if rep.Candidates[0].Outfall != "Ob" || rep.Candidates[0].Correlation.R < 0.8 {
		t.Errorf("first %s r %v, want Ob with a strong correlation", rep.Candidates[0].Outfall, rep.Candidates[0].Correlation.R)
	}
}

func TestTraceQueryErrors(t *testing.T) {
	n := edgeNetwork()
	n.Sections[1].Target = 0
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	eng, _ := New(n)
	tests := []struct {
		name string
		edit func(q *Query)
		want string
	}{
		{"unknown section", func(q *Query) { q.Section = "X" }, `unknown section "X"`},
		{"no time", func(q *Query) { q.Time = time.Time{} }, "no trigger time"},
		{"no factor", func(q *Query) { q.Factor = "" }, "no factor"},
		{"unknown factor", func(q *Query) { q.Factor = "w99999" }, `factor "w99999" is not a GB 3838 item: give the limit`},
		{"pH", func(q *Query) { q.Factor = "pH" }, "pH is a range"},
		{"no target", func(q *Query) { q.Section = "UA" }, `section "UA" has no target class`},
		{"tiny window", func(q *Query) { q.Window = 3 * time.Hour }, "fewer than 8 steps"},
		{"negative", func(q *Query) { q.Tolerance = -time.Hour }, "negative"},
		{"negative weight", func(q *Query) { q.Weights = Weights{Load: -1} }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := q
			tt.edit(&q)
			_, err := eng.Trace(q, d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	q.Factor, q.Limit = "w99999", 0.5
	d.Sections[Key{"T", "w99999"}] = d.Sections[Key{"T", "NH3-N"}]
	q.OutfallFactor = "NH3-N"
	if _, err := eng.Trace(q, d); err != nil {
		t.Errorf("any factor with an explicit limit: %v", err)
	}
}

type failingData struct{ *MapData }

var errStore = errors.New("store down")

func (failingData) OutfallFlow(string, time.Time, time.Time) (Series, error) {
	return Series{}, errStore
}

func TestTraceDataError(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	eng, _ := New(n)
	_, err := eng.Trace(q, failingData{d})
	if !errors.Is(err, errStore) || !strings.Contains(err.Error(), `outfall "Onear" flow`) {
		t.Errorf("error %v, want the store's error naming the outfall", err)
	}
}

// TestReportGolden pins the JSON and the text of one report.
func TestReportGolden(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	delete(d.Outfalls, Key{"Ob", "NH3-N"})
	q.MaxCandidates = 3
	rep := mustTrace(t, n, q, d)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		got  []byte
	}{{"report.golden.json", append(js, '\n')}, {"report.golden.txt", []byte(rep.Text())}} {
		golden.Check(t, filepath.Join("testdata", g.file), g.got)
	}
}

// TestConcurrent: an Engine is shared by concurrent queries (run with
// -race); each gets the same answer as alone.
func TestConcurrent(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Ob", arrive: 150, hours: 4, load: 2})
	eng, _ := New(n)
	want, err := eng.Trace(q, d)
	if err != nil {
		t.Fatal(err)
	}
	wantJS, _ := json.Marshal(want)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			rep, err := eng.Trace(q, d)
			if err == nil {
				if js, _ := json.Marshal(rep); !bytes.Equal(js, wantJS) {
					err = errors.New("concurrent report differs")
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// Without a pulse the section stays below its limit: the report says it
// does not exceed, so a page can decline to name suspects.
func TestTraceNoExceedance(t *testing.T) {
	n := edgeNetwork()
	d, q := edgeData(t, n, pulse{outfall: "Ob", arrive: 150, hours: 4, load: 2})
	q.Time = genStart.Add(40 * time.Hour) // days before the pulse arrives
	rep := mustTrace(t, n, q, d)
	if rep.Exceeds {
		t.Errorf("Exceeds is true without a pulse (peak %v, limit %v)", rep.Peak, rep.Limit)
	}
}
