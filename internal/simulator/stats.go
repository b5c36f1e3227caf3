package simulator

import (
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a simulator's counters.
type Stats struct {
	Devices   int `json:"devices"`
	Connected int `json:"connected"` // devices with an open connection now

	Connects    uint64 `json:"connects"`
	DialErrors  uint64 `json:"dial_errors"`
	Disconnects uint64 `json:"disconnects"` // connections closed by the gateway or by errors
	Offline     uint64 `json:"offline"`     // planned offline periods begun

	Sent          uint64 `json:"sent"`          // upload frames sent, retransmissions excluded
	Acked         uint64 `json:"acked"`         // upload frames acknowledged (9014), each once
	Retransmitted uint64 `json:"retransmitted"` // retransmissions after OverTime
	Failed        uint64 `json:"failed"`        // given up after ReCount retransmissions
	Unacked       uint64 `json:"unacked"`       // frames sent without the A bit
	Values        uint64 `json:"values"`        // CP values in acknowledged frames
	StrayAcks     uint64 `json:"stray_acks"`    // 9014 for no pending QN (late acks)
	Malformed     uint64 `json:"malformed"`     // malformed frames sent on purpose
	Backfilled    uint64 `json:"backfilled"`    // history frames sent for 2051/2061/2031 requests

	Commands uint64 `json:"commands"` // requests received from the gateway
	Replies  uint64 `json:"replies"`  // 9011/9012/9013 sent
	BytesOut uint64 `json:"bytes_out"`
	BytesIn  uint64 `json:"bytes_in"`

	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP99 time.Duration `json:"latency_p99"`
	LatencyMax time.Duration `json:"latency_max"`

	// Errors counts errors per device MN, with the last one.
	Errors map[string]DeviceErrors `json:"errors,omitempty"`
}

// DeviceErrors is a device's error count and last error.
type DeviceErrors struct {
	Count int    `json:"count"`
	Last  string `json:"last"`
}

// counters are updated by the devices' goroutines.
type counters struct {
	connected                             atomic.Int64
	connects, dialErrors, disconnects     atomic.Uint64
	offline                               atomic.Uint64
	sent, acked, retransmitted, failed    atomic.Uint64
	unacked, values, strayAcks, malformed atomic.Uint64
	backfilled, commands, replies         atomic.Uint64
	bytesOut, bytesIn                     atomic.Uint64
	latency                               histogram

	mu     sync.Mutex
	errors map[string]*DeviceErrors
}

func (c *counters) deviceError(mn string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errors == nil {
		c.errors = make(map[string]*DeviceErrors)
	}
	e := c.errors[mn]
	if e == nil {
		e = &DeviceErrors{}
		c.errors[mn] = e
	}
	e.Count++
	e.Last = err.Error()
}

func (c *counters) snapshot(devices int) Stats {
	s := Stats{
		Devices:       devices,
		Connected:     int(c.connected.Load()),
		Connects:      c.connects.Load(),
		DialErrors:    c.dialErrors.Load(),
		Disconnects:   c.disconnects.Load(),
		Offline:       c.offline.Load(),
		Sent:          c.sent.Load(),
		Acked:         c.acked.Load(),
		Retransmitted: c.retransmitted.Load(),
		Failed:        c.failed.Load(),
		Unacked:       c.unacked.Load(),
		Values:        c.values.Load(),
		StrayAcks:     c.strayAcks.Load(),
		Malformed:     c.malformed.Load(),
		Backfilled:    c.backfilled.Load(),
		Commands:      c.commands.Load(),
		Replies:       c.replies.Load(),
		BytesOut:      c.bytesOut.Load(),
		BytesIn:       c.bytesIn.Load(),
	}
	s.LatencyP50, s.LatencyP99, s.LatencyMax = c.latency.quantile(0.5), c.latency.quantile(0.99), c.latency.max()
	c.mu.Lock()
	if len(c.errors) > 0 {
		s.Errors = make(map[string]DeviceErrors, len(c.errors))
		for k, v := range c.errors {
			s.Errors[k] = *v
		}
	}
	c.mu.Unlock()
	return s
}

// TopErrors returns up to n devices with the most errors, most first.
func (s Stats) TopErrors(n int) []string {
	mns := make([]string, 0, len(s.Errors))
	for mn := range s.Errors {
		mns = append(mns, mn)
	}
	sort.Slice(mns, func(i, j int) bool {
		a, b := s.Errors[mns[i]], s.Errors[mns[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return mns[i] < mns[j]
	})
	if len(mns) > n {
		mns = mns[:n]
	}
	return mns
}

// histogram is a lock-free log-linear latency histogram in microseconds:
// 16 sub-buckets per power of two, so a quantile is within 6.25 %.
type histogram struct {
	b [16 + 40*16]atomic.Uint64
}

func bucketOf(us uint64) int {
	if us < 16 {
		return int(us)
	}
	shift := bits.Len64(us) - 5
	i := 16 + shift*16 + int(us>>uint(shift)) - 16
	if i >= len(histogram{}.b) {
		i = len(histogram{}.b) - 1
	}
	return i
}

// bucketValue is a bucket's midpoint.
func bucketValue(i int) uint64 {
	if i < 16 {
		return uint64(i)
	}
	shift := (i - 16) / 16
	mant := uint64(16 + (i-16)%16)
	return mant<<uint(shift) + (uint64(1)<<uint(shift))/2
}

func (h *histogram) observe(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.b[bucketOf(uint64(us))].Add(1)
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.b {
		total += h.b[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range h.b {
		seen += h.b[i].Load()
		if seen >= rank {
			return time.Duration(bucketValue(i)) * time.Microsecond
		}
	}
	return 0
}

func (h *histogram) max() time.Duration {
	for i := len(h.b) - 1; i >= 0; i-- {
		if h.b[i].Load() > 0 {
			return time.Duration(bucketValue(i)) * time.Microsecond
		}
	}
	return 0
}
