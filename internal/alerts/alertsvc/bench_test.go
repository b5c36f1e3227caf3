package alertsvc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// benchBatch is a commit of n hourly uploads of 500 devices (three
// factors with Avg, ZsAvg and Flag each).
func benchBatch(n int, h time.Time) *store.Batch {
	b := &store.Batch{}
	for i := range n {
		mn := fmt.Sprintf("MN%04d", i%500)
		var vals []model.Value
		for _, f := range []string{"a21026", "a21002", "a34013"} {
			vals = append(vals, model.Value{Factor: f, Field: "Avg", Value: "20.1"}, model.Value{Factor: f, Field: "ZsAvg", Value: "30.2"},
				model.Value{Factor: f, Field: "Flag", Value: "N"})
		}
		b.Uploads = append(b.Uploads, model.Upload{MN: mn, CN: cnHour, DataTime: h.Add(time.Duration(i/500) * time.Hour), Values: vals})
		b.Contacts = append(b.Contacts, model.Contact{MN: mn, At: h})
	}
	return b
}

// The cost Enqueue adds to the gateway's commit path, per batch of 2000.
func BenchmarkEnqueue(b *testing.B) {
	s := New(nil, nil, Config{Queue: 1})
	bt := benchBatch(2000, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		s.Enqueue(bt)
		select {
		case <-s.in:
		default:
		}
	}
}

// Evaluating committed uploads (lookup, parse, Observe), per upload.
func BenchmarkHandle(b *testing.B) {
	lim := 35.0
	reg := &model.Registry{Enterprises: []model.Enterprise{{USCC: "E", County: "C"}}}
	for i := range 500 {
		o := model.Outlet{ID: fmt.Sprintf("O%d", i), Enterprise: "E"}
		for _, f := range []string{"a21026", "a21002", "a34013"} {
			o.Limits = append(o.Limits, model.Limit{Pollutant: f, Kind: model.LimitConverted, Period: model.PeriodHour, Max: &lim})
		}
		reg.Outlets = append(reg.Outlets, o)
		reg.Devices = append(reg.Devices, model.Device{MN: fmt.Sprintf("MN%04d", i), Outlet: o.ID})
	}
	cfg := alerts.DefaultConfig()
	specs, groups, scheds, where, _, err := buildSpecs(reg, &MeterFile{}, &cfg)
	if err != nil {
		b.Fatal(err)
	}
	s := New(nil, nil, Config{})
	s.eng, err = alerts.New(cfg, specs, groups, scheds)
	if err != nil {
		b.Fatal(err)
	}
	s.where, s.index, s.cursor = where, map[idxKey]alerts.SeriesID{}, map[[2]string]int64{}
	for i, sp := range specs {
		s.index[idxKey{sp.Key.MN, sp.Key.Period, sp.Key.Factor, sp.Key.Field}] = alerts.SeriesID(i)
	}
	h := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ups []upload
	for i := range 100 {
		for _, u := range benchBatch(500, h.Add(time.Duration(i)*time.Hour)).Uploads {
			ups = append(ups, upload{mn: u.MN, cn: u.CN, t: u.DataTime.Unix(), vals: u.Values})
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(ups) {
			// Start over with fresh cursors (the engine then ignores the
			// repeats: the measured cost is the service's part).
			clear(s.cursor)
			i = 0
		}
		s.observe(ups[i])
		i++
	}
	if s.eng.Stats().Observed == 0 {
		b.Fatal("nothing observed")
	}
	_ = context.Background
}
