package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

// testNow is the fixed clock of the tests: mid-June 2025, 14:30 CST.
var testNow = time.Date(2025, 6, 15, 14, 30, 0, 0, air.CST)

// seeded describes what seed put into the store, for assertions.
type Seeded = seeded

type seeded struct {
	St        store.Store
	Reg       *model.Registry
	Device    model.Device // a device with a live upload exceeding a limit
	Outlet    model.Outlet
	Factor    string // the exceeding factor
	Password  string // the device's password, which pages must never show
	QuarantMN string
	// Cases: one accepted 40 days before testNow (overdue by then), and a
	// petition's case with its tracking code.
	OverdueCase  string
	PetitionCode string
}

// seed fills a store with the demo registry, the synthetic year of every
// air station up to testNow, targets, and a device's uploads and frames.
func seed(t testing.TB, st store.Store) *seeded {
	t.Helper()
	ctx := context.Background()
	reg := registry.DemoCity(1)
	if err := registry.Import(ctx, st, reg, nil); err != nil {
		t.Fatal(err)
	}
	for i, s := range reg.Stations {
		hours := airimport.SyntheticYear(s.Code, i, 2025, 1)
		n := 0
		for n < len(hours) && !hours[n].End.After(testNow) {
			n++
		}
		// Last year too, for the calendar's and the report's history.
		prev := airimport.SyntheticYear(s.Code, i, 2024, 1)
		if _, err := st.PutAirHours(ctx, append(prev[len(prev)-24*40:], hours[:n]...), store.AirPut{Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	f := func(v float64) *float64 { return &v }
	heavy := 5
	targets := []model.AirTarget{{Year: 2025, Area: model.AirCity, PM25: f(40), GoodRatio: f(70), HeavyDays: &heavy}}
	for _, c := range reg.Counties {
		targets = append(targets, model.AirTarget{Year: 2025, Area: c.Code, PM25: f(42), GoodRatio: f(68), HeavyDays: &heavy})
	}
	if err := st.PutAirTargets(ctx, targets); err != nil {
		t.Fatal(err)
	}

	seedWater(t, st, reg)

	s := &seeded{St: st, Reg: reg, QuarantMN: "UNREG0000000000000000042"}
	// A device whose outlet has a maximum limit: its live value exceeds it.
	outlets := map[string]model.Outlet{}
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	for _, d := range reg.Devices {
		o, ok := outlets[d.Outlet]
		if !ok {
			continue
		}
		for _, l := range o.Limits {
			if l.Max != nil && l.Kind == model.LimitMeasured {
				s.Device, s.Outlet, s.Factor = d, o, l.Pollutant
				break
			}
		}
		if s.Factor != "" {
			break
		}
	}
	if s.Factor == "" {
		t.Fatal("no demo device with a maximum limit")
	}
	s.Password = s.Device.Password
	var limit float64
	for _, l := range s.Outlet.Limits {
		if l.Pollutant == s.Factor && l.Kind == model.LimitMeasured && l.Max != nil {
			limit = *l.Max
			break
		}
	}
	at := testNow.Add(-5 * time.Minute).UTC()
	frame := "##0101QN=20250615142500000;ST=31;CN=2011;PW=" + s.Password + ";MN=" + s.Device.MN + ";Flag=5;CP=&&DataTime=20250615142500;" + s.Factor + "-Rtd=" + ftoa(limit*2) + "&&ABCD\r\n"
	b := &store.Batch{
		Uploads:  []model.Upload{{MN: s.Device.MN, CN: "2011", DataTime: at, Values: []model.Value{{Factor: s.Factor, Field: "Rtd", Value: ftoa(limit * 2)}, {Factor: s.Factor, Field: "Flag", Value: "N"}}}},
		Raw:      []model.RawFrame{{ReceivedAt: at, Remote: "10.1.2.3:5000", MN: s.Device.MN, CN: "2011", QN: "20250615142500000", Status: model.RawAccepted, Raw: []byte(frame)}, {ReceivedAt: at, Remote: "10.9.9.9:4000", MN: s.QuarantMN, CN: "2011", Status: model.RawQuarantined, Reason: "unknown MN", Raw: []byte("##0050QN=1;ST=31;CN=2011;PW=654321;MN=" + s.QuarantMN + ";CP=&&&&0000\r\n")}},
		Contacts: []model.Contact{{MN: s.Device.MN, At: at, Remote: "10.1.2.3:5000", CN: "2011"}},
	}
	if err := st.CommitBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Two minutes of the day before, rolled up: the device page's 30-day
	// trend reads the day roll-up (mean 15).
	var mins []model.Upload
	for i, v := range []string{"10", "20"} {
		mins = append(mins, model.Upload{MN: s.Device.MN, CN: "2051", DataTime: time.Date(2025, 6, 14, 10, i, 0, 0, cst),
			Values: []model.Value{{Factor: s.Factor, Field: "Avg", Value: v}, {Factor: s.Factor, Field: "Flag", Value: "N"}}})
	}
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: mins}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RollUp(ctx); err != nil {
		t.Fatal(err)
	}
	seedCases(t, st, s)
	// One upper platform that forwards, one that is down.
	for _, fs := range []store.ForwardState{
		{Target: "province", Address: "10.0.0.1:9212", Connected: true, Sent: 120, Acked: 118, Resent: 2, LastAckAt: testNow, UpdatedAt: testNow},
		{Target: "nation", Address: "10.0.0.2:9212", Errors: 4, LastError: "connect: dial tcp 10.0.0.2:9212: connection refused",
			LastErrorAt: testNow, UpdatedAt: testNow},
	} {
		if err := st.SaveForwardState(ctx, fs); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// seedCases files an inspection case accepted 40 days before testNow and
// a public petition, through the case service (as the API does).
func seedCases(t testing.TB, st store.Store, s *seeded) {
	t.Helper()
	ctx := context.Background()
	then := testNow.Add(-40 * 24 * time.Hour)
	svc := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return then }}
	city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
	c, err := svc.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "air-general", County: "371502", Severity: cases.SeverityGeneral,
		Title: "扬尘未覆盖", Description: "工地裸土未覆盖", Location: "东昌府区柳园路"}, city)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, city); err != nil {
		t.Fatal(err)
	}
	s.OverdueCase = c.ID
	// By testNow it is past its deadline: the ladder has issued a
	// numbered supervision notice (督办函) on it.
	late := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return testNow }}
	if _, _, err := late.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActEscalate, Level: cases.LevelNotice, Doc: NoticeDoc}, city); err != nil {
		t.Fatal(err)
	}
	sp, _, err := svc.Intake(ctx, cases.Petition{Category: cases.CategoryWater, County: "371521", Location: "阳谷县某河段", Description: "河水发黑有异味", Anonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	s.PetitionCode = sp.Code
}

// NoticeDoc is the document number of the seeded supervision notice.
const NoticeDoc = "聊环督〔2025〕7号"

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// seedWater stores the demo water registry and one sample per section
// and source in May 2025, spread over the classes: section i gets
// NH3-N (i mod 6) × 0.45 + 0.1 mg/L (GB 3838 table 1: Ⅰ at i ≡ 0, Ⅲ, Ⅲ, Ⅳ, Ⅴ, 劣Ⅴ at i ≡ 5).
func seedWater(t testing.TB, st store.Store, reg *model.Registry) {
	t.Helper()
	ctx := context.Background()
	w, devs := waterreg.Demo(reg)
	reg.Devices = append(reg.Devices, devs...)
	if err := st.ImportRegistry(ctx, &model.Registry{Devices: devs}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		t.Fatal(err)
	}
	var samples []model.WaterSample
	tm := time.Date(2025, 5, 10, 10, 0, 0, 0, air.CST)
	add := func(point string, kv ...string) {
		for i := 0; i+1 < len(kv); i += 2 {
			samples = append(samples, model.WaterSample{Point: point, Time: tm, Item: kv[i], Value: kv[i+1], Source: "test"})
		}
	}
	for i, sec := range w.Sections {
		nh3n := strconv.FormatFloat(float64(i%6)*0.45+0.1, 'f', 2, 64)
		add(sec.Code, "pH", "7.6", "DO", "7.5", "CODMn", "2.0", "NH3-N", nh3n, "TP", "0.02")
	}
	for i, src := range w.Sources {
		fe := "0.1"
		if i == 0 {
			fe = "0.5" // above the table 2 limit (0.3 mg/L)
		}
		add(src.Code, "pH", "7.8", "DO", "8", "CODMn", "1.8", "NH3-N", "0.1", "TP", "0.02", "Fe", fe, "SO4", "120")
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
}

// seedRights applies testdata/rights-script.jsonl (internal/api's rights
// script: a configuration, permits, a banked reduction, a reservoir
// allocation, an agreement, listings and bids) to a ledger service.
func seedRights(t testing.TB, svc *rightsvc.Service) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "rights-script.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var k struct{ Key string }
		if err := json.Unmarshal(sc.Bytes(), &k); err != nil {
			t.Fatal(err)
		}
		cmd, err := rightsvc.DecodeCommand(sc.Bytes(), k.Key)
		if err != nil {
			t.Fatalf("%s: %v", k.Key, err)
		}
		if _, err := svc.Apply(context.Background(), cmd); err != nil {
			t.Fatalf("%s: %v", k.Key, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
