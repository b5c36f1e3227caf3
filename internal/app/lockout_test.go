package app

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestLockoutOpensCase: the wiring of serve. A source guessing a device's
// password over TCP is locked out by the gateway, and the alert service
// raises the bureau's alarm and opens a case for the device's county.
func TestLockoutOpensCase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := storetest.SQLiteDSN(dir)
	seed(t, dsn)
	clock := newGuessClock()
	gc := guessGateway(clock)
	a, err := Start(ctx, Config{DSN: dsn, DataDir: dir, Gateway: gc, Alerts: alertsvc.Config{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a.Shutdown(c)
	})
	guessPasswords(t, a.Gateway, gc, clock)
	wantLockoutAlarm(t, a.Store)
}

// TestGatewayRoleLockoutOpensCase: a gateway of a scaled-out deployment
// stores nothing; the lockout it trips reaches the web role's alert
// service over the bus, which raises the same alarm and case as serve.
func TestGatewayRoleLockoutOpensCase(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.SQLite)
	seed(t, dsn)
	bc, _ := embeddedBus(t, 2)
	clock := newGuessClock()
	web, err := Start(ctx, Config{DSN: dsn, DataDir: t.TempDir(), DisableGateway: true, Bus: &bc, Alerts: alertsvc.Config{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Shutdown(ctx)
	gc := guessGateway(clock)
	g, err := StartGatewayRole(ctx, GatewayRoleConfig{DSN: dsn, Bus: bc, Gateway: gc})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown(ctx)
	guessPasswords(t, g.Gateway, gc, clock)
	wantLockoutAlarm(t, web.Store)
}

// guessClock is the clock of a password guesser's gateway: the test sets
// it past each delay.
type guessClock struct{ ns atomic.Int64 }

func newGuessClock() *guessClock {
	c := &guessClock{}
	c.ns.Store(time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *guessClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// guessGateway is a gateway on a free local port on clock, without
// back-fill requests.
func guessGateway(clock *guessClock) gateway.Config {
	gc := gateway.DefaultConfig()
	gc.Addr, gc.Now, gc.BackfillWindow = "127.0.0.1:0", clock.Now, -1
	return gc
}

// guessPasswords sends gw gc.AuthLockoutAfter wrong passwords of testMN
// over one connection, each once the last was checked and its delay has
// passed on clock: the last locks the source out.
func guessPasswords(t *testing.T, gw *gateway.Server, gc gateway.Config, clock *guessClock) {
	t.Helper()
	nc, err := net.Dial("tcp", gw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for i := range gc.AuthLockoutAfter {
		m := hj212.Message{QN: fmt.Sprintf("20261128120000%03d", i), ST: "31", CN: "2051", PW: fmt.Sprintf("%06d", i), MN: testMN, Flag: 5,
			CP: []hj212.KV{{Key: "DataTime", Value: "20261128110000"}, {Key: "a21026-Avg", Value: "999.9"}}}
		if _, err := nc.Write(m.AppendFrame(nil)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the guess to be checked", func() bool { return gw.Stats().AuthFailures == uint64(i+1) })
		clock.ns.Add(int64(2 * time.Hour)) // past every delay
	}
}

// wantLockoutAlarm waits for the lockout case of the device's county in
// st, then wants the city bureau's alarm there.
func wantLockoutAlarm(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "the lockout case", func() bool {
		cs, err := st.Cases(ctx, store.CaseQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ProblemType == alertsvc.ProblemAuthLockout && c.County == "371502" {
				return true
			}
		}
		return false
	})
	ns, err := st.Notifications(ctx, []string{"city"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	alarm := false
	for _, n := range ns {
		alarm = alarm || n.Kind == "gateway.auth-lockout"
	}
	if !alarm {
		t.Errorf("city notifications %+v, want the lockout alarm", ns)
	}
}
