package metricslib

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// BenchmarkCounterInc is the gateway's hot path: every frame of every
// connection increments the same counters from many goroutines.
func BenchmarkCounterInc(b *testing.B) {
	b.Run("atomic", func(b *testing.B) {
		var c atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Add(1)
			}
		})
	})
	b.Run("victoriametrics", func(b *testing.B) {
		c := vm.NewSet().NewCounter("ecowatch_gateway_frames_received_total")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
	b.Run("client_golang", func(b *testing.B) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ecowatch_gateway_frames_received_total", Help: "h"})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
	// A labelled series resolved once (frames_total{status="accepted"}),
	// as the gateway would hold it.
	b.Run("client_golang/labelled", func(b *testing.B) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecowatch_gateway_frames_total", Help: "h"}, []string{"status"})
		c := v.WithLabelValues("accepted")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
}

// handHistogram is the gateway's hand-written lock-free histogram.
type handHistogram struct {
	counts [14]atomic.Uint64
	sumNs  atomic.Uint64
	n      atomic.Uint64
}

func (h *handHistogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(latencyBuckets) && s > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(d))
	h.n.Add(1)
}

// sample is a spread of ack latencies (0.5 ms to 1.3 s).
func sample(i int) time.Duration { return time.Duration(500+i%2600) * 500 * time.Microsecond / 1000 }

// BenchmarkHistogramObserve is the ack latency: one observation per
// acknowledged frame, from the committer and the connections.
func BenchmarkHistogramObserve(b *testing.B) {
	b.Run("hand-written", func(b *testing.B) {
		var h handHistogram
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				h.observe(sample(i))
				i++
			}
		})
	})
	b.Run("victoriametrics", func(b *testing.B) {
		h := vm.NewSet().NewPrometheusHistogramExt("ecowatch_gateway_ack_seconds", latencyBuckets)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				h.Update(sample(i).Seconds())
				i++
			}
		})
	})
	b.Run("client_golang", func(b *testing.B) {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ecowatch_gateway_ack_seconds", Help: "h", Buckets: latencyBuckets})
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				h.Observe(sample(i).Seconds())
				i++
			}
		})
	})
}

// BenchmarkSummaryObserve is the API's request duration per route (sum
// and count; no quantiles).
func BenchmarkSummaryObserve(b *testing.B) {
	b.Run("hand-written", func(b *testing.B) {
		// The API's map of sums and counts under one mutex.
		var mu sync.Mutex
		sum, count := map[string]float64{}, map[string]uint64{}
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				mu.Lock()
				sum["GET /api/v1/devices"] += sample(i).Seconds()
				count["GET /api/v1/devices"]++
				mu.Unlock()
				i++
			}
		})
	})
	b.Run("victoriametrics", func(b *testing.B) {
		s := vm.NewSet().NewSummaryExt(`ecowatch_http_request_duration_seconds{route="GET /api/v1/devices"}`, 5*time.Minute, nil)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				s.Update(sample(i).Seconds())
				i++
			}
		})
	})
	b.Run("client_golang", func(b *testing.B) {
		v := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "ecowatch_http_request_duration_seconds", Help: "h"}, []string{"route"})
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				// Looked up per request, as the API's middleware does.
				v.WithLabelValues("GET /api/v1/devices").Observe(sample(i).Seconds())
				i++
			}
		})
	})
}

// BenchmarkWriteExposition is one scrape of the real series set.
func BenchmarkWriteExposition(b *testing.B) {
	fs := realSeries()
	b.Run("victoriametrics", func(b *testing.B) {
		vm.ExposeMetadata(true)
		defer vm.ExposeMetadata(false)
		s := newVMSet(fs)
		b.ReportAllocs()
		for b.Loop() {
			s.WritePrometheus(io.Discard)
		}
	})
	b.Run("client_golang", func(b *testing.B) {
		r := newPromRegistry(fs)
		b.ReportAllocs()
		for b.Loop() {
			mfs, err := r.Gather()
			if err != nil {
				b.Fatal(err)
			}
			enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
			for _, mf := range mfs {
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// TestSeriesCount checks both libraries expose the same series, so that
// the exposition benchmark compares like with like.
func TestSeriesCount(t *testing.T) {
	fs := realSeries()
	vm.ExposeMetadata(true)
	defer vm.ExposeMetadata(false)
	var a bytes.Buffer
	newVMSet(fs).WritePrometheus(&a)
	mfs, err := newPromRegistry(fs).Gather()
	if err != nil {
		t.Fatal(err)
	}
	var p bytes.Buffer
	enc := expfmt.NewEncoder(&p, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	samples := func(s string) (n int) {
		for _, l := range strings.Split(s, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				n++
			}
		}
		return n
	}
	if samples(a.String()) != samples(p.String()) || samples(a.String()) < 300 {
		t.Errorf("samples: victoriametrics %d, client_golang %d", samples(a.String()), samples(p.String()))
	}
	t.Logf("%d families, %d samples, %d bytes (victoriametrics), %d bytes (client_golang)", len(fs), samples(p.String()), a.Len(), p.Len())
}
