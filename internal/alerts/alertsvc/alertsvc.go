// Package alertsvc runs the alert rules (internal/alerts) over the live
// data of the gateway and turns their outcomes into the closed loop
// (internal/casesvc.AlertBridge): a self-check notice to the enterprise
// first, one case per persisting episode for the county.
//
// Data path: the gateway calls Enqueue with each committed batch
// (gateway.Config.OnCommit). Enqueue copies what the rules need into a
// bounded channel and never blocks; when the channel is full the batch is
// dropped and counted, and the service re-reads the store (store.Uploads
// from its per-device, per-CN cursor) before it processes anything newer,
// so a drop delays alerts but loses nothing. One goroutine owns the engine
// (it is not safe for concurrent use).
//
// What is fed:
//
//   - hourly (CN 2061) and daily (CN 2031) means: Avg for a measured limit,
//     ZsAvg for a converted one (折算), with the factor's Flag;
//   - minute values (CN 2051 Avg) of the limited factors, for the
//     suspicious-data rules (flat line, steps);
//   - contacts of every batch, and Tick every minute (offline rule);
//   - the active power (Pt) of electricity sub-meters (MeterFile), from
//     real-time (2011) or minute (2051) uploads.
//
// Restarts and registry changes: Start (and a reload that changes the
// series) replays the last Config.Replay of stored uploads, so the rules'
// state is rebuilt; the outcomes the replay repeats send no second notice
// and open no second case: each episode takes a store counter named by
// rule, series names (MN, outlet, period, factor, field) and start, not by
// the engine's dense series IDs, which a registry change renumbers. The
// offline rule's episode is keyed by the device's last contact, not by
// the time the rule noticed it, so that it too is the same episode after a
// restart. An episode that started before the replay window is seen as a
// new one (weak spot: make Replay longer than the problems you expect to
// outlive a restart).
//
// Sub-meters are configured in a YAML file (MeterFile, Config.MeterFile).
package alertsvc

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// HJ 212-2017 table 4 command numbers of the data the rules use.
const (
	cnRealtime = "2011"
	cnMinute   = "2051"
	cnHour     = "2061"
	cnDay      = "2031"
)

// Config configures the service. Zero fields take the defaults.
type Config struct {
	// Alerts holds the rules' thresholds; zero means alerts.DefaultConfig.
	Alerts *alerts.Config
	// Queue is the number of committed batches that may wait (4096).
	Queue int
	// Tick is how often the offline rule runs (1 min).
	Tick time.Duration
	// CatchUp is how often the store is re-read after dropped batches
	// (1 min); a drop is also caught up before the next batch is handled.
	CatchUp time.Duration
	// Reload is how often the registry and meter file are re-read (5 min).
	Reload time.Duration
	// Replay is how far back stored uploads are replayed on start and
	// after a registry change (24 h).
	Replay time.Duration
	// Poll reads the store on every CatchUp tick instead of waiting for
	// committed batches: the web role of a scaled-out deployment (README,
	// Scaling out to a province) has no gateway in its process, its data
	// arrives through the writers, so the rules follow the store's uploads
	// and contacts.
	Poll bool
	// MeterFile is the electricity sub-meter configuration (see
	// MeterFile); empty: no meters.
	MeterFile string
	// Marks, when set, judges each exceedance episode against the
	// enterprises' data marks before its case opens: an episode the marks
	// in force excuse opens no case, and an opened case notes which rule
	// decided (internal/marking).
	Marks *marksvc.Service
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Alerts == nil {
		d := alerts.DefaultConfig()
		c.Alerts = &d
	}
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	if c.Tick <= 0 {
		c.Tick = time.Minute
	}
	if c.CatchUp <= 0 {
		c.CatchUp = time.Minute
	}
	if c.Reload <= 0 {
		c.Reload = 5 * time.Minute
	}
	if c.Replay <= 0 {
		c.Replay = 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats counts what the service did.
type Stats struct {
	Batches     uint64 // committed batches received
	Dropped     uint64 // batches dropped because the queue was full
	CatchUps    uint64 // store re-reads (replays included)
	Uploads     uint64 // uploads evaluated
	Outcomes    uint64 // engine outcomes
	Notices     uint64 // self-check notices sent
	CasesOpened uint64
	Excused     uint64 // exceedance episodes the data marks excused (no case)
	Errors      uint64
}

// upload is the part of a committed upload the rules need.
type upload struct {
	mn, cn string
	t      int64
	vals   []model.Value
}

type contact struct {
	mn string
	t  int64
}

type batch struct {
	uploads  []upload
	contacts []contact
}

// Service runs the rules. Create it with New, give Enqueue to the
// gateway, then Start it; Stop ends it.
type Service struct {
	cfg  Config
	st   store.Store
	cw   *casesvc.Service
	log  *slog.Logger
	in   chan batch
	ctl  chan func()
	rel  chan struct{} // a reload was requested (RequestReload)
	done chan struct{}
	stop chan struct{}

	locks chan Lockout // device authentication lockouts (Lockout)

	dropped  atomic.Bool // a batch was dropped since the last catch-up
	meterMNs atomic.Pointer[map[string]bool]

	batches, drops, catchUps, uploads, outcomes, notices, opened, errs atomic.Uint64
	lockouts, lockDrops, lockAlarms                                    atomic.Uint64
	excused                                                            atomic.Uint64

	// Owned by the run goroutine.
	eng     *alerts.Engine
	bridge  *casesvc.AlertBridge
	specs   []alerts.SeriesSpec
	groups  []alerts.MeterGroup
	scheds  []alerts.Schedule
	index   map[idxKey]alerts.SeriesID
	where   map[string][2]string // MN → county, enterprise
	cursor  map[[2]string]int64  // (MN, CN) → last DataTime handled (Unix s)
	out     []alerts.Outcome
	started bool
}

type idxKey struct{ mn, period, factor, field string }

// New returns a service over st, opening cases with cw.
func New(st store.Store, cw *casesvc.Service, cfg Config) *Service {
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, st: st, cw: cw, log: cfg.Log,
		in: make(chan batch, cfg.Queue), locks: make(chan Lockout, 256), ctl: make(chan func()), rel: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	empty := map[string]bool{}
	s.meterMNs.Store(&empty)
	return s
}

// Enqueue is the gateway's OnCommit hook: it copies the values the rules
// need from a committed batch and queues them without blocking. b is not
// retained.
func (s *Service) Enqueue(b *store.Batch) {
	s.batches.Add(1)
	meters := *s.meterMNs.Load()
	use := func(u *model.Upload) bool {
		switch u.CN {
		case cnHour, cnDay, cnMinute:
			return true
		case cnRealtime:
			return meters[u.MN] // real-time data is only used for sub-meters
		}
		return false
	}
	// Three allocations per batch: the values the rules read share one
	// backing array. The strings are immutable; only the gateway's slices
	// are reused, so they are copied.
	nu, nv := 0, 0
	for i := range b.Uploads {
		if u := &b.Uploads[i]; use(u) {
			nu++
			nv += len(u.Values)
		}
	}
	if nu == 0 && len(b.Contacts) == 0 {
		return
	}
	bt := batch{uploads: make([]upload, 0, nu), contacts: make([]contact, len(b.Contacts))}
	vals := make([]model.Value, 0, nv)
	for i := range b.Uploads {
		u := &b.Uploads[i]
		if !use(u) {
			continue
		}
		start := len(vals)
		for _, v := range u.Values {
			switch v.Field {
			case "Avg", "ZsAvg", "Flag", "Pt":
				vals = append(vals, v)
			}
		}
		bt.uploads = append(bt.uploads, upload{mn: u.MN, cn: u.CN, t: u.DataTime.Unix(), vals: vals[start:len(vals):len(vals)]})
	}
	for i, c := range b.Contacts {
		bt.contacts[i] = contact{c.MN, c.At.Unix()}
	}
	select {
	case s.in <- bt:
	default:
		// Never block the commit path: the store has the data, the
		// service reads it back before handling anything newer.
		s.drops.Add(1)
		s.dropped.Store(true)
	}
}

// Stats returns the counters.
// Gap tells the service that committed batches may have been missed
// (the web role's committed feed lost messages): the next catch-up re-
// reads the store from the cursors, as after a dropped batch.
func (s *Service) Gap() { s.dropped.Store(true) }

func (s *Service) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Dropped: s.drops.Load(), CatchUps: s.catchUps.Load(), Uploads: s.uploads.Load(),
		Outcomes: s.outcomes.Load(), Notices: s.notices.Load(), CasesOpened: s.opened.Load(), Excused: s.excused.Load(), Errors: s.errs.Load()}
}

// Start loads the registry, builds the engine, replays the recent window
// from the store and starts handling batches. The replay runs in the
// service's goroutine: Start returns once the engine is built.
func (s *Service) Start(ctx context.Context) error {
	if err := s.rebuild(ctx, true); err != nil {
		return err
	}
	s.started = true
	go s.run()
	return nil
}

// Stop ends the service and waits for it.
func (s *Service) Stop() {
	if !s.started {
		return
	}
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	st := s.Stats()
	s.log.Info("alerts: stopped", "batches", st.Batches, "dropped", st.Dropped, "catch_ups", st.CatchUps,
		"uploads", st.Uploads, "outcomes", st.Outcomes, "notices", st.Notices, "cases", st.CasesOpened, "errors", st.Errors)
}

// Flush handles every batch queued so far (and catches up after drops);
// for tests and orderly shutdowns.
func (s *Service) Flush(ctx context.Context) error {
	return s.do(ctx, func() {
		s.drain(ctx)
		s.catchUpIfDropped(ctx)
	})
}

// Reload re-reads the registry and the meter file now (instead of at the
// next Config.Reload), e.g. after a registry import; a change rebuilds the
// engine and replays the recent window.
func (s *Service) Reload(ctx context.Context) error {
	var err error
	if derr := s.do(ctx, func() { err = s.rebuild(ctx, false) }); derr != nil {
		return derr
	}
	return err
}

// RequestReload asks for a reload without waiting for it (the service may
// be replaying); requests made meanwhile are merged.
func (s *Service) RequestReload() {
	select {
	case s.rel <- struct{}{}:
	default:
	}
}

// TickNow runs the offline rule now (by Config.Now).
func (s *Service) TickNow(ctx context.Context) error {
	return s.do(ctx, func() { s.tick(ctx) })
}

func (s *Service) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case s.ctl <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return fmt.Errorf("alertsvc: stopped")
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) run() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Work in progress when Stop is called (a batch, a case being
		// opened) may finish: cancelling it at once lost outcomes at
		// every shutdown. A long replay is cut after a grace period.
		select {
		case <-s.stop:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(5 * time.Second):
			cancel()
		case <-ctx.Done():
		}
	}()
	s.replay(ctx)
	s.tick(ctx)
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	catch := time.NewTicker(s.cfg.CatchUp)
	defer catch.Stop()
	reload := time.NewTicker(s.cfg.Reload)
	defer reload.Stop()
	for {
		select {
		case <-s.stop:
			return
		case b := <-s.in:
			s.catchUpIfDropped(ctx)
			s.handleBatch(ctx, b)
		case l := <-s.locks:
			s.handleLockout(ctx, l)
		case f := <-s.ctl:
			f()
		case <-tick.C:
			s.tick(ctx)
		case <-catch.C:
			if s.cfg.Poll {
				s.replay(ctx)
			} else {
				s.catchUpIfDropped(ctx)
			}
		case <-s.rel:
			if err := s.rebuild(ctx, false); err != nil {
				s.errs.Add(1)
				s.log.Warn("alerts: registry reload failed", "err", err)
			}
		case <-reload.C:
			if err := s.rebuild(ctx, false); err != nil {
				s.errs.Add(1)
				s.log.Warn("alerts: registry reload failed", "err", err)
			}
		}
	}
}

func (s *Service) drain(ctx context.Context) {
	for {
		select {
		case l := <-s.locks:
			s.handleLockout(ctx, l)
		case b := <-s.in:
			s.catchUpIfDropped(ctx)
			s.handleBatch(ctx, b)
		default:
			return
		}
	}
}

// rebuild loads the registry and the meter file and, when the series
// changed, builds a new engine and replays the recent window into it.
// Series are sorted by key so that the same registry gives the same
// series IDs, hence the same episode keys, after a restart.
func (s *Service) rebuild(ctx context.Context, first bool) error {
	reg, err := s.st.Registry(ctx)
	if err != nil {
		return fmt.Errorf("alerts: cannot load the registry: %w", err)
	}
	mf, err := LoadMeterFile(s.cfg.MeterFile)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	specs, groups, scheds, where, meters, err := buildSpecs(reg, mf, s.cfg.Alerts)
	if err != nil {
		return err
	}
	if !first && reflect.DeepEqual(specs, s.specs) && reflect.DeepEqual(groups, s.groups) && reflect.DeepEqual(scheds, s.scheds) {
		return nil
	}
	eng, err := alerts.New(*s.cfg.Alerts, specs, groups, scheds)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	s.eng, s.specs, s.groups, s.scheds, s.where = eng, specs, groups, scheds, where
	entNames := make(map[string]string, len(reg.Enterprises))
	for _, e := range reg.Enterprises {
		entNames[e.USCC] = e.Name
	}
	outNames := make(map[string]string, len(reg.Outlets))
	for _, o := range reg.Outlets {
		outNames[o.ID] = o.Name
	}
	s.bridge = &casesvc.AlertBridge{Svc: s.cw, Engine: eng, Gap: s.cfg.Alerts.CaseGap, Where: func(mn string) (string, string) {
		w := s.where[mn]
		return w[0], w[1]
	}, Names: func(ent, outlet string) (string, string) { return entNames[ent], outNames[outlet] }}
	s.index = make(map[idxKey]alerts.SeriesID, len(specs))
	for i, sp := range specs {
		s.index[idxKey{sp.Key.MN, sp.Key.Period, sp.Key.Factor, sp.Key.Field}] = alerts.SeriesID(i)
	}
	s.meterMNs.Store(&meters)
	s.cursor = map[[2]string]int64{}
	if !first {
		s.log.Info("alerts: registry changed, engine rebuilt", "series", len(specs))
		s.replay(ctx)
	}
	return nil
}

// buildSpecs derives the series from the registry: per device of an
// outlet, one hourly or daily series per limit (Avg for a measured limit,
// ZsAvg for a converted one), one minute series per limited factor, and
// one hourly Avg series per analyser (registry factors: detection limit
// and measuring range, for signs 20 and 22); per sub-meter one Pt series.
func buildSpecs(reg *model.Registry, mf *MeterFile, cfg *alerts.Config) ([]alerts.SeriesSpec, []alerts.MeterGroup, []alerts.Schedule, map[string][2]string, map[string]bool, error) {
	county := map[string]string{}
	for _, e := range reg.Enterprises {
		county[e.USCC] = e.County
	}
	outlets := map[string]model.Outlet{}
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	where := map[string][2]string{}
	seen := map[alerts.SeriesKey]bool{}
	var specs []alerts.SeriesSpec
	at := map[alerts.SeriesKey]int{} // position in specs
	add := func(sp alerts.SeriesSpec) {
		if !seen[sp.Key] {
			seen[sp.Key] = true
			at[sp.Key] = len(specs)
			specs = append(specs, sp)
		}
	}
	for _, d := range reg.Devices {
		o, ok := outlets[d.Outlet]
		if !ok {
			continue // stations and devices without an outlet have no limits
		}
		where[d.MN] = [2]string{county[o.Enterprise], o.Enterprise}
		base := alerts.SeriesKey{MN: d.MN, Outlet: o.ID, Enterprise: o.Enterprise, County: county[o.Enterprise]}
		for _, l := range o.Limits {
			if l.Period != model.PeriodHour && l.Period != model.PeriodDay {
				continue
			}
			k := base
			k.Factor, k.Field, k.Period = l.Pollutant, "Avg", l.Period
			if l.Kind == model.LimitConverted {
				k.Field = "ZsAvg" // HJ 212-2017 table 6: Zs fields are the converted (折算) values
			}
			add(alerts.SeriesSpec{Key: k, Limits: o.Limits})
			// The minute values of the factor, for flat lines and steps.
			m := base
			m.Factor, m.Field, m.Period = l.Pollutant, "Avg", alerts.PeriodMinute
			sp := alerts.SeriesSpec{Key: m}
			if l.Max != nil && l.Kind == model.LimitMeasured && l.Period == model.PeriodHour && cfg.Step.Factor > 0 {
				sp.MaxStep = cfg.Step.Factor * *l.Max
			}
			if !seen[m] {
				add(sp)
			}
		}
		// Signs 20 and 22 (marking.Signs) are screened on the hourly
		// measured values (CN 2061 Avg), which every device sends and the
		// rates count: the analyser's detection limit and range are of the
		// measured value, not the converted one (ZsAvg).
		for i := range d.Factors {
			a := &d.Factors[i]
			k := base
			k.Factor, k.Field, k.Period = a.Factor, "Avg", model.PeriodHour
			if j, ok := at[k]; ok {
				specs[j].Analyser = a
				continue
			}
			add(alerts.SeriesSpec{Key: k, Limits: o.Limits, Analyser: a})
		}
	}
	meters := map[string]bool{}
	type gmeters struct{ prod, treat []alerts.SeriesKey }
	gm := make([]gmeters, len(mf.Groups))
	for gi, g := range mf.Groups {
		c := county[g.Enterprise]
		for ti, ms := range [][]MeterSpec{g.Production, g.Treatment} {
			for _, m := range ms {
				k := alerts.SeriesKey{MN: m.MN, Enterprise: g.Enterprise, County: c, Factor: m.Factor, Field: "Pt", Period: alerts.PeriodRealtime}
				add(alerts.SeriesSpec{Key: k, Interval: time.Minute})
				meters[m.MN] = true
				if _, ok := where[m.MN]; !ok {
					where[m.MN] = [2]string{c, g.Enterprise}
				}
				if ti == 0 {
					gm[gi].prod = append(gm[gi].prod, k)
				} else {
					gm[gi].treat = append(gm[gi].treat, k)
				}
			}
		}
	}
	slices.SortFunc(specs, func(a, b alerts.SeriesSpec) int {
		ka, kb := a.Key, b.Key
		return cmp.Or(cmp.Compare(ka.MN, kb.MN), cmp.Compare(ka.Period, kb.Period), cmp.Compare(ka.Factor, kb.Factor),
			cmp.Compare(ka.Field, kb.Field), cmp.Compare(ka.Outlet, kb.Outlet))
	})
	id := map[alerts.SeriesKey]alerts.SeriesID{}
	for i, sp := range specs {
		id[sp.Key] = alerts.SeriesID(i)
	}
	var groups []alerts.MeterGroup
	for gi, g := range mf.Groups {
		mg := alerts.MeterGroup{Enterprise: g.Enterprise, County: county[g.Enterprise], Class: g.Class, ProductionOnKW: g.ProductionOnKW}
		for _, k := range gm[gi].prod {
			mg.Production = append(mg.Production, id[k])
		}
		for j, k := range gm[gi].treat {
			m := g.Treatment[j]
			mg.Treatment = append(mg.Treatment, alerts.TreatmentMeter{Series: id[k], OffKW: m.OffKW, MinKW: m.MinKW})
		}
		groups = append(groups, mg)
	}
	var scheds []alerts.Schedule
	for _, sc := range mf.Schedules {
		scheds = append(scheds, sc.schedule())
	}
	return specs, groups, scheds, where, meters, nil
}

// periodOf maps a CN to the period of its series.
func periodOf(cn string) string {
	switch cn {
	case cnHour:
		return model.PeriodHour
	case cnDay:
		return model.PeriodDay
	case cnMinute:
		return alerts.PeriodMinute
	}
	return alerts.PeriodRealtime
}

func (s *Service) handleBatch(ctx context.Context, b batch) {
	for _, c := range b.contacts {
		s.out = s.eng.Contact(c.mn, c.t, s.out)
	}
	for _, u := range b.uploads {
		s.observe(u)
	}
	s.flushOutcomes(ctx)
}

// observe feeds one upload, unless the (MN, CN) cursor shows it was
// handled already (it came both from the queue and from a catch-up).
func (s *Service) observe(u upload) {
	if _, ok := s.where[u.mn]; !ok {
		return // not a device of the rules (a station, unregistered)
	}
	ck := [2]string{u.mn, u.cn}
	if last, ok := s.cursor[ck]; ok && u.t <= last {
		return
	}
	s.cursor[ck] = u.t
	s.uploads.Add(1)
	period := periodOf(u.cn)
	for _, v := range u.vals {
		var id alerts.SeriesID
		var ok bool
		switch v.Field {
		case "Avg", "ZsAvg":
			id, ok = s.index[idxKey{u.mn, period, v.Factor, v.Field}]
		case "Pt":
			if u.cn == cnRealtime || u.cn == cnMinute {
				id, ok = s.index[idxKey{u.mn, alerts.PeriodRealtime, v.Factor, v.Field}]
			}
		}
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil {
			continue // an empty or garbled value is not a sample
		}
		s.out = s.eng.Observe(alerts.Sample{Series: id, T: u.t, Value: x, Flag: flagOf(u.vals, v.Factor)}, s.out)
	}
}

// flagOf is the data flag of a factor in an upload (HJ 212-2017 table 8),
// 0 when none was sent.
func flagOf(vals []model.Value, factor string) byte {
	for _, v := range vals {
		if v.Factor == factor && v.Field == "Flag" && v.Value != "" {
			return v.Value[0]
		}
	}
	return 0
}

func (s *Service) tick(ctx context.Context) {
	s.out = s.eng.Tick(s.cfg.Now().Unix(), s.out)
	s.flushOutcomes(ctx)
}

func (s *Service) catchUpIfDropped(ctx context.Context) {
	if s.dropped.Swap(false) {
		s.catchUp(ctx)
	}
}

// replay rebuilds the rules' state from the stored uploads of the last
// Replay, then takes the devices' last contacts.
func (s *Service) replay(ctx context.Context) {
	s.catchUp(ctx)
	cs, err := s.st.Contacts(ctx)
	if err != nil {
		s.errs.Add(1)
		s.log.Warn("alerts: cannot read contacts", "err", err)
		return
	}
	for _, c := range cs {
		s.out = s.eng.Contact(c.MN, c.At.Unix(), s.out)
	}
	s.flushOutcomes(ctx)
}

// catchUp reads the stored uploads after each (MN, CN) cursor (or the
// last Replay where there is none) and feeds them in data-time order.
func (s *Service) catchUp(ctx context.Context) {
	s.catchUps.Add(1)
	now := s.cfg.Now()
	meters := *s.meterMNs.Load()
	var all []upload
	for mn := range s.where {
		cns := []string{cnHour, cnDay, cnMinute}
		if meters[mn] {
			cns = append(cns, cnRealtime)
		}
		for _, cn := range cns {
			from := now.Add(-s.cfg.Replay)
			if last, ok := s.cursor[[2]string{mn, cn}]; ok {
				from = time.Unix(last+1, 0)
			}
			for {
				const page = 5000
				us, err := s.st.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: cn, From: from, Limit: page})
				if err != nil {
					s.errs.Add(1)
					s.log.Warn("alerts: cannot read uploads", "mn", mn, "cn", cn, "err", err)
					break
				}
				for _, u := range us {
					all = append(all, upload{mn: u.MN, cn: u.CN, t: u.DataTime.Unix(), vals: u.Values})
				}
				if len(us) < page {
					break
				}
				from = us[len(us)-1].DataTime.Add(time.Second)
			}
		}
	}
	// Meter groups span devices: feed in data-time order across them.
	slices.SortStableFunc(all, func(a, b upload) int { return cmp.Compare(a.t, b.t) })
	for _, u := range all {
		s.observe(u)
	}
	s.flushOutcomes(ctx)
}

// stableKey names an outcome's episode by the series' key (or the
// device's MN) instead of the engine's dense IDs.
func (s *Service) stableKey(o alerts.Outcome) string {
	if o.Series == alerts.NoSeries {
		return fmt.Sprintf("%s/%s/%d", o.Rule, s.eng.MN(o.Device), o.Since)
	}
	k := s.eng.Key(o.Series)
	return fmt.Sprintf("%s/%s/%s/%s/%s-%s/%d", o.Rule, k.MN, k.Outlet, k.Period, k.Factor, k.Field, o.Since)
}

// flushOutcomes hands the pending outcomes to the bridge. A notice goes
// out and a case is opened once per episode (store counters named by
// stableKey), so a replay does not repeat them. A failure after the
// counter was taken loses that notice or case (it is logged and counted
// in Stats.Errors): the counters have no undo.
func (s *Service) flushOutcomes(ctx context.Context) {
	if len(s.out) == 0 {
		return
	}
	outs := s.out[:0:0]
	for _, o := range s.out {
		s.outcomes.Add(1)
		if o.Rule == alerts.RuleOffline {
			// Key the episode by the last contact (At - silence), which a
			// restarted service finds again, not by the Tick that saw it.
			o.Since = o.At - int64(o.Value)
		}
		var counter string
		switch o.Kind {
		case alerts.NotifySelfCheck:
			counter = "alert-notice:"
		case alerts.OpenCase:
			counter = "alert-case:"
		}
		if counter != "" {
			// Once per episode, by a key of names, not of the engine's
			// dense IDs: a registry change renumbers the series, and the
			// replay after it must not notify or open anything again.
			key := s.stableKey(o)
			n, err := s.st.NextNumber(ctx, counter+key)
			if err != nil {
				s.errs.Add(1)
				s.log.Warn("alerts: episode counter", "key", key, "err", err)
				continue
			}
			if n > 1 {
				continue
			}
			if o.Kind == alerts.NotifySelfCheck {
				s.notices.Add(1)
			}
		}
		outs = append(outs, o)
	}
	s.out = s.out[:0]
	// One at a time, so that an outcome the bridge cannot act on (a device
	// without a county) does not hold back the others.
	for i := range outs {
		var why marksvc.Why
		if o := outs[i]; o.Kind == alerts.OpenCase && o.Rule == alerts.RuleExceedance && s.cfg.Marks != nil && o.Series != alerts.NoSeries {
			k := s.eng.Key(o.Series)
			excused, w, err := s.cfg.Marks.JudgeExceedance(ctx, marksvc.Exceedance{MN: k.MN, Outlet: k.Outlet, Enterprise: k.Enterprise,
				County: k.County, Factor: k.Factor, Period: k.Period, Since: time.Unix(o.Since, 0).UTC(), At: time.Unix(o.At, 0).UTC(),
				Value: o.Value, Limit: o.Threshold})
			if err != nil {
				s.errs.Add(1)
				s.log.Warn("alerts: cannot judge an exceedance against the marks", "key", o.Key(), "err", err)
			}
			if excused {
				s.excused.Add(1)
				s.log.Info("alerts: exceedance excused by a data mark", "key", s.stableKey(o), "why", w.Zh)
				continue
			}
			why = w
		}
		opened, err := s.bridge.Handle(ctx, outs[i:i+1])
		if why.Zh != "" {
			for _, c := range opened {
				s.cfg.Marks.NoteOpened(ctx, c, why)
			}
		}
		s.opened.Add(uint64(len(opened)))
		for _, c := range opened {
			s.log.Info("alerts: case opened", "case", c.ID, "ref", c.Ref, "county", c.County, "enterprise", c.Enterprise)
		}
		if err != nil {
			s.errs.Add(1)
			s.log.Warn("alerts: cannot act on an outcome", "key", outs[i].Key(), "err", err)
		}
	}
}
