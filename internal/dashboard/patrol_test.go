package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestPatrolPages: /patrol offers to start a patrol, then shows the
// patroller's ongoing one (track so far, findings with their cases) in
// the phone layout; /patrols/stats sums patrols, km, findings and closed
// cases by county and month.
func TestPatrolPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 0)
		ctx := context.Background()
		svc.Now = func() time.Time { return testNow.Add(-2 * time.Hour) }
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		body := get(t, h, "/patrol").Body.String()
		if !strings.Contains(body, `id="start-form"`) || !strings.Contains(body, `id="patrol-nav"`) || !strings.Contains(body, "/static/patrol.js") || strings.Contains(body, "nav-cases") {
			t.Fatal("/patrol: no start form in the phone layout")
		}
		// Without users the API records the open mode's patroller.
		open := auth.Principal{User: "open", Role: model.RoleCity, Via: "open"}
		pt, err := svc.StartPatrol(ctx, "371502", "徒骇河东昌府段", open)
		if err != nil {
			t.Fatal(err)
		}
		t0 := testNow.Add(-2 * time.Hour)
		if _, err := svc.TrackPatrol(ctx, pt.ID, []cases.TrackPoint{{T: t0, Lat: 36.45, Lon: 115.98}, {T: t0.Add(time.Minute), Lat: 36.46, Lon: 115.98}}, open); err != nil {
			t.Fatal(err)
		}
		_, c, err := svc.PatrolFinding(ctx, pt.ID, store.PatrolFinding{Description: "河面漂浮垃圾", Lat: 36.46, Lon: 115.98}, open)
		if err != nil {
			t.Fatal(err)
		}
		body = get(t, h, "/patrol").Body.String()
		if !strings.Contains(body, `data-patrol="`+pt.ID+`"`) || !strings.Contains(body, ">1.11<") || !strings.Contains(body, `href="/cases/`+c.ID+`"`) {
			t.Error("/patrol does not resume the ongoing patrol with its km and finding")
		}
		if _, err := svc.EndPatrol(ctx, pt.ID, open); err != nil {
			t.Fatal(err)
		}
		w := get(t, h, "/patrols/stats")
		if w.Code != http.StatusOK {
			t.Fatalf("stats: %d", w.Code)
		}
		month := testNow.In(cst).Format("2006-01")
		if b := w.Body.String(); !strings.Contains(b, "<td>"+month+"</td><td>东昌府区</td><td>1</td><td>1.1</td><td>1</td><td>0</td>") {
			t.Errorf("stats row missing: %s", b[strings.Index(b, "patrol-stats"):min(len(b), strings.Index(b, "patrol-stats")+600)])
		}
		if b := get(t, h, "/patrols/stats?lang=en").Body.String(); !strings.Contains(b, "Patrol statistics") {
			t.Error("English stats page")
		}
	})
}
