package alertsvc_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

const (
	county = "371502"
	ent1   = "91371500MA3C000001"
	ent2   = "91371500MA3C000002"
	mn1    = "88888800000001"
	mn2    = "88888800000002"
	pw     = "123456"
)

// clock is the alert service's clock, moved by the test.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func testRegistry() *model.Registry {
	so2 := 35.0
	lim := []model.Limit{{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &so2}}
	return &model.Registry{
		Counties: []model.County{{Code: county, Name: "东昌府区", NameEN: "Dongchangfu"}},
		Enterprises: []model.Enterprise{
			{USCC: ent1, Name: "Boiler Works", County: county, Industry: "thermal-power"},
			{USCC: ent2, Name: "Quiet Works", County: county, Industry: "chemicals"},
		},
		Outlets: []model.Outlet{
			{ID: ent1 + "-DA001", Enterprise: ent1, Name: "boiler stack", Kind: model.OutletAir, Limits: lim},
			{ID: ent2 + "-DA001", Enterprise: ent2, Name: "stack", Kind: model.OutletAir, Limits: lim},
		},
		Devices: []model.Device{
			{MN: mn1, Password: pw, Protocol: "2017", Outlet: ent1 + "-DA001", ST: "31"},
			{MN: mn2, Password: pw, Protocol: "2017", Outlet: ent2 + "-DA001", ST: "31"},
		},
	}
}

// device is a hand-written HJ 212-2017 device on a TCP connection.
type device struct {
	t    *testing.T
	c    net.Conn
	mn   string
	sent int
	buf  []byte
}

func dial(t *testing.T, addr, mn string) *device {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &device{t: t, c: c, mn: mn}
}

// send writes a data upload that asks for an acknowledgement (Flag=5:
// 2017 version bit and A, HJ 212-2017 §6.3.2 table 3).
func (d *device) send(cn string, dt time.Time, kv ...hj212.KV) {
	d.sent++
	m := hj212.Message{QN: fmt.Sprintf("20260101000000%03d", d.sent), ST: "31", CN: cn, PW: pw, MN: d.mn, Flag: 5,
		CP: append([]hj212.KV{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))}}, kv...)}
	if _, err := d.c.Write(m.AppendFrame(nil)); err != nil {
		d.t.Fatal(err)
	}
}

// acked waits for the 9014 data acks of everything sent: the gateway acks
// after the commit and its OnCommit hook, so the alert service has the
// batch queued once this returns.
func (d *device) acked() {
	d.t.Helper()
	d.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	tmp := make([]byte, 4096)
	for strings.Count(string(d.buf), "CN=9014") < d.sent {
		n, err := d.c.Read(tmp)
		if err != nil {
			d.t.Fatalf("device %s: %d of %d acks: %v", d.mn, strings.Count(string(d.buf), "CN=9014"), d.sent, err)
		}
		d.buf = append(d.buf, tmp[:n]...)
	}
}

func countCases(t *testing.T, st store.Store, q store.CaseQuery) []cases.Case {
	t.Helper()
	cs, err := st.Cases(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func notices(t *testing.T, st store.Store, recip, substr string) []store.Notification {
	t.Helper()
	ns, err := st.Notifications(context.Background(), []string{recip}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Notification
	for _, n := range ns {
		if n.Kind == "alert.self-check" && strings.Contains(n.Message, substr) {
			out = append(out, n)
		}
	}
	return out
}

// The whole path: devices report over TCP to the real gateway, the SQLite
// store commits, the alert service evaluates and casework opens cases.
func TestEndToEnd(t *testing.T) { storetest.Each(t, testEndToEnd) }

func testEndToEnd(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := storetest.DSN(t, backend)
	st0, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st0.ImportRegistry(ctx, testRegistry()); err != nil {
		t.Fatal(err)
	}
	st0.Close()

	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	acfg := alertsvc.Config{Now: clk.Now, Tick: time.Hour, Reload: time.Hour}
	gcfg := gateway.Config{Addr: "127.0.0.1:0", DisableTimeCalibration: true, BackfillWindow: -1}
	a, err := app.Start(ctx, app.Config{DSN: dsn, DataDir: dir, Gateway: gcfg, Alerts: acfg})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.Shutdown(ctx) }()
	st := a.Store

	// Hours in the past, aligned on whole hours (UTC+8 is whole hours too).
	h0 := clk.Now().Truncate(time.Hour).Add(-8 * time.Hour)
	d1 := dial(t, a.GatewayAddr(), mn1)
	d2 := dial(t, a.GatewayAddr(), mn2)

	// mn1: four hours of converted SO2 over its limit of 35 (the default
	// rules open a case at the third consecutive hour).
	for i, v := range []string{"50.0", "52.1", "48.3", "51.0"} {
		d1.send("2061", h0.Add(time.Duration(i)*time.Hour), hj212.KV{Key: "a21026-Avg", Value: "20.0"},
			hj212.KV{Key: "a21026-ZsAvg", Value: v}, hj212.KV{Key: "a21026-Flag", Value: "N"})
	}
	// mn1: minute values stuck at the same reading (flat line: 12 in a row).
	for i := range 13 {
		d1.send("2051", h0.Add(time.Duration(i)*10*time.Minute), hj212.KV{Key: "a21026-Avg", Value: "20.0"},
			hj212.KV{Key: "a21026-Flag", Value: "N"})
	}
	// mn2: one normal hour, then it falls silent.
	d2.send("2061", h0, hj212.KV{Key: "a21026-Avg", Value: "10.0"}, hj212.KV{Key: "a21026-ZsAvg", Value: "12.0"},
		hj212.KV{Key: "a21026-Flag", Value: "N"})
	d1.acked()
	d2.acked()
	if err := a.Alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Exceedance: one case, for the right county and enterprise, after a
	// self-check notice for the first hour.
	exc := countCases(t, st, store.CaseQuery{Source: cases.SourceOnline})
	var excCases []cases.Case
	for _, c := range exc {
		if c.ProblemType == alerts.RuleExceedance.String() {
			excCases = append(excCases, c)
		}
	}
	if len(excCases) != 1 {
		t.Fatalf("exceedance cases: %d, want 1: %+v", len(excCases), exc)
	}
	c := excCases[0]
	if c.County != county || c.Enterprise != ent1 || !strings.Contains(c.Ref, fmt.Sprint(h0.Unix())) {
		t.Errorf("case %+v: want county %s, enterprise %s, episode since %d", c, county, ent1, h0.Unix())
	}
	self := notices(t, st, "enterprise:"+ent1, "超标")
	if len(self) != 1 || !self[0].At.Equal(h0) {
		t.Errorf("exceedance self-check notices %+v, want one at the first hour %v", self, h0)
	}
	if len(notices(t, st, "enterprise:"+ent2, "超标")) != 0 {
		t.Errorf("enterprise 2 under its limit was notified")
	}
	// Flat line flagged (a notice; its case waits for Persist).
	if flat := notices(t, st, "enterprise:"+ent1, "数据恒值"); len(flat) != 1 {
		t.Errorf("flat-line notices %+v, want 1", flat)
	}

	// A restart of the service replays the window: no second case, no
	// second notice.
	restart := func() {
		t.Helper()
		a.Alerts.Stop()
		a.Alerts = alertsvc.New(st, &casesvc.Service{St: st, DataDir: dir}, acfg)
		if err := a.Alerts.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Alerts.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	restart()
	if n := len(countCases(t, st, store.CaseQuery{})); n != 1 {
		t.Errorf("after a restart: %d cases, want 1", n)
	}
	if n := len(notices(t, st, "enterprise:"+ent1, "")); n != 2 {
		t.Errorf("after a restart: %d self-check notices, want 2 (exceedance, flat line)", n)
	}

	// Offline: mn2 (and mn1) silent for 3 h: a notice; silent for more
	// than a day: a case; a restart opens no second one.
	clk.Advance(3 * time.Hour)
	if err := a.Alerts.TickNow(ctx); err != nil {
		t.Fatal(err)
	}
	if off := notices(t, st, "enterprise:"+ent2, "设备 "+mn2); len(off) != 1 {
		t.Errorf("offline notices for %s: %+v, want 1", mn2, off)
	}
	clk.Advance(25 * time.Hour)
	if err := a.Alerts.TickNow(ctx); err != nil {
		t.Fatal(err)
	}
	offline := func() []cases.Case {
		return countCases(t, st, store.CaseQuery{Enterprise: ent2})
	}
	if cs := offline(); len(cs) != 1 || cs[0].ProblemType != "offline" || cs[0].County != county {
		t.Fatalf("offline cases of %s: %+v", ent2, cs)
	}
	restart()
	if err := a.Alerts.TickNow(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(25 * time.Hour)
	if err := a.Alerts.TickNow(ctx); err != nil {
		t.Fatal(err)
	}
	if cs := offline(); len(cs) != 1 {
		t.Errorf("after a restart: %d offline cases of %s, want 1", len(cs), ent2)
	}
	if off := notices(t, st, "enterprise:"+ent2, "设备离线"); len(off) != 1 {
		t.Errorf("after a restart: offline notices %+v, want 1", off)
	}
	if s := a.Alerts.Stats(); s.Errors != 0 {
		t.Errorf("stats %+v", s)
	}
}
