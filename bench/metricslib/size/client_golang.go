//go:build client_golang

// Command client_golang is the baseline with a counter, a histogram and a
// summary of prometheus/client_golang, served by promhttp.
package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	r := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "frames_total", Help: "Frames."})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ack_seconds", Help: "Acks.", Buckets: []float64{0.001, 0.01}})
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "request_seconds", Help: "Requests."})
	r.MustRegister(c, h, s)
	c.Inc()
	h.Observe(0.002)
	s.Observe(0.002)
	http.Handle("/metrics", promhttp.HandlerFor(r, promhttp.HandlerOpts{}))
	http.ListenAndServe("127.0.0.1:0", nil)
}
