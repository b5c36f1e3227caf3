package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// testCache is a figureCache on a clock the test moves and a data version
// it sets.
type testCache struct {
	*figureCache
	mu  sync.Mutex
	now time.Time
	ver atomic.Uint64
}

func newTestCache() *testCache {
	tc := &testCache{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tc.figureCache = newFigureCache(tc.ver.Load, nil)
	tc.clock = func() time.Time { tc.mu.Lock(); defer tc.mu.Unlock(); return tc.now }
	return tc
}

func (tc *testCache) advance(d time.Duration) { tc.mu.Lock(); tc.now = tc.now.Add(d); tc.mu.Unlock() }

// reset forgets every entry (the benchmark's uncached requests).
func (c *figureCache) reset() {
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

func (c *figureCache) countComputes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.computes
}

// Many viewers arriving at an empty cache wait for one computation and
// all get its figures.
func TestFigureCacheSingleFlight(t *testing.T) {
	tc := newTestCache()
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	var calls atomic.Int32
	compute := func(ctx context.Context) (int, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return 42, nil
	}
	const viewers = 50
	var wg sync.WaitGroup
	got := make([]int, viewers)
	errs := make([]error, viewers)
	for i := range viewers {
		wg.Go(func() { got[i], errs[i] = cached(context.Background(), tc.figureCache, "k", compute) })
	}
	<-started
	// Every viewer is either waiting on the computation or about to join
	// it; none may start another.
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d computations for %d concurrent viewers, want 1", n, viewers)
	}
	for i := range viewers {
		if errs[i] != nil || got[i] != 42 {
			t.Errorf("viewer %d: %d, %v", i, got[i], errs[i])
		}
	}
}

// A stale entry is served at once while one background computation
// replaces it; a fresh one is served without computing.
func TestFigureCacheStaleWhileRevalidate(t *testing.T) {
	tc := newTestCache()
	var n atomic.Int32
	block := make(chan struct{})
	compute := func(ctx context.Context) (int, error) {
		k := n.Add(1)
		if k == 2 {
			<-block // the refresh runs while viewers keep reading
		}
		return int(k), nil
	}
	get := func() int {
		v, err := cached(context.Background(), tc.figureCache, "k", compute)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(); v != 1 {
		t.Fatalf("first: %d", v)
	}
	tc.advance(30 * time.Second)
	if v := get(); v != 1 || n.Load() != 1 {
		t.Fatalf("within the maximum age: %d after %d computations", v, n.Load())
	}
	tc.advance(31 * time.Second) // 61 s: stale
	for range 20 {
		if v := get(); v != 1 {
			t.Fatalf("during the refresh a viewer got %d, want the previous figures", v)
		}
	}
	close(block)
	tc.wg.Wait()
	if c := n.Load(); c != 2 {
		t.Errorf("%d computations, want 2 (one refresh for 20 stale reads)", c)
	}
	if v := get(); v != 2 {
		t.Errorf("after the refresh: %d", v)
	}
}

// A change of the data version refreshes the figures, but not sooner than
// the minimum age.
func TestFigureCacheDataVersion(t *testing.T) {
	tc := newTestCache()
	var n atomic.Int32
	compute := func(ctx context.Context) (int, error) { return int(n.Add(1)), nil }
	get := func() int {
		v, err := cached(context.Background(), tc.figureCache, "k", compute)
		if err != nil {
			t.Fatal(err)
		}
		tc.wg.Wait()
		return v
	}
	get()
	tc.ver.Store(1)
	tc.advance(20 * time.Second)
	get()
	if c := n.Load(); c != 1 {
		t.Errorf("recomputed %d times within the minimum age", c-1)
	}
	tc.advance(11 * time.Second) // 31 s, version changed
	get()
	if c := n.Load(); c != 2 {
		t.Errorf("%d computations after a data change past the minimum age, want 2", c)
	}
	if v := get(); v != 2 {
		t.Errorf("figures %d after the refresh, want 2", v)
	}
	tc.advance(25 * time.Second) // same version, 25 s old: fresh
	get()
	if c := n.Load(); c != 2 {
		t.Errorf("recomputed without a data change within the maximum age")
	}
}

// Errors and panics are not cached: the waiters get the error, the next
// request computes again.
func TestFigureCacheErrors(t *testing.T) {
	tc := newTestCache()
	boom := errors.New("store down")
	var n atomic.Int32
	compute := func(ctx context.Context) (int, error) {
		switch n.Add(1) {
		case 1:
			return 0, boom
		case 2:
			panic("bad figures")
		}
		return 7, nil
	}
	if _, err := cached(context.Background(), tc.figureCache, "k", compute); !errors.Is(err, boom) {
		t.Errorf("first: %v, want the store's error", err)
	}
	if _, err := cached(context.Background(), tc.figureCache, "k", compute); err == nil {
		t.Error("a panic in a computation was not turned into an error")
	}
	if v, err := cached(context.Background(), tc.figureCache, "k", compute); err != nil || v != 7 {
		t.Errorf("third: %d, %v", v, err)
	}
	// A failed refresh keeps the previous figures.
	tc.advance(2 * time.Minute)
	fail := func(ctx context.Context) (int, error) { return 0, boom }
	if v, err := cached(context.Background(), tc.figureCache, "k", fail); err != nil || v != 7 {
		t.Errorf("stale read: %d, %v", v, err)
	}
	tc.wg.Wait()
	if v, err := cached(context.Background(), tc.figureCache, "k", fail); err != nil || v != 7 {
		t.Errorf("after a failed refresh: %d, %v, want the previous figures", v, err)
	}
}

// A viewer who leaves does not cancel the computation the others wait for.
func TestFigureCacheViewerLeaves(t *testing.T) {
	tc := newTestCache()
	release := make(chan struct{})
	started := make(chan struct{})
	compute := func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 1, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := cached(ctx, tc.figureCache, "k", compute); done <- err }()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the leaving viewer got %v", err)
	}
	other := make(chan error)
	go func() { _, err := cached(context.Background(), tc.figureCache, "k", compute); other <- err }()
	close(release)
	if err := <-other; err != nil {
		t.Errorf("the computation was cancelled with its first viewer: %v", err)
	}
}

// The cache holds a bounded number of keys (the air page's period is
// chosen by the caller).
func TestFigureCacheBounded(t *testing.T) {
	tc := newTestCache()
	for i := range 3 * figureMaxEntries {
		tc.advance(time.Millisecond)
		if _, err := cached(context.Background(), tc.figureCache, fmt.Sprint(i), func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	tc.figureCache.mu.Lock()
	n := len(tc.entries)
	tc.figureCache.mu.Unlock()
	if n > figureMaxEntries {
		t.Errorf("%d entries, bound %d", n, figureMaxEntries)
	}
}

// The overview and air page compute their figures once for many
// requests (the handler's cache, not a test double).
func TestPagesShareFigures(t *testing.T) {
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	for _, path := range []string{"/", "/air", "/?lang=en", "/air?period=2025-05"} {
		before := h.figs.countComputes()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if w := get(t, h, path); w.Code != http.StatusOK {
					t.Errorf("%s: %d", path, w.Code)
				}
			})
		}
		wg.Wait()
		if n := h.figs.countComputes() - before; n != 1 {
			t.Errorf("%s: %d computations for 8 viewers, want 1", path, n)
		}
	}
}

// BenchmarkFigures compares a page served from the shared figures with
// the same page recomputed per request, and reports the ratio.
func BenchmarkFigures(b *testing.B) {
	h, _ := newTestHandler(b, storetest.SQLite, Config{})
	for _, path := range []string{"/", "/air"} {
		b.Run(path, func(b *testing.B) {
			timeOf := func(f func()) time.Duration {
				const n = 5
				start := time.Now()
				for range n {
					f()
				}
				return time.Since(start) / n
			}
			uncached := timeOf(func() {
				h.figs.reset()
				if w := get(b, h, path); w.Code != 200 {
					b.Fatal(w.Code)
				}
			})
			b.ResetTimer()
			for b.Loop() {
				if w := get(b, h, path); w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
			cachedT := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(uncached.Microseconds())/1000, "uncached-ms/op")
			b.ReportMetric(float64(cachedT)/float64(uncached), "cached/uncached")
		})
	}
}
