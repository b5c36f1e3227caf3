package bus

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ecowatch/ecowatch/internal/store"
)

// testCluster is n clustered JetStream servers on loopback ports; a node
// can be killed and started again on the same ports and storage.
type testCluster struct {
	t       *testing.T
	cfgs    []EmbeddedConfig
	mu      sync.Mutex
	servers []*server.Server
	urls    string
}

// startCluster starts n clustered JetStream servers on free loopback
// ports and returns them with the comma-separated client URLs.
func startCluster(t *testing.T, n int) ([]*server.Server, string) {
	c := newTestCluster(t, n)
	return c.servers, c.urls
}

func newTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	dir := t.TempDir()
	client := make([]int, n)
	route := make([]int, n)
	seen := map[int]bool{}
	for i := 0; i < 2*n; i++ {
		for {
			p, err := FreePort("127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if !seen[p] {
				seen[p] = true
				if i < n {
					client[i] = p
				} else {
					route[i-n] = p
				}
				break
			}
		}
	}
	c := &testCluster{t: t, servers: make([]*server.Server, n)}
	var urls []string
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		cfg := EmbeddedConfig{Dir: filepath.Join(dir, fmt.Sprint(i)), Port: client[i],
			ServerName: fmt.Sprintf("n%d", i), ClusterName: "test", ClusterPort: route[i], Routes: routes}
		c.cfgs = append(c.cfgs, cfg)
		s, err := StartEmbedded(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.servers[i] = s
		urls = append(urls, s.ClientURL())
	}
	c.urls = strings.Join(urls, ",")
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, s := range c.servers {
			if s != nil {
				s.Shutdown()
				s.WaitForShutdown()
			}
		}
	})
	return c
}

// kill stops node i at once (its clients see the connection drop).
func (c *testCluster) kill(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// restart starts node i again on its ports and storage.
func (c *testCluster) restart(i int) {
	c.t.Helper()
	s, err := StartEmbedded(c.cfgs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.servers[i] = s
	c.mu.Unlock()
}

func replicated(ci *jetstream.ClusterInfo) bool {
	if ci == nil || ci.Leader == "" || len(ci.Replicas) != 2 {
		return false
	}
	for _, r := range ci.Replicas {
		if !r.Current {
			return false
		}
	}
	return true
}

// TestClusterNodeLoss: a 3-node cluster, stream and consumers replicated
// 3 times; the stream leader is shut down mid-stream. Publishing goes on
// once a new leader is elected (the publisher retries as the gateway
// does), and every acknowledged frame reaches the store, once.
func TestClusterNodeLoss(t *testing.T) {
	servers, urls := startCluster(t, 3)
	// Created with one replica, then scaled to three by the next Connect
	// (stream and lease bucket).
	connect(t, Config{URL: urls, Partitions: 4, Replicas: 1})
	cfg := Config{URL: urls, Partitions: 4, Replicas: 3, Manage: true}
	pubBus := connect(t, cfg)
	ctx := context.Background()
	if s, err := pubBus.js.Stream(ctx, DefaultStream); err != nil || s.CachedInfo().Config.Replicas != 3 {
		t.Fatalf("stream not scaled to 3 replicas: %v", err)
	}
	// Scaling is asynchronous: until the new replicas are current, the
	// stream lives on its first node only.
	scaled := time.Now()
	waitReplicated(t, pubBus, 4, 300*time.Second)
	t.Logf("replicas current after %.1f s", time.Since(scaled).Seconds())
	if kv, err := pubBus.js.KeyValue(ctx, LeaseBucket); err != nil {
		t.Fatal(err)
	} else if st, err := kv.Status(ctx); err != nil || st.Config().Replicas != 3 {
		t.Fatalf("lease bucket not scaled to 3 replicas: %v", err)
	}
	pub := NewPublisher(pubBus, nil)
	st := newFakeStore()
	runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", LeaseTTL: 3 * time.Second, Batch: 200})

	devices := deviceNames(50)
	const minutes = 40
	var (
		mu      sync.Mutex
		retries int
	)
	started := time.Now()
	for m := 0; m < minutes; m++ {
		if m == minutes/2 {
			s, err := pubBus.js.Stream(context.Background(), DefaultStream)
			if err != nil {
				t.Fatal(err)
			}
			leader := s.CachedInfo().Cluster.Leader
			killed := false
			for _, srv := range servers {
				if srv.Name() == leader {
					srv.Shutdown()
					killed = true
				}
			}
			if !killed {
				t.Fatalf("stream leader %q not found", leader)
			}
		}
		b := frameBatch(devices, m, 1)
		deadline := time.Now().Add(300 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := pub.CommitBatch(ctx, b)
			cancel()
			if err == nil {
				break
			}
			mu.Lock()
			retries++
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("minute %d never acknowledged: %v", m, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	want := minutes * len(devices)
	// On a machine busy with other work the writer is slow, not stuck:
	// fail when nothing more is committed for a minute and a half.
	progressing(t, "every acknowledged frame committed", 90*time.Second, 10*time.Minute,
		func() int64 { u, _ := st.counts(); return int64(u) },
		func() bool { u, r := st.counts(); return u == want && r >= want })
	eventually(t, "stream drained", 120*time.Second, func() bool {
		n, err := pubBus.Lag(context.Background())
		return err == nil && n == 0
	})
	_, r := st.counts()
	if r != want {
		t.Errorf("%d raw frames for %d frames: a retried publish was not deduplicated", r, want)
	}
	t.Logf("published and committed in %.1f s; publish retries during the leader change: %d", time.Since(started).Seconds(), retries)
}

// waitReplicated waits until the stream, its consumers and the lease
// bucket are replicated and current on 3 nodes.
func waitReplicated(t *testing.T, b *Bus, parts int, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	eventually(t, "stream, consumers and lease bucket replicated on 3 nodes", d, func() bool {
		s, err := b.js.Stream(ctx, DefaultStream)
		if err != nil || !replicated(s.CachedInfo().Cluster) {
			return false
		}
		if kvs, err := b.js.Stream(ctx, "KV_"+LeaseBucket); err != nil || !replicated(kvs.CachedInfo().Cluster) {
			return false
		}
		for p := range parts {
			c, err := b.js.Consumer(ctx, DefaultStream, consumerName(p))
			if err != nil || !replicated(c.CachedInfo().Cluster) {
				return false
			}
		}
		return true
	})
}

// killableStore is a writer's view of the store that dies with the
// writer: once killed, every commit fails, as nothing more reaches the
// store from a process that was SIGKILLed.
type killableStore struct {
	st   *fakeStore
	dead atomic.Bool
}

func (k *killableStore) CommitBatch(ctx context.Context, b *store.Batch) error {
	if k.dead.Load() {
		return errors.New("test: writer killed")
	}
	return k.st.CommitBatch(ctx, b)
}

// TestNodeThenWriterLoss: a 3-node cluster (R3) under a steady flow of
// frames; several times over, a NATS node is killed and started again,
// then the writer is killed (no release, no ack, nothing more committed)
// and a new one started. Each time, the new writer must commit every frame
// acknowledged before it started within resumeBound of its start, each
// device's frames first stored in order, and at the end every frame
// arrives once.
func TestNodeThenWriterLoss(t *testing.T) {
	c := newTestCluster(t, 3)
	const parts = 4
	ackWait, ttl := 3*time.Second, 2*time.Second
	cfg := Config{URL: c.urls, Partitions: parts, Replicas: 3, Manage: true, ackWait: ackWait}
	pubBus := connect(t, cfg)
	waitReplicated(t, pubBus, parts, 120*time.Second)
	pub := NewPublisher(pubBus, nil)
	st := newFakeStore()
	wcfg := WriterConfig{LeaseTTL: ttl, Batch: 100, MaxWait: 100 * time.Millisecond}
	// The lease of the killed writer expires (TTL), its deliveries come
	// back (AckWait, the handover wait AckWait + 1 s) or the consumer is
	// reset (AckWait + stopGrace): 19 s here. The slack is for NATS
	// elections and a machine busy with other work (measured: 4-9 s per
	// cycle on a quiet machine, 34-48 s with the load average at 30 on
	// two cores); a stall, which this guards against, lasts minutes.
	resumeBound := ttl + ackWait + time.Second + ackWait + stopGrace + 100*time.Second

	devices := deviceNames(30)
	var acked atomic.Int64 // minutes acknowledged by the stream
	pctx, stopPub := context.WithCancel(context.Background())
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for m := 0; pctx.Err() == nil && m < 10000; m++ {
			b := frameBatch(devices, m, 1)
			for pctx.Err() == nil {
				ctx, cancel := context.WithTimeout(pctx, 10*time.Second)
				err := pub.CommitBatch(ctx, b)
				cancel()
				if err == nil {
					acked.Store(int64(m + 1))
					break
				}
				sleepCtx(pctx, 200*time.Millisecond)
			}
			sleepCtx(pctx, 20*time.Millisecond)
		}
	}()
	defer func() { stopPub(); <-pubDone }()

	startWriter := func(id string) (*Writer, *killableStore, func()) {
		ks := &killableStore{st: st}
		b := connect(t, cfg)
		wcfg.ID = id
		w := NewWriter(b, ks, wcfg)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Run(ctx) }()
		kill := func() {
			ks.dead.Store(true)
			b.Close()
			cancel()
			<-done
		}
		return w, ks, kill
	}
	cur, _, kill := startWriter("w0")
	eventually(t, "first frames committed", 60*time.Second, func() bool { u, _ := st.counts(); return u > 0 })

	const cycles = 4
	for i := 1; i <= cycles; i++ {
		node := i % 3
		c.kill(node)
		// Frames keep flowing through the other two nodes.
		before := acked.Load()
		eventually(t, "frames acknowledged with a node down", 60*time.Second, func() bool { return acked.Load() > before+5 })
		c.restart(node)
		kill()
		oldWaits := cur.waits.Load()
		w, _, k := startWriter(fmt.Sprintf("w%d", i))
		cur, kill = w, k
		started := time.Now()
		want := int(acked.Load()) * len(devices)
		eventually(t, fmt.Sprintf("cycle %d: frames acknowledged before the restart committed", i), resumeBound, func() bool {
			u, _ := st.counts()
			return u >= want
		})
		t.Logf("cycle %d: node n%d killed and restarted, writer killed; the new writer committed the %d frames acknowledged before its start in %.1f s (bound %v; %d consumer resets; the killed writer had waited %d times for older deliveries)",
			i, node, want, time.Since(started).Seconds(), resumeBound, w.resets.Load(), oldWaits)
		waitReplicated(t, pubBus, parts, 120*time.Second)
	}
	stopPub()
	<-pubDone
	// Wait for the acknowledged frames themselves, not for a count: the
	// batch in flight when the publisher stopped may have reached the
	// stream in part (unacknowledged to the publisher, so not counted in
	// acked) and its frames would make a count reach the goal while
	// acknowledged ones are still on their way.
	minutes := int(acked.Load())
	missing := func() int {
		st.mu.Lock()
		defer st.mu.Unlock()
		n := 0
		for m := range minutes {
			for _, mn := range devices {
				if _, ok := st.uploads[upKey{mn, "2051", t0.Add(time.Duration(m) * time.Minute).UnixMicro()}]; !ok {
					n++
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(resumeBound)
	for missing() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	kill()
	if n := missing(); n > 0 {
		t.Errorf("%d acknowledged frames not stored %v after the publisher stopped", n, resumeBound)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, mn := range devices {
		ts := st.firsts[mn]
		if !slices.IsSortedFunc(ts, func(a, b time.Time) int { return a.Compare(b) }) {
			t.Errorf("%s first stored out of order", mn)
		}
	}
}
