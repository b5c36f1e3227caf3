package gateway

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Lockout is a source address locked out for failed device
// authentications (Scope "source"), or a device whose password is being
// guessed from several addresses (Scope "device": addresses it never
// authenticated from now wait between attempts). Config.OnLockout
// receives it.
type Lockout struct {
	Scope    string    // LockoutSource or LockoutDevice
	Source   string    // the address (IPv4) or /64 (IPv6) that failed; for Scope "device", the last one
	Remote   string    // ip:port of the connection that tripped it
	MNs      []string  // registered devices it failed on (at most 4)
	Failures int       // failed attempts counted so far
	At       time.Time // when it tripped
	Until    time.Time // when the source may try again (Scope "source")
}

// Lockout scopes.
const (
	LockoutSource = "source"
	LockoutDevice = "device"
)

// guardVerdict is what the authentication guard says about an attempt.
type guardVerdict uint8

const (
	guardAllow   guardVerdict = iota
	guardDelayed              // the source waits after a recent failure
	guardLocked               // the source is locked out
	guardDevice               // the device is guarded: only its usual addresses may try now
)

// Reasons archived with a frame whose password was not checked.
const (
	reasonAuthDelayed = "authentication delayed: source failed recently"
	reasonAuthLocked  = "authentication refused: source locked out"
	reasonAuthDevice  = "authentication refused: device under attack, unusual address"
)

// overflowBuckets share the state of sources the table has no room for:
// an attacker cycling addresses lands in them and is throttled with the
// others of its bucket instead of growing memory or resetting its count.
const overflowBuckets = 1024

// srcState is one source's failures. Delays and lockouts are kept per
// device the source failed on: many data loggers share one carrier NAT
// address, and one of them with a wrong password must not shut out its
// neighbours. A source that fails on more devices than it can be tracked
// for is scanning, and is locked out as a whole.
type srcState struct {
	fails    int // failures of the source, on every device
	lockouts int // whole-source lockouts
	lastFail time.Time
	until    time.Time // whole-source lockout: no password is checked before this
	mns      [4]mnState
	nmns     int // how many distinct MNs (may exceed len(mns))
}

// mnState is one source's failures on one registered device.
type mnState struct {
	mn       string
	fails    int
	lockouts int
	until    time.Time // this source's attempts on mn wait until this
	locked   bool      // until ends a lockout, not a delay
}

// latest is when the source's last delay or lockout ends.
func (s *srcState) latest() time.Time {
	t := s.until
	for i := range min(s.nmns, len(s.mns)) {
		t = maxTime(t, s.mns[i].until)
	}
	return t
}

// mn returns the source's state on mn, nil when it never failed on it.
func (s *srcState) mn(mn string) *mnState {
	for i := range min(s.nmns, len(s.mns)) {
		if s.mns[i].mn == mn {
			return &s.mns[i]
		}
	}
	return nil
}

// devState is one registered device's usual addresses and the failures
// against it from other addresses.
type devState struct {
	usual    [4]netip.Prefix // most recent first
	fails    int
	lastFail time.Time
	until    time.Time // unusual addresses wait until this
	alarmed  bool      // a device-scope Lockout was emitted for this run of failures
}

// authGuard counts failed device authentications per source and per
// device, delays and locks out sources, and guards attacked devices. Its
// memory is bounded: sources by Config.AuthSources plus a fixed array of
// overflow buckets, devices by the registry (only registered MNs get an
// entry). It is consulted only when a device starts a session on a
// connection or fails: an authenticated connection's frames never touch it.
type authGuard struct {
	cfg       *Config
	seed      maphash.Seed
	mu        sync.Mutex
	sources   map[netip.Prefix]*srcState
	overflow  [overflowBuckets]srcState
	devices   map[string]*devState
	lastPrune time.Time
}

func newAuthGuard(cfg *Config) *authGuard {
	return &authGuard{cfg: cfg, seed: maphash.MakeSeed(), sources: make(map[netip.Prefix]*srcState), devices: make(map[string]*devState)}
}

// sourceKey is the unit a source is counted by: the address for IPv4, the
// /64 for IPv6 (one subscriber's allocation, which it can cycle freely).
func sourceKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// quiet is when a state's failures may be forgotten: AuthForget after its
// last failure or the end of its delay or lockout, whichever is later.
func quiet(lastFail, until time.Time, forget time.Duration) time.Time {
	return maxTime(lastFail, until).Add(forget)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lookup returns the source's state, nil when it has none. Caller holds mu.
func (g *authGuard) lookup(src netip.Prefix) *srcState {
	if st, ok := g.sources[src]; ok {
		return st
	}
	if len(g.sources) >= g.cfg.AuthSources {
		return &g.overflow[g.bucket(src)]
	}
	return nil
}

func (g *authGuard) bucket(src netip.Prefix) int {
	var h maphash.Hash
	h.SetSeed(g.seed)
	b := src.Addr().As16()
	h.Write(b[:])
	return int(h.Sum64() % overflowBuckets)
}

// entry returns the source's state, creating it (or falling back to its
// overflow bucket) when needed. Caller holds mu.
func (g *authGuard) entry(src netip.Prefix, now time.Time) *srcState {
	if st, ok := g.sources[src]; ok {
		return st
	}
	if len(g.sources) >= g.cfg.AuthSources && now.Sub(g.lastPrune) >= time.Second {
		// At most one sweep a second, so a flood of new addresses costs
		// O(1) per failure on average.
		g.lastPrune = now
		for k, st := range g.sources {
			if !now.Before(quiet(st.lastFail, st.latest(), g.cfg.AuthForget)) {
				delete(g.sources, k)
			}
		}
	}
	if len(g.sources) >= g.cfg.AuthSources {
		return &g.overflow[g.bucket(src)]
	}
	st := new(srcState)
	g.sources[src] = st
	return st
}

func (d *devState) isUsual(src netip.Prefix) bool {
	return src.IsValid() && slices.Contains(d.usual[:], src)
}

func (s *srcState) failedOn(mn string) bool {
	if s.nmns > len(s.mns) {
		return true // tried too many devices to tell: treat as every one
	}
	return s.mn(mn) != nil
}

// check is asked before a new session's password is compared. A source
// waits after failing on a device, and is locked out from it after
// AuthLockoutAfter failures; its attempts on other devices go on (data
// loggers behind one carrier NAT address share it). A source locked out
// as a whole (it failed on too many devices) is refused without a check,
// except for a device it has never failed on whose usual address it is. A
// device under attack accepts attempts from unusual addresses only once
// its own delay has passed.
func (g *authGuard) check(src netip.Prefix, mn string, now time.Time) (guardVerdict, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	dev := g.devices[mn]
	usual := dev != nil && dev.isUsual(src)
	if st := g.lookup(src); st != nil {
		if now.Before(st.until) && !(usual && !st.failedOn(mn)) {
			return guardLocked, st.until
		}
		if m := st.mn(mn); m != nil && now.Before(m.until) {
			if m.locked {
				return guardLocked, m.until
			}
			return guardDelayed, m.until
		}
	}
	if dev != nil && !usual && now.Before(dev.until) {
		return guardDevice, dev.until
	}
	return guardAllow, time.Time{}
}

// success records a device's authenticated session from src.
func (g *authGuard) success(src netip.Prefix, mn string) {
	if !src.IsValid() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	dev := g.devices[mn]
	if dev == nil {
		dev = new(devState)
		g.devices[mn] = dev
	}
	i := slices.Index(dev.usual[:], src)
	if i < 0 {
		i = len(dev.usual) - 1
	}
	copy(dev.usual[1:i+1], dev.usual[:i])
	dev.usual[0] = src
}

// fail records a wrong password for the registered device mn from src
// and returns the lockouts it trips (at most one per scope).
func (g *authGuard) fail(src netip.Prefix, mn string, now time.Time) []Lockout {
	cfg := g.cfg
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Lockout
	st := g.entry(src, now)
	if !now.Before(quiet(st.lastFail, st.latest(), cfg.AuthForget)) {
		*st = srcState{}
	}
	st.fails++
	st.lastFail = now
	m := st.mn(mn)
	if m == nil {
		if st.nmns < len(st.mns) {
			st.mns[st.nmns] = mnState{mn: mn}
			m = &st.mns[st.nmns]
		}
		st.nmns++
	}
	switch {
	case m == nil:
		// More devices than a source is tracked for: it is scanning.
		// Lock it out as a whole, doubling with each such lockout.
		st.lockouts++
		st.until = now.Add(lockoutFor(cfg, st.lockouts))
		out = append(out, Lockout{Scope: LockoutSource, Source: src.String(), MNs: st.mnList(),
			Failures: st.fails, At: now, Until: st.until})
	case m.fails+1 >= cfg.AuthLockoutAfter:
		m.fails++
		m.lockouts++
		m.until, m.locked = now.Add(lockoutFor(cfg, m.lockouts)), true
		out = append(out, Lockout{Scope: LockoutSource, Source: src.String(), MNs: []string{mn},
			Failures: m.fails, At: now, Until: m.until})
	default:
		m.fails++
		m.until, m.locked = now.Add(backoff(cfg.AuthDelay, m.fails, cfg.AuthDelayMax)), false
	}

	dev := g.devices[mn]
	if dev == nil {
		dev = new(devState)
		g.devices[mn] = dev
	}
	if dev.isUsual(src) {
		return out // the device's own address: the source's count is enough
	}
	if !now.Before(quiet(dev.lastFail, dev.until, cfg.AuthForget)) {
		dev.fails, dev.alarmed = 0, false
	}
	dev.fails++
	dev.lastFail = now
	dev.until = now.Add(backoff(cfg.AuthDelay, dev.fails, cfg.AuthDeviceDelayMax))
	if dev.fails >= cfg.AuthLockoutAfter && !dev.alarmed {
		dev.alarmed = true
		out = append(out, Lockout{Scope: LockoutDevice, Source: src.String(), MNs: []string{mn}, Failures: dev.fails, At: now, Until: dev.until})
	}
	return out
}

// lockoutFor is the n-th lockout's length: AuthLockout doubled for each
// earlier one, capped by AuthLockoutMax.
func lockoutFor(cfg *Config, n int) time.Duration {
	return backoff(cfg.AuthLockout, n, cfg.AuthLockoutMax)
}

// mnList is the devices the source failed on (at most len(mns)).
func (s *srcState) mnList() []string {
	out := make([]string, 0, len(s.mns))
	for i := range min(s.nmns, len(s.mns)) {
		out = append(out, s.mns[i].mn)
	}
	return out
}

// backoff is base doubled for each failure after the first, capped.
func backoff(base time.Duration, fails int, limit time.Duration) time.Duration {
	d := base << min(fails-1, 30)
	if d > limit || d <= 0 {
		return limit
	}
	return d
}

// guardSize reports the tracked sources and devices (for metrics).
func (g *authGuard) size() (sources, devices int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sources), len(g.devices)
}
