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
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	gc := gateway.DefaultConfig()
	gc.Addr, gc.Now, gc.BackfillWindow = "127.0.0.1:0", now, -1
	a, err := Start(ctx, Config{DSN: dsn, DataDir: dir, Gateway: gc, Alerts: alertsvc.Config{Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a.Shutdown(c)
	})
	nc, err := net.Dial("tcp", a.Gateway.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deadline := time.Now().Add(30 * time.Second)
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for i := range gc.AuthLockoutAfter {
		m := hj212.Message{QN: fmt.Sprintf("20261128120000%03d", i), ST: "31", CN: "2051", PW: fmt.Sprintf("%06d", i), MN: testMN, Flag: 5,
			CP: []hj212.KV{{Key: "DataTime", Value: "20261128110000"}, {Key: "a21026-Avg", Value: "999.9"}}}
		if _, err := nc.Write(m.AppendFrame(nil)); err != nil {
			t.Fatal(err)
		}
		wait("the guess to be checked", func() bool { return a.Gateway.Stats().AuthFailures == uint64(i+1) })
		clock.Add(int64(2 * time.Hour)) // past every delay
	}
	var found bool
	wait("the lockout case", func() bool {
		cs, err := a.Store.Cases(ctx, store.CaseQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ProblemType == alertsvc.ProblemAuthLockout && c.County == "371502" {
				found = true
			}
		}
		return found
	})
	ns, err := a.Store.Notifications(ctx, []string{"city"}, 10)
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
