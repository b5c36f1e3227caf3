package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The big screen's figures are the engines' and the store's: the case
// states and overdue as CaseStats counts them, the targets as
// airreport.Targets computes them, the enterprises as the registry holds
// them; the page and its JSON show the same strings.
func TestScreenFigures(t *testing.T) {
	h, s := newTestHandler(t, Config{})
	st, _ := fixture(t)
	ctx := context.Background()

	w := get(t, h, "/screen/data.json")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("data.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var f screenFigures
	if err := json.Unmarshal(w.Body.Bytes(), &f); err != nil {
		t.Fatal(err)
	}

	sum, err := st.CaseStats(ctx, store.CaseQuery{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, x := range cases.States() {
		if x.Open() {
			open += sum.ByState[x]
		}
	}
	if f.Cases.Open != open || f.Cases.Overdue != sum.Overdue || sum.Overdue == 0 {
		t.Errorf("cases open %d overdue %d, the store counts %d and %d", f.Cases.Open, f.Cases.Overdue, open, sum.Overdue)
	}
	if f.Enterprises.Total != len(s.Reg.Enterprises) || f.Enterprises.Online+f.Enterprises.Offline+f.Enterprises.Never != f.Enterprises.Total {
		t.Errorf("enterprises %+v, registry %d", f.Enterprises, len(s.Reg.Enterprises))
	}
	// The seeded device reported five minutes before now: its enterprise
	// is online.
	if f.Enterprises.Online < 1 {
		t.Errorf("no enterprise online: %+v", f.Enterprises)
	}

	day := today(testNow)
	tr, err := airreport.Targets(ctx, st, day.Year(), day.AddDate(0, 0, -1), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tr.Areas {
		if a.Area != model.AirCity {
			continue
		}
		if f.PM25 == nil || f.PM25.Mean != a.PM25.Mean.String() || f.Good == nil || f.Good.Ratio != a.GoodRatio.Ratio {
			t.Errorf("targets %+v %+v, engine %+v %+v", f.PM25, f.Good, a.PM25, a.GoodRatio)
		}
		if a.PM25.Feasible && !strings.HasPrefix(f.Text["pm25-budget"], "≤ ") {
			t.Errorf("budget shown as %q", f.Text["pm25-budget"])
		}
	}
	if len(f.Counties) != len(s.Reg.Counties) || len(f.Stations) == 0 {
		t.Errorf("%d regions, %d stations", len(f.Counties), len(f.Stations))
	}
	// The map's regions carry the bundled map's names.
	for _, r := range f.Counties {
		if r.Label == "茌平区" && r.Name != "茌平县" {
			t.Errorf("茌平区 drawn as region %q", r.Name)
		}
	}

	// The page prints the same figures.
	page := get(t, h, "/screen").Body.String()
	for _, k := range []string{"case-open", "case-overdue", "ent-total", "pm25-mean", "good-ratio"} {
		if want := `data-t="` + k + `">` + f.Text[k] + "<"; !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// English.
	en := get(t, h, "/screen?lang=en").Body.String()
	if !strings.Contains(en, "Command Centre") || strings.Contains(en, "指挥中心") {
		t.Error("the English screen is not in English")
	}
}
