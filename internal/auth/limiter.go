package auth

import (
	"sync"
	"time"
)

// Limiter counts failures (or requests) per key in a fixed window: once a
// key has Max within Window, Allow is false until the window that began
// with its first count has passed. Memory is bounded by pruning expired
// keys when the map grows.
type Limiter struct {
	Max    int
	Window time.Duration

	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// NewLimiter returns a limiter of max per window.
func NewLimiter(max int, win time.Duration) *Limiter {
	return &Limiter{Max: max, Window: win, keys: map[string]*window{}}
}

// Allow reports whether key is under its limit at now (it does not count).
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys[key]
	if w == nil || now.Sub(w.start) >= l.Window {
		return true
	}
	return w.n < l.Max
}

// Fail counts one against key at now.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys[key]
	if w == nil || now.Sub(w.start) >= l.Window {
		if len(l.keys) >= 100000 {
			for k, v := range l.keys {
				if now.Sub(v.start) >= l.Window {
					delete(l.keys, k)
				}
			}
		}
		l.keys[key] = &window{start: now, n: 1}
		return
	}
	w.n++
}

// Take counts one against key and reports whether it was allowed (for
// request rate limits such as public intake).
func (l *Limiter) Take(key string, now time.Time) bool {
	if !l.Allow(key, now) {
		return false
	}
	l.Fail(key, now)
	return true
}

// Reset forgets key.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}
