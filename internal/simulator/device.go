package simulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

// itemKind is what a queued outgoing item is.
type itemKind uint8

const (
	itemData itemKind = iota // an upload of aggregates or real-time values
	itemBoot                 // 2081 RestartTime
	itemExe                  // 9012 ExeRtn, after a history answer
)

// item is an outgoing frame not built yet: frames are built when sent, into
// the device's buffers, so that queued items hold no byte slices.
type item struct {
	kind     itemKind
	cn       string
	at       time.Time // DataTime: the period start, or the sampling instant
	pno      int       // 1 or 2 for a split upload, 0 otherwise
	backfill bool
	qn       string // itemExe: the request's QN
	exe      int    // itemExe: ExeRtn
}

// pending is the upload waiting for its 9014 (HJ 212-2017 §6.5): one at a
// time, as a data logger does.
type pending struct {
	active   bool
	qn       [24]byte
	qnLen    int
	first    time.Time // first transmission, for the ack latency
	deadline time.Time // next retransmission
	tries    int       // retransmissions so far
	ev       AckEvent
}

var (
	errGiveUp  = errors.New("no acknowledgement after ReCount retransmissions: link unusable (HJ 212-2017 §6.2)")
	errOffline = errors.New("going offline (behaviour)")
	errDone    = errors.New("flat-out frames done")
)

type device struct {
	s   *Simulator
	idx int
	cfg *Device
	g   *gen

	hdr      header
	flagBase int  // version bits: 0 (2005), 4 (2017) or 8 (2025); -1: no Flag at all
	ack      bool // uploads request an acknowledgement (Flag A bit)
	decOpts  hj212.Options

	conn  net.Conn
	rbuf  []byte
	rlen  int
	split hj212.Splitter
	fr    hj212.Frame
	seg   []byte
	out   []byte // the last frame built: the pending one while waiting
	tmp   []byte // replies and malformed frames
	qn    []byte
	aggs  []Aggregate
	samp  []sample

	lastQN time.Time

	// Schedule, in simulated time: the start of the next period to send.
	nextRtd, nextMin, nextHour, nextDay time.Time
	rtdInterval, minInterval            time.Duration
	rtdOn                               bool
	overTime                            time.Duration
	reCount                             int
	sendDelay                           time.Duration // device-specific upload delay after a period ends

	cmdQ, dataQ []item
	pend        pending

	flatSeq  int
	flatNext time.Time // real time of the next flat-out frame (Rate > 0)
	frames   uint64    // data frames built, for the malformed rotation
	phaseOff int64     // minutes: offline phase
}

func newDevice(s *Simulator, idx int, d *Device) *device {
	dv := &device{
		s:           s,
		idx:         idx,
		cfg:         d,
		g:           newGen(s.cfg.Seed, d),
		rbuf:        make([]byte, 4096),
		rtdInterval: s.cfg.RtdInterval,
		minInterval: s.cfg.MinInterval,
		rtdOn:       s.cfg.Uploads&UploadRealtime != 0,
		overTime:    s.cfg.OverTime,
		reCount:     s.cfg.ReCount,
	}
	dv.aggs = make([]Aggregate, len(dv.g.factors))
	dv.samp = make([]sample, len(dv.g.factors))
	pw := d.Password
	if d.Behaviour.WrongPassword {
		pw = wrongPassword(pw)
	}
	dv.hdr = header{st: stOf(d), pw: pw, mn: d.MN, quirks: d.Behaviour.Quirks}
	switch d.Protocol {
	case "2005":
		// HJ/T 212-2005 uploads commonly carry neither QN nor Flag, so
		// nothing can be matched to an acknowledgement.
		dv.flagBase = -1
	case "2025":
		dv.flagBase = 8 // version bits 000010 (hj212.md §2, Flag)
		dv.ack = !s.cfg.NoAck
	default:
		dv.flagBase = 4 // version bits 000001
		dv.ack = !s.cfg.NoAck
	}
	dv.decOpts = hj212.Options{Mode: hj212.Tolerant}
	h := mix(dv.g.seed, 5)
	dv.sendDelay = time.Duration(h%20) * time.Second
	if b := d.Behaviour; b.OfflineEvery > 0 {
		dv.phaseOff = int64(mix(dv.g.seed, 6) % uint64(max(1, int64(b.OfflineEvery/time.Minute))))
	}
	return dv
}

// wrongPassword returns a password of the same length that differs.
func wrongPassword(pw string) string {
	if pw == "" {
		return "000000"
	}
	b := []byte(pw)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	if string(b) == pw {
		b[len(b)-1] = 'x'
	}
	return string(b)
}

// run connects, runs sessions and reconnects until ctx is done.
func (d *device) run(ctx context.Context) {
	s := d.s
	start := s.clock.sim(time.Now())
	d.initSchedule(start)
	addr := s.cfg.Addr
	if len(s.cfg.Addrs) > 0 {
		addr = s.cfg.Addrs[d.idx%len(s.cfg.Addrs)]
	}
	// Spread the first connections of many devices over a little time.
	if n := len(s.devs); n > 1 && !s.cfg.FlatOut {
		if !sleepCtx(ctx, time.Duration(mix(d.g.seed, 7)%uint64(min(n, 1000)))*time.Millisecond) {
			return
		}
	}
	for ctx.Err() == nil && !s.draining.Load() {
		if end, off := d.offlineUntil(s.clock.sim(time.Now())); off {
			s.c.offline.Add(1)
			if !sleepCtx(ctx, time.Until(s.clock.real(end))) {
				return
			}
			// Periods that ended while offline stay in the device's
			// history for the gateway to back-fill.
			d.skipSchedule(s.clock.sim(time.Now()))
			continue
		}
		conn, err := s.cfg.Dial(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.c.dialErrors.Add(1)
			s.c.deviceError(d.cfg.MN, fmt.Errorf("dial: %w", err))
			if !sleepCtx(ctx, d.backoff()) {
				return
			}
			continue
		}
		s.c.connects.Add(1)
		s.c.connected.Add(1)
		err = d.session(ctx, conn)
		conn.Close()
		s.c.connected.Add(-1)
		d.pend.active = false
		d.cmdQ, d.dataQ = d.cmdQ[:0], d.dataQ[:0]
		switch {
		case errors.Is(err, errDone) || ctx.Err() != nil:
			return
		case errors.Is(err, errOffline):
			continue
		}
		s.c.disconnects.Add(1)
		if err != nil {
			s.c.deviceError(d.cfg.MN, err)
			s.cfg.Logger.Debug("simulated device disconnected", slog.String("mn", d.cfg.MN), slog.Any("err", err))
		}
		if !sleepCtx(ctx, d.backoff()) {
			return
		}
	}
}

func (d *device) backoff() time.Duration {
	r := d.s.cfg.ReconnectDelay
	return r/2 + time.Duration(mix(d.g.seed, uint64(time.Now().UnixNano()))%uint64(r))
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// offlineUntil reports whether the device is in an offline window at sim
// time t, and when the window ends.
func (d *device) offlineUntil(t time.Time) (time.Time, bool) {
	b := d.cfg.Behaviour
	if b.OfflineEvery <= 0 || b.OfflineFor <= 0 {
		return time.Time{}, false
	}
	every := max(1, int64(b.OfflineEvery/time.Minute))
	dur := max(1, int64(b.OfflineFor/time.Minute))
	m := floorDiv(t.Unix(), 60)
	pos := floorMod(m+d.phaseOff, every)
	if pos >= dur {
		return time.Time{}, false
	}
	return time.Unix((m-pos+dur)*60, 0), true
}

// periodStart aligns t down to a period of length p; days start at local
// (CST) midnight.
func periodStart(t time.Time, p time.Duration) time.Time {
	sec := int64(p / time.Second)
	u := t.Unix()
	if p >= 24*time.Hour {
		return time.Unix(floorDiv(u+cstOffset, sec)*sec-cstOffset, 0)
	}
	return time.Unix(floorDiv(u, sec)*sec, 0)
}

// initSchedule sets the first periods to send: those that end after now.
func (d *device) initSchedule(now time.Time) {
	d.nextRtd = now.Truncate(time.Second).Add(time.Duration(mix(d.g.seed, 8)%uint64(max(1, int64(d.rtdInterval/time.Second)))) * time.Second)
	d.nextMin = periodStart(now, d.minInterval)
	d.nextHour = periodStart(now, time.Hour)
	d.nextDay = periodStart(now, 24*time.Hour)
}

// skipSchedule moves the schedule past periods that ended before now,
// which stay in the history.
func (d *device) skipSchedule(now time.Time) {
	if d.nextRtd.Before(now) {
		d.nextRtd = now
	}
	if d.nextMin.Add(d.minInterval).Before(now) {
		d.nextMin = periodStart(now, d.minInterval)
	}
	if d.nextHour.Add(time.Hour).Before(now) {
		d.nextHour = periodStart(now, time.Hour)
	}
	if d.nextDay.Add(24 * time.Hour).Before(now) {
		d.nextDay = periodStart(now, 24*time.Hour)
	}
}

// schedule queues the uploads due at sim time now and returns the sim time
// of the next one.
func (d *device) schedule(now time.Time) time.Time {
	u := d.s.cfg.Uploads
	next := now.Add(time.Hour)
	if u&UploadRealtime != 0 && d.rtdOn {
		for !d.nextRtd.After(now) {
			d.queueData(item{kind: itemData, cn: "2011", at: d.nextRtd})
			d.nextRtd = d.nextRtd.Add(d.rtdInterval)
		}
		next = minTime(next, d.nextRtd)
	}
	// A period's upload goes a little after the period ends, with its
	// start as DataTime (HJ 212-2017 §6.3.3, table 4).
	type per struct {
		on   bool
		cn   string
		next *time.Time
		p    time.Duration
	}
	for _, p := range [...]per{
		{u&UploadMinute != 0, "2051", &d.nextMin, d.minInterval},
		{u&UploadHour != 0, "2061", &d.nextHour, time.Hour},
		{u&UploadDay != 0, "2031", &d.nextDay, 24 * time.Hour},
	} {
		if !p.on {
			continue
		}
		for {
			due := p.next.Add(p.p + d.sendDelay)
			if due.After(now) {
				next = minTime(next, due)
				break
			}
			d.queueUpload(p.cn, *p.next, false)
			*p.next = p.next.Add(p.p)
		}
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// queueUpload queues an aggregate upload, as two packets for a device that
// splits (HJ 212-2017 Appendix C.49).
func (d *device) queueUpload(cn string, at time.Time, backfill bool) {
	q := &d.dataQ
	if backfill {
		q = &d.cmdQ
	}
	if d.cfg.Behaviour.Split {
		*q = append(*q, item{kind: itemData, cn: cn, at: at, pno: 1, backfill: backfill}, item{kind: itemData, cn: cn, at: at, pno: 2, backfill: backfill})
		return
	}
	*q = append(*q, item{kind: itemData, cn: cn, at: at, backfill: backfill})
}

// queueData queues a live upload, dropping the oldest when the device has
// fallen far behind: the dropped periods stay in its history.
func (d *device) queueData(it item) {
	if len(d.dataQ) >= 256 {
		copy(d.dataQ, d.dataQ[1:])
		d.dataQ = d.dataQ[:len(d.dataQ)-1]
	}
	d.dataQ = append(d.dataQ, it)
}

// session runs one connection until it fails, the device goes offline or
// ctx is done.
func (d *device) session(ctx context.Context, conn net.Conn) error {
	s := d.s
	d.conn = conn
	d.rlen = 0
	d.split = hj212.Splitter{}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	if !s.cfg.FlatOut && !s.cfg.NoBootFrame {
		d.cmdQ = append(d.cmdQ, item{kind: itemBoot, cn: "2081", at: s.clock.sim(time.Now())})
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := time.Now()
		sim := s.clock.sim(now)
		wake := now.Add(time.Second)

		if !s.cfg.FlatOut {
			if end, off := d.offlineUntil(sim); off {
				_ = end
				return errOffline
			}
			wake = minTime(wake, s.clock.real(d.schedule(sim)))
			if b := d.cfg.Behaviour; b.OfflineEvery > 0 {
				// Wake up for the start of the next offline window.
				m := floorDiv(sim.Unix(), 60)
				every := max(1, int64(b.OfflineEvery/time.Minute))
				nextOff := time.Unix((m-floorMod(m+d.phaseOff, every)+every)*60, 0)
				wake = minTime(wake, s.clock.real(nextOff))
			}
		}

		// Retransmit or give up (HJ 212-2017 §6.2: after OverTime, resend,
		// up to ReCount times; then the link counts as unusable).
		if d.pend.active && !now.Before(d.pend.deadline) {
			if d.pend.tries >= d.reCount {
				d.pend.active = false
				s.c.failed.Add(1)
				if s.cfg.OnFail != nil {
					s.cfg.OnFail(d.pend.ev)
				}
				return errGiveUp
			}
			d.pend.tries++
			d.pend.deadline = now.Add(d.overTime)
			s.c.retransmitted.Add(1)
			if err := d.write(d.out); err != nil {
				return err
			}
		}

		if s.draining.Load() {
			if !d.pend.active {
				return errDone
			}
		} else if err := d.sendQueued(now, sim); err != nil {
			return err
		}
		if s.cfg.FlatOut && !d.pend.active && !s.draining.Load() {
			if s.cfg.FlatOutFrames > 0 && d.flatSeq >= s.cfg.FlatOutFrames {
				return errDone
			}
			if s.cfg.Rate <= 0 || !now.Before(d.flatNext) {
				if err := d.sendFlat(now); err != nil {
					return err
				}
			}
			if s.cfg.Rate > 0 {
				wake = minTime(wake, d.flatNext)
			}
		}
		if d.pend.active {
			wake = minTime(wake, d.pend.deadline)
		}

		if err := d.readUntil(wake); err != nil {
			return err
		}
	}
}

// sendQueued sends queued items: command answers first, then live data.
// An item that requests an acknowledgement blocks the queue until it is
// acknowledged or given up.
func (d *device) sendQueued(now, sim time.Time) error {
	for !d.pend.active {
		var it item
		switch {
		case len(d.cmdQ) > 0:
			it = d.cmdQ[0]
			d.cmdQ = d.cmdQ[:copy(d.cmdQ, d.cmdQ[1:])]
		case len(d.dataQ) > 0:
			it = d.dataQ[0]
			d.dataQ = d.dataQ[:copy(d.dataQ, d.dataQ[1:])]
		default:
			return nil
		}
		if err := d.sendItem(now, sim, it); err != nil {
			return err
		}
	}
	return nil
}

func (d *device) sendItem(now, sim time.Time, it item) error {
	s := d.s
	switch it.kind {
	case itemExe:
		d.tmp = d.appendExe(d.tmp[:0], it.qn, it.exe)
		s.c.replies.Add(1)
		return d.write(d.tmp)
	case itemBoot:
		// 2081: the data logger's boot time, sent on connect (§6.7,
		// Appendix C.24).
		d.out = d.buildSimple(d.out[:0], sim, "2081", func(seg []byte) []byte {
			seg = append(seg, "DataTime="...)
			seg = hj212.FormatTime(seg, it.at)
			seg = itemSep(seg, d.hdr.quirks)
			seg = append(seg, "RestartTime="...)
			return hj212.FormatTime(seg, s.cfg.Start)
		})
		return d.sendUpload(now, AckEvent{Device: d.idx, MN: d.cfg.MN, CN: it.cn, DataTime: it.at})
	}
	values := d.buildData(sim, it)
	if it.backfill {
		s.c.backfilled.Add(1)
	}
	if err := d.maybeMalformed(); err != nil {
		return err
	}
	return d.sendUpload(now, AckEvent{Device: d.idx, MN: d.cfg.MN, CN: it.cn, DataTime: it.at, PNO: it.pno, Values: values, Backfill: it.backfill})
}

// sendUpload writes d.out and, when it requests an acknowledgement, makes
// it the pending frame.
func (d *device) sendUpload(now time.Time, ev AckEvent) error {
	s := d.s
	s.c.sent.Add(1)
	if d.ack {
		d.pend = pending{active: true, first: now, deadline: now.Add(d.overTime), ev: ev}
		d.pend.qnLen = copy(d.pend.qn[:], d.qn)
	} else {
		s.c.unacked.Add(1)
	}
	return d.write(d.out)
}

// nextQN returns a QN for sim time t, unique for the device: a device
// sends at most one frame per millisecond of its clock.
func (d *device) nextQN(t time.Time) []byte {
	if !t.After(d.lastQN) {
		t = d.lastQN.Add(time.Millisecond)
	}
	t = t.Truncate(time.Millisecond)
	d.lastQN = t
	d.qn = appendQN(d.qn[:0], t, d.hdr.quirks)
	return d.qn
}

// flag returns the Flag for an upload: version bits, D for split packets,
// A when an acknowledgement is wanted (HJ 212-2017 §6.3.2, table 3).
func (d *device) flag(split, ack bool) int {
	if d.flagBase < 0 {
		return -1
	}
	f := d.flagBase
	if split {
		f |= 2
	}
	if ack {
		f |= 1
	}
	return f
}

// startSegment begins a data segment for cn with a new QN.
func (d *device) startSegment(sim time.Time, cn string, pnum, pno int, ack bool) {
	h := d.hdr
	h.cn = cn
	h.qn = nil
	d.qn = d.qn[:0]
	if d.flagBase >= 0 {
		h.qn = d.nextQN(sim)
	}
	h.flag = d.flag(pnum > 0, ack)
	h.pnum, h.pno = pnum, pno
	d.seg = appendHeader(d.seg[:0], &h)
}

// buildSimple builds an upload whose CP body is written by body.
func (d *device) buildSimple(dst []byte, sim time.Time, cn string, body func([]byte) []byte) []byte {
	d.startSegment(sim, cn, 0, 0, d.ack)
	d.seg = body(d.seg)
	d.seg = closeCP(d.seg, d.hdr.quirks)
	return appendFrame(dst, d.seg, d.hdr.quirks)
}

// buildData builds the data upload it into d.out and returns the number of
// values in it.
func (d *device) buildData(sim time.Time, it item) int {
	d.frames++
	pnum := 0
	if it.pno > 0 {
		pnum = 2
	}
	d.startSegment(sim, it.cn, pnum, it.pno, d.ack)
	var n int
	q := d.hdr.quirks
	defs := d.g.factors
	if it.cn == "2011" {
		min := floorDiv(it.at.Unix(), 60)
		d.g.minute(min, d.samp)
		// Within a minute the instant value wobbles a little (±1 %).
		for i := range d.samp {
			j := 1 + 0.01*signed(mix(d.g.seed^uint64(i), uint64(it.at.Unix())))
			d.samp[i].v *= j
			d.samp[i].z *= j
		}
		d.seg, n = appendRealtime(d.seg, q, it.at, d.samp, defs, d.g.zs)
	} else {
		p := periodOf(it.cn, d.minInterval)
		d.g.aggregate(floorDiv(it.at.Unix(), 60), int64(p/time.Minute), d.aggs, d.samp)
		aggs := d.aggs
		if it.pno > 0 {
			half := (len(aggs) + 1) / 2
			if it.pno == 1 {
				aggs, defs = aggs[:half], defs[:half]
			} else {
				aggs, defs = aggs[half:], defs[half:]
			}
		}
		d.seg, n = appendAggregates(d.seg, q, it.at, aggs, defs)
	}
	d.seg = closeCP(d.seg, q)
	d.out = appendFrame(d.out[:0], d.seg, q)
	return n
}

// periodOf is the period a data CN aggregates.
func periodOf(cn string, minInterval time.Duration) time.Duration {
	switch cn {
	case "2061":
		return time.Hour
	case "2031":
		return 24 * time.Hour
	}
	return minInterval
}

// sendFlat sends the next flat-out minute upload.
func (d *device) sendFlat(now time.Time) error {
	s := d.s
	at := s.cfg.FlatOutStart.Add(time.Duration(d.flatSeq) * s.cfg.MinInterval)
	d.flatSeq++
	if s.cfg.Rate > 0 {
		step := time.Duration(float64(time.Second) / s.cfg.Rate)
		if d.flatNext.IsZero() || now.Sub(d.flatNext) > time.Second {
			d.flatNext = now
		}
		d.flatNext = d.flatNext.Add(step)
	}
	// The QN follows the real clock in flat-out mode.
	it := item{kind: itemData, cn: "2051", at: at}
	if d.cfg.Behaviour.Split {
		it.pno = 1 // only the first half: flat-out measures frames
	}
	values := d.buildData(now, it)
	if err := d.maybeMalformed(); err != nil {
		return err
	}
	return d.sendUpload(now, AckEvent{Device: d.idx, MN: d.cfg.MN, CN: "2051", DataTime: at, PNO: it.pno, Values: values})
}

// maybeMalformed sends, before the frame in d.out, a malformed frame for
// a device configured so: in turn a copy with a wrong CRC, garbage bytes,
// and a frame cut short.
func (d *device) maybeMalformed() error {
	p := d.cfg.Behaviour.Malformed
	if p <= 0 || unit(mix(d.g.seed^0x6d616c66, d.frames)) >= p {
		return nil
	}
	d.s.c.malformed.Add(1)
	d.tmp = append(d.tmp[:0], d.out...)
	switch mix(d.g.seed, d.frames) % 3 {
	case 0: // wrong CRC: change the last CRC digit
		end := len(d.tmp) - 1 // the LF
		if end > 0 && d.tmp[end-1] == '\r' {
			end--
		}
		d.tmp[end-1] = flipHex(d.tmp[end-1])
	case 1: // garbage, no "##" in it
		d.tmp = append(d.tmp[:0], "\x00\xff garbage from a flaky modem \x07\x1b[0m\r\n"...)
	case 2: // truncated: the first half, without ending
		d.tmp = d.tmp[:len(d.tmp)/2]
	}
	return d.write(d.tmp)
}

func flipHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

// write writes b whole.
func (d *device) write(b []byte) error {
	n, err := d.conn.Write(b)
	d.s.c.bytesOut.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// readUntil reads and handles frames from the gateway until deadline.
func (d *device) readUntil(deadline time.Time) error {
	if err := d.conn.SetReadDeadline(deadline); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	if d.rlen == len(d.rbuf) {
		// A frame longer than the buffer is nothing a gateway sends;
		// drop it rather than grow without bound.
		d.rlen = 0
	}
	n, err := d.conn.Read(d.rbuf[d.rlen:])
	d.s.c.bytesIn.Add(uint64(n))
	d.rlen += n
	if n > 0 {
		if herr := d.handleInput(); herr != nil {
			return herr
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// handleInput frames the bytes read so far and handles each frame.
func (d *device) handleInput() error {
	data := d.rbuf[:d.rlen]
	off := 0
	for off < len(data) {
		adv, tok, err := d.split.Split(data[off:], false)
		if err != nil || adv == 0 {
			break
		}
		off += adv
		if tok != nil {
			if err := d.handleFrame(tok); err != nil {
				return err
			}
		}
	}
	d.rlen = copy(d.rbuf, data[off:])
	return nil
}

// handleFrame handles one frame from the gateway.
func (d *device) handleFrame(tok []byte) error {
	s := d.s
	if err := hj212.Decode(tok, &d.fr, d.decOpts); err != nil {
		s.c.deviceError(d.cfg.MN, fmt.Errorf("frame from gateway: %w", err))
		return nil
	}
	fr := &d.fr
	if !fr.CRCOK {
		s.c.deviceError(d.cfg.MN, errors.New("frame from gateway with a bad CRC ignored"))
		return nil
	}
	switch string(fr.CN) {
	case hj212.CNDataAnswer: // 9014
		if d.pend.active && bytes.Equal(fr.QN, d.pend.qn[:d.pend.qnLen]) {
			d.acked(time.Now())
		} else {
			s.c.strayAcks.Add(1)
		}
		return nil
	case hj212.CNNotifyAnswer, hj212.CNRequestAnswer, hj212.CNExecuteResult:
		return nil
	}
	if len(fr.MN) > 0 && string(fr.MN) != d.cfg.MN {
		// HJ 212-2017 table 7: QnRtn 4, MN error.
		s.c.commands.Add(1)
		return d.reply(hj212.CNRequestAnswer, "QnRtn=4")
	}
	s.c.commands.Add(1)
	return d.command()
}

// acked handles the 9014 for the pending frame.
func (d *device) acked(now time.Time) {
	s := d.s
	d.pend.active = false
	s.c.acked.Add(1)
	s.c.values.Add(uint64(d.pend.ev.Values))
	s.c.latency.observe(now.Sub(d.pend.first))
	if s.cfg.OnAck != nil {
		s.cfg.OnAck(d.pend.ev)
	}
}

// reply writes a 9011/9012/9013 reply to the frame in d.fr (HJ 212-2017
// §6.5: ST=91, the request's QN, PW and MN).
func (d *device) reply(cn, cp string) error {
	d.tmp = hj212.AppendReply(d.tmp[:0], &d.fr, cn, cp)
	d.s.c.replies.Add(1)
	return d.write(d.tmp)
}

// appendExe builds a 9012 for a request whose frame is gone.
func (d *device) appendExe(dst []byte, qn string, exe int) []byte {
	flag := 4
	if d.flagBase == 8 {
		flag = 8
	}
	m := hj212.Message{QN: qn, ST: "91", CN: hj212.CNExecuteResult, PW: d.hdr.pw, MN: d.cfg.MN, Flag: flag,
		CP: []hj212.KV{{Key: "ExeRtn", Value: strconv.Itoa(exe)}}}
	return m.AppendFrame(dst)
}

// getInt reads an integer CP value.
func (d *device) getInt(key string) (int, bool) {
	v, ok := d.fr.Get(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
	return n, err == nil
}

// command answers a request from the gateway (HJ 212-2017 §6.5 and
// Appendix C): 9011 QnRtn=1 at once, then the data asked for, then 9012
// ExeRtn.
func (d *device) command() error {
	fr := &d.fr
	sim := d.s.clock.sim(time.Now())
	cn := string(fr.CN)
	switch cn {
	case "1000": // set OverTime and ReCount (C.1)
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		ot, ok1 := d.getInt("OverTime")
		rc, ok2 := d.getInt("ReCount")
		if (ok1 && (ot < 1 || ot > 99)) || (ok2 && (rc < 1 || rc > 99)) {
			return d.reply(hj212.CNExecuteResult, "ExeRtn=3") // table 6: request condition error
		}
		if ok1 {
			d.overTime = time.Duration(ot) * time.Second
		}
		if ok2 {
			d.reCount = rc
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "1011": // get device time (C.2)
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		if err := d.replyData(cn, "SystemTime=", hj212.FormatTime(nil, sim)); err != nil {
			return err
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "1012": // set device time (C.3): the simulated clock is the
		// reference, so the calibration is acknowledged and counted.
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		if v, ok := fr.Get("SystemTime"); ok {
			if _, err := hj212.ParseTime(bytes.TrimSpace(v)); err != nil {
				return d.reply(hj212.CNExecuteResult, "ExeRtn=3")
			}
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "1061", "1063": // get RtdInterval / MinInterval (C.5, C.7)
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		var err error
		if cn == "1061" {
			err = d.replyData(cn, "RtdInterval=", strconv.AppendInt(nil, int64(d.rtdInterval/time.Second), 10))
		} else {
			err = d.replyData(cn, "MinInterval=", strconv.AppendInt(nil, int64(d.minInterval/time.Minute), 10))
		}
		if err != nil {
			return err
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "1062", "1064": // set RtdInterval (30-3600 s) / MinInterval
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		if cn == "1062" {
			v, ok := d.getInt("RtdInterval")
			if !ok || v < 30 || v > 3600 {
				return d.reply(hj212.CNExecuteResult, "ExeRtn=3")
			}
			d.rtdInterval = time.Duration(v) * time.Second
		} else {
			v, ok := d.getInt("MinInterval")
			if !ok || v < 1 || 60%v != 0 {
				return d.reply(hj212.CNExecuteResult, "ExeRtn=3")
			}
			if !d.s.cfg.FlatOut {
				d.minInterval = time.Duration(v) * time.Minute
				d.nextMin = periodStart(sim, d.minInterval)
			}
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "1072": // set password
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		if v, ok := fr.Get("NewPW"); ok && len(v) > 0 && !d.cfg.Behaviour.WrongPassword {
			d.hdr.pw = string(v)
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
	case "2011", "2021": // start real-time / run-state uploads
		if cn == "2011" {
			d.rtdOn = true
		}
		return d.reply(hj212.CNRequestAnswer, "QnRtn=1")
	case "2012", "2022": // stop: notifications, answered with 9013 (§6.5)
		if cn == "2012" {
			d.rtdOn = false
		}
		return d.reply(hj212.CNNotifyAnswer, "")
	case "2051", "2061", "2031":
		return d.history(cn, sim)
	}
	if fr.Flag >= 0 && fr.Flag&1 == 0 {
		return nil // no answer wanted
	}
	// Other requests (3011 calibrate, 3012 sample, ...): accepted and
	// executed at once.
	if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
		return err
	}
	return d.reply(hj212.CNExecuteResult, "ExeRtn=1")
}

// replyData sends the data response of a get request, with the request's
// QN and no acknowledgement wanted (HJ 212-2017 Appendix C.2).
func (d *device) replyData(cn, key string, val []byte) error {
	m := hj212.Message{QN: string(d.fr.QN), ST: d.hdr.st, CN: cn, PW: d.hdr.pw, MN: d.cfg.MN, Flag: d.flag(false, false),
		CP: []hj212.KV{{Key: key[:len(key)-1], Value: string(val)}}}
	d.tmp = m.AppendFrame(d.tmp[:0])
	d.s.c.replies.Add(1)
	return d.write(d.tmp)
}

// maxHistory bounds the frames one history request is answered with.
const maxHistory = 1500

// history answers a 2051/2061/2031 request for [BeginTime, EndTime] from
// the device's records (HJ 212-2017 Appendix C.20-C.23): 9011, one upload
// per period (acknowledged one by one), then 9012 ExeRtn=1, or ExeRtn=100
// when there is no data in the range.
func (d *device) history(cn string, sim time.Time) error {
	fr := &d.fr
	bv, ok1 := fr.Get("BeginTime")
	ev, ok2 := fr.Get("EndTime")
	if !ok1 || !ok2 {
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=3")
	}
	begin, err1 := hj212.ParseTime(bytes.TrimSpace(bv))
	end, err2 := hj212.ParseTime(bytes.TrimSpace(ev))
	if err1 != nil || err2 != nil || end.Before(begin) {
		if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
			return err
		}
		return d.reply(hj212.CNExecuteResult, "ExeRtn=3")
	}
	if err := d.reply(hj212.CNRequestAnswer, "QnRtn=1"); err != nil {
		return err
	}
	p := periodOf(cn, d.minInterval)
	first := periodStart(begin, p)
	if first.Before(begin) {
		first = first.Add(p)
	}
	oldest := d.s.cfg.Start.Add(-d.s.cfg.HistoryDepth)
	n := 0
	for t := first; !t.After(end) && n < maxHistory; t = t.Add(p) {
		// Only complete periods the device has recorded.
		if t.Before(oldest) || t.Add(p).After(sim) {
			continue
		}
		d.queueUpload(cn, t, true)
		n++
	}
	exe := 1
	if n == 0 {
		exe = 100 // table 6: no data
	}
	d.cmdQ = append(d.cmdQ, item{kind: itemExe, qn: string(fr.QN), exe: exe})
	return nil
}
