package rights

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Meta is carried by every command.
type Meta struct {
	// Key is the idempotency key: a repeat with the same key and the same
	// body returns the original result and writes nothing; a repeat with a
	// different body is refused (ErrKeyReused). A refused command does not
	// consume its key.
	Key   string `json:"key"`
	Actor string `json:"actor,omitempty"` // who issues it (recorded, not authenticated here)
	Doc   string `json:"doc,omitempty"`   // document number (公文号, contract no)
}

// Command is one of the command types in this package.
type Command interface {
	meta() Meta
	name() string
}

func (m Meta) meta() Meta { return m }

// Result is what a command did. It is derived from the command's entries
// only, so Replay rebuilds the same Result for each idempotency key.
type Result struct {
	Cmd    string  `json:"cmd"`
	Key    string  `json:"key"`
	Body   Digest  `json:"body"`
	Ref    string  `json:"ref"`              // the command's main object
	First  int64   `json:"first"`            // Seq of its first entry
	Last   int64   `json:"last"`             // Seq of its last entry
	Status string  `json:"status,omitempty"` // the main object's status afterwards
	Rights int64   `json:"rights"`           // g/a that reached their destination (escrow moves excluded)
	Money  int64   `json:"money"`            // fen recorded
	Trades []Trade `json:"trades,omitempty"`
}

// finalOps are the rights postings that Result.Rights counts.
func finalOp(op string) bool {
	switch op {
	case OpEscrow, OpReturn:
		return false
	}
	return true
}

func resultOf(es []Entry) (*Result, error) {
	first := &es[0]
	r := &Result{Cmd: first.Cmd, Key: first.Key, Body: first.Body, Ref: first.Ref,
		First: first.Seq, Last: es[len(es)-1].Seq}
	for i := range es {
		e := &es[i]
		switch e.Kind {
		case KindEvent:
			if e.Ref == r.Ref && e.Status != "" {
				r.Status = e.Status
			}
		case KindRights:
			if finalOp(e.Op) {
				r.Rights += e.Amount
			}
		case KindMoney:
			r.Money += e.Amount
			if e.Op == OpTrade || e.Op == OpAuction || e.Op == OpAgreement {
				var t Trade
				if err := json.Unmarshal([]byte(e.Detail), &t); err != nil {
					return nil, ferr(ErrInvalid, "trade detail: %v", err)
				}
				r.Trades = append(r.Trades, t)
			}
		}
	}
	return r, nil
}

// BodyDigest is the SHA-256 of a command's name and its JSON encoding; it
// decides whether a repeated idempotency key carries the same body.
func BodyDigest(c Command) (Digest, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return Digest{}, fmt.Errorf("rights: encode %s: %w", c.name(), err)
	}
	h := sha256.New()
	h.Write([]byte(c.name()))
	h.Write([]byte{0})
	h.Write(b)
	var d Digest
	h.Sum(d[:0])
	return d, nil
}

// Apply validates cmd against s at time now and, if it is accepted, returns
// the entries to append (in order, hashed and chained to s.Head()) and its
// result, and advances s past them. The caller must persist the entries
// atomically before acting on the result. If the command is refused, Apply
// returns a *Refusal and s is unchanged. A repeat of an already applied
// command (same key, same body) returns no entries and the original result.
//
// Apply is not safe for concurrent use of one State: the store runs commands
// one at a time (a single writer) and must persist a command's entries in
// one transaction before applying the next; if that write fails, rebuild the
// state with Replay from what was persisted.
func Apply(s *State, cmd Command, now time.Time) ([]Entry, Result, error) {
	s.init()
	m := cmd.meta()
	refuse := func(field string, err error, format string, args ...any) ([]Entry, Result, error) {
		return nil, Result{}, &Refusal{Cmd: cmd.name(), Field: field, Err: err, Reason: fmt.Sprintf(format, args...)}
	}
	if !validName(m.Key) {
		return refuse("key", ErrInvalid, "an idempotency key of 1-128 bytes without spaces is required")
	}
	body, err := BodyDigest(cmd)
	if err != nil {
		return refuse("", ErrInvalid, "%v", err)
	}
	if r := s.idem[m.Key]; r != nil {
		if r.Body != body || r.Cmd != cmd.name() {
			return refuse("key", ErrKeyReused, "key %q was used by %s %s (first entry %d)", m.Key, r.Cmd, r.Ref, r.First)
		}
		return nil, cloneResult(r), nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	if now.UnixMicro() < s.last {
		return refuse("", ErrClock, "now %s is before the last entry at %s", now.Format(time.RFC3339Nano),
			time.UnixMicro(s.last).UTC().Format(time.RFC3339Nano))
	}
	t := &tx{s: s, cmd: cmd.name(), meta: m, body: body, now: now}
	saved := struct {
		seq  int64
		head Digest
		last int64
	}{s.seq, s.head, s.last}
	s.rec = true
	err = t.plan(cmd)
	if err == nil && len(t.entries) == 0 {
		err = t.refuse("", ErrInvariant, "the command produced no entries")
	}
	if err != nil {
		s.rollback()
		s.seq, s.head, s.last = saved.seq, saved.head, saved.last
		if fe, ok := err.(*foldError); ok {
			err = &Refusal{Cmd: cmd.name(), Err: fe.err, Reason: fe.reason}
		}
		return nil, Result{}, err
	}
	s.endTx()
	r, err := resultOf(t.entries)
	if err != nil { // cannot happen: the fold decoded the same details
		return nil, Result{}, err
	}
	s.idem[m.Key] = r
	return t.entries, cloneResult(r), nil
}

func cloneResult(r *Result) Result {
	c := *r
	c.Trades = append([]Trade(nil), r.Trades...)
	return c
}

// tx is one command being planned. Every change goes through emit, which
// folds the entry into the state at once, so that the planner sees its own
// effects (several fills against one listing, say) and Replay reproduces
// the state exactly.
type tx struct {
	s       *State
	cmd     string
	meta    Meta
	body    Digest
	now     time.Time
	entries []Entry
	buf     []byte
}

func (t *tx) refuse(field string, err error, format string, args ...any) error {
	return &Refusal{Cmd: t.cmd, Field: field, Err: err, Reason: fmt.Sprintf(format, args...)}
}

func (t *tx) emit(e Entry) error {
	s := t.s
	e.Seq = s.seq + 1
	e.Time = t.now
	e.Key = t.meta.Key
	e.Body = t.body
	e.Cmd = t.cmd
	e.Actor = t.meta.Actor
	e.Doc = t.meta.Doc
	e.Prev = s.head
	e.Hash, t.buf = hashEntry(&e, t.buf)
	if err := s.fold(&e); err != nil {
		return err
	}
	t.entries = append(t.entries, e)
	return nil
}

func (t *tx) event(op, ref, status string, detail any) error {
	e := Entry{Kind: KindEvent, Op: op, Ref: ref, Status: status}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return t.refuse("", ErrInvalid, "encode %s: %v", op, err)
		}
		e.Detail = string(b)
	}
	return t.emit(e)
}

func (t *tx) pay(op, ref string, from, to Account, fen int64, detail any) error {
	e := Entry{Kind: KindMoney, Op: op, Ref: ref, Asset: Money, From: from, To: to, Amount: fen}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return t.refuse("", ErrInvalid, "encode %s: %v", op, err)
		}
		e.Detail = string(b)
	}
	return t.emit(e)
}

// span is a piece of a block chosen for a move.
type span struct {
	start, n int64
	b        Block
}

// pick chooses q g/a of p from account a, first in first out, among blocks
// valid at now that satisfy keep (nil = all). It returns the spans and, if
// there is not enough, how much there was.
func (t *tx) pick(a Account, p string, q int64, keep func(*Block) bool) ([]span, int64, bool) {
	s := t.s
	h, ps := s.hold[hkey{a, p}], s.pol[p]
	if h == nil || ps == nil {
		return nil, 0, q == 0
	}
	now := t.now.UnixMicro()
	var out []span
	var got int64
	for _, st := range h.starts {
		if got == q {
			break
		}
		b := ps.blocks[st]
		if b.ValidUntil <= now || b.ValidFrom > now || (keep != nil && !keep(&b)) {
			continue
		}
		n := min(b.Len, q-got)
		out = append(out, span{start: st, n: n, b: b})
		got += n
	}
	return out, got, got == q
}

// move posts the spans from a to b. ValidUntil and Paid are applied to each
// moved piece; validUntil zero keeps the block's validity, and paid nil
// keeps its Paid flag.
func (t *tx) move(op, ref string, p string, from, to Account, spans []span, validUntil time.Time, paid *bool) error {
	for _, sp := range spans {
		pd := sp.b.Paid
		if paid != nil {
			pd = *paid
		}
		err := t.emit(Entry{Kind: KindRights, Op: op, Ref: ref, Asset: p, From: from, To: to,
			Start: sp.start, Amount: sp.n, ValidUntil: validUntil, Paid: pd})
		if err != nil {
			return err
		}
	}
	return nil
}

// spend picks q of p from a and moves it to b, refusing an overdraft with
// the field name given.
func (t *tx) spend(field, op, ref, p string, from, to Account, q int64, keep func(*Block) bool, paid *bool) error {
	spans, got, ok := t.pick(from, p, q, keep)
	if !ok {
		return t.short(field, from, p, got, q)
	}
	return t.move(op, ref, p, from, to, spans, time.Time{}, paid)
}

// short refuses a spend of q when a holds only got valid now. When the
// rest is held but its permit is not valid yet, the refusal says so
// (ErrNotYetValid, as a reduction is refused before its effective date):
// rights are sold, transferred or bought back only within their permit's
// validity period (国办发〔2014〕38号; 财税〔2015〕61号: the right is valid for
// the period the permit confirms).
func (t *tx) short(field string, a Account, p string, got, q int64) error {
	if pending, from := t.s.notYetValid(a, p, t.now.UnixMicro()); pending > 0 && got+pending >= q {
		return t.refuse(field, ErrNotYetValid, "%s holds %s of %s valid now and %s valid only from %s (its permit's valid_from), %s needed",
			a, grams(got), p, grams(pending), time.UnixMicro(from).UTC().Format(time.RFC3339), grams(q))
	}
	return t.refuse(field, ErrOverdraft, "%s holds %s of %s valid now, %s needed", a, grams(got), p, grams(q))
}

// notYetValid sums what a holds of p that is not valid yet at now (µs), and
// the earliest date from which some of it is.
func (s *State) notYetValid(a Account, p string, now int64) (n, from int64) {
	h, ps := s.hold[hkey{a, p}], s.pol[p]
	if h == nil || ps == nil {
		return 0, 0
	}
	for _, st := range h.starts {
		b := ps.blocks[st]
		if b.ValidFrom > now && b.ValidUntil > now {
			n += b.Len
			if from == 0 || b.ValidFrom < from {
				from = b.ValidFrom
			}
		}
	}
	return n, from
}

// returnAll moves everything in an escrow account back where it came from.
func (t *tx) returnAll(escRef, ref, p string) error {
	s := t.s
	esc := escrowOf(escRef)
	for {
		h, ps := s.hold[hkey{esc, p}], s.pol[p]
		if h == nil || ps == nil || len(h.starts) == 0 {
			return nil
		}
		b := ps.blocks[h.starts[0]]
		err := t.emit(Entry{Kind: KindRights, Op: OpReturn, Ref: ref, Asset: p, From: esc, To: b.Back,
			Start: b.Start, Amount: b.Len, Paid: b.Paid})
		if err != nil {
			return err
		}
	}
}

func grams(g int64) string {
	return fmt.Sprintf("%d g/a (%s t/a)", g, tonnes(g))
}

// tonnes formats grams as tonnes with six decimals, exactly.
func tonnes(g int64) string {
	sign := ""
	if g < 0 {
		sign, g = "-", -g
	}
	return fmt.Sprintf("%s%d.%06d", sign, g/1_000_000, g%1_000_000)
}
