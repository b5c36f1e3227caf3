package forwardsvc

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

const (
	mn1 = "010000A8900016F000169DC1"
	up1 = "010000A8900016F0001UP001"
)

// upper is a fake upper platform: it records the uploads it receives
// (by MN, CN, DataTime), answers 9014 unless told to stay silent, and can
// send requests.
type upper struct {
	ln      net.Listener
	mu      sync.Mutex
	got     map[string]int // "MN CN DataTime" → frames received
	frames  []string       // every segment received
	silent  int            // uploads left unanswered before answering again
	conns   []net.Conn
	changed chan struct{}
}

func newUpper(t testing.TB) *upper {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upper{ln: ln, got: map[string]int{}, changed: make(chan struct{}, 1)}
	t.Cleanup(func() {
		ln.Close()
		u.mu.Lock()
		for _, c := range u.conns {
			c.Close()
		}
		u.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.conns = append(u.conns, c)
			u.mu.Unlock()
			go u.serve(c)
		}
	}()
	return u
}

func (u *upper) serve(c net.Conn) {
	sp := &hj212.Splitter{}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
	sc.Split(sp.Split)
	for sc.Scan() {
		var f hj212.Frame
		if err := hj212.Decode(sc.Bytes(), &f, hj212.Options{Mode: hj212.Tolerant}); err != nil || !f.CRCOK {
			continue
		}
		u.mu.Lock()
		u.frames = append(u.frames, string(sc.Bytes()[6:len(sc.Bytes())-6]))
		answer := true
		if dt, ok := f.Get("DataTime"); ok && f.NeedsAck() {
			u.got[string(f.MN)+" "+string(f.CN)+" "+string(dt)]++
			if u.silent > 0 {
				u.silent--
				answer = false
			}
		} else {
			answer = false
		}
		u.mu.Unlock()
		if answer {
			c.Write(hj212.AppendReply(nil, &f, hj212.CNDataAnswer, ""))
		}
		select {
		case u.changed <- struct{}{}:
		default:
		}
	}
}

func (u *upper) send(seg string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.conns {
		c.Write(hj212.AppendFrame(nil, []byte(seg)))
	}
}

// waitFor waits until cond holds, failing on a stall of 60 s without
// any frame.
func (u *upper) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for {
		u.mu.Lock()
		ok := cond()
		u.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-u.changed:
		case <-time.After(60 * time.Second):
			t.Fatalf("no progress in 60 s waiting for %s", what)
		}
	}
}

func setup(t testing.TB, yaml string) (store.Store, *forward.Config) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLite)
	reg := &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区"}},
		Enterprises: []model.Enterprise{{USCC: "91371500000000000X", Name: "甲", County: "371502"}},
		Outlets:     []model.Outlet{{ID: "O1", Enterprise: "91371500000000000X", Name: "1号", Kind: model.OutletAir}},
		Devices: []model.Device{{MN: mn1, Password: "123456", Protocol: "2017", Outlet: "O1", ST: "31"},
			{MN: "010000A8900016F000169DC2", Password: "123456", Protocol: "2017"}},
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	cfg, err := forward.Parse("f.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return st, cfg
}

func minutes(mn string, from time.Time, n int) []model.Upload {
	out := make([]model.Upload, n)
	for i := range out {
		out[i] = model.Upload{MN: mn, CN: "2051", DataTime: from.Add(time.Duration(i) * time.Minute),
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: fmt.Sprint(i)}, {Factor: "a21026", Field: "Flag", Value: "N"}}}
	}
	return out
}

func TestForwardsEverythingAndAnswers(t *testing.T) {
	up := newUpper(t)
	st, cfg := setup(t, `targets:
  - name: prov
    address: `+up.ln.Addr().String()+`
    select: {counties: ["371502"]}
    data: [minute]
    map: [{mn: `+mn1+`, upper_mn: `+up1+`, password: "654321"}]
    ack_timeout: 1s
    retries: 2
    window: 8
`)
	ctx := context.Background()
	svc := New(st, cfg, Options{Poll: 10 * time.Millisecond, StatsEvery: 50 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	// Two uploads go unanswered at first: they are sent again (§6.2).
	up.mu.Lock()
	up.silent = 2
	up.mu.Unlock()
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ups := minutes(mn1, t0, 100)
	ups = append(ups, minutes("010000A8900016F000169DC2", t0, 5)...) // not selected
	for i := 0; i < len(ups); i += 10 {
		if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups[i:min(i+10, len(ups))]}); err != nil {
			t.Fatal(err)
		}
	}
	up.waitFor(t, "100 uploads", func() bool { return len(up.got) >= 100 })
	for k := range up.got {
		if !strings.HasPrefix(k, up1+" 2051 ") {
			t.Errorf("unexpected upload %s", k)
		}
	}
	// The queue drains once everything is acknowledged.
	for {
		qs, err := st.ForwardQueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 {
			break
		}
		up.waitFor(t, "the queue to drain", func() bool { return true })
		time.Sleep(10 * time.Millisecond)
	}
	s := svc.Status()[0]
	if s.Acked != 100 || s.Resent < 2 || s.LastAckAt.IsZero() || s.Devices != 1 {
		t.Errorf("status %+v", s)
	}
	// The scrape shows the same figures, typed and labelled by target.
	reg := prometheus.NewRegistry()
	if err := svc.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	text, err := metrics.Text(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE ecowatch_forward_acked_total counter\n", `ecowatch_forward_acked_total{target="prov"} 100` + "\n",
		"# TYPE ecowatch_forward_connected gauge\n", `ecowatch_forward_devices{target="prov"} 1` + "\n",
		"# TYPE ecowatch_forward_ack_lag_seconds summary\n", `ecowatch_forward_ack_lag_seconds_count{target="prov"} 100` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}

	// The upper platform asks for an hour of minute data (Appendix C.21)
	// and for the time (C.2).
	n0 := len(up.got)
	up.mu.Lock()
	clear(up.got)
	up.frames = nil
	up.mu.Unlock()
	up.send("QN=20261206080000001;ST=31;CN=2051;PW=654321;MN=" + up1 + ";Flag=5;CP=&&BeginTime=20261206080000;EndTime=20261206080959&&")
	up.waitFor(t, "the history answer", func() bool {
		return len(up.frames) > 0 && strings.Contains(up.frames[len(up.frames)-1], "CN=9012")
	})
	up.mu.Lock()
	got := len(up.got)
	first, last := up.frames[0], up.frames[len(up.frames)-1]
	up.mu.Unlock()
	if got != 10 || !strings.Contains(first, "CN=9011") || !strings.Contains(first, "QnRtn=1") || !strings.Contains(last, "ExeRtn=1") {
		t.Errorf("history: %d uploads (of %d), first %s last %s", got, n0, first, last)
	}
	up.mu.Lock()
	up.frames = nil
	up.mu.Unlock()
	up.send("QN=20261206080000002;ST=31;CN=1011;PW=654321;MN=" + up1 + ";Flag=5;CP=&&&&")
	up.waitFor(t, "the time", func() bool { return len(up.frames) >= 3 })
	up.mu.Lock()
	if !strings.Contains(up.frames[1], "CN=1011") || !strings.Contains(up.frames[1], "SystemTime=") || !strings.Contains(up.frames[2], "ExeRtn=1") {
		t.Errorf("1011 answered %q", up.frames)
	}
	up.frames = nil
	up.mu.Unlock()
	// An MN the target does not forward: QnRtn=4 (table 7).
	up.send("QN=20261206080000003;ST=31;CN=1011;PW=654321;MN=UNKNOWN0000000000000000;Flag=5;CP=&&&&")
	up.waitFor(t, "the refusal", func() bool { return len(up.frames) >= 1 })
	up.mu.Lock()
	if !strings.Contains(up.frames[0], "QnRtn=4") {
		t.Errorf("unknown MN answered %q", up.frames)
	}
	up.mu.Unlock()
}

func TestNothingLostWhileTheUpperPlatformIsDown(t *testing.T) {
	// Take a free port, then close it: the platform is down.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	st, cfg := setup(t, `targets:
  - name: prov
    address: `+addr+`
    select: {all: true}
    data: [minute]
`)
	ctx := context.Background()
	svc := New(st, cfg, Options{Poll: 10 * time.Millisecond, StatsEvery: 20 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: minutes(mn1, t0, 50)}); err != nil {
		t.Fatal(err)
	}
	// Errors are counted while it is down; the queue keeps everything.
	for svc.Status()[0].Errors < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	if s := svc.Status()[0]; s.Connected || s.LastError == "" {
		t.Errorf("status while down: %+v", s)
	}
	// It comes up on the same address.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	up := &upper{ln: ln2, got: map[string]int{}, changed: make(chan struct{}, 1)}
	defer ln2.Close()
	go func() {
		for {
			c, err := ln2.Accept()
			if err != nil {
				return
			}
			up.mu.Lock()
			up.conns = append(up.conns, c)
			up.mu.Unlock()
			go up.serve(c)
		}
	}()
	up.waitFor(t, "50 uploads after the outage", func() bool { return len(up.got) == 50 })
	up.mu.Lock()
	for _, c := range up.conns {
		c.Close()
	}
	up.mu.Unlock()
}
