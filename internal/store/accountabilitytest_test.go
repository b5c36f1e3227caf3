package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func runAccountabilitySuite(t *testing.T, tg target) {
	tests := []struct {
		name string
		fn   func(*testing.T, target)
	}{
		{"ConfigRoundTrip", testAccConfig},
		{"AssessmentReplace", testAccAssessment},
		{"FiringsUnique", testAccFirings},
		{"WarningOverlapRefused", testAccWarnings},
		{"AllOrNothing", testAccAllOrNothing},
		{"Registers", testAccRegisters},
		{"MonthKeyStable", testAccMonthKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, tg) })
	}
}

var accQ3 = chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 3}

func testAccConfig(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	c := AccountConfig{
		Schemes:  []acc.Scheme{{Version: "S1", Title: "t", From: time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone), Kinds: []chinatime.Kind{chinatime.Quarter}, Rules: []acc.Rule{{Indicator: acc.PM25, Method: acc.ByRank, Points: 10}}}},
		Formulas: acc.ShandongFormulas(),
		Rules:    []acc.TriggerRule{{ID: "r1", Title: "x", Predicate: acc.Bottom, Indicator: acc.PM25, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: acc.StepWarning, Line: "air-general"}},
	}
	if err := s.PutAccountConfig(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccountConfig(ctx, c); err != nil { // upsert: same versions again
		t.Fatal(err)
	}
	got, err := s.AccountConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Schemes) != 1 || len(got.Formulas) != len(c.Formulas) || len(got.Rules) != 1 {
		t.Fatalf("got %d schemes, %d formulas, %d rules", len(got.Schemes), len(got.Formulas), len(got.Rules))
	}
	if !got.Schemes[0].From.Equal(c.Schemes[0].From) || got.Rules[0].Step != acc.StepWarning || got.Schemes[0].Rules[0] != c.Schemes[0].Rules[0] {
		t.Fatalf("round trip changed the config: %+v", got)
	}
	if err := s.PutTargets(ctx, accQ3, []acc.Target{{County: "371502", Indicator: acc.PM25, Value: 40}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCountyValues(ctx, accQ3, []acc.CountyValues{{County: "371502", Values: map[acc.Indicator]float64{acc.WaterCompliance: 90, acc.TotalQuantity: 100}}}); err != nil {
		t.Fatal(err)
	}
	ts, err := s.Targets(ctx, accQ3)
	if err != nil || len(ts) != 1 || ts[0].Value != 40 {
		t.Fatalf("targets %v %v", ts, err)
	}
	vs, err := s.CountyValues(ctx, accQ3)
	if err != nil || len(vs) != 1 || vs[0].Values[acc.TotalQuantity] != 100 || len(vs[0].Values) != 2 {
		t.Fatalf("values %v %v", vs, err)
	}
	if vs, _ := s.CountyValues(ctx, accQ3.LastYear()); len(vs) != 0 {
		t.Fatalf("other period: %v", vs)
	}
}

func testAccAssessment(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	if _, err := s.Assessment(ctx, accQ3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	a := acc.Assessment{Period: accQ3, Scheme: "S1", Counties: []acc.CountyScore{{County: "A", Total: 80, Rank: 1}, {County: "B", Total: 70, Rank: 2}}}
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	if err := s.SaveAssessment(ctx, a, at); err != nil {
		t.Fatal(err)
	}
	a.Counties = a.Counties[:1]
	if err := s.SaveAssessment(ctx, a, at); err != nil {
		t.Fatal(err)
	}
	got, err := s.Assessment(ctx, accQ3)
	if err != nil || !reflect.DeepEqual(got.Counties, a.Counties) {
		t.Fatalf("got %+v %v", got, err)
	}
	st := acc.Settlement{Period: accQ3, Formula: "F", Lines: []acc.CompLine{{County: "A", Amount: -10000, Payable: 10000}}, Payable: 10000}
	if err := s.SaveSettlement(ctx, st, at); err != nil {
		t.Fatal(err)
	}
	gs, err := s.Settlement(ctx, accQ3)
	if err != nil || !reflect.DeepEqual(gs, st) {
		t.Fatalf("settlement %+v %v", gs, err)
	}
}

func testAccFirings(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	f := acc.Firing{Rule: "r1", Period: accQ3, County: "A", Step: acc.StepWarning, Reason: "first"}
	got, err := s.RecordFirings(ctx, accQ3, []acc.Firing{f})
	if err != nil || len(got) != 1 || got[0].CaseID != "" {
		t.Fatalf("%v %v", got, err)
	}
	if err := s.SetFiringCase(ctx, "r1", accQ3, "A", "C2026-000001"); err != nil {
		t.Fatal(err)
	}
	f.Reason = "again"
	got, err = s.RecordFirings(ctx, accQ3, []acc.Firing{f, {Rule: "r1", Period: accQ3, County: "B", Step: acc.StepBulletin}})
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	if got[0].Reason != "first" || got[0].CaseID != "C2026-000001" || got[1].County != "B" || got[1].CaseID != "" {
		t.Fatalf("re-evaluation changed the stored firing: %+v", got)
	}
	if err := s.SetFiringCase(ctx, "r1", accQ3, "Z", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown firing: %v", err)
	}
	if _, err := s.RecordFirings(ctx, accQ3, []acc.Firing{{Rule: "r1", Period: accQ3.LastYear(), County: "C"}}); err == nil {
		t.Fatal("a firing of another period was accepted")
	}
	testAccFiringReasons(t, tg)
}

// Both languages of a firing's reason survive the store; a firing stored
// before it carried its English reason (a row of the older binary) reads
// the English derived from the Chinese.
func testAccFiringReasons(t *testing.T, tg target) {
	dsn := tg.dsn(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	f := acc.Firing{Rule: "r2", Period: accQ3, County: "A", Step: acc.StepSummons,
		Reason: "PM2.5浓度(μg/m³)为48,未完成目标45", ReasonEN: "PM2.5 48 µg/m³, target 45 µg/m³ not met"}
	if _, err := s.RecordFirings(ctx, accQ3, []acc.Firing{f}); err != nil {
		t.Fatal(err)
	}
	raw := tg.raw(t, dsn)
	// The older binary wrote the same document without reason_en.
	for _, o := range []acc.Firing{
		{Rule: "r3", Period: accQ3, County: "B", Step: acc.StepSummons, Reason: "综合指数变化率(%)为3.2,同比恶化"},
		{Rule: "r4", Period: accQ3, County: "C", Step: acc.StepBulletin, Reason: "连续两期排名末位"},
	} {
		doc, err := json.Marshal(o)
		if err != nil || strings.Contains(string(doc), "reason_en") {
			t.Fatalf("%s %v", doc, err)
		}
		q := fmt.Sprintf("INSERT INTO acc_firings (rule, period, county, step, doc) VALUES (%s, %s, %s, %s, %s)", tg.ph(1), tg.ph(2), tg.ph(3), tg.ph(4), tg.ph(5))
		if _, err := raw.ExecContext(ctx, q, o.Rule, accQ3.String(), o.County, int(o.Step), string(doc)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Firings(ctx, accQ3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"r2": {f.Reason, f.ReasonEN},
		"r3": {"综合指数变化率(%)为3.2,同比恶化", "air quality index change 3.2%, worse than a year before"},
		"r4": {"连续两期排名末位", ""},
	}
	for _, g := range got {
		w, ok := want[g.Rule]
		if !ok {
			continue
		}
		delete(want, g.Rule)
		if g.Reason != w[0] || g.ReasonEN != w[1] {
			t.Errorf("%s: reason %q / %q, want %q / %q", g.Rule, g.Reason, g.ReasonEN, w[0], w[1])
		}
	}
	if len(want) > 0 {
		t.Errorf("not read back: %v", want)
	}
}

func testAccWarnings(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, chinatime.Zone)
	w1 := acc.Warning{ID: "W1", Level: acc.Orange, Start: t0, End: t0.Add(48 * time.Hour)}
	if err := s.AddWarning(ctx, w1); err != nil {
		t.Fatal(err)
	}
	w2 := acc.Warning{ID: "W2", Level: acc.Red, Start: t0.Add(24 * time.Hour), End: t0.Add(72 * time.Hour), Counties: []string{"371502"}}
	err := s.AddWarning(ctx, w2)
	if !errors.Is(err, acc.ErrRefused) {
		t.Fatalf("overlap: %v", err)
	}
	ws, err := s.Warnings(ctx)
	if err != nil || len(ws) != 1 || ws[0].ID != "W1" {
		t.Fatalf("after refusal: %v %v", ws, err)
	}
	w2.Start = w1.End
	if err := s.AddWarning(ctx, w2); err != nil {
		t.Fatalf("adjacent warning: %v", err)
	}
	if ws, _ := s.Warnings(ctx); len(ws) != 2 || !ws[1].Start.Equal(w1.End) {
		t.Fatalf("warnings %v", ws)
	}
}

func testAccAllOrNothing(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	good := acc.Project{ID: "P1", County: "A", Kind: "voc-substitution", Name: "x", Target: 100}
	if err := s.PutProjects(ctx, []acc.Project{good, {ID: "P2"}}); err == nil {
		t.Fatal("a project without county was accepted")
	}
	bad := AccountConfig{Schemes: []acc.Scheme{{Version: "S1"}}, Rules: []acc.TriggerRule{{Title: "no id"}}}
	if err := s.PutAccountConfig(ctx, bad); err == nil {
		t.Fatal("config with an unnamed rule accepted")
	}
	ps, _ := s.Projects(ctx)
	c, _ := s.AccountConfig(ctx)
	if len(ps) != 0 || len(c.Schemes) != 0 {
		t.Fatalf("refused writes left rows: %v %v", ps, c.Schemes)
	}
	if err := s.PutReductionEntries(ctx, 2026, []acc.ReductionEntry{{Enterprise: "E1", County: "A", Grade: "B"}}); err == nil {
		t.Fatal("entry without measures accepted")
	}
	if es, _ := s.ReductionEntries(ctx, 2026); len(es) != 0 {
		t.Fatalf("refused entries stored: %v", es)
	}
}

func testAccRegisters(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	u := acc.SoilUnit{ID: "U1", Enterprise: "E1", County: "A", Name: "n", Listed: time.Date(2024, 3, 1, 0, 0, 0, 0, chinatime.Zone)}
	if err := s.PutSoilUnits(ctx, []acc.SoilUnit{u}); err != nil {
		t.Fatal(err)
	}
	ds, err := acc.Duties(u, 2026, acc.DefaultSoilRules())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutDuties(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.Duties(ctx, 2026)
	if err != nil || len(got) != len(ds) || len(got) == 0 {
		t.Fatalf("duties %d of %d: %v", len(got), len(ds), err)
	}
	if other, _ := s.Duties(ctx, 2025); len(other) != 0 {
		t.Fatalf("2025: %v", other)
	}
	p := acc.Project{ID: "P1", County: "A", Name: "x", Target: 100, Progress: 60}
	if err := s.PutProjects(ctx, []acc.Project{p}); err != nil {
		t.Fatal(err)
	}
	p.Progress = 100
	if err := s.PutProjects(ctx, []acc.Project{p}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Projects(ctx); len(ps) != 1 || ps[0].Progress != 100 {
		t.Fatalf("projects %v", ps)
	}
}

// testAccMonthKey: a month is stored under 2026-M07 (chinatime.Period.Key),
// the form the rows were written in before the period's text became
// 2026-07, and read back by either form of the period.
func testAccMonthKey(t *testing.T, tg target) {
	dsn := tg.dsn(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	jul := chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 7}
	if err := s.PutTargets(ctx, jul, []acc.Target{{County: "371502", Indicator: acc.PM25, Value: 40}}); err != nil {
		t.Fatal(err)
	}
	var key string
	if err := tg.raw(t, dsn).QueryRow("SELECT period FROM acc_targets").Scan(&key); err != nil || key != "2026-M07" {
		t.Fatalf("stored key %q, %v; want 2026-M07", key, err)
	}
	for _, in := range []string{"2026-07", "2026-M07"} {
		p, err := chinatime.ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		if ts, err := s.Targets(ctx, p); err != nil || len(ts) != 1 {
			t.Errorf("targets of %s: %v, %v", in, ts, err)
		}
	}
}
