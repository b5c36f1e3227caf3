package alertsvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking/markstest"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// Signs 20 and 22 go the way of the other rules: the registry's analyser
// (detection limit 3 mg/m³, range 0–500 mg/m³) puts the device's hourly
// SO2 values under the screening; values long at the detection limit send
// the enterprise a self-check notice, and persisting they open a case
// whose title names the sign; a device without an analyser is not
// screened.
func TestSignsNoticeThenCase(t *testing.T) { storetest.Each(t, testSignsNoticeThenCase) }

func testSignsNoticeThenCase(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	st := storetest.Open(t, backend)
	reg := registry()
	rmax, dl := 500.0, 3.0
	reg.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: &rmax, DetectionLimit: &dl}}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	cfg := alerts.DefaultConfig()
	cfg.NearDetection.Duration, cfg.NearDetection.MinCount = 3*time.Hour, 4
	cfg.NearDetection.Timing = alerts.Timing{CoolDown: time.Hour, Persist: 2 * time.Hour}
	cfg.NarrowBand.Share = 0 // this test is about sign 20
	base := time.Now().Truncate(time.Hour).Add(-24 * time.Hour)
	now := base
	clock := func() time.Time { return now }
	cw := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: clock}
	s := New(st, cw, Config{Alerts: &cfg, Now: clock})
	if err := s.rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	s.replay(ctx)
	commit := func(h time.Time, avg string) {
		now = h.Add(time.Hour)
		u := model.Upload{MN: tMN, CN: cnHour, DataTime: h, Values: []model.Value{
			{Factor: "a21026", Field: "Avg", Value: avg}, {Factor: "a21026", Field: "ZsAvg", Value: avg}, {Factor: "a21026", Field: "Flag", Value: "N"}}}
		enqueue(t, st, s, u, now)
		s.drain(ctx)
	}
	signNotices := func() int {
		ns, err := st.Notifications(ctx, []string{"enterprise:" + tEnt}, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ns {
			if x.Kind == "alert.self-check" && strings.Contains(x.Message, "检出限") {
				n++
			}
		}
		return n
	}
	signCases := func() []cases.Case {
		return markstest.Cases(t, st, tEnt, func(c cases.Case) bool { return strings.Contains(c.Title, "检出限") })
	}
	// Three hours at the limit: not long enough.
	for i, v := range []string{"3", "2.5", "4"} {
		commit(base.Add(time.Duration(i)*time.Hour), v)
	}
	if n := signNotices(); n != 0 {
		t.Fatalf("%d notices after 2 h", n)
	}
	commit(base.Add(3*time.Hour), "1.5") // 3 h: the notice, no case yet
	if n, cs := signNotices(), signCases(); n != 1 || len(cs) != 0 {
		t.Fatalf("after 3 h: %d notices, %d cases; want 1, 0", n, len(cs))
	}
	commit(base.Add(4*time.Hour), "3")
	commit(base.Add(5*time.Hour), "3") // 2 h after the notice: a case
	cs := signCases()
	if len(cs) != 1 || cs[0].Source != cases.SourceOnline || !strings.Contains(cs[0].Title, "二氧化硫数据长期在检出限附近波动") {
		t.Fatalf("cases %+v", cs)
	}
	if n := signNotices(); n != 1 {
		t.Fatalf("%d notices, want the first only", n)
	}
}

// An analyser adds an hourly measured (Avg) series carrying it, beside the
// converted one the limit gives; an analyser of a factor that already has
// an hourly Avg series is attached to it.
func TestBuildSpecsAnalysers(t *testing.T) {
	reg := registry()
	rmax, dl := 500.0, 3.0
	reg.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: &rmax, DetectionLimit: &dl}}
	reg.Devices[1].Factors = []model.DeviceFactor{{Factor: "w01001", Unit: "无量纲", RangeMax: &rmax}}
	cfg := alerts.DefaultConfig()
	specs, _, _, _, _, err := buildSpecs(reg, &MeterFile{}, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		k := s.Key.MN + "/" + s.Key.Period + "/" + s.Key.Factor + "-" + s.Key.Field
		if s.Analyser != nil {
			k += "+analyser"
		}
		got = append(got, k)
	}
	want := tMN + "/hour/a21026-Avg+analyser " + tMN + "/hour/a21026-ZsAvg " + tMN + "/minute/a21026-Avg W1/day/w01001-Avg W1/hour/w01001-Avg+analyser W1/minute/w01001-Avg"
	if strings.Join(got, " ") != want {
		t.Errorf("series\n got %v\nwant %v", strings.Join(got, " "), want)
	}
}
