package demo

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The start-up of the demo enterprise's boiler, for the data marking: the
// enterprise user's first device (the registry's first enterprise) runs
// over its limits from two hours before the demo starts until two hours
// after, and ran over them 26 hours before. Its hourly history of the
// last 26 hours is seeded, so that at start the alert rules have seen two
// hours over the limit (a self-check notice, no case yet): marking the
// start-up on the desk before the next hourly value arrives keeps the
// case from opening; marking the older episode is late and opens a case.

// StartUpDevice is the device of the demo's start-up: the first device of
// the registry's first enterprise (the demo enterprise user's).
func StartUpDevice(city *model.Registry) (model.Device, model.Outlet, bool) {
	if len(city.Enterprises) == 0 {
		return model.Device{}, model.Outlet{}, false
	}
	ent := city.Enterprises[0].USCC
	outlets := map[string]model.Outlet{}
	for _, o := range city.Outlets {
		if o.Enterprise == ent {
			outlets[o.ID] = o
		}
	}
	for _, d := range city.Devices {
		if o, ok := outlets[d.Outlet]; ok {
			return d, o, true
		}
	}
	return model.Device{}, model.Outlet{}, false
}

// startUpHours are the demo's start-up episodes relative to the hour the
// demo starts in.
func startUpEpisodes(now time.Time) []simulator.Episode {
	h := now.Truncate(time.Hour)
	return []simulator.Episode{{From: h.Add(-26 * time.Hour), For: 4 * time.Hour}, {From: h.Add(-2 * time.Hour), For: 4 * time.Hour}}
}

// WithStartUp gives the start-up device its episodes around now.
func WithStartUp(devs []simulator.Device, city *model.Registry, now time.Time) []simulator.Device {
	d, _, ok := StartUpDevice(city)
	if !ok {
		return devs
	}
	for i := range devs {
		if devs[i].MN == d.MN {
			devs[i].Behaviour.ExceedEvery, devs[i].Behaviour.ExceedFor = 0, 0
			devs[i].Behaviour.Episodes = startUpEpisodes(now)
		}
	}
	return devs
}

// SeedStartUp writes the start-up device's hourly data (CN 2061) of the
// 26 hours before now: its limited factors at half their limit, and at
// one and a half times it during the episodes.
func SeedStartUp(ctx context.Context, st store.Store, city *model.Registry, now time.Time, out io.Writer) error {
	d, o, ok := StartUpDevice(city)
	if !ok {
		return nil
	}
	eps := startUpEpisodes(now)
	in := func(t time.Time) bool {
		for _, e := range eps {
			if !t.Before(e.From) && t.Before(e.From.Add(e.For)) {
				return true
			}
		}
		return false
	}
	h := now.Truncate(time.Hour)
	var b store.Batch
	for t := h.Add(-26 * time.Hour); t.Before(h); t = t.Add(time.Hour) {
		u := model.Upload{MN: d.MN, CN: "2061", DataTime: t.UTC()}
		for _, l := range o.Limits {
			if l.Max == nil || l.Period != model.PeriodHour {
				continue
			}
			k := 0.5
			if in(t) {
				k = 1.5
			}
			field := "Avg"
			if l.Kind == model.LimitConverted {
				field = "ZsAvg"
			}
			u.Values = append(u.Values, model.Value{Factor: l.Pollutant, Field: field, Value: strconv.FormatFloat(*l.Max*k, 'f', 2, 64)},
				model.Value{Factor: l.Pollutant, Field: "Flag", Value: "N"})
		}
		b.Uploads = append(b.Uploads, u)
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		return fmt.Errorf("cannot seed the demo start-up: %w", err)
	}
	fmt.Fprintf(out, "demo start-up: device %s (%s) over its limits since %s; mark it on /desk as the enterprise user before %s to keep the case from opening\n",
		d.MN, o.Name, eps[1].From.In(cst).Format("15:04"), h.Add(time.Hour).In(cst).Format("15:04"))
	return nil
}
