package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/nats-io/nats.go/jetstream"
)

var errCrash = errors.New("test: writer crashed after its commit")

// TestWriterDiesAfterCommit: a writer commits a batch and dies before it
// acknowledges: the messages are redelivered to the next writer with the
// same stream sequences, and the store ends up with each upload and each
// raw frame once. "hard": the process dies (its connection is gone, so
// the server redelivers to the next writer after AckWait); "cancelled":
// the writer's context ends while its commit fails (it retries the batch
// within its stop grace: committed twice, stored once).
func TestWriterDiesAfterCommit(t *testing.T) {
	for _, mode := range []string{"hard", "cancelled"} {
		t.Run(mode, func(t *testing.T) {
			_, url := startServer(t)
			cfg := Config{URL: url, Partitions: 2, ackWait: 2 * time.Second}
			pubBus := connect(t, cfg)
			devices := deviceNames(10)
			publish(t, NewPublisher(pubBus, nil), frameBatch(devices, 0, 20))

			st := newFakeStore()
			busA := connect(t, cfg)
			ctxA, cancelA := context.WithCancel(context.Background())
			defer cancelA()
			var crashed atomic.Bool
			st.after = func(*store.Batch) error {
				if crashed.CompareAndSwap(false, true) {
					if mode == "hard" {
						busA.Close()
					} else {
						cancelA()
					}
					return errCrash
				}
				return nil
			}
			wA := NewWriter(busA, st, WriterConfig{ID: "a", LeaseTTL: 1500 * time.Millisecond, Batch: 50})
			doneA := make(chan error, 1)
			go func() { doneA <- wA.Run(ctxA) }()
			eventually(t, "writer a's first commit", 30*time.Second, crashed.Load)
			if mode == "cancelled" {
				if err := <-doneA; err != nil {
					t.Fatal(err)
				}
			}
			st.mu.Lock()
			st.after = nil
			firstCommit := st.commits
			st.mu.Unlock()
			if firstCommit == 0 {
				t.Fatal("no commit before the crash")
			}

			wB, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "b", LeaseTTL: 1500 * time.Millisecond, Batch: 50})
			eventually(t, "every frame committed", 90*time.Second, func() bool {
				u, r := st.counts()
				return u == 200 && r == 200
			})
			st.mu.Lock()
			twice := 0
			for _, n := range st.rawSeen {
				if n > 1 {
					twice++
				}
			}
			noSeq := st.noSeq
			st.mu.Unlock()
			if twice == 0 {
				t.Error("no raw frame was delivered twice: the crash did not happen between commit and ack")
			}
			if noSeq != 0 {
				t.Errorf("%d raw frames without BusSeq", noSeq)
			}
			// A cancelled writer finishes (commits again and
			// acknowledges) the batch in hand; a dead one cannot.
			if mode == "hard" && wB.redeliveries.Load() == 0 {
				t.Error("writer b saw no redelivery")
			}
			cancelA()
		})
	}
}

// TestOrderPerDeviceTwoWriters: while frames flow, a second writer joins
// (partitions move to it) and the first leaves; each device's DataTimes
// are still committed in increasing order and every frame arrives.
func TestOrderPerDeviceTwoWriters(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 8}
	pub := NewPublisher(connect(t, cfg), nil)
	st := newFakeStore()
	const minutes = 60
	devices := deviceNames(40)
	wcfg := WriterConfig{LeaseTTL: 1500 * time.Millisecond, Batch: 30, MaxWait: 50 * time.Millisecond}
	wcfg.ID = "a"
	_, stopA := runWriter(t, connect(t, cfg), st, wcfg)
	var wB *Writer
	for m := 0; m < minutes; m++ {
		publish(t, pub, frameBatch(devices, m, 1))
		switch m {
		case minutes / 3:
			wcfg.ID = "b"
			wB, _ = runWriter(t, connect(t, cfg), st, wcfg)
			eventually(t, "writer b owns partitions", 30*time.Second, func() bool { return len(wB.Owned()) > 0 })
		case 2 * minutes / 3:
			stopA()
		}
		time.Sleep(10 * time.Millisecond)
	}
	eventually(t, "every frame committed", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == minutes*len(devices) && r == minutes*len(devices)
	})
	if n := len(wB.Owned()); n != 8 {
		t.Errorf("writer b owns %d partitions after a left, want 8", n)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, mn := range devices {
		ts := st.order[mn]
		if !slices.IsSortedFunc(ts, func(a, b time.Time) int { return a.Compare(b) }) {
			t.Errorf("%s committed out of order: %v", mn, ts)
		}
	}
}

// TestLeaseFailover: writer a dies without releasing its leases; writer b
// takes its partitions once they expire and commits what follows.
func TestLeaseFailover(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 6}
	ttl := time.Second
	st := newFakeStore()
	busA := connect(t, cfg)
	wA, _ := runWriter(t, busA, st, WriterConfig{ID: "a", LeaseTTL: ttl})
	wB, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "b", LeaseTTL: ttl})
	eventually(t, "fair share 3/3", 30*time.Second, func() bool {
		return len(wA.Owned()) == 3 && len(wB.Owned()) == 3
	})
	if wA.Ready() != nil || wB.Ready() != nil {
		t.Fatalf("ready: %v, %v", wA.Ready(), wB.Ready())
	}
	busA.Close() // writer a's process is gone: no release, no renewal
	eventually(t, "writer b owns every partition", 30*time.Second, func() bool { return len(wB.Owned()) == 6 })
	eventually(t, "writer a gave its partitions up", 30*time.Second, func() bool { return len(wA.Owned()) == 0 })
	devices := deviceNames(30)
	publish(t, NewPublisher(connect(t, cfg), nil), frameBatch(devices, 0, 4))
	eventually(t, "frames committed by b", 30*time.Second, func() bool {
		u, r := st.counts()
		return u == 120 && r == 120
	})
}

// TestStandbyWriterReady: more writers than partitions: the extra one owns
// nothing and is still ready (a standby), and takes over when needed.
func TestStandbyWriterReady(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1}
	st := newFakeStore()
	wA, stopA := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "a", LeaseTTL: time.Second})
	eventually(t, "a owns the partition", 30*time.Second, func() bool { return len(wA.Owned()) == 1 })
	wB, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "b", LeaseTTL: time.Second})
	eventually(t, "b ready as a standby", 30*time.Second, func() bool { return wB.Ready() == nil })
	if len(wB.Owned()) != 0 {
		t.Fatalf("b owns %v", wB.Owned())
	}
	stopA() // clean exit: releases at once
	eventually(t, "b takes over", 30*time.Second, func() bool { return len(wB.Owned()) == 1 })
}

// TestBackPressure: with no writer the stream fills up to MaxPending and
// publishes fail (the gateway would stop acknowledging); nothing that was
// acknowledged is lost, and the refused batches go through, unduplicated,
// once a writer drains the stream.
func TestBackPressure(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 4, MaxPending: 45}
	pub := NewPublisher(connect(t, cfg), nil)
	devices := deviceNames(10)
	var acked, refused []*store.Batch
	for m := 0; m < 8; m++ {
		b := frameBatch(devices, m, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := pub.CommitBatch(ctx, b)
		cancel()
		if err != nil {
			refused = append(refused, b)
		} else {
			acked = append(acked, b)
		}
	}
	if len(acked) != 4 || len(refused) != 4 {
		t.Fatalf("%d batches acknowledged, %d refused; want 4 and 4 (MaxPending 45, 10 frames a batch)", len(acked), len(refused))
	}
	drainRetries(t, cfg, pub, refused)
}

// TestCommitRetry: a failing store is retried with nothing acknowledged
// meanwhile, then everything is committed once.
func TestCommitRetry(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1}
	st := newFakeStore()
	var failures atomic.Int32
	st.fail = func(*store.Batch) error {
		if failures.Add(1) <= 3 {
			return fmt.Errorf("test: database down")
		}
		return nil
	}
	publish(t, NewPublisher(connect(t, cfg), nil), frameBatch(deviceNames(5), 0, 2))
	b := connect(t, cfg)
	runWriter(t, b, st, WriterConfig{ID: "w", LeaseTTL: 2 * time.Second})
	eventually(t, "committed after the failures", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == 10 && r == 10
	})
	eventually(t, "stream drained", 30*time.Second, func() bool {
		n, err := b.Lag(context.Background())
		return err == nil && n == 0
	})
	if failures.Load() < 4 {
		t.Errorf("%d commit attempts", failures.Load())
	}
}

// pingStore is a fakeStore that answers Ping: the writer can tell a
// store that refuses a batch's content from a store that is down.
type pingStore struct{ *fakeStore }

func (pingStore) Ping(context.Context) error { return nil }

// TestStoreRefusesOneFrame: the store refuses any batch holding one
// "poison" upload (its content, not an outage). The writer isolates it:
// the other frames are committed, the poison frame's raw bytes are kept
// as a rejected frame with the store's reason, and the partition goes on.
// A store refusing everything while answering Ping loses nothing.
func TestStoreRefusesOneFrame(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1}
	pub := NewPublisher(connect(t, cfg), nil)
	bt := frameBatch(deviceNames(5), 0, 2)
	bt.Uploads[3].Values[0].Value = "poison"
	publish(t, pub, bt)

	st := newFakeStore()
	var down atomic.Bool
	down.Store(true)
	var attempts atomic.Int32
	st.fail = func(b *store.Batch) error {
		attempts.Add(1)
		if down.Load() {
			return errors.New("test: read-only")
		}
		for _, u := range b.Uploads {
			if u.Values[0].Value == "poison" {
				return errors.New("test: value out of range")
			}
		}
		return nil
	}
	w, _ := runWriter(t, connect(t, cfg), pingStore{st}, WriterConfig{ID: "w", LeaseTTL: 2 * time.Second})
	// Refusing everything: isolation finds no frame it can commit, so
	// nothing is archived as rejected or dropped.
	eventually(t, "isolation tried", 60*time.Second, func() bool { return attempts.Load() > 3+10 })
	if u, r := st.counts(); u != 0 || r != 0 || w.dropped.Load() != 0 || w.refused.Load() != 0 {
		t.Fatalf("store down: %d uploads, %d raw, %d dropped, %d refused", u, r, w.dropped.Load(), w.refused.Load())
	}
	down.Store(false)
	eventually(t, "the other frames committed", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == 9 && r == 10
	})
	publish(t, pub, frameBatch(deviceNames(5), 2, 1))
	eventually(t, "the partition goes on", 60*time.Second, func() bool {
		u, _ := st.counts()
		return u == 14
	})
	st.mu.Lock()
	defer st.mu.Unlock()
	rejected := 0
	for _, r := range st.raw {
		if r.Status == "rejected" {
			rejected++
			if r.MN != bt.Raw[3].MN || r.Reason != "store refused the frame: test: value out of range" {
				t.Errorf("rejected frame %+v", r)
			}
		}
	}
	if rejected != 1 || w.refused.Load() != 1 || w.dropped.Load() != 0 {
		t.Errorf("%d rejected raw frames, refused %d, dropped %d; want 1, 1, 0", rejected, w.refused.Load(), w.dropped.Load())
	}
}

// TestStreamsShareLeaseBucket: two deployments (streams) on one NATS
// share the lease bucket without taking each other's partitions.
func TestStreamsShareLeaseBucket(t *testing.T) {
	_, url := startServer(t)
	var ws []*Writer
	for _, name := range []string{"ONE", "TWO"} {
		cfg := Config{URL: url, Stream: name, Subject: "frames." + name, Partitions: 3}
		w, _ := runWriter(t, connect(t, cfg), newFakeStore(), WriterConfig{ID: "w", LeaseTTL: time.Second})
		ws = append(ws, w)
	}
	eventually(t, "each writer owns its stream's 3 partitions", 30*time.Second, func() bool {
		return len(ws[0].Owned()) == 3 && len(ws[1].Owned()) == 3
	})
}

// A delivery the writer never got (a NATS node died mid-fetch, or a
// previous owner still holds it) comes back only after its AckWait; the
// writer must not commit the device's newer frames first. Here a stray
// puller takes frames 6-8 while the writer commits 1-5, then vanishes;
// frames 9-12 must wait for 6-8.
func TestOrderAcrossLostDelivery(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1, ackWait: 2 * time.Second}
	pub := NewPublisher(connect(t, cfg), nil)
	devices := deviceNames(1)
	publish(t, pub, frameBatch(devices, 0, 5))

	st := newFakeStore()
	started, block := make(chan struct{}), make(chan struct{})
	var once sync.Once
	st.fail = func(*store.Batch) error {
		once.Do(func() { close(started); <-block })
		return nil
	}
	w, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", Batch: 100})
	<-started // the writer is committing frames 1-5

	publish(t, pub, frameBatch(devices, 5, 3))
	stray := connect(t, cfg)
	mb, err := stray.consumer(0).Fetch(3, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range mb.Messages() {
		n++
	}
	if n != 3 {
		t.Fatalf("stray puller got %d messages, want 3", n)
	}
	publish(t, pub, frameBatch(devices, 8, 4))
	close(block)

	eventually(t, "all 12 frames committed", 30*time.Second, func() bool { u, _ := st.counts(); return u == 12 })
	st.mu.Lock()
	order := slices.Clone(st.order[devices[0]])
	st.mu.Unlock()
	if !slices.IsSortedFunc(order, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("frames committed out of order: %v", order)
	}
	if m := scrape(t, w); !strings.Contains(m, "ecowatch_writer_settle_waits_total ") || strings.Contains(m, "ecowatch_writer_settle_waits_total 0\n") {
		t.Errorf("no settle wait counted:\n%s", m)
	}
}

// strayFetch takes n messages of partition 0 through a puller of its own,
// as a writer that then dies (or hangs) would.
func strayFetch(t *testing.T, cfg Config, n int) []jetstream.Msg {
	t.Helper()
	stray := connect(t, cfg)
	mb, err := stray.consumer(0).Fetch(n, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for m := range mb.Messages() {
		got = append(got, m)
	}
	if len(got) != n {
		t.Fatalf("stray puller got %d messages, want %d", len(got), n)
	}
	return got
}

// More deliveries outstanding than one batch holds (a previous owner died
// with a full batch and then some): the writer must keep fetching while it
// waits, or the deliveries it waits for, which come back only to a fetch,
// never come back and the partition stalls.
func TestOrderAcrossLostDeliveriesBeyondBatch(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1, ackWait: 2 * time.Second}
	pub := NewPublisher(connect(t, cfg), nil)
	devices := deviceNames(1)
	publish(t, pub, frameBatch(devices, 0, 12))
	strayFetch(t, cfg, 12) // and vanishes: redeliverable after AckWait
	publish(t, pub, frameBatch(devices, 12, 20))

	st := newFakeStore()
	w, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", Batch: 10, MaxWait: 100 * time.Millisecond})
	start := time.Now()
	// AckWait, the handover wait (AckWait + 1 s) and slack for a busy
	// machine, but well short of the reset (AckWait + stopGrace): the
	// deliveries come back by themselves.
	eventually(t, "all 32 frames committed", 60*time.Second, func() bool { u, _ := st.counts(); return u == 32 })
	t.Logf("committed %.1f s after the writer started", time.Since(start).Seconds())
	st.mu.Lock()
	order := slices.Clone(st.order[devices[0]])
	st.mu.Unlock()
	if !slices.IsSortedFunc(order, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("frames committed out of order: %v", order)
	}
	if n := w.resets.Load(); n != 0 {
		t.Errorf("%d consumer resets; the deliveries came back by themselves", n)
	}
}

// Deliveries that never come back (here a zombie puller keeps them in
// progress forever, as a consumer whose outstanding count went wrong in a
// node restart would look): the writer waits AckWait + stopGrace, then
// starts the partition's consumer anew and commits everything in order.
func TestResetWhenDeliveriesNeverReturn(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 1, ackWait: 2 * time.Second}
	pub := NewPublisher(connect(t, cfg), nil)
	devices := deviceNames(1)
	publish(t, pub, frameBatch(devices, 0, 3))
	zombie := strayFetch(t, cfg, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for sleepCtx(ctx, 300*time.Millisecond) {
			for _, m := range zombie {
				_ = m.InProgress()
			}
		}
	}()
	publish(t, pub, frameBatch(devices, 3, 5))

	st := newFakeStore()
	w, _ := runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", Batch: 100, MaxWait: 100 * time.Millisecond})
	start := time.Now()
	eventually(t, "all 8 frames committed", 90*time.Second, func() bool { u, _ := st.counts(); return u == 8 })
	took := time.Since(start)
	t.Logf("committed %.1f s after the writer started (reset after %v of waiting)", took.Seconds(), w.settleLimit())
	if took < w.settleLimit() {
		t.Errorf("committed after %v, before the settle limit %v: the wait did not wait", took, w.settleLimit())
	}
	st.mu.Lock()
	order := slices.Clone(st.order[devices[0]])
	st.mu.Unlock()
	if !slices.IsSortedFunc(order, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("frames committed out of order: %v", order)
	}
	if w.resets.Load() == 0 {
		t.Error("no consumer reset counted")
	}
	eventually(t, "stream drained", 30*time.Second, func() bool {
		n, err := w.b.Lag(context.Background())
		return err == nil && n == 0
	})
}

// drainRetries starts a writer on an empty store, republishes batches as
// the gateway's retries do (in order, same Msg-Ids) and checks that every
// one of the 80 frames is committed exactly once from one message each: a
// batch the stream had half persisted before refusing it is deduplicated.
func drainRetries(t *testing.T, cfg Config, pub *Publisher, batches []*store.Batch) {
	t.Helper()
	st := newFakeStore()
	runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", LeaseTTL: 2 * time.Second})
	for _, b := range batches {
		publish(t, pub, b)
	}
	eventually(t, "every frame committed", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == 80 && r == 80
	})
	st.mu.Lock()
	defer st.mu.Unlock()
	for seq, n := range st.rawSeen {
		if n != 1 {
			t.Errorf("BusSeq %d committed %d times", seq, n)
		}
	}
	if len(st.rawSeen) != 80 {
		t.Errorf("%d messages for 80 frames (retries not deduplicated)", len(st.rawSeen))
	}
}
