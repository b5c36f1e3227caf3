package bus

import (
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/metrics"
)

// latencyBuckets are the histogram bounds in seconds: a PubAck on a
// healthy cluster takes about a millisecond, a commit of a thousand
// frames tens of milliseconds, a failing one seconds.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// newLatency is a per-batch latency histogram (observed once a batch, so
// the library's cost does not matter).
func newLatency(name, help string) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets})
}

// counter is one counter family read from an atomic.
type counter struct {
	name, help string
	v          *atomic.Uint64
}

// register registers the counters, the histogram and extra families in r.
func register(r prometheus.Registerer, what string, cs []counter, h prometheus.Histogram, extra ...prometheus.Collector) error {
	set := metrics.NewSet(func() struct{} { return struct{}{} })
	for _, c := range cs {
		set.Counter(c.name, c.help, func(struct{}) float64 { return float64(c.v.Load()) })
	}
	for _, c := range append([]prometheus.Collector{set, h}, extra...) {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("register the %s metrics: %w", what, err)
		}
	}
	return nil
}

// RegisterMetrics registers the publisher's metrics (ecowatch_bus_publish_*)
// in the process's registry.
func (p *Publisher) RegisterMetrics(r prometheus.Registerer) error {
	return register(r, "bus publisher", []counter{
		{"ecowatch_bus_publish_frames_total", "Frames persisted in the stream (PubAck received).", &p.published},
		{"ecowatch_bus_publish_errors_total", "Frames whose publish failed (the batch is retried by the gateway).", &p.errors},
		{"ecowatch_bus_publish_duplicates_total", "Frames the stream reported as duplicates (retransmissions, retried batches).", &p.duplicates},
		{"ecowatch_bus_publish_batches_total", "Batches fully persisted.", &p.batches},
	}, p.latency)
}

// writerLag is the writer's partitions at the last lease round.
type writerLag struct {
	total int64
	parts []int
	lag   []int64 // per partition, in the order of parts
	owned int
}

func (w *Writer) lagSnapshot() writerLag {
	w.mu.Lock()
	defer w.mu.Unlock()
	var s writerLag
	for p, l := range w.lag {
		s.total += l
		s.parts = append(s.parts, p)
	}
	slices.Sort(s.parts)
	for _, p := range s.parts {
		s.lag = append(s.lag, w.lag[p])
	}
	s.owned = len(w.owned)
	return s
}

// RegisterMetrics registers the writer's metrics (ecowatch_writer_*) in the
// process's registry.
func (w *Writer) RegisterMetrics(r prometheus.Registerer) error {
	lag := metrics.NewSet(w.lagSnapshot)
	lag.Gauge("ecowatch_writer_lag_messages", "Messages waiting in the partitions this writer owns (at the last lease round).",
		func(s writerLag) float64 { return float64(s.total) })
	lag.GaugeVec("ecowatch_writer_partition_lag_messages", "Messages waiting in each partition this writer owns.", []string{"partition"},
		func(s writerLag, emit metrics.Emit) {
			for i, p := range s.parts {
				emit(float64(s.lag[i]), strconv.Itoa(p))
			}
		})
	lag.Gauge("ecowatch_writer_partitions_owned", "Partitions this writer holds a lease for.", func(s writerLag) float64 { return float64(s.owned) })
	return register(r, "bus writer", []counter{
		{"ecowatch_writer_frames_total", "Bus messages (frames) committed to the store.", &w.frames},
		{"ecowatch_writer_commits_total", "Batches committed.", &w.commits},
		{"ecowatch_writer_commit_errors_total", "Failed commit attempts (retried).", &w.commitErrors},
		{"ecowatch_writer_redeliveries_total", "Messages delivered more than once (a writer died or lost its lease before acknowledging).", &w.redeliveries},
		{"ecowatch_writer_settle_waits_total", "Times a batch waited for older deliveries of its partition (lost in a node failure or held by a previous owner), to keep each device's order.", &w.waits},
		{"ecowatch_writer_consumer_resets_total", "Partition consumers started anew because the older deliveries a batch waited for never came back.", &w.resets},
		{"ecowatch_writer_undecodable_total", "Messages that could not be decoded (archived as rejected raw frames).", &w.undecodable},
		{"ecowatch_writer_refused_total", "Frames the store refused, archived as rejected raw frames instead.", &w.refused},
		{"ecowatch_writer_dropped_total", "Frames the store refused in every form, terminated in the stream (logged).", &w.dropped},
		{"ecowatch_writer_leases_lost_total", "Partition leases lost (renewal failed).", &w.lost},
	}, w.latency, lag)
}
