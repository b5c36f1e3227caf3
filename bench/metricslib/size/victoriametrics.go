//go:build victoriametrics

// Command victoriametrics is the baseline with a counter, a histogram and
// a summary of VictoriaMetrics/metrics.
package main

import (
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

func main() {
	s := metrics.NewSet()
	s.NewCounter("frames_total").Inc()
	s.NewPrometheusHistogramExt("ack_seconds", []float64{0.001, 0.01}).Update(0.002)
	s.NewSummaryExt("request_seconds", time.Minute, nil).Update(0.002)
	http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) { s.WritePrometheus(w) })
	http.ListenAndServe("127.0.0.1:0", nil)
}
