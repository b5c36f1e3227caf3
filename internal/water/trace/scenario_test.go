package trace

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// TestScenarios is the acceptance test of upstream tracing: in generated networks
// where a known outfall injects a pulse into noisy background, the true
// source must rank first in at least 90 % of the scenarios. The same
// scenarios ranked by proximity alone (the nearest outfall first) must do
// much worse, which shows they are not trivial. The hard variant has
// pulses of 3 to 6 noise sigmas, velocities off by up to 25 %, 40 % of the
// outfalls with unrelated spikes, and traces two hours after the alarm.
func TestScenarios(t *testing.T) {
	hard := defaultGen
	hard.snrMin, hard.snrMax, hard.velocityError, hard.decoyShare, hard.after = 3, 6, 0.25, 0.4, 2*time.Hour
	for _, v := range []struct {
		name string
		opts genOpts
	}{{"default", defaultGen}, {"hard", hard}} {
		t.Run(v.name, func(t *testing.T) { scenarios(t, v.opts) })
	}
}

// scenarios runs 200 scenarios (50 with -short).
func scenarios(t *testing.T, opts genOpts) {
	n := 200
	if testing.Short() {
		n = 50
	}
	rng := rand.New(rand.NewPCG(4, 2026))
	proximity := Weights{TravelTime: 1}
	first, top3, nearest := 0, 0, 0
	var misses []string
	for ran := 0; ran < n; {
		sc, err := genScenario(rng, opts)
		if errors.Is(err, errNoCandidate) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ran++
		eng, err := New(&sc.net)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := eng.Trace(sc.query, sc.data)
		if err != nil {
			t.Fatalf("scenario %d: %v", ran, err)
		}
		if rep.CandidatesTotal != len(rep.Candidates) {
			t.Fatalf("scenario %d: %d candidates listed of %d with MaxCandidates -1", ran, len(rep.Candidates), rep.CandidatesTotal)
		}
		rank := 0
		for _, c := range rep.Candidates {
			if c.Outfall == sc.source {
				rank = c.Rank
			}
		}
		if rank == 1 {
			first++
		} else if len(misses) < 10 {
			misses = append(misses, fmtMiss(ran, sc, rep, rank, rep.Candidates[0]))
		}
		if rank >= 1 && rank <= 3 {
			top3++
		}
		q := sc.query
		q.Weights = proximity
		q.MaxCandidates = 1
		if rep, err := eng.Trace(q, sc.data); err == nil && rep.Candidates[0].Outfall == sc.source {
			nearest++
		}
	}
	rate := float64(first) / float64(n)
	t.Logf("true source ranked first in %d of %d scenarios (%.1f %%), in the top 3 in %d; the nearest outfall was the source in %d",
		first, n, 100*rate, top3, nearest)
	for _, m := range misses {
		t.Log(m)
	}
	if rate < 0.9 {
		t.Errorf("true source first in %.1f %% of scenarios, want at least 90 %%", 100*rate)
	}
	if nearest*2 > n {
		t.Errorf("the nearest outfall was the source in %d of %d scenarios: the scenarios are too easy", nearest, n)
	}
}
