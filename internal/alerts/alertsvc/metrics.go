package alertsvc

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/metrics"
)

// metricsSnapshot is what one scrape reads: the counters of Stats and
// those of the lockout alarms.
type metricsSnapshot struct {
	Stats
	lockouts, lockDrops, lockAlarms uint64
}

// RegisterMetrics registers the service's counters (ecowatch_alerts_*) in
// the process's registry, next to the gateway's.
func (s *Service) RegisterMetrics(r prometheus.Registerer) error {
	set := metrics.NewSet(func() metricsSnapshot {
		return metricsSnapshot{s.Stats(), s.lockouts.Load(), s.lockDrops.Load(), s.lockAlarms.Load()}
	})
	for _, c := range []struct {
		name, help string
		v          func(metricsSnapshot) uint64
	}{
		{"batches_total", "Committed batches received from the gateway.", func(m metricsSnapshot) uint64 { return m.Batches }},
		{"batches_dropped_total", "Batches dropped because the queue was full (read back from the store).", func(m metricsSnapshot) uint64 { return m.Dropped }},
		{"catch_ups_total", "Store re-reads: replays and catch-ups after drops.", func(m metricsSnapshot) uint64 { return m.CatchUps }},
		{"uploads_total", "Uploads evaluated by the rules.", func(m metricsSnapshot) uint64 { return m.Uploads }},
		{"outcomes_total", "Outcomes of the rules.", func(m metricsSnapshot) uint64 { return m.Outcomes }},
		{"notices_total", "Self-check notices sent to enterprises.", func(m metricsSnapshot) uint64 { return m.Notices }},
		{"cases_opened_total", "Cases opened for counties.", func(m metricsSnapshot) uint64 { return m.CasesOpened }},
		{"errors_total", "Store errors and outcomes that could not be acted on.", func(m metricsSnapshot) uint64 { return m.Errors }},
		{"auth_lockouts_total", "Device authentication lockouts received from the gateway.", func(m metricsSnapshot) uint64 { return m.lockouts }},
		{"auth_lockouts_dropped_total", "Lockouts dropped because their queue was full.", func(m metricsSnapshot) uint64 { return m.lockDrops }},
		{"auth_lockout_alarms_total", "Lockout alarms raised to the bureau (one per device and day).", func(m metricsSnapshot) uint64 { return m.lockAlarms }},
	} {
		set.Counter("ecowatch_alerts_"+c.name, c.help, func(m metricsSnapshot) float64 { return float64(c.v(m)) })
	}
	if err := r.Register(set); err != nil {
		return fmt.Errorf("register the alert service's metrics: %w", err)
	}
	return nil
}
