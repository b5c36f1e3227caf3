package bus

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// startServer starts a single JetStream server on a free loopback port
// with its storage in a temporary directory.
func startServer(t testing.TB) (*server.Server, string) {
	t.Helper()
	s, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s, s.ClientURL()
}

func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("ECOWATCH_BUS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func connect(t testing.TB, cfg Config) *Bus {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = testLog(t)
	}
	// Generous: a cluster elects its meta leader slowly on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	b, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// progressing waits until done holds, failing when level (a count that
// grows while the system works towards done) has not changed for stall,
// or when limit has passed: a busy machine may be slow, but a stuck one
// fails within stall.
func progressing(t testing.TB, what string, stall, limit time.Duration, level func() int64, done func() bool) {
	t.Helper()
	start := time.Now()
	last, lastChange := level(), start
	for !done() {
		now := time.Now()
		if l := level(); l != last {
			last, lastChange = l, now
		}
		if now.Sub(lastChange) > stall {
			t.Fatalf("%s: no progress for %v (at %d, after %v)", what, stall, last, now.Sub(start).Round(time.Second))
		}
		if now.Sub(start) > limit {
			t.Fatalf("%s: not done within %v (at %d)", what, limit, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var t0 = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

// frameBatch builds a gateway-shaped batch (Frames filled): for each
// device, n minute uploads starting at minute `from`, each with its raw
// frame and contact.
func frameBatch(devices []string, from, n int) *store.Batch {
	b := &store.Batch{}
	contacts := map[string]int{}
	for m := from; m < from+n; m++ {
		for _, mn := range devices {
			at := t0.Add(time.Duration(m) * time.Minute)
			recv := at.Add(3*time.Second + time.Duration(len(mn))*time.Millisecond)
			u := model.Upload{MN: mn, CN: "2051", DataTime: at, Values: []model.Value{
				{Factor: "a21026", Field: "Avg", Value: fmt.Sprintf("%d.5", m)},
				{Factor: "a21026", Field: "Flag", Value: "N"},
			}}
			raw := model.RawFrame{ReceivedAt: recv, Remote: "10.1.2.3:40000", MN: mn, CN: "2051",
				QN: at.Format("20060102150405000"), Status: model.RawAccepted,
				Raw: fmt.Appendf(nil, "##0101QN=%s;ST=22;CN=2051;MN=%s;CP=&&DataTime=%s;a21026-Avg=%d.5&&ABCD\r\n", at.Format("20060102150405000"), mn, at.Format("20060102150405"), m)}
			c := model.Contact{MN: mn, At: recv, Remote: "10.1.2.3:40000", CN: "2051"}
			f := store.Frame{Upload: len(b.Uploads), Raw: len(b.Raw), Contact: c}
			b.Uploads = append(b.Uploads, u)
			b.Raw = append(b.Raw, raw)
			b.Frames = append(b.Frames, f)
			if i, ok := contacts[mn]; ok {
				b.Contacts[i] = c
			} else {
				contacts[mn] = len(b.Contacts)
				b.Contacts = append(b.Contacts, c)
			}
		}
	}
	return b
}

func deviceNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("8888800000%04d", i)
	}
	return out
}

type upKey struct {
	mn, cn string
	t      int64
}

// fakeStore is a Committer that stores like the real stores do: uploads
// by (MN, CN, DataTime), raw frames unique by BusSeq, contacts latest.
// It also records each device's DataTimes in commit order, how often each
// BusSeq was committed, and can be told to fail.
type fakeStore struct {
	mu       sync.Mutex
	uploads  map[upKey]model.Upload
	raw      map[int64]model.RawFrame
	rawSeen  map[int64]int
	noSeq    int // raw frames committed without BusSeq
	contacts map[string]model.Contact
	order    map[string][]time.Time
	// firsts: each device's DataTimes in the order they were first
	// stored (a redelivered frame committed again is not counted).
	firsts  map[string][]time.Time
	commits int
	frames  int
	// fail, if set, is called before a commit; a non-nil error fails it.
	fail func(b *store.Batch) error
	// after, if set, is called after a successful commit; a non-nil
	// error is returned although the batch is stored (a writer crashing
	// between commit and ack).
	after func(b *store.Batch) error
}

func newFakeStore() *fakeStore {
	return &fakeStore{uploads: map[upKey]model.Upload{}, raw: map[int64]model.RawFrame{}, rawSeen: map[int64]int{},
		contacts: map[string]model.Contact{}, order: map[string][]time.Time{}, firsts: map[string][]time.Time{}}
}

func (s *fakeStore) CommitBatch(ctx context.Context, b *store.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	fail, after := s.fail, s.after
	s.mu.Unlock()
	if fail != nil {
		if err := fail(b); err != nil {
			return err
		}
	}
	s.mu.Lock()
	for _, u := range b.Uploads {
		k := upKey{u.MN, u.CN, u.DataTime.UnixMicro()}
		if _, ok := s.uploads[k]; !ok {
			u.Values = slices.Clone(u.Values)
			s.uploads[k] = u
			s.firsts[u.MN] = append(s.firsts[u.MN], u.DataTime)
		}
		s.order[u.MN] = append(s.order[u.MN], u.DataTime)
	}
	for _, r := range b.Raw {
		if r.BusSeq == 0 {
			s.noSeq++
			continue
		}
		s.rawSeen[r.BusSeq]++
		if _, ok := s.raw[r.BusSeq]; !ok {
			r.Raw = slices.Clone(r.Raw)
			s.raw[r.BusSeq] = r
		}
	}
	for _, c := range b.Contacts {
		if old, ok := s.contacts[c.MN]; !ok || !c.At.Before(old.At) {
			s.contacts[c.MN] = c
		}
	}
	s.commits++
	s.frames += len(b.Frames)
	s.mu.Unlock()
	if after != nil {
		return after(b)
	}
	return nil
}

func (s *fakeStore) counts() (uploads, raw int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads), len(s.raw)
}

// runWriter runs a writer until the test ends (or its cancel is called)
// and returns it with its cancel function, which waits for Run to return.
func runWriter(t testing.TB, b *Bus, st Committer, cfg WriterConfig) (*Writer, func()) {
	t.Helper()
	if p, ok := st.(Pinger); ok && cfg.Health == nil {
		cfg.Health = p // wired as the app wires a store that answers Ping
	}
	w := NewWriter(b, st, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("writer %s: %v", cfg.ID, err)
			}
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// publish commits batch through p, retrying like the gateway does until
// it succeeds or the deadline passes.
func publish(t testing.TB, p *Publisher, b *store.Batch) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := p.CommitBatch(ctx, b)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
