package gateway

import (
	"log/slog"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Commands the gateway sends to devices.
const (
	cmdSetTime = "1012" // HJ 212-2017 table 9: set device time (SystemTime)
	cmdMinute  = "2051" // get minute data (BeginTime, EndTime)
	cmdHour    = "2061" // get hourly data (BeginTime, EndTime)
)

// session is an authenticated device on a connection: the requests sent
// to it that wait for their 9011/9012 answers, and its back-fill state.
type session struct {
	s    *Server
	c    *conn
	mn   string
	pw   string
	st   string
	flag int // Flag of our requests: the device's version bits, A=1
	// calAt is when the device was last sent a time calibration for an
	// implausible DataTime (reader goroutine only).
	calAt time.Time

	mu       sync.Mutex
	cmds     []pendingCmd
	lastQN   time.Time
	bfQueue  []bfRange
	bfNext   time.Time // next gap check
	bfActive bool      // a history request is outstanding
	gone     bool
}

// pendingCmd is a request waiting for the device's answers (HJ 212-2017
// §6.5.1: 9011 QnRtn, the data, then 9012 ExeRtn, all with its QN).
type pendingCmd struct {
	qn, cn   string
	sent     time.Time
	accepted bool // 9011 QnRtn=1 received
	backfill bool
}

// bfRange is a run of missing periods, requested as BeginTime..EndTime.
type bfRange struct {
	cn       string
	from, to time.Time // period starts, inclusive
}

// findSession returns the connection's session of a device, nil if the
// device has not authenticated on this connection.
func (c *conn) findSession(mn string) *session {
	for _, ss := range c.sessions {
		if ss.mn == mn {
			return ss
		}
	}
	return nil
}

// session returns the connection's session for the frame's device,
// creating it on the device's first frame on this connection (or
// replacing it when the registry changed the device's password).
func (c *conn) session(dev *model.Device, f *hj212.Frame, now time.Time) (*session, bool) {
	for i, ss := range c.sessions {
		if ss.mn == dev.MN {
			if ss.pw == dev.Password {
				return ss, false
			}
			c.sessions = append(c.sessions[:i], c.sessions[i+1:]...)
			ss.mu.Lock()
			ss.gone = true
			ss.mu.Unlock()
			break
		}
	}
	ss := &session{
		s:      c.s,
		c:      c,
		mn:     dev.MN,
		pw:     dev.Password,
		st:     string(f.ST),
		flag:   int(f.Version)<<2 | 1, // HJ 212-2017 §6.3.2 table 3: V5..V0 D A
		bfNext: now,
	}
	if ss.st == "" {
		ss.st = dev.ST
	}
	c.sessions = append(c.sessions, ss)
	s := c.s
	s.smu.Lock()
	s.sessions[ss.mn] = ss // the device's latest connection wins
	s.smu.Unlock()
	if s.cfg.BackfillWindow > 0 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return ss, true
}

// nextQN returns a fresh QN (YYYYMMDDhhmmsszzz, China time), strictly
// increasing per device so that answers can be matched.
func (ss *session) nextQN(now time.Time) string {
	t := now.Truncate(time.Millisecond)
	if !t.After(ss.lastQN) {
		t = ss.lastQN.Add(time.Millisecond)
	}
	ss.lastQN = t
	return string(hj212.FormatQN(make([]byte, 0, 17), t))
}

// request sends a request command and records it as pending.
func (ss *session) request(now time.Time, cn string, cp []hj212.KV, backfill bool) {
	ss.mu.Lock()
	if ss.gone {
		ss.mu.Unlock()
		return
	}
	qn := ss.nextQN(now)
	ss.cmds = append(ss.cmds, pendingCmd{qn: qn, cn: cn, sent: now, backfill: backfill})
	if backfill {
		ss.bfActive = true
	}
	ss.mu.Unlock()
	m := hj212.Message{QN: qn, ST: ss.st, CN: cn, PW: ss.pw, MN: ss.mn, Flag: ss.flag, CP: cp}
	ss.c.send(m.AppendFrame(nil))
}

// calibrate sends the time calibration of HJ 212-2017 §6.7 (CN 1012).
func (ss *session) calibrate(now time.Time) {
	st := string(hj212.FormatTime(nil, now))
	ss.request(now, cmdSetTime, []hj212.KV{{Key: "SystemTime", Value: st}}, false)
	ss.s.stats.timeCalSent.Add(1)
}

// onAnswer handles a device's 9011 (QnRtn) or 9012 (ExeRtn) for one of
// our requests (HJ 212-2017 tables 6 and 7).
func (ss *session) onAnswer(f *hj212.Frame, now time.Time) {
	s := ss.s
	cn := string(f.CN)
	ss.mu.Lock()
	i := -1
	for k := range ss.cmds {
		if ss.cmds[k].qn == string(f.QN) {
			i = k
			break
		}
	}
	if i < 0 {
		ss.mu.Unlock()
		s.stats.answersUnmatched.Add(1)
		return
	}
	cmd := &ss.cmds[i]
	done, next := false, false
	if cn == "9011" {
		rtn, _ := f.Get("QnRtn")
		if string(rtn) == "1" {
			cmd.accepted = true
			cmd.sent = now // execution gets its own timeout
		} else {
			done = true
			if cmd.backfill {
				s.stats.backfillRejected.Add(1)
			} else {
				s.stats.cmdRejected.Add(1)
			}
		}
	} else {
		rtn, _ := f.Get("ExeRtn")
		done = true
		switch string(rtn) {
		case "1":
			if cmd.backfill {
				s.stats.backfillDone.Add(1)
			} else {
				s.stats.cmdDone.Add(1)
			}
		case "100": // no data
			if cmd.backfill {
				s.stats.backfillNoData.Add(1)
			} else {
				s.stats.cmdDone.Add(1)
			}
		default:
			if cmd.backfill {
				s.stats.backfillFailed.Add(1)
			} else {
				s.stats.cmdFailed.Add(1)
			}
		}
	}
	if done {
		if cmd.backfill {
			ss.bfActive = false
			next = len(ss.bfQueue) > 0
		}
		ss.cmds = append(ss.cmds[:i], ss.cmds[i+1:]...)
	}
	ss.mu.Unlock()
	if next {
		ss.nextBackfill(now)
	}
}

// expire drops requests that got no answer in time.
func (ss *session) expire(now time.Time, timeout time.Duration) {
	s := ss.s
	ss.mu.Lock()
	keep := ss.cmds[:0]
	for _, cmd := range ss.cmds {
		if now.Sub(cmd.sent) < timeout {
			keep = append(keep, cmd)
			continue
		}
		if cmd.backfill {
			ss.bfActive = false
			s.stats.backfillTimeouts.Add(1)
		} else {
			s.stats.cmdTimeouts.Add(1)
		}
	}
	clear(ss.cmds[len(keep):])
	ss.cmds = keep
	ss.mu.Unlock()
}

// nextBackfill sends the next queued history request, if none is
// outstanding: one request per device at a time.
func (ss *session) nextBackfill(now time.Time) {
	ss.mu.Lock()
	if ss.gone || ss.bfActive || len(ss.bfQueue) == 0 {
		ss.mu.Unlock()
		return
	}
	r := ss.bfQueue[0]
	ss.bfQueue = ss.bfQueue[1:]
	ss.mu.Unlock()
	cp := []hj212.KV{
		{Key: "BeginTime", Value: string(hj212.FormatTime(nil, r.from))},
		{Key: "EndTime", Value: string(hj212.FormatTime(nil, r.to))},
	}
	ss.request(now, r.cn, cp, true)
	ss.s.stats.backfillRequests.Add(1)
}

// backfillLoop expires unanswered requests and, for connected devices,
// looks for gaps and requests them. It runs on its own goroutine so that
// store reads never slow the connections down.
func (s *Server) backfillLoop() {
	defer s.bgWG.Done()
	t := time.NewTicker(s.backfillTick)
	defer t.Stop()
	var list []*session
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		list = list[:0]
		s.smu.Lock()
		for _, ss := range s.sessions {
			list = append(list, ss)
		}
		s.smu.Unlock()
		now := s.cfg.Now()
		budget := 256 // gap checks per round: spreads a reconnect storm
		for _, ss := range list {
			if s.bgCtx.Err() != nil {
				return
			}
			ss.expire(now, s.cfg.CommandTimeout)
			if s.cfg.BackfillWindow <= 0 {
				continue
			}
			ss.mu.Lock()
			due := !ss.gone && !ss.bfActive && len(ss.bfQueue) == 0 && !now.Before(ss.bfNext)
			if due && budget > 0 {
				ss.bfNext = now.Add(s.cfg.BackfillInterval)
			}
			ss.mu.Unlock()
			if due && budget > 0 {
				budget--
				ranges := s.findGaps(ss.mn, now)
				ss.mu.Lock()
				ss.bfQueue = append(ss.bfQueue[:0], ranges...)
				ss.mu.Unlock()
			}
			ss.nextBackfill(now)
		}
		clear(list)
		if budget == 0 {
			select { // more due: go on soon
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// maxRanges bounds the history requests per CN and check; the remaining
// gaps are requested as one range (what is already stored is merged
// harmlessly).
const maxRanges = 8

// findGaps returns the runs of missing hourly (2061) and minute (2051)
// periods of a device over the back-fill window. A CN the device has no
// data of at all in the window is requested whole only with
// Config.BackfillWhenEmpty: we cannot tell a device that does not produce
// it (it answers ExeRtn=100, no data) from one that was away the whole
// window or newly registered (it sends its history).
func (s *Server) findGaps(mn string, now time.Time) []bfRange {
	var out []bfRange
	for _, k := range []struct {
		cn   string
		step time.Duration
	}{{cmdHour, time.Hour}, {cmdMinute, s.cfg.MinInterval}} {
		// Period starts are aligned in China time; the intervals allowed
		// for MinInterval (1..30 min) divide the hour and China time is a
		// whole-hour offset, so truncating UTC gives the same alignment.
		winStart := now.Add(-s.cfg.BackfillWindow)
		from := winStart.Truncate(k.step)
		if from.Before(winStart) {
			from = from.Add(k.step)
		}
		last := now.Add(-k.step - s.cfg.BackfillGrace).Truncate(k.step)
		if last.Before(from) {
			continue
		}
		times, err := s.st.UploadTimes(s.bgCtx, mn, k.cn, from, last.Add(k.step))
		if err != nil {
			if n, ok := s.rl.allow("backfill-query"); ok {
				s.log.Warn("gateway: back-fill query failed", slog.String("mn", mn), slog.Int("suppressed", n),
					slog.Any("err", err))
			}
			continue
		}
		if len(times) == 0 {
			if s.cfg.BackfillWhenEmpty {
				out = append(out, bfRange{cn: k.cn, from: from, to: last})
			}
			continue
		}
		var runs []bfRange
		i := 0
		for p := from; !p.After(last); p = p.Add(k.step) {
			for i < len(times) && times[i].Before(p) {
				i++
			}
			if i < len(times) && times[i].Before(p.Add(k.step)) {
				continue // covered
			}
			if n := len(runs); n > 0 && runs[n-1].to.Add(k.step).Equal(p) {
				runs[n-1].to = p
				continue
			}
			if len(runs) == maxRanges {
				runs[maxRanges-1].to = p
				continue
			}
			runs = append(runs, bfRange{cn: k.cn, from: p, to: p})
		}
		out = append(out, runs...)
	}
	return out
}

// purgeLoop deletes raw frames older than RawRetention, and rejected and
// quarantined ones older than ArchiveRetention.
func (s *Server) purgeLoop() {
	defer s.bgWG.Done()
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		purge := func(what string, keep time.Duration, f func(time.Time) (int64, error)) {
			n, err := f(s.cfg.Now().Add(-keep))
			if err != nil {
				if s.bgCtx.Err() == nil {
					s.log.Warn("gateway: raw frame purge failed", slog.String("frames", what), slog.Any("err", err))
				}
				return
			}
			s.stats.rawPurged.Add(uint64(n))
			if n > 0 {
				s.log.Info("gateway: raw frames purged", slog.String("frames", what), slog.Int64("rows", n),
					slog.String("retention", keep.String()))
			}
		}
		p := s.cfg.Purger
		if s.cfg.ArchiveRetention > 0 &&
			(s.cfg.RawRetention <= 0 || s.cfg.ArchiveRetention < s.cfg.RawRetention) {
			purge("rejected and quarantined", s.cfg.ArchiveRetention, func(t time.Time) (int64, error) {
				return p.PurgeRawStatusBefore(s.bgCtx, t, model.RawRejected, model.RawQuarantined)
			})
		}
		if s.cfg.RawRetention > 0 {
			purge("all", s.cfg.RawRetention, func(t time.Time) (int64, error) { return p.PurgeRawBefore(s.bgCtx, t) })
		}
		if s.bgCtx.Err() != nil {
			return
		}
		select {
		case <-s.bgCtx.Done():
			return
		case <-t.C:
		}
	}
}
