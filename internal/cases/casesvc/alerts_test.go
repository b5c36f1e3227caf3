package casesvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// An hourly converted SO2 over its limit: the first hour asks the
// enterprise for a self-check, the third opens one case for the county,
// and the same outcomes again (a restarted engine) open no second case.
func TestAlertBridge(t *testing.T) { storetest.Each(t, testAlertBridge) }

func testAlertBridge(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
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
		if n.Kind == "alert.self-check" && strings.Contains(n.Message, "二氧化硫小时均值") {
			self++
			// The English wording is the platform's own, with no Chinese
			// but the names it carries (none in this registry).
			if !strings.HasPrefix(n.MessageEN, "Please check: ") || !strings.Contains(n.MessageEN, "SO") || strings.ContainsFunc(n.MessageEN, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("self-check notice in English: %q", n.MessageEN)
			}
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

// One case per outlet and episode: SO₂ and then NOₓ of one outlet firing
// within the gap are one case with two findings, titled by the worst and
// with the names from the registry; another outlet has its own case; the
// same outlet firing again after a quiet gap longer than the configured
// one, or after its case was closed, opens a new case.
func TestAlertBridgeEpisodes(t *testing.T) { storetest.Each(t, testAlertBridgeEpisodes) }

func testAlertBridgeEpisodes(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	so2Lim, noxLim := 100.0, 150.0
	lims := []model.Limit{
		{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &so2Lim},
		{Pollutant: "a21002", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &noxLim}}
	key := func(outlet, factor string) alerts.SeriesKey {
		return alerts.SeriesKey{MN: "MN-" + outlet, Outlet: outlet, Enterprise: "E1", County: "371502", Factor: factor, Field: "ZsAvg", Period: model.PeriodHour}
	}
	keys := []alerts.SeriesKey{key("O1", "a21026"), key("O1", "a21002"), key("O2", "a21026")}
	var specs []alerts.SeriesSpec
	for _, k := range keys {
		specs = append(specs, alerts.SeriesSpec{Key: k, Limits: lims})
	}
	eng, err := alerts.New(alerts.DefaultConfig(), specs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]alerts.SeriesID, len(keys))
	for i, k := range keys {
		ids[i], _ = eng.Lookup(k)
	}
	h0 := t0.Unix() / 3600 * 3600
	fire := func(series int, hour int64, v, lim float64) alerts.Outcome {
		at := h0 + hour*3600
		return alerts.Outcome{Kind: alerts.OpenCase, Rule: alerts.RuleExceedance, Series: ids[series], Device: -1, Since: at - 2*3600, At: at, Value: v, Threshold: lim}
	}
	b := &AlertBridge{Svc: s, Engine: eng, Gap: 6 * time.Hour, Names: func(ent, outlet string) (string, string) {
		return map[string]string{"E1": "聊城某某有限公司"}[ent], map[string]string{"O1": "1号锅炉废气排放口", "O2": "2号锅炉废气排放口"}[outlet]
	}}
	handle := func(o alerts.Outcome) cases.Case {
		t.Helper()
		got, err := b.Handle(ctx, []alerts.Outcome{o})
		if err != nil || len(got) != 1 {
			t.Fatalf("handle: %v, %d cases", err, len(got))
		}
		return got[0]
	}
	first := handle(fire(0, 0, 120, so2Lim))
	second := handle(fire(1, 3, 245, noxLim))
	other := handle(fire(2, 3, 130, so2Lim))
	if second.ID != first.ID {
		t.Errorf("NOx of the same outlet opened %s beside %s", second.ID, first.ID)
	}
	if other.ID == first.ID {
		t.Error("another outlet joined the first outlet's case")
	}
	want := "聊城某某有限公司 1号锅炉废气排放口 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³），本次共 2 项因子"
	if second.Title != want || len(second.Alert.Findings) != 2 {
		t.Errorf("title %q, %d findings", second.Title, len(second.Alert.Findings))
	}
	if en := second.TitleIn("en"); !strings.Contains(en, "NOx hourly mean 245 mg/m³, 0.63 times over the limit (150 mg/m³)") {
		t.Errorf("English title %q", en)
	}
	evs, _ := s.St.CaseEvents(ctx, first.ID)
	if last := evs[len(evs)-1]; last.Action != cases.ActAddFinding || last.Finding == nil || last.Finding.Factor != "a21002" {
		t.Errorf("last event %+v", last)
	}
	// The same outcome again (a replay) changes nothing.
	if again, err := b.Handle(ctx, []alerts.Outcome{fire(1, 3, 245, noxLim)}); err != nil || len(again) != 0 {
		t.Errorf("replay: %d cases, %v", len(again), err)
	}
	// 3 h + 7 h: the outlet was quiet longer than the 6 h gap.
	later := handle(fire(0, 10, 140, so2Lim))
	if later.ID == first.ID {
		t.Error("a firing after the gap extended the old episode's case")
	}
	// Within the gap again: joins the new case, not the old one.
	if c := handle(fire(1, 12, 200, noxLim)); c.ID != later.ID {
		t.Errorf("joined %s, want %s", c.ID, later.ID)
	}
	all, _ := s.St.Cases(ctx, store.CaseQuery{})
	if len(all) != 3 {
		t.Errorf("%d cases, want 3", len(all))
	}
}
