package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The big screen's figures are the engines' and the store's: the case
// states and overdue as CaseStats counts them, the targets as
// airreport.Targets computes them, the enterprises as the registry holds
// them; the page and its JSON show the same strings.
func TestScreenFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
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
		// One spelling of the pollutant on the whole screen, in both
		// languages: the subscripts the air panel uses (PM₂.₅).
		for lang, p := range map[string]string{"zh": page, "en": en} {
			if strings.Contains(p, "PM2.5") || !strings.Contains(p, "PM₂.₅") {
				t.Errorf("the %s screen writes PM2.5 (want PM₂.₅ throughout)", lang)
			}
		}
	})
}

// The screen shows this month's effective transmission rate as the
// marking service counts it, with its arithmetic (due, received, valid),
// the lowest county and outlets; Chinese on the Chinese page, English on
// the English one.
func TestScreenRates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		day := today(testNow)
		month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, cst)
		h, _ := newTestHandler(t, b, Config{Marks: &marksvc.Service{St: ratesStore(t, b, month), Now: func() time.Time { return testNow }}})
		rep, err := h.cfg.Marks.Rates(ctx, month, month.AddDate(0, 1, 0), auth.Principal{User: "t", Role: model.RoleCity})
		if err != nil {
			t.Fatal(err)
		}
		if rep.City.Count.Due == 0 || len(rep.Outlets) != 3 {
			t.Fatalf("the fixture has nothing due this month: %+v", rep.City)
		}
		c := rep.City.Count
		low := rep.Outlets[len(rep.Outlets)-1]
		if low.Key != "O3" || rep.Counties[len(rep.Counties)-1].Name != "阳谷县" {
			t.Fatalf("lowest outlet %s, county %s", low.Key, rep.Counties[len(rep.Counties)-1].Name)
		}
		for _, tc := range []struct {
			path  string
			want  []string
			avoid string
		}{
			{"/screen", []string{"本月传输有效率", fmt.Sprintf("%.2f%%", 100*c.Effective()),
				fmt.Sprintf("应传 %d · 实传 %d · 有效 %d", c.Due, c.Received, c.Valid), "最低区县", "阳谷县 50.00%", "最低排口", low.Name, "50.00%"}, "Effective"},
			{"/screen?lang=en", []string{"Effective transmission rate", "Yanggu County 50.00%", fmt.Sprintf("%.2f%%", 100*c.Effective()),
				fmt.Sprintf("due %d · received %d · valid %d", c.Due, c.Received, c.Valid), "Lowest county", "Lowest outlets"}, "传输有效率"},
		} {
			page := get(t, h, tc.path).Body.String()
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("%s lacks %q", tc.path, w)
				}
			}
			if strings.Contains(page, tc.avoid) {
				t.Errorf("%s shows %q", tc.path, tc.avoid)
			}
		}
		var f screenFigures
		if err := json.Unmarshal(get(t, h, "/screen/data.json").Body.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if f.Rates == nil || f.Rates.City != c || f.Text["rate-low0"] != low.Name {
			t.Errorf("data.json rates %+v, low0 %q; the service counts %+v, lowest %q", f.Rates, f.Text["rate-low0"], c, low.Name)
		}
	})
}

// ratesStore is a store of two counties' three outlets whose devices sent
// the hourly values of the month from `from` up to testNow, with gaps: the
// first every hour, the second three hours in four, the third half.
func ratesStore(t *testing.T, b storetest.Backend, from time.Time) store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, b)
	reg := &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371521", Name: "阳谷县"}},
		Enterprises: []model.Enterprise{{USCC: "E1", Name: "甲热电", County: "371502", Industry: "power"},
			{USCC: "E2", Name: "乙水泥", County: "371521", Industry: "cement"}},
		Outlets: []model.Outlet{{ID: "O1", Enterprise: "E1", Name: "1号排口", Kind: model.OutletAir},
			{ID: "O2", Enterprise: "E1", Name: "2号排口", Kind: model.OutletAir}, {ID: "O3", Enterprise: "E2", Name: "窑尾排口", Kind: model.OutletAir}},
		Devices: []model.Device{{MN: "M1", Password: "p", Protocol: "2017", Outlet: "O1"},
			{MN: "M2", Password: "p", Protocol: "2017", Outlet: "O2"}, {MN: "M3", Password: "p", Protocol: "2017", Outlet: "O3"}},
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	var batch store.Batch
	for i, at := 0, from; at.Before(testNow.Truncate(time.Hour)); i, at = i+1, at.Add(time.Hour) {
		for j, mn := range []string{"M1", "M2", "M3"} {
			if (j == 1 && i%4 == 3) || (j == 2 && i%2 == 1) {
				continue
			}
			batch.Uploads = append(batch.Uploads, model.Upload{MN: mn, CN: "2061", DataTime: at.UTC(),
				Values: []model.Value{{Factor: "a34013", Field: "Avg", Value: "5"}, {Factor: "a34013", Field: "Flag", Value: "N"}}})
		}
	}
	if err := st.CommitBatch(ctx, &batch); err != nil {
		t.Fatal(err)
	}
	return st
}
