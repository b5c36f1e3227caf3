// Package demo builds and feeds the demo city: its registry (counties,
// enterprises, outlets, devices, air stations and the water network), the
// history it is seeded with, the simulated devices with their troubles and
// the periodic import of the stations' uploads into the air and water data.
// It runs on a store; the command only starts it.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterimport"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

// City is the demo city of one seed: the registry (with the water
// network's automatic stations among its devices) and the water network.
type City struct {
	Registry *model.Registry
	Water    *model.WaterRegistry
}

// NewCity builds the demo city of seed (same seed, same city).
func NewCity(seed int64) City {
	city := registry.DemoCity(seed)
	waterCity, waterDevices := waterreg.Demo(city)
	city.Devices = append(city.Devices, waterDevices...)
	return City{Registry: city, Water: waterCity}
}

// Import writes the city's registry and water network into an empty store.
func Import(ctx context.Context, st store.Store, c City) error {
	if err := registry.Import(ctx, st, c.Registry, nil); err != nil {
		return fmt.Errorf("cannot import the demo city: %w", err)
	}
	if err := waterreg.Import(ctx, st, c.Water, nil); err != nil {
		return fmt.Errorf("cannot import the demo city's water registry: %w", err)
	}
	return nil
}

// Seed gives the imported city its history up to now (deterministic by
// seed) and reports what it wrote to out.
func Seed(ctx context.Context, st store.Store, c City, seed int64, now time.Time, out io.Writer) error {
	if err := SeedAir(ctx, st, c.Registry, seed, now, out); err != nil {
		return err
	}
	if err := SeedWater(ctx, st, c.Water, seed, now, out); err != nil {
		return err
	}
	_, err := SeedWaterHours(ctx, st, c, seed, now, out)
	return err
}

// SeedAir gives the demo city's air stations their history, so that
// the overview, the targets and the rankings have a year to show: last
// year whole and this year up to a day ago (synthetic, deterministic by
// seed; the simulated stations report the last day live and by back-fill),
// and the city's and counties' annual targets.
func SeedAir(ctx context.Context, st store.Store, city *model.Registry, seed int64, now time.Time, out io.Writer) error {
	cutoff := now.Add(-24 * time.Hour)
	year := now.In(cst).Year()
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

var cst = chinatime.Zone

// Sync takes the simulated stations' HJ 212 hourly uploads into the air
// and water data every minute (what a deployment runs from cron with
// `ecowatch air sync` and `ecowatch water sync`) until ctx ends.
func Sync(ctx context.Context, st store.Store, log *slog.Logger) {
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

// Devices turns the demo city's devices into simulated devices and
// gives some of them trouble, deterministically: exceedances, offline
// periods, malformed frames, split packets, field quirks, a wrong
// password, and a few devices that are not registered at all.
func Devices(city *model.Registry, seed int64) []simulator.Device {
	devs := simulator.FromRegistry(city)
	for i := range devs {
		b := &devs[i].Behaviour
		switch {
		case i%17 == 3:
			// Long enough (4 h) for the alert rules to go from a self-check
			// notice to a case (3 hours over the limit, internal/alerts).
			b.ExceedEvery, b.ExceedFor = 12*time.Hour, 4*time.Hour
		case i%23 == 5:
			b.OfflineEvery, b.OfflineFor = 3*time.Hour, 20*time.Minute
		case i%29 == 7:
			b.Malformed = 0.05
		case i%31 == 11:
			b.Split = true
		case i%37 == 13:
			b.Quirks = simulator.QuirkLowercaseCRC | simulator.QuirkSpaceAfterSemi
		case i == 41:
			b.WrongPassword = true
		}
	}
	// Unregistered devices: their frames must be quarantined, never stored.
	for k := range 3 {
		d := simulator.Device{Device: model.Device{MN: fmt.Sprintf("UNREG%019d", seed*100+int64(k)), Password: "123456", Protocol: "2017", ST: "31"}}
		d.Kind = simulator.KindAir
		d.Limits = simulator.DefaultLimits()[simulator.KindAir]
		devs = append(devs, d)
	}
	return devs
}
