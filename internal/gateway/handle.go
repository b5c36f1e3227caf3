package gateway

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Quarantine and rejection reasons, stored with the raw frame.
const (
	reasonUnknownMN   = "unknown MN"
	reasonEmptyMN     = "empty MN" // a data logger whose MN was never configured
	reasonWrongPW     = "wrong password"
	reasonBadCRC      = "bad CRC"
	reasonBadDataTime = "bad DataTime: "
)

// span is a [start, end) range in an item's string arena.
type span struct{ a, b int }

// handleFrame decodes, authenticates and queues one frame. tok aliases the
// read buffer and is only valid during the call.
func (c *conn) handleFrame(tok []byte, recv time.Time) {
	s := c.s
	s.stats.framesReceived.Add(1)
	f := &c.rb.f
	opts := hj212.Options{Mode: hj212.Tolerant, MaxSegment: s.cfg.MaxSegment}
	err := hj212.Decode(tok, f, opts)
	var (
		dev   model.Device
		known bool
	)
	if err != nil || !f.CRCOK {
		// A device registered with the Modbus-CRC quirk gets a second
		// chance; nobody else does.
		if mn := scanField(tok, "MN="); len(mn) > 0 {
			dev, known = s.devices.Device(string(mn))
			if known && slices.Contains(dev.Tolerances, model.ToleranceModbusCRC) {
				opts.AcceptModbusCRC = true
				err = hj212.Decode(tok, f, opts)
			}
		}
	}
	if err != nil || !f.CRCOK {
		// HJ 212-2017 §6.3.1: a command with a wrong CRC is dropped (no
		// reply); its bytes are still evidence, so archive them.
		reason := reasonBadCRC
		if err != nil {
			reason = err.Error()
		}
		c.reject(tok, recv, reason)
		return
	}

	it := getItem()
	it.c = c
	it.recv = c.rxMono
	it.at = recv
	c.fill(it, tok, f)
	mn := it.raw.MN
	if mn == "" {
		// "MN=;" (hj212.DevMissingMN): the frame names no device, so it
		// can only be evidence, typically of a data logger installed
		// without its MN configured.
		c.quarantine(it, reasonEmptyMN)
		return
	}
	if !known || dev.MN != mn {
		dev, known = s.devices.Device(mn)
	}
	if !known {
		c.quarantine(it, reasonUnknownMN)
		return
	}
	// A device already authenticated on this connection goes straight to
	// the password compare; a new session asks the guard first, so that a
	// source that failed recently gets no password checked at all.
	ss := c.findSession(mn)
	if ss == nil || ss.pw != dev.Password {
		if len(dev.Networks) > 0 && !allowedFrom(c.ip, dev.Networks) {
			s.stats.authNetRefused.Add(1)
			c.quarantine(it, reasonNetwork)
			return
		}
		if v, _ := s.guard.check(c.src, mn, recv); v != guardAllow {
			c.refuseAuth(it, v)
			return
		}
	}
	if subtle.ConstantTimeCompare(f.PW, []byte(dev.Password)) != 1 {
		c.authFailed(it, recv)
		return
	}
	first := false
	if ss == nil || ss.pw != dev.Password {
		s.guard.success(c.src, mn)
		ss, first = c.session(&dev, f, recv)
	}
	it.contact = c.contactOf(it, recv)

	cn := it.raw.CN
	switch {
	case cn == "9011" || cn == "9012":
		// An answer is never answered (HJ 212-2017 §6.3: 9014 is the
		// reply to an upload), whatever its Flag asks.
		it.ack = nil
		ss.onAnswer(f, recv)
	case cn == "1013":
		// HJ 212-2017 Appendix C.4: the device asks for time calibration;
		// answer with a notify reply (9013), then calibrate (1012). The
		// 9013 is its answer: no 9014 follows the frame's commit.
		var buf [256]byte
		c.send(hj212.AppendReply(buf[:0], f, "9013", ""))
		it.ack = nil
		first = true
	case strings.HasPrefix(cn, "90"):
		// 9013/9014 answers of the device: archived, nothing to do, and
		// not answered.
		it.ack = nil
	default:
		if dev, reason := badValue(it.vals); dev != "" {
			// Stored exactly as sent or not at all: a value the store
			// would have to alter (a NUL, a control byte, broken UTF-8)
			// is kept only as the raw frame's bytes.
			c.quarantineData(it, dev, reason)
			break
		}
		rf, err := c.addUpload(it, f, recv)
		switch {
		case err != nil:
			it.raw.Status = model.RawRejected
			it.raw.Reason = reasonBadDataTime + err.Error()
			it.ack = nil
			it.hasUpload = false
			s.stats.framesRejectedRx.Add(1)
			if n, ok := s.rl.allow("datatime"); ok {
				s.log.Warn("gateway: bad DataTime", slog.String("mn", mn), slog.String("cn", cn),
					slog.Int("suppressed", n), slog.Any("err", err))
			}
		case rf.dev != "":
			c.quarantineData(it, rf.dev, rf.reason)
			s.stats.implausibleTime.Add(1)
			// The device's clock is wrong: set it, at most once per
			// command timeout per connection (its retransmissions and
			// back-log would otherwise each trigger one).
			if ss.calAt.IsZero() || recv.Sub(ss.calAt) >= s.cfg.CommandTimeout {
				ss.calAt = recv
				first = true
			}
		}
	}
	c.enqueue(it)
	if first && !s.cfg.DisableTimeCalibration {
		ss.calibrate(recv)
	}
}

// Named deviations of frames from authenticated devices that are kept
// out of the official data (stored with the raw frame).
const (
	devFuture      = "datatime-future"       // DataTime later than the server's time plus Config.MaxFuture
	devBeforeFloor = "datatime-before-floor" // DataTime before Config.MinDataTime
	devControlByte = "value-control-byte"    // NUL or another C0 control byte (or DEL) in a key or value
	devInvalidUTF8 = "value-invalid-utf8"    // a key or value that is not UTF-8
	reasonImplTime = "implausible DataTime: "
	reasonBadValue = "value not storable as sent: "
)

// refusal names why a decodable frame of an authenticated device is not
// official data.
type refusal struct{ dev, reason string }

// badValue finds the first key or value the store could not keep byte for
// byte. It allocates nothing unless it finds one.
func badValue(vals []model.Value) (dev, reason string) {
	for _, v := range vals {
		for _, x := range [3]string{v.Factor, v.Field, v.Value} {
			ascii := true
			for i := 0; i < len(x); i++ {
				b := x[i]
				if b < 0x20 || b == 0x7f {
					return devControlByte, fmt.Sprintf("%s%s has control byte 0x%02x at %d", reasonBadValue, cpKey(v), b, i)
				}
				if b >= utf8.RuneSelf {
					ascii = false
				}
			}
			if !ascii && !utf8.ValidString(x) {
				return devInvalidUTF8, reasonBadValue + cpKey(v) + " is not UTF-8"
			}
		}
	}
	return "", ""
}

// cpKey is a value's CP key as sent, for messages.
func cpKey(v model.Value) string {
	k := v.Field
	if v.Factor != "" {
		k = v.Factor + "-" + v.Field
	}
	return strconv.QuoteToASCII(k)
}

// quarantineData keeps an authenticated device's frame for review without
// official data and without an acknowledgement.
func (c *conn) quarantineData(it *item, dev, reason string) {
	s := c.s
	s.stats.framesQuarantinedRx.Add(1)
	if n, ok := s.rl.allow("quarantine-data"); ok {
		s.log.Warn("gateway: frame quarantined", slog.String("remote", c.remote), slog.String("mn", it.raw.MN),
			slog.String("reason", reason), slog.Int("suppressed", n))
	}
	it.raw.Status = model.RawQuarantined
	it.raw.Reason = reason
	it.raw.Deviations = append(it.raw.Deviations, dev)
	it.ack = nil
	it.hasUpload = false
	it.dupKey = 0
	if !c.archive(it.raw.Raw, it.at) {
		it.hasRaw = false // the device's contact is still recorded
	}
}

// archive asks the archive budget whether a frame that is not official
// data may be archived, and counts the answer.
func (c *conn) archive(raw []byte, now time.Time) bool {
	s := c.s
	switch s.budget.admit(c.src, raw, now) {
	case "":
		s.stats.archiveFrames.Add(1)
		s.stats.archiveBytes.Add(uint64(len(raw)))
		return true
	case skipDuplicate:
		s.stats.archiveSkipDup.Add(1)
	case skipSource:
		s.stats.archiveSkipSource.Add(1)
	case skipTotal:
		s.stats.archiveSkipTotal.Add(1)
		if n, ok := s.rl.allow("archive-cap"); ok {
			s.log.Warn("gateway: daily cap of the rejected and quarantined frame archive reached",
				slog.Int64("cap_bytes", s.cfg.ArchiveDaily), slog.Int("suppressed", n))
		}
	}
	return false
}

// fill copies what the batch must keep out of the read buffer: the raw
// bytes (with room for the ack reply) and one string holding every text
// field, which the item's strings slice into (one allocation per frame
// instead of one per value).
func (c *conn) fill(it *item, tok []byte, f *hj212.Frame) {
	need := f.NeedsAck()
	ackRoom := 0
	if need {
		ackRoom = 64 + len(f.QN) + len(f.PW) + len(f.MN)
	}
	buf := make([]byte, len(tok), len(tok)+ackRoom)
	copy(buf, tok)
	if need {
		it.ack = hj212.AppendReply(buf[len(tok):len(tok)], f, "9014", "")
	}

	size := len(f.MN) + len(f.CN) + len(f.QN)
	for i := range f.CP {
		size += len(f.CP[i].Key) + len(f.CP[i].Value)
	}
	var sb strings.Builder
	sb.Grow(size)
	sp := c.rb.spans[:0]
	put := func(b []byte) {
		a := sb.Len()
		sb.Write(b)
		sp = append(sp, span{a, sb.Len()})
	}
	put(f.MN)
	put(f.CN)
	put(f.QN)
	for i := range f.CP {
		put(f.CP[i].Key)
		put(f.CP[i].Value)
	}
	str := sb.String()
	c.rb.spans = sp
	sub := func(i int) string { return str[sp[i].a:sp[i].b] }

	it.hasRaw = true
	it.raw = model.RawFrame{
		ReceivedAt: it.at.UTC(),
		Remote:     c.remote,
		MN:         sub(0),
		CN:         sub(1),
		QN:         sub(2),
		Status:     model.RawAccepted,
		Raw:        buf[:len(tok):len(tok)],
	}
	if f.Deviations != 0 {
		it.raw.Deviations = f.Deviations.Strings()
	}
	// Values are prepared here (cheap: substrings) and kept only if the
	// frame turns out to carry data.
	vals := it.vals[:0]
	for i := range f.CP {
		key, val := sub(3+2*i), sub(4+2*i)
		if key == "DataTime" {
			continue
		}
		v := model.Value{Field: key, Value: val}
		if k := strings.IndexByte(key, '-'); k >= 0 {
			v.Factor, v.Field = key[:k], key[k+1:]
		}
		vals = append(vals, v)
	}
	it.vals = vals
}

// addUpload turns a data or status frame into an upload. HJ 212-2017
// table 4: DataTime is the period start (2051/2061/2031/2041) or the
// sampling instant (2011/2021), in China Standard Time; stored UTC.
func (c *conn) addUpload(it *item, f *hj212.Frame, recv time.Time) (refusal, error) {
	if len(it.vals) == 0 {
		return refusal{}, nil // nothing but DataTime (or nothing): keep the raw frame only
	}
	dt := recv.UTC().Truncate(time.Second)
	if b, ok := f.Get("DataTime"); ok {
		t, err := hj212.ParseTime(b)
		if err != nil {
			return refusal{}, err
		}
		maxFuture, floor := defaultMaxFuture, DefaultMinDataTime
		if c.s != nil {
			maxFuture, floor = c.s.cfg.MaxFuture, c.s.cfg.MinDataTime
		}
		switch {
		case t.After(recv.Add(maxFuture)):
			return refusal{devFuture, fmt.Sprintf("%s%s is more than %s after the server's time %s", reasonImplTime,
				b, maxFuture, hj212.FormatTime(nil, recv))}, nil
		case t.Before(floor):
			return refusal{devBeforeFloor, fmt.Sprintf("%s%s is before %s", reasonImplTime,
				b, hj212.FormatTime(nil, floor))}, nil
		}
		dt = t.UTC()
	}
	// 2081 (boot time) and other status frames without DataTime are
	// keyed by their receive time.
	it.hasUpload = true
	it.upload = model.Upload{MN: it.raw.MN, CN: it.raw.CN, DataTime: dt, Values: it.vals}
	it.dupKey = frameKey(f)
	if it.dupKey != 0 && c.seen(it.dupKey) {
		it.raw.Status = model.RawDuplicate
	}
	return refusal{}, nil
}

// frameKey identifies a frame's upload and packet, so that a device's
// retransmission of a committed frame can be labelled duplicate
// (HJ 212-2017 §6.2: a device resends after OverTime without an ack).
func frameKey(f *hj212.Frame) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	mix := func(b []byte) {
		for _, x := range b {
			h ^= uint64(x)
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	mix(f.MN)
	mix(f.CN)
	mix(f.QN)
	if dt, ok := f.Get("DataTime"); ok {
		mix(dt)
	}
	h ^= uint64(f.PNO)
	h *= prime
	if h == 0 {
		h = 1
	}
	return h
}

// reject archives an undecodable frame.
func (c *conn) reject(tok []byte, recv time.Time, reason string) {
	s := c.s
	s.stats.framesRejectedRx.Add(1)
	if n, ok := s.rl.allow("reject"); ok {
		s.log.Warn("gateway: frame rejected", slog.String("remote", c.remote), slog.String("reason", reason),
			slog.Int("suppressed", n))
	}
	if !c.archive(tok, recv) {
		return
	}
	it := getItem()
	it.recv = c.rxMono
	it.at = recv
	it.hasRaw = true
	it.raw = model.RawFrame{
		ReceivedAt: recv.UTC(),
		Remote:     c.remote,
		MN:         string(scanField(tok, "MN=")),
		CN:         string(scanField(tok, "CN=")),
		QN:         string(scanField(tok, "QN=")),
		Status:     model.RawRejected,
		Reason:     reason,
		Raw:        bytes.Clone(tok),
	}
	c.enqueue(it)
}

// authFailed counts a wrong password for a registered device and
// quarantines the frame; a lockout it trips is logged, counted and
// handed to Config.OnLockout.
func (c *conn) authFailed(it *item, now time.Time) {
	s := c.s
	s.stats.authFailures.Add(1)
	mn := it.raw.MN
	c.quarantine(it, reasonWrongPW)
	for _, l := range s.guard.fail(c.src, mn, now) {
		l.Remote = c.remote
		if l.Scope == LockoutSource {
			s.stats.authLockouts.Add(1)
		} else {
			s.stats.authDeviceAlarms.Add(1)
		}
		if n, ok := s.rl.allow("lockout-" + l.Scope); ok {
			s.log.Error("gateway: device authentication lockout", slog.String("scope", l.Scope),
				slog.String("source", l.Source), slog.String("remote", l.Remote), slog.Any("mns", l.MNs),
				slog.Int("failures", l.Failures), slog.Time("until", l.Until), slog.Int("suppressed", n))
		}
		if s.cfg.OnLockout != nil {
			s.cfg.OnLockout(l)
		}
	}
}

// reasonNetwork: the device's registry entry lists the networks it may
// connect from, and this connection is from none of them.
const reasonNetwork = "source address not in the device's allowed networks"

// allowedFrom reports whether ip is in one of the networks (CIDR or single
// addresses, checked by the registry on import).
func allowedFrom(ip netip.Addr, networks []string) bool {
	ip = ip.Unmap()
	for _, n := range networks {
		if p, err := netip.ParsePrefix(n); err == nil {
			if p.Contains(ip) {
				return true
			}
		} else if a, err := netip.ParseAddr(n); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}

// refuseAuth quarantines a frame whose password was not checked: its
// source waits after failures, is locked out, or its device is attacked
// and the source is not one of the device's usual addresses.
func (c *conn) refuseAuth(it *item, v guardVerdict) {
	s := c.s
	reason := reasonAuthDelayed
	switch v {
	case guardLocked:
		reason = reasonAuthLocked
	case guardDevice:
		reason = reasonAuthDevice
	}
	s.stats.authRefused.Add(1)
	c.quarantine(it, reason)
}

// quarantine keeps a frame of an unknown device (or of none: an empty MN)
// or with a wrong password for review. It never becomes official data and is not acknowledged, so
// the device keeps its data until its registration is fixed.
func (c *conn) quarantine(it *item, reason string) {
	s := c.s
	s.stats.framesQuarantinedRx.Add(1)
	if n, ok := s.rl.allow("quarantine"); ok {
		s.log.Warn("gateway: frame quarantined", slog.String("remote", c.remote), slog.String("mn", it.raw.MN),
			slog.String("reason", reason), slog.Int("suppressed", n))
	}
	if !s.cfg.QuarantineUnknown {
		s.stats.framesDropped.Add(1)
		putItem(it)
		return
	}
	if !c.archive(it.raw.Raw, it.at) {
		putItem(it)
		return
	}
	it.raw.Status = model.RawQuarantined
	it.raw.Reason = reason
	it.ack = nil
	it.hasUpload = false
	c.enqueue(it)
}

// enqueue hands an item to the committer, blocking while the queue is
// full: the connection is then not read, which is the backpressure.
func (c *conn) enqueue(it *item) {
	s := c.s
	select {
	case s.items <- it:
		return
	default:
	}
	s.stats.queueFullWaits.Add(1)
	select {
	case s.items <- it:
	case <-s.stopping:
		s.stats.framesDropped.Add(1)
		putItem(it)
	}
}

// scanField finds "NAME=value" in a raw frame that could not be decoded,
// so that a rejected frame can still be found by its device.
func scanField(b []byte, name string) []byte {
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte(name))
		if k < 0 {
			return nil
		}
		k += i
		// A field starts the segment (after "##LLLL") or follows ';'.
		if k == 0 || k == 6 || b[k-1] == ';' {
			v := b[k+len(name):]
			if e := bytes.IndexAny(v, ";&,\r\n"); e >= 0 {
				v = v[:e]
			}
			if len(v) > 64 {
				v = v[:64]
			}
			return v
		}
		i = k + 1
	}
}
