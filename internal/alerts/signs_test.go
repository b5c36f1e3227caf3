package alerts

import (
	"reflect"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// analyser is a CEMS SO2 analyser set to 0–500 mg/m³ with a detection
// limit of 3 mg/m³ (fixed-potential electrolysis, HJ 57-2017).
func analyser() *model.DeviceFactor {
	return &model.DeviceFactor{Factor: "a21026", Unit: "mg/m3", RangeMax: f(500), DetectionLimit: f(3)}
}

// signsConfig is the default configuration with a short duration, so a
// table row stays readable: 4 hourly values (3 h) make a run long enough.
func signsConfig() Config {
	cfg := DefaultConfig()
	cfg.NearDetection.Run = Run{Duration: 3 * time.Hour, MinCount: 4}
	cfg.NearDetection.Timing = Timing{CoolDown: time.Hour, Persist: 2 * time.Hour}
	cfg.NarrowBand.Run = Run{Duration: 3 * time.Hour, MinCount: 4}
	cfg.NarrowBand.Timing = Timing{CoolDown: time.Hour, Persist: 2 * time.Hour}
	return cfg
}

// TestRunHeld: the run both screening rules share has lasted once its
// duration is reached AND it holds MinCount values (and at least one);
// either alone is not enough; begin starts it afresh.
func TestRunHeld(t *testing.T) {
	c := Run{Duration: 3 * time.Hour, MinCount: 5}
	var r runState
	r.begin(h0)
	var got []bool
	for _, at := range []int64{h0, h0 + hour, h0 + 2*hour, h0 + 3*hour, h0 + 3*hour + 60, h0 + 4*hour} {
		got = append(got, r.add(at, c))
	}
	// 3 h reached at the fourth value, five values only at the fifth.
	if want := []bool{false, false, false, false, true, true}; !reflect.DeepEqual(got, want) {
		t.Errorf("held %v, want %v", got, want)
	}
	r.begin(h0 + 5*hour)
	if r.add(h0+9*hour, c) || r.n != 1 || !r.in {
		t.Errorf("after begin: %+v", r)
	}
	if r.begin(h0); !r.add(h0, Run{}) {
		t.Error("a zero Run is held by one value")
	}
}

func signsEngine(t *testing.T, cfg Config, a *model.DeviceFactor) *Engine {
	t.Helper()
	k := key("a21026", "Avg", model.PeriodHour)
	e, err := New(cfg, []SeriesSpec{{Key: k, Limits: limits, Analyser: a}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestNearDetection: sign 20 — values at most 1.5 × the detection limit
// (4.5 mg/m³ here) for the duration (3 h, 4 values) notify; the persisting
// run opens a case; a value above the bound, a missing hour or an
// invalid flag ends the run.
func TestNearDetection(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  []OutcomeKind
	}{
		{"at the bound for the duration", hourly(4.5, 4.5, 4.5, 4.5), []OutcomeKind{__, __, __, NS}},
		{"below the limit and zero count", hourly(3, 1.5, 0, 2.9), []OutcomeKind{__, __, __, NS}},
		{"one hour short of the duration", hourly(3, 3, 3), []OutcomeKind{__, __, __}},
		{"just above the bound breaks the run", hourly(3, 3, 4.51, 3, 3, 3), []OutcomeKind{__, __, __, __, __, __}},
		{"persisting opens a case", hourly(3, 3, 3, 3, 3, 3), []OutcomeKind{__, __, __, NS, __, OC}},
		{"a missing hour breaks the run", []step{{h0, 3, 'N'}, {h0 + hour, 3, 'N'}, {h0 + 4*hour, 3, 'N'}, {h0 + 5*hour, 3, 'N'}, {h0 + 6*hour, 3, 'N'}, {h0 + 7*hour, 3, 'N'}},
			[]OutcomeKind{__, __, __, __, __, NS}},
		{"flagged values are not judged", []step{{h0, 3, 'N'}, {h0 + hour, 3, 'M'}, {h0 + 2*hour, 3, 'N'}, {h0 + 3*hour, 3, 'N'}}, []OutcomeKind{__, __, __, __}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := signsEngine(t, signsConfig(), analyser())
			if got := run(e, tt.steps, RuleNearDetection); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("no detection limit, no screening", func(t *testing.T) {
		a := analyser()
		a.DetectionLimit = nil
		for _, a := range []*model.DeviceFactor{nil, a} {
			e := signsEngine(t, signsConfig(), a)
			if got := run(e, hourly(0, 0, 0, 0, 0), RuleNearDetection); !reflect.DeepEqual(got, []OutcomeKind{__, __, __, __, __}) {
				t.Errorf("%+v: %v", a, got)
			}
		}
	})
	t.Run("outcome", func(t *testing.T) {
		e := signsEngine(t, signsConfig(), analyser())
		var out []Outcome
		for i, v := range []float64{3, 2, 4, 1} {
			out = append(out, only(e.Observe(Sample{0, h0 + int64(i)*hour, v, 'N'}, nil), RuleNearDetection)...)
		}
		want := []Outcome{{NotifySelfCheck, RuleNearDetection, 0, 0, h0 + 3*hour, h0 + 3*hour, 1, 4.5}}
		if !reflect.DeepEqual(out, want) || out[0].Key() != "near-detection-limit/0/1772305200" {
			t.Errorf("outcomes %+v (key %s), want %+v", out, out[0].Key(), want)
		}
	})
}

// TestNarrowBand: sign 22 — values whose highest and lowest differ by at
// most 2 % of the range (0–500 mg/m³: 10 mg/m³) for the duration notify;
// a value that widens the band past it starts a new run.
func TestNarrowBand(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  []OutcomeKind
	}{
		{"exactly 2 % of the range", hourly(100, 110, 105, 100), []OutcomeKind{__, __, __, NS}},
		{"just inside", hourly(100, 109.99, 100, 100), []OutcomeKind{__, __, __, NS}},
		{"just outside restarts the run", hourly(100, 110.01, 110, 105, 101), []OutcomeKind{__, __, __, __, NS}},
		{"one hour short of the duration", hourly(100, 101, 102), []OutcomeKind{__, __, __}},
		{"persisting opens a case", hourly(100, 101, 102, 103, 104, 105), []OutcomeKind{__, __, __, NS, __, OC}},
		{"a missing hour breaks the run", []step{{h0, 100, 'N'}, {h0 + hour, 100, 'N'}, {h0 + 2*hour, 100, 'N'}, {h0 + 5*hour, 100, 'N'}}, []OutcomeKind{__, __, __, __}},
		{"a range not starting at zero", hourly(100, 110, 105, 100), []OutcomeKind{__, __, __, __}}, // see below: 100–500 has a band of 8
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyser()
			if tt.name == "a range not starting at zero" {
				a.RangeMin = 100
			}
			e := signsEngine(t, signsConfig(), a)
			if got := run(e, tt.steps, RuleNarrowBand); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("no detection limit: not a concentration analyser, not screened", func(t *testing.T) {
		a := analyser()
		a.DetectionLimit = nil
		e := signsEngine(t, signsConfig(), a)
		if got := run(e, hourly(7, 7.1, 7, 7.1, 7), RuleNarrowBand); !reflect.DeepEqual(got, []OutcomeKind{__, __, __, __, __}) {
			t.Errorf("%v", got)
		}
	})
	t.Run("outcome", func(t *testing.T) {
		e := signsEngine(t, signsConfig(), analyser())
		var out []Outcome
		for i, v := range []float64{100, 104, 102, 101} {
			out = append(out, only(e.Observe(Sample{0, h0 + int64(i)*hour, v, 'N'}, nil), RuleNarrowBand)...)
		}
		want := []Outcome{{NotifySelfCheck, RuleNarrowBand, 0, 0, h0 + 3*hour, h0 + 3*hour, 4, 10}}
		if !reflect.DeepEqual(out, want) {
			t.Errorf("outcomes %+v, want %+v", out, want)
		}
	})
}

// TestSignsDefaults: with the defaults, sign 20 notifies once the values
// have been at the detection limit for 72 h (the 73rd hourly value, 48 at
// least), sign 22 once they have stayed within 2 % of the range for a
// week (the 169th, 120 at least) — and not one hour before.
func TestSignsDefaults(t *testing.T) {
	for _, tt := range []struct {
		rule Rule
		at   int
	}{{RuleNearDetection, 72}, {RuleNarrowBand, 7 * 24}} {
		e := signsEngine(t, DefaultConfig(), analyser())
		vals := make([]float64, tt.at+2)
		for i := range vals {
			vals[i] = 2 + float64(i%2)*0.5 // near the 3 mg/m³ limit, within 10 mg/m³
		}
		got := run(e, hourly(vals...), tt.rule)
		for i, k := range got {
			want := __
			if i == tt.at {
				want = NS
			}
			if k != want {
				t.Errorf("%s: hour %d: %v, want %v", tt.rule, i, k, want)
			}
		}
	}
}

// only keeps the outcomes of one rule (the same values also fire others:
// 3 mg/m³ four times is a narrow band too).
func only(out []Outcome, r Rule) []Outcome {
	var keep []Outcome
	for _, o := range out {
		if o.Rule == r {
			keep = append(keep, o)
		}
	}
	return keep
}
