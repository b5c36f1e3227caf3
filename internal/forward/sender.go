package forward

import (
	"time"
)

// Rules are a connection's acknowledgement rules: HJ 212-2017 §6.2 —
// an upload that asks for an answer (Flag A = 1, §6.3.2 table 3; the
// receiver answers 9014, §6.5.3 and Appendix C) and has not had it within
// the timeout (超时时间) is sent again, up to the retry count (重发次数);
// after that the link is taken as unusable (通讯不可用). Table 1 gives
// 10 s and 3 over mobile networks; CN 1000 (OverTime, ReCount) changes
// them. Window is ecowatch's own: how many uploads may wait for their
// answer at once (1 sends strictly one after another).
type Rules struct {
	Timeout time.Duration
	Retries int
	Window  int
}

// Entry is a queue entry in flight: its packets and which were answered.
type Entry struct {
	ID, Gen    int64
	Packets    []Packet
	EnqueuedAt time.Time // when the queue took it, for the lag
	acked      []bool
	left       int
	sentAt     time.Time
	tries      int // sends after the first
	first      time.Time
}

// Sender is the state of one connection's uploads waiting for their 9014
// (the state machine of §6.2): Send records a send, Ack an answer, Due
// what is to be sent again or that the link failed. It keeps no clock:
// callers pass the time. Entries stay in the durable queue until acked;
// a Sender dropped with its connection loses nothing.
type Sender struct {
	rules   Rules
	byQN    map[string]*Entry
	entries map[int64]*Entry
	order   []*Entry // in send order, for Due
}

// NewSender returns a Sender with the rules (zero fields: the defaults).
func NewSender(r Rules) *Sender {
	if r.Timeout <= 0 {
		r.Timeout = DefaultAckTimeout
	}
	if r.Retries < 0 {
		r.Retries = 0
	}
	if r.Window <= 0 {
		r.Window = 1
	}
	return &Sender{rules: r, byQN: map[string]*Entry{}, entries: map[int64]*Entry{}}
}

// Rules returns the rules in force.
func (s *Sender) Rules() Rules { return s.rules }

// SetTimeouts applies CN 1000 (OverTime, ReCount) from the upper
// platform to what is sent from now on.
func (s *Sender) SetTimeouts(timeout time.Duration, retries int) {
	if timeout > 0 {
		s.rules.Timeout = timeout
	}
	if retries >= 0 {
		s.rules.Retries = retries
	}
}

// Room is how many more entries may be sent now.
func (s *Sender) Room() int { return max(0, s.rules.Window-len(s.entries)) }

// InFlight is the number of entries waiting for answers.
func (s *Sender) InFlight() int { return len(s.entries) }

// Has reports whether the queue entry id is in flight.
func (s *Sender) Has(id int64) bool { _, ok := s.entries[id]; return ok }

// Send records that e's packets were written at now.
func (s *Sender) Send(e *Entry, now time.Time) {
	e.acked = make([]bool, len(e.Packets))
	e.left = len(e.Packets)
	e.sentAt, e.first, e.tries = now, now, 0
	s.entries[e.ID] = e
	for _, p := range e.Packets {
		s.byQN[p.QN] = e
	}
	s.order = append(s.order, e)
}

// Ack takes a 9014 with the QN qn. It returns the entry when that was its
// last unanswered packet (the entry is then complete and leaves the
// Sender), nil otherwise (another packet still waits, or the QN is
// unknown: a late answer to a packet already answered or resent).
func (s *Sender) Ack(qn string) *Entry {
	e, ok := s.byQN[qn]
	if !ok {
		return nil
	}
	delete(s.byQN, qn)
	for i, p := range e.Packets {
		if p.QN == qn && !e.acked[i] {
			e.acked[i] = true
			e.left--
		}
	}
	if e.left > 0 {
		return nil
	}
	delete(s.entries, e.ID)
	return e
}

// Due returns the packets whose answer is overdue at now, to be sent
// again (their sending time is reset), and whether the link failed: an
// entry that had its retries and is overdue again (§6.2). After a failure
// the caller closes the connection; the entries stay queued.
func (s *Sender) Due(now time.Time) (resend []Packet, failed bool) {
	live := s.order[:0]
	for _, e := range s.order {
		if _, ok := s.entries[e.ID]; !ok || s.entries[e.ID] != e {
			continue // acknowledged
		}
		live = append(live, e)
		if now.Sub(e.sentAt) < s.rules.Timeout {
			continue
		}
		if e.tries >= s.rules.Retries {
			failed = true
			continue
		}
		e.tries++
		e.sentAt = now
		for i, p := range e.Packets {
			if !e.acked[i] {
				resend = append(resend, p)
			}
		}
	}
	clear(s.order[len(live):])
	s.order = live
	return resend, failed
}

// Next is when Due next has something to do (zero: nothing in flight).
func (s *Sender) Next() time.Time {
	var next time.Time
	for _, e := range s.entries {
		t := e.sentAt.Add(s.rules.Timeout)
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// Reset forgets everything in flight (the connection is gone).
func (s *Sender) Reset() {
	clear(s.byQN)
	clear(s.entries)
	clear(s.order)
	s.order = s.order[:0]
}
