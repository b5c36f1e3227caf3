package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterimport"
)

// seedDemoAir gives the demo city's air stations their history, so that
// the overview, the targets and the rankings have a year to show: last
// year whole and this year up to a day ago (synthetic, deterministic by
// seed; the simulated stations report the last day live and by back-fill),
// and the city's and counties' annual targets.
func seedDemoAir(ctx context.Context, st store.Store, city *model.Registry, seed int64, now time.Time, out io.Writer) error {
	cutoff := now.Add(-24 * time.Hour)
	year := now.In(demoCST).Year()
	n := 0
	for i, s := range city.Stations {
		var hours []model.AirHour
		for _, y := range []int{year - 1, year} {
			for _, h := range airimport.SyntheticYear(s.Code, i, y, uint64(seed)) {
				if h.End.Before(cutoff) {
					hours = append(hours, h)
				}
			}
		}
		if _, err := st.PutAirHours(ctx, hours, store.AirPut{Source: "demo", At: now}); err != nil {
			return fmt.Errorf("cannot seed the demo air data of %s: %w", s.Code, err)
		}
		n += len(hours)
	}
	f := func(v float64) *float64 { return &v }
	heavy := func(v int) *int { return &v }
	targets := []model.AirTarget{{Year: year, Area: model.AirCity, PM25: f(42), GoodRatio: f(68), HeavyDays: heavy(8), Index: f(4.6)}}
	for i, c := range city.Counties {
		targets = append(targets, model.AirTarget{Year: year, Area: c.Code, PM25: f(float64(40 + i%5)), GoodRatio: f(float64(66 + i%4)), HeavyDays: heavy(8 + i%3)})
	}
	if err := st.PutAirTargets(ctx, targets); err != nil {
		return fmt.Errorf("cannot set the demo air targets: %w", err)
	}
	fmt.Fprintf(out, "demo air history seeded: %d station-hours of %d stations, targets for %d areas\n", n, len(city.Stations), len(targets))
	return nil
}

var demoCST = time.FixedZone("CST", 8*3600)

// syncDemoData takes the simulated stations' HJ 212 hourly uploads into
// the air and water data every minute (what a deployment runs from cron
// with `ecowatch air sync` and `ecowatch water sync`).
func syncDemoData(ctx context.Context, st store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		now := time.Now()
		reg, err := st.Registry(ctx)
		if err == nil {
			if _, err := airimport.Sync(ctx, st, reg.Stations, now.Add(-48*time.Hour), now.Add(time.Hour)); err != nil && ctx.Err() == nil {
				log.Warn("demo: air sync failed", "err", err)
			}
		}
		if w, err := st.WaterRegistry(ctx); err == nil && w != nil {
			if _, err := waterimport.Sync(ctx, st, w, now.Add(-48*time.Hour), now.Add(time.Hour)); err != nil && ctx.Err() == nil {
				log.Warn("demo: water sync failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
