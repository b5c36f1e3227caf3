package trace

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Upstream is a section or an outfall found upstream of the target section
// within the horizon.
type Upstream struct {
	Section bool   // a section; otherwise an outfall
	ID      string // section or outfall id
	// Travel is the time water takes from this point to the target
	// section: Σ length/velocity along the path plus lake residence delays.
	Travel time.Duration
	// Distance is the channel length from this point to the target, m.
	Distance float64
	// Down is the nearest section downstream of this point on its way to
	// the target (the target itself when there is none in between): the
	// mass balance of the stretch between Down and its upstream sections
	// is the one this point takes part in.
	Down string
	// Path lists the reaches from this point's reach to the target's reach.
	Path []string

	idx     int32
	down    int32
	reach   int32
	seconds float64
}

// walkState is the per-query scratch of the upstream search.
type walkState struct {
	dist []float64 // s from entering node n to the target
	len  []float64 // m from node n to the target
	next []int32   // reach leaving node n on the way to the target
	down []int32   // nearest section downstream of node n
	heap nodeHeap
}

// Upstream lists the sections and outfalls upstream of the section whose
// travel time to it is at most horizon, nearest first. A point on the
// target's own reach counts if its offset is not greater than the target's.
func (e *Engine) Upstream(section string, horizon time.Duration) ([]Upstream, error) {
	t, ok := e.sectionIdx[section]
	if !ok {
		return nil, fmt.Errorf("trace: unknown section %q", section)
	}
	var out []Upstream
	var ws walkState
	e.walk(t, horizon.Seconds(), &ws, func(u Upstream) { out = append(out, u) })
	sortUpstream(out)
	for i := range out {
		out[i].Path = e.path(&ws, out[i].reach, e.sectionReach[t])
		if out[i].Section {
			out[i].ID = e.sections[out[i].idx].ID
		} else {
			out[i].ID = e.outfalls[out[i].idx].ID
		}
		out[i].Down = e.sections[out[i].down].ID
	}
	return out, nil
}

func sortUpstream(u []Upstream) {
	slices.SortFunc(u, func(a, b Upstream) int {
		switch {
		case a.seconds != b.seconds:
			return cmp.Compare(a.seconds, b.seconds)
		case a.Section != b.Section:
			if a.Section {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.idx, b.idx)
	})
}

// walk runs Dijkstra's algorithm against the direction of flow from the
// target section, calling visit for every section and outfall within the
// horizon (s). In a dendritic network each node has one way down and the
// search is a plain traversal; Dijkstra also gives the right (earliest)
// arrival where a river splits around an island.
func (e *Engine) walk(target int32, horizon float64, ws *walkState, visit func(Upstream)) {
	nn := len(e.nodes)
	if cap(ws.dist) < nn {
		ws.dist = make([]float64, nn)
		ws.len = make([]float64, nn)
		ws.next = make([]int32, nn)
		ws.down = make([]int32, nn)
	}
	ws.dist, ws.len, ws.next, ws.down = ws.dist[:nn], ws.len[:nn], ws.next[:nn], ws.down[:nn]
	for i := range ws.dist {
		ws.dist[i] = math.Inf(1)
		ws.next[i] = -1
	}
	ws.heap = ws.heap[:0]

	r := e.sectionReach[target]
	x := e.sections[target].Offset
	v := e.reaches[r].Velocity
	// Points on the target's reach above it, nearest first.
	pts := e.pts[e.ptStart[r]:e.ptStart[r+1]]
	cur := target
	i := len(pts) - 1
	for ; i >= 0 && pts[i].off > x; i-- {
	}
	for ; i >= 0; i-- {
		p := pts[i]
		if p.section && p.idx == target {
			continue
		}
		d := x - p.off
		s := d / v
		if s > horizon {
			break
		}
		visit(Upstream{Section: p.section, idx: p.idx, down: cur, reach: r, seconds: s,
			Travel: secs(s), Distance: d})
		if p.section {
			cur = p.idx
		}
	}
	if i >= 0 {
		return // the horizon ends on the target's own reach
	}
	n := e.from[r]
	ws.dist[n] = x/v + e.residence[n]
	ws.len[n] = x
	ws.next[n] = r
	ws.down[n] = cur
	if ws.dist[n] <= horizon {
		ws.heap.push(heapItem{ws.dist[n], n})
	}
	for len(ws.heap) > 0 {
		it := ws.heap.pop()
		n := it.node
		if it.dist > ws.dist[n] {
			continue // stale entry
		}
		for _, er := range e.inReach[e.inStart[n]:e.inStart[n+1]] {
			reach := &e.reaches[er]
			base, baseLen := ws.dist[n], ws.len[n]
			cur := ws.down[n]
			pts := e.pts[e.ptStart[er]:e.ptStart[er+1]]
			stopped := false
			for j := len(pts) - 1; j >= 0; j-- {
				p := pts[j]
				d := reach.Length - p.off
				s := base + d/reach.Velocity
				if s > horizon {
					stopped = true
					break
				}
				visit(Upstream{Section: p.section, idx: p.idx, down: cur, reach: er, seconds: s,
					Travel: secs(s), Distance: baseLen + d})
				if p.section {
					cur = p.idx
				}
			}
			if stopped {
				continue
			}
			m := e.from[er]
			d := base + e.reachTime[er] + e.residence[m]
			if d < ws.dist[m] && d <= horizon {
				ws.dist[m] = d
				ws.len[m] = baseLen + reach.Length
				ws.next[m] = er
				ws.down[m] = cur
				ws.heap.push(heapItem{d, m})
			}
		}
	}
}

// path lists the reach ids from reach r down to the target's reach.
func (e *Engine) path(ws *walkState, r, targetReach int32) []string {
	var p []string
	for r >= 0 {
		p = append(p, e.reaches[r].ID)
		if r == targetReach {
			break
		}
		r = ws.next[e.to[r]]
	}
	return p
}

func secs(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

type heapItem struct {
	dist float64
	node int32
}

// nodeHeap is a binary min-heap on dist; hand-written to avoid the
// interface calls of container/heap on the hot path.
type nodeHeap []heapItem

func (h *nodeHeap) push(it heapItem) {
	*h = append(*h, it)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].dist <= a[i].dist {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *nodeHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		m := l
		if r := l + 1; r < len(a) && a[r].dist < a[l].dist {
			m = r
		}
		if a[i].dist <= a[m].dist {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
