package metricslib

import (
	"fmt"
	"strings"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// vmName renders a series name with its labels, as VictoriaMetrics/metrics
// takes them.
func vmName(name string, labels, values []string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", l, values[i])
	}
	b.WriteByte('}')
	return b.String()
}

// newVMSet registers every series of fs in a fresh set and gives each a
// non-zero value.
func newVMSet(fs []family) *vm.Set {
	s := vm.NewSet()
	for _, f := range fs {
		series := f.series
		if series == nil {
			series = [][]string{nil}
		}
		for _, lv := range series {
			n := vmName(f.name, f.labels, lv)
			switch f.kind {
			case counter:
				s.NewCounter(n).Add(12345)
			case gauge:
				s.NewGauge(n, func() float64 { return 42 })
			case histogram:
				h := s.NewPrometheusHistogramExt(n, latencyBuckets)
				for i := range 100 {
					h.Update(float64(i) / 100)
				}
			case summary:
				sm := s.NewSummaryExt(n, 5*time.Minute, nil)
				sm.Update(0.25)
			}
		}
	}
	return s
}
