package forwardsvc

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/metrics"
)

// RegisterMetrics registers the per-target figures (ecowatch_forward_*,
// label target) in the process's registry.
func (s *Service) RegisterMetrics(r prometheus.Registerer) error {
	return registerMetrics(r, s.Status)
}

// registerMetrics registers the per-target series read from status.
func registerMetrics(r prometheus.Registerer, status func() []Status) error {
	set := metrics.NewSet(status)
	target := []string{"target"}
	perTarget := func(v func(*Status) float64) func([]Status, metrics.Emit) {
		return func(sts []Status, emit metrics.Emit) {
			for i := range sts {
				emit(v(&sts[i]), sts[i].Target)
			}
		}
	}
	set.GaugeVec("ecowatch_forward_connected", "1 while the connection to the upper platform is up.", target, perTarget(func(s *Status) float64 {
		if s.Connected {
			return 1
		}
		return 0
	}))
	set.GaugeVec("ecowatch_forward_queue_depth", "Uploads waiting in the outbound queue.", target, perTarget(func(s *Status) float64 { return float64(s.Depth) }))
	set.GaugeVec("ecowatch_forward_lag_seconds", "Age of the oldest upload waiting in the outbound queue.", target,
		perTarget(func(s *Status) float64 { return s.Lag.Seconds() }))
	set.GaugeVec("ecowatch_forward_last_ack_timestamp_seconds", "When the upper platform last acknowledged an upload (0: never).", target,
		perTarget(func(s *Status) float64 {
			if s.LastAckAt.IsZero() {
				return 0
			}
			return float64(s.LastAckAt.UnixMilli()) / 1000
		}))
	set.GaugeVec("ecowatch_forward_devices", "Devices the target's selection chooses.", target, perTarget(func(s *Status) float64 { return float64(s.Devices) }))
	for _, c := range []struct {
		name, help string
		v          func(*Status) int64
	}{
		{"sent_total", "Uploads sent (first sends).", func(s *Status) int64 { return s.Sent }},
		{"acked_total", "Uploads acknowledged by the upper platform (9014).", func(s *Status) int64 { return s.Acked }},
		{"resent_total", "Frames sent again after the acknowledgement timeout.", func(s *Status) int64 { return s.Resent }},
		{"errors_total", "Connection failures, refused connections and store errors.", func(s *Status) int64 { return s.Errors }},
		{"evicted_total", "Queue entries evicted by the queue's bound.", func(s *Status) int64 { return s.Evicted }},
		{"missing_total", "Queue entries whose upload was purged by retention before it was sent.", func(s *Status) int64 { return s.Missing }},
		{"requests_total", "Requests of the upper platform answered.", func(s *Status) int64 { return s.Requests }},
	} {
		set.CounterVec("ecowatch_forward_"+c.name, c.help, target, perTarget(func(s *Status) float64 { return float64(c.v(s)) }))
	}
	set.SummaryVec("ecowatch_forward_ack_lag_seconds", "Time from the commit of an upload to its acknowledgement by the upper platform.", target,
		func(sts []Status, emit metrics.SumCount) {
			for i := range sts {
				emit(uint64(max(sts[i].AckLagCount, 0)), sts[i].AckLagSum.Seconds(), sts[i].Target)
			}
		})
	if err := r.Register(set); err != nil {
		return fmt.Errorf("register the forwarding metrics: %w", err)
	}
	return nil
}
