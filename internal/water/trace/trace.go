package trace

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/water"
)

// TriggerKind says what started the tracing.
type TriggerKind uint8

// Trigger kinds.
const (
	// Exceedance: the section's value exceeds its target class limit
	// (超标). Hours above the limit are the section's anomalous hours.
	Exceedance TriggerKind = iota
	// Jump: an automatic station's value jumps (水质异常波动) without
	// necessarily exceeding the target. Hours above the robust threshold
	// median + 3·1.4826·MAD of the window are the anomalous hours.
	Jump
)

func (k TriggerKind) String() string {
	if k == Jump {
		return "jump"
	}
	return "exceedance"
}

// MarshalText encodes the kind by name.
func (k TriggerKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Query is one tracing request.
type Query struct {
	Section string    // the section that exceeded or jumped
	Time    time.Time // observation time of the trigger (the first hour above the limit)
	Kind    TriggerKind
	// Factor is the series key at sections (e.g. "NH3-N"); OutfallFactor
	// the key of the same pollutant at outfalls, "" for the same key. When
	// Factor is a GB 3838 item and Limit is 0, the limit is the item's limit
	// for the section's target class and water body.
	Factor        string
	OutfallFactor string
	// Limit is the target limit at the section in mg/L; 0 lets the engine
	// derive it (see Factor). For dissolved oxygen the limit is a lower
	// bound and the engine traces the deficit below it, with outfall
	// evidence from OutfallFactor (for example COD), which is then required.
	Limit float64
	// Value is the triggering observation; it fills the trigger hour when
	// the section's series lacks it (a laboratory result). 0 = not given.
	Value float64

	Horizon time.Duration // travel-time horizon; default 48 h
	Window  time.Duration // section history weighed before Time; default 48 h
	After   time.Duration // section data after Time also weighed; default 0
	Step    time.Duration // sampling step of the analysis; default 1 h
	// The lag searched for a point with travel time τ is τ ± (Tolerance +
	// TolFraction·τ): mean velocities are uncertain and vary with flow.
	// Defaults 2 h and 0.25.
	Tolerance   time.Duration
	TolFraction float64
	// MaxCandidates caps the ranked list (default 20; negative: all).
	MaxCandidates int
	// Weights of the evidence; the zero value means DefaultWeights.
	Weights Weights
}

// Weights of the evidence in a candidate's score; they sum to 1. A piece
// of evidence that cannot be computed counts 0, so a candidate without
// data is never ranked up by a guess.
type Weights struct {
	TravelTime  float64 `json:"travel_time"`
	Exceedance  float64 `json:"exceedance"`
	Correlation float64 `json:"correlation"`
	Load        float64 `json:"load"`
	MassBalance float64 `json:"mass_balance"`
}

// DefaultWeights favour the lagged correlation (the most specific evidence
// with hourly online data) and split the rest between the loads that must
// add up and the timing.
func DefaultWeights() Weights {
	return Weights{TravelTime: 0.10, Exceedance: 0.15, Correlation: 0.35, Load: 0.20, MassBalance: 0.20}
}

// ErrNoData is returned (wrapped) when the target section has no data
// for the factor in the window and the query gives no Value.
var ErrNoData = errors.New("no data")

const minPairs = 8 // fewer pairs give no meaningful correlation

// analysis is the per-query state shared by the evidence computations.
type analysis struct {
	e      *Engine
	q      Query
	data   Data
	of     string  // outfall factor
	sign   float64 // -1 for a lower-bound item (DO): the deficit is traced
	stepS  float64 // step in seconds
	n      int     // grid length
	t0     time.Time
	sec    []float64 // target series on the grid (signed)
	anom   []bool    // anomalous hours at the target
	ka, kb int       // event run
	base   float64   // target baseline
	massT  float64   // excess mass at the target over the event, g (NaN: unknown)

	buf, fbuf, lbuf, scratch []float64
}

// Trace ranks the outfalls upstream of the query's section as the source
// of its exceedance or jump. See the package documentation for the method.
func (e *Engine) Trace(q Query, d Data) (*Report, error) {
	ti, ok := e.sectionIdx[q.Section]
	if !ok {
		return nil, fmt.Errorf("trace: unknown section %q", q.Section)
	}
	if q.Time.IsZero() {
		return nil, fmt.Errorf("trace: section %q: no trigger time", q.Section)
	}
	if q.Factor == "" {
		return nil, fmt.Errorf("trace: section %q: no factor", q.Section)
	}
	def := func(v *time.Duration, x time.Duration) {
		if *v == 0 {
			*v = x
		}
	}
	def(&q.Horizon, 48*time.Hour)
	def(&q.Window, 48*time.Hour)
	def(&q.Step, time.Hour)
	def(&q.Tolerance, 2*time.Hour)
	if q.TolFraction == 0 {
		q.TolFraction = 0.25
	}
	if q.MaxCandidates == 0 {
		q.MaxCandidates = 20
	}
	if q.Weights == (Weights{}) {
		q.Weights = DefaultWeights()
	}
	wt := q.Weights
	if q.Horizon < 0 || q.Window < 0 || q.After < 0 || q.Step < 0 || q.Tolerance < 0 || q.TolFraction < 0 ||
		wt.TravelTime < 0 || wt.Exceedance < 0 || wt.Correlation < 0 || wt.Load < 0 || wt.MassBalance < 0 {
		return nil, fmt.Errorf("trace: section %q: negative duration, fraction or weight in the query", q.Section)
	}
	if math.IsNaN(q.Limit) || math.IsInf(q.Limit, 0) || q.Limit < 0 || math.IsNaN(q.Value) || math.IsInf(q.Value, 0) {
		return nil, fmt.Errorf("trace: section %q: limit %g or value %g is not a finite, non-negative concentration", q.Section, q.Limit, q.Value)
	}
	if q.Window < 8*q.Step {
		return nil, fmt.Errorf("trace: section %q: window %v holds fewer than %d steps of %v", q.Section, q.Window, minPairs, q.Step)
	}
	sect := &e.sections[ti]
	a := &analysis{e: e, q: q, data: d, of: q.OutfallFactor, sign: 1, stepS: q.Step.Seconds()}
	if a.of == "" {
		a.of = q.Factor
	}
	item, known := water.LookupItem(q.Factor)
	if known && item == water.DO {
		// GB 3838-2002 table 1: DO is a lower bound; a pollution event
		// shows as a deficit, and outfalls do not report DO.
		a.sign = -1
		if q.OutfallFactor == "" {
			return nil, fmt.Errorf("trace: section %q: tracing a DO deficit needs OutfallFactor (e.g. COD)", q.Section)
		}
	}
	limit := q.Limit
	if limit == 0 && q.Kind == Exceedance {
		switch {
		case !known:
			return nil, fmt.Errorf("trace: section %q: factor %q is not a GB 3838 item: give the limit", q.Section, q.Factor)
		case item == water.PH:
			return nil, fmt.Errorf("trace: section %q: pH is a range (6-9): give the limit to trace", q.Section)
		case sect.Target == water.ClassNone:
			return nil, fmt.Errorf("trace: section %q has no target class: give the limit", q.Section)
		}
		l, ok := item.Limit(sect.Target, sect.Body)
		if !ok {
			return nil, fmt.Errorf("trace: section %q: %s has no class limit: give the limit", q.Section, q.Factor)
		}
		limit = l.Float64()
	}

	rep := &Report{
		Section: sect.ID, SectionName: sect.Name, Factor: q.Factor, OutfallFactor: a.of,
		Trigger: q.Kind.String(), Time: q.Time, Limit: limit,
		HorizonH: q.Horizon.Hours(), WindowH: q.Window.Hours(), Weights: q.Weights,
	}
	if err := a.target(ti, limit, rep); err != nil {
		return nil, err
	}

	var ws walkState
	var ups []Upstream
	e.walk(ti, q.Horizon.Seconds(), &ws, func(u Upstream) { ups = append(ups, u) })

	// Sections first: the mass balance of each stretch needs all of them.
	secEv := map[int32]*SectionEvidence{ti: {ID: sect.ID, Name: sect.Name, Down: "", Available: !math.IsNaN(a.massT),
		R: 1, EventMassKg: kg(a.massT)}}
	secMass := map[int32]float64{ti: a.massT}
	var order []int32
	for _, u := range ups {
		if !u.Section {
			continue
		}
		ev, m, err := a.section(u)
		if err != nil {
			return nil, err
		}
		secEv[u.idx] = ev
		secMass[u.idx] = m
		order = append(order, u.idx)
	}
	if math.IsNaN(a.massT) {
		secEv[ti].Reason = "目标断面无流量 / no discharge at the target section"
	}
	upOf := map[int32][]int32{}
	for _, u := range ups {
		if u.Section {
			upOf[u.down] = append(upOf[u.down], u.idx)
			secEv[u.idx].Down = e.sections[u.down].ID
		}
	}
	incr := map[int32]float64{}
	for idx, ev := range secEv {
		x, reason := a.increment(idx, secMass, upOf[idx])
		incr[idx] = x
		for _, u := range upOf[idx] {
			ev.Upstream = append(ev.Upstream, e.sections[u].ID)
		}
		if reason != "" {
			ev.IncrementReason = reason
			continue
		}
		ev.IncrementKg = kg(x)
		ev.Share = round(x/a.massT, 4)
		ev.IncrementKnown = true
	}
	rep.Sections = append(rep.Sections, *secEv[ti])
	for _, idx := range order {
		rep.Sections = append(rep.Sections, *secEv[idx])
	}

	var cands []Candidate
	var upsOf []Upstream
	for _, u := range ups {
		if u.Section {
			continue
		}
		c, err := a.candidate(u, incr, secEv)
		if err != nil {
			return nil, err
		}
		if c.noData {
			rep.NoData = append(rep.NoData, c.Outfall)
		}
		cands = append(cands, c)
		upsOf = append(upsOf, u)
	}
	rep.CandidatesTotal = len(cands)
	idx := make([]int, len(cands))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := &cands[i], &cands[j]
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.TravelH, b.TravelH); c != 0 {
			return c
		}
		return cmp.Compare(a.Outfall, b.Outfall)
	})
	if q.MaxCandidates > 0 && len(idx) > q.MaxCandidates {
		idx = idx[:q.MaxCandidates]
	}
	rep.Candidates = make([]Candidate, len(idx))
	for r, i := range idx {
		c := cands[i]
		c.Rank = r + 1
		c.Path = e.path(&ws, upsOf[i].reach, e.sectionReach[ti])
		rep.Candidates[r] = c
	}
	return rep, nil
}

// target reads the target section's series and finds the event.
func (a *analysis) target(ti int32, limit float64, rep *Report) error {
	q := a.q
	nw := int(q.Window / q.Step)
	na := int(q.After / q.Step)
	a.n = nw + na + 1
	a.t0 = q.Time.Add(-time.Duration(nw) * q.Step)
	end := a.t0.Add(time.Duration(a.n-1) * q.Step)
	s, err := a.data.SectionSeries(q.Section, q.Factor, a.t0, end)
	if err != nil {
		return fmt.Errorf("trace: section %q %s series: %w", q.Section, q.Factor, err)
	}
	a.sec = make([]float64, a.n)
	got := s.sample(a.sec, a.t0, q.Step)
	if math.IsNaN(a.sec[nw]) && q.Value > 0 {
		a.sec[nw] = q.Value
		got++
	}
	if got == 0 {
		return fmt.Errorf("trace: section %q: %w for %s between %s and %s", q.Section, ErrNoData, q.Factor,
			a.t0.Format(time.DateTime), end.Format(time.DateTime))
	}
	for i := range a.sec {
		a.sec[i] *= a.sign
	}

	// Anomalous hours: above the (signed) limit, or above the robust
	// threshold of the window for a jump.
	var thr float64
	a.scratch = a.scratch[:0]
	for _, v := range a.sec {
		if !math.IsNaN(v) {
			a.scratch = append(a.scratch, v)
		}
	}
	med := median(a.scratch)
	if q.Kind == Jump {
		for i, v := range a.scratch {
			a.scratch[i] = math.Abs(v - med)
		}
		mad := median(a.scratch)
		thr = med + max(3*1.4826*mad, 0.05*math.Abs(med), 1e-9)
	} else {
		thr = a.sign * limit
	}
	a.anom = make([]bool, a.n)
	for i, v := range a.sec {
		a.anom[i] = v > thr
	}
	a.ka, a.kb = a.event(nw, thr)
	rep.Exceeds = a.ka >= 0
	if a.ka < 0 {
		a.ka, a.kb = nw, nw
		rep.Notes = append(rep.Notes, "目标断面在窗口内未超过阈值 / the section does not exceed the threshold in the window")
	}
	a.scratch = a.scratch[:0]
	for k, v := range a.sec {
		if (k < a.ka || k > a.kb) && !math.IsNaN(v) {
			a.scratch = append(a.scratch, v)
		}
	}
	if len(a.scratch) >= 3 {
		a.base = median(a.scratch)
	} else {
		a.base = min(thr, med)
		rep.Notes = append(rep.Notes, "目标断面背景数据不足, 以阈值为基线 / too little background data at the section: excess counted above the threshold")
	}
	peak := a.ka
	for k := a.ka; k <= a.kb; k++ {
		if a.sec[k] > a.sec[peak] || math.IsNaN(a.sec[peak]) {
			peak = k
		}
	}
	flow, err := a.sectionFlow(ti, a.t0, a.n)
	if err != nil {
		return err
	}
	a.massT = math.NaN()
	if flow != nil {
		m, nOK := 0.0, 0
		for k := a.ka; k <= a.kb; k++ {
			if v := a.sec[k]; !math.IsNaN(v) && !math.IsNaN(flow[k]) {
				m += flow[k] * (v - a.base) * a.stepS
				nOK++
			}
		}
		if nOK > 0 {
			a.massT = m
			rep.FlowM3s = round(flow[peak], 3)
		}
	}
	if math.IsNaN(a.massT) {
		rep.Notes = append(rep.Notes, "目标断面无流量数据, 负荷与质量平衡未计算 / no discharge at the section: loads and mass balance not computed")
	}
	rep.Threshold = round(a.sign*thr, 6)
	rep.Baseline = round(a.sign*a.base, 6)
	rep.Peak = round(a.sign*a.sec[peak], 6)
	rep.PeakTime = a.at(peak)
	rep.EventStart, rep.EventEnd = a.at(a.ka), a.at(a.kb)
	rep.EventMassKg = kg(a.massT)
	return nil
}

// maxGap is the longest dip below the threshold, in steps, that does not
// split an event: noise around the limit should not cut one pulse in two.
const maxGap = 2

// event picks the event among the runs of anomalous steps (runs closer
// than maxGap merged): of the runs at or after the trigger index k0, the
// one with the largest excess over the threshold, since the first hour
// above a limit may be a blip of noise just before the pulse; without
// such a run, the last run before k0. It returns -1, -1 without any run.
func (a *analysis) event(k0 int, thr float64) (ka, kb int) {
	ka, kb = -1, -1
	best := math.Inf(-1)
	for k := 0; k < a.n; {
		if !a.anom[k] {
			k++
			continue
		}
		s, e := k, k
		for j := k + 1; j < a.n && j-e <= maxGap+1; j++ {
			if a.anom[j] {
				e = j
			}
		}
		k = e + 1
		if e < k0 {
			ka, kb = s, e // the last run before the trigger so far
			continue
		}
		x := 0.0
		for j := s; j <= e; j++ {
			if a.anom[j] {
				x += a.sec[j] - thr
			}
		}
		if x > best {
			best, ka, kb = x, s, e
		}
	}
	return ka, kb
}

func (a *analysis) at(k int) time.Time { return a.t0.Add(time.Duration(k) * a.q.Step) }

// sectionFlow samples the discharge at section si on n steps from start,
// falling back to its reach's mean flow; nil when neither is known.
func (a *analysis) sectionFlow(si int32, start time.Time, n int) ([]float64, error) {
	id := a.e.sections[si].ID
	s, err := a.data.SectionFlow(id, start, start.Add(time.Duration(n-1)*a.q.Step))
	if err != nil {
		return nil, fmt.Errorf("trace: section %q flow: %w", id, err)
	}
	f := make([]float64, n)
	if s.sample(f, start, a.q.Step) > 0 {
		return f, nil
	}
	q := a.e.reaches[a.e.sectionReach[si]].Flow
	if q <= 0 {
		return nil, nil
	}
	for i := range f {
		f[i] = q
	}
	return f, nil
}

// lags returns the lag range in steps for a travel time of s seconds.
func (a *analysis) lags(s float64) (dmin, dmax int) {
	tol := a.q.Tolerance.Seconds() + a.q.TolFraction*s
	dmin = max(0, int(math.Floor((s-tol)/a.stepS)))
	dmax = int(math.Ceil((s + tol) / a.stepS))
	return dmin, dmax
}

// bestLag returns the lag in [dmin, dmax] where sig (sampled from
// t0 - dmax·step) correlates best with the target, the correlation and
// the number of pairs; ok is false with fewer than minPairs pairs.
func (a *analysis) bestLag(sig []float64, dmin, dmax int) (d int, r float64, n int, ok bool) {
	r = math.Inf(-1)
	d = -1
	for lag := dmin; lag <= dmax; lag++ {
		rr, nn := pearson(a.sec, sig[dmax-lag:dmax-lag+a.n])
		if nn >= minPairs && !math.IsNaN(rr) && rr > r {
			d, r, n = lag, rr, nn
		}
	}
	if d < 0 {
		return int(math.Round(float64(dmin+dmax) / 2)), 0, 0, false
	}
	return d, r, n, true
}

// excess sums (v - base)·step over the event run of values aligned at
// offset off in v, with base the median of v outside the aligned event.
// It returns NaN when the event has no value.
func (a *analysis) excess(v []float64, off int) float64 {
	a.scratch = a.scratch[:0]
	for j, x := range v {
		if k := j - off; (k < a.ka || k > a.kb) && !math.IsNaN(x) {
			a.scratch = append(a.scratch, x)
		}
	}
	if len(a.scratch) == 0 {
		return math.NaN()
	}
	base := median(a.scratch)
	m, got := 0.0, false
	for k := a.ka; k <= a.kb; k++ {
		if x := v[k+off]; !math.IsNaN(x) {
			m += (x - base) * a.stepS
			got = true
		}
	}
	if !got {
		return math.NaN()
	}
	return m
}

func (a *analysis) grow(n int) {
	if cap(a.buf) < n {
		a.buf = make([]float64, n)
		a.fbuf = make([]float64, n)
		a.lbuf = make([]float64, n)
	}
	a.buf, a.fbuf, a.lbuf = a.buf[:n], a.fbuf[:n], a.lbuf[:n]
}

// section weighs an upstream section: its lag to the target by
// correlation and the excess mass that passed it during the aligned event.
func (a *analysis) section(u Upstream) (*SectionEvidence, float64, error) {
	s := &a.e.sections[u.idx]
	ev := &SectionEvidence{ID: s.ID, Name: s.Name, TravelH: round(u.seconds/3600, 3)}
	dmin, dmax := a.lags(u.seconds)
	nb := a.n + dmax - dmin
	a.grow(nb)
	start := a.t0.Add(-time.Duration(dmax) * a.q.Step)
	ser, err := a.data.SectionSeries(s.ID, a.q.Factor, start, start.Add(time.Duration(nb-1)*a.q.Step))
	if err != nil {
		return nil, 0, fmt.Errorf("trace: section %q %s series: %w", s.ID, a.q.Factor, err)
	}
	if ser.sample(a.buf, start, a.q.Step) == 0 {
		ev.Reason = "无数据 / no data"
		return ev, math.NaN(), nil
	}
	for i := range a.buf {
		a.buf[i] *= a.sign
	}
	d, r, n, ok := a.bestLag(a.buf, dmin, dmax)
	if ok {
		ev.R, ev.LagH, ev.Pairs = round(r, 4), round(float64(d)*a.stepS/3600, 3), n
	}
	flow, err := a.sectionFlow(u.idx, start, nb)
	if err != nil {
		return nil, 0, err
	}
	if flow == nil {
		ev.Reason = "无流量 / no discharge"
		return ev, math.NaN(), nil
	}
	for i := range a.lbuf {
		a.lbuf[i] = a.buf[i] * flow[i]
	}
	m := a.excess(a.lbuf, dmax-d)
	if math.IsNaN(m) {
		ev.Reason = "事件时段无数据 / no data during the event"
		return ev, m, nil
	}
	ev.Available = true
	ev.EventMassKg = kg(m)
	return ev, m, nil
}

// increment is the mass balance of the stretch above section d: the
// excess mass that passed d minus what passed its upstream sections.
func (a *analysis) increment(d int32, mass map[int32]float64, ups []int32) (float64, string) {
	if math.IsNaN(a.massT) {
		return math.NaN(), "目标断面无负荷 / no load at the target"
	}
	if a.massT <= 0 {
		return math.NaN(), "目标断面无超出背景的负荷 / no excess load at the target"
	}
	x := mass[d]
	if math.IsNaN(x) {
		return x, "断面 " + a.e.sections[d].ID + " 无负荷数据 / no load data at section " + a.e.sections[d].ID
	}
	for _, u := range ups {
		m := mass[u]
		if math.IsNaN(m) {
			id := a.e.sections[u].ID
			return m, "上游断面 " + id + " 无负荷数据 / no load data at upstream section " + id
		}
		x -= m
	}
	return x, ""
}

// candidate weighs one upstream outfall.
func (a *analysis) candidate(u Upstream, incr map[int32]float64, secEv map[int32]*SectionEvidence) (Candidate, error) {
	o := &a.e.outfalls[u.idx]
	w := a.q.Weights
	c := Candidate{
		Outfall: o.ID, Name: o.Name, Enterprise: o.Enterprise, Outlet: o.Outlet, Device: o.Device,
		Reach: a.e.reaches[u.reach].ID, Segment: a.e.sections[u.down].ID,
		TravelH: round(u.seconds/3600, 3), DistanceKm: round(u.Distance/1000, 3),
	}
	H := a.q.Horizon.Seconds()
	c.Time.Score = round(1-0.5*u.seconds/max(H, 1), 4)
	dmin, dmax := a.lags(u.seconds)
	c.Time.LagMinH = round(float64(dmin)*a.stepS/3600, 3)
	c.Time.LagMaxH = round(float64(dmax)*a.stepS/3600, 3)
	c.Time.From = a.at(a.ka).Add(-time.Duration(dmax) * a.q.Step)
	c.Time.To = a.at(a.kb).Add(-time.Duration(dmin) * a.q.Step)
	c.Score = w.TravelTime * c.Time.Score

	nb := a.n + dmax - dmin
	a.grow(nb)
	start := a.t0.Add(-time.Duration(dmax) * a.q.Step)
	end := start.Add(time.Duration(nb-1) * a.q.Step)
	cs, err := a.data.OutfallSeries(o.ID, a.of, start, end)
	if err != nil {
		return c, fmt.Errorf("trace: outfall %q %s series: %w", o.ID, a.of, err)
	}
	fs, err := a.data.OutfallFlow(o.ID, start, end)
	if err != nil {
		return c, fmt.Errorf("trace: outfall %q flow: %w", o.ID, err)
	}
	nc := cs.sample(a.buf, start, a.q.Step)
	nf := fs.sample(a.fbuf, start, a.q.Step)

	mb := &c.MassBalance
	mb.Segment = c.Segment
	mb.Upstream = secEv[u.down].Upstream
	if x := incr[u.down]; !math.IsNaN(x) {
		mb.Available = true
		mb.IncrementKg = kg(x)
		mb.Share = round(x/a.massT, 4)
		mb.Score = round(clamp01(x/a.massT), 4)
	} else {
		mb.Reason = secEv[u.down].IncrementReason
	}

	if nc == 0 {
		c.noData = true
		reason := "排口在移位窗口内无 " + a.of + " 数据 / no " + a.of + " data from the outfall in the shifted window"
		c.Exceedance.Reason, c.Correlation.Reason, c.Load.Reason = reason, reason, reason
		c.Missing = append(c.Missing, "concentration")
		c.Score += w.MassBalance * mb.Score
		c.Score = round(c.Score, 4)
		return c, nil
	}
	sig := a.buf
	onLoad := nf > 0
	if onLoad {
		for i := range a.lbuf {
			a.lbuf[i] = a.buf[i] * a.fbuf[i]
		}
		sig = a.lbuf
	} else {
		c.Missing = append(c.Missing, "flow")
	}

	// Lagged correlation at the travel-time lag ± tolerance.
	d, r, n, ok := a.bestLag(sig, dmin, dmax)
	if !ok && onLoad {
		// Flow gaps may leave too few load pairs: fall back to concentration.
		if d2, r2, n2, ok2 := a.bestLag(a.buf, dmin, dmax); ok2 {
			d, r, n, ok, onLoad = d2, r2, n2, true, false
		}
	}
	c.Correlation.OnLoad = onLoad
	if ok {
		c.Correlation.Available = true
		c.Correlation.R = round(r, 4)
		c.Correlation.LagH = round(float64(d)*a.stepS/3600, 3)
		c.Correlation.Pairs = n
		c.Correlation.Score = round(max(r, 0), 4)
	} else {
		c.Correlation.Reason = fmt.Sprintf("有效数据对少于 %d / fewer than %d pairs of data", minPairs, minPairs)
	}

	// Same-factor exceedance overlap (Jaccard of the hour sets) at the lag.
	if lim, ok := a.data.OutfallLimit(o.ID, a.of); ok && !math.IsNaN(lim) && !math.IsInf(lim, 0) {
		ex := &c.Exceedance
		ex.Available = true
		ex.Limit = lim
		jac := func(d int) (float64, int, int, int) {
			inter, union, hours, sh := 0, 0, 0, 0
			off := dmax - d
			for k := range a.n {
				v := a.buf[k+off]
				if math.IsNaN(v) {
					if a.anom[k] {
						sh++
					}
					continue
				}
				b := v > lim
				if b {
					hours++
				}
				if a.anom[k] {
					sh++
				}
				if b && a.anom[k] {
					inter++
				}
				if b || a.anom[k] {
					union++
				}
			}
			if union == 0 {
				return 0, 0, hours, sh
			}
			return float64(inter) / float64(union), inter, hours, sh
		}
		best := d
		if !c.Correlation.Available {
			bj := -1.0
			for lag := dmin; lag <= dmax; lag++ {
				if j, _, _, _ := jac(lag); j > bj {
					bj, best = j, lag
				}
			}
		}
		j, inter, hours, sh := jac(best)
		ex.Jaccard, ex.Overlap, ex.Hours, ex.SectionHours = round(j, 4), inter, hours, sh
		ex.Score = ex.Jaccard
	} else {
		c.Exceedance.Reason = "无排口限值 / no discharge limit for the outfall"
	}

	// Load: the outfall's excess mass in the aligned event against the
	// excess mass that passed the target.
	switch {
	case nf == 0:
		c.Load.Reason = "排口无流量数据 / no flow data from the outfall"
	case math.IsNaN(a.massT):
		c.Load.Reason = "目标断面无负荷 / no load at the target"
	case a.massT <= 0:
		c.Load.Reason = "目标断面无超出背景的负荷 / no excess load at the target"
	default:
		m := a.excess(a.lbuf, dmax-d)
		if math.IsNaN(m) {
			c.Load.Reason = "事件对应时段排口无数据 / no outfall data in the aligned event"
			c.Missing = append(c.Missing, "event data")
			break
		}
		share := m / a.massT
		c.Load.Available = true
		c.Load.EventMassKg = kg(m)
		c.Load.Share = round(share, 4)
		c.Load.Score = round(loadScore(share), 4)
	}

	c.Score += w.Exceedance*c.Exceedance.Score + w.Correlation*c.Correlation.Score +
		w.Load*c.Load.Score + w.MassBalance*mb.Score
	c.Score = round(c.Score, 4)
	return c, nil
}

// loadScore rates the share of the target's excess mass an outfall's
// excess discharge explains: proportional below 1, full from 1 to 3 (decay
// and settling lose mass on the way), then falling: an outfall that
// released far more than passed the section is less likely the cause.
func loadScore(share float64) float64 {
	switch {
	case share <= 0 || math.IsNaN(share):
		return 0
	case share <= 1:
		return share
	case share <= 3:
		return 1
	}
	return 3 / share
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// pearson is the correlation of x and y over the pairs where both are
// known, and the number of such pairs.
func pearson(x, y []float64) (float64, int) {
	var n, sx, sy, sxx, syy, sxy float64
	for i, a := range x {
		b := y[i]
		if math.IsNaN(a) || math.IsNaN(b) {
			continue
		}
		n++
		sx += a
		sy += b
		sxx += a * a
		syy += b * b
		sxy += a * b
	}
	if n < 2 {
		return math.NaN(), int(n)
	}
	cov := sxy - sx*sy/n
	vx := sxx - sx*sx/n
	vy := syy - sy*sy/n
	if vx <= 0 || vy <= 0 {
		return math.NaN(), int(n)
	}
	return cov / math.Sqrt(vx*vy), int(n)
}

// median sorts v in place.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

func round(x float64, dp int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	p := math.Pow10(dp)
	return math.Round(x*p) / p
}

// kg converts grams to kilograms for the report (0 when unknown).
func kg(g float64) float64 { return round(g/1000, 3) }
