package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// dialFrom connects from a given loopback address, so that one test can
// play an attacker and the real device at different source addresses.
func dialFrom(t *testing.T, addr, local, mn, pw string) *testDevice {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newTestDevice(t, nc, mn, pw)
}

// TestPasswordGuessingLockedOut: a source guessing a device's password is
// delayed after each failure (attempts meanwhile are refused unchecked),
// locked out after AuthLockoutAfter failures with an alarm, and then
// refused even with the right password; the real device at its usual
// address goes on being acknowledged, also on a new connection.
func TestPasswordGuessingLockedOut(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	lockouts := make(chan Lockout, 16)
	cfg.OnLockout = func(l Lockout) { lockouts <- l }
	s := startServer(t, cfg, st)
	addr := s.Addr().String()
	dev := testDevices[0]

	real := dialFrom(t, addr, "127.0.0.2", dev.MN, dev.Password)
	roundTrip(t, real, 1)

	atk := dialFrom(t, addr, "127.0.0.3", dev.MN, "")
	seen := func() uint64 { st := s.Stats(); return st.AuthFailures + st.AuthRefused }
	sent := uint64(0)
	guess := func(pw string) string {
		t.Helper()
		atk.pw = pw
		qn := atk.qn()
		atk.write(atk.dataFrame(qn, "2051", t0.Add(-time.Hour), "w01018-Avg", "999.9"))
		sent++
		waitFor(t, "the guess to be handled", func() bool { return seen() == sent })
		return qn
	}
	// Two guesses back to back: the second comes within the delay and is
	// refused without its password being compared.
	guess("000000")
	guess("000001")
	if got := s.Stats(); got.AuthFailures != 1 || got.AuthRefused != 1 {
		t.Fatalf("failures %d refused %d, want 1 and 1", got.AuthFailures, got.AuthRefused)
	}
	// Guess on, each time as soon as the delays have passed.
	atkSrc := sourceKey(netip.MustParseAddr("127.0.0.3"))
	waitOut := func() {
		for {
			v, until := s.guard.check(atkSrc, dev.MN, clk.Now())
			if v == guardAllow {
				return
			}
			clk.Advance(until.Sub(clk.Now()))
		}
	}
	for i := 2; s.Stats().AuthLockouts == 0; i++ {
		if i > 100 {
			t.Fatal("no lockout after 100 guesses")
		}
		waitOut()
		guess(fmt.Sprintf("%06d", i))
	}
	if got := s.Stats().AuthFailures; got != uint64(DefaultConfig().AuthLockoutAfter) {
		t.Errorf("locked out after %d failures, want %d", got, DefaultConfig().AuthLockoutAfter)
	}
	var scopes []string
	for len(scopes) < 2 {
		select {
		case l := <-lockouts:
			scopes = append(scopes, l.Scope)
			if l.Scope == LockoutSource && (l.Source != "127.0.0.3/32" || !slices.Equal(l.MNs, []string{dev.MN}) || !l.Until.After(clk.Now())) {
				t.Errorf("lockout %+v", l)
			}
		case <-time.After(waitLimit):
			t.Fatalf("lockout events %v, want a source and a device one", scopes)
		}
	}

	// While the device is under attack, a new connection from its usual
	// address is acknowledged; one from an address it never used waits,
	// even with the right password.
	fresh := dialFrom(t, addr, "127.0.0.2", dev.MN, dev.Password)
	roundTrip(t, fresh, 4)
	other := dialFrom(t, addr, "127.0.0.4", dev.MN, dev.Password)
	before := s.Stats().AuthRefused
	oqn := other.qn()
	other.write(other.dataFrame(oqn, "2051", t0.Add(-2*time.Hour), "w01018-Avg", "1"))
	waitFor(t, "the unusual address to be refused", func() bool { return s.Stats().AuthRefused == before+1 })
	sent++

	// The right password from the attacker's address is refused now,
	// also once the device's own delay has passed.
	clk.Advance(time.Duration(DefaultConfig().AuthLockout) - time.Minute)
	if v, _ := s.guard.check(atkSrc, dev.MN, clk.Now()); v != guardLocked {
		t.Fatalf("verdict %d 59 minutes into the lockout", v)
	}
	qn := guess(dev.Password)
	// The real device, on its connection and on a new one from its
	// usual address, is acknowledged; its ack after the guess also
	// shows the guess was committed unacknowledged.
	roundTrip(t, real, 2)
	again := dialFrom(t, addr, "127.0.0.2", dev.MN, dev.Password)
	roundTrip(t, again, 3)
	for _, f := range atk.drained() {
		if string(f.CN) == "9014" {
			t.Errorf("the attacker got an ack (QN %s)", f.QN)
		}
	}
	var locked, guarded bool
	for _, r := range st.rawByStatus(model.RawQuarantined) {
		switch r.QN {
		case qn:
			locked = r.Reason == reasonAuthLocked
		case oqn:
			guarded = r.Reason == reasonAuthDevice
		}
	}
	if !locked || !guarded {
		t.Errorf("refused as locked out %v, as an unusual address of an attacked device %v; want both", locked, guarded)
	}
	for _, vals := range st.uploads {
		for _, v := range vals {
			if v == "999.9" {
				t.Fatal("a guessed frame became official data")
			}
		}
	}
}

// TestGuessesPerHour drives the guard with a source that guesses as soon
// as it is let, on the default schedule, and counts the passwords
// checked: the figures the README gives.
func TestGuessesPerHour(t *testing.T) {
	cfg := DefaultConfig().withDefaults()
	g := newAuthGuard(&cfg)
	src := sourceKey(netip.MustParseAddr("203.0.113.7"))
	start := t0
	now := start
	var at []time.Duration
	for now.Sub(start) < 8*24*time.Hour {
		v, until := g.check(src, "MN1", now)
		if v != guardAllow {
			now = until
			continue
		}
		g.fail(src, "MN1", now)
		at = append(at, now.Sub(start))
	}
	count := func(from, to time.Duration) int {
		n := 0
		for _, d := range at {
			if d >= from && d < to {
				n++
			}
		}
		return n
	}
	day := 24 * time.Hour
	first, firstDay, week := count(0, time.Hour), count(0, day), count(day, 8*day)
	t.Logf("passwords checked from one source: %d in the first hour, %d in the first day, %d in the 7 days after", first, firstDay, week)
	if first != 10 || firstDay != 14 || week > 8 {
		t.Errorf("schedule gives %d/%d/%d, README says 10 in the first hour, 14 in the first day, at most 8 in the next 7 days", first, firstDay, week)
	}
	// Many addresses against one device: its delay for unusual addresses
	// bounds them together.
	now, n := start, 0
	for i := 0; now.Sub(start) < day; i++ {
		s := sourceKey(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}))
		if v, until := g.check(s, "MN2", now); v != guardAllow {
			now = until
			continue
		}
		g.fail(s, "MN2", now)
		n++
	}
	t.Logf("passwords checked for one device from ever new addresses: %d in a day", n)
	if n > 40 {
		t.Errorf("%d guesses a day for one device from many addresses, README says at most 40", n)
	}
}

// TestAuthGuardBounded: an attacker cycling addresses and device numbers
// does not grow the guard beyond its bounds, and its guesses land in
// shared buckets that go on throttling it.
func TestAuthGuardBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AuthSources = 100
	cfg = cfg.withDefaults()
	g := newAuthGuard(&cfg)
	mns := []string{"MN1", "MN2", "MN3"}
	now := t0
	refused := 0
	for i := range 100000 {
		src := sourceKey(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 16), byte(i >> 8), byte(i), 1}))
		mn := mns[i%len(mns)]
		if v, _ := g.check(src, mn, now); v != guardAllow {
			refused++
			continue
		}
		g.fail(src, mn, now)
		now = now.Add(time.Millisecond)
	}
	srcs, devs := g.size()
	if srcs > cfg.AuthSources || devs != len(mns) {
		t.Errorf("tracked %d sources and %d devices, bounds %d and %d", srcs, devs, cfg.AuthSources, len(mns))
	}
	if refused < 90000 {
		t.Errorf("only %d of 100000 attempts from cycled addresses refused", refused)
	}
	// IPv6 addresses of one /64 are one source.
	a := sourceKey(netip.MustParseAddr("2001:db8:1:2::1"))
	b := sourceKey(netip.MustParseAddr("2001:db8:1:2:ffff::9"))
	if a != b {
		t.Errorf("%v and %v are one /64", a, b)
	}
}

// TestAuthGuardNATNeighbours: data loggers behind one carrier NAT address
// share it. One of them failing on its password — however often — delays
// and locks out only its own attempts; a neighbour that never
// authenticated before (no usual address yet, as after a restart) is let
// through. A source failing on more devices than it is tracked for is
// scanning and is locked out as a whole: past the devices it is tracked
// for, it cannot be told which it failed on, so even a device whose usual
// address it is waits.
func TestAuthGuardNATNeighbours(t *testing.T) {
	cfg := DefaultConfig().withDefaults()
	g := newAuthGuard(&cfg)
	nat := sourceKey(netip.MustParseAddr("100.64.0.1"))
	now := t0
	for i := range 3 * cfg.AuthLockoutAfter {
		if v, until := g.check(nat, "WRONG", now); v != guardAllow {
			now = until
		}
		g.fail(nat, "WRONG", now)
		if i == 0 {
			if v, _ := g.check(nat, "WRONG", now); v != guardDelayed {
				t.Fatalf("verdict %d right after a failure, want delayed", v)
			}
		}
		for _, mn := range []string{"NEIGHBOUR1", "NEIGHBOUR2"} {
			if v, _ := g.check(nat, mn, now); v != guardAllow {
				t.Fatalf("after %d failures of WRONG, neighbour %s gets verdict %d", i+1, mn, v)
			}
		}
	}
	if v, _ := g.check(nat, "WRONG", now); v != guardLocked {
		t.Errorf("the failing device's attempts: verdict %d, want locked", v)
	}

	// A scanner: one failure on each of five devices.
	scan := sourceKey(netip.MustParseAddr("198.51.100.9"))
	g.success(scan, "KNOWN") // a device that reports from there
	var locks []Lockout
	for i := range 5 {
		locks = append(locks, g.fail(scan, fmt.Sprintf("SCAN%d", i), now)...)
	}
	if len(locks) != 1 || locks[0].Scope != LockoutSource || len(locks[0].MNs) != 4 {
		t.Fatalf("lockouts %+v, want one whole-source lockout naming 4 devices", locks)
	}
	if v, _ := g.check(scan, "OTHER", now); v != guardLocked {
		t.Errorf("a scanning source trying another device: verdict %d, want locked", v)
	}
	if v, _ := g.check(scan, "KNOWN", now); v != guardLocked {
		t.Errorf("a device whose usual address the scanner's is: verdict %d, want locked", v)
	}
}

// TestAllowedNetworks: a device registered with allowed source networks
// is refused from elsewhere, even with its password, and acknowledged
// from inside them.
func TestAllowedNetworks(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	devs := append([]model.Device(nil), testDevices...)
	devs[0].Networks = []string{"127.0.0.2/32", "10.0.0.0/8"}
	s := New(testConfig(clk), st, NewDeviceTable(devs), nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		s.Shutdown(ctx)
	})
	addr := s.Addr().String()
	out := dialFrom(t, addr, "127.0.0.3", devs[0].MN, devs[0].Password)
	qn := out.qn()
	out.write(out.dataFrame(qn, "2051", t0.Add(-time.Hour), minuteVals...))
	waitFor(t, "the frame from outside to be refused", func() bool { return s.Stats().AuthNetworkRefused == 1 })
	in := dialFrom(t, addr, "127.0.0.2", devs[0].MN, devs[0].Password)
	roundTrip(t, in, 1)
	// Another device without networks connects from anywhere.
	other := dialFrom(t, addr, "127.0.0.3", devs[1].MN, devs[1].Password)
	roundTrip(t, other, 2)
	for _, f := range out.drained() {
		if string(f.CN) == "9014" {
			t.Errorf("frame from outside the allowed networks acknowledged")
		}
	}
	q := st.rawByStatus(model.RawQuarantined)
	if len(q) != 1 || q[0].QN != qn || q[0].Reason != reasonNetwork {
		t.Errorf("quarantined %+v, want the frame from outside with reason %q", q, reasonNetwork)
	}
	if got := s.Stats(); got.AuthFailures != 0 {
		t.Errorf("a refused network counted %d password failures", got.AuthFailures)
	}
}
