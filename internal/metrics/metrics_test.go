package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

type snap struct {
	frames uint64
	lag    map[string]float64
}

// TestSetReadsOneSnapshotPerScrape: every family of a Set is typed,
// documented and read from the same snapshot, taken once per scrape.
func TestSetReadsOneSnapshotPerScrape(t *testing.T) {
	calls := 0
	cur := snap{frames: 1, lag: map[string]float64{"3": 7}}
	set := NewSet(func() snap { calls++; return cur })
	set.Counter("x_frames_total", "Frames.", func(s snap) float64 { return float64(s.frames) })
	set.Gauge("x_open", "Open.", func(s snap) float64 { return 2 })
	set.GaugeVec("x_lag", "Lag.", []string{"partition"}, func(s snap, emit Emit) {
		for p, v := range s.lag {
			emit(v, p)
		}
	})
	set.CounterVec("x_by_status_total", "By status.", []string{"status"}, func(s snap, emit Emit) { emit(4, "accepted") })
	set.Histogram("x_seconds", "Latency.", func(snap) Histogram {
		return Histogram{Count: 3, Sum: 0.5, Buckets: map[float64]uint64{0.1: 1, 1: 3}}
	})
	set.SummaryVec("x_ack_seconds", "Ack.", []string{"target"}, func(s snap, emit SumCount) { emit(5, 2.5, "prov") })
	reg := prometheus.NewRegistry()
	if err := reg.Register(set); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		frames uint64
		want   []string
	}{
		{1, []string{
			"# HELP x_frames_total Frames.\n# TYPE x_frames_total counter\nx_frames_total 1\n",
			"# TYPE x_open gauge\nx_open 2\n",
			"# TYPE x_lag gauge\nx_lag{partition=\"3\"} 7\n",
			"# TYPE x_by_status_total counter\nx_by_status_total{status=\"accepted\"} 4\n",
			"# TYPE x_seconds histogram\nx_seconds_bucket{le=\"0.1\"} 1\nx_seconds_bucket{le=\"1\"} 3\nx_seconds_bucket{le=\"+Inf\"} 3\nx_seconds_sum 0.5\nx_seconds_count 3\n",
			"# TYPE x_ack_seconds summary\nx_ack_seconds_sum{target=\"prov\"} 2.5\nx_ack_seconds_count{target=\"prov\"} 5\n",
		}},
		{2, []string{"x_frames_total 2\n"}},
	} {
		cur.frames = tc.frames
		before := calls
		text, err := Text(reg)
		if err != nil {
			t.Fatal(err)
		}
		if calls != before+1 {
			t.Errorf("%d snapshots in one scrape, want 1", calls-before)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("frames %d: exposition lacks %q:\n%s", tc.frames, w, text)
			}
		}
	}
	// The same family twice is refused, not served twice.
	if err := reg.Register(NewSet(func() snap { return cur })); err != nil {
		t.Errorf("an empty set: %v", err)
	}
	dup := NewSet(func() snap { return cur })
	dup.Counter("x_frames_total", "Frames.", func(s snap) float64 { return 0 })
	if err := reg.Register(dup); err == nil {
		t.Error("a second x_frames_total was registered")
	}
}
