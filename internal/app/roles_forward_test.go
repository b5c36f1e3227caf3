package app

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// fakeUpper is an upper platform that acknowledges every upload and
// records its (MN, DataTime).
type fakeUpper struct {
	ln  net.Listener
	mu  sync.Mutex
	got map[string]int
}

func newFakeUpper(t *testing.T) *fakeUpper {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &fakeUpper{ln: ln, got: map[string]int{}}
	var conns []net.Conn
	var cmu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for _, c := range conns {
			c.Close()
		}
		cmu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			conns = append(conns, c)
			cmu.Unlock()
			go func() {
				sp := &hj212.Splitter{}
				sc := bufio.NewScanner(c)
				sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
				sc.Split(sp.Split)
				for sc.Scan() {
					var f hj212.Frame
					if err := hj212.Decode(sc.Bytes(), &f, hj212.Options{Mode: hj212.Tolerant}); err != nil || !f.NeedsAck() {
						continue
					}
					if dt, ok := f.Get("DataTime"); ok {
						u.mu.Lock()
						u.got[string(f.MN)+" "+string(dt)]++
						u.mu.Unlock()
					}
					c.Write(hj212.AppendReply(nil, &f, hj212.CNDataAnswer, ""))
				}
			}()
		}
	}()
	return u
}

func (u *fakeUpper) has(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got[key] > 0
}

// TestWriterRolesForward: two writer roles with --forward-config over one
// PostgreSQL database: exactly one forwards (ecowatch_forward_leader), an
// upload a device sends to the gateway reaches the upper platform through
// the queue the writers fill, and when the forwarding writer shuts down
// the other takes over and forwards the next upload. On SQLite the role
// refuses to forward (no lock shared between processes).
func TestWriterRolesForward(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.Postgres)
	seededStore(t, dsn)
	up := newFakeUpper(t)
	fc, err := forward.Parse("forward.yaml", []byte("targets:\n  - name: province\n    address: "+up.ln.Addr().String()+"\n    select: {all: true}\n    data: [minute]\n"))
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := embeddedBus(t, 2)
	writer := func(id string) *WriterRole {
		w, err := StartWriterRole(ctx, WriterRoleConfig{DSN: dsn, Bus: bc, RollupEvery: -1, Forward: fc, ForwardRetry: 100 * time.Millisecond,
			Writer: bus.WriterConfig{ID: id, MaxWait: 20 * time.Millisecond, LeaseTTL: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1, w2 := writer("w1"), writer("w2")
	down := map[*WriterRole]bool{}
	defer func() {
		for _, w := range []*WriterRole{w1, w2} {
			if !down[w] {
				w.Shutdown(ctx)
			}
		}
	}()
	g, err := StartGatewayRole(ctx, GatewayRoleConfig{DSN: dsn, Bus: bc, Gateway: testGateway()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown(ctx)

	waitFor(t, "a forwarding writer", func() bool { return w1.Forward.Leading() || w2.Forward.Leading() })
	leader, other := w1, w2
	if w2.Forward.Leading() {
		leader, other = w2, w1
	}
	dt := time.Date(2026, 12, 1, 10, 0, 0, 0, hj212.CST())
	sendAndWaitAck(t, g.Addr(), dt)
	waitFor(t, "the upload at the upper platform", func() bool { return up.has(testMN + " " + string(hj212.FormatTime(nil, dt))) })
	if other.Forward.Leading() || other.Forward.Tries() == 0 {
		t.Fatalf("the other writer: leading %v after %d tries", other.Forward.Leading(), other.Forward.Tries())
	}
	// The scrape says which writer forwards; the per-target series come
	// from the forwarding one only.
	for _, c := range []struct {
		w         *WriterRole
		want      string
		perTarget bool
	}{{leader, "ecowatch_forward_leader 1\n", true}, {other, "ecowatch_forward_leader 0\n", false}} {
		text, err := metrics.Text(c.w.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, c.want) || strings.Contains(text, `ecowatch_forward_acked_total{target="province"}`) != c.perTarget {
			t.Errorf("writer metrics: want %q, per-target series %v:\n%s", c.want, c.perTarget, text)
		}
	}

	if err := leader.Shutdown(ctx); err != nil {
		t.Errorf("shutdown of the forwarding writer: %v", err)
	}
	down[leader] = true
	waitFor(t, "the other writer to take over", other.Forward.Leading)
	dt2 := dt.Add(time.Minute)
	sendAndWaitAck(t, g.Addr(), dt2)
	waitFor(t, "the next upload at the upper platform", func() bool { return up.has(testMN + " " + string(hj212.FormatTime(nil, dt2))) })

	// SQLite: one process owns the file, there is no lock to share.
	sq := storetest.DSN(t, storetest.SQLite)
	if _, err := StartWriterRole(ctx, WriterRoleConfig{DSN: sq, Bus: bc, RollupEvery: -1, Forward: fc, Writer: bus.WriterConfig{ID: "w3"}}); err == nil ||
		!strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("writer with --forward-config on SQLite: %v", err)
	}
}
