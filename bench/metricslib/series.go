package metricslib

import "fmt"

// kind is a metric family's Prometheus type.
type kind int

const (
	counter kind = iota
	gauge
	histogram
	summary // sum and count only, no quantiles
)

// family is one metric family with the label values of its series.
type family struct {
	name, help string
	kind       kind
	labels     []string   // label names
	series     [][]string // label values, one slice per series; nil: one unlabelled series
}

// latencyBuckets are the gateway's ack and commit buckets in seconds.
var latencyBuckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}

// realSeries is the series set of a combined `ecowatch serve --bus` with
// two forwarding targets and 40 API routes seen with their status codes:
// the families and label sets of internal/gateway, internal/bus,
// internal/app, internal/alerts/alertsvc, internal/forward/forwardsvc and
// internal/api.
func realSeries() []family {
	var fs []family
	add := func(k kind, name string) {
		fs = append(fs, family{name: name, help: "Help text of " + name + ".", kind: k})
	}
	for _, n := range []string{"frames_received_total", "frames_quarantined_received_total", "frames_rejected_received_total",
		"frames_dropped_total", "frames_uncommitted_total", "frames_refused_by_store_total", "bytes_received_total",
		"bytes_skipped_total", "connections_accepted_total", "connections_refused_total", "connections_idle_closed_total",
		"connections_frame_timeout_total", "connections_slow_closed_total", "queue_full_waits_total", "commits_total",
		"commit_frames_total", "commit_errors_total", "acks_sent_total", "time_calibrations_total", "commands_done_total",
		"commands_rejected_total", "commands_failed_total", "commands_timed_out_total", "backfill_requests_total",
		"backfill_done_total", "backfill_no_data_total", "backfill_rejected_total", "backfill_failed_total",
		"backfill_timed_out_total", "raw_purged_total", "implausible_time_total", "auth_failures_total", "auth_refused_total",
		"auth_lockouts_total", "auth_device_alarms_total", "auth_network_refused_total", "archive_frames_total", "archive_bytes_total"} {
		add(counter, "ecowatch_gateway_"+n)
	}
	for _, n := range []string{"connections_open", "queue_frames", "auth_sources_tracked", "auth_devices_tracked", "archive_sources_tracked"} {
		add(gauge, "ecowatch_gateway_"+n)
	}
	fs = append(fs,
		family{name: "ecowatch_gateway_frames_total", help: "Committed frames by archived status.", kind: counter,
			labels: []string{"status"}, series: [][]string{{"accepted"}, {"duplicate"}, {"quarantined"}, {"rejected"}}},
		family{name: "ecowatch_gateway_archive_skipped_total", help: "Frames not archived, by budget.", kind: counter,
			labels: []string{"why"}, series: [][]string{{"duplicate"}, {"source-budget"}, {"total-cap"}}})
	add(histogram, "ecowatch_gateway_commit_seconds")
	add(histogram, "ecowatch_gateway_ack_seconds")
	for _, n := range []string{"bus_publish_frames_total", "bus_publish_errors_total", "bus_publish_duplicates_total", "bus_publish_batches_total",
		"writer_frames_total", "writer_commits_total", "writer_commit_errors_total", "writer_redeliveries_total",
		"writer_settle_waits_total", "writer_consumer_resets_total", "writer_undecodable_total", "writer_refused_total",
		"writer_dropped_total", "writer_leases_lost_total", "rollup_hours_total", "rollup_errors_total", "retention_rows_purged_total",
		"alerts_batches_total", "alerts_batches_dropped_total", "alerts_catch_ups_total", "alerts_uploads_total",
		"alerts_outcomes_total", "alerts_notices_total", "alerts_cases_opened_total", "alerts_errors_total",
		"alerts_auth_lockouts_total", "alerts_auth_lockouts_dropped_total", "alerts_auth_lockout_alarms_total"} {
		add(counter, "ecowatch_"+n)
	}
	add(histogram, "ecowatch_bus_publish_seconds")
	add(histogram, "ecowatch_writer_commit_seconds")
	add(gauge, "ecowatch_writer_lag_messages")
	add(gauge, "ecowatch_writer_partitions_owned")
	parts := family{name: "ecowatch_writer_partition_lag_messages", help: "Messages waiting in each partition.", kind: gauge, labels: []string{"partition"}}
	for p := range 16 {
		parts.series = append(parts.series, []string{fmt.Sprint(p)})
	}
	fs = append(fs, parts)
	targets := [][]string{{"province"}, {"city"}}
	for _, n := range []string{"connected", "queue_depth", "lag_seconds", "last_ack_timestamp_seconds", "devices"} {
		fs = append(fs, family{name: "ecowatch_forward_" + n, help: "Help.", kind: gauge, labels: []string{"target"}, series: targets})
	}
	for _, n := range []string{"sent_total", "acked_total", "resent_total", "errors_total", "evicted_total", "missing_total", "requests_total"} {
		fs = append(fs, family{name: "ecowatch_forward_" + n, help: "Help.", kind: counter, labels: []string{"target"}, series: targets})
	}
	fs = append(fs, family{name: "ecowatch_forward_ack_lag_seconds", help: "Help.", kind: summary, labels: []string{"target"}, series: targets})
	req := family{name: "ecowatch_http_requests_total", help: "HTTP API requests by route and status.", kind: counter, labels: []string{"route", "code"}}
	dur := family{name: "ecowatch_http_request_duration_seconds", help: "Time spent serving HTTP API requests.", kind: summary, labels: []string{"route"}}
	for i := range 40 {
		route := fmt.Sprintf("GET /api/v1/route%02d/{id}", i)
		dur.series = append(dur.series, []string{route})
		for _, code := range []string{"200", "304", "404"}[:1+i%3] {
			req.series = append(req.series, []string{route, code})
		}
	}
	return append(fs, req, dur)
}
