package forwardsvc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The helper process of TestElectedFailover: a forwarder over the
// PostgreSQL store its environment names, as a writer process runs it.
// It prints "leading" and "following" when that changes, and stops when
// its standard input closes.
const (
	helperDSN = "ECOWATCH_FWD_HELPER_DSN"
	helperCfg = "ECOWATCH_FWD_HELPER_CFG"
)

func TestElectedHelperProcess(t *testing.T) {
	dsn := os.Getenv(helperDSN)
	if dsn == "" {
		t.Skip("helper process of TestElectedFailover")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	cfg, err := forward.Parse("f.yaml", []byte(os.Getenv(helperCfg)))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	e := NewElected(st.(Store), cfg, st.(store.SessionLocker), fastOptions(), 0)
	e.Start()
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	leading := false
	var tries int64
	for {
		if n := e.Tries(); n != tries && !e.Leading() {
			tries = n
			fmt.Println("tried")
		}
		if l := e.Leading(); l != leading {
			leading = l
			if l {
				fmt.Println("leading")
			} else {
				fmt.Println("following")
			}
		}
		select {
		case <-eof:
			e.Stop()
			st.Close()
			os.Exit(0)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func fastOptions() Options {
	return Options{Poll: 10 * time.Millisecond, StatsEvery: 100 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond}
}

// forwarder is a helper process and the lines it printed.
type forwarder struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startForwarder(t *testing.T, name, dsn, cfg string) *forwarder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestElectedHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDSN+"="+dsn, helperCfg+"="+cfg)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &forwarder{name: name, cmd: cmd, stdin: in, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); l == "leading" || l == "following" || l == "tried" || strings.HasPrefix(l, "error") {
				f.lines <- l
			}
		}
		close(f.lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	return f
}

// next waits for the helper's next line other than "tried" (its
// process ending is a failure), at most limit.
func (f *forwarder) next(t *testing.T, limit time.Duration) string {
	t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case l, ok := <-f.lines:
			if !ok {
				t.Fatalf("%s ended", f.name)
			}
			if strings.HasPrefix(l, "error") {
				t.Fatalf("%s: %s", f.name, l)
			}
			if l != "tried" {
				return l
			}
		case <-timeout:
			t.Fatalf("%s said nothing in %s", f.name, limit)
			return ""
		}
	}
}

// tried waits for the helper's next n tries of the lock that found it
// held, failing on any other line.
func (f *forwarder) tried(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case l, ok := <-f.lines:
			if !ok || l != "tried" {
				t.Fatalf("%s: %q while another process forwards (ended: %v)", f.name, l, !ok)
			}
		case <-time.After(DefaultRetry + time.Minute):
			t.Fatalf("%s did not try the lock", f.name)
		}
	}
}

// TestElectedFailover: two forwarder processes over one PostgreSQL
// database and one upper platform (as two writers with --forward-config).
// Only one forwards; when it is frozen (SIGSTOP: its machine lost, no
// reset reaches the database) the other takes over once the database
// ended the silent session (idle_session_timeout), and the frozen one,
// thawed, stops forwarding; when the forwarding one is killed (SIGKILL)
// the other takes over at its next try. Uploads are committed all along:
// every one reaches the upper platform (which stores each MN, CN and
// DataTime once, as ecowatch does) and the queue drains.
func TestElectedFailover(t *testing.T) {
	if os.Getenv(helperDSN) != "" {
		t.Skip("in the helper process")
	}
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.Postgres)
	st := storetest.OpenDSN(t, dsn)
	reg := &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区"}},
		Enterprises: []model.Enterprise{{USCC: "91371500000000000X", Name: "甲", County: "371502"}},
		Outlets:     []model.Outlet{{ID: "O1", Enterprise: "91371500000000000X", Name: "1号", Kind: model.OutletAir}},
		Devices:     []model.Device{{MN: mn1, Password: "123456", Protocol: "2017", Outlet: "O1", ST: "31"}},
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	up := newUpper(t)
	cfg := `targets:
  - name: prov
    address: ` + up.ln.Addr().String() + `
    select: {all: true}
    data: [minute]
    ack_timeout: 1s
    window: 8
`
	// The routes are the forwarding process's; until one runs, store
	// them as it will so that the first commits are queued.
	fc, err := forward.Parse("f.yaml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := New(st.(Store), fc, Options{}).Reload(ctx); err != nil {
		t.Fatal(err)
	}

	// Uploads are committed throughout, 5 a batch.
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	var (
		cmu       sync.Mutex
		committed = map[string]bool{}
		next      int
	)
	commit := func(n int) {
		t.Helper()
		cmu.Lock()
		defer cmu.Unlock()
		ups := minutes(mn1, t0.Add(time.Duration(next)*time.Minute), n)
		next += n
		if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups}); err != nil {
			t.Error(err)
			return
		}
		for _, u := range ups {
			committed[mn1+" 2051 "+string(hj212.FormatTime(nil, u.DataTime))] = true
		}
	}
	stopCommits := make(chan struct{})
	commitsDone := make(chan struct{})
	go func() {
		defer close(commitsDone)
		for {
			select {
			case <-stopCommits:
				return
			case <-time.After(50 * time.Millisecond):
				commit(5)
			}
		}
	}()
	received := func(n int) func() bool {
		return func() bool { return len(up.got) >= n }
	}
	committedN := func() int {
		cmu.Lock()
		defer cmu.Unlock()
		return len(committed)
	}

	a := startForwarder(t, "A", dsn, cfg)
	if l := a.next(t, time.Minute); l != "leading" {
		t.Fatalf("A: %s", l)
	}
	b := startForwarder(t, "B", dsn, cfg)
	up.waitFor(t, "A's first uploads", received(20))
	// B tries the lock at its start and every DefaultRetry: three tries
	// find it held, and A forwards on meanwhile.
	b.tried(t, 3)
	n := committedN()
	up.waitFor(t, "A forwarding on", received(n))

	// A's machine is lost: frozen, its database session stays open but
	// silent. The database ends it after store.SessionLockIdle, B takes
	// over at its next try.
	a.cmd.Process.Signal(syscall.SIGSTOP)
	frozen := time.Now()
	bound := store.SessionLockIdle + DefaultRetry
	if l := b.next(t, bound+60*time.Second); l != "leading" {
		t.Fatalf("B: %s", l)
	}
	tookFrozen := time.Since(frozen)
	n = committedN()
	up.waitFor(t, "B forwarding what was committed", received(n))
	// A thawed finds its session gone and stops forwarding.
	a.cmd.Process.Signal(syscall.SIGCONT)
	if l := a.next(t, store.SessionLockPing+store.SessionLockIdle+60*time.Second); l != "following" {
		t.Fatalf("A after the thaw: %s", l)
	}

	// B is killed: its session ends with its process, A (retrying) takes
	// over at its next try.
	b.cmd.Process.Kill()
	killed := time.Now()
	if l := a.next(t, DefaultRetry+60*time.Second); l != "leading" {
		t.Fatalf("A after B's kill: %s", l)
	}
	tookKilled := time.Since(killed)

	close(stopCommits)
	<-commitsDone
	n = committedN()
	up.waitFor(t, "every committed upload", received(n))
	for {
		qs, err := st.ForwardQueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 || qs[0].Depth == 0 {
			break
		}
		up.waitFor(t, "the queue to drain", func() bool { return true })
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	dup := 0
	for k, c := range up.got {
		if !committed[k] {
			t.Errorf("the upper platform received %s, never committed", k)
		}
		dup += c - 1
	}
	if len(up.got) != len(committed) {
		t.Errorf("the upper platform holds %d uploads, %d committed", len(up.got), len(committed))
	}
	t.Logf("%d uploads committed, each stored once upstream (%d frames sent again across the take-overs); take-over after a freeze %s (bound %s: idle_session_timeout %s + retry %s), after a kill %s (bound: retry %s)",
		len(committed), dup, tookFrozen.Round(time.Millisecond), bound, store.SessionLockIdle, DefaultRetry, tookKilled.Round(time.Millisecond), DefaultRetry)
	if tookFrozen > bound+10*time.Second || tookKilled > DefaultRetry+10*time.Second {
		t.Errorf("take-over beyond its bound (+10 s for a loaded machine): after a freeze %s, after a kill %s", tookFrozen, tookKilled)
	}
}
