package forward

import (
	"fmt"
	"sort"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Route says that a device's uploads of the listed CNs go to a target.
type Route struct {
	MN     string
	Target string
	CNs    []string
}

// Identity is a device as the upper platform knows it.
type Identity struct {
	MN, PW, ST string
}

// Selects reports whether the target takes the device's data: the
// device's MN, outlet, the outlet's enterprise or the enterprise's
// county is named in the selection (or all are chosen).
func (t *Target) Selects(dev *model.Device, outlets map[string]model.Outlet, ents map[string]model.Enterprise) bool {
	s := &t.sel
	if t.Select.All || s.mns[dev.MN] {
		return true
	}
	o, ok := outlets[dev.Outlet]
	if !ok {
		return false
	}
	if s.outlets[o.ID] || s.enterprises[o.Enterprise] {
		return true
	}
	e, ok := ents[o.Enterprise]
	return ok && s.counties[e.County]
}

// IdentityOf is the device's MN and password on the upper platform: its
// mapping, else its own MN with the target's password or its own.
func (t *Target) IdentityOf(dev *model.Device) Identity {
	id := Identity{MN: dev.MN, PW: dev.Password, ST: dev.ST}
	if t.Password != "" {
		id.PW = t.Password
	}
	if m, ok := t.byMN[dev.MN]; ok {
		id.MN = m.UpperMN
		if m.Password != "" {
			id.PW = m.Password
		}
	}
	return id
}

// Plan is what a configuration means for a registry: the routes to
// store, each device's identity per target, the reverse map from the
// upper platform's MN, and warnings about names the registry lacks.
type Plan struct {
	Routes   []Route
	Ident    map[string]map[string]Identity // target → device MN → identity
	Reverse  map[string]map[string]string   // target → upper MN → device MN
	Warnings []string
}

// PlanFor resolves the selections against the registry.
func PlanFor(cfg *Config, reg *model.Registry) *Plan {
	outlets := make(map[string]model.Outlet, len(reg.Outlets))
	for _, o := range reg.Outlets {
		outlets[o.ID] = o
	}
	ents := make(map[string]model.Enterprise, len(reg.Enterprises))
	for _, e := range reg.Enterprises {
		ents[e.USCC] = e
	}
	counties := map[string]bool{}
	for _, c := range reg.Counties {
		counties[c.Code] = true
	}
	devs := map[string]bool{}
	for _, d := range reg.Devices {
		devs[d.MN] = true
	}
	p := &Plan{Ident: map[string]map[string]Identity{}, Reverse: map[string]map[string]string{}}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		ident, rev := map[string]Identity{}, map[string]string{}
		for j := range reg.Devices {
			d := &reg.Devices[j]
			if !t.Selects(d, outlets, ents) {
				continue
			}
			id := t.IdentityOf(d)
			if other, dup := rev[id.MN]; dup {
				p.Warnings = append(p.Warnings, fmt.Sprintf("target %s: devices %s and %s would both be %s upstream; %s is not forwarded",
					t.Name, other, d.MN, id.MN, d.MN))
				continue
			}
			ident[d.MN], rev[id.MN] = id, d.MN
			p.Routes = append(p.Routes, Route{MN: d.MN, Target: t.Name, CNs: t.cns})
		}
		p.Ident[t.Name], p.Reverse[t.Name] = ident, rev
		warn := func(kind string, names []string, known func(string) bool) {
			for _, n := range names {
				if !known(n) {
					p.Warnings = append(p.Warnings, fmt.Sprintf("target %s: select.%s names %q, which the registry does not hold", t.Name, kind, n))
				}
			}
		}
		warn("counties", t.Select.Counties, func(s string) bool { return counties[s] })
		warn("enterprises", t.Select.Enterprises, func(s string) bool { _, ok := ents[s]; return ok })
		warn("outlets", t.Select.Outlets, func(s string) bool { _, ok := outlets[s]; return ok })
		warn("mns", t.Select.MNs, func(s string) bool { return devs[s] })
		for _, m := range t.Map {
			if _, ok := ident[m.MN]; !ok {
				p.Warnings = append(p.Warnings, fmt.Sprintf("target %s: map names %s, which the selection does not choose", t.Name, m.MN))
			}
		}
		if len(ident) == 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("target %s: no registered device is selected", t.Name))
		}
	}
	sort.Slice(p.Routes, func(i, j int) bool {
		a, b := p.Routes[i], p.Routes[j]
		if a.MN != b.MN {
			return a.MN < b.MN
		}
		return a.Target < b.Target
	})
	return p
}
