package trace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// The scenario generator: a random dendritic network with tributaries and
// sometimes a lake, noisy background at every outfall and section, and one
// outfall that injects a pulse. Every outfall's load is routed downstream
// with the true travel delay (the network's velocities ±10 %, so the
// engine's travel times are off as in reality), Gaussian dispersion and
// dilution by the river flow; the sections see the sum plus their own
// noise.

var cst = chinatime.Zone

var genStart = time.Date(2026, 5, 1, 0, 0, 0, 0, cst)

const genHours = 240

type genOpts struct {
	minReaches, maxReaches int
	after                  time.Duration
	sectionShare           float64 // share of reaches with a section
	decoyShare             float64 // outfalls with a spike at a random time
	chronicShare           float64 // outfalls above their limit all along
	missingShare           float64 // outfalls without any data
	noFlowShare            float64 // outfalls without flow data
	snrMin, snrMax         float64 // peak excess at the target in noise sigmas
	velocityError          float64 // true velocity = nominal × (1 ± this)
}

// defaultGen: pulses of 4 to 10 noise sigmas at the target, true
// velocities off by up to 20 %, a third of the outfalls with unrelated
// spikes, tracing three hours after the alarm.
var defaultGen = genOpts{minReaches: 20, maxReaches: 60, after: 3 * time.Hour,
	sectionShare: 0.25, decoyShare: 0.3, chronicShare: 0.1, missingShare: 0.05, noFlowShare: 0.05,
	snrMin: 4, snrMax: 10, velocityError: 0.2}

type scenario struct {
	net    Network
	data   *MapData
	source string  // the outfall that injected the pulse
	tau    float64 // its true travel time to the target, h
	query  Query
}

type genOutfall struct {
	reach     int
	off       float64
	conc, flw []float64 // true series (no gaps)
	limit     float64
}

func genScenario(rng *rand.Rand, o genOpts) (*scenario, error) {
	R := o.minReaches + rng.IntN(o.maxReaches-o.minReaches+1)
	// Node 0 is the mouth; reach r-1 runs from node r down to a node
	// created before it, so the network is a tree with confluences where
	// two reaches meet.
	indeg := make([]int, R+1)
	parent := make([]int, R+1)
	for r := 1; r <= R; r++ {
		for {
			p := rng.IntN(r)
			if (p == 0 && indeg[0] == 0) || (p > 0 && indeg[p] < 2) {
				parent[r] = p
				indeg[p]++
				break
			}
		}
	}
	sc := &scenario{}
	n := &sc.net
	resTrue := make([]float64, R+1) // h
	for i := 0; i <= R; i++ {
		nd := Node{ID: fmt.Sprintf("N%d", i)}
		switch {
		case i == 0:
			nd.Kind = Mouth
		case indeg[i] == 0:
			nd.Kind = Source
		case indeg[i] >= 2:
			nd.Kind = Confluence
		}
		n.Nodes = append(n.Nodes, nd)
	}
	if rng.Float64() < 0.3 {
		// a lake on a single-inflow node
		for range 20 {
			i := 1 + rng.IntN(R)
			if indeg[i] == 1 {
				h := 2 + 8*rng.Float64()
				n.Nodes[i].Kind = Lake
				n.Nodes[i].Residence = time.Duration(h * float64(time.Hour))
				resTrue[i] = h * (0.9 + 0.2*rng.Float64())
				break
			}
		}
	}
	vTrue := make([]float64, R)
	for r := 1; r <= R; r++ {
		v := 0.2 + 0.7*rng.Float64()
		n.Reaches = append(n.Reaches, Reach{ID: fmt.Sprintf("R%d", r), From: fmt.Sprintf("N%d", r), To: fmt.Sprintf("N%d", parent[r]),
			Length: 1500 + 6500*rng.Float64(), Velocity: v})
		vTrue[r-1] = v * (1 - o.velocityError + 2*o.velocityError*rng.Float64())
	}
	// Flows: reaches created later are upstream, so sum in reverse.
	inflow := make([]float64, R+1)
	for r := R; r >= 1; r-- {
		q := inflow[r] + 0.2 + 0.5*rng.Float64()
		if indeg[r] == 0 {
			q += 0.5 + 2.5*rng.Float64()
		}
		n.Reaches[r-1].Flow = q
		inflow[parent[r]] += q
	}
	down := func(node int) int { // reach leaving node, -1 at the mouth
		if node == 0 {
			return -1
		}
		return node - 1
	}

	// Sections: the target just above the mouth, others at random.
	type genSection struct {
		reach int
		off   float64
		bg    float64
		conc  []float64
	}
	var secs []genSection
	addSection := func(r int, off float64) {
		secs = append(secs, genSection{reach: r, off: off, bg: 0.2 + 0.4*rng.Float64(), conc: make([]float64, genHours)})
		n.Sections = append(n.Sections, Section{ID: fmt.Sprintf("S%d", len(secs)-1), Reach: n.Reaches[r].ID, Offset: off})
	}
	addSection(0, 0.9*n.Reaches[0].Length)
	for r := 1; r < R; r++ {
		if rng.Float64() < o.sectionShare {
			addSection(r, n.Reaches[r].Length*rng.Float64())
		}
	}
	// arrivals lists the sections downstream of a point with the true
	// travel time (h).
	type arrival struct {
		sec int
		tau float64
	}
	arrivals := func(r int, off float64) []arrival {
		var out []arrival
		t := 0.0
		for r >= 0 {
			for i, s := range secs {
				if s.reach == r && s.off >= off {
					out = append(out, arrival{i, t + (s.off-off)/vTrue[r]/3600})
				}
			}
			t += (n.Reaches[r].Length - off) / vTrue[r] / 3600
			to := parent[r+1]
			t += resTrue[to]
			r, off = down(to), 0
		}
		return out
	}

	// Outfalls with noisy background.
	var outs []genOutfall
	for r := range R {
		for range rng.IntN(4) {
			g := genOutfall{reach: r, off: n.Reaches[r].Length * rng.Float64(),
				conc: make([]float64, genHours), flw: make([]float64, genHours)}
			c0 := 2 + 8*rng.Float64()
			q0 := 0.005 + 0.075*rng.Float64()
			for t := range genHours {
				g.conc[t] = c0 * (1 + 0.15*rng.NormFloat64())
				g.flw[t] = q0 * (1 + 0.1*rng.NormFloat64())
				g.conc[t] = max(g.conc[t], 0.01)
				g.flw[t] = max(g.flw[t], 0.0001)
			}
			limit := c0 * (1.3 + 0.7*rng.Float64())
			if rng.Float64() < o.chronicShare {
				limit = c0 * (0.8 + 0.2*rng.Float64())
			}
			if rng.Float64() < o.decoyShare {
				// an unrelated spike: it exceeds the limit and travels
				// downstream like any discharge
				at, d, f := rng.IntN(genHours), 2+rng.IntN(5), 2+3*rng.Float64()
				for t := at; t < min(at+d, genHours); t++ {
					g.conc[t] *= f
				}
			}
			g.limit = limit
			id := len(outs)
			outs = append(outs, g)
			n.Outfalls = append(n.Outfalls, Outfall{ID: fmt.Sprintf("O%d", id), Reach: n.Reaches[r].ID, Offset: g.off,
				Enterprise: fmt.Sprintf("E%d", id), Outlet: "DW001", Device: fmt.Sprintf("MN%08d", id)})
		}
	}
	if len(outs) == 0 {
		return nil, errNoCandidate
	}

	eng, err := New(n)
	if err != nil {
		return nil, fmt.Errorf("generated network: %w", err)
	}
	const horizon = 48 * time.Hour
	ups, err := eng.Upstream("S0", horizon)
	if err != nil {
		return nil, err
	}
	var pool []int
	for _, u := range ups {
		if !u.Section && u.Travel <= horizon*9/10 {
			pool = append(pool, int(eng.outfallIdx[u.ID]))
		}
	}
	if len(pool) == 0 {
		return nil, errNoCandidate
	}
	src := pool[rng.IntN(len(pool))]
	sc.source = n.Outfalls[src].ID
	var srcTau float64
	for _, a := range arrivals(outs[src].reach, outs[src].off) {
		if a.sec == 0 {
			srcTau = a.tau
		}
	}
	sc.tau = srcTau
	qT := n.Reaches[0].Flow
	sigmaT := 0.03 + 0.03*secs[0].bg
	excess := (o.snrMin + (o.snrMax-o.snrMin)*rng.Float64()) * sigmaT // peak excess at the target, mg/L
	dL := excess * qT                                                 // g/s
	dur := 2 + rng.IntN(5)
	tArr := 150 + rng.IntN(40)
	ts := tArr - int(math.Round(srcTau))
	for t := ts; t < ts+dur; t++ {
		if t >= 0 && t < genHours {
			outs[src].conc[t] += dL / outs[src].flw[t]
		}
	}

	// Route every outfall's load to the sections downstream.
	for i := range outs {
		g := &outs[i]
		for _, a := range arrivals(g.reach, g.off) {
			s := &secs[a.sec]
			q := n.Reaches[s.reach].Flow
			sd := min(max(0.3, 0.05*a.tau), 1.5)
			lo, hi := int(math.Floor(a.tau-3*sd)), int(math.Ceil(a.tau+3*sd))
			var w []float64
			sum := 0.0
			for j := lo; j <= hi; j++ {
				x := (float64(j) - a.tau) / sd
				w = append(w, math.Exp(-x*x/2))
				sum += w[len(w)-1]
			}
			for t := range genHours {
				acc := 0.0
				for k, wk := range w {
					src := t - (lo + k)
					if src < 0 {
						src = 0 // before the record: steady state
					}
					if src >= genHours {
						continue
					}
					acc += wk * g.conc[src] * g.flw[src]
				}
				s.conc[t] += acc / sum / q
			}
		}
	}
	data := &MapData{Sections: map[Key]Series{}, Outfalls: map[Key]Series{}, OutfallFlows: map[string]Series{}, Limits: map[Key]float64{}}
	ser := func(v []float64) Series { return Series{Start: genStart, Step: time.Hour, Values: v} }
	for i := range secs {
		s := &secs[i]
		sigma := 0.03 + 0.03*s.bg
		for t := range genHours {
			s.conc[t] += s.bg + sigma*rng.NormFloat64()
		}
		data.Sections[Key{n.Sections[i].ID, "NH3-N"}] = ser(s.conc)
	}
	for i := range outs {
		id := n.Outfalls[i].ID
		if i != src && rng.Float64() < o.missingShare {
			continue
		}
		c := append([]float64(nil), outs[i].conc...)
		f := append([]float64(nil), outs[i].flw...)
		for t := range genHours {
			if rng.Float64() < 0.03 {
				c[t] = math.NaN()
			}
			if rng.Float64() < 0.03 {
				f[t] = math.NaN()
			}
		}
		data.Outfalls[Key{id, "NH3-N"}] = ser(c)
		if i == src || rng.Float64() >= o.noFlowShare {
			data.OutfallFlows[id] = ser(f)
		}
		data.Limits[Key{id, "NH3-N"}] = outs[i].limit
	}
	sc.data = data

	// The alarm: the first hour near the arrival above a limit set half
	// way up the pulse.
	limit := mean(secs[0].conc[tArr-48:tArr-4]) + excess/2
	trig := -1
	for t := tArr - 4; t < min(tArr+dur+4, genHours); t++ {
		if secs[0].conc[t] > limit {
			trig = t
			break
		}
	}
	if trig < 0 {
		return nil, errNoCandidate
	}
	sc.query = Query{Section: "S0", Factor: "NH3-N", Limit: limit, Time: genStart.Add(time.Duration(trig) * time.Hour),
		Horizon: horizon, After: o.after, MaxCandidates: -1}
	return sc, nil
}

var errNoCandidate = fmt.Errorf("no usable candidate in this scenario")

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func fmtMiss(i int, sc *scenario, rep *Report, rank int, top Candidate) string {
	var src Candidate
	for _, c := range rep.Candidates {
		if c.Outfall == sc.source {
			src = c
		}
	}
	return fmt.Sprintf("miss #%d: source %s (τ %.1f h true) at rank %d score %.3f [t %.2f ex %.2f r %.2f load %.2f(%.2f) mb %.2f missing %v]; first %s score %.3f [t %.2f ex %.2f r %.2f load %.2f(%.2f) mb %.2f] τ %.1f",
		i, sc.source, sc.tau, rank, src.Score, src.Time.Score, src.Exceedance.Score, src.Correlation.R, src.Load.Score, src.Load.Share, src.MassBalance.Score, src.Missing,
		top.Outfall, top.Score, top.Time.Score, top.Exceedance.Score, top.Correlation.R, top.Load.Score, top.Load.Share, top.MassBalance.Score, top.TravelH)
}
