package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaseKV answers a writer's lease renewals as the test says: Update
// returns updErr (once per call, from the list) and Get returns the entry.
type leaseKV struct {
	jetstream.KeyValue // methods the renewal does not use panic
	updates            []error
	updated            []uint64 // revisions Update was called with
	getValue           string
	getRev             uint64
}

func (kv *leaseKV) Update(_ context.Context, _ string, _ []byte, rev uint64) (uint64, error) {
	kv.updated = append(kv.updated, rev)
	err := kv.updates[0]
	kv.updates = kv.updates[1:]
	if err != nil {
		return 0, err
	}
	return rev + 1, nil
}

func (kv *leaseKV) Get(context.Context, string) (jetstream.KeyValueEntry, error) {
	return leaseEntry{kv.getValue, kv.getRev}, nil
}

type leaseEntry struct {
	v   string
	rev uint64
}

func (e leaseEntry) Bucket() string                  { return "leases" }
func (e leaseEntry) Key() string                     { return "k" }
func (e leaseEntry) Value() []byte                   { return []byte(e.v) }
func (e leaseEntry) Revision() uint64                { return e.rev }
func (e leaseEntry) Created() time.Time              { return time.Time{} }
func (e leaseEntry) Delta() uint64                   { return 0 }
func (e leaseEntry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }

// TestRenewKeepsOrGivesUp: a lease is given up only when NATS answers
// that it is no longer this writer's; a renewal without an answer keeps
// it (fresh stops the fetches meanwhile), and a renewal that had in fact
// been stored before its timeout is recognised by the key's value.
func TestRenewKeepsOrGivesUp(t *testing.T) {
	mismatch := fmt.Errorf("nats: wrong last sequence: %w", jetstream.ErrKeyRevisionMismatch)
	cases := []struct {
		name     string
		updates  []error
		getValue string
		getRev   uint64
		old      bool // the last renewal is a lease's life ago
		kept     bool
		rev      uint64   // the lease's revision afterwards
		called   []uint64 // revisions Update was called with
		renewed  bool
	}{
		{"answered", []error{nil}, "", 0, false, true, 11, []uint64{10}, true},
		{"timeout keeps it", []error{context.DeadlineExceeded}, "", 0, false, true, 10, []uint64{10}, false},
		{"no responders keep it", []error{jetstream.ErrNoStreamResponse}, "", 0, false, true, 10, []uint64{10}, false},
		{"an earlier renewal was stored", []error{mismatch, nil}, "w1", 12, false, true, 13, []uint64{10, 12}, true},
		{"taken by another writer", []error{mismatch}, "w2", 12, false, false, 10, []uint64{10}, false},
		{"unanswered for a lease's life", []error{context.DeadlineExceeded}, "", 0, true, false, 10, []uint64{10}, false},
		{"expired", []error{jetstream.ErrKeyNotFound}, "", 0, false, false, 10, []uint64{10}, false},
		{"ours but refused twice", []error{mismatch, mismatch}, "w1", 12, false, false, 12, []uint64{10, 12}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &Bus{cfg: Config{Stream: "T"}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			w := NewWriter(b, nil, WriterConfig{ID: "w1"})
			done := make(chan struct{})
			close(done)
			r := &partRun{p: 3, rev: 10, cancel: func() {}, done: done}
			before := mono()
			if c.old {
				before -= int64(w.cfg.LeaseTTL)
			}
			r.renewed.Store(before)
			w.owned[3] = r
			kv := &leaseKV{updates: c.updates, getValue: c.getValue, getRev: c.getRev}
			w.renew(context.Background(), kv, r, []byte("w1"))
			w.mu.Lock()
			_, kept := w.owned[3]
			w.mu.Unlock()
			if kept != c.kept {
				t.Errorf("kept = %v, want %v", kept, c.kept)
			}
			if r.rev != c.rev {
				t.Errorf("revision = %d, want %d", r.rev, c.rev)
			}
			if fmt.Sprint(kv.updated) != fmt.Sprint(c.called) {
				t.Errorf("Update called with %v, want %v", kv.updated, c.called)
			}
			if got := r.renewed.Load() != before; got != c.renewed {
				t.Errorf("renewal recorded = %v, want %v", got, c.renewed)
			}
			if lost := w.lost.Load(); (lost == 1) == c.kept {
				t.Errorf("leases lost = %d with kept = %v", lost, c.kept)
			}
			if !errors.Is(mismatch, jetstream.ErrKeyRevisionMismatch) {
				t.Fatal("mismatch error not recognised")
			}
		})
	}
}
