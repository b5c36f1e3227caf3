package auth

import (
	"net"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys a Limiter holds: a flood from many
// addresses or of many user names cannot grow its memory without bound.
const DefaultMaxKeys = 100000

// Limiter counts attempts (or failures, or requests) per key in a fixed
// window: once a key has Max within Window, Allow is false until the
// window that began with its first count has passed. Memory is bounded by
// MaxKeys: expired keys are pruned when the map is full, and if every key
// is live an arbitrary one is evicted (an attacker who can fill the map
// from that many addresses gains at most one fresh window per eviction).
type Limiter struct {
	Max     int
	Window  time.Duration
	MaxKeys int // 0 means DefaultMaxKeys

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
	l.count(key, now)
}

// count adds one to key; l.mu is held.
func (l *Limiter) count(key string, now time.Time) {
	if l.keys == nil {
		l.keys = map[string]*window{}
	}
	w := l.keys[key]
	if w != nil && now.Sub(w.start) < l.Window {
		w.n++
		return
	}
	if w == nil {
		l.makeRoom(now)
	}
	l.keys[key] = &window{start: now, n: 1}
}

// makeRoom keeps the map under MaxKeys before a new key; l.mu is held.
func (l *Limiter) makeRoom(now time.Time) {
	max := l.MaxKeys
	if max <= 0 {
		max = DefaultMaxKeys
	}
	if len(l.keys) < max {
		return
	}
	for k, v := range l.keys {
		if now.Sub(v.start) >= l.Window {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < max {
			break
		}
		delete(l.keys, k)
	}
}

// Take counts one against key and reports whether it was allowed, as one
// step: of many concurrent callers of one key at most Max get true within
// a window. A refused take is not counted. Login reserves its attempt this
// way before the slow password check, so concurrency cannot overrun it.
func (l *Limiter) Take(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.keys[key]; w != nil && now.Sub(w.start) < l.Window && w.n >= l.Max {
		return false
	}
	l.count(key, now)
	return true
}

// Release gives back one count taken at or after start (a reservation that
// turned out not to be a failure). A count of an earlier window is gone
// already and is not given back.
func (l *Limiter) Release(key string, start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.keys[key]; w != nil && !start.Before(w.start) && w.n > 0 {
		w.n--
	}
}

// Reset forgets key.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// Len is the number of keys held (for tests and metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// AddressKey is the rate-limit key of a client address: the address
// itself for IPv4, its /64 network for IPv6 (one subscriber usually holds
// a whole /64, so per-address IPv6 limits would be no limit at all).
func AddressKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil || a.To4() != nil {
		return ip
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
