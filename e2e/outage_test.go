package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/store"
)

// pgCluster is a private PostgreSQL server for one test, so that the test
// may stop it without disturbing anyone else.
type pgCluster struct {
	bin, dir string
	port     int
	asUser   []string // runuser prefix when running as root
}

func (c *pgCluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	full := append(append([]string{}, c.asUser...), append([]string{filepath.Join(c.bin, name)}, args...)...)
	out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *pgCluster) start(t *testing.T) {
	c.run(t, "pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "log"), "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on", c.port, c.dir), "start")
}

// stop stops the server the hard way: "immediate" aborts every backend
// without a checkpoint, as a crash would.
func (c *pgCluster) stop(t *testing.T) {
	c.run(t, "pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
}

func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("ECOWATCH_TEST_PG is set but no PostgreSQL server binaries were found under /usr/lib/postgresql")
	}
	sort.Strings(bins)
	c := &pgCluster{bin: filepath.Dir(bins[len(bins)-1])}
	parent, err := os.MkdirTemp("", "ecowatch-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	c.dir = filepath.Join(parent, "data")
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		os.Chmod(parent, 0o777)
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.run(t, "initdb", "-D", c.dir, "-A", "trust", "-U", "postgres", "--no-sync")
	c.start(t)
	t.Cleanup(func() {
		full := append(append([]string{}, c.asUser...), filepath.Join(c.bin, "pg_ctl"), "-D", c.dir, "-m", "immediate", "stop")
		exec.Command(full[0], full[1:]...).Run()
	})
	return c
}

// TestStoreOutage stops PostgreSQL mid-stream: while it is down nothing may
// be acknowledged; when it returns, the devices' retransmissions land, and
// in the end every acknowledged upload is stored exactly once.
func TestStoreOutage(t *testing.T) {
	if os.Getenv("ECOWATCH_TEST_PG") == "" {
		t.Skip("ECOWATCH_TEST_PG not set (.ci/run sets it)")
	}
	const devices = 16
	pg := newPGCluster(t)
	ctx := context.Background()

	st, err := store.Open(ctx, pg.dsn(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ImportRegistry(ctx, testRegistry(devices)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	gc := gateway.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	gc.BatchInterval = 2 * time.Millisecond
	gc.CommitRetryMin = 20 * time.Millisecond
	gc.CommitRetryMax = 200 * time.Millisecond
	a, err := app.Start(ctx, app.Config{DSN: pg.dsn(), Gateway: gc})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())

	var down atomic.Bool // set once the server is surely down
	var ackedWhileDown atomic.Int64
	stop := make(chan struct{})
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, hj212.CST())
	acks, wg := streamDevices(devices, a.GatewayAddr, base, time.Second, stop, func() {
		if down.Load() {
			ackedWhileDown.Add(1)
		}
	})

	waitAcks := func(n int64, within time.Duration) {
		t.Helper()
		target := acks.count.Load() + n
		deadline := time.Now().Add(within)
		for acks.count.Load() < target {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d acks within %s", acks.count.Load(), target, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(200, 30*time.Second)
	pg.stop(t)
	// Acks of batches committed just before the stop may still be on the
	// wire; after a moment none may arrive while the database is down.
	time.Sleep(300 * time.Millisecond)
	down.Store(true)
	time.Sleep(2 * time.Second)
	down.Store(false)
	if n := ackedWhileDown.Load(); n != 0 {
		t.Errorf("%d uploads acknowledged while PostgreSQL was down", n)
	}
	pg.start(t)
	waitAcks(200, 60*time.Second)
	close(stop)
	wg.Wait()

	st, err = store.Open(ctx, pg.dsn(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := verifyAcked(t, st, devices, acks)
	t.Logf("%d acknowledged, %d stored; none acknowledged while the database was down", acks.count.Load(), stored)
}
