// Package watertrace runs the tracing engine (internal/water/trace) on
// the store: the network from the water registry, the sections' series
// from the water samples (automatic stations' hourly values, laboratory
// results) and the outfalls' series from their online-monitoring
// devices' hourly uploads.
package tracesvc

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/trace"
	"github.com/ecowatch/ecowatch/internal/water/waterimport"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

// Store is what tracing reads.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
}

// Query is a tracing request by name.
type Query struct {
	Section string
	Time    time.Time
	Factor  string        // GB 3838 name or HJ 212 code at the section; default CODMn
	Horizon time.Duration // default 48 h
	// After is how much section data after Time is weighed (default 24 h;
	// negative: none): tracing usually runs hours after the first
	// exceedance, and the whole pulse tells more than its first hour.
	After time.Duration
	Jump  bool    // trace a jump at an automatic station instead of an exceedance
	Limit float64 // target limit at the section, mg/L; 0 derives it from the target class
}

// OutfallFactor is the item outfalls are monitored on for a section
// factor: wastewater is monitored for COD (CODCr, w01018), not for the
// permanganate index, and a dissolved-oxygen deficit is traced to the
// oxygen-demanding load; the nutrients are the same at both ends.
func OutfallFactor(it water.Item) water.Item {
	switch it {
	case water.CODMn, water.DO, water.BOD5:
		return water.COD
	}
	return it
}

// flowCode is the HJ 212 code of wastewater flow (废水流量): hourly
// uploads carry the mean flow in L/s (w00000-Avg) and the volume in m³
// (w00000-Cou) (HJ 212-2017 table B.1).
const flowCode = "w00000"

// Run builds the network from the stored registries and traces q.
func Run(ctx context.Context, st Store, q Query) (*trace.Report, error) {
	reg, err := st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if len(w.Reaches) == 0 {
		return nil, fmt.Errorf("trace: the water registry has no river network (import one with ecowatch water registry import)")
	}
	eng, err := trace.New(waterreg.Network(w, reg))
	if err != nil {
		return nil, fmt.Errorf("trace: stored network: %w", err)
	}
	if q.Factor == "" {
		q.Factor = "CODMn"
	}
	it, ok := water.LookupItem(q.Factor)
	if !ok {
		return nil, fmt.Errorf("trace: unknown factor %q", q.Factor)
	}
	d := NewData(ctx, st, w, reg)
	tq := trace.Query{Section: q.Section, Time: q.Time, Factor: it.String(), OutfallFactor: OutfallFactor(it).String(),
		Horizon: q.Horizon, Limit: q.Limit, After: q.After}
	switch {
	case q.After == 0:
		tq.After = 24 * time.Hour
	case q.After < 0:
		tq.After = 0
	}
	if q.Jump {
		tq.Kind = trace.Jump
	}
	rep, err := eng.Trace(tq, d)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Data reads the engine's series from the store. It implements
// trace.Data.
type Data struct {
	ctx     context.Context
	st      Store
	device  map[string]string         // outfall -> MN
	station map[string]string         // automatic section -> MN
	outlet  map[string]model.Outlet   // outfall -> outlet
	uploads map[string][]model.Upload // MN -> hourly uploads read so far
	read    map[string][2]time.Time   // MN -> range read
}

// NewData returns the store's data for the outfalls of w.
func NewData(ctx context.Context, st Store, w *model.WaterRegistry, reg *model.Registry) *Data {
	d := &Data{ctx: ctx, st: st, device: map[string]string{}, station: map[string]string{}, outlet: map[string]model.Outlet{},
		uploads: map[string][]model.Upload{}, read: map[string][2]time.Time{}}
	for _, s := range w.Sections {
		if s.Automatic && s.MN != "" {
			d.station[s.Code] = s.MN
		}
	}
	outlets := map[string]model.Outlet{}
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	mn := map[string]string{}
	for _, dv := range reg.Devices {
		if dv.Outlet != "" {
			if _, ok := mn[dv.Outlet]; !ok {
				mn[dv.Outlet] = dv.MN
			}
		}
	}
	for _, o := range w.Outfalls {
		if o.Outlet == "" {
			continue
		}
		d.outlet[o.Code] = outlets[o.Outlet]
		if m, ok := mn[o.Outlet]; ok {
			d.device[o.Code] = m
		}
	}
	return d
}

func hourGrid(from, to time.Time) (time.Time, int) {
	start := from.Truncate(time.Hour)
	n := int(to.Sub(start)/time.Hour) + 1
	return start, max(n, 0)
}

func nanSeries(start time.Time, n int) trace.Series {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return trace.Series{Start: start, Step: time.Hour, Values: v}
}

// SectionSeries implements trace.Data: the section's values of the item,
// one an hour (a laboratory result at its nearest hour; below the
// detection limit counts as half of it). For an automatic station, hours
// not yet in the water samples (not synced) are read from its device's
// hourly uploads, so that tracing does not wait for ecowatch water sync;
// a stored sample wins over the upload.
func (d *Data) SectionSeries(section, factor string, from, to time.Time) (trace.Series, error) {
	start, n := hourGrid(from, to)
	ss, err := d.st.WaterSamples(d.ctx, store.WaterSampleQuery{Points: []string{section}, Items: []string{factor},
		From: start.Add(-30 * time.Minute), To: to.Add(30 * time.Minute)})
	if err != nil {
		return trace.Series{}, fmt.Errorf("section %s %s: %w", section, factor, err)
	}
	s := nanSeries(start, n)
	found := false
	if mn, ok := d.station[section]; ok {
		if it, ok := water.LookupItem(factor); ok && waterimport.CodeOf(it) != "" {
			ups, err := d.st.Uploads(d.ctx, store.UploadQuery{MNs: []string{mn}, CN: "2061", From: start, To: to.Add(time.Hour), Limit: 1 << 30})
			if err != nil {
				return trace.Series{}, fmt.Errorf("section %s station %s: %w", section, mn, err)
			}
			if u := series(ups, waterimport.CodeOf(it), from, to, func(avg, _ string) (float64, bool) { return num(avg) }); u.Values != nil {
				s, found = u, true
			}
		}
	}
	for _, x := range ss {
		v, err := strconv.ParseFloat(x.Value, 64)
		if err != nil {
			continue
		}
		if x.BelowDL {
			v /= 2
		}
		i := int((x.Time.Sub(start) + 30*time.Minute) / time.Hour)
		if i >= 0 && i < n {
			s.Values[i] = v
			found = true
		}
	}
	if !found {
		return trace.Series{}, nil
	}
	return s, nil
}

// SectionFlow implements trace.Data: no discharge series is kept for
// sections, so the engine uses the reach's mean flow.
func (d *Data) SectionFlow(string, time.Time, time.Time) (trace.Series, error) {
	return trace.Series{}, nil
}

// hourly returns the outfall device's hourly uploads covering [from, to].
func (d *Data) hourly(outfall string, from, to time.Time) ([]model.Upload, bool, error) {
	mn, ok := d.device[outfall]
	if !ok {
		return nil, false, nil
	}
	if r, ok := d.read[mn]; ok && !from.Before(r[0]) && !to.After(r[1]) {
		return d.uploads[mn], true, nil
	}
	ups, err := d.st.Uploads(d.ctx, store.UploadQuery{MNs: []string{mn}, CN: "2061", From: from.Truncate(time.Hour), To: to.Add(time.Hour), Limit: 1 << 30})
	if err != nil {
		return nil, true, fmt.Errorf("outfall %s device %s: %w", outfall, mn, err)
	}
	d.uploads[mn], d.read[mn] = ups, [2]time.Time{from.Truncate(time.Hour), to}
	return ups, true, nil
}

// series builds an hourly series of one factor code from uploads; conv
// turns (Avg, Cou) into the value, ok false for none. Values flagged
// other than N are not valid data.
func series(ups []model.Upload, code string, from, to time.Time, conv func(avg, cou string) (float64, bool)) trace.Series {
	start, n := hourGrid(from, to)
	s := nanSeries(start, n)
	found := false
	for _, u := range ups {
		var avg, cou, flag string
		for _, v := range u.Values {
			if v.Factor != code {
				continue
			}
			switch v.Field {
			case "Avg":
				avg = v.Value
			case "Cou":
				cou = v.Value
			case "Flag":
				flag = v.Value
			}
		}
		if flag != "" && flag != "N" {
			continue
		}
		x, ok := conv(avg, cou)
		if !ok {
			continue
		}
		i := int((u.DataTime.Sub(start) + 30*time.Minute) / time.Hour)
		if i >= 0 && i < n {
			s.Values[i] = x
			found = true
		}
	}
	if !found {
		return trace.Series{}
	}
	return s
}

func num(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// OutfallSeries implements trace.Data: the hourly mean concentration
// (mg/L) of the factor's HJ 212 code from the outfall's device.
func (d *Data) OutfallSeries(outfall, factor string, from, to time.Time) (trace.Series, error) {
	it, ok := water.LookupItem(factor)
	if !ok || it.Code() == "" {
		return trace.Series{}, nil
	}
	ups, ok, err := d.hourly(outfall, from, to)
	if err != nil || !ok {
		return trace.Series{}, err
	}
	return series(ups, it.Code(), from, to, func(avg, _ string) (float64, bool) { return num(avg) }), nil
}

// OutfallFlow implements trace.Data: w00000 in m³/s, from the hourly mean
// in L/s (÷1000) or else the hour's volume in m³ (÷3600).
func (d *Data) OutfallFlow(outfall string, from, to time.Time) (trace.Series, error) {
	ups, ok, err := d.hourly(outfall, from, to)
	if err != nil || !ok {
		return trace.Series{}, err
	}
	return series(ups, flowCode, from, to, func(avg, cou string) (float64, bool) {
		if v, ok := num(avg); ok {
			return v / 1000, true
		}
		if v, ok := num(cou); ok {
			return v / 3600, true
		}
		return 0, false
	}), nil
}

// OutfallLimit implements trace.Data: the outlet's measured-concentration
// limit for the factor (the hourly one when both are given).
func (d *Data) OutfallLimit(outfall, factor string) (float64, bool) {
	it, ok := water.LookupItem(factor)
	if !ok {
		return 0, false
	}
	o, ok := d.outlet[outfall]
	if !ok {
		return 0, false
	}
	best, found := 0.0, false
	for _, l := range o.Limits {
		if l.Pollutant != it.Code() || l.Kind == model.LimitConverted || l.Max == nil {
			continue
		}
		if !found || l.Period == model.PeriodHour {
			best, found = *l.Max, true
		}
	}
	return best, found
}
