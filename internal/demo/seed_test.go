package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/water/tracesvc"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// seedNow is when the seeding tests seed: a fixed day, so that the
// months and quarters seeded before it are known.
var seedNow = time.Date(2026, 11, 15, 10, 0, 0, 0, cst)

// importedCity is the demo city of seed 1 with its registry imported
// into st, as a first start begins.
func importedCity(t *testing.T, st store.Store) City {
	t.Helper()
	c := NewCity(1)
	if err := Import(context.Background(), st, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A first start seeds what the pages show in the demo's first minute:
// every section of the last ended month assessed, a ledger with
// permits, banked reductions, allocations and trades, and the quarters
// of the year assessed, compensated and triggered with a summons case.
func TestSeedFillsThePages(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, st store.Store) {
		now := seedNow
		c := importedCity(t, st)
		var out bytes.Buffer
		if err := Seed(ctx, st, c, 1, now, &out); err != nil {
			t.Fatal(err)
		}
		rs, err := rightsvc.Open(ctx, st, rightsvc.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		if err := SeedWork(ctx, st, rs, t.TempDir(), c, now, &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}

		per, err := chinatime.ParsePeriod("2026-10")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := waterreport.Build(ctx, st, per, waterreport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Summary.Sections == 0 || rep.Summary.Evaluated != rep.Summary.Sections {
			t.Errorf("water 2026-10: %d of %d sections evaluated", rep.Summary.Evaluated, rep.Summary.Sections)
		}
		if rep.Summary.Meeting == rep.Summary.Sections || rep.Summary.Meeting == 0 {
			t.Errorf("water 2026-10: %d of %d meet the target; want some of each", rep.Summary.Meeting, rep.Summary.Sections)
		}
		for _, d := range rep.Drinking {
			if d.Samples == 0 {
				t.Errorf("drinking-water source %s has no sample in 2026-10", d.Code)
			}
		}

		if n := len(rs.Trades("", 0, 0)); n < 2 {
			t.Errorf("%d trades in the ledger, want the seeded transfers", n)
		}
		if len(rs.Reservoir("", "", 2026)) == 0 {
			t.Error("no reservoir flows in 2026")
		}
		if len(rs.Balances("", "")) < 10 {
			t.Errorf("%d holdings, want the seeded permits", len(rs.Balances("", "")))
		}

		as := st.(store.AccountabilityStore)
		for q := 1; q <= 3; q++ {
			p := chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: q}
			a, err := as.Assessment(ctx, p)
			if err != nil {
				t.Errorf("%s: %v\n%s", p, err, out.String())
				continue
			}
			if len(a.Counties) != len(c.Registry.Counties) {
				t.Errorf("%s: %d counties assessed, want %d", p, len(a.Counties), len(c.Registry.Counties))
			}
			if _, err := as.Settlement(ctx, p); err != nil {
				t.Errorf("%s compensation: %v", p, err)
			}
			fs, err := as.Firings(ctx, p)
			if err != nil || len(fs) == 0 || fs[0].CaseID == "" || fs[0].Step < acc.StepSummons {
				t.Errorf("%s firings %+v (%v): want a summons (or the next rung) with its case", p, fs, err)
			}
		}
		if _, err := as.Assessment(ctx, chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 4}); err == nil {
			t.Error("the quarter not yet ended was assessed")
		}
	})
}

// The closed loop starts with petitions in every state, patrols whose
// findings opened cases, and supervision notices on the overdue cases.
func TestSeedCases(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, st store.Store) {
		now := seedNow
		c := importedCity(t, st)
		var out bytes.Buffer
		if err := SeedCases(ctx, st, t.TempDir(), c, now, &out); err != nil {
			t.Fatal(err)
		}
		cs := st.(store.CasesStore)
		ps, err := cs.Petitions(ctx, store.PetitionQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		states := map[cases.State]int{}
		rated := 0
		for _, p := range ps {
			k, err := cs.Case(ctx, p.Case)
			if err != nil {
				t.Fatal(err)
			}
			states[k.State]++
			if k.Satisfaction != "" {
				rated++
			}
		}
		for _, s := range cases.States() {
			if states[s] == 0 {
				t.Errorf("no petition in state %s (%v)", s, states)
			}
		}
		if rated < 3 {
			t.Errorf("%d petitions rated, want the three callbacks", rated)
		}
		all, err := cs.Cases(ctx, store.CaseQuery{Now: now, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		patrol, notices := 0, 0
		for _, k := range all {
			if k.Source == cases.SourcePatrol {
				patrol++
			}
			for _, e := range k.Escalations {
				if e.Level == cases.LevelNotice && e.Doc != "" {
					notices++
				}
			}
		}
		if patrol != 3 {
			t.Errorf("%d cases from patrol findings, want 3", patrol)
		}
		if notices == 0 {
			t.Errorf("no numbered supervision notice issued on the overdue case\n%s", out.String())
		}
	})
}

// The hourly water history holds an episode that tracing finds: the
// section exceeds, and the outfall that discharged ranks first.
func TestSeedTraceEpisode(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, st store.Store) {
		now := seedNow
		c := importedCity(t, st)
		var out bytes.Buffer
		ev, err := SeedWaterHours(ctx, st, c, 1, now, &out)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Section == "" {
			t.Fatalf("no episode seeded: %s", out.String())
		}
		rep, err := tracesvc.Run(ctx, st, tracesvc.Query{Section: ev.Section, Time: ev.Arrive.Add(2 * time.Hour), Factor: "NH3-N"})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Exceeds {
			t.Errorf("section %s does not exceed at %s (peak %v, limit %v)", ev.Section, ev.Arrive, rep.Peak, rep.Limit)
		}
		if len(rep.Candidates) == 0 || rep.Candidates[0].Outfall != ev.Outfall {
			var got []string
			for _, c := range rep.Candidates {
				got = append(got, c.Outfall)
			}
			t.Errorf("candidates %v, want %s first", got, ev.Outfall)
		}
		// Hours before the episode: the section is clean.
		calm, err := tracesvc.Run(ctx, st, tracesvc.Query{Section: ev.Section, Time: ev.Start.Add(-3 * 24 * time.Hour), Factor: "NH3-N"})
		if err != nil {
			t.Fatal(err)
		}
		if calm.Exceeds {
			t.Error("the section exceeds three days before the episode")
		}
	})
}
