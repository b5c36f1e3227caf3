package waterreg

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/trace"
)

type validator struct {
	src  *Source
	errs registry.ErrorList
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, v.src.errorAt(path, fmt.Sprintf(format, args...)))
}

func (v *validator) required(path, s string) bool {
	if s == "" {
		v.errorf(path, "required")
		return false
	}
	return true
}

// Validate checks w on its own and against the main registry reg (its
// counties, water outlets and devices; nil skips those checks), then
// builds the network with trace.New so that what the tracing engine
// refuses (unknown nodes, offsets outside their reach, cycles, ...) is
// refused at import. It returns a registry.ErrorList of every problem.
func Validate(w *model.WaterRegistry, reg *model.Registry, src *Source) error {
	v := &validator{src: src}
	counties, outlets, devices := map[string]bool{}, map[string]model.Outlet{}, map[string]model.Device{}
	if reg != nil {
		for _, c := range reg.Counties {
			counties[c.Code] = true
		}
		for _, o := range reg.Outlets {
			outlets[o.ID] = o
		}
		for _, d := range reg.Devices {
			devices[d.MN] = d
		}
	}
	county := func(p, code string) {
		if v.required(p, code) && reg != nil && !counties[code] {
			v.errorf(p, "county %q is not in the registry", code)
		}
	}
	body := func(p, b string) {
		switch b {
		case model.BodyRiver, model.BodyLake, model.BodyReservoir:
		default:
			v.errorf(p, "%q: want river, lake or reservoir", b)
		}
	}
	unique := func(seen map[string]string, what, key, p string) {
		if first, dup := seen[key]; dup {
			v.errorf(p, "duplicate %s %q (first at %s)", what, key, first)
			return
		}
		seen[key] = p
	}

	rivers := map[string]bool{}
	seen := map[string]string{}
	for i, r := range w.Rivers {
		p := fmt.Sprintf("rivers[%d]", i)
		if v.required(p+".code", r.Code) {
			unique(seen, "river", r.Code, p+".code")
			rivers[r.Code] = true
		}
		v.required(p+".name", r.Name)
		body(p+".kind", r.Kind)
	}
	river := func(p, code string, need bool) {
		if code == "" {
			if need {
				v.errorf(p, "required")
			}
			return
		}
		if !rivers[code] {
			v.errorf(p, "river %q is not in rivers", code)
		}
	}
	for i, n := range w.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		v.required(p+".id", n.ID)
		var k trace.NodeKind
		if err := k.UnmarshalText([]byte(n.Kind)); err != nil {
			v.errorf(p+".kind", "%q: want source, junction, confluence, lake, reservoir or mouth", n.Kind)
		}
	}
	reachLen := map[string]float64{}
	for i, r := range w.Reaches {
		p := fmt.Sprintf("reaches[%d]", i)
		v.required(p+".id", r.ID)
		river(p+".river", r.River, true)
		reachLen[r.ID] = r.LengthM
	}
	points := map[string]string{} // sections and sources share the namespace of sample points
	mns := map[string]string{}
	for i, s := range w.Sections {
		p := fmt.Sprintf("sections[%d]", i)
		if v.required(p+".code", s.Code) {
			unique(points, "section or source", s.Code, p+".code")
		}
		v.required(p+".name", s.Name)
		switch s.Level {
		case model.SectionNational, model.SectionProvincial, model.SectionCity:
		default:
			v.errorf(p+".level", "%q: want national, provincial or city", s.Level)
		}
		body(p+".body", s.Body)
		river(p+".river", s.River, true)
		if s.Target < 1 || s.Target > 5 {
			v.errorf(p+".target", "%d: want a class 1-5 (Ⅰ-Ⅴ)", s.Target)
		}
		county(p+".county", s.County)
		switch {
		case s.Automatic && s.MN == "":
			v.errorf(p+".mn", "an automatic station needs the MN of its device")
		case !s.Automatic && s.MN != "":
			v.errorf(p+".mn", "a manual section has no device (set automatic: true)")
		case s.MN != "":
			unique(mns, "device", s.MN, p+".mn")
			if reg != nil {
				d, ok := devices[s.MN]
				switch {
				case !ok:
					v.errorf(p+".mn", "device %q is not in the registry", s.MN)
				case d.Outlet != "":
					v.errorf(p+".mn", "device %q reports for outlet %q, not for a water station", s.MN, d.Outlet)
				case d.ST != "" && d.ST != "21":
					v.errorf(p+".mn", "device %q has ST=%s; surface-water stations report with ST=21", s.MN, d.ST)
				}
			}
		}
		v.required(p+".reach", s.Reach)
	}
	for i, s := range w.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		if v.required(p+".code", s.Code) {
			unique(points, "section or source", s.Code, p+".code")
		}
		v.required(p+".name", s.Name)
		county(p+".county", s.County)
		body(p+".body", s.Body)
		river(p+".river", s.River, false)
		for j, name := range s.Items {
			it, ok := water.LookupItem(name)
			switch {
			case !ok:
				v.errorf(fmt.Sprintf("%s.items[%d]", p, j), "unknown item %q", name)
			case !water.SetTable23.Has(it):
				v.errorf(fmt.Sprintf("%s.items[%d]", p, j), "%s is not a GB 3838-2002 table 2 or 3 item", it)
			}
		}
		if s.Reach != "" {
			if l, ok := reachLen[s.Reach]; !ok {
				v.errorf(p+".reach", "reach %q is not in reaches", s.Reach)
			} else if s.OffsetM < 0 || s.OffsetM > l {
				v.errorf(p+".offset_m", "%s m is outside reach %q (0-%s m)", formatFloat(s.OffsetM), s.Reach, formatFloat(l))
			}
		}
	}
	usedOutlets := map[string]string{}
	for i, o := range w.Outfalls {
		p := fmt.Sprintf("outfalls[%d]", i)
		v.required(p+".code", o.Code)
		v.required(p+".reach", o.Reach)
		if o.Outlet != "" {
			unique(usedOutlets, "outlet", o.Outlet, p+".outlet")
			if reg != nil {
				if out, ok := outlets[o.Outlet]; !ok {
					v.errorf(p+".outlet", "outlet %q is not in the registry", o.Outlet)
				} else if out.Kind != model.OutletWater {
					v.errorf(p+".outlet", "outlet %q is a %s outlet, not a water outlet", o.Outlet, out.Kind)
				}
			}
		}
	}
	// The network as the tracing engine sees it: its problems name items
	// by id, which locate back to their fields here.
	if _, err := trace.New(Network(w, reg)); err != nil {
		var ne *trace.NetworkError
		if !errors.As(err, &ne) {
			return fmt.Errorf("water network: %w", err)
		}
		index := indexes(w)
		for _, pr := range ne.Problems {
			if strings.HasPrefix(pr.Msg, "empty id") || pr.Kind == "section" && pr.Msg == "duplicate id" {
				continue // reported above as a required or duplicate field
			}
			p, ok := index[pr.Kind+"\x00"+pr.ID]
			if !ok {
				p = pr.Kind + "s"
			} else {
				p += problemField(pr.Msg)
			}
			v.errorf(p, "%s", pr.Msg)
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return sortErrors(v.errs)
}

// problemField names the field a trace.Problem message is about, so that
// it is located on its line (YAML) or column (CSV).
func problemField(msg string) string {
	for _, f := range []struct{ prefix, field string }{
		{"unknown upstream node", ".from"}, {"unknown downstream node", ".to"},
		{"length", ".length_m"}, {"velocity", ".velocity_ms"}, {"flow", ".flow_m3s"},
		{"negative residence", ".residence_h"}, {"residence", ".residence_h"},
		{"unknown reach", ".reach"}, {"offset", ".offset_m"}, {"unknown kind", ".kind"},
	} {
		if strings.HasPrefix(msg, f.prefix) {
			return f.field
		}
	}
	return ""
}

// indexes maps "kind\x00id" to the item's path for network problems.
func indexes(w *model.WaterRegistry) map[string]string {
	m := map[string]string{}
	put := func(kind, id string, p string) {
		if _, dup := m[kind+"\x00"+id]; !dup {
			m[kind+"\x00"+id] = p
		}
	}
	for i, n := range w.Nodes {
		put("node", n.ID, fmt.Sprintf("nodes[%d]", i))
	}
	for i, r := range w.Reaches {
		put("reach", r.ID, fmt.Sprintf("reaches[%d]", i))
	}
	for i, s := range w.Sections {
		put("section", s.Code, fmt.Sprintf("sections[%d]", i))
	}
	for i, o := range w.Outfalls {
		put("outfall", o.Code, fmt.Sprintf("outfalls[%d]", i))
	}
	return m
}

// sortErrors orders errors by file and line, stable.
func sortErrors(l registry.ErrorList) registry.ErrorList {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && (l[j].File < l[j-1].File || l[j].File == l[j-1].File && l[j].Line < l[j-1].Line); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	return l
}

// BodyOf is the GB 3838 water body of a section or source: reservoirs
// take the lake limits (湖、库).
func BodyOf(b string) water.WaterBody {
	if b == model.BodyLake || b == model.BodyReservoir {
		return water.Lake
	}
	return water.River
}

// Network converts w to the tracing engine's network. reg (may be nil)
// supplies each outfall's enterprise and online-monitoring device: the
// device registered for its outlet.
func Network(w *model.WaterRegistry, reg *model.Registry) *trace.Network {
	ent, dev := map[string]string{}, map[string]string{}
	if reg != nil {
		for _, o := range reg.Outlets {
			ent[o.ID] = o.Enterprise
		}
		for _, d := range reg.Devices {
			if d.Outlet != "" {
				if _, ok := dev[d.Outlet]; !ok {
					dev[d.Outlet] = d.MN
				}
			}
		}
	}
	n := &trace.Network{}
	for _, x := range w.Nodes {
		var k trace.NodeKind
		_ = k.UnmarshalText([]byte(x.Kind)) // Validate reports a bad kind
		n.Nodes = append(n.Nodes, trace.Node{ID: x.ID, Name: x.Name, Kind: k,
			Residence: time.Duration(x.ResidenceH * float64(time.Hour))})
	}
	for _, x := range w.Reaches {
		n.Reaches = append(n.Reaches, trace.Reach{ID: x.ID, Name: x.Name, River: x.River, From: x.From, To: x.To,
			Length: x.LengthM, Velocity: x.VelocityMS, Flow: x.FlowM3S})
	}
	for _, x := range w.Sections {
		n.Sections = append(n.Sections, trace.Section{ID: x.Code, Name: x.Name, Reach: x.Reach, Offset: x.OffsetM,
			Body: BodyOf(x.Body), Target: water.Class(x.Target), Automatic: x.Automatic})
	}
	for _, x := range w.Outfalls {
		n.Outfalls = append(n.Outfalls, trace.Outfall{ID: x.Code, Name: x.Name, Reach: x.Reach, Offset: x.OffsetM,
			Enterprise: ent[x.Outlet], Outlet: x.Outlet, Device: dev[x.Outlet]})
	}
	return n
}
