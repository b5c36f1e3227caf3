package alertsvc

import (
	"fmt"
	"io"
)

// WriteMetrics writes the counters in the Prometheus text format
// (ecowatch_alerts_*), next to the gateway's on /metrics.
func (s *Service) WriteMetrics(w io.Writer) {
	st := s.Stats()
	for _, c := range []struct {
		name, help string
		v          uint64
	}{
		{"batches_total", "Committed batches received from the gateway.", st.Batches},
		{"batches_dropped_total", "Batches dropped because the queue was full (read back from the store).", st.Dropped},
		{"catch_ups_total", "Store re-reads: replays and catch-ups after drops.", st.CatchUps},
		{"uploads_total", "Uploads evaluated by the rules.", st.Uploads},
		{"outcomes_total", "Outcomes of the rules.", st.Outcomes},
		{"notices_total", "Self-check notices sent to enterprises.", st.Notices},
		{"cases_opened_total", "Cases opened for counties.", st.CasesOpened},
		{"errors_total", "Store errors and outcomes that could not be acted on.", st.Errors},
		{"auth_lockouts_total", "Device authentication lockouts received from the gateway.", s.lockouts.Load()},
		{"auth_lockouts_dropped_total", "Lockouts dropped because their queue was full.", s.lockDrops.Load()},
		{"auth_lockout_alarms_total", "Lockout alarms raised to the bureau (one per device and day).", s.lockAlarms.Load()},
	} {
		fmt.Fprintf(w, "# HELP ecowatch_alerts_%s %s\n# TYPE ecowatch_alerts_%s counter\necowatch_alerts_%s %d\n", c.name, c.help, c.name, c.name, c.v)
	}
}
