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

// TestClusterNodeLoss: a 3-node cluster, stream and consumers replicated
// 3 times; the stream leader is shut down mid-stream. Publishing goes on
// once a new leader is elected (the publisher retries as the gateway
// does), and every acknowledged frame reaches the store, once.
func TestClusterNodeLoss(t *testing.T) {
	servers, urls := startCluster(t, 3)
	cfg := Config{URL: urls, Partitions: 4, Replicas: 3}
	pubBus := connect(t, cfg)
	pub := NewPublisher(pubBus, nil)
	st := newFakeStore()
	runWriter(t, connect(t, cfg), st, WriterConfig{ID: "w", LeaseTTL: 3 * time.Second, Batch: 200})

	devices := deviceNames(50)
	const minutes = 40
	var (
		mu      sync.Mutex
		retries int
	)
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
	t.Logf("publish retries during the leader change: %d", retries)
}
