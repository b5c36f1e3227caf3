package rights

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// Replay rebuilds the state by folding entries from the first. It checks
// everything Verify promises and fails at the first bad entry with a
// *ChainError.
func Replay(entries []Entry) (State, error) {
	var s State
	s.init()
	var buf []byte
	txStart := 0
	bad := func(i int, err error, format string, args ...any) (State, error) {
		seq := int64(i + 1)
		if i < len(entries) && entries[i].Seq != 0 {
			seq = entries[i].Seq
		}
		return State{}, &ChainError{Seq: seq, Err: err, Reason: fmt.Sprintf(format, args...)}
	}
	finish := func(i, j int) error {
		r, err := resultOf(entries[i:j])
		if err != nil {
			return err
		}
		s.idem[r.Key] = r
		return nil
	}
	for i := range entries {
		e := &entries[i]
		if e.Seq != s.seq+1 {
			return bad(i, ErrTampered, "seq %d where %d was expected: an entry is missing, added or out of order", e.Seq, s.seq+1)
		}
		if e.Prev != s.head {
			return bad(i, ErrTampered, "prev %s is not the hash of entry %d", e.Prev, s.seq)
		}
		var h Digest
		h, buf = hashEntry(e, buf)
		if h != e.Hash {
			return bad(i, ErrTampered, "the content does not match its hash")
		}
		if e.Time.Nanosecond()%1000 != 0 || (!e.ValidUntil.IsZero() && e.ValidUntil.Nanosecond()%1000 != 0) {
			return bad(i, ErrInvalid, "times carry microseconds at most")
		}
		if i > txStart && e.Key != entries[txStart].Key {
			if err := finish(txStart, i); err != nil {
				return bad(i-1, ErrInvalid, "%v", err)
			}
			txStart = i
		}
		if i == txStart {
			if !validName(e.Key) {
				return bad(i, ErrInvalid, "idempotency key %q", e.Key)
			}
			if r := s.idem[e.Key]; r != nil {
				return bad(i, ErrKeyReused, "key %q was already used by entries %d-%d", e.Key, r.First, r.Last)
			}
		} else if f := &entries[txStart]; e.Body != f.Body || e.Cmd != f.Cmd || !e.Time.Equal(f.Time) {
			return bad(i, ErrInvariant, "entries of command %q differ in body, command or time", e.Key)
		}
		if e.Time.UnixMicro() < s.last {
			return bad(i, ErrClock, "time %s goes backwards", e.Time)
		}
		if err := s.fold(e); err != nil {
			if fe, ok := err.(*foldError); ok {
				return bad(i, fe.err, "%s", fe.reason)
			}
			return bad(i, ErrInvalid, "%v", err)
		}
	}
	if len(entries) > txStart {
		if err := finish(txStart, len(entries)); err != nil {
			return bad(len(entries)-1, ErrInvalid, "%v", err)
		}
	}
	if err := s.Check(); err != nil {
		return State{}, err
	}
	return s, nil
}

// Verify checks a ledger, typically read from an export with Import: the
// hash chain is unbroken from the first entry, every command's entries are
// contiguous and its idempotency key unique, times never go backwards, and
// folding the entries keeps the invariants: no negative balance, no double
// spend, no spending of expired rights, legal status transitions, and totals
// conserved per pollutant. Compare the head (the last entry's Hash) with
// a published one to detect truncation.
func Verify(entries []Entry) error {
	_, err := Replay(entries)
	return err
}

// VerifyHead is Verify plus a check that the last entry's hash is head, a
// value published or anchored earlier: this detects a ledger cut short or
// rewritten from some entry on.
func VerifyHead(entries []Entry, head Digest) error {
	s, err := Replay(entries)
	if err != nil {
		return err
	}
	if s.head != head {
		return &ChainError{Seq: s.seq, Err: ErrTampered, Reason: fmt.Sprintf("head %s, published %s", s.head, head)}
	}
	return nil
}

// VerifyCheckpoint is Verify plus a check that entry seq is still in the
// ledger with hash head: a checkpoint published earlier (the ledger may
// have grown since). A ledger that ends before seq has lost entries; one
// whose entry seq has another hash was rewritten.
func VerifyCheckpoint(entries []Entry, seq int64, head Digest) error {
	if _, err := Replay(entries); err != nil {
		return err
	}
	if seq <= 0 {
		return nil
	}
	if int64(len(entries)) < seq {
		return &ChainError{Seq: int64(len(entries)), Err: ErrTampered,
			Reason: fmt.Sprintf("the ledger ends at entry %d but a checkpoint holds entry %d: entries were removed", len(entries), seq)}
	}
	if got := entries[seq-1].Hash; got != head {
		return &ChainError{Seq: seq, Err: ErrTampered, Reason: fmt.Sprintf("entry %d has hash %s, the checkpoint %s: the ledger was rewritten", seq, got, head)}
	}
	return nil
}

// Check audits the whole state, independently of how it was built: for each
// pollutant, the blocks cover every serial ever issued exactly once, each
// holding's balance is the sum of its blocks, no holder is negative, the
// sources are minus what was issued, and all balances sum to zero; all
// money sums to zero. It costs O(blocks log blocks).
func (s *State) Check() error {
	bad := func(format string, args ...any) error {
		return &ChainError{Seq: s.seq, Err: ErrInvariant, Reason: fmt.Sprintf(format, args...)}
	}
	sums := map[string]int64{}
	counts := map[string]int{}
	for k, h := range s.hold {
		ps := s.pol[k.p]
		if ps == nil {
			return bad("holding of unknown pollutant %q", k.p)
		}
		sums[k.p] += h.bal
		if k.a.kind() == kindSource {
			if len(h.starts) != 0 {
				return bad("source %s holds blocks", k.a)
			}
			continue
		}
		if h.bal < 0 {
			return bad("%s of %s is negative: %d", k.p, k.a, h.bal)
		}
		var n int64
		for _, st := range h.starts {
			b, ok := ps.blocks[st]
			if !ok || b.Owner != k.a || b.Pollutant != k.p || b.Len <= 0 {
				return bad("%s holding of %s lists serial %d that it does not own", k.p, k.a, st)
			}
			n += b.Len
		}
		if n != h.bal {
			return bad("%s of %s: blocks sum to %d, balance is %d", k.p, k.a, n, h.bal)
		}
		counts[k.p] += len(h.starts)
	}
	for code, ps := range s.pol {
		if sums[code] != 0 {
			return bad("%s balances sum to %d, not 0", code, sums[code])
		}
		issued := -(s.Balance(Issuance, code) + s.Balance(Reduction, code))
		if issued != ps.next-1 {
			return bad("%s: sources issued %d but serials run to %d", code, issued, ps.next-1)
		}
		if len(ps.blocks) != counts[code] {
			return bad("%s: %d blocks, %d in holdings", code, len(ps.blocks), counts[code])
		}
		starts := make([]int64, 0, len(ps.blocks))
		for st := range ps.blocks {
			starts = append(starts, st)
		}
		slices.Sort(starts)
		next := int64(1)
		for _, st := range starts {
			if st != next {
				return bad("%s: serial %d is in no block or in two", code, min(st, next))
			}
			next += ps.blocks[st].Len
		}
		if next != ps.next {
			return bad("%s: blocks end at %d, serials at %d", code, next, ps.next)
		}
	}
	var m int64
	for _, v := range s.money {
		m += v
	}
	if m != 0 {
		return bad("money sums to %d, not 0", m)
	}
	return nil
}

// Trace returns, in order, every rights entry that moved the unit with the
// given serial of pollutant p: its issue or mint, every transfer, and its
// end (retired, expired, written off) if it has one.
func Trace(entries []Entry, p string, serial int64) []Entry {
	var out []Entry
	for i := range entries {
		e := &entries[i]
		if e.Kind == KindRights && e.Asset == p && e.Start <= serial && serial < e.End() {
			out = append(out, *e)
		}
	}
	return out
}

// Fingerprint is a SHA-256 over a canonical dump of the whole state. Two
// states with the same fingerprint hold the same balances, blocks, objects,
// books and idempotency records.
func (s *State) Fingerprint() Digest {
	return sha256.Sum256([]byte(s.dump()))
}

func (s *State) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seq %d head %s last %d months %d %d\n", s.seq, s.head, s.last, s.validityMonths, s.creditMonths)
	for _, p := range s.Pollutants() {
		ps := s.pol[p.Code]
		fmt.Fprintf(&b, "pollutant %+v next %d\n", p, ps.next)
		starts := make([]int64, 0, len(ps.blocks))
		for st := range ps.blocks {
			starts = append(starts, st)
		}
		slices.Sort(starts)
		for _, st := range starts {
			fmt.Fprintf(&b, "  block %+v\n", ps.blocks[st])
		}
	}
	for _, k := range sortedBy(s.prices, func(x, y priceKey) int {
		return cmp.Or(cmp.Compare(x.pollutant, y.pollutant), cmp.Compare(x.year, y.year))
	}) {
		fmt.Fprintf(&b, "price %+v %d\n", k, s.prices[k])
	}
	for _, k := range sortedBy(s.ratios, func(x, y ratioKey) int {
		return cmp.Or(cmp.Compare(x.region, y.region), cmp.Compare(x.pollutant, y.pollutant),
			cmp.Compare(x.attainment, y.attainment), cmp.Compare(x.year, y.year), cmp.Compare(x.projectType, y.projectType))
	}) {
		fmt.Fprintf(&b, "ratio %+v\n", s.ratios[k])
	}
	for _, k := range sortedBy(s.hold, func(x, y hkey) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.p, y.p))
	}) {
		h := s.hold[k]
		fmt.Fprintf(&b, "holding %s %s %d %v\n", k.a, k.p, h.bal, h.starts)
	}
	for _, k := range sortedBy(s.money, func(x, y Account) int { return cmp.Compare(x, y) }) {
		fmt.Fprintf(&b, "money %s %d\n", k, s.money[k])
	}
	for _, k := range sortedKeys(s.permits) {
		fmt.Fprintf(&b, "permit %+v\n", *s.permits[k])
	}
	for _, k := range sortedKeys(s.credits) {
		fmt.Fprintf(&b, "credit %+v\n", *s.credits[k])
	}
	for _, k := range sortedKeys(s.allocs) {
		fmt.Fprintf(&b, "alloc %+v\n", *s.allocs[k])
	}
	for _, k := range sortedKeys(s.orders) {
		fmt.Fprintf(&b, "order %+v\n", *s.orders[k])
	}
	for _, k := range sortedKeys(s.books) {
		bk := s.books[k]
		fmt.Fprintf(&b, "book %s asks", k)
		for _, o := range bk.asks {
			fmt.Fprintf(&b, " %s", o.ID)
		}
		fmt.Fprintf(&b, " bids")
		for _, o := range bk.bids {
			fmt.Fprintf(&b, " %s", o.ID)
		}
		b.WriteByte('\n')
	}
	for _, k := range sortedKeys(s.auctions) {
		fmt.Fprintf(&b, "auction %+v\n", *s.auctions[k])
	}
	for _, k := range sortedKeys(s.contracts) {
		fmt.Fprintf(&b, "contract %s\n", k)
	}
	for _, k := range sortedKeys(s.idem) {
		fmt.Fprintf(&b, "idem %+v\n", *s.idem[k])
	}
	return b.String()
}

func sortedBy[K comparable, V any](m map[K]V, f func(K, K) int) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, f)
	return out
}
