package tracesvc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

var t0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func fp(f float64) *float64 { return &f }

// scenario stores a river of two 20 km reaches (0.5 m/s, 10 m³/s) with an
// automatic station near the mouth and four outfalls with online
// monitors, and 10 days of hourly data in which outfall src discharges
// an NH3-N pulse at hour 100 for 6 hours. It returns the store and the
// hour the pulse reaches the section.
func scenario(t testing.TB, be storetest.Backend, seed uint64, src int) (store.Store, time.Time) {
	t.Helper()
	return scenarioVia(t, be, seed, src, false)
}

// scenarioVia: with stationUploads the section's series is stored only as
// the automatic station's hourly uploads (not synced into water samples).
func scenarioVia(t testing.TB, be storetest.Backend, seed uint64, src int, stationUploads bool) (store.Store, time.Time) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, be)
	rng := rand.New(rand.NewPCG(seed, 7))
	reg := &model.Registry{Counties: []model.County{{Code: "371502", Name: "东昌府区"}}}
	w := &model.WaterRegistry{
		Rivers: []model.River{{Code: "A", Name: "甲河", Kind: "river"}},
		Nodes:  []model.WaterNode{{ID: "N0", Kind: "source"}, {ID: "N1", Kind: "junction"}, {ID: "N2", Kind: "mouth"}},
		Reaches: []model.Reach{
			{ID: "R1", River: "A", From: "N0", To: "N1", LengthM: 20000, VelocityMS: 0.5, FlowM3S: 10},
			{ID: "R2", River: "A", From: "N1", To: "N2", LengthM: 20000, VelocityMS: 0.5, FlowM3S: 10},
		},
		Sections: []model.WaterSection{{Code: "S1", Name: "出境", Level: "national", Body: "river", River: "A", Target: 3,
			County: "371502", Automatic: true, MN: "STATION", Reach: "R2", OffsetM: 19000}},
	}
	offsets := []struct {
		reach string
		off   float64
	}{{"R1", 5000}, {"R1", 15000}, {"R2", 4000}, {"R2", 12000}}
	travel := make([]time.Duration, len(offsets))
	for i, o := range offsets {
		e := fmt.Sprintf("91371500MA3C00000%d", i)
		reg.Enterprises = append(reg.Enterprises, model.Enterprise{USCC: e, Name: "企业" + strconv.Itoa(i), County: "371502", Industry: "2221"})
		out := e + "-DW001"
		reg.Outlets = append(reg.Outlets, model.Outlet{ID: out, Enterprise: e, Name: "废水总排口", Kind: model.OutletWater,
			Limits: []model.Limit{{Pollutant: "w21003", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodHour, Max: fp(25)}}})
		reg.Devices = append(reg.Devices, model.Device{MN: fmt.Sprintf("MN%02d", i), Password: "123456", Protocol: "2017", Outlet: out, ST: "32"})
		w.Outfalls = append(w.Outfalls, model.WaterOutfall{Code: fmt.Sprintf("O%d", i), Reach: o.reach, OffsetM: o.off, Outlet: out})
		dist := 19000 - o.off
		if o.reach == "R1" {
			dist += 20000
		}
		travel[i] = time.Duration(dist / 0.5 * float64(time.Second))
	}
	reg.Devices = append(reg.Devices, model.Device{MN: "STATION", Password: "123456", Protocol: "2017", ST: "21"})
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if err := waterreg.Validate(w, reg, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		t.Fatal(err)
	}
	const hours = 240
	pulse := func(h int) bool { return h >= 100 && h < 106 }
	excess := make([]float64, hours+48) // mg/L added at the section
	var ups []model.Upload
	for i := range offsets {
		lag := int(travel[i].Round(time.Hour) / time.Hour)
		for h := range hours {
			c := 8 + rng.NormFloat64()    // mg/L, a steady discharge
			q := 40 + 4*rng.NormFloat64() // L/s
			if i == src && pulse(h) {
				c, q = 180+10*rng.NormFloat64(), 90
			}
			ups = append(ups, model.Upload{MN: fmt.Sprintf("MN%02d", i), CN: "2061", DataTime: t0.Add(time.Duration(h) * time.Hour), Values: []model.Value{
				{Factor: "w21003", Field: "Avg", Value: strconv.FormatFloat(c, 'f', 2, 64)},
				{Factor: "w21003", Field: "Flag", Value: "N"},
				{Factor: "w00000", Field: "Avg", Value: strconv.FormatFloat(q, 'f', 1, 64)},
			}})
			if h+lag < len(excess) {
				excess[h+lag] += c * q / 1000 / 10 // g/s over 10 m³/s
			}
		}
	}
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups}); err != nil {
		t.Fatal(err)
	}
	var samples []model.WaterSample
	first := time.Time{}
	for h := 48; h < hours; h++ {
		v := 0.3 + excess[h] + 0.03*rng.NormFloat64()
		if v > 1.0 && first.IsZero() {
			first = t0.Add(time.Duration(h) * time.Hour)
		}
		samples = append(samples, model.WaterSample{Point: "S1", Item: "NH3-N", Time: t0.Add(time.Duration(h) * time.Hour),
			Value: strconv.FormatFloat(v, 'f', 3, 64), Source: "hj212"})
	}
	if stationUploads {
		var sups []model.Upload
		for _, x := range samples {
			sups = append(sups, model.Upload{MN: "STATION", CN: "2061", DataTime: x.Time, Values: []model.Value{
				{Factor: "w21003", Field: "Avg", Value: x.Value}, {Factor: "w21003", Field: "Flag", Value: "N"}}})
		}
		if err := st.CommitBatch(ctx, &store.Batch{Uploads: sups}); err != nil {
			t.Fatal(err)
		}
	} else if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	if first.IsZero() {
		t.Fatal("the pulse does not exceed at the section")
	}
	return st, first
}

// TestTraceThroughStore: the outfall that discharged the pulse ranks
// first, whichever of the four it is.
func TestTraceThroughStore(t *testing.T) { storetest.Each(t, testTraceThroughStore) }

func testTraceThroughStore(t *testing.T, be storetest.Backend) {
	for seed := range uint64(8) {
		src := int(seed % 4)
		t.Run(fmt.Sprintf("seed%d-O%d", seed, src), func(t *testing.T) {
			st, first := scenario(t, be, seed, src)
			rep, err := Run(context.Background(), st, Query{Section: "S1", Time: first, Factor: "NH3-N"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Candidates) != 4 {
				t.Fatalf("%d candidates, want 4: %s", len(rep.Candidates), rep.Text())
			}
			if got := rep.Candidates[0].Outfall; got != fmt.Sprintf("O%d", src) {
				t.Fatalf("first candidate %s, want O%d:\n%s", got, src, rep.Text())
			}
			if c := rep.Candidates[0]; !c.Load.Available || !c.Correlation.Available || c.Device == "" {
				t.Fatalf("evidence missing for the source: %+v", c)
			}
		})
	}
}

func TestUnknown(t *testing.T) { storetest.Each(t, testUnknown) }

func testUnknown(t *testing.T, be storetest.Backend) {
	st, first := scenario(t, be, 1, 0)
	if _, err := Run(context.Background(), st, Query{Section: "S9", Time: first, Factor: "NH3-N"}); err == nil {
		t.Error("unknown section traced")
	}
	if _, err := Run(context.Background(), st, Query{Section: "S1", Time: first, Factor: "XX"}); err == nil {
		t.Error("unknown factor traced")
	}
}

// A tracing report opens a case against the source's enterprise through
// the closed loop.
func TestCase(t *testing.T) { storetest.Each(t, testCase) }

func testCase(t *testing.T, be storetest.Backend) {
	st, first := scenario(t, be, 2, 1)
	ctx := context.Background()
	rep, err := Run(ctx, st, Query{Section: "S1", Time: first, Factor: "NH3-N"})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := st.WaterRegistry(ctx)
	reg, _ := st.Registry(ctx)
	c, err := Case(rep, w, reg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Enterprise != "91371500MA3C000001" || c.County != "371502" || c.Source != cases.SourceTracing || c.Line != "water" || c.Severity != cases.SeverityMajor {
		t.Fatalf("case = %+v", c)
	}
	svc := &casesvc.Service{St: st}
	got, err := svc.Register(ctx, c, auth.Principal{User: "water-trace", Role: model.RoleMachine, Via: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Case(ctx, got.ID)
	if err != nil || stored.Enterprise != c.Enterprise || stored.Title != c.Title || stored.Ref != c.Ref {
		t.Fatalf("stored case %+v, %v", stored, err)
	}
	if _, err := Case(rep, &model.WaterRegistry{}, reg); err == nil {
		t.Fatal("a case for a section not in the registry")
	}
}

// An automatic station's series is read from its uploads when it has not
// been synced into the water samples.
func TestTraceStationUploads(t *testing.T) { storetest.Each(t, testTraceStationUploads) }

func testTraceStationUploads(t *testing.T, be storetest.Backend) {
	st, first := scenarioVia(t, be, 5, 2, true)
	if ss, _ := st.WaterSamples(context.Background(), store.WaterSampleQuery{}); len(ss) != 0 {
		t.Fatal("samples stored")
	}
	rep, err := Run(context.Background(), st, Query{Section: "S1", Time: first, Factor: "NH3-N"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Candidates[0].Outfall != "O2" {
		t.Fatalf("first %s, want O2:\n%s", rep.Candidates[0].Outfall, rep.Text())
	}
}
