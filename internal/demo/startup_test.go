package demo

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The demo's start-up: the enterprise user marks its boiler's start-up on
// the desk and the third hour over the limit opens no case; marking the
// episode of the day before is late and opens one.
func TestDemoStartUpMarked(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, st store.Store) {
		c := importedCity(t, st)
		start := time.Now().Truncate(time.Hour).Add(20 * time.Minute)
		now := start
		clock := func() time.Time { return now }
		var out bytes.Buffer
		if err := SeedStartUp(ctx, st, c.Registry, start, &out); err != nil {
			t.Fatal(err)
		}
		cw := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: clock}
		ms := &marksvc.Service{St: st, Cases: cw, Now: clock}
		as := alertsvc.New(st, cw, alertsvc.Config{Marks: ms, Now: clock})
		if err := as.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer as.Stop()
		if err := as.Flush(ctx); err != nil { // the replay of the seeded hours
			t.Fatal(err)
		}
		d, o, _ := StartUpDevice(c.Registry)
		e := c.Registry.Enterprises[0]
		countCases := func(problem string) int {
			cs, err := st.Cases(ctx, store.CaseQuery{Enterprise: e.USCC})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range cs {
				if x.ProblemType == problem {
					n++
				}
			}
			return n
		}
		if n := countCases("exceedance"); n != 0 {
			t.Fatalf("two seeded hours over the limit opened %d cases", n)
		}
		user := auth.Principal{User: "enterprise", Role: model.RoleEnterprise, Enterprise: e.USCC, County: e.County, Via: "session"}
		h := start.Truncate(time.Hour)
		if _, err := ms.Create(ctx, marksvc.Input{MN: d.MN, Type: "startup", From: h.Add(-2 * time.Hour), To: h.Add(2 * time.Hour), Reason: "1号锅炉启炉"}, user); err != nil {
			t.Fatal(err)
		}
		// The simulator's hourly value of the demo's first hour, still over.
		now = h.Add(time.Hour + time.Minute)
		u := model.Upload{MN: d.MN, CN: "2061", DataTime: h.UTC()}
		for _, l := range o.Limits {
			if l.Max != nil && l.Period == model.PeriodHour {
				u.Values = append(u.Values, model.Value{Factor: l.Pollutant, Field: "ZsAvg", Value: strconv.FormatFloat(*l.Max*1.5, 'f', 2, 64)},
					model.Value{Factor: l.Pollutant, Field: "Flag", Value: "N"})
			}
		}
		b := &store.Batch{Uploads: []model.Upload{u}, Contacts: []model.Contact{{MN: d.MN, At: now, CN: "2061"}}}
		if err := st.CommitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		as.Enqueue(b)
		if err := as.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countCases("exceedance"); n != 0 {
			t.Fatalf("the marked start-up opened %d exceedance cases", n)
		}
		ds, _ := st.Decisions(ctx, store.DecisionQuery{Enterprise: e.USCC})
		excused := 0
		for _, x := range ds {
			if x.Outcome == marking.OutcomeExcused && x.Rule == "mark:startup" {
				excused++
			}
		}
		if excused == 0 {
			t.Fatalf("no excused decision: %+v", ds)
		}
		lm, err := ms.Create(ctx, marksvc.Input{MN: d.MN, Type: "startup", From: h.Add(-26 * time.Hour), To: h.Add(-22 * time.Hour), Reason: "补标昨日启炉"}, user)
		if err != nil || !lm.Late {
			t.Fatalf("late mark: %v late=%v", err, lm.Late)
		}
		if n := countCases("mark-late"); n != 1 {
			t.Fatalf("%d late-mark cases, want 1", n)
		}
	})
}
