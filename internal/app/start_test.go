package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
)

var errInjected = errors.New("test: injected failure")

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// events records the hook's events and can fail one start.
type events struct {
	mu     sync.Mutex
	list   []string
	failAt string
}

func (e *events) hook(ev string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	if ev == "start "+e.failAt {
		return errInjected
	}
	return nil
}

func (e *events) with(prefix string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.list {
		if name, ok := strings.CutPrefix(ev, prefix); ok {
			out = append(out, name)
		}
	}
	return out
}

// fullConfig starts every component app.Start has: store, alert rules,
// embedded NATS, bus connection and writer, gateway, ledger, dashboard,
// HTTP, the background loops and the ready file.
func fullConfig(t *testing.T) (Config, string, string) {
	dir := t.TempDir()
	gwAddr, httpAddr := freeAddr(t), freeAddr(t)
	return Config{DataDir: dir, HTTPAddr: httpAddr, Gateway: gateway.Config{Addr: gwAddr},
		Bus: &bus.Config{Partitions: 2}, BusDir: filepath.Join(dir, "nats"),
		RegistryReload: time.Hour, ReadyFile: filepath.Join(dir, "ready.json")}, gwAddr, httpAddr
}

// settledGoroutines waits until the goroutine count is at most n (what
// was stopped may take a moment to return) and reports the stacks if not.
func settledGoroutines(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%s: %d goroutines, %d before the start:\n%s", what, runtime.NumGoroutine(), n, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listenable(t *testing.T, addr, what string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("%s %s still taken after the failed start: %v", what, addr, err)
		return
	}
	ln.Close()
}

// TestStartFailsCleanly: each component of Start fails in turn; Start
// returns the error, and everything started before that component is
// stopped, in the reverse order of its start: no goroutine left, the
// listeners closed, the store closed (its file can be opened again by
// the next run).
func TestStartFailsCleanly(t *testing.T) {
	ctx := context.Background()
	// A full start and shutdown: the steps and the order they stop in.
	cfg, _, _ := fullConfig(t)
	var all events
	cfg.hook = all.hook
	a, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	steps, stops := all.with("start "), all.with("stop ")
	for _, want := range []string{"store", "alert rules", "embedded NATS server", "bus connection", "bus writer", "gateway",
		"emission-rights ledger", "HTTP", "escalation ladder", "registry reload", "roll-ups", "ready file"} {
		if !slices.Contains(steps, want) {
			t.Fatalf("no step %q in %v", want, steps)
		}
	}
	// Stopped in reverse order of start.
	var startedOrder []string
	for _, s := range steps {
		if slices.Contains(stops, s) {
			startedOrder = append(startedOrder, s)
		}
	}
	rev := slices.Clone(startedOrder)
	slices.Reverse(rev)
	if !slices.Equal(stops, rev) {
		t.Fatalf("stopped in the order %v, want the reverse of the start %v", stops, startedOrder)
	}

	for i, step := range steps {
		t.Run(strings.ReplaceAll(step, " ", "_"), func(t *testing.T) {
			base := runtime.NumGoroutine()
			cfg, gwAddr, httpAddr := fullConfig(t)
			ev := events{failAt: step}
			cfg.hook = ev.hook
			a, err := Start(ctx, cfg)
			if !errors.Is(err, errInjected) {
				if a != nil {
					a.Shutdown(ctx)
				}
				t.Fatalf("Start failing at %q: %v, want the injected error", step, err)
			}
			var want []string
			for _, s := range steps[:i] {
				if slices.Contains(stops, s) {
					want = append(want, s)
				}
			}
			slices.Reverse(want)
			if got := ev.with("stop "); !slices.Equal(got, want) {
				t.Errorf("failing at %q stopped %v, want %v", step, got, want)
			}
			settledGoroutines(t, base, "after failing at "+step)
			listenable(t, gwAddr, "gateway address")
			listenable(t, httpAddr, "HTTP address")
			if _, err := os.Stat(cfg.ReadyFile); err == nil {
				t.Errorf("ready file written by a failed start")
			}
		})
	}
}

// TestStartGatewayPortTaken: a real failure of a late component (the
// gateway's port is taken) stops the bus, the embedded NATS server, the
// alert rules and the store that had started.
func TestStartGatewayPortTaken(t *testing.T) {
	ctx := context.Background()
	base := runtime.NumGoroutine()
	cfg, gwAddr, httpAddr := fullConfig(t)
	ln, err := net.Listen("tcp", gwAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var ev events
	cfg.hook = ev.hook
	a, err := Start(ctx, cfg)
	if err == nil {
		a.Shutdown(ctx)
		t.Fatal("Start succeeded with the gateway's port taken")
	}
	if !strings.Contains(err.Error(), "cannot start gateway") {
		t.Errorf("error %q does not name the gateway", err)
	}
	want := []string{"bus writer", "bus connection", "embedded NATS server", "alert rules", "store"}
	if got := ev.with("stop "); !slices.Equal(got, want) {
		t.Errorf("stopped %v, want %v", got, want)
	}
	settledGoroutines(t, base, "after the gateway failed")
	listenable(t, httpAddr, "HTTP address")
	// The store was closed: the next start opens it and runs.
	cfg.Gateway.Addr = freeAddr(t)
	cfg.hook = nil
	a, err = Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start after the failed one: %v", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
