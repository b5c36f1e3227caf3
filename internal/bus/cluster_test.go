package bus

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// startCluster starts n clustered JetStream servers on free loopback
// ports and returns them with the comma-separated client URLs.
func startCluster(t *testing.T, n int) ([]*server.Server, string) {
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
	servers := make([]*server.Server, n)
	var urls []string
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		s, err := StartEmbedded(EmbeddedConfig{Dir: filepath.Join(dir, fmt.Sprint(i)), Port: client[i],
			ServerName: fmt.Sprintf("n%d", i), ClusterName: "test", ClusterPort: route[i], Routes: routes})
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = s
		urls = append(urls, s.ClientURL())
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	return servers, strings.Join(urls, ",")
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
	eventually(t, "stream, consumers and lease bucket replicated on 3 nodes", 120*time.Second, func() bool {
		s, err := pubBus.js.Stream(ctx, DefaultStream)
		if err != nil || !replicated(s.CachedInfo().Cluster) {
			return false
		}
		if kvs, err := pubBus.js.Stream(ctx, "KV_"+LeaseBucket); err != nil || !replicated(kvs.CachedInfo().Cluster) {
			return false
		}
		for p := range 4 {
			c, err := pubBus.js.Consumer(ctx, DefaultStream, consumerName(p))
			if err != nil || !replicated(c.CachedInfo().Cluster) {
				return false
			}
		}
		return true
	})
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
		deadline := time.Now().Add(120 * time.Second)
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
	eventually(t, "every acknowledged frame committed", 120*time.Second, func() bool {
		u, r := st.counts()
		return u == want && r >= want
	})
	eventually(t, "stream drained", 60*time.Second, func() bool {
		n, err := pubBus.Lag(context.Background())
		return err == nil && n == 0
	})
	_, r := st.counts()
	if r != want {
		t.Errorf("%d raw frames for %d frames: a retried publish was not deduplicated", r, want)
	}
	t.Logf("published and committed in %.1f s; publish retries during the leader change: %d", time.Since(started).Seconds(), retries)
}
