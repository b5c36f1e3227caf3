package gateway

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/prometheus/client_golang/prometheus"
)

// latencyBuckets are the upper bounds of the latency histograms.
var latencyBuckets = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
}

// histogram is a lock-free latency histogram with fixed buckets.
type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // last: +Inf
	sumNs  atomic.Uint64
	n      atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyBuckets) && d > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(max(d, 0)))
	h.n.Add(1)
}

// Histogram is a snapshot of a latency histogram: Counts[i] counts
// observations ≤ Bounds[i]; the last count is for those above every bound.
type Histogram struct {
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
	Count  uint64
}

// Quantile estimates the q-quantile (0..1) as the upper bound of its bucket.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.Count == 0 {
		return 0
	}
	want := uint64(q*float64(h.Count) + 0.5)
	want = max(want, 1)
	var acc uint64
	for i, c := range h.Counts {
		acc += c
		if acc >= want {
			if i < len(h.Bounds) {
				return h.Bounds[i]
			}
			break
		}
	}
	return h.Bounds[len(h.Bounds)-1] * 2
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Bounds: latencyBuckets[:], Counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		out.Counts[i] = h.counts[i].Load()
	}
	out.Sum = time.Duration(h.sumNs.Load())
	out.Count = h.n.Load()
	return out
}

// counters are the live counters; Stats is their snapshot.
type counters struct {
	framesReceived      atomic.Uint64
	framesRejectedRx    atomic.Uint64
	framesQuarantinedRx atomic.Uint64
	framesDropped       atomic.Uint64
	framesAccepted      atomic.Uint64
	framesDuplicate     atomic.Uint64
	framesQuarantined   atomic.Uint64
	framesRejected      atomic.Uint64
	framesUncommitted   atomic.Uint64
	framesRefused       atomic.Uint64
	bytesReceived       atomic.Uint64
	bytesSkipped        atomic.Uint64
	connsAccepted       atomic.Uint64
	connsOpen           atomic.Int64
	connsRefused        atomic.Uint64
	idleClosed          atomic.Uint64
	frameTimeouts       atomic.Uint64
	slowClosed          atomic.Uint64
	queueFullWaits      atomic.Uint64
	queueLen            atomic.Int64
	commits             atomic.Uint64
	commitFrames        atomic.Uint64
	commitErrors        atomic.Uint64
	acksSent            atomic.Uint64
	timeCalSent         atomic.Uint64
	cmdDone             atomic.Uint64
	cmdRejected         atomic.Uint64
	cmdFailed           atomic.Uint64
	cmdTimeouts         atomic.Uint64
	answersUnmatched    atomic.Uint64
	backfillRequests    atomic.Uint64
	backfillDone        atomic.Uint64
	backfillNoData      atomic.Uint64
	backfillRejected    atomic.Uint64
	backfillFailed      atomic.Uint64
	backfillTimeouts    atomic.Uint64
	rawPurged           atomic.Uint64
	implausibleTime     atomic.Uint64
	authFailures        atomic.Uint64
	authRefused         atomic.Uint64
	authLockouts        atomic.Uint64
	authDeviceAlarms    atomic.Uint64
	authNetRefused      atomic.Uint64
	archiveFrames       atomic.Uint64
	archiveBytes        atomic.Uint64
	archiveSkipDup      atomic.Uint64
	archiveSkipSource   atomic.Uint64
	archiveSkipTotal    atomic.Uint64
	commitLatency       histogram
	ackLatency          histogram
}

func (c *counters) observeCommit(d time.Duration, frames int) {
	c.commits.Add(1)
	c.commitFrames.Add(uint64(frames))
	c.commitLatency.observe(d)
}

// countStatus counts a committed frame by its archived status.
func (c *counters) countStatus(status string) {
	switch status {
	case model.RawAccepted:
		c.framesAccepted.Add(1)
	case model.RawDuplicate:
		c.framesDuplicate.Add(1)
	case model.RawQuarantined:
		c.framesQuarantined.Add(1)
	case model.RawRejected:
		c.framesRejected.Add(1)
	}
}

// Stats is a snapshot of the gateway's counters. Frame counts by status
// (Accepted, Duplicate, Quarantined, Rejected) count frames whose raw
// bytes were committed; the *Received counts count them on arrival.
type Stats struct {
	FramesReceived            uint64 // frames framed out of the byte streams
	FramesAccepted            uint64 // committed as official data
	FramesDuplicate           uint64 // committed retransmissions of committed frames
	FramesQuarantined         uint64 // committed as quarantined (unknown MN, wrong password)
	FramesRejected            uint64 // committed as rejected (bad CRC, undecodable, bad DataTime)
	QuarantinedReceived       uint64 // unknown MN or wrong password, on arrival
	RejectedReceived          uint64 // undecodable, on arrival
	FramesDropped             uint64 // not archived (quarantine off, shutdown)
	FramesUncommitted         uint64 // their batch never committed (shutdown deadline); never acked
	FramesRefusedByStore      uint64 // refused by a working store when committed alone
	BytesReceived             uint64
	BytesSkipped              uint64 // garbage between frames, oversized or unfinished frames
	ConnsAccepted             uint64
	ConnsOpen                 int64
	ConnsRefused              uint64 // over the total or per-address limit
	ConnsIdleClosed           uint64
	ConnsFrameTimeout         uint64 // a frame did not complete within FrameTimeout
	ConnsSlowClosed           uint64 // did not read their replies
	QueueLen                  int64  // frames waiting for the committer at the last batch
	QueueFullWaits            uint64 // times a connection waited for queue room (backpressure)
	Commits                   uint64
	CommitFrames              uint64
	CommitErrors              uint64
	AcksSent                  uint64
	TimeCalibrations          uint64 // 1012 sent
	CommandsDone              uint64 // 9012 ExeRtn=1 (or 100) for 1012 and other requests
	CommandsRejected          uint64 // 9011 QnRtn≠1
	CommandsFailed            uint64 // 9012 ExeRtn other than 1 or 100
	CommandsTimedOut          uint64
	AnswersUnmatched          uint64 // 9011/9012 with a QN we did not send
	BackfillRequests          uint64
	BackfillDone              uint64
	BackfillNoData            uint64
	BackfillRejected          uint64
	BackfillFailed            uint64
	BackfillTimedOut          uint64
	RawPurged                 uint64
	ImplausibleTime           uint64 // quarantined for a DataTime in the future or before the floor
	AuthFailures              uint64 // wrong passwords for registered devices (checked)
	AuthRefused               uint64 // attempts refused unchecked: source delayed or locked out, device guarded
	AuthLockouts              uint64 // sources locked out
	AuthDeviceAlarms          uint64 // devices attacked from several addresses
	AuthNetworkRefused        uint64 // a device's password from outside its allowed networks
	AuthSourcesTracked        int64  // sources with their own failure state
	AuthDevicesTracked        int64  // devices with usual addresses or failures
	ArchiveFrames             uint64 // rejected and quarantined frames admitted to the archive
	ArchiveBytes              uint64 // their raw bytes
	ArchiveSkippedDuplicate   uint64 // not archived: the same bytes were archived recently
	ArchiveSkippedSource      uint64 // not archived: source over its budget, sampled already
	ArchiveSkippedTotal       uint64 // not archived: daily cap of all sources reached
	ArchiveSourcesTracked     int64
	CommitLatency, AckLatency Histogram
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := s.counterStats(c)
	src, dev := s.guard.size()
	st.AuthSourcesTracked, st.AuthDevicesTracked = int64(src), int64(dev)
	st.ArchiveSourcesTracked = int64(s.budget.size())
	return st
}

func (s *Server) counterStats(c *counters) Stats {
	return Stats{
		FramesReceived:          c.framesReceived.Load(),
		FramesAccepted:          c.framesAccepted.Load(),
		FramesDuplicate:         c.framesDuplicate.Load(),
		FramesQuarantined:       c.framesQuarantined.Load(),
		FramesRejected:          c.framesRejected.Load(),
		QuarantinedReceived:     c.framesQuarantinedRx.Load(),
		RejectedReceived:        c.framesRejectedRx.Load(),
		FramesDropped:           c.framesDropped.Load(),
		FramesUncommitted:       c.framesUncommitted.Load(),
		FramesRefusedByStore:    c.framesRefused.Load(),
		BytesReceived:           c.bytesReceived.Load(),
		BytesSkipped:            c.bytesSkipped.Load(),
		ConnsAccepted:           c.connsAccepted.Load(),
		ConnsOpen:               c.connsOpen.Load(),
		ConnsRefused:            c.connsRefused.Load(),
		ConnsIdleClosed:         c.idleClosed.Load(),
		ConnsFrameTimeout:       c.frameTimeouts.Load(),
		ConnsSlowClosed:         c.slowClosed.Load(),
		QueueLen:                c.queueLen.Load(),
		QueueFullWaits:          c.queueFullWaits.Load(),
		Commits:                 c.commits.Load(),
		CommitFrames:            c.commitFrames.Load(),
		CommitErrors:            c.commitErrors.Load(),
		AcksSent:                c.acksSent.Load(),
		TimeCalibrations:        c.timeCalSent.Load(),
		CommandsDone:            c.cmdDone.Load(),
		CommandsRejected:        c.cmdRejected.Load(),
		CommandsFailed:          c.cmdFailed.Load(),
		CommandsTimedOut:        c.cmdTimeouts.Load(),
		AnswersUnmatched:        c.answersUnmatched.Load(),
		BackfillRequests:        c.backfillRequests.Load(),
		BackfillDone:            c.backfillDone.Load(),
		BackfillNoData:          c.backfillNoData.Load(),
		BackfillRejected:        c.backfillRejected.Load(),
		BackfillFailed:          c.backfillFailed.Load(),
		BackfillTimedOut:        c.backfillTimeouts.Load(),
		RawPurged:               c.rawPurged.Load(),
		ImplausibleTime:         c.implausibleTime.Load(),
		AuthFailures:            c.authFailures.Load(),
		AuthRefused:             c.authRefused.Load(),
		AuthLockouts:            c.authLockouts.Load(),
		AuthDeviceAlarms:        c.authDeviceAlarms.Load(),
		AuthNetworkRefused:      c.authNetRefused.Load(),
		ArchiveFrames:           c.archiveFrames.Load(),
		ArchiveBytes:            c.archiveBytes.Load(),
		ArchiveSkippedDuplicate: c.archiveSkipDup.Load(),
		ArchiveSkippedSource:    c.archiveSkipSource.Load(),
		ArchiveSkippedTotal:     c.archiveSkipTotal.Load(),
		CommitLatency:           c.commitLatency.snapshot(),
		AckLatency:              c.ackLatency.snapshot(),
	}
}

// RegisterMetrics registers the gateway's counters (ecowatch_gateway_*) in
// the process's registry. The counting stays in the gateway's own atomics
// and lock-free histograms (every frame passes here); a scrape reads one
// Stats snapshot.
func (s *Server) RegisterMetrics(r prometheus.Registerer) error {
	set := metrics.NewSet(s.Stats)
	set.CounterVec("ecowatch_gateway_frames_total", "Committed frames by archived status.", []string{"status"}, func(st Stats, emit metrics.Emit) {
		emit(float64(st.FramesAccepted), model.RawAccepted)
		emit(float64(st.FramesDuplicate), model.RawDuplicate)
		emit(float64(st.FramesQuarantined), model.RawQuarantined)
		emit(float64(st.FramesRejected), model.RawRejected)
	})
	set.Counter("ecowatch_gateway_frames_received_total", "Frames framed out of device byte streams.", func(st Stats) float64 { return float64(st.FramesReceived) })
	set.Counter("ecowatch_gateway_frames_quarantined_received_total", "Frames of unknown devices or with a wrong password.", func(st Stats) float64 { return float64(st.QuarantinedReceived) })
	set.Counter("ecowatch_gateway_frames_rejected_received_total", "Undecodable frames (bad CRC, bad length, ...).", func(st Stats) float64 { return float64(st.RejectedReceived) })
	set.Counter("ecowatch_gateway_frames_dropped_total", "Frames not archived (quarantine disabled, shutdown).", func(st Stats) float64 { return float64(st.FramesDropped) })
	set.Counter("ecowatch_gateway_frames_uncommitted_total", "Frames whose batch never committed; never acknowledged.", func(st Stats) float64 { return float64(st.FramesUncommitted) })
	set.Counter("ecowatch_gateway_frames_refused_by_store_total", "Frames a working store refused.", func(st Stats) float64 { return float64(st.FramesRefusedByStore) })
	set.Counter("ecowatch_gateway_bytes_received_total", "Bytes read from devices.", func(st Stats) float64 { return float64(st.BytesReceived) })
	set.Counter("ecowatch_gateway_bytes_skipped_total", "Bytes skipped while resynchronising.", func(st Stats) float64 { return float64(st.BytesSkipped) })
	set.Counter("ecowatch_gateway_connections_accepted_total", "Accepted device connections.", func(st Stats) float64 { return float64(st.ConnsAccepted) })
	set.Gauge("ecowatch_gateway_connections_open", "Open device connections.", func(st Stats) float64 { return float64(st.ConnsOpen) })
	set.Counter("ecowatch_gateway_connections_refused_total", "Connections refused by the connection limits.", func(st Stats) float64 { return float64(st.ConnsRefused) })
	set.Counter("ecowatch_gateway_connections_idle_closed_total", "Connections closed for idleness.", func(st Stats) float64 { return float64(st.ConnsIdleClosed) })
	set.Counter("ecowatch_gateway_connections_frame_timeout_total", "Connections closed for a frame not completed in time.", func(st Stats) float64 { return float64(st.ConnsFrameTimeout) })
	set.Counter("ecowatch_gateway_connections_slow_closed_total", "Connections closed for not reading replies.", func(st Stats) float64 { return float64(st.ConnsSlowClosed) })
	set.Gauge("ecowatch_gateway_queue_frames", "Frames waiting for the committer.", func(st Stats) float64 { return float64(st.QueueLen) })
	set.Counter("ecowatch_gateway_queue_full_waits_total", "Times a connection waited for queue room.", func(st Stats) float64 { return float64(st.QueueFullWaits) })
	set.Counter("ecowatch_gateway_commits_total", "Committed batches.", func(st Stats) float64 { return float64(st.Commits) })
	set.Counter("ecowatch_gateway_commit_frames_total", "Frames in committed batches.", func(st Stats) float64 { return float64(st.CommitFrames) })
	set.Counter("ecowatch_gateway_commit_errors_total", "Failed commit attempts.", func(st Stats) float64 { return float64(st.CommitErrors) })
	set.Counter("ecowatch_gateway_acks_sent_total", "9014 replies written after commit.", func(st Stats) float64 { return float64(st.AcksSent) })
	set.Counter("ecowatch_gateway_time_calibrations_total", "1012 time calibrations sent.", func(st Stats) float64 { return float64(st.TimeCalibrations) })
	set.Counter("ecowatch_gateway_commands_done_total", "Requests completed by the device.", func(st Stats) float64 { return float64(st.CommandsDone) })
	set.Counter("ecowatch_gateway_commands_rejected_total", "Requests rejected by the device (QnRtn).", func(st Stats) float64 { return float64(st.CommandsRejected) })
	set.Counter("ecowatch_gateway_commands_failed_total", "Requests failed on the device (ExeRtn).", func(st Stats) float64 { return float64(st.CommandsFailed) })
	set.Counter("ecowatch_gateway_commands_timed_out_total", "Requests without answer in time.", func(st Stats) float64 { return float64(st.CommandsTimedOut) })
	set.Counter("ecowatch_gateway_backfill_requests_total", "History requests (2051/2061) sent for gaps.", func(st Stats) float64 { return float64(st.BackfillRequests) })
	set.Counter("ecowatch_gateway_backfill_done_total", "History requests completed.", func(st Stats) float64 { return float64(st.BackfillDone) })
	set.Counter("ecowatch_gateway_backfill_no_data_total", "History requests answered with no data.", func(st Stats) float64 { return float64(st.BackfillNoData) })
	set.Counter("ecowatch_gateway_backfill_rejected_total", "History requests rejected.", func(st Stats) float64 { return float64(st.BackfillRejected) })
	set.Counter("ecowatch_gateway_backfill_failed_total", "History requests failed.", func(st Stats) float64 { return float64(st.BackfillFailed) })
	set.Counter("ecowatch_gateway_backfill_timed_out_total", "History requests without answer in time.", func(st Stats) float64 { return float64(st.BackfillTimedOut) })
	set.Counter("ecowatch_gateway_raw_purged_total", "Raw frames purged by retention.", func(st Stats) float64 { return float64(st.RawPurged) })
	set.Counter("ecowatch_gateway_implausible_time_total", "Frames quarantined for a DataTime in the future or before the floor.", func(st Stats) float64 { return float64(st.ImplausibleTime) })
	set.Counter("ecowatch_gateway_auth_failures_total", "Wrong passwords for registered devices.", func(st Stats) float64 { return float64(st.AuthFailures) })
	set.Counter("ecowatch_gateway_auth_refused_total", "Authentications refused unchecked (source delayed or locked out, device guarded).", func(st Stats) float64 { return float64(st.AuthRefused) })
	set.Counter("ecowatch_gateway_auth_lockouts_total", "Sources locked out for failed device authentications.", func(st Stats) float64 { return float64(st.AuthLockouts) })
	set.Counter("ecowatch_gateway_auth_device_alarms_total", "Devices whose password was guessed from several addresses.", func(st Stats) float64 { return float64(st.AuthDeviceAlarms) })
	set.Counter("ecowatch_gateway_auth_network_refused_total", "Device frames refused from outside the device's allowed networks.", func(st Stats) float64 { return float64(st.AuthNetworkRefused) })
	set.Gauge("ecowatch_gateway_auth_sources_tracked", "Sources with their own authentication failure state.", func(st Stats) float64 { return float64(st.AuthSourcesTracked) })
	set.Gauge("ecowatch_gateway_auth_devices_tracked", "Devices with usual addresses or failures.", func(st Stats) float64 { return float64(st.AuthDevicesTracked) })
	set.Counter("ecowatch_gateway_archive_frames_total", "Rejected and quarantined frames admitted to the raw archive.", func(st Stats) float64 { return float64(st.ArchiveFrames) })
	set.Counter("ecowatch_gateway_archive_bytes_total", "Raw bytes of the rejected and quarantined frames archived.", func(st Stats) float64 { return float64(st.ArchiveBytes) })
	set.CounterVec("ecowatch_gateway_archive_skipped_total", "Rejected and quarantined frames not archived, by budget.", []string{"why"}, func(st Stats, emit metrics.Emit) {
		emit(float64(st.ArchiveSkippedDuplicate), skipDuplicate)
		emit(float64(st.ArchiveSkippedSource), skipSource)
		emit(float64(st.ArchiveSkippedTotal), skipTotal)
	})
	set.Gauge("ecowatch_gateway_archive_sources_tracked", "Sources with their own archive budget.", func(st Stats) float64 { return float64(st.ArchiveSourcesTracked) })
	set.Histogram("ecowatch_gateway_commit_seconds", "Commit latency of a batch.", func(st Stats) metrics.Histogram { return st.CommitLatency.metrics() })
	set.Histogram("ecowatch_gateway_ack_seconds", "Latency from frame receipt to its 9014 reply.", func(st Stats) metrics.Histogram { return st.AckLatency.metrics() })
	if err := r.Register(set); err != nil {
		return fmt.Errorf("register the gateway's metrics: %w", err)
	}
	return nil
}

// metrics is the histogram with cumulative buckets in seconds.
func (h Histogram) metrics() metrics.Histogram {
	out := metrics.Histogram{Count: h.Count, Sum: h.Sum.Seconds(), Buckets: make(map[float64]uint64, len(h.Bounds))}
	var acc uint64
	for i, b := range h.Bounds {
		acc += h.Counts[i]
		out.Buckets[b.Seconds()] = acc
	}
	return out
}
