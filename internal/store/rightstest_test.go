package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// runRightsSuite is the shared suite of RightsStore.
func runRightsSuite(t *testing.T, tg target) {
	tests := []struct {
		name string
		fn   func(*testing.T, target)
	}{
		{"RoundTrip", testRightsRoundTrip},
		{"Conflict", testRightsConflict},
		{"AllOrNothing", testRightsAllOrNothing},
		{"AccountQuery", testRightsAccountQuery},
		{"Lock", testRightsLock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, tg) })
	}
}

const (
	rEntA = "91371500MA3C000001"
	rEntB = "91371500MA3C000002"
)

// rightsLedger applies commands to a State and returns each command's
// entries.
type rightsLedger struct {
	s   rights.State
	now time.Time
	n   int
}

func (l *rightsLedger) apply(t *testing.T, c rights.Command) []rights.Entry {
	t.Helper()
	l.now = l.now.Add(time.Second)
	es, _, err := rights.Apply(&l.s, c, l.now)
	if err != nil {
		t.Fatalf("apply %T: %v", c, err)
	}
	return es
}

// rightsScript returns the entries of a small ledger, one slice per command:
// configuration, two paid permits with fees, a settlement, a retirement.
func rightsScript(t *testing.T) (*rightsLedger, [][]rights.Entry) {
	l := &rightsLedger{now: time.Date(2025, 3, 1, 1, 0, 0, 123456000, time.UTC)}
	var out [][]rights.Entry
	out = append(out, l.apply(t, rights.Configure{Meta: rights.Meta{Key: "cfg", Actor: "city", Doc: "聊环发〔2025〕1号"},
		Pollutants: []rights.Pollutant{{Code: "NOx", Name: "氮氧化物", Medium: "air"}, {Code: "COD", Name: "化学需氧量", Medium: "water"}},
		Prices:     []rights.Price{{Pollutant: "NOx", FenPerTonneYear: 600_000}}}))
	for i, e := range []string{rEntA, rEntB} {
		out = append(out, l.apply(t, rights.AllocatePermit{Meta: rights.Meta{Key: fmt.Sprintf("permit-%d", i)},
			Permit: "PW-" + e, Enterprise: e, County: "371502", Pollutant: "NOx", Quantity: 50_000_000, ValidFrom: l.now, Paid: true}))
	}
	out = append(out, l.apply(t, rights.Agreement{Meta: rights.Meta{Key: "ag-1", Doc: "HT-2025-001"}, Contract: "HT-2025-001",
		Seller: rights.Enterprise(rEntA), Buyer: rEntB, Pollutant: "NOx", Quantity: 1_500_000, Price: 3_000_000}))
	out = append(out, l.apply(t, rights.Retire{Meta: rights.Meta{Key: "retire-1"}, Account: rights.Enterprise(rEntB),
		Pollutant: "NOx", Quantity: 2_000_000, Reason: "关停"}))
	return l, out
}

func storedRights(t *testing.T, s Store, q RightsQuery) []rights.Entry {
	t.Helper()
	var es []rights.Entry
	if err := s.RightsEntries(context.Background(), q, func(e *rights.Entry) error {
		es = append(es, *e)
		return nil
	}); err != nil {
		t.Fatalf("RightsEntries: %v", err)
	}
	return es
}

func testRightsRoundTrip(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	_, cmds := rightsScript(t)
	var all []rights.Entry
	// The first two commands in one transaction, the rest one by one.
	if err := s.AppendRights(ctx, append(append([]rights.Entry(nil), cmds[0]...), cmds[1]...), nil); err != nil {
		t.Fatalf("AppendRights: %v", err)
	}
	all = append(all, cmds[0]...)
	all = append(all, cmds[1]...)
	for _, es := range cmds[2:] {
		if err := s.AppendRights(ctx, es, nil); err != nil {
			t.Fatalf("AppendRights: %v", err)
		}
		all = append(all, es...)
	}
	got := storedRights(t, s, RightsQuery{})
	if !reflect.DeepEqual(got, all) {
		for i := range min(len(got), len(all)) {
			if !reflect.DeepEqual(got[i], all[i]) {
				t.Fatalf("entry %d:\n got %+v\nwant %+v", i+1, got[i], all[i])
			}
		}
		t.Fatalf("got %d entries, want %d", len(got), len(all))
	}
	if err := rights.Verify(got); err != nil {
		t.Fatalf("Verify of the stored ledger: %v", err)
	}
	seq, head, err := s.RightsHead(ctx)
	if err != nil || seq != all[len(all)-1].Seq || head != all[len(all)-1].Hash {
		t.Fatalf("RightsHead = %d %s, %v; want %d %s", seq, head, err, all[len(all)-1].Seq, all[len(all)-1].Hash)
	}
	// Paging by After and Limit.
	page := storedRights(t, s, RightsQuery{After: 3, Limit: 2})
	if len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 5 {
		t.Fatalf("After 3, Limit 2: got seqs %v", seqs(page))
	}
}

func seqs(es []rights.Entry) []int64 {
	out := make([]int64, len(es))
	for i := range es {
		out[i] = es[i].Seq
	}
	return out
}

func testRightsConflict(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	_, cmds := rightsScript(t)
	if err := s.AppendRights(ctx, cmds[0], nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		es   []rights.Entry
	}{
		{"the same command again (a second writer with the same head)", cmds[0]},
		{"a gap in the chain", cmds[2]},
	}
	for _, c := range cases {
		err := s.AppendRights(ctx, c.es, nil)
		if !errors.Is(err, ErrRightsConflict) {
			t.Errorf("%s: err = %v, want ErrRightsConflict", c.name, err)
		}
	}
	// A fork: the right seq but another prev hash.
	fork := append([]rights.Entry(nil), cmds[1]...)
	fork[0].Prev[0] ^= 1
	if err := s.AppendRights(ctx, fork, nil); !errors.Is(err, ErrRightsConflict) {
		t.Errorf("fork: err = %v, want ErrRightsConflict", err)
	}
	if got := storedRights(t, s, RightsQuery{}); !reflect.DeepEqual(got, cmds[0]) {
		t.Fatalf("after refused appends the ledger holds %d entries, want %d", len(got), len(cmds[0]))
	}
	// Entries that do not chain among themselves are refused before any
	// write.
	bad := append(append([]rights.Entry(nil), cmds[1]...), cmds[3]...)
	if err := s.AppendRights(ctx, bad, nil); err == nil {
		t.Fatal("unchained entries accepted")
	}
}

func testRightsAllOrNothing(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	l, cmds := rightsScript(t)
	if err := s.AppendRights(ctx, append(append([]rights.Entry(nil), cmds[0]...), cmds[1]...), nil); err != nil {
		t.Fatal(err)
	}
	// A group of two commands whose second reuses a stored idempotency key
	// (re-hashed so that the chain itself is valid): the unique key fails
	// the transaction after the first command's rows were inserted.
	group := append(append([]rights.Entry(nil), cmds[2]...), cmds[3]...)
	n2 := len(cmds[2])
	var buf []byte
	for i := n2; i < len(group); i++ {
		group[i].Key = "cfg"
		group[i].Prev = group[i-1].Hash
		buf = append(buf[:0], group[i].Prev[:]...)
		buf = rights.AppendCanonical(buf, &group[i])
		group[i].Hash = sha(buf)
	}
	if err := s.AppendRights(ctx, group, nil); !errors.Is(err, ErrRightsConflict) {
		t.Fatalf("duplicate key: err = %v, want ErrRightsConflict", err)
	}
	got := storedRights(t, s, RightsQuery{})
	if want := len(cmds[0]) + len(cmds[1]); len(got) != want {
		t.Fatalf("after a failed group the ledger holds %d entries, want %d", len(got), want)
	}
	// The untouched group still goes in afterwards.
	if err := s.AppendRights(ctx, append(append([]rights.Entry(nil), cmds[2]...), cmds[3]...), nil); err != nil {
		t.Fatalf("AppendRights after the failure: %v", err)
	}
	_ = l
}

func testRightsAccountQuery(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	_, cmds := rightsScript(t)
	var all []rights.Entry
	for _, es := range cmds {
		all = append(all, es...)
	}
	if err := s.AppendRights(ctx, all, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range []rights.Account{rights.Enterprise(rEntA), rights.Enterprise(rEntB), rights.Issuance, "nobody"} {
		var want []rights.Entry
		for _, e := range all {
			if e.From == a || e.To == a {
				want = append(want, e)
			}
		}
		got := storedRights(t, s, RightsQuery{Account: a})
		if !reflect.DeepEqual(seqs(got), seqs(want)) {
			t.Errorf("account %s: seqs %v, want %v", a, seqs(got), seqs(want))
		}
	}
}

func sha(b []byte) rights.Digest { return sha256.Sum256(b) }

// testRightsLock: what LockRights' function appends commits only if it
// returns nil and every append succeeded, and while it runs another
// writer (another store on the database, as another process) cannot
// append: it waits and then finds the chain moved on.
func testRightsLock(t *testing.T, tg target) {
	dsn := tg.dsn(t)
	s, other := openStore(t, dsn), openStore(t, dsn)
	ctx := context.Background()
	_, cmds := rightsScript(t)
	if err := s.AppendRights(ctx, cmds[0], nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.LockRights(ctx, func(l RightsLedger) error {
		if err := l.AppendRights(ctx, cmds[1], nil); err != nil {
			return err
		}
		// Reads inside the lock see its own appends.
		if seq, head, err := l.RightsHead(ctx); err != nil || seq != cmds[1][len(cmds[1])-1].Seq || head != cmds[1][len(cmds[1])-1].Hash {
			t.Errorf("head inside the lock: %d, %v", seq, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("LockRights with a failing function: %v", err)
	}
	// A failed append inside (a gap) rolls the whole transaction back,
	// even if the function goes on and returns nil.
	err = s.LockRights(ctx, func(l RightsLedger) error {
		if err := l.AppendRights(ctx, cmds[1], nil); err != nil {
			t.Errorf("append cmds[1]: %v", err)
		}
		if err := l.AppendRights(ctx, cmds[3], nil); !errors.Is(err, ErrRightsConflict) {
			t.Errorf("append with a gap: %v, want ErrRightsConflict", err)
		}
		return nil
	})
	if !errors.Is(err, ErrRightsConflict) {
		t.Fatalf("LockRights after a failed append: %v, want the append's error", err)
	}
	if got := storedRights(t, s, RightsQuery{}); len(got) != len(cmds[0]) {
		t.Fatalf("after rolled-back locks the ledger holds %d entries, want %d", len(got), len(cmds[0]))
	}

	pg := tg.ph(1) == "$1"
	var raw *sql.DB
	if pg {
		raw = tg.raw(t, dsn)
	}
	done := make(chan error, 1)
	err = s.LockRights(ctx, func(l RightsLedger) error {
		go func() { done <- other.AppendRights(ctx, cmds[1], nil) }()
		if pg {
			// The other writer is queued on the advisory lock before this
			// transaction appends (SQLite's BEGIN IMMEDIATE waits in the
			// driver, where nothing shows it).
			waitLockWaiter(t, raw)
		}
		return l.AppendRights(ctx, cmds[1], nil)
	})
	if err != nil {
		t.Fatalf("LockRights: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrRightsConflict) {
		t.Fatalf("the other writer's append: %v, want ErrRightsConflict (it waited for the lock, then found the chain moved on)", err)
	}
	if got := storedRights(t, s, RightsQuery{}); len(got) != len(cmds[0])+len(cmds[1]) {
		t.Fatalf("the ledger holds %d entries, want %d", len(got), len(cmds[0])+len(cmds[1]))
	}

	if pg {
		// The wait for the lock is bounded: a writer stuck holding it makes
		// the others fail with ErrRightsBusy instead of waiting forever.
		rightsLockWait = 200 * time.Millisecond
		defer func() { rightsLockWait = RightsLockWait }()
		err = s.LockRights(ctx, func(RightsLedger) error {
			err := other.AppendRights(ctx, cmds[2], nil)
			if !errors.Is(err, ErrRightsBusy) {
				t.Errorf("append while another holds the lock: %v, want ErrRightsBusy", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.AppendRights(ctx, cmds[2], nil); err != nil {
			t.Fatalf("append once the lock is free: %v", err)
		}
	}
}

// waitLockWaiter waits until a session of raw's database waits for an
// advisory lock.
func waitLockWaiter(t *testing.T, raw *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no writer waits for the ledger's lock after 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
