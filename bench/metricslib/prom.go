package metricslib

import (
	"github.com/prometheus/client_golang/prometheus"
)

// newPromRegistry registers every series of fs in a fresh registry and
// gives each a non-zero value.
func newPromRegistry(fs []family) *prometheus.Registry {
	r := prometheus.NewRegistry()
	for _, f := range fs {
		series := f.series
		if series == nil {
			series = [][]string{nil}
		}
		switch f.kind {
		case counter:
			v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: f.name, Help: f.help}, f.labels)
			r.MustRegister(v)
			for _, lv := range series {
				v.WithLabelValues(lv...).Add(12345)
			}
		case gauge:
			for _, lv := range series {
				r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: f.name, Help: f.help,
					ConstLabels: constLabels(f.labels, lv)}, func() float64 { return 42 }))
			}
		case histogram:
			v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: f.name, Help: f.help, Buckets: latencyBuckets}, f.labels)
			r.MustRegister(v)
			for _, lv := range series {
				h := v.WithLabelValues(lv...)
				for i := range 100 {
					h.Observe(float64(i) / 100)
				}
			}
		case summary:
			v := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: f.name, Help: f.help}, f.labels)
			r.MustRegister(v)
			for _, lv := range series {
				v.WithLabelValues(lv...).Observe(0.25)
			}
		}
	}
	return r
}

func constLabels(names, values []string) prometheus.Labels {
	if len(names) == 0 {
		return nil
	}
	l := prometheus.Labels{}
	for i, n := range names {
		l[n] = values[i]
	}
	return l
}
