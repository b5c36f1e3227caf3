package forwardsvc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/store"
)

// client is one target's connection and counters.
type client struct {
	s   *Service
	t   *forward.Target
	log *slog.Logger

	connected                                  atomic.Bool
	sent, acked, resent, errs, evicted, missed atomic.Int64
	requests, missing                          atomic.Int64
	devices, depth, oldest                     atomic.Int64 // oldest: unix µs of the oldest waiting entry
	ackLagSum                                  atomic.Int64 // µs
	lastAck                                    atomic.Int64 // unix µs

	mu          sync.Mutex
	conn        net.Conn
	lastErr     string
	lastErrAt   time.Time
	clockOffset time.Duration // what the upper platform's 1012 said minus our clock
}

func (c *client) state(now time.Time) store.ForwardState {
	c.mu.Lock()
	le, lea := c.lastErr, c.lastErrAt
	c.mu.Unlock()
	st := store.ForwardState{Target: c.t.Name, Address: c.t.Address, Connected: c.connected.Load(),
		Sent: c.sent.Load(), Acked: c.acked.Load(), Resent: c.resent.Load(), Errors: c.errs.Load(),
		Evicted: c.evicted.Load(), LastError: le, LastErrorAt: lea, UpdatedAt: now}
	if a := c.lastAck.Load(); a > 0 {
		st.LastAckAt = time.UnixMicro(a).UTC()
	}
	return st
}

func (c *client) fail(now time.Time, err error) {
	c.errs.Add(1)
	c.mu.Lock()
	c.lastErr, c.lastErrAt = err.Error(), now
	c.mu.Unlock()
}

func (c *client) closeConn() {
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.mu.Unlock()
}

// run connects, sends and reconnects with backoff until Stop.
func (c *client) run() {
	failures := 0
	for !c.s.stopped() {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.s.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		conn, err := c.s.opts.Dial(ctx, c.t.Address)
		if err != nil {
			cancel()
			failures++
			c.fail(time.Now(), fmt.Errorf("connect: %w", err))
			d := c.s.backoff(failures)
			c.log.Warn("forwarding: cannot connect to the upper platform", "address", c.t.Address, "err", err, "retry_in", d.Round(time.Millisecond))
			if !c.s.sleep(d) {
				return
			}
			continue
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
		if c.s.stopped() {
			conn.Close()
			cancel()
			return
		}
		c.connected.Store(true)
		c.log.Info("forwarding: connected", "address", c.t.Address)
		progressed, err := c.session(ctx, conn)
		c.connected.Store(false)
		conn.Close()
		cancel()
		if c.s.stopped() {
			return
		}
		if progressed {
			failures = 0
		}
		failures++
		c.fail(time.Now(), err)
		d := c.s.backoff(failures)
		c.log.Warn("forwarding: connection ended", "err", err, "retry_in", d.Round(time.Millisecond))
		if !c.s.sleep(d) {
			return
		}
	}
}

// event is a frame from the upper platform, read by the reader goroutine.
type event struct {
	f   *hj212.Frame
	req forward.Request
}

// session sends the queue over conn until it fails or Stop. progressed
// tells whether anything was acknowledged (the backoff then starts anew).
func (c *client) session(ctx context.Context, conn net.Conn) (progressed bool, err error) {
	events := make(chan event, 256)
	readErr := make(chan error, 1)
	quit := make(chan struct{})
	defer close(quit)
	go func() { readErr <- readFrames(conn, events, quit) }()

	t := c.t
	snd := forward.NewSender(forward.Rules{Timeout: t.Timeout(), Retries: t.RetryCount(), Window: t.Window})
	var qns forward.QNs
	w := bufio.NewWriterSize(conn, 64<<10)
	write := func(b []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		_, err := w.Write(b)
		return err
	}
	flush := func() error {
		_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		return w.Flush()
	}
	// done: acknowledged entries not yet removed from the store; they are
	// not sent again meanwhile.
	var done []store.ForwardDone
	doneSet := map[int64]bool{}
	var nextPoll, doneSince time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		// Fill the window from the queue.
		if room := snd.Room(); room > 0 && (room >= max(1, t.Window/4) || snd.InFlight() == 0) && !now.Before(nextPoll) {
			limit := snd.InFlight() + len(doneSet) + room
			items, err := c.s.st.ForwardPending(ctx, t.Name, 0, limit)
			if err != nil {
				return progressed, fmt.Errorf("queue: %w", err)
			}
			plan := c.s.plan.Load()
			fresh := 0
			for i := range items {
				it := &items[i]
				if snd.Has(it.ID) || doneSet[it.ID] {
					continue
				}
				if room == 0 {
					break
				}
				id, ok := plan.Ident[t.Name][it.Upload.MN]
				if it.Missing || !ok {
					// Purged by retention, or the device is no longer
					// selected: nothing to send; it leaves the queue.
					c.missing.Add(1)
					done = append(done, store.ForwardDone{ID: it.ID, Gen: it.Gen})
					doneSet[it.ID] = true
					continue
				}
				ps := forward.BuildUpload(&it.Upload, id, t.Version(), func() string { return qns.Next(now) })
				for _, p := range ps {
					if err := write(p.Frame); err != nil {
						return progressed, fmt.Errorf("write: %w", err)
					}
				}
				snd.Send(&forward.Entry{ID: it.ID, Gen: it.Gen, Packets: ps, EnqueuedAt: it.EnqueuedAt}, now)
				c.sent.Add(1)
				room--
				fresh++
			}
			if fresh > 0 {
				if err := flush(); err != nil {
					return progressed, fmt.Errorf("write: %w", err)
				}
			}
			if len(items) < limit {
				nextPoll = now.Add(c.s.opts.Poll) // the queue is drained: look again later
			}
		}
		wait := c.s.opts.Poll
		if n := snd.Next(); !n.IsZero() {
			wait = min(wait, max(0, n.Sub(now)))
		}
		if !nextPoll.IsZero() && snd.Room() > 0 {
			wait = min(wait, max(0, nextPoll.Sub(now)))
		}
		if !doneSince.IsZero() {
			wait = min(wait, max(0, doneSince.Add(ackFlush).Sub(now)))
		}
		timer.Reset(wait)
		select {
		case <-c.s.stop:
			return progressed, errStopped
		case err := <-readErr:
			return progressed, fmt.Errorf("read: %w", err)
		case ev := <-events:
			// Take every event already read, then write the removals in
			// one transaction.
			for {
				if e := c.handle(ctx, ev, snd, &qns, write); e != nil {
					if e.err != nil {
						return progressed, e.err
					}
					done = append(done, store.ForwardDone{ID: e.entry.ID, Gen: e.entry.Gen})
					doneSet[e.entry.ID] = true
					progressed = true
				}
				more := false
				select {
				case ev = <-events:
					more = true
				default:
				}
				if !more {
					break
				}
			}
			if err := flush(); err != nil {
				return progressed, fmt.Errorf("write: %w", err)
			}
		case <-timer.C:
			resend, failed := snd.Due(time.Now())
			if failed {
				// HJ 212-2017 §6.2: the retries are used up, the link
				// counts as unusable: reconnect (the entries stay queued).
				r := snd.Rules()
				return progressed, fmt.Errorf("no acknowledgement after %d retries of %s: link unusable (HJ 212-2017 §6.2)", r.Retries, r.Timeout)
			}
			for _, p := range resend {
				if err := write(p.Frame); err != nil {
					return progressed, fmt.Errorf("write: %w", err)
				}
			}
			if len(resend) > 0 {
				c.resent.Add(int64(len(resend)))
				if err := flush(); err != nil {
					return progressed, fmt.Errorf("write: %w", err)
				}
			}
		}
		// Removals are written together (one transaction, one fsync per
		// 256 entries or 100 ms): until then the entries are not sent
		// again; after a crash they are, and the receiver keeps one.
		if len(done) > 0 && doneSince.IsZero() {
			doneSince = time.Now()
		}
		if len(done) > 0 && (len(done) >= 256 || time.Since(doneSince) >= ackFlush || snd.InFlight() == 0) {
			if _, err := c.s.st.ForwardAcked(ctx, t.Name, done); err != nil {
				// Kept: retried after the next event; meanwhile these
				// entries are not sent again.
				c.fail(time.Now(), fmt.Errorf("queue: %w", err))
				continue
			}
			clear(doneSet)
			done = done[:0]
			doneSince = time.Time{}
		}
	}
}

// handled is what an event completed: an entry (all its packets were
// acknowledged), or an error that ends the session.
type handled struct {
	entry *forward.Entry
	err   error
}

// handle acts on one frame from the upper platform.
func (c *client) handle(ctx context.Context, ev event, snd *forward.Sender, qns *forward.QNs, write func([]byte) error) *handled {
	now := time.Now()
	r := ev.req
	switch r.Kind {
	case forward.KindIgnore:
		return nil
	case forward.KindAck:
		e := snd.Ack(r.QN)
		if e == nil {
			return nil
		}
		c.acked.Add(1)
		c.lastAck.Store(now.UnixMicro())
		if !e.EnqueuedAt.IsZero() {
			c.ackLagSum.Add(max(0, now.Sub(e.EnqueuedAt).Microseconds()))
		}
		return &handled{entry: e}
	}
	c.requests.Add(1)
	reply := func(cn, cp string) error { return write(hj212.AppendReply(nil, ev.f, cn, cp)) }
	fail := func(err error) *handled { return &handled{err: fmt.Errorf("write: %w", err)} }
	if r.Kind == forward.KindOther {
		// Control commands (3011 calibrate, 3012 sample, ...) are for
		// the field devices, not for a platform: refused (table 7,
		// QnRtn=2 执行请求被拒绝).
		if err := reply(hj212.CNRequestAnswer, "QnRtn=2"); err != nil {
			return fail(err)
		}
		return nil
	}
	plan := c.s.plan.Load()
	mn, known := plan.Reverse[c.t.Name][r.MN]
	if !known {
		// Table 7: QnRtn=4, MN error.
		if err := reply(hj212.CNRequestAnswer, "QnRtn=4"); err != nil {
			return fail(err)
		}
		return nil
	}
	if err := reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
		return fail(err)
	}
	exe := forward.ExeOK
	if r.Bad != "" {
		c.log.Warn("forwarding: request not carried out", "cn", r.CN, "why", r.Bad)
		exe = forward.ExeCondition
	} else {
		switch r.Kind {
		case forward.KindGetTime:
			// Appendix C.2: the time, with the request's QN, no answer wanted.
			m := hj212.Message{QN: r.QN, ST: forward.STFor(plan.Ident[c.t.Name][mn], nil), CN: "1011", PW: string(ev.f.PW),
				MN: r.MN, Flag: int(c.t.Version()) << 2, CP: []hj212.KV{{Key: "SystemTime", Value: string(hj212.FormatTime(nil, now))}}}
			if err := write(m.AppendFrame(nil)); err != nil {
				return fail(err)
			}
		case forward.KindSetTime:
			// ecowatch's clock is the server's, kept by NTP: the upper
			// platform's time is recorded and logged, not applied.
			off := r.SystemTime.Sub(now)
			c.mu.Lock()
			c.clockOffset = off
			c.mu.Unlock()
			if off > time.Minute || off < -time.Minute {
				c.log.Warn("forwarding: the upper platform's clock differs from ours", "offset", off.Round(time.Second))
			}
		case forward.KindTimeouts:
			snd.SetTimeouts(r.OverTime, r.ReCount)
		case forward.KindHistory:
			n, err := c.history(ctx, r, mn, qns, write)
			if err != nil {
				if errors.Is(err, errWrite) {
					return fail(err)
				}
				c.log.Warn("forwarding: history request", "err", err)
				exe = 2 // table 6: failed, cause unknown
			} else if n == 0 {
				exe = forward.ExeNoData
			}
		}
	}
	if err := reply(hj212.CNExecuteResult, "ExeRtn="+strconv.Itoa(exe)); err != nil {
		return fail(err)
	}
	return nil
}

var errWrite = errors.New("write")

// ackFlush is the longest acknowledged entries wait for their removal
// from the queue.
const ackFlush = 100 * time.Millisecond

// maxHistory bounds the uploads one history request is answered with.
const maxHistory = 1500

// history answers a 2051/2061/2031 request from the store (HJ 212-2017
// Appendix C.20-C.23): one upload per stored period in [Begin, End],
// each asking for an acknowledgement, as the device would send them.
func (c *client) history(ctx context.Context, r forward.Request, mn string, qns *forward.QNs, write func([]byte) error) (int, error) {
	ups, err := c.s.st.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: r.CN, From: r.Begin, To: r.End.Add(time.Second), Limit: maxHistory})
	if err != nil {
		return 0, err
	}
	id := c.s.plan.Load().Ident[c.t.Name][mn]
	now := time.Now()
	for i := range ups {
		for _, p := range forward.BuildUpload(&ups[i], id, c.t.Version(), func() string { return qns.Next(now) }) {
			if err := write(p.Frame); err != nil {
				return i, fmt.Errorf("%w: %w", errWrite, err)
			}
		}
	}
	return len(ups), nil
}

// readFrames reads the upper platform's frames until the connection
// fails; frames that do not decode or whose CRC is wrong are dropped
// (§6.3.1: 执行结束).
func readFrames(conn net.Conn, out chan<- event, quit <-chan struct{}) error {
	sp := &hj212.Splitter{}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
	sc.Split(sp.Split)
	for sc.Scan() {
		var f hj212.Frame
		if hj212.Decode(sc.Bytes(), &f, hj212.Options{Mode: hj212.Tolerant}) != nil || !f.CRCOK {
			continue
		}
		cf := f.Clone()
		select {
		case out <- event{f: cf, req: forward.ReadRequest(cf)}:
		case <-quit:
			return errStopped
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("the upper platform closed the connection")
}
