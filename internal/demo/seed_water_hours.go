package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// TraceEvent is the pollution episode the demo's hourly water history
// holds: an outfall's ammonia discharge that reaches an automatic
// station's section some hours later, for tracing to find.
type TraceEvent struct {
	Section string    // the automatic section that exceeds
	Outfall string    // the outfall that discharged
	Start   time.Time // the discharge's first hour
	Arrive  time.Time // its first hour above the limit at the section
}

// SeedWaterHours gives the automatic stations' sections and the
// monitored outfalls fourteen days of hourly data, ending two days before
// now (the simulated devices report the last days live): the sections'
// NH3-N, CODMn, DO, TP and pH near their target class with a daily cycle,
// the outfalls' hourly NH3-N and flow (HJ 212 CN 2061, w21003 and
// w00000), and one episode: an outfall upstream of an automatic section
// discharges ammonia for five hours and the section goes above its limit
// when the water arrives (travel time along the reaches). Deterministic
// by seed; batched.
func SeedWaterHours(ctx context.Context, st store.Store, c City, seed int64, now time.Time, out io.Writer) (TraceEvent, error) {
	w, reg := c.Water, c.Registry
	var ev TraceEvent
	if w == nil {
		return ev, nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7ace))
	end := now.In(cst).Add(-48 * time.Hour).Truncate(time.Hour)
	start := end.Add(-14 * 24 * time.Hour)
	hours := int(end.Sub(start) / time.Hour)

	// The episode: the first monitored outfall upstream of an automatic
	// section within a day's travel.
	reaches := map[string]model.Reach{}
	next := map[string]string{} // node → reach leaving it
	for _, r := range w.Reaches {
		reaches[r.ID] = r
		next[r.From] = r.ID
	}
	device := map[string]string{} // outlet → device MN
	for _, d := range reg.Devices {
		if d.Outlet != "" {
			device[d.Outlet] = d.MN
		}
	}
	var evSec model.WaterSection
	var travel time.Duration
	for _, o := range w.Outfalls {
		if o.Outlet == "" || device[o.Outlet] == "" {
			continue
		}
		reach, off, dist, secs := o.Reach, o.OffsetM, 0.0, 0.0
		for hop := 0; hop < len(w.Reaches) && ev.Section == ""; hop++ {
			r, ok := reaches[reach]
			if !ok || r.VelocityMS <= 0 {
				break
			}
			best := -1.0
			for _, s := range w.Sections {
				if s.Reach == reach && s.Automatic && s.OffsetM > off && (best < 0 || s.OffsetM < best) {
					best, evSec = s.OffsetM, s
				}
			}
			if best >= 0 {
				secs += (best - off) / r.VelocityMS
				dist += best - off
				if secs <= 24*3600 {
					ev.Section, ev.Outfall, travel = evSec.Code, o.Code, time.Duration(secs)*time.Second
				}
				break
			}
			secs += (r.LengthM - off) / r.VelocityMS
			dist += r.LengthM - off
			reach, off = next[r.To], 0
		}
		if ev.Section != "" {
			break
		}
	}
	if ev.Section != "" {
		ev.Start = end.Add(-4 * 24 * time.Hour).Truncate(24 * time.Hour).Add(2 * time.Hour) // 10:00 CST four days before the end
		ev.Arrive = ev.Start.Add(travel.Round(time.Hour))
	}

	// Sections with an automatic station: hourly samples.
	var samples []model.WaterSample
	for _, s := range w.Sections {
		if !s.Automatic {
			continue
		}
		class := min(max(s.Target, 1), 5)
		base := map[string]float64{}
		for it, lim := range classLimits {
			base[it] = lim[class-1] * 0.7
		}
		for h := range hours {
			t := start.Add(time.Duration(h) * time.Hour)
			cyc := math.Sin(2 * math.Pi * float64(t.In(cst).Hour()-6) / 24)
			nh3 := base["NH3-N"] * (1 + 0.12*cyc + 0.06*rng.NormFloat64())
			if s.Code == ev.Section {
				// The plume passes in about six hours, peaking at 2.6 × the
				// section's limit.
				if k := t.Sub(ev.Arrive).Hours(); k >= -1 && k <= 5 {
					nh3 += classLimits["NH3-N"][class-1] * 2.6 * math.Exp(-math.Pow((k-2)/1.8, 2))
				}
			}
			add := func(item string, v float64, dp int) {
				samples = append(samples, model.WaterSample{Point: s.Code, Time: t, Item: item, Value: strconv.FormatFloat(v, 'f', dp, 64), Source: "demo:auto"})
			}
			add("pH", 7.6+0.2*cyc+0.05*rng.NormFloat64(), 2)
			add("DO", classLimits["DO"][class-1]*(1.25-0.1*cyc)+0.1*rng.NormFloat64(), 2)
			add("CODMn", base["CODMn"]*(1+0.08*cyc+0.05*rng.NormFloat64()), 2)
			add("NH3-N", math.Max(nh3, 0.02), 3)
			add("TP", base["TP"]*(1+0.1*cyc+0.05*rng.NormFloat64()), 3)
		}
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{FillOnly: true}); err != nil {
		return ev, fmt.Errorf("cannot seed the demo's automatic water stations: %w", err)
	}

	// Monitored outfalls: hourly NH3-N (mg/L) and flow (L/s) uploads.
	limit := map[string]float64{}
	for _, o := range reg.Outlets {
		for _, l := range o.Limits {
			if l.Pollutant == "w21003" && l.Max != nil {
				limit[o.ID] = *l.Max
			}
		}
	}
	var ups []model.Upload
	for _, o := range w.Outfalls {
		mn := device[o.Outlet]
		if mn == "" {
			continue
		}
		lim := limit[o.Outlet]
		if lim == 0 {
			lim = 15
		}
		flow := 15 + 25*rng.Float64()
		for h := range hours {
			t := start.Add(time.Duration(h) * time.Hour)
			c := lim * (0.45 + 0.1*rng.Float64())
			q := flow * (1 + 0.15*math.Sin(2*math.Pi*float64(t.In(cst).Hour()-9)/24))
			if o.Code == ev.Outfall {
				if k := t.Sub(ev.Start).Hours(); k >= 0 && k < 5 {
					c, q = lim*(3+rng.Float64()), q*1.8
				}
			}
			ups = append(ups, model.Upload{MN: mn, CN: "2061", DataTime: t.UTC(), Values: []model.Value{
				{Factor: "w21003", Field: "Avg", Value: strconv.FormatFloat(c, 'f', 3, 64)},
				{Factor: "w21003", Field: "Flag", Value: "N"},
				{Factor: "w00000", Field: "Avg", Value: strconv.FormatFloat(q, 'f', 2, 64)},
				{Factor: "w00000", Field: "Cou", Value: strconv.FormatFloat(q*3.6, 'f', 2, 64)},
				{Factor: "w00000", Field: "Flag", Value: "N"},
			}})
		}
	}
	for i := 0; i < len(ups); i += 2000 {
		if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups[i:min(i+2000, len(ups))]}); err != nil {
			return ev, fmt.Errorf("cannot seed the demo outfalls' hourly data: %w", err)
		}
	}
	fmt.Fprintf(out, "demo hourly water data seeded: %d station values, %d outfall hours", len(samples), len(ups))
	if ev.Section != "" {
		fmt.Fprintf(out, "; an ammonia episode from outfall %s reaches section %s at %s (trace it at /water/trace?section=%s&time=%s&factor=NH3-N)",
			ev.Outfall, ev.Section, ev.Arrive.In(cst).Format("2006-01-02 15:04"), ev.Section, ev.Arrive.Add(2*time.Hour).In(cst).Format("2006-01-02T15:04"))
	}
	fmt.Fprintln(out)
	return ev, nil
}
