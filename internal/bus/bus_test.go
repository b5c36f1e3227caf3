package bus

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

func TestConnectEnsuresStream(t *testing.T) {
	_, url := startServer(t)
	b := connect(t, Config{URL: url, Partitions: 4, MaxPending: 1000, MaxPendingBytes: 1 << 20, DuplicateWindow: time.Minute})
	ctx := context.Background()
	s, err := b.js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	c := s.CachedInfo().Config
	if c.Retention != jetstream.WorkQueuePolicy || c.Storage != jetstream.FileStorage || c.Discard != jetstream.DiscardNew ||
		c.MaxMsgs != 1000 || c.MaxBytes != 1<<20 || c.Duplicates != time.Minute || c.Subjects[0] != "ecowatch.frames.>" ||
		c.Metadata[metaPartitions] != "4" {
		t.Fatalf("stream config %+v", c)
	}
	for p := 0; p < 4; p++ {
		ci, err := b.js.Consumer(ctx, DefaultStream, consumerName(p))
		if err != nil {
			t.Fatalf("consumer %d: %v", p, err)
		}
		if ci.CachedInfo().Config.FilterSubject != "ecowatch.frames."+string(rune('0'+p))+".>" ||
			ci.CachedInfo().Config.AckPolicy != jetstream.AckExplicitPolicy {
			t.Fatalf("consumer %d config %+v", p, ci.CachedInfo().Config)
		}
	}
	if _, err := b.js.KeyValue(ctx, LeaseBucket); err != nil {
		t.Fatal(err)
	}
	if err := b.Ready(ctx); err != nil {
		t.Fatal(err)
	}

	// Without Manage (a gateway or writer), an existing stream is used as
	// it is: its partition count and limits are adopted, nothing changes.
	b1 := connect(t, Config{URL: url, Partitions: 8, MaxPending: 7777})
	if c := b1.Config(); c.Partitions != 4 || c.MaxPending != 1000 {
		t.Fatalf("adopted config %+v, want the stream's 4 partitions and 1000 max pending", c)
	}
	if s, err := b1.js.Stream(ctx, DefaultStream); err != nil || s.CachedInfo().Config.MaxMsgs != 1000 {
		t.Fatalf("stream changed by a role without Manage: %v", err)
	}

	// With Manage (bus init), new limits on an existing stream are applied.
	b2 := connect(t, Config{URL: url, Partitions: 4, MaxPending: 5000, MaxPendingBytes: 2 << 20, DuplicateWindow: 2 * time.Minute, Manage: true})
	s, err = b2.js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CachedInfo().Config; c.MaxMsgs != 5000 || c.MaxBytes != 2<<20 || c.Duplicates != 2*time.Minute {
		t.Fatalf("limits not updated: %+v", c)
	}

	// Another partition count is refused, at once and clearly.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = Connect(cctx, Config{URL: url, Partitions: 8, Log: testLog(t), Manage: true})
	if err == nil || !strings.Contains(err.Error(), "4 partitions") || !strings.Contains(err.Error(), "asks for 8") {
		t.Fatalf("partition change: err = %v", err)
	}
	if cctx.Err() != nil {
		t.Fatal("partition change was retried until the deadline instead of refused")
	}
}

func TestConnectRefusesBadNames(t *testing.T) {
	for _, cfg := range []Config{{Stream: "a.b"}, {Subject: "a.*"}, {Subject: "a..b"}} {
		cfg.URL = "nats://127.0.0.1:1"
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := Connect(ctx, cfg)
		late := ctx.Err()
		cancel()
		if err == nil || late != nil || !strings.Contains(err.Error(), "bad") {
			t.Errorf("%+v: err = %v", cfg, err)
		}
	}
}

// TestPublishWriteEndToEnd: a gateway-shaped batch and a batch without
// Frames go through the stream into the committer: every upload, every
// raw frame (with its stream sequence) and the latest contacts.
func TestPublishWriteEndToEnd(t *testing.T) {
	_, url := startServer(t)
	b := connect(t, Config{URL: url, Partitions: 4})
	pub := NewPublisher(b, nil)
	devices := deviceNames(20)
	gw := frameBatch(devices, 0, 5)
	publish(t, pub, gw)
	// A producer that does not fill Frames.
	plain := frameBatch(devices, 5, 5)
	plain.Frames = nil
	publish(t, pub, plain)

	st := newFakeStore()
	var onCommit int
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	w, _ := runWriter(t, b, st, WriterConfig{ID: "w1", LeaseTTL: 3 * time.Second, OnCommit: func(*store.Batch) {
		<-mu
		onCommit++
		mu <- struct{}{}
	}})
	eventually(t, "all uploads and raw frames", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == 200 && r == 200
	})
	eventually(t, "writer ready", 30*time.Second, func() bool { return w.Ready() == nil })
	st.mu.Lock()
	for _, mn := range devices {
		c := st.contacts[mn]
		want := t0.Add(9*time.Minute + 3*time.Second + time.Duration(len(mn))*time.Millisecond)
		if !c.At.Equal(want) || c.Remote != "10.1.2.3:40000" {
			t.Errorf("contact %s = %+v, want at %v", mn, c, want)
		}
	}
	seqs := map[int64]bool{}
	for seq, r := range st.raw {
		if seq <= 0 || seqs[seq] {
			t.Fatalf("bad BusSeq %d", seq)
		}
		seqs[seq] = true
		if r.Status != model.RawAccepted || !bytes.HasPrefix(r.Raw, []byte("##0101QN=")) {
			t.Fatalf("raw frame %+v", r)
		}
	}
	u := st.uploads[upKey{devices[3], "2051", t0.Add(7 * time.Minute).UnixMicro()}]
	if len(u.Values) != 2 || u.Values[0].Value != "7.5" {
		t.Errorf("upload %+v", u)
	}
	st.mu.Unlock()
	<-mu
	if onCommit == 0 {
		t.Error("OnCommit never called")
	}
	mu <- struct{}{}

	// The stream is drained (work queue: acked messages are gone).
	eventually(t, "stream drained", 30*time.Second, func() bool {
		n, err := b.Lag(context.Background())
		return err == nil && n == 0
	})

	// A gateway retry of a batch already persisted: the stream drops the
	// duplicates, nothing is committed twice.
	commitsBefore := func() int { st.mu.Lock(); defer st.mu.Unlock(); return st.frames }()
	publish(t, pub, gw)
	if m := scrape(t, pub); !strings.Contains(m, "# TYPE ecowatch_bus_publish_duplicates_total counter\necowatch_bus_publish_duplicates_total 100\n") ||
		!strings.Contains(m, "# TYPE ecowatch_bus_publish_seconds histogram\n") {
		t.Errorf("metrics:\n%s", m)
	}
	if n, _ := b.Lag(context.Background()); n != 0 {
		t.Errorf("duplicates reached the stream: lag %d", n)
	}
	if after := func() int { st.mu.Lock(); defer st.mu.Unlock(); return st.frames }(); after != commitsBefore {
		t.Errorf("duplicates committed: %d frames before, %d after", commitsBefore, after)
	}
	// The lag is measured (lease rounds, batches), so it settles.
	var m string
	eventually(t, "partition lag 0", 30*time.Second, func() bool {
		m = scrape(t, w)
		return strings.Contains(m, `ecowatch_writer_partition_lag_messages{partition="3"} 0`)
	})
	for _, want := range []string{"ecowatch_writer_frames_total ", "ecowatch_writer_commit_seconds_count ", "ecowatch_writer_partitions_owned 4", "ecowatch_writer_lag_messages ", `ecowatch_writer_partition_lag_messages{partition="3"} `,
		"# TYPE ecowatch_writer_frames_total counter\n", "# TYPE ecowatch_writer_partition_lag_messages gauge\n", "# TYPE ecowatch_writer_commit_seconds histogram\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("writer metrics lack %q:\n%s", want, m)
		}
	}
}

// TestUndecodableMessage: a message no writer can read is archived as a
// rejected raw frame and does not wedge its partition.
func TestUndecodableMessage(t *testing.T) {
	_, url := startServer(t)
	b := connect(t, Config{URL: url, Partitions: 2})
	ctx := context.Background()
	subj := Subject(DefaultSubject, 2, "dev1")
	if _, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: subj, Data: []byte{9, 9, 9}}); err != nil {
		t.Fatal(err)
	}
	pub := NewPublisher(b, nil)
	publish(t, pub, frameBatch([]string{"dev1"}, 0, 3))
	st := newFakeStore()
	runWriter(t, b, st, WriterConfig{ID: "w1", LeaseTTL: 3 * time.Second})
	eventually(t, "frames after the bad message", 60*time.Second, func() bool {
		u, r := st.counts()
		return u == 3 && r == 4
	})
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.raw[1]
	if r.Status != model.RawRejected || !strings.Contains(r.Reason, "version") || !bytes.Equal(r.Raw, []byte{9, 9, 9}) {
		t.Errorf("undecodable message archived as %+v", r)
	}
}

// scrape is the Prometheus text of c's metrics.
func scrape(t *testing.T, c interface {
	RegisterMetrics(prometheus.Registerer) error
}) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := c.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	text, err := metrics.Text(reg)
	if err != nil {
		t.Fatal(err)
	}
	return text
}
