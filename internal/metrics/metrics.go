// Package metrics is how ecowatch's components expose Prometheus metrics
// through the one metrics library (github.com/prometheus/client_golang;
// why in DEPENDENCIES.md).
//
// Each process (an app role) owns a prometheus.Registry and passes it to
// the components that count (their RegisterMetrics methods); nothing
// registers in the library's global registry. A component that counts on
// a hot path (the gateway: every frame) keeps counting with its own
// atomics and describes its families once in a Set: at each scrape the Set
// takes one snapshot of the component and turns it into typed, documented
// families, so a scrape reads consistent figures and costs the hot path
// nothing. Figures counted once a request or a batch use the library's
// own counters and histograms.
package metrics

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Set is the metric families of one component, read from a snapshot of
// type T taken once per scrape. It is a prometheus.Collector.
type Set[T any] struct {
	snap func() T
	fams []family[T]
}

type family[T any] struct {
	desc    *prometheus.Desc
	collect func(T, *prometheus.Desc, chan<- prometheus.Metric)
}

// NewSet returns a Set reading its snapshots from snap.
func NewSet[T any](snap func() T) *Set[T] { return &Set[T]{snap: snap} }

// Emit gives the value of one series of a labelled family, with its label
// values in the order the family declared its labels.
type Emit func(v float64, labelValues ...string)

func (s *Set[T]) add(name, help string, labels []string, collect func(T, *prometheus.Desc, chan<- prometheus.Metric)) {
	s.fams = append(s.fams, family[T]{prometheus.NewDesc(name, help, labels, nil), collect})
}

func (s *Set[T]) vec(t prometheus.ValueType, name, help string, labels []string, v func(T, Emit)) {
	s.add(name, help, labels, func(st T, d *prometheus.Desc, ch chan<- prometheus.Metric) {
		v(st, func(x float64, lv ...string) { ch <- prometheus.MustNewConstMetric(d, t, x, lv...) })
	})
}

// Counter adds an unlabelled counter.
func (s *Set[T]) Counter(name, help string, v func(T) float64) {
	s.vec(prometheus.CounterValue, name, help, nil, func(st T, e Emit) { e(v(st)) })
}

// Gauge adds an unlabelled gauge.
func (s *Set[T]) Gauge(name, help string, v func(T) float64) {
	s.vec(prometheus.GaugeValue, name, help, nil, func(st T, e Emit) { e(v(st)) })
}

// CounterVec adds a counter family with labels; v emits each series.
func (s *Set[T]) CounterVec(name, help string, labels []string, v func(T, Emit)) {
	s.vec(prometheus.CounterValue, name, help, labels, v)
}

// GaugeVec adds a gauge family with labels; v emits each series.
func (s *Set[T]) GaugeVec(name, help string, labels []string, v func(T, Emit)) {
	s.vec(prometheus.GaugeValue, name, help, labels, v)
}

// Histogram is a snapshot of a histogram: Buckets maps each upper bound
// (seconds) to the cumulative count of observations at most that bound.
type Histogram struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64
}

// Histogram adds an unlabelled histogram.
func (s *Set[T]) Histogram(name, help string, v func(T) Histogram) {
	s.add(name, help, nil, func(st T, d *prometheus.Desc, ch chan<- prometheus.Metric) {
		h := v(st)
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, h.Buckets)
	})
}

// SumCount is one series of a summary without quantiles.
type SumCount func(count uint64, sum float64, labelValues ...string)

// SummaryVec adds a summary family of sums and counts (no quantiles).
func (s *Set[T]) SummaryVec(name, help string, labels []string, v func(T, SumCount)) {
	s.add(name, help, labels, func(st T, d *prometheus.Desc, ch chan<- prometheus.Metric) {
		v(st, func(n uint64, sum float64, lv ...string) {
			ch <- prometheus.MustNewConstSummary(d, n, sum, nil, lv...)
		})
	})
}

// Describe implements prometheus.Collector.
func (s *Set[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range s.fams {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector: one snapshot for all families.
func (s *Set[T]) Collect(ch chan<- prometheus.Metric) {
	st := s.snap()
	for _, f := range s.fams {
		f.collect(st, f.desc, ch)
	}
}

// Handler serves g's families at /metrics in the format the scraper asks
// for (the text format by default).
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Text is g's families in the Prometheus text format, for tests and the
// benchmark harnesses that read counters of a running component.
func Text(g prometheus.Gatherer) (string, error) {
	mfs, err := g.Gather()
	if err != nil {
		return "", fmt.Errorf("gather metrics: %w", err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return "", fmt.Errorf("encode metric family %s: %w", mf.GetName(), err)
		}
	}
	return b.String(), nil
}
