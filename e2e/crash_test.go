package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
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
	dsn := "sqlite:" + filepath.Join(dir, "ecowatch.db")
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
	type key struct {
		dev int
		t   time.Time
	}
	var mu sync.Mutex
	acked := map[key]string{} // expected values of each acknowledged upload
	var sent, ackCount atomic.Int64

	stop := make(chan struct{})
	var wg sync.WaitGroup
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, hj212.CST())
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &device{mn: deviceMN(i), pw: "123456", addr: func() string { return addr.Load().(string) }}
			defer d.close()
			for k := 0; ; {
				select {
				case <-stop:
					return
				default:
				}
				dt := base.Add(time.Duration(k) * time.Minute)
				vals := minuteValues(i, k)
				sent.Add(1)
				if err := d.send("2051", dt, vals, 2*time.Second); err != nil {
					// Not acknowledged: retransmit the same upload.
					time.Sleep(20 * time.Millisecond)
					continue
				}
				mu.Lock()
				acked[key{i, dt.UTC()}] = kvString(vals)
				mu.Unlock()
				ackCount.Add(1)
				k++
			}
		}()
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for c := range cycles {
		s := startServer(t, dir, "--batch-interval", "2ms")
		addr.Store(s.gateway)
		before := ackCount.Load()
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		s.kill(t)
		t.Logf("cycle %d: killed after %d new acks", c, ackCount.Load()-before)
	}
	// A last run lets devices finish the frames in flight, then stops cleanly.
	s := startServer(t, dir)
	addr.Store(s.gateway)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	s.kill(t)

	if ackCount.Load() < int64(devices*cycles) {
		t.Fatalf("only %d uploads acknowledged in %d cycles: the test did not exercise the gateway", ackCount.Load(), cycles)
	}

	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ups, err := st.Uploads(ctx, store.UploadQuery{CN: "2051", Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[key]string{}
	mnIndex := map[string]int{}
	for i := range devices {
		mnIndex[deviceMN(i)] = i
	}
	for _, u := range ups {
		k := key{mnIndex[u.MN], u.DataTime.UTC()}
		if _, dup := stored[k]; dup {
			t.Errorf("upload %s %s stored twice", u.MN, u.DataTime)
		}
		stored[k] = sortedValues(u)
	}
	lost := 0
	for k, want := range acked {
		got, ok := stored[k]
		if !ok {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged upload of device %d at %s is lost", k.dev, k.t)
			}
			continue
		}
		if got != sortKV(want) {
			t.Errorf("device %d at %s: stored %q, acknowledged %q", k.dev, k.t, got, want)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged uploads lost", lost, len(acked))
	}
	t.Logf("%d uploads sent (with retransmissions), %d acknowledged, %d stored, all acknowledged ones present exactly once",
		sent.Load(), len(acked), len(stored))
}

// sortedValues renders an upload's values in the form kvString uses, sorted.
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
