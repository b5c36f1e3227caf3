package trace

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/water"
)

// NodeKind is the role of a node of the river network.
type NodeKind uint8

// Node kinds. Only lakes and reservoirs may hold water back (a residence
// delay); the other kinds are points where reaches meet.
const (
	Junction   NodeKind = iota // plain point on a river (a section boundary, a change of velocity)
	Source                     // 源头: a headwater, no reach flows in
	Confluence                 // 汇流点: several reaches flow in
	Lake                       // 湖泊
	Reservoir                  // 水库
	Mouth                      // 河口 / 出境: the network's outlet, no reach flows out
)

var nodeKindNames = [...]string{"junction", "source", "confluence", "lake", "reservoir", "mouth"}

func (k NodeKind) String() string {
	if int(k) < len(nodeKindNames) {
		return nodeKindNames[k]
	}
	return fmt.Sprintf("NodeKind(%d)", uint8(k))
}

// MarshalText encodes the kind by name.
func (k NodeKind) MarshalText() ([]byte, error) {
	if int(k) >= len(nodeKindNames) {
		return nil, fmt.Errorf("trace: unknown node kind %d", uint8(k))
	}
	return []byte(nodeKindNames[k]), nil
}

// UnmarshalText decodes a kind name ("lake", "confluence", ...).
func (k *NodeKind) UnmarshalText(b []byte) error {
	i := slices.Index(nodeKindNames[:], strings.ToLower(string(b)))
	if i < 0 {
		return fmt.Errorf("trace: unknown node kind %q (want one of %s)", b, strings.Join(nodeKindNames[:], ", "))
	}
	*k = NodeKind(i)
	return nil
}

// Node is a point of the river network where reaches start or end.
type Node struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	Kind NodeKind `json:"kind"`
	// Residence is the delay water spends in a lake or reservoir (滞留时间)
	// before it leaves by the outflowing reach; only lakes and reservoirs
	// may have one. A plug-flow delay is the simplest model that keeps the
	// travel time right; mixing in the lake also smooths and dilutes a
	// pulse, which the tolerance on lags absorbs.
	Residence time.Duration `json:"residence,omitempty"`
}

// Reach is a stretch of river (河段) from an upstream node to a downstream
// node, with the mean velocity used for travel times.
type Reach struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	River string `json:"river,omitempty"`
	From  string `json:"from"` // upstream node
	To    string `json:"to"`   // downstream node
	// Length in metres along the channel.
	Length float64 `json:"length_m"`
	// Velocity is the mean velocity in m/s (from hydrology or a rating);
	// travel time along the reach is Length/Velocity.
	Velocity float64 `json:"velocity_ms"`
	// Flow is the mean discharge in m³/s, used to compute loads at a
	// section on this reach when no discharge series is given; 0 = unknown.
	Flow float64 `json:"flow_m3s,omitempty"`
}

// Section is a monitoring section (断面) on a reach.
type Section struct {
	ID     string  `json:"id"`
	Name   string  `json:"name,omitempty"`
	Reach  string  `json:"reach"`
	Offset float64 `json:"offset_m"` // distance from the reach's upstream node, m
	// Body selects lake or river limits; Target is the class the section
	// is assessed against (考核目标). Both are used only when a query leaves
	// its limit to the engine.
	Body      water.WaterBody `json:"body"`
	Target    water.Class     `json:"target"`
	Automatic bool            `json:"automatic,omitempty"` // 自动站
}

// Outfall is an outfall into the river (入河排污口), linked to the
// registry's enterprise, outlet and online-monitoring device.
type Outfall struct {
	ID         string  `json:"id"`
	Name       string  `json:"name,omitempty"`
	Reach      string  `json:"reach"`
	Offset     float64 `json:"offset_m"` // distance from the reach's upstream node, m
	Enterprise string  `json:"enterprise,omitempty"`
	Outlet     string  `json:"outlet,omitempty"`
	Device     string  `json:"device,omitempty"` // MN of the online monitor
}

// Network is the river network as the registry holds it.
type Network struct {
	Nodes    []Node    `json:"nodes"`
	Reaches  []Reach   `json:"reaches"`
	Sections []Section `json:"sections"`
	Outfalls []Outfall `json:"outfalls"`
}

// Problem is one thing wrong with a network, naming the item.
type Problem struct {
	Kind string // "node", "reach", "section", "outfall"
	ID   string
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s %q: %s", p.Kind, p.ID, p.Msg) }

// NetworkError lists every problem found in a network, in input order.
type NetworkError struct {
	Problems []Problem
}

func (e *NetworkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trace: invalid river network (%d problems)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// point is a section or an outfall on a reach, in the per-reach index.
type point struct {
	off     float64
	idx     int32
	section bool
}

// Engine answers tracing queries on one validated network. It is
// immutable after New and safe for concurrent use.
type Engine struct {
	nodes    []Node
	reaches  []Reach
	sections []Section
	outfalls []Outfall

	nodeIdx    map[string]int32
	reachIdx   map[string]int32
	sectionIdx map[string]int32
	outfallIdx map[string]int32

	from, to  []int32   // per reach: node indices
	reachTime []float64 // per reach: travel time, s
	residence []float64 // per node: residence delay, s

	// Incoming reaches of each node in compressed form: the reaches flowing
	// into node n are inReach[inStart[n]:inStart[n+1]].
	inStart []int32
	inReach []int32

	// Sections and outfalls of each reach sorted by offset:
	// pts[ptStart[r]:ptStart[r+1]].
	ptStart []int32
	pts     []point

	sectionReach []int32
	outfallReach []int32
}

// New validates the network and builds the indexes every query uses: the
// upstream adjacency of each node and the points of each reach by offset.
// It returns a *NetworkError listing every problem. The network is copied.
func New(n *Network) (*Engine, error) {
	e := &Engine{
		nodes:      slices.Clone(n.Nodes),
		reaches:    slices.Clone(n.Reaches),
		sections:   slices.Clone(n.Sections),
		outfalls:   slices.Clone(n.Outfalls),
		nodeIdx:    make(map[string]int32, len(n.Nodes)),
		reachIdx:   make(map[string]int32, len(n.Reaches)),
		sectionIdx: make(map[string]int32, len(n.Sections)),
		outfallIdx: make(map[string]int32, len(n.Outfalls)),
	}
	var probs []Problem
	bad := func(kind, id, format string, args ...any) {
		probs = append(probs, Problem{Kind: kind, ID: id, Msg: fmt.Sprintf(format, args...)})
	}
	isFinite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

	e.residence = make([]float64, len(e.nodes))
	for i, nd := range e.nodes {
		if nd.ID == "" {
			bad("node", "", "empty id (node #%d)", i+1)
			continue
		}
		if _, dup := e.nodeIdx[nd.ID]; dup {
			bad("node", nd.ID, "duplicate id")
			continue
		}
		e.nodeIdx[nd.ID] = int32(i)
		if int(nd.Kind) >= len(nodeKindNames) {
			bad("node", nd.ID, "unknown kind %d", nd.Kind)
		}
		switch {
		case nd.Residence < 0:
			bad("node", nd.ID, "negative residence delay %v", nd.Residence)
		case nd.Residence > 0 && nd.Kind != Lake && nd.Kind != Reservoir:
			bad("node", nd.ID, "residence delay %v on a %s: only lakes and reservoirs hold water back", nd.Residence, nd.Kind)
		default:
			e.residence[i] = nd.Residence.Seconds()
		}
	}

	e.from = make([]int32, len(e.reaches))
	e.to = make([]int32, len(e.reaches))
	e.reachTime = make([]float64, len(e.reaches))
	for i, r := range e.reaches {
		e.from[i], e.to[i] = -1, -1
		if r.ID == "" {
			bad("reach", "", "empty id (reach #%d)", i+1)
			continue
		}
		if _, dup := e.reachIdx[r.ID]; dup {
			bad("reach", r.ID, "duplicate id")
			continue
		}
		e.reachIdx[r.ID] = int32(i)
		if f, ok := e.nodeIdx[r.From]; ok {
			e.from[i] = f
		} else {
			bad("reach", r.ID, "unknown upstream node %q", r.From)
		}
		if t, ok := e.nodeIdx[r.To]; ok {
			e.to[i] = t
		} else {
			bad("reach", r.ID, "unknown downstream node %q", r.To)
		}
		if r.From == r.To && r.From != "" {
			bad("reach", r.ID, "starts and ends at node %q", r.From)
		}
		if !isFinite(r.Length) || r.Length <= 0 {
			bad("reach", r.ID, "length %g m: must be positive", r.Length)
		}
		if !isFinite(r.Velocity) || r.Velocity <= 0 {
			bad("reach", r.ID, "velocity %g m/s: must be positive (a still reach is a lake node with a residence delay)", r.Velocity)
		}
		if !isFinite(r.Flow) || r.Flow < 0 {
			bad("reach", r.ID, "flow %g m³/s: must not be negative", r.Flow)
		}
		if r.Velocity > 0 && r.Length > 0 {
			e.reachTime[i] = r.Length / r.Velocity
		}
	}
	in, out := make([]int, len(e.nodes)), make([]int, len(e.nodes))
	for r := range e.reaches {
		if e.to[r] >= 0 {
			in[e.to[r]]++
		}
		if e.from[r] >= 0 {
			out[e.from[r]]++
		}
	}
	for i, nd := range e.nodes {
		if nd.ID == "" || e.nodeIdx[nd.ID] != int32(i) {
			continue // reported above
		}
		if nd.Kind == Source && in[i] > 0 {
			bad("node", nd.ID, "a source has %d reaches flowing in", in[i])
		}
		if nd.Kind == Mouth && out[i] > 0 {
			bad("node", nd.ID, "a mouth has %d reaches flowing out", out[i])
		}
	}

	locate := func(kind, id, reach string, off float64) int32 {
		r, ok := e.reachIdx[reach]
		if !ok {
			bad(kind, id, "unknown reach %q", reach)
			return -1
		}
		if l := e.reaches[r].Length; !isFinite(l) || l <= 0 {
			return -1 // the reach's length is reported already
		}
		if !isFinite(off) || off < 0 || off > e.reaches[r].Length {
			bad(kind, id, "offset %g m outside reach %q (0 to %g m)", off, reach, e.reaches[r].Length)
			return -1
		}
		return r
	}
	e.sectionReach = make([]int32, len(e.sections))
	for i, s := range e.sections {
		e.sectionReach[i] = -1
		if s.ID == "" {
			bad("section", "", "empty id (section #%d)", i+1)
			continue
		}
		if _, dup := e.sectionIdx[s.ID]; dup {
			bad("section", s.ID, "duplicate id")
			continue
		}
		e.sectionIdx[s.ID] = int32(i)
		e.sectionReach[i] = locate("section", s.ID, s.Reach, s.Offset)
	}
	e.outfallReach = make([]int32, len(e.outfalls))
	for i, o := range e.outfalls {
		e.outfallReach[i] = -1
		if o.ID == "" {
			bad("outfall", "", "empty id (outfall #%d)", i+1)
			continue
		}
		if _, dup := e.outfallIdx[o.ID]; dup {
			bad("outfall", o.ID, "duplicate id")
			continue
		}
		e.outfallIdx[o.ID] = int32(i)
		e.outfallReach[i] = locate("outfall", o.ID, o.Reach, o.Offset)
	}
	probs = append(probs, e.cycles()...)
	if len(probs) > 0 {
		return nil, &NetworkError{Problems: probs}
	}
	e.index()
	return e, nil
}

// cycles finds the reaches that lie on a directed cycle. Water cannot flow
// in a circle: a cycle is an error in the registry (often a reach entered
// in the wrong direction). Tidal reaches with flow both ways are out of
// scope: enter them in their dominant direction.
func (e *Engine) cycles() []Problem {
	nn := len(e.nodes)
	out := make([][]int32, nn)
	for r := range e.reaches {
		if f, t := e.from[r], e.to[r]; f >= 0 && t >= 0 && f != t { // a self-loop is reported already
			out[f] = append(out[f], int32(r))
		}
	}
	// Iterative depth-first search downstream; meeting a node that is on
	// the current path closes a cycle, which the path's reaches spell out.
	const (
		white = iota
		grey
		black
	)
	colour := make([]uint8, nn)
	type frame struct {
		node int32
		next int // index into out[node]
		via  int32
	}
	var probs []Problem
	var stack []frame
	for start := range nn {
		if colour[start] != white {
			continue
		}
		stack = append(stack[:0], frame{node: int32(start), via: -1})
		colour[start] = grey
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(out[top.node]) {
				colour[top.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			r := out[top.node][top.next]
			top.next++
			t := e.to[r]
			switch colour[t] {
			case white:
				colour[t] = grey
				stack = append(stack, frame{node: t, via: r})
			case grey:
				// The cycle runs from t's frame down the stack to r.
				var ids []string
				on := false
				for _, f := range stack {
					if f.node == t {
						on = true
						continue
					}
					if on {
						ids = append(ids, e.reaches[f.via].ID)
					}
				}
				ids = append(ids, e.reaches[r].ID)
				probs = append(probs, Problem{Kind: "reach", ID: ids[0],
					Msg: "on a cycle: " + strings.Join(ids, " → ") + " → " + ids[0] +
						" (water cannot flow in a circle; is a reach entered in the wrong direction?)"})
			}
		}
	}
	return probs
}

func (e *Engine) index() {
	nn, nr := len(e.nodes), len(e.reaches)
	e.inStart = make([]int32, nn+1)
	for r := range nr {
		e.inStart[e.to[r]+1]++
	}
	for n := range nn {
		e.inStart[n+1] += e.inStart[n]
	}
	e.inReach = make([]int32, nr)
	fill := slices.Clone(e.inStart[:nn])
	for r := range nr {
		t := e.to[r]
		e.inReach[fill[t]] = int32(r)
		fill[t]++
	}

	e.ptStart = make([]int32, nr+1)
	for _, r := range e.sectionReach {
		e.ptStart[r+1]++
	}
	for _, r := range e.outfallReach {
		e.ptStart[r+1]++
	}
	for r := range nr {
		e.ptStart[r+1] += e.ptStart[r]
	}
	e.pts = make([]point, len(e.sections)+len(e.outfalls))
	fill = slices.Clone(e.ptStart[:nr])
	for i, r := range e.sectionReach {
		e.pts[fill[r]] = point{off: e.sections[i].Offset, idx: int32(i), section: true}
		fill[r]++
	}
	for i, r := range e.outfallReach {
		e.pts[fill[r]] = point{off: e.outfalls[i].Offset, idx: int32(i)}
		fill[r]++
	}
	for r := range nr {
		slices.SortStableFunc(e.pts[e.ptStart[r]:e.ptStart[r+1]], func(a, b point) int {
			switch {
			case a.off < b.off:
				return -1
			case a.off > b.off:
				return 1
			}
			return 0
		})
	}
}

// Section returns the section with the given id.
func (e *Engine) Section(id string) (Section, bool) {
	i, ok := e.sectionIdx[id]
	if !ok {
		return Section{}, false
	}
	return e.sections[i], true
}

// Outfall returns the outfall with the given id.
func (e *Engine) Outfall(id string) (Outfall, bool) {
	i, ok := e.outfallIdx[id]
	if !ok {
		return Outfall{}, false
	}
	return e.outfalls[i], true
}
