package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// figureCache holds the figures the busiest pages show (the overview, the
// air page, the big screen), computed once and shared by every viewer:
// a wall screen in every office and the public overview must not each
// recompute a year of air statistics per request.
//
// An entry is fresh for MaxAge (60 s), or until the data version changes
// and it is at least MinAge old (so that a gateway committing every
// second does not turn the cache into a recomputation per second). A
// stale entry is still served while one goroutine recomputes it
// (stale-while-revalidate); only the first request for a key waits, and
// all requests arriving meanwhile wait for that one computation
// (single flight): no thundering herd, whatever the number of viewers.
type figureCache struct {
	// version returns the data version (nil: time only).
	version func() uint64
	// clock measures ages; the wall clock, not Config.Now (which tests
	// and the demo may pin to a fixed "now").
	clock          func() time.Time
	minAge, maxAge time.Duration
	maxEntries     int
	// timeout bounds a computation, detached from the request that
	// started it (its viewer may leave; the others still wait for it).
	timeout time.Duration
	log     func(key string, err error)

	mu      sync.Mutex
	entries map[string]*figureEntry
	wg      sync.WaitGroup // background refreshes, for tests and shutdown
	// computes counts computations, for tests and the benchmark.
	computes int
}

type figureEntry struct {
	val        any
	ok         bool // val holds a computed value
	at         time.Time
	ver        uint64
	used       time.Time     // last served, for eviction
	inflight   chan struct{} // closed when the running computation ends; nil when none runs
	err        error         // the last computation's error, for its waiters
	refreshing bool
}

const (
	figureMaxAge     = 60 * time.Second
	figureMinAge     = 30 * time.Second
	figureMaxEntries = 256
)

func newFigureCache(version func() uint64, log func(string, error)) *figureCache {
	if log == nil {
		log = func(string, error) {}
	}
	return &figureCache{version: version, clock: time.Now, minAge: figureMinAge, maxAge: figureMaxAge,
		maxEntries: figureMaxEntries, timeout: 2 * time.Minute, log: log, entries: map[string]*figureEntry{}}
}

func (c *figureCache) ver() uint64 {
	if c.version == nil {
		return 0
	}
	return c.version()
}

// fresh reports whether e may be served without recomputation.
func (c *figureCache) fresh(e *figureEntry, now time.Time, ver uint64) bool {
	age := now.Sub(e.at)
	if age >= c.maxAge {
		return false
	}
	return ver == e.ver || age < c.minAge
}

// get returns the figures of key, computing them with compute when there
// are none yet (waiting for a computation already running) and refreshing
// them in the background when stale.
func (c *figureCache) get(ctx context.Context, key string, compute func(context.Context) (any, error)) (any, error) {
	ver := c.ver()
	now := c.clock()
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		c.evictLocked()
		e = &figureEntry{}
		c.entries[key] = e
	}
	e.used = now
	if e.ok {
		if !c.fresh(e, now, ver) && !e.refreshing {
			e.refreshing = true
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.run(key, e, ver, compute)
			}()
		}
		v := e.val
		c.mu.Unlock()
		return v, nil
	}
	// Nothing to serve yet: join the running computation or start one.
	if e.inflight == nil {
		e.inflight = make(chan struct{})
		e.refreshing = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.run(key, e, ver, compute)
		}()
	}
	ch := e.inflight
	c.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.ok {
		return e.val, nil
	}
	return nil, e.err
}

// run computes key's figures once and publishes them to e.
func (c *figureCache) run(key string, e *figureEntry, ver uint64, compute func(context.Context) (any, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	v, err := safeCompute(ctx, compute)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.computes++
	if err == nil {
		e.val, e.ok, e.at, e.ver = v, true, c.clock(), ver
	} else if e.ok {
		// Keep serving the figures we have; the next request retries.
		c.log(key, err)
	}
	e.err = err
	e.refreshing = false
	if e.inflight != nil {
		close(e.inflight)
		e.inflight = nil
	}
	if !e.ok && c.entries[key] == e {
		// An error is never cached: the next request computes again.
		delete(c.entries, key)
	}
}

// safeCompute turns a panic in a page's computation into an error: it
// runs on a goroutine of its own, where a panic would end the process.
func safeCompute(ctx context.Context, compute func(context.Context) (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("dashboard: computing figures: panic: %v", p)
		}
	}()
	return compute(ctx)
}

// evictLocked drops the least recently served entry with no computation
// running when the cache is full (keys include query parameters such as
// the air page's period, which a caller can vary at will).
func (c *figureCache) evictLocked() {
	if len(c.entries) < c.maxEntries {
		return
	}
	var oldest string
	var at time.Time
	for k, e := range c.entries {
		if e.inflight != nil || e.refreshing {
			continue
		}
		if oldest == "" || e.used.Before(at) {
			oldest, at = k, e.used
		}
	}
	if oldest != "" {
		delete(c.entries, oldest)
	}
}

// cached is figureCache.get with the figures' type.
func cached[T any](ctx context.Context, c *figureCache, key string, compute func(context.Context) (T, error)) (T, error) {
	v, err := c.get(ctx, key, func(ctx context.Context) (any, error) { return compute(ctx) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
