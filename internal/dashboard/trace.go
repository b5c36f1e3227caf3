package dashboard

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/factors"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/trace"
	"github.com/ecowatch/ecowatch/internal/water/tracesvc"
)

// accessTrace is the API's tracing scope (internal/api.ScopeWaterTrace).
// auth grants it to no role but the city: unknown scopes fail closed.
const accessTrace = "water:trace"

// traceStore is what tracing reads (store.Store implements it).
type traceStore interface {
	Registry(ctx context.Context) (*model.Registry, error)
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
}

type traceData struct {
	Sections []model.WaterSection
	Section  string
	Time     string // as the datetime-local input shows it
	Factor   string
	Factors  []string
	Report   *trace.Report
	Error    string
	// ErrorDetail is the engine's own words, for the tooltip.
	ErrorDetail string
	// Path is the upstream path drawn: the reaches from the top
	// candidate down to the section; PathNames the reaches' names.
	Path      []string
	PathNames []string
	// Suspects are shown only when the section exceeds, or when the
	// user asks what-if (WhatIf, ?whatif=1); WhatIfURL asks it.
	Suspects  bool
	WhatIf    bool
	WhatIfURL string
	// Rows are the top candidates with names; More how many ranked lower.
	Rows []candidateRow
	More int
	// FactorName and Unit label the traced item ("氨氮", "mg/L");
	// Items are the form's choices.
	FactorName, Unit string
	Items            []traceItem
	Notes            []string
}

type traceItem struct{ Code, Name string }

// candidateRow is a ranked outfall as the page names it.
type candidateRow struct {
	trace.Candidate
	EnterpriseName string
	// Why* are the reasons an evidence could not be computed, in the
	// page's language.
	WhyExceed, WhyCorr, WhyLoad, WhyMass string
}

// maxSuspects is how many ranked outfalls the page lists: enough for
// an inspection plan, few enough to read.
const maxSuspects = 10

// inLang picks the page's half of the engine's bilingual texts
// ("中文 / English").
func inLang(lang, s string) string {
	zh, en, ok := strings.Cut(s, " / ")
	if !ok {
		return s
	}
	if lang == langEN {
		return en
	}
	return zh
}

// waterItemName names a GB 3838 item (CODMn → 高锰酸盐指数 /
// Permanganate index) and gives its unit.
func waterItemName(lang, name string) (string, string) {
	it, ok := water.LookupItem(name)
	if !ok {
		return name, ""
	}
	unit := it.Unit()
	if unit == "无量纲" {
		unit = ""
	}
	if lang == langEN {
		if f, ok := factors.Lookup(it.Code()); ok {
			return f.En, unit
		}
		return it.String(), unit
	}
	return it.ChineseName(), unit
}

// graphNode is one point of the drawn network: [x, y] in a schematic
// plane (x: km from the mouth, upstream to the left; y: branch slot).
type graphNode struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Kind  string  `json:"kind"` // node, section, outfall
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Rank  int     `json:"rank,omitempty"`  // candidate rank (outfalls)
	Score float64 `json:"score,omitempty"` // candidate score
	Role  string  `json:"role,omitempty"`  // "target" for the traced section
}

type graphLink struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Name   string `json:"name"`
	OnPath bool   `json:"on_path"`
}

type traceCharts struct {
	Network struct {
		Nodes  []graphNode       `json:"nodes"`
		Links  []graphLink       `json:"links"`
		Labels map[string]string `json:"labels"`
	} `json:"network"`
}

// traceFactors are the items offered on the form: those a section's
// exceedance is usually traced on (the others are given by URL).
var traceFactors = []string{"CODMn", "NH3-N", "TP", "COD", "DO", "TN"}

// parseTraceTime reads the form's time: datetime-local (no zone: China
// Standard Time) or RFC 3339.
func parseTraceTime(s string) (time.Time, bool) {
	for _, f := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(f, s, cst); err == nil {
			return t, true
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// tracePage runs a water-quality trace (internal/water/tracesvc, as GET
// /api/v1/water/trace) and draws the river network with the section, the
// upstream path and the ranked candidate outfalls.
func (h *Handler) tracePage(w http.ResponseWriter, r *http.Request, p *page) error {
	ts := h.st
	wr, err := ts.WaterRegistry(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &traceData{Sections: wr.Sections, Section: q.Get("section"), Factor: q.Get("factor"), Factors: traceFactors, WhatIf: q.Get("whatif") == "1"}
	if d.Factor == "" {
		d.Factor = "CODMn"
	}
	for _, f := range traceFactors {
		n, _ := waterItemName(p.Lang, f)
		d.Items = append(d.Items, traceItem{f, n})
	}
	d.FactorName, d.Unit = waterItemName(p.Lang, d.Factor)
	status := http.StatusOK
	if d.Section != "" {
		known := slices.ContainsFunc(wr.Sections, func(s model.WaterSection) bool { return s.Code == d.Section })
		tm, tok := parseTraceTime(q.Get("time"))
		switch {
		case !known:
			d.Error, status = p.T("trace.nosection"), http.StatusNotFound
		case !tok:
			d.Error, status = p.T("trace.badtime"), http.StatusBadRequest
		default:
			d.Time = tm.In(cst).Format("2006-01-02T15:04")
			rep, err := tracesvc.Run(r.Context(), ts, tracesvc.Query{Section: d.Section, Time: tm, Factor: d.Factor})
			switch {
			case errors.Is(err, trace.ErrNoData):
				d.Error, status = p.T("trace.nodata"), http.StatusNotFound
			case err != nil:
				// A section without a target, an item without a limit,
				// a network without reaches: say so on the page.
				h.log.Warn("trace failed", "section", d.Section, "err", err)
				d.Error, status = p.T("trace.failed"), http.StatusUnprocessableEntity
				if p.En() {
					d.ErrorDetail = err.Error() // the engine speaks English
				}
			default:
				d.Report = rep
				if err := h.suspects(r.Context(), ts, wr, d, p.Lang); err != nil {
					return err
				}
				wq := r.URL.Query()
				wq.Set("whatif", "1")
				d.WhatIfURL = "/water/trace?" + wq.Encode()
			}
		}
	}
	c := &traceCharts{}
	c.Network.Nodes, c.Network.Links = networkGraph(wr, d)
	c.Network.Labels = map[string]string{"node": p.T("trace.node"), "section": p.T("trace.section"), "outfall": p.T("trace.outfall"),
		"target": p.T("trace.target"), "path": p.T("trace.path"), "rank": p.T("trace.rank")}
	p.Nav, p.Title, p.Data, p.Charts = "trace", p.T("trace.title"), d, c
	return h.render(w, status, "trace", p)
}

// suspects fills what the page says about the candidates: none when the
// section does not exceed (unless asked what-if), else the top ones by
// enterprise and outfall name, with the reasons in the page's language.
func (h *Handler) suspects(ctx context.Context, ts traceStore, wr *model.WaterRegistry, d *traceData, lang string) error {
	rep := d.Report
	for _, n := range rep.Notes {
		d.Notes = append(d.Notes, inLang(lang, n))
	}
	d.Suspects = rep.Exceeds || d.WhatIf
	if !d.Suspects || len(rep.Candidates) == 0 {
		return nil
	}
	reg, err := ts.Registry(ctx)
	if err != nil {
		return err
	}
	ents := map[string]string{}
	for _, e := range reg.Enterprises {
		ents[e.USCC] = e.Name
	}
	cs := rep.Candidates
	if len(cs) > maxSuspects {
		d.More, cs = len(cs)-maxSuspects, cs[:maxSuspects]
	}
	for _, c := range cs {
		d.Rows = append(d.Rows, candidateRow{Candidate: c, EnterpriseName: ents[c.Enterprise],
			WhyExceed: inLang(lang, c.Exceedance.Reason), WhyCorr: inLang(lang, c.Correlation.Reason),
			WhyLoad: inLang(lang, c.Load.Reason), WhyMass: inLang(lang, c.MassBalance.Reason)})
	}
	d.Path = cs[0].Path
	reach := map[string]string{}
	for _, rc := range wr.Reaches {
		reach[rc.ID] = rc.Name
	}
	for _, id := range d.Path {
		n := reach[id]
		if n == "" {
			n = id
		}
		// A river's consecutive reaches often share its name: once.
		if len(d.PathNames) == 0 || d.PathNames[len(d.PathNames)-1] != n {
			d.PathNames = append(d.PathNames, n)
		}
	}
	return nil
}

// networkGraph lays the network out schematically: each node's x is its
// distance to the mouth along the reaches (negative, so water flows to
// the right), each headwater gets its own row and a node downstream sits
// at the mean row of the reaches flowing in. Sections and outfalls are
// placed on their reach by their offset. The registry has no node
// coordinates, and a schematic reads better than a map for "what is
// upstream of what".
func networkGraph(wr *model.WaterRegistry, d *traceData) ([]graphNode, []graphLink) {
	out := map[string]model.Reach{} // node → the reach leaving it
	in := map[string][]model.Reach{}
	for _, rc := range wr.Reaches {
		out[rc.From] = rc
		in[rc.To] = append(in[rc.To], rc)
	}
	// Distance to the mouth, km (guarded against cycles, which
	// waterreg.Validate refuses anyway).
	dist := map[string]float64{}
	var toMouth func(id string, depth int) float64
	toMouth = func(id string, depth int) float64 {
		if v, ok := dist[id]; ok {
			return v
		}
		rc, ok := out[id]
		if !ok || depth > len(wr.Reaches) {
			return 0
		}
		v := rc.LengthM/1000 + toMouth(rc.To, depth+1)
		dist[id] = v
		return v
	}
	row := map[string]float64{}
	next := 0.0
	var place func(id string, depth int) float64
	place = func(id string, depth int) float64 {
		if v, ok := row[id]; ok {
			return v
		}
		ups := in[id]
		if len(ups) == 0 || depth > len(wr.Nodes) {
			row[id] = next
			next++
			return row[id]
		}
		sum := 0.0
		for _, u := range ups {
			sum += place(u.From, depth+1)
		}
		row[id] = sum / float64(len(ups))
		return row[id]
	}
	for _, n := range wr.Nodes {
		if _, ok := out[n.ID]; !ok { // a mouth: lay out its tree
			place(n.ID, 0)
		}
	}
	for _, n := range wr.Nodes {
		place(n.ID, 0)
	}
	onPath := map[string]bool{}
	for _, id := range d.Path {
		onPath[id] = true
	}
	var nodes []graphNode
	var links []graphLink
	for _, n := range wr.Nodes {
		name := n.Name
		if name == "" {
			name = n.ID
		}
		nodes = append(nodes, graphNode{ID: "n:" + n.ID, Name: name, Kind: "node", X: -toMouth(n.ID, 0), Y: row[n.ID]})
	}
	reaches := map[string]model.Reach{}
	for _, rc := range wr.Reaches {
		reaches[rc.ID] = rc
		links = append(links, graphLink{Source: "n:" + rc.From, Target: "n:" + rc.To, Name: rc.Name, OnPath: onPath[rc.ID]})
	}
	at := func(reach string, off float64) (float64, float64, bool) {
		rc, ok := reaches[reach]
		if !ok {
			return 0, 0, false
		}
		f := 0.0
		if rc.LengthM > 0 {
			f = math.Min(math.Max(off/rc.LengthM, 0), 1)
		}
		x0, x1 := -toMouth(rc.From, 0), -toMouth(rc.To, 0)
		y0, y1 := row[rc.From], row[rc.To]
		return x0 + f*(x1-x0), y0 + f*(y1-y0), true
	}
	for _, s := range wr.Sections {
		if x, y, ok := at(s.Reach, s.OffsetM); ok {
			g := graphNode{ID: "s:" + s.Code, Name: s.Name, Kind: "section", X: x, Y: y}
			if s.Code == d.Section {
				g.Role = "target"
			}
			nodes = append(nodes, g)
		}
	}
	rank := map[string]trace.Candidate{}
	for _, c := range d.Rows {
		rank[c.Outfall] = c.Candidate
	}
	for _, o := range wr.Outfalls {
		if x, y, ok := at(o.Reach, o.OffsetM); ok {
			name := o.Name
			if name == "" {
				name = o.Code
			}
			g := graphNode{ID: "o:" + o.Code, Name: name, Kind: "outfall", X: x, Y: y - 0.3}
			if c, ok := rank[o.Code]; ok {
				g.Rank, g.Score = c.Rank, c.Score
			}
			nodes = append(nodes, g)
		}
	}
	return nodes, links
}
