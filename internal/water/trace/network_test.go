package trace

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/water"
)

// edgeNetwork is the hand-built network of the edge-case tests:
//
//	N0 ─Re 150 km, 1 m/s─▶ N1 ─Ra 10 km, 0.5─▶ NC ◀─Rb 8 km, 0.4─ N2
//	                                           │
//	                                  Rc 6 km, 0.5 m/s
//	                                           ▼
//	                                   NL lake, 6 h ─Rd 4 km, 1 m/s─▶ NM mouth
//
// The target T is on Rd 3.6 km below the lake; UA is on tributary a, UC on
// Rc above the lake.
func edgeNetwork() *Network {
	return &Network{
		Nodes: []Node{
			{ID: "N0", Kind: Source}, {ID: "N1"}, {ID: "N2", Kind: Source},
			{ID: "NC", Kind: Confluence}, {ID: "NL", Kind: Lake, Residence: 6 * time.Hour}, {ID: "NM", Kind: Mouth},
		},
		Reaches: []Reach{
			{ID: "Re", From: "N0", To: "N1", Length: 150_000, Velocity: 1, Flow: 2},
			{ID: "Ra", From: "N1", To: "NC", Length: 10_000, Velocity: 0.5, Flow: 3},
			{ID: "Rb", From: "N2", To: "NC", Length: 8_000, Velocity: 0.4, Flow: 2},
			{ID: "Rc", From: "NC", To: "NL", Length: 6_000, Velocity: 0.5, Flow: 6},
			{ID: "Rd", From: "NL", To: "NM", Length: 4_000, Velocity: 1, Flow: 7},
		},
		Sections: []Section{
			{ID: "T", Name: "出境断面", Reach: "Rd", Offset: 3_600, Body: water.River, Target: water.ClassII, Automatic: true},
			{ID: "UA", Reach: "Ra", Offset: 9_000, Target: water.ClassIII},
			{ID: "UC", Reach: "Rc", Offset: 5_000, Target: water.ClassIII},
		},
		Outfalls: []Outfall{
			{ID: "Onear", Reach: "Rd", Offset: 3_240, Enterprise: "E1", Outlet: "DW001", Device: "MN001"},
			{ID: "Obelow", Reach: "Rd", Offset: 3_800},
			{ID: "Oc1", Reach: "Rc", Offset: 1_000, Enterprise: "E2"},
			{ID: "Oc2", Reach: "Rc", Offset: 1_500, Enterprise: "E3"},
			{ID: "Oa", Reach: "Ra", Offset: 5_000},
			{ID: "Ob", Reach: "Rb", Offset: 2_000},
			{ID: "Ofar", Reach: "Re", Offset: 0},
			{ID: "Oedge", Reach: "Re", Offset: 38_000},
		},
	}
}

func TestUpstream(t *testing.T) {
	eng, err := New(edgeNetwork())
	if err != nil {
		t.Fatal(err)
	}
	h := func(x float64) time.Duration { return time.Duration(math.Round(x * float64(time.Hour))) }
	// Hand-computed: Σ length/velocity to T plus the lake's 6 h.
	lake := 6.0 + 1 // residence + 3.6 km at 1 m/s
	rc := 6000.0 / 0.5 / 3600
	want := []struct {
		id       string
		travel   time.Duration
		distance float64
		down     string
		path     []string
	}{
		{"Onear", h(360.0 / 3600), 360, "T", []string{"Rd"}},
		{"UC", h(1000/0.5/3600 + lake), 1000 + 3600, "T", []string{"Rc", "Rd"}},
		{"Oc2", h(4500/0.5/3600 + lake), 4500 + 3600, "UC", []string{"Rc", "Rd"}},
		{"Oc1", h(5000/0.5/3600 + lake), 5000 + 3600, "UC", []string{"Rc", "Rd"}},
		{"UA", h(1000/0.5/3600 + rc + lake), 1000 + 6000 + 3600, "UC", []string{"Ra", "Rc", "Rd"}},
		{"Oa", h(5000/0.5/3600 + rc + lake), 5000 + 6000 + 3600, "UA", []string{"Ra", "Rc", "Rd"}},
		{"Ob", h(6000/0.4/3600 + rc + lake), 6000 + 6000 + 3600, "UC", []string{"Rb", "Rc", "Rd"}},
		{"Oedge", h(112_000.0/3600 + 10_000/0.5/3600 + rc + lake), 112_000 + 10_000 + 6000 + 3600, "UA", []string{"Re", "Ra", "Rc", "Rd"}},
	}
	ups, err := eng.Upstream("T", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != len(want) {
		var got []string
		for _, u := range ups {
			got = append(got, u.ID)
		}
		t.Fatalf("upstream of T: %v, want %d points (Obelow is downstream, Ofar beyond 48 h)", got, len(want))
	}
	for i, w := range want {
		u := ups[i]
		if u.ID != w.id || (u.Travel-w.travel).Abs() > time.Millisecond || math.Abs(u.Distance-w.distance) > 1e-6 ||
			u.Down != w.down || !slices.Equal(u.Path, w.path) {
			t.Errorf("#%d: got %s τ %v %.0f m down %s path %v, want %s τ %v %.0f m down %s path %v",
				i, u.ID, u.Travel, u.Distance, u.Down, u.Path, w.id, w.travel, w.distance, w.down, w.path)
		}
	}
	// The horizon cuts between Oedge (47.0 h) and the rest.
	ups, _ = eng.Upstream("T", 46*time.Hour)
	for _, u := range ups {
		if u.ID == "Oedge" || u.ID == "Ofar" {
			t.Errorf("%s (τ %v) listed within a 46 h horizon", u.ID, u.Travel)
		}
	}
	if len(ups) != len(want)-1 {
		t.Errorf("46 h horizon: %d points, want %d", len(ups), len(want)-1)
	}
	// From an upstream section, only its own catchment.
	ups, _ = eng.Upstream("UA", 1000*time.Hour)
	var ids []string
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []string{"Oa", "Oedge", "Ofar"}) {
		t.Errorf("upstream of UA: %v, want [Oa Oedge Ofar]", ids)
	}
	if _, err := eng.Upstream("nope", time.Hour); err == nil {
		t.Error("unknown section: no error")
	}
}

// TestUpstreamBraided checks that where a river splits around an island
// and joins again, the earliest arrival counts.
func TestUpstreamBraided(t *testing.T) {
	n := &Network{
		Nodes: []Node{{ID: "A"}, {ID: "B"}, {ID: "C"}},
		Reaches: []Reach{
			{ID: "in", From: "A", To: "B", Length: 3600, Velocity: 1},
			{ID: "slow", From: "B", To: "C", Length: 7200, Velocity: 1},
			{ID: "fast", From: "B", To: "C", Length: 3600, Velocity: 1},
			{ID: "out", From: "C", To: "D0", Length: 3600, Velocity: 1},
		},
		Sections: []Section{{ID: "S", Reach: "out", Offset: 3600}},
		Outfalls: []Outfall{{ID: "O", Reach: "in", Offset: 0}},
	}
	n.Nodes = append(n.Nodes, Node{ID: "D0", Kind: Mouth})
	eng, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	ups, _ := eng.Upstream("S", 48*time.Hour)
	if len(ups) != 1 || ups[0].Travel != 3*time.Hour || !slices.Equal(ups[0].Path, []string{"in", "fast", "out"}) {
		t.Errorf("braided: %+v, want O at 3h via fast", ups)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(n *Network)
		want []string // each a substring of one problem line
	}{
		{"unknown nodes", func(n *Network) { n.Reaches[1].From = "N9"; n.Reaches[2].To = "NX" },
			[]string{`reach "Ra": unknown upstream node "N9"`, `reach "Rb": unknown downstream node "NX"`}},
		{"negative length", func(n *Network) { n.Reaches[0].Length = -5 }, []string{`reach "Re": length -5 m: must be positive`}},
		{"zero velocity", func(n *Network) { n.Reaches[3].Velocity = 0 }, []string{`reach "Rc": velocity 0 m/s: must be positive`}},
		{"NaN velocity", func(n *Network) { n.Reaches[3].Velocity = math.NaN() }, []string{`reach "Rc": velocity NaN m/s`}},
		{"negative flow", func(n *Network) { n.Reaches[4].Flow = -1 }, []string{`reach "Rd": flow -1 m³/s`}},
		{"self loop", func(n *Network) { n.Reaches[0].To = "N0" }, []string{`reach "Re": starts and ends at node "N0"`, `node "N0": a source has 1 reaches flowing in`}},
		{"cycle", func(n *Network) {
			n.Nodes[5].Kind = Junction
			n.Reaches = append(n.Reaches, Reach{ID: "Rback", From: "NM", To: "NC", Length: 100, Velocity: 1})
		}, []string{`on a cycle: Rc → Rd → Rback → Rc`}},
		{"duplicates", func(n *Network) {
			n.Nodes = append(n.Nodes, Node{ID: "N1"})
			n.Reaches = append(n.Reaches, Reach{ID: "Ra", From: "N1", To: "NC", Length: 1, Velocity: 1})
			n.Sections = append(n.Sections, Section{ID: "T", Reach: "Rd"})
			n.Outfalls = append(n.Outfalls, Outfall{ID: "Oa", Reach: "Ra"})
		}, []string{`node "N1": duplicate id`, `reach "Ra": duplicate id`, `section "T": duplicate id`, `outfall "Oa": duplicate id`}},
		{"empty ids", func(n *Network) { n.Outfalls[2].ID = ""; n.Nodes[0].ID = "" },
			[]string{`node "": empty id (node #1)`, `outfall "": empty id (outfall #3)`, `reach "Re": unknown upstream node "N0"`}},
		{"point off its reach", func(n *Network) { n.Sections[1].Offset = 10_001; n.Outfalls[0].Reach = "Rz"; n.Outfalls[1].Offset = -1 },
			[]string{`section "UA": offset 10001 m outside reach "Ra" (0 to 10000 m)`, `outfall "Onear": unknown reach "Rz"`, `outfall "Obelow": offset -1 m`}},
		{"residence", func(n *Network) { n.Nodes[1].Residence = time.Hour; n.Nodes[4].Residence = -time.Hour },
			[]string{`node "N1": residence delay 1h0m0s on a junction`, `node "NL": negative residence delay -1h0m0s`}},
		{"source and mouth", func(n *Network) { n.Nodes[1].Kind = Source; n.Nodes[3].Kind = Mouth },
			[]string{`node "N1": a source has 1 reaches flowing in`, `node "NC": a mouth has 1 reaches flowing out`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := edgeNetwork()
			tt.edit(n)
			_, err := New(n)
			var ne *NetworkError
			if !errors.As(err, &ne) {
				t.Fatalf("error %v, want a *NetworkError", err)
			}
			if len(ne.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ne.Problems), len(tt.want), err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
	if _, err := New(edgeNetwork()); err != nil {
		t.Fatalf("the edge network itself: %v", err)
	}
}

func TestNodeKindText(t *testing.T) {
	var n Network
	in := `{"nodes":[{"id":"a","kind":"lake","residence":3600000000000},{"id":"b","kind":"Confluence"}]}`
	if err := json.Unmarshal([]byte(in), &n); err != nil {
		t.Fatal(err)
	}
	if n.Nodes[0].Kind != Lake || n.Nodes[0].Residence != time.Hour || n.Nodes[1].Kind != Confluence {
		t.Errorf("decoded %+v", n.Nodes)
	}
	if err := json.Unmarshal([]byte(`{"nodes":[{"id":"a","kind":"pond"}]}`), &n); err == nil || !strings.Contains(err.Error(), `unknown node kind "pond"`) {
		t.Errorf("unknown kind: %v", err)
	}
	b, _ := json.Marshal(Node{ID: "x", Kind: Reservoir})
	if string(b) != `{"id":"x","kind":"reservoir"}` {
		t.Errorf("encoded %s", b)
	}
}
