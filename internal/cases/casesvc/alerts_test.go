package casesvc

import (
	"context"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// An hourly converted SO2 over its limit: the first hour asks the
// enterprise for a self-check, the third opens one case for the county,
// and the same outcomes again (a restarted engine) open no second case.
func TestAlertBridge(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	lim := 35.0
	k := alerts.SeriesKey{MN: "MN1", Outlet: "O1", Enterprise: "E1", County: "371502", Factor: "a21026", Field: "ZsAvg", Period: model.PeriodHour}
	eng, err := alerts.New(alerts.DefaultConfig(), []alerts.SeriesSpec{{Key: k, Limits: []model.Limit{
		{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &lim}}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := eng.Lookup(k)
	if !ok {
		t.Fatal("series not found")
	}
	h0 := t0.Unix() / 3600 * 3600
	var outs []alerts.Outcome
	for i, v := range []float64{36, 40, 41} {
		outs = eng.Observe(alerts.Sample{Series: id, T: h0 + int64(i)*3600, Value: v, Flag: 'N'}, outs)
	}
	b := &AlertBridge{Svc: s, Engine: eng}
	opened, err := b.Handle(ctx, outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 {
		t.Fatalf("opened %d cases from %v", len(opened), outs)
	}
	c := opened[0]
	if c.Source != cases.SourceOnline || c.County != "371502" || c.Enterprise != "E1" || c.Line != "air-industry" || c.Ref == "" || c.State != cases.StateRegistered {
		t.Errorf("case %+v", c)
	}
	ns, _ := s.St.Notifications(ctx, []string{"enterprise:E1"}, 10)
	self := 0
	for _, n := range ns {
		if n.Kind == "alert.self-check" && strings.Contains(n.Message, "a21026") {
			self++
		}
	}
	if self != 1 {
		t.Errorf("self-check notices %d: %+v", self, ns)
	}
	if again, err := b.Handle(ctx, outs); err != nil || len(again) != 0 {
		t.Errorf("replayed outcomes opened %d cases (%v)", len(again), err)
	}
	all, _ := s.St.Cases(ctx, store.CaseQuery{})
	if len(all) != 1 {
		t.Errorf("%d cases stored", len(all))
	}
}
