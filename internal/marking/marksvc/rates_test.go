package marksvc

import (
	"context"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A device that sent 20 of a day's 24 hourly values, one of them flagged
// for maintenance: 20/24 received, 19/20 valid, 79.17 % effective, under
// 90 %: one case for the outlet, once.
func TestRatesAndBelowThresholdCase(t *testing.T) { storetest.Run(t, testRatesAndBelowThresholdCase) }

func testRatesAndBelowThresholdCase(t *testing.T, st store.Store) {
	ctx := context.Background()
	reg := &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区"}},
		Enterprises: []model.Enterprise{{USCC: "E1", Name: "某热电", County: "371502", Industry: "power"}},
		Outlets:     []model.Outlet{{ID: "E1-DA001", Enterprise: "E1", Name: "1号排口", Kind: model.OutletAir}},
		Devices:     []model.Device{{MN: "MN1", Password: "p", Protocol: "2017", Outlet: "E1-DA001"}},
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 15, 0, 0, 0, 0, cst)
	var b store.Batch
	for h := 0; h < 24; h++ {
		if h >= 10 && h < 14 {
			continue // four hours never arrived
		}
		flag := "N"
		if h == 20 {
			flag = "M"
		}
		b.Uploads = append(b.Uploads, model.Upload{MN: "MN1", CN: "2061", DataTime: day.Add(time.Duration(h) * time.Hour).UTC(),
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: "10"}, {Factor: "a21026", Field: "Flag", Value: flag}}})
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		t.Fatal(err)
	}
	now := day.AddDate(0, 0, 2)
	ms := &Service{St: st, Cases: &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return now }}, Now: func() time.Time { return now }}
	opened, err := ms.CheckRates(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 || opened[0].ProblemType != "transmission-rate" || opened[0].Description[:len("传输率 20/24")] != "传输率 20/24" {
		t.Fatalf("opened %+v", opened)
	}
	if again, _ := ms.CheckRates(ctx, day, day.AddDate(0, 0, 1)); len(again) != 0 {
		t.Fatalf("a second check opened %d more", len(again))
	}
	rep, err := ms.Rates(ctx, day, day.AddDate(0, 0, 1), casesvc.AlertSystem)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.City.Count.Arithmetic("zh"); got != "传输率 20/24 = 83.33%，有效率 19/20 = 95.00%，传输有效率 = 83.33% × 95.00% = 79.17%" {
		t.Errorf("arithmetic %s", got)
	}
	// Today: only the hours up to now are due.
	now = day.Add(5 * time.Hour)
	rep, _ = ms.Rates(ctx, day, day.AddDate(0, 0, 1), casesvc.AlertSystem)
	if rep.City.Count.Due != 5 {
		t.Errorf("due so far today: %d, want 5", rep.City.Count.Due)
	}
}
