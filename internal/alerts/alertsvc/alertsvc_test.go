package alertsvc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

const (
	tCounty = "371502"
	tEnt    = "91371500MA3C000001"
	tMN     = "88888800000001"
)

func registry() *model.Registry {
	so2, ph0, ph1 := 35.0, 6.0, 9.0
	return &model.Registry{
		Counties:    []model.County{{Code: tCounty, Name: "东昌府区"}},
		Enterprises: []model.Enterprise{{USCC: tEnt, Name: "Works", County: tCounty}},
		Outlets: []model.Outlet{
			{ID: tEnt + "-DA001", Enterprise: tEnt, Kind: model.OutletAir, Limits: []model.Limit{
				{Pollutant: "a21026", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &so2}}},
			{ID: tEnt + "-DW001", Enterprise: tEnt, Kind: model.OutletWater, Limits: []model.Limit{
				{Pollutant: "w01001", Kind: model.LimitMeasured, Period: model.PeriodDay, Min: &ph0, Max: &ph1}}},
		},
		Devices: []model.Device{
			{MN: tMN, Password: "p", Protocol: "2017", Outlet: tEnt + "-DA001", ST: "31"},
			{MN: "W1", Password: "p", Protocol: "2017", Outlet: tEnt + "-DW001", ST: "32"},
			{MN: "STATION", Password: "p", Protocol: "2017"},
		},
	}
}

func newStore(t *testing.T, backend storetest.Backend) store.Store {
	t.Helper()
	st := storetest.Open(t, backend)
	storetest.Import(t, st, registry())
	return st
}

// The series follow the limits: the converted hourly limit gives ZsAvg
// hourly and Avg minute series, the daily pH range a daily Avg series;
// a station without an outlet gives none; meters give Pt series.
func TestBuildSpecs(t *testing.T) {
	mf := &MeterFile{Groups: []MeterGroupSpec{{Enterprise: tEnt, Class: "steel-B", ProductionOnKW: 50,
		Production: []MeterSpec{{MN: "P1", Factor: meterFactor}}, Treatment: []MeterSpec{{MN: "T1", Factor: meterFactor, OffKW: 5, MinKW: 40}}}}}
	cfg := alerts.DefaultConfig()
	specs, groups, _, where, meters, err := buildSpecs(registry(), mf, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.Key.MN+"/"+s.Key.Period+"/"+s.Key.Factor+"-"+s.Key.Field)
	}
	want := []string{tMN + "/hour/a21026-ZsAvg", tMN + "/minute/a21026-Avg", "P1/realtime/100000-Pt", "T1/realtime/100000-Pt", "W1/day/w01001-Avg", "W1/minute/w01001-Avg"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("series\n got %v\nwant %v", got, want)
	}
	if where[tMN] != [2]string{tCounty, tEnt} || where["T1"] != [2]string{tCounty, tEnt} {
		t.Errorf("where %v", where)
	}
	if _, ok := where["STATION"]; ok {
		t.Error("a station got series")
	}
	if !meters["P1"] || !meters["T1"] || meters[tMN] {
		t.Errorf("meters %v", meters)
	}
	if len(groups) != 1 || len(groups[0].Production) != 1 || specs[groups[0].Production[0]].Key.MN != "P1" ||
		len(groups[0].Treatment) != 1 || specs[groups[0].Treatment[0].Series].Key.MN != "T1" || groups[0].Treatment[0].MinKW != 40 {
		t.Errorf("groups %+v", groups)
	}
}

// enqueue commits u as the gateway would, with the device's contact at
// at, and hands the committed batch to s (which handles it on drain).
func enqueue(t *testing.T, st store.Store, s *Service, u model.Upload, at time.Time) {
	t.Helper()
	b := &store.Batch{Uploads: []model.Upload{u}, Contacts: []model.Contact{{MN: u.MN, At: at, CN: u.CN}}}
	if err := st.CommitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	s.Enqueue(b)
}

func hourUpload(h time.Time, zs string) model.Upload {
	return model.Upload{MN: tMN, CN: cnHour, DataTime: h, Values: []model.Value{
		{Factor: "a21026", Field: "ZsAvg", Value: zs}, {Factor: "a21026", Field: "Flag", Value: "N"}}}
}

// Batches dropped because the queue was full are read back from the store
// before anything newer is handled: every hour is evaluated once and the
// exceedance still opens its case.
func TestDroppedBatchesCaughtUp(t *testing.T) { storetest.Each(t, testDroppedBatchesCaughtUp) }

func testDroppedBatchesCaughtUp(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	st := newStore(t, backend)
	now := time.Now().Truncate(time.Hour)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{Queue: 1, Now: func() time.Time { return now }})
	// Drive the service from the test goroutine (no run loop): the queue
	// stays as the test leaves it.
	if err := s.rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	s.replay(ctx)
	h0 := now.Add(-6 * time.Hour)
	commit := func(u model.Upload) { enqueue(t, st, s, u, now) }
	commit(hourUpload(h0, "10")) // under the limit
	s.drain(ctx)
	for i := 1; i <= 3; i++ {
		commit(hourUpload(h0.Add(time.Duration(i)*time.Hour), "50"))
	}
	// The first of the three filled the queue, the next two were dropped.
	if st := s.Stats(); st.Dropped != 2 || st.Batches != 4 {
		t.Fatalf("stats %+v, want 2 dropped of 4", st)
	}
	commit(hourUpload(h0.Add(4*time.Hour), "51")) // dropped too: the queue still holds hour 1
	catchUps := s.Stats().CatchUps
	s.drain(ctx)
	st2 := s.Stats()
	if st2.Uploads != 5 {
		t.Errorf("%d uploads evaluated, want 5 (each once)", st2.Uploads)
	}
	if st2.CatchUps != catchUps+1 {
		t.Errorf("catch-ups %d → %d, want one more", catchUps, st2.CatchUps)
	}
	reg := prometheus.NewRegistry()
	if err := s.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	m, err := metrics.Text(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# TYPE ecowatch_alerts_batches_dropped_total counter\n", "\necowatch_alerts_batches_dropped_total 3\n", "\necowatch_alerts_uploads_total 5\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	cs, err := st.Cases(ctx, store.CaseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ProblemType != "exceedance" || cs[0].Enterprise != tEnt || cs[0].County != tCounty {
		t.Errorf("cases %+v", cs)
	}
}

// Sub-meters from the meter file: treatment equipment off while production
// runs notifies the enterprise.
func TestMeters(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, storetest.SQLite)
	path := writeMeterFile(t)
	now := time.Now().Truncate(time.Minute)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{MeterFile: path, Now: func() time.Time { return now }})
	if err := s.rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	if m := *s.meterMNs.Load(); !m["P1"] || !m["T1"] {
		t.Fatalf("meter MNs %v", m)
	}
	for i := range 3 {
		at := now.Add(time.Duration(i-3) * time.Minute)
		b := &store.Batch{Uploads: []model.Upload{
			{MN: "P1", CN: cnRealtime, DataTime: at, Values: []model.Value{{Factor: meterFactor, Field: "Pt", Value: "300"}}},
			{MN: "T1", CN: cnRealtime, DataTime: at, Values: []model.Value{{Factor: meterFactor, Field: "Pt", Value: "0.5"}}},
			{MN: "OTHER", CN: cnRealtime, DataTime: at, Values: []model.Value{{Factor: meterFactor, Field: "Pt", Value: "1"}}},
		}}
		s.Enqueue(b)
		s.drain(ctx)
	}
	if got := s.Stats().Uploads; got != 6 {
		t.Errorf("%d uploads evaluated, want 6 (real-time only from meters)", got)
	}
	ns, err := st.Notifications(ctx, []string{"enterprise:" + tEnt}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || !strings.Contains(ns[0].Message, "治污设施停运") {
		t.Errorf("notices %+v, want one treatment-off", ns)
	}
}

// Readings from a CSV file are stored as real-time uploads and judged
// like HJ 212 ones; a bad line stores nothing.
func TestImportMeterReadings(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, storetest.SQLite)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, cst)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{MeterFile: writeMeterFile(t), Now: func() time.Time { return now }})
	if err := s.rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"P1,2026-11-28 09:57:00,300\nT1,yesterday,1\n", "P1,2026-11-28 09:57:00,-3\n", "P1,2026-11-28 09:57:00\n", ",2026-11-28 09:57:00,1\n"} {
		if n, err := ImportMeterReadings(ctx, st, s, strings.NewReader(bad)); err == nil || n != 0 {
			t.Errorf("%q: %d imported, err %v", bad, n, err)
		}
	}
	csv := "mn,time,kw\nP1,2026-11-28 09:57:00,300\nT1,2026-11-28 09:57:00,0.4\n" +
		"P1,2026-11-28T01:58:00Z,310\nT1,2026-11-28T01:58:00Z,0.3,100000\nP1,2026-11-28 09:59:00,305\nT1,2026-11-28 09:59:00,0.2\n"
	n, err := ImportMeterReadings(ctx, st, s, strings.NewReader(csv))
	if err != nil || n != 6 {
		t.Fatalf("imported %d: %v", n, err)
	}
	s.drain(ctx)
	us, err := st.Uploads(ctx, store.UploadQuery{CN: cnRealtime})
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 6 || us[0].MN != "P1" || !us[0].DataTime.Equal(time.Date(2026, 11, 28, 1, 57, 0, 0, time.UTC)) || us[0].Values[0] != (model.Value{Factor: meterFactor, Field: "Pt", Value: "300"}) {
		t.Errorf("stored %+v", us)
	}
	ns, _ := st.Notifications(ctx, []string{"enterprise:" + tEnt}, 10)
	if len(ns) != 1 || !strings.Contains(ns[0].Message, "治污设施停运") {
		t.Errorf("notices %+v, want one treatment-off", ns)
	}
}

func writeMeterFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meters.yaml")
	if err := os.WriteFile(path, []byte(`groups:
  - enterprise: `+tEnt+`
    class: steel-B
    production_on_kw: 50
    production: [{mn: P1}]
    treatment: [{mn: T1, off_kw: 5, min_kw: 40}]
schedules:
  - {class: steel-B, kind: production, from: 2020-01-01, to: 2020-01-31, windows: [{start: 0, end: 1440}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadMeterFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"no-enterprise": "groups: [{production: [{mn: P1}]}]",
		"no-mn":         "groups: [{enterprise: E, treatment: [{off_kw: 1}]}]",
		"bad-day":       "schedules: [{class: c, from: 2026-13-01, to: 2026-12-01}]",
		"not-yaml":      "groups: [",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := LoadMeterFile(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if mf, err := LoadMeterFile(""); err != nil || len(mf.Groups) != 0 {
		t.Errorf("empty path: %v %v", mf, err)
	}
}

// A device registered while the service runs is evaluated after a reload,
// including the data it sent before (the rebuilt engine replays the
// window).
func TestReload(t *testing.T) { storetest.Each(t, testReload) }

func testReload(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	st := newStore(t, backend)
	now := time.Now().Truncate(time.Hour)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{Now: func() time.Time { return now }, Tick: time.Hour})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	const mn = "NEW0000000000001"
	var b store.Batch
	for i := range 3 {
		u := hourUpload(now.Add(time.Duration(i-5)*time.Hour), "60")
		u.MN = mn
		b.Uploads = append(b.Uploads, u)
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		t.Fatal(err)
	}
	s.Enqueue(&b)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Uploads; got != 0 {
		t.Fatalf("unregistered device: %d uploads evaluated", got)
	}
	r := registry()
	r.Devices = append(r.Devices, model.Device{MN: mn, Password: "p", Protocol: "2017", Outlet: tEnt + "-DA001", ST: "31"})
	if err := st.ImportRegistry(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil { // unchanged registry: no rebuild, no second replay
		t.Fatal(err)
	}
	cs, err := st.Cases(ctx, store.CaseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !strings.Contains(cs[0].Title, mn) {
		t.Errorf("cases %+v, want one for %s", cs, mn)
	}
	if got := s.Stats().Uploads; got != 3 {
		t.Errorf("%d uploads evaluated, want 3 (replayed once)", got)
	}

	// A device that sorts first renumbers every series; the replay after
	// the change finds the same episode: no second case or notice.
	r.Devices = append(r.Devices, model.Device{MN: "0000FIRST", Password: "p", Protocol: "2017", Outlet: tEnt + "-DA001", ST: "31"})
	if err := st.ImportRegistry(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Uploads; got != 6 {
		t.Errorf("%d uploads evaluated, want 6 (replayed again after the change)", got)
	}
	if cs, _ := st.Cases(ctx, store.CaseQuery{}); len(cs) != 1 {
		t.Errorf("after a registry change: %d cases, want 1", len(cs))
	}
	ns, _ := st.Notifications(ctx, []string{"enterprise:" + tEnt}, 100)
	self := 0
	for _, n := range ns {
		if n.Kind == "alert.self-check" {
			self++
		}
	}
	if self != 1 {
		t.Errorf("after a registry change: notices %+v, want 1 self-check", ns)
	}
}

// In poll mode (the web role of a scaled-out deployment) nothing is
// enqueued: the service finds the writers' committed uploads in the store.
func TestPollFindsStoredUploads(t *testing.T) { storetest.Each(t, testPollFindsStoredUploads) }

func testPollFindsStoredUploads(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	st := newStore(t, backend)
	now := time.Now().Truncate(time.Hour)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{Poll: true, CatchUp: 20 * time.Millisecond,
		Now: func() time.Time { return now }})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	// The start's replay is over once the loop answers: what is committed
	// from here on can only be found by polling.
	if err := s.TickNow(ctx); err != nil {
		t.Fatal(err)
	}
	h0 := now.Add(-6 * time.Hour)
	for i := 1; i <= 3; i++ {
		u := hourUpload(h0.Add(time.Duration(i)*time.Hour), "50")
		if err := st.CommitBatch(ctx, &store.Batch{Uploads: []model.Upload{u},
			Contacts: []model.Contact{{MN: u.MN, At: now, CN: u.CN}}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cs, err := st.Cases(ctx, store.CaseQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			if len(cs) != 1 || cs[0].ProblemType != "exceedance" || cs[0].Enterprise != tEnt {
				t.Fatalf("cases %+v", cs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no case opened from stored uploads; stats %+v", s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.Stats(); st.Batches != 0 {
		t.Errorf("stats %+v: nothing was enqueued", st)
	}
}
