package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestCrashNoAckedValueLost runs `ecowatch serve` as a separate process,
// streams minute data from many devices, kills the server with SIGKILL at
// random moments over many cycles, restarts it, and checks that every
// upload the gateway acknowledged (9014) is stored exactly once with the
// values sent. Devices retransmit what was not acknowledged, as HJ 212-2017
// §6.2 says they must.
func TestCrashNoAckedValueLost(t *testing.T) {
	const (
		devices = 24
		cycles  = 10
	)
	dir := t.TempDir()
	ctx := context.Background()
	dsn := storetest.SQLiteDSN(dir)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ImportRegistry(ctx, testRegistry(devices)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var addr atomic.Value
	addr.Store("127.0.0.1:1")
	stop := make(chan struct{})
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, hj212.CST())
	acks, wg := streamDevices(devices, func() string { return addr.Load().(string) }, base, 2*time.Second, stop, nil)

	rng := rand.New(rand.NewPCG(1, 2))
	for c := range cycles {
		s := startServer(t, dir, "--batch-interval", "2ms")
		addr.Store(s.gateway)
		before := acks.count.Load()
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		s.kill(t)
		t.Logf("cycle %d: killed after %d new acks", c, acks.count.Load()-before)
	}
	// A last run lets devices finish the frames in flight, then stops cleanly.
	s := startServer(t, dir)
	addr.Store(s.gateway)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	s.kill(t)

	if acks.count.Load() < int64(devices*cycles) {
		t.Fatalf("only %d uploads acknowledged in %d cycles: the test did not exercise the gateway", acks.count.Load(), cycles)
	}
	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := verifyAcked(t, st, devices, acks)
	t.Logf("%d uploads sent (with retransmissions), %d acknowledged, %d stored, all acknowledged ones present exactly once",
		acks.sent.Load(), acks.count.Load(), stored)
}

func sortedValues(u model.Upload) string {
	parts := make([]string, 0, len(u.Values))
	for _, v := range u.Values {
		parts = append(parts, v.Factor+"-"+v.Field+"="+v.Value)
	}
	sort.Strings(parts)
	return fmt.Sprint(parts)
}

func sortKV(s string) string {
	parts := splitSemi(s)
	sort.Strings(parts)
	return fmt.Sprint(parts)
}

func splitSemi(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ';' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
