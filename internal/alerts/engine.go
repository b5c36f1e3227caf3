package alerts

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// SeriesID is the dense index of a series in an engine (its position in the
// specs passed to New). Resolve it once per series with Lookup.
type SeriesID int32

// NoSeries marks an outcome that is not about a series (RuleOffline).
const NoSeries SeriesID = -1

// Sample is one incoming value. T is the data time in Unix seconds. Flag is
// the HJ 212 data flag (HJ 212-2017 table 8: N normal, F stopped, M
// maintenance, S manual, D fault, C calibration, T over range, B
// communication); 0 means none was sent and counts as N.
type Sample struct {
	Series SeriesID
	T      int64
	Value  float64
	Flag   byte
}

// OutcomeKind is what the platform does about a rule's firing.
type OutcomeKind uint8

// Outcomes.
const (
	NotifySelfCheck OutcomeKind = iota + 1 // tell the enterprise to check itself (自查)
	OpenCase                               // open a case for the county's enforcement staff
	Resolved                               // the episode ended (only with Config.EmitResolved)
)

func (k OutcomeKind) String() string {
	switch k {
	case NotifySelfCheck:
		return "notify-self-check"
	case OpenCase:
		return "open-case"
	case Resolved:
		return "resolved"
	}
	return "unknown"
}

// Outcome is one thing the engine asks the platform to do. It maps to one
// row of an alert_outcomes table; (Rule, Series or Device, Since) identifies
// the episode, so a case opened for it can carry Key() as its reference.
type Outcome struct {
	Kind      OutcomeKind
	Rule      Rule
	Series    SeriesID // NoSeries for RuleOffline
	Device    int32    // device index (Engine.MN); -1 when not about one device
	Since     int64    // start of the episode, Unix seconds
	At        int64    // when this outcome was produced (data time or Tick's now)
	Value     float64  // the value, share or silence (s) that fired
	Threshold float64  // what it was compared with
}

// Key is a stable reference of the outcome's episode, e.g.
// "exceedance/17/1767225600" (rule/series/since) or "offline/d3/...".
func (o Outcome) Key() string {
	if o.Series == NoSeries {
		return fmt.Sprintf("%s/d%d/%d", o.Rule, o.Device, o.Since)
	}
	return fmt.Sprintf("%s/%d/%d", o.Rule, o.Series, o.Since)
}

// Stats counts what the engine saw.
type Stats struct {
	Observed uint64 // samples evaluated
	Ignored  uint64 // unknown series, non-finite values, repeats and out-of-order samples
}

// episode is the dedupe/cool-down/escalation state of one rule on one
// subject.
type episode struct {
	start     int64 // start of the current (or last) episode
	lastFire  int64
	lastEnd   int64 // when the last episode ended; 0 if none did
	count     int32 // consecutive firing observations
	active    bool
	escalated bool
}

type timing struct {
	coolDown, persist int64
	persistCount      int32
}

func toTiming(t Timing) timing {
	return timing{int64(t.CoolDown / time.Second), int64(t.Persist / time.Second), int32(t.PersistCount)}
}

// counts are the two counters of one bucket of a share window.
type counts struct{ n, hit uint32 }

// window is a sliding share window: a ring of buckets of width w seconds.
type window struct {
	w    int64
	cur  int64 // bucket number of the newest bucket
	ring []counts
	sum  counts
}

func (w *window) add(t int64, hit bool) {
	b := t / w.w
	if b > w.cur {
		steps := b - w.cur
		if steps > int64(len(w.ring)) {
			steps = int64(len(w.ring))
		}
		for i := int64(1); i <= steps; i++ {
			c := &w.ring[(w.cur+i)%int64(len(w.ring))]
			w.sum.n -= c.n
			w.sum.hit -= c.hit
			*c = counts{}
		}
		w.cur = b
	} else if b <= w.cur-int64(len(w.ring)) {
		return // older than the window
	}
	c := &w.ring[b%int64(len(w.ring))]
	c.n++
	w.sum.n++
	if hit {
		c.hit++
		w.sum.hit++
	}
}

// Meter roles.
const (
	meterNone uint8 = iota
	meterProduction
	meterTreatment
)

type series struct {
	key      SeriesKey
	dev      int32
	interval int64
	max, min float64 // NaN when absent
	maxStep  float64 // 0: no step rule

	group int32 // meter group, -1 if none
	role  uint8
	tm    int32 // index in the group's Treatment for treatment meters

	lastT      int64
	seen       bool
	lastValid  float64
	lastValidT int64
	hasValid   bool
	flatN      int32

	flags  window // n: all values, hit: M or C
	pinned window // n: valid values, hit: just under the limit

	// Signs 20 and 22: the analyser's detection limit and range span (0:
	// not screened), and the current run of valid values near the limit,
	// and within the narrow band [bandLo, bandHi].
	dl, span       float64
	dlRun          runState
	bandLo, bandHi float64
	bandRun        runState

	ep [numRules]episode
}

type schedule struct {
	from, to int64 // CST day numbers, inclusive
	windows  []DayWindow
}

type group struct {
	MeterGroup
	schedules []schedule
}

// Engine evaluates the rules over a stream of samples. It is not safe for
// concurrent use: run one engine per ingest shard (by device), or guard it.
// Its state lives in memory; after a restart, replay the last window of
// stored values (the longest of the share windows) to rebuild it.
type Engine struct {
	cfg                                          Config
	tExceed, tOff, tFlags, tFlat, tStep, tPinned timing
	tNearDL, tBand                               timing
	tElOff, tElUnder, tElRestr                   timing
	maxAge, offlineAfter                         int64

	series  []series
	index   map[SeriesKey]SeriesID
	byMN    map[string][]SeriesID
	devMN   []string
	devLast []int64
	devEp   []episode
	groups  []group
	stats   Stats
}

// ErrConfig reports a configuration New refuses.
var ErrConfig = errors.New("alerts: bad configuration")

func intervalOf(spec SeriesSpec) int64 {
	if spec.Interval > 0 {
		return int64(spec.Interval / time.Second)
	}
	switch spec.Key.Period {
	case model.PeriodHour:
		return 3600
	case model.PeriodDay:
		return 86400
	case PeriodMinute:
		return 600
	}
	return 30
}

// matchLimit picks the limit of the series: same pollutant, kind by field
// (Zs fields are converted, 折算 — HJ 212-2017 table 6 suffixes), and same
// period. Limits apply only to hourly and daily means.
func matchLimit(k SeriesKey, ls []model.Limit) (max, min float64) {
	max, min = math.NaN(), math.NaN()
	if k.Period != model.PeriodHour && k.Period != model.PeriodDay {
		return
	}
	kind := model.LimitMeasured
	if strings.HasPrefix(k.Field, "Zs") {
		kind = model.LimitConverted
	}
	for _, l := range ls {
		if l.Pollutant != k.Factor || l.Kind != kind || l.Period != k.Period {
			continue
		}
		if l.Max != nil {
			max = *l.Max
		}
		if l.Min != nil {
			min = *l.Min
		}
		return
	}
	return
}

// cstDay is the day number in China Standard Time of a Unix time, and the
// second of that day.
func cstDay(t int64) (day, sec int64) {
	t += chinatime.Offset
	day, sec = t/86400, t%86400
	if sec < 0 {
		day--
		sec += 86400
	}
	return
}

// New builds an engine. Series get the IDs of their position in specs;
// meter groups name series by those IDs; schedules apply to the groups of
// their class.
func New(cfg Config, specs []SeriesSpec, groups []MeterGroup, schedules []Schedule) (*Engine, error) {
	if cfg.Buckets <= 0 {
		cfg.Buckets = 24
	}
	bucket := func(d time.Duration) int64 {
		w := int64(d/time.Second) / int64(cfg.Buckets)
		if w < 1 {
			w = 1
		}
		return w
	}
	e := &Engine{
		cfg:     cfg,
		tExceed: toTiming(cfg.Exceedance), tOff: toTiming(cfg.Offline.Timing), tFlags: toTiming(cfg.FlagOveruse.Timing),
		tFlat: toTiming(cfg.FlatLine.Timing), tStep: toTiming(cfg.Step.Timing), tPinned: toTiming(cfg.Pinned.Timing),
		tNearDL: toTiming(cfg.NearDetection.Timing), tBand: toTiming(cfg.NarrowBand.Timing),
		tElOff: toTiming(cfg.Electric.Off), tElUnder: toTiming(cfg.Electric.Underload), tElRestr: toTiming(cfg.Electric.Restricted),
		maxAge:       int64(cfg.Electric.MaxAge / time.Second),
		offlineAfter: int64(cfg.Offline.After / time.Second),
		series:       make([]series, len(specs)),
		index:        make(map[SeriesKey]SeriesID, len(specs)),
		byMN:         map[string][]SeriesID{},
	}
	devIdx := map[string]int32{}
	// One allocation for all rings.
	ringAll := make([]counts, 2*cfg.Buckets*len(specs))
	for i, sp := range specs {
		if _, dup := e.index[sp.Key]; dup {
			return nil, fmt.Errorf("%w: series %d %+v is listed twice", ErrConfig, i, sp.Key)
		}
		if sp.Key.MN == "" || sp.Key.Factor == "" || sp.Key.Field == "" {
			return nil, fmt.Errorf("%w: series %d needs MN, factor and field", ErrConfig, i)
		}
		d, ok := devIdx[sp.Key.MN]
		if !ok {
			d = int32(len(e.devMN))
			devIdx[sp.Key.MN] = d
			e.devMN = append(e.devMN, sp.Key.MN)
		}
		s := &e.series[i]
		s.key, s.dev, s.interval, s.group, s.tm = sp.Key, d, intervalOf(sp), -1, -1
		s.max, s.min = matchLimit(sp.Key, sp.Limits)
		switch {
		case sp.MaxStep > 0:
			s.maxStep = sp.MaxStep
		case cfg.Step.Factor > 0 && !math.IsNaN(s.max):
			s.maxStep = cfg.Step.Factor * s.max
		}
		if a := sp.Analyser; a != nil && a.DetectionLimit != nil && *a.DetectionLimit > 0 {
			s.dl = *a.DetectionLimit
			if a.RangeMax != nil && *a.RangeMax > a.RangeMin {
				s.span = *a.RangeMax - a.RangeMin
			}
		}
		s.flags = window{w: bucket(cfg.FlagOveruse.Window), ring: ringAll[2*i*cfg.Buckets : (2*i+1)*cfg.Buckets : (2*i+1)*cfg.Buckets]}
		s.pinned = window{w: bucket(cfg.Pinned.Window), ring: ringAll[(2*i+1)*cfg.Buckets : (2*i+2)*cfg.Buckets : (2*i+2)*cfg.Buckets]}
		e.index[sp.Key] = SeriesID(i)
		e.byMN[sp.Key.MN] = append(e.byMN[sp.Key.MN], SeriesID(i))
	}
	e.devLast = make([]int64, len(e.devMN))
	e.devEp = make([]episode, len(e.devMN))

	for gi, g := range groups {
		meter := func(id SeriesID, role uint8, tm int) error {
			if id < 0 || int(id) >= len(e.series) {
				return fmt.Errorf("%w: meter group %d: no series %d", ErrConfig, gi, id)
			}
			s := &e.series[id]
			if s.group >= 0 {
				return fmt.Errorf("%w: meter group %d: series %d is already a meter", ErrConfig, gi, id)
			}
			s.group, s.role, s.tm = int32(gi), role, int32(tm)
			return nil
		}
		for _, id := range g.Production {
			if err := meter(id, meterProduction, -1); err != nil {
				return nil, err
			}
		}
		for j, tmtr := range g.Treatment {
			if err := meter(tmtr.Series, meterTreatment, j); err != nil {
				return nil, err
			}
		}
		eg := group{MeterGroup: g}
		for si, sc := range schedules {
			if sc.Class != g.Class || g.Class == "" {
				continue
			}
			from, _ := cstDay(sc.From.Unix())
			to, _ := cstDay(sc.To.Unix())
			if to < from {
				return nil, fmt.Errorf("%w: schedule %d ends before it starts", ErrConfig, si)
			}
			for _, w := range sc.Windows {
				if w.Start < 0 || w.Start >= 1440 || w.End < 0 || w.End > 1440 || w.Start == w.End {
					return nil, fmt.Errorf("%w: schedule %d: window %d-%d", ErrConfig, si, w.Start, w.End)
				}
			}
			eg.schedules = append(eg.schedules, schedule{from, to, sc.Windows})
		}
		e.groups = append(e.groups, eg)
	}
	return e, nil
}

// Lookup resolves a series key to its ID.
func (e *Engine) Lookup(k SeriesKey) (SeriesID, bool) {
	id, ok := e.index[k]
	return id, ok
}

// Key returns the key of a series.
func (e *Engine) Key(id SeriesID) SeriesKey { return e.series[id].key }

// MN returns the MN of a device index.
func (e *Engine) MN(dev int32) string { return e.devMN[dev] }

// Stats returns the counters.
func (e *Engine) Stats() Stats { return e.stats }

// Contact records that a device was heard from at t (Unix seconds), e.g.
// from model.Contact after each committed batch. Observe also counts a
// sample's data time as contact.
func (e *Engine) Contact(mn string, t int64, out []Outcome) []Outcome {
	ids := e.byMN[mn]
	if len(ids) == 0 {
		return out
	}
	return e.contact(e.series[ids[0]].dev, t, out)
}

func (e *Engine) contact(dev int32, t int64, out []Outcome) []Outcome {
	if t > e.devLast[dev] {
		e.devLast[dev] = t
	}
	if ep := &e.devEp[dev]; ep.active {
		out = e.clear(ep, RuleOffline, NoSeries, dev, t, out)
	}
	return out
}

// Tick evaluates the time-driven rule (device offline) at now (Unix
// seconds); call it every few minutes. A device never heard from is
// counted from its first Tick, so it goes offline After past that.
func (e *Engine) Tick(now int64, out []Outcome) []Outcome {
	for d := range e.devLast {
		last := e.devLast[d]
		if last == 0 {
			e.devLast[d] = now
			continue
		}
		silent := now - last
		if silent > e.offlineAfter {
			out = e.fire(&e.devEp[d], e.tOff, 0, RuleOffline, NoSeries, int32(d), now, float64(silent), float64(e.offlineAfter), out)
		}
	}
	return out
}

// fire records that a rule fires on a subject at t and appends the
// outcomes due (see Timing). interval > 0 makes consecutive firings more
// than 1.5 intervals apart restart the streak count.
func (e *Engine) fire(ep *episode, tm timing, interval int64, r Rule, id SeriesID, dev int32, t int64, v, thr float64, out []Outcome) []Outcome {
	switch {
	case ep.active:
		if interval > 0 && (t-ep.lastFire)*2 > interval*3 {
			ep.count = 0
		}
		ep.count++
	case ep.lastEnd != 0 && t-ep.lastEnd < tm.coolDown:
		ep.active, ep.count = true, 1 // resume within the cool-down: same episode
	default:
		*ep = episode{start: t, active: true, count: 1}
		out = append(out, Outcome{NotifySelfCheck, r, id, dev, t, t, v, thr})
	}
	ep.lastFire = t
	if !ep.escalated && (tm.persist > 0 && t-ep.start >= tm.persist || tm.persistCount > 0 && ep.count >= tm.persistCount) {
		ep.escalated = true
		out = append(out, Outcome{OpenCase, r, id, dev, ep.start, t, v, thr})
	}
	return out
}

func (e *Engine) clear(ep *episode, r Rule, id SeriesID, dev int32, t int64, out []Outcome) []Outcome {
	if !ep.active {
		return out
	}
	ep.active, ep.lastEnd, ep.count = false, t, 0
	if e.cfg.EmitResolved {
		out = append(out, Outcome{Resolved, r, id, dev, ep.start, t, 0, 0})
	}
	return out
}

// Observe evaluates one sample and appends the outcomes it causes to out
// (usually none; nothing is allocated then). Samples of a series must come
// in time order: a repeat or an older sample (a retransmission) is ignored.
func (e *Engine) Observe(s Sample, out []Outcome) []Outcome {
	if s.Series < 0 || int(s.Series) >= len(e.series) || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		e.stats.Ignored++
		return out
	}
	sr := &e.series[s.Series]
	if sr.seen && s.T <= sr.lastT {
		e.stats.Ignored++
		return out
	}
	e.stats.Observed++
	sr.lastT, sr.seen = s.T, true
	out = e.contact(sr.dev, s.T, out)
	id, dev, t, v := s.Series, sr.dev, s.T, s.Value

	// Maintenance and calibration flags overused (HJ 212-2017 table 8: M, C).
	mc := s.Flag == 'M' || s.Flag == 'C'
	sr.flags.add(t, mc)
	if c := e.cfg.FlagOveruse; c.Share > 0 && sr.flags.sum.n >= uint32(max(c.MinCount, 1)) {
		share := float64(sr.flags.sum.hit) / float64(sr.flags.sum.n)
		if share > c.Share {
			out = e.fire(&sr.ep[RuleFlagOveruse], e.tFlags, 0, RuleFlagOveruse, id, dev, t, share, c.Share, out)
		} else {
			out = e.clear(&sr.ep[RuleFlagOveruse], RuleFlagOveruse, id, dev, t, out)
		}
	}

	if sr.role != meterNone {
		return e.meter(sr, s, out)
	}
	// Only normal values (N, none, or T: over the measuring range, which is
	// a real high value) are judged against limits and for falsification;
	// values flagged stopped, maintenance, fault, calibration... are not
	// valid data (HJ 75-2017 §11 treats them as invalid).
	if f := s.Flag; f != 0 && f != 'N' && f != 'T' {
		return out
	}

	// Exceedance of the hourly (daily) mean.
	if !math.IsNaN(sr.max) || !math.IsNaN(sr.min) {
		switch {
		case v > sr.max:
			out = e.fire(&sr.ep[RuleExceedance], e.tExceed, sr.interval, RuleExceedance, id, dev, t, v, sr.max, out)
		case v < sr.min:
			out = e.fire(&sr.ep[RuleExceedance], e.tExceed, sr.interval, RuleExceedance, id, dev, t, v, sr.min, out)
		default:
			out = e.clear(&sr.ep[RuleExceedance], RuleExceedance, id, dev, t, out)
		}
	}

	if sr.dl > 0 {
		out = e.nearDetection(sr, id, t, v, out)
	}
	if sr.span > 0 {
		out = e.narrowBand(sr, id, t, v, out)
	}

	// Flat line: the same value N times in a row.
	if sr.hasValid && v == sr.lastValid {
		sr.flatN++
	} else {
		sr.flatN = 1
	}
	if n := e.cfg.FlatLine.N; n > 1 {
		if int(sr.flatN) >= n && !(v == 0 && e.cfg.FlatLine.IgnoreZero) {
			out = e.fire(&sr.ep[RuleFlatLine], e.tFlat, 0, RuleFlatLine, id, dev, t, v, float64(n), out)
		} else {
			out = e.clear(&sr.ep[RuleFlatLine], RuleFlatLine, id, dev, t, out)
		}
	}

	// Implausible step between values at most two intervals apart.
	if sr.maxStep > 0 && sr.hasValid && t-sr.lastValidT <= 2*sr.interval {
		if d := math.Abs(v - sr.lastValid); d > sr.maxStep {
			out = e.fire(&sr.ep[RuleStep], e.tStep, 0, RuleStep, id, dev, t, d, sr.maxStep, out)
		} else {
			out = e.clear(&sr.ep[RuleStep], RuleStep, id, dev, t, out)
		}
	}

	// Pinned just under the upper limit.
	if !math.IsNaN(sr.max) && e.cfg.Pinned.Share > 0 {
		near := v <= sr.max && v >= sr.max*(1-e.cfg.Pinned.Band)
		sr.pinned.add(t, near)
		if c := e.cfg.Pinned; sr.pinned.sum.n >= uint32(max(c.MinCount, 1)) {
			share := float64(sr.pinned.sum.hit) / float64(sr.pinned.sum.n)
			if share >= c.Share {
				out = e.fire(&sr.ep[RulePinned], e.tPinned, 0, RulePinned, id, dev, t, share, c.Share, out)
			} else {
				out = e.clear(&sr.ep[RulePinned], RulePinned, id, dev, t, out)
			}
		}
	}

	sr.lastValid, sr.lastValidT, sr.hasValid = v, t, true
	return out
}

// gap reports whether a valid value at t does not continue the series'
// last one: more than two intervals apart. A run of signs 20 and 22 is of
// consecutive values; missing data breaks it (sign 19, offline, is
// another rule).
func (sr *series) gap(t int64) bool {
	return !sr.hasValid || t-sr.lastValidT > 2*sr.interval
}

// runState is the state of a run of consecutive valid values (signs 20 and
// 22): when it started, how many values it holds, whether one is going.
type runState struct {
	start int64
	n     int32
	in    bool
}

// begin starts a new run at t.
func (r *runState) begin(t int64) { *r = runState{start: t, in: true} }

// add counts a value at t and reports whether the run has now lasted as
// long as c asks.
func (r *runState) add(t int64, c Run) bool {
	r.n++
	return t-r.start >= int64(c.Duration/time.Second) && int(r.n) >= max(c.MinCount, 1)
}

// nearDetection is sign 20 of the falsification list (marking.Signs, item
// 20: 数据长期在仪器分析方法检出限上下波动): the run of consecutive valid
// values at most NearDetection.Factor × the detection limit; it fires once
// the run has lasted Duration with at least MinCount values. Value is the
// value, Threshold the bound (Factor × limit), in the factor's unit.
func (e *Engine) nearDetection(sr *series, id SeriesID, t int64, v float64, out []Outcome) []Outcome {
	c := e.cfg.NearDetection
	bound := c.Factor * sr.dl
	if c.Factor <= 0 || c.Duration <= 0 {
		return out
	}
	if v > bound {
		sr.dlRun.in = false
		return e.clear(&sr.ep[RuleNearDetection], RuleNearDetection, id, sr.dev, t, out)
	}
	if !sr.dlRun.in || sr.gap(t) {
		sr.dlRun.begin(t)
		out = e.clear(&sr.ep[RuleNearDetection], RuleNearDetection, id, sr.dev, t, out)
	}
	if sr.dlRun.add(t, c.Run) {
		out = e.fire(&sr.ep[RuleNearDetection], e.tNearDL, 0, RuleNearDetection, id, sr.dev, t, v, bound, out)
	}
	return out
}

// narrowBand is sign 22 (item 22: 数据变化幅度长期在量程2%以内波动): the run
// of consecutive valid values whose highest and lowest differ by at most
// NarrowBand.Share × the range span; a value that widens the band beyond
// it starts a new run at itself. It fires once the run has lasted
// Duration with at least MinCount values. Value is the band's width,
// Threshold the allowed width, in the factor's unit.
func (e *Engine) narrowBand(sr *series, id SeriesID, t int64, v float64, out []Outcome) []Outcome {
	c := e.cfg.NarrowBand
	if c.Share <= 0 || c.Duration <= 0 {
		return out
	}
	width := c.Share * sr.span
	lo, hi := min(sr.bandLo, v), max(sr.bandHi, v)
	if !sr.bandRun.in || sr.gap(t) || hi-lo > width {
		sr.bandRun.begin(t)
		lo, hi = v, v
		out = e.clear(&sr.ep[RuleNarrowBand], RuleNarrowBand, id, sr.dev, t, out)
	}
	sr.bandLo, sr.bandHi = lo, hi
	if sr.bandRun.add(t, c.Run) {
		out = e.fire(&sr.ep[RuleNarrowBand], e.tBand, 0, RuleNarrowBand, id, sr.dev, t, hi-lo, width, out)
	}
	return out
}

// meter handles a sample of an electricity sub-meter.
func (e *Engine) meter(sr *series, s Sample, out []Outcome) []Outcome {
	sr.lastValid, sr.lastValidT, sr.hasValid = s.Value, s.T, true
	g := &e.groups[sr.group]
	t := s.T
	running := false
	for _, pid := range g.Production {
		p := &e.series[pid]
		if p.hasValid && t-p.lastValidT <= e.maxAge && p.lastValid >= g.ProductionOnKW {
			running = true
			break
		}
	}
	for _, tmtr := range g.Treatment {
		ts := &e.series[tmtr.Series]
		if !ts.hasValid || t-ts.lastValidT > e.maxAge {
			continue // no fresh reading: the offline rule covers silence
		}
		off, under := &ts.ep[RuleTreatmentOff], &ts.ep[RuleTreatmentUnderload]
		switch {
		case running && ts.lastValid < tmtr.OffKW:
			out = e.clear(under, RuleTreatmentUnderload, tmtr.Series, ts.dev, t, out)
			out = e.fire(off, e.tElOff, 0, RuleTreatmentOff, tmtr.Series, ts.dev, t, ts.lastValid, tmtr.OffKW, out)
		case running && ts.lastValid < tmtr.MinKW:
			out = e.clear(off, RuleTreatmentOff, tmtr.Series, ts.dev, t, out)
			out = e.fire(under, e.tElUnder, 0, RuleTreatmentUnderload, tmtr.Series, ts.dev, t, ts.lastValid, tmtr.MinKW, out)
		default:
			out = e.clear(off, RuleTreatmentOff, tmtr.Series, ts.dev, t, out)
			out = e.clear(under, RuleTreatmentUnderload, tmtr.Series, ts.dev, t, out)
		}
	}
	if sr.role == meterProduction && len(g.schedules) > 0 {
		if s.Value >= g.ProductionOnKW && restricted(g.schedules, t) {
			out = e.fire(&sr.ep[RuleRestricted], e.tElRestr, 0, RuleRestricted, s.Series, sr.dev, t, s.Value, g.ProductionOnKW, out)
		} else {
			out = e.clear(&sr.ep[RuleRestricted], RuleRestricted, s.Series, sr.dev, t, out)
		}
	}
	return out
}

// restricted reports whether t falls in a restricted window of one of the
// schedules.
func restricted(scs []schedule, t int64) bool {
	day, sec := cstDay(t)
	min := int(sec / 60)
	for _, sc := range scs {
		if day < sc.from || day > sc.to {
			continue
		}
		if len(sc.windows) == 0 {
			return true
		}
		for _, w := range sc.windows {
			if w.Start < w.End && min >= w.Start && min < w.End || w.Start > w.End && (min >= w.Start || min < w.End) {
				return true
			}
		}
	}
	return false
}
