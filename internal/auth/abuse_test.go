package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// floodLogins runs n concurrent wrong logins through s, with verify
// blocking every password check until each login has either reached the
// check or returned: so all n are in flight together, and the count of
// checks is how many got past the limits while the others were still
// being checked. It returns that count.
func floodLogins(t *testing.T, n int, user func(i int) string, ip func(i int) string, opt Options) int {
	t.Helper()
	m := newMem()
	h, _ := HashPassword("the-right-password", cheap)
	m.users["alice"] = model.User{ID: "alice", Role: model.RoleCity, PasswordHash: h}
	var checks atomic.Int64
	events := make(chan struct{}, n)
	release := make(chan struct{})
	opt.Params = cheap
	opt.MaxChecks = n // the limits alone are under test here
	opt.Verify = func(hash, pw string) (bool, error) {
		checks.Add(1)
		events <- struct{}{}
		<-release
		return VerifyPassword(hash, pw)
	}
	s := New(m, opt)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, err := s.Login(context.Background(), user(i), "wrong-password", ip(i))
			if !errors.Is(err, ErrUnauthenticated) && !errors.Is(err, ErrRateLimited) {
				t.Errorf("login %d: %v", i, err)
			}
			if !errors.Is(err, ErrUnauthenticated) {
				events <- struct{}{} // returned without a check
			}
		})
	}
	for range n {
		<-events
	}
	close(release)
	wg.Wait()
	return int(checks.Load())
}

// Concurrent wrong logins cannot outrun the limits: an attempt is
// reserved before its password is checked, so of 60 at once at most the
// limit are checked (before, every one passed the check of the limit
// before any failure was counted: 60 of 60).
func TestConcurrentLoginsCheckAtMostTheLimit(t *testing.T) {
	t.Run("one user from 60 addresses", func(t *testing.T) {
		got := floodLogins(t, 60, func(int) string { return "alice" }, func(i int) string { return fmt.Sprintf("10.1.0.%d", i+1) },
			Options{PerUser: 5, PerIP: 20})
		if got > 5 {
			t.Fatalf("%d passwords checked, limit per user 5", got)
		}
		if got == 0 {
			t.Fatal("no password checked at all")
		}
	})
	t.Run("60 users from one address", func(t *testing.T) {
		got := floodLogins(t, 60, func(i int) string { return fmt.Sprintf("user%d", i) }, func(int) string { return "10.2.0.1" },
			Options{PerUser: 5, PerIP: 20})
		if got > 20 {
			t.Fatalf("%d passwords checked, limit per address 20", got)
		}
		if got == 0 {
			t.Fatal("no password checked at all")
		}
	})
	t.Run("one IPv6 /64 is one address", func(t *testing.T) {
		got := floodLogins(t, 60, func(i int) string { return fmt.Sprintf("user%d", i) }, func(i int) string { return fmt.Sprintf("2001:db8::%x", i+1) },
			Options{PerUser: 5, PerIP: 20})
		if got > 20 {
			t.Fatalf("%d passwords checked from one /64, limit per address 20", got)
		}
	})
}

// Successful logins give their address's reservation back: an office
// behind one NAT address can log in more often than the failure limit.
func TestSuccessfulLoginsDoNotUseUpTheAddress(t *testing.T) {
	m := newMem()
	h, _ := HashPassword("password-1", cheap)
	for i := range 30 {
		id := fmt.Sprintf("staff%d", i)
		m.users[id] = model.User{ID: id, Role: model.RoleCity, PasswordHash: h}
	}
	s := New(m, Options{Params: cheap, PerIP: 20})
	for i := range 30 {
		if _, _, err := s.Login(context.Background(), fmt.Sprintf("staff%d", i), "password-1", "10.3.0.1"); err != nil {
			t.Fatalf("login %d from the office: %v", i, err)
		}
	}
}

// A huge user name is refused before anything is looked up or checked,
// and its audit row neither holds the name nor grows with it.
func TestLoginUserNameIsCapped(t *testing.T) {
	m := newMem()
	var checks atomic.Int64
	s := New(m, Options{Params: cheap, Verify: func(h, pw string) (bool, error) { checks.Add(1); return VerifyPassword(h, pw) }})
	ctx := context.Background()
	huge := strings.Repeat("x", 1<<20)
	_, p, err := s.Login(ctx, huge, "password-1", "10.4.0.1")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "at most 64") {
		t.Fatalf("1 MB user name: %v", err)
	}
	if checks.Load() != 0 {
		t.Errorf("%d password checks for a refused name", checks.Load())
	}
	if err := s.RecordLogin(ctx, huge, "10.4.0.1", p, err); err != nil {
		t.Fatal(err)
	}
	rows := m.auditRows()
	if len(rows) != 1 || rows[0].Action != ActionLoginRefused || strings.Contains(rows[0].Target+rows[0].Actor, "xxxx") {
		t.Fatalf("audit of the refused name: %+v", rows)
	}
	if _, _, err := s.Login(ctx, strings.Repeat("x", MaxUserName), "password-1", "10.4.0.1"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a name of exactly %d bytes: %v", MaxUserName, err)
	}
	if err := ValidateUser(model.User{ID: strings.Repeat("x", MaxUserName+1), Role: model.RoleCity}); err == nil {
		t.Error("a user id over the cap was accepted")
	}
}

// A flood of failed logins writes a bounded number of audit rows: the
// first failure of each (name, address) at once, the rest counted into one
// row when the window ends; rate-limited attempts per address only.
func TestFailedLoginAuditIsGathered(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := newMem()
	s := New(m, Options{Params: cheap, Now: clock, PerUser: 5, PerIP: 20, Window: 15 * time.Minute})
	ctx := context.Background()
	try := func(user, ip string) {
		_, p, err := s.Login(ctx, user, "wrong-password", ip)
		if err := s.RecordLogin(ctx, user, ip, p, err); err != nil {
			t.Fatal(err)
		}
	}
	// 1,000 attempts at one user from one address: 5 checked, 995 refused.
	for range 1000 {
		try("alice", "10.5.0.1")
	}
	// 10,000 different names from another address: 20 checked, the rest
	// refused whatever their names.
	for i := range 10000 {
		try(fmt.Sprintf("name%d", i), "10.5.0.2")
	}
	rows := m.auditRows()
	// Written at once: alice's first failure, the first refusal from .1,
	// 20 first failures and the first refusal from .2.
	if len(rows) != 1+1+20+1 {
		t.Fatalf("%d audit rows during the flood, want 23", len(rows))
	}
	mu.Lock()
	now = now.Add(15 * time.Minute)
	mu.Unlock()
	if err := s.FlushLoginAudit(ctx, false); err != nil {
		t.Fatal(err)
	}
	rows = m.auditRows()[23:]
	got := map[string]int{}
	for _, r := range rows {
		var sum loginSummary
		if err := json.Unmarshal([]byte(r.After), &sum); err != nil {
			t.Fatalf("summary %q: %v", r.After, err)
		}
		got[r.Action+" "+r.Target+" "+r.Remote] = sum.Attempts
	}
	want := map[string]int{
		ActionLoginFailed + " user/alice 10.5.0.1": 4,
		ActionLoginRefused + " login 10.5.0.1":     994,
		ActionLoginRefused + " login 10.5.0.2":     9979,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summaries %v, want %v", got, want)
	}
	// Nothing left to write.
	if err := s.FlushLoginAudit(ctx, true); err != nil || len(m.auditRows()) != 26 {
		t.Fatalf("second flush wrote %d rows: %v", len(m.auditRows())-26, err)
	}
}

// Take is one step: of 100 concurrent takes of one key, exactly Max win.
// The limiter's memory stays under MaxKeys however many keys arrive.
func TestLimiterTakeIsAtomicAndBounded(t *testing.T) {
	l := NewLimiter(5, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var won atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if l.Take("k", now) {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 5 {
		t.Fatalf("%d takes allowed, want 5", won.Load())
	}
	l.Release("k", now)
	if !l.Take("k", now) || l.Take("k", now) {
		t.Error("a released count was not given back exactly once")
	}
	b := NewLimiter(1, time.Hour)
	b.MaxKeys = 100
	for i := range 10000 {
		b.Take(fmt.Sprint(i), now)
	}
	if b.Len() > 100 {
		t.Fatalf("limiter holds %d keys, bound 100", b.Len())
	}
}

// However many logins pass the limits (many names from many addresses),
// at most MaxChecks passwords are checked at once: the rest wait, so a
// flood costs time, not memory (19 MiB per argon2id check).
func TestPasswordChecksBoundedInFlight(t *testing.T) {
	m := newMem()
	var in, peak atomic.Int64
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	s := New(m, Options{Params: cheap, MaxChecks: 3, Verify: func(h, pw string) (bool, error) {
		n := in.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		entered <- struct{}{}
		<-release
		in.Add(-1)
		return VerifyPassword(h, pw)
	}})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			_, _, _ = s.Login(context.Background(), fmt.Sprintf("u%d", i), "wrong-password", fmt.Sprintf("10.10.0.%d", i))
		})
	}
	for range 3 {
		<-entered // three checks are in progress: the bound is reached
	}
	close(release)
	wg.Wait()
	if peak.Load() != 3 || len(entered) != 27 {
		t.Fatalf("peak %d checks at once (bound 3); %d more checks after", peak.Load(), len(entered))
	}
}

// Anonymous public requests are limited per address; tracking-code
// lookups much harder than reads; an IPv6 /64 is one address.
func TestPublicLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(newMem(), Options{Params: cheap, Now: func() time.Time { return now }})
	n := 0
	for s.AllowPublic(PublicLookup, "10.6.0.1") {
		n++
		if n > 1000 {
			break
		}
	}
	if n != 30 {
		t.Fatalf("%d lookups allowed in 10 minutes, want 30", n)
	}
	n = 0
	for s.AllowPublic(PublicRead, "2001:db8:1:2::1") && s.AllowPublic(PublicRead, "2001:db8:1:2::ffff") {
		n += 2
		if n > 1000 {
			break
		}
	}
	if n != 120 {
		t.Fatalf("%d reads allowed from one /64 in a minute, want 120", n)
	}
	if !s.AllowPublic(PublicRead, "10.6.0.2") {
		t.Error("another address limited")
	}
}
