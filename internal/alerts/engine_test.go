package alerts

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// h0 is 2026-03-01 00:00 CST.
var h0 = time.Date(2026, 3, 1, 0, 0, 0, 0, chinatime.Zone).Unix()

const hour = 3600

func f(v float64) *float64 { return &v }

var limits = []model.Limit{
	{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: f(35)},
	{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitMeasured, Period: model.PeriodHour, Max: f(50)},
	{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodDay, Max: f(30)},
	{Pollutant: "w01001", Kind: model.LimitMeasured, Period: model.PeriodHour, Min: f(6), Max: f(9)},
}

func key(factor, field, period string) SeriesKey {
	return SeriesKey{MN: "MN1", Outlet: "O1", Enterprise: "E1", County: "371502", Factor: factor, Field: field, Period: period}
}

// one builds an engine with a single series and the given config.
func one(t *testing.T, cfg Config, k SeriesKey) *Engine {
	t.Helper()
	e, err := New(cfg, []SeriesSpec{{Key: k, Limits: limits}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type step struct {
	t    int64
	v    float64
	flag byte
}

func hourly(vs ...float64) []step {
	out := make([]step, len(vs))
	for i, v := range vs {
		out[i] = step{h0 + int64(i)*hour, v, 'N'}
	}
	return out
}

// run feeds series 0 and returns, per step, the outcome kinds (0 if none).
func run(e *Engine, steps []step, rule Rule) []OutcomeKind {
	var got []OutcomeKind
	for _, s := range steps {
		out := e.Observe(Sample{0, s.t, s.v, s.flag}, nil)
		var k OutcomeKind
		for _, o := range out {
			if o.Rule == rule {
				k = o.Kind // the last one of the step (OpenCase after Notify)
			}
		}
		got = append(got, k)
	}
	return got
}

const (
	__ = OutcomeKind(0)
	NS = NotifySelfCheck
	OC = OpenCase
)

func TestMatchLimit(t *testing.T) {
	tests := []struct {
		k        SeriesKey
		max, min float64
	}{
		{key("a21026", "ZsAvg", model.PeriodHour), 35, math.NaN()},
		{key("a21026", "Avg", model.PeriodHour), 50, math.NaN()},
		{key("a21026", "ZsAvg", model.PeriodDay), 30, math.NaN()},
		{key("a21026", "Avg", model.PeriodDay), math.NaN(), math.NaN()},
		{key("a21026", "Rtd", PeriodRealtime), math.NaN(), math.NaN()},
		{key("w01001", "Avg", model.PeriodHour), 9, 6},
		{key("a21002", "Avg", model.PeriodHour), math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		max, min := matchLimit(tt.k, limits)
		if !sameF(max, tt.max) || !sameF(min, tt.min) {
			t.Errorf("%s-%s %s: %v %v, want %v %v", tt.k.Factor, tt.k.Field, tt.k.Period, max, min, tt.max, tt.min)
		}
	}
}

func sameF(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestExceedance(t *testing.T) {
	cfg := DefaultConfig() // 3 consecutive hours open a case
	zs := key("a21026", "ZsAvg", model.PeriodHour)
	tests := []struct {
		name  string
		k     SeriesKey
		steps []step
		want  []OutcomeKind
	}{
		{"under the limit", zs, hourly(30, 35, 34), []OutcomeKind{__, __, __}},
		{"first hour notifies, third opens a case", zs, hourly(30, 36, 40, 41, 42), []OutcomeKind{__, NS, __, OC, __}},
		{"measured limit on Avg", key("a21026", "Avg", model.PeriodHour), hourly(40, 51), []OutcomeKind{__, NS}},
		{"interrupted streak", zs, hourly(36, 37, 20, 36, 37, 38), []OutcomeKind{NS, __, __, __, __, OC}},
		{"missing hour breaks the streak", zs, []step{{h0, 40, 'N'}, {h0 + hour, 40, 'N'}, {h0 + 3*hour, 40, 'N'}, {h0 + 4*hour, 40, 'N'}, {h0 + 5*hour, 40, 'N'}},
			[]OutcomeKind{NS, __, __, __, OC}},
		{"maintenance values are not judged", zs, []step{{h0, 90, 'M'}, {h0 + hour, 90, 'C'}, {h0 + 2*hour, 90, 'D'}}, []OutcomeKind{__, __, __}},
		{"over range counts", zs, []step{{h0, 99, 'T'}}, []OutcomeKind{NS}},
		{"no flag counts as N", zs, []step{{h0, 99, 0}}, []OutcomeKind{NS}},
		{"pH under its lower limit", key("w01001", "Avg", model.PeriodHour), hourly(7, 5.5), []OutcomeKind{__, NS}},
		{"daily limit", key("a21026", "ZsAvg", model.PeriodDay), []step{{h0, 29, 'N'}, {h0 + 86400, 31, 'N'}}, []OutcomeKind{__, NS}},
		{"real-time values have no limit", key("a21026", "Rtd", PeriodRealtime), []step{{h0, 500, 'N'}}, []OutcomeKind{__}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := one(t, cfg, tt.k)
			if got := run(e, tt.steps, RuleExceedance); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOutcomeFields(t *testing.T) {
	e := one(t, DefaultConfig(), key("a21026", "ZsAvg", model.PeriodHour))
	var out []Outcome
	for i, v := range []float64{36, 40, 41} {
		out = e.Observe(Sample{0, h0 + int64(i)*hour, v, 'N'}, out)
	}
	want := []Outcome{
		{NotifySelfCheck, RuleExceedance, 0, 0, h0, h0, 36, 35},
		{OpenCase, RuleExceedance, 0, 0, h0, h0 + 2*hour, 41, 35},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("outcomes %+v, want %+v", out, want)
	}
	if out[1].Key() != "exceedance/0/1772294400" {
		t.Errorf("key %q", out[1].Key())
	}
	if RuleExceedance.CaseSource() != string(cases.SourceOnline) || RuleTreatmentOff.CaseSource() != string(cases.SourceElectric) {
		t.Errorf("case sources do not match internal/cases")
	}
}

// TestCoolDown: a condition that comes back within the cool-down resumes
// its episode (no second notice, no second case); after it, a new episode
// notifies again.
func TestCoolDown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Exceedance = Timing{CoolDown: 6 * time.Hour, PersistCount: 2}
	cfg.EmitResolved = true
	e := one(t, cfg, key("a21026", "ZsAvg", model.PeriodHour))
	vals := []float64{
		40, 20, // h0 notify, h1 resolved
		40, 40, // h2 resumes silently, h3 second consecutive: case
		20, 40, 40, // h4 resolved, h5 resumes, h6 streak 2 but already escalated
		20, 20, 20, 20, 20, 20, 20, // h7 resolved; quiet until h13 (6 h after h7)
		40, // h14: cool-down over, new episode
	}
	var kinds []OutcomeKind
	var since []int64
	for i, v := range vals {
		for _, o := range e.Observe(Sample{0, h0 + int64(i)*hour, v, 'N'}, nil) {
			kinds = append(kinds, o.Kind)
			since = append(since, o.Since)
		}
	}
	want := []OutcomeKind{NS, Resolved, OC, Resolved, Resolved, NS}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := 0; i < 5; i++ {
		if since[i] != h0 {
			t.Errorf("outcome %d since %d, want the first episode's start", i, since[i])
		}
	}
	if since[5] != h0+14*hour {
		t.Errorf("new episode since %d", since[5])
	}
}

func TestCoolDownBoundary(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Exceedance = Timing{CoolDown: 2 * time.Hour}
	for _, tt := range []struct {
		gap  int64
		want []OutcomeKind
	}{
		{2*hour - 1, []OutcomeKind{NS, __, __}}, // back 1 s before the cool-down ends: resumed
		{2 * hour, []OutcomeKind{NS, __, NS}},   // back exactly at its end: new episode
	} {
		e := one(t, cfg, key("a21026", "ZsAvg", model.PeriodHour))
		steps := []step{{h0, 40, 'N'}, {h0 + 1, 20, 'N'}, {h0 + 1 + tt.gap, 40, 'N'}}
		if got := run(e, steps, RuleExceedance); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("gap %d: %v, want %v", tt.gap, got, tt.want)
		}
	}
}

func TestOffline(t *testing.T) {
	cfg := DefaultConfig() // after 2 h; a case 24 h after detection
	e, err := New(cfg, []SeriesSpec{{Key: key("a21026", "ZsAvg", model.PeriodHour)}, {Key: SeriesKey{MN: "MN2", Factor: "a21026", Field: "Avg", Period: model.PeriodHour}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tick := func(now int64) []Outcome { return e.Tick(now, nil) }
	if out := tick(h0); len(out) != 0 {
		t.Fatalf("first tick: %v", out)
	}
	e.Observe(Sample{0, h0 + hour, 10, 'N'}, nil)
	if out := tick(h0 + 3*hour); len(out) != 0 { // MN1 silent exactly 2 h; MN2 seeded at h0, 3 h
		if len(out) != 1 || out[0].Device != 1 || out[0].Kind != NotifySelfCheck || out[0].Value != 3*hour {
			t.Fatalf("tick 3h: %+v", out)
		}
	}
	out := tick(h0 + 3*hour + 1)
	if len(out) != 1 || out[0].Device != 0 || out[0].Rule != RuleOffline || out[0].Series != NoSeries || e.MN(out[0].Device) != "MN1" {
		t.Fatalf("MN1 silent 2 h + 1 s: %+v", out)
	}
	if out := tick(h0 + 4*hour); len(out) != 0 {
		t.Fatalf("deduplicated: %+v", out)
	}
	out = tick(h0 + 27*hour + 1) // 24 h after MN1's detection (and MN2's case too)
	if len(out) != 2 || out[1].Device != 1 || out[0].Kind != OpenCase || out[0].Device != 0 || out[0].Since != h0+3*hour+1 {
		t.Fatalf("persisting: %+v", out)
	}
	// Contact ends the episode; a new silence starts a new one after the cool-down.
	e.Contact("MN1", h0+28*hour, nil)
	if out := tick(h0 + 29*hour); len(out) != 0 {
		t.Fatalf("after contact: %+v", out)
	}
	out = tick(h0 + 31*hour)
	if len(out) != 1 || out[0].Kind != NotifySelfCheck || out[0].Device != 0 {
		t.Fatalf("new silence: %+v", out)
	}
	if out := e.Contact("unknown", h0, nil); out != nil {
		t.Errorf("unknown MN")
	}
}

func TestFlagOveruse(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlagOveruse.Window = 24 * time.Hour
	cfg.FlagOveruse.MinCount = 24
	cfg.FlagOveruse.Share = 0.10
	mk := func(mFlags ...int) []step {
		s := hourly(make([]float64, 24)...)
		for i := range s {
			s[i].v = 10
		}
		for _, i := range mFlags {
			s[i].flag = 'M'
		}
		return s
	}
	e := one(t, cfg, key("a21026", "ZsAvg", model.PeriodHour))
	got := run(e, mk(0, 1), RuleFlagOveruse) // 2/24 = 8.3 %
	if !reflect.DeepEqual(got, make([]OutcomeKind, 24)) {
		t.Errorf("8.3 %%: %v", got)
	}
	e = one(t, cfg, key("a21026", "ZsAvg", model.PeriodHour))
	s := mk(0, 1, 2)
	s[2].flag = 'C'
	got = run(e, s, RuleFlagOveruse) // 3/24 = 12.5 %, judged from the 24th value
	if got[22] != __ || got[23] != NS {
		t.Errorf("12.5 %%: %v", got)
	}
	// A day later the flagged values have left the window.
	next := hourly(make([]float64, 24)...)
	for i := range next {
		next[i].t += 24 * hour
		next[i].v = 10
	}
	var outs []Outcome
	e.cfg.EmitResolved = true
	for _, st := range next {
		for _, o := range e.Observe(Sample{0, st.t, st.v, st.flag}, nil) {
			if o.Rule == RuleFlagOveruse {
				outs = append(outs, o)
			}
		}
	}
	if len(outs) != 1 || outs[0].At != h0+24*hour || outs[0].Kind != Resolved || outs[0].Rule != RuleFlagOveruse {
		t.Errorf("window slid: %+v", outs)
	}
}

func TestFlatLine(t *testing.T) {
	cfg := DefaultConfig() // N = 12
	rep := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	tests := []struct {
		name  string
		vals  []float64
		fires int // index of the firing step, -1 for none
	}{
		{"11 equal", append([]float64{1}, rep(12.3, 11)...), -1},
		{"12 equal", append([]float64{1}, rep(12.3, 12)...), 12},
		{"zeros ignored", rep(0, 20), -1},
		{"broken by one value", append(append(rep(5, 11), 6), rep(5, 11)...), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := one(t, cfg, key("a21002", "Avg", model.PeriodHour))
			got := run(e, hourly(tt.vals...), RuleFlatLine)
			for i, k := range got {
				if (i == tt.fires) != (k == NS) {
					t.Fatalf("got %v, want a notice at %d", got, tt.fires)
				}
			}
		})
	}
	// Invalid values between equal ones do not break the line.
	e := one(t, cfg, key("a21002", "Avg", model.PeriodHour))
	s := hourly(append(rep(7, 6), append([]float64{99}, rep(7, 6)...)...)...)
	s[6].flag = 'C'
	if got := run(e, s, RuleFlatLine); got[12] != NS {
		t.Errorf("calibration value inside a flat line: %v", got)
	}
}

func TestStep(t *testing.T) {
	cfg := DefaultConfig() // factor 2 × 35 = 70
	zs := key("a21026", "ZsAvg", model.PeriodHour)
	tests := []struct {
		name  string
		steps []step
		want  []OutcomeKind
	}{
		{"jump of exactly 70", hourly(1, 71), []OutcomeKind{__, __}},
		{"jump over 70", hourly(1, 71.5), []OutcomeKind{__, NS}},
		{"drop over 70", hourly(80, 5), []OutcomeKind{__, NS}},
		{"far apart", []step{{h0, 1, 'N'}, {h0 + 2*hour + 1, 90, 'N'}}, []OutcomeKind{__, __}},
		{"three jumps in a row open a case", hourly(0, 80, 0, 80), []OutcomeKind{__, NS, __, OC}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := one(t, cfg, zs)
			if got := run(e, tt.steps, RuleStep); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// MaxStep overrides the factor; a series without limit has no step rule.
	e, _ := New(cfg, []SeriesSpec{{Key: key("a21002", "Avg", model.PeriodHour), MaxStep: 5}, {Key: key("a21005", "Avg", model.PeriodHour)}}, nil, nil)
	if got := run(e, hourly(1, 7), RuleStep); got[1] != NS {
		t.Errorf("MaxStep 5: %v", got)
	}
	e.Observe(Sample{1, h0, 1, 'N'}, nil)
	if out := e.Observe(Sample{1, h0 + hour, 1e6, 'N'}, nil); len(out) != 0 {
		t.Errorf("no limit, no step rule: %v", out)
	}
}

func TestPinned(t *testing.T) {
	cfg := DefaultConfig() // band 10 % under 35: [31.5, 35]; share 80 %; 24 values
	zs := key("a21026", "ZsAvg", model.PeriodHour)
	mk := func(nearCount int) []step {
		vals := make([]float64, 24)
		for i := range vals {
			vals[i] = 20 + float64(i%3) // far under
			if i < nearCount {
				vals[i] = 31.5 + float64(i%4)*0.9 // 31.5 .. 34.2
			}
		}
		return hourly(vals...)
	}
	e := one(t, cfg, zs)
	if got := run(e, mk(19), RulePinned); got[23] != __ { // 79 %
		t.Errorf("19/24: %v", got)
	}
	e = one(t, cfg, zs)
	got := run(e, mk(20), RulePinned) // 83 %
	if got[22] != __ || got[23] != NS {
		t.Errorf("20/24: %v", got)
	}
	// Values over the limit are exceedances, not pinned ones.
	e = one(t, cfg, zs)
	over := hourly(make([]float64, 24)...)
	for i := range over {
		over[i].v = 35.5 + float64(i%2)
	}
	if got := run(e, over, RulePinned); got[23] != __ {
		t.Errorf("over the limit: %v", got)
	}
}

// electric builds: series 0 production meter, 1 treatment meter, 2 a
// filling station's pump meter.
func electric(t *testing.T, cfg Config) *Engine {
	t.Helper()
	pt := func(mn, f string) SeriesKey {
		return SeriesKey{MN: mn, Enterprise: "E1", Factor: f, Field: "Pt", Period: PeriodRealtime}
	}
	specs := []SeriesSpec{{Key: pt("EM1", "P001")}, {Key: pt("EM1", "T001")}, {Key: pt("EM2", "P001")}}
	groups := []MeterGroup{
		{Enterprise: "E1", County: "371502", Class: "steel-B", Production: []SeriesID{0}, ProductionOnKW: 50,
			Treatment: []TreatmentMeter{{Series: 1, OffKW: 1, MinKW: 20}}},
		{Enterprise: "E2", County: "371502", Class: "filling-station", Production: []SeriesID{2}, ProductionOnKW: 0.5},
	}
	day := func(d int) time.Time { return time.Unix(h0, 0).AddDate(0, 0, d) }
	schedules := []Schedule{
		{Class: "steel-B", Kind: "production", From: day(0), To: day(30), Windows: []DayWindow{{22 * 60, 6 * 60}}},
		{Class: "filling-station", Kind: "refuelling", From: day(10), To: day(10)},
		{Class: "other", From: day(0), To: day(30)},
	}
	e, err := New(cfg, specs, groups, schedules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTreatmentOffAndUnderload(t *testing.T) {
	cfg := DefaultConfig() // max age 30 min; off case after 2 h
	e := electric(t, cfg)
	type obs struct {
		id   SeriesID
		at   int64
		kw   float64
		want []Outcome
	}
	noon := h0 + 12*hour
	seq := []obs{
		{1, noon, 0, nil},      // treatment off, production unknown
		{0, noon + 60, 0, nil}, // production off too: fine
		{0, noon + 120, 120, []Outcome{{NotifySelfCheck, RuleTreatmentOff, 1, 0, noon + 120, noon + 120, 0, 1}}},
		{1, noon + 180, 0, nil}, // still off: deduplicated
		{1, noon + 240, 10, []Outcome{{NotifySelfCheck, RuleTreatmentUnderload, 1, 0, noon + 240, noon + 240, 10, 20}}},
		{1, noon + 300, 30, nil},         // running properly
		{0, noon + 300 + 1801, 120, nil}, // treatment reading now stale: not judged
		{1, noon + 2400, 0.5, nil},       // off again within the off rule's 1 h cool-down: resumed
		{0, noon + 120 + 2*hour, 110, []Outcome{{OpenCase, RuleTreatmentOff, 1, 0, noon + 120, noon + 120 + 2*hour, 0.5, 1}}},
	}
	// the last step: treatment read at noon+2400 is stale at noon+7320; refresh it first
	for i, o := range seq {
		if i == len(seq)-1 {
			e.Observe(Sample{1, o.at - 60, 0.5, 'N'}, nil)
		}
		got := e.Observe(Sample{o.id, o.at, o.kw, 'N'}, nil)
		if !reflect.DeepEqual(got, o.want) {
			t.Fatalf("step %d: %+v, want %+v", i, got, o.want)
		}
	}
}

func TestRestrictedWindows(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name string
		id   SeriesID
		at   int64
		kw   float64
		want bool
	}{
		{"steel at 23:00 inside the night window", 0, h0 + 23*hour, 100, true},
		{"steel at 05:59", 0, h0 + 5*hour + 59*60, 100, true},
		{"steel at 06:00", 0, h0 + 6*hour, 100, false},
		{"steel at noon", 0, h0 + 12*hour, 100, false},
		{"steel stopped at 23:00", 0, h0 + 23*hour, 10, false},
		{"steel after the date range", 0, h0 + 31*86400 + 23*hour, 100, false},
		{"steel on the last day", 0, h0 + 30*86400 + 23*hour, 100, true},
		{"filling station all day on day 10", 2, h0 + 10*86400 + 9*hour, 3, true},
		{"filling station on day 11", 2, h0 + 11*86400 + 9*hour, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := electric(t, cfg)
			out := e.Observe(Sample{tt.id, tt.at, tt.kw, 'N'}, nil)
			fired := len(out) == 1 && out[0].Rule == RuleRestricted && out[0].Kind == NotifySelfCheck && out[0].Series == tt.id
			if fired != tt.want || (!tt.want && len(out) != 0) {
				t.Errorf("outcomes %+v", out)
			}
		})
	}
}

func TestIgnored(t *testing.T) {
	e := one(t, DefaultConfig(), key("a21026", "ZsAvg", model.PeriodHour))
	e.Observe(Sample{0, h0, 40, 'N'}, nil) // notice
	for _, s := range []Sample{{0, h0, 40, 'N'}, {0, h0 - 1, 40, 'N'}, {0, h0 + 1, math.NaN(), 'N'}, {0, h0 + 1, math.Inf(1), 'N'}, {5, h0, 1, 'N'}, {-1, h0, 1, 'N'}} {
		if out := e.Observe(s, nil); len(out) != 0 {
			t.Errorf("%+v produced %v", s, out)
		}
	}
	if st := e.Stats(); st.Observed != 1 || st.Ignored != 6 {
		t.Errorf("stats %+v", st)
	}
	if id, ok := e.Lookup(key("a21026", "ZsAvg", model.PeriodHour)); !ok || id != 0 || e.Key(id).Field != "ZsAvg" {
		t.Errorf("lookup %v %v", id, ok)
	}
}

func TestNewRefuses(t *testing.T) {
	k := key("a21026", "ZsAvg", model.PeriodHour)
	tests := []struct {
		name   string
		specs  []SeriesSpec
		groups []MeterGroup
		scheds []Schedule
	}{
		{"duplicate series", []SeriesSpec{{Key: k}, {Key: k}}, nil, nil},
		{"no MN", []SeriesSpec{{Key: SeriesKey{Factor: "a", Field: "Avg"}}}, nil, nil},
		{"unknown meter", []SeriesSpec{{Key: k}}, []MeterGroup{{Production: []SeriesID{3}}}, nil},
		{"meter twice", []SeriesSpec{{Key: k}}, []MeterGroup{{Production: []SeriesID{0}, Treatment: []TreatmentMeter{{Series: 0}}}}, nil},
		{"bad window", []SeriesSpec{{Key: k}}, []MeterGroup{{Class: "x", Production: []SeriesID{0}}}, []Schedule{{Class: "x", From: time.Unix(h0, 0), To: time.Unix(h0, 0), Windows: []DayWindow{{600, 600}}}}},
		{"reversed dates", []SeriesSpec{{Key: k}}, []MeterGroup{{Class: "x", Production: []SeriesID{0}}}, []Schedule{{Class: "x", From: time.Unix(h0+86400, 0), To: time.Unix(h0, 0)}}},
	}
	for _, tt := range tests {
		if _, err := New(DefaultConfig(), tt.specs, tt.groups, tt.scheds); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestEpisodeInvariants feeds random streams and checks, per subject and
// rule: an OpenCase always follows a NotifySelfCheck of the same episode,
// and each episode opens at most one case.
func TestEpisodeInvariants(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlagOveruse.MinCount = 4
	cfg.Pinned.MinCount = 4
	cfg.FlatLine.N = 3
	rng := rand.New(rand.NewPCG(5, 6))
	e := electric(t, cfg)
	e2 := one(t, cfg, key("a21026", "ZsAvg", model.PeriodHour))
	type ep struct {
		r    Rule
		s    SeriesID
		d    int32
		from int64
	}
	notified := map[ep]bool{}
	cased := map[ep]bool{}
	check := func(out []Outcome) {
		for _, o := range out {
			k := ep{o.Rule, o.Series, o.Device, o.Since}
			switch o.Kind {
			case NotifySelfCheck:
				if notified[k] {
					t.Fatalf("second notice for %+v", k)
				}
				notified[k] = true
			case OpenCase:
				if !notified[k] || cased[k] {
					t.Fatalf("case without notice or twice: %+v", k)
				}
				cased[k] = true
			}
		}
	}
	now := h0
	flags := []byte{'N', 'N', 'N', 'N', 'M', 'C', 'D', 0}
	for i := 0; i < 20000; i++ {
		now += int64(rng.IntN(1800))
		check(e.Observe(Sample{SeriesID(rng.IntN(3)), now, float64(rng.IntN(4)) * 40, flags[rng.IntN(len(flags))]}, nil))
		check(e2.Observe(Sample{0, now, 30 + float64(rng.IntN(8)), flags[rng.IntN(len(flags))]}, nil))
		if i%50 == 0 {
			check(e.Tick(now, nil))
		}
	}
	if len(notified) == 0 || len(cased) == 0 {
		t.Fatalf("the stream fired nothing: %d notices, %d cases", len(notified), len(cased))
	}
}

func TestObserveNoAlloc(t *testing.T) {
	e := one(t, DefaultConfig(), key("a21026", "ZsAvg", model.PeriodHour))
	out := make([]Outcome, 0, 8)
	ts := h0
	allocs := testing.AllocsPerRun(1000, func() {
		ts += hour
		out = e.Observe(Sample{0, ts, 20 + float64(ts%7), 'N'}, out[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per value", allocs)
	}
}

func unix(t int64) time.Time { return time.Unix(t, 0) }
