package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The enterprise's own desk (/desk, 企业工作台, made for a phone): its
// outlets and devices with their state, its cases with deadlines, the
// marking form (posted to POST /api/v1/marks by static/desk.js), its marks
// and the decisions the marking rules made, its effective transmission
// rates with the arithmetic. The bureau opens the desk of an enterprise of
// its scope by ?enterprise=. /rates ranks counties, enterprises and
// outlets by effective transmission rate.

type deskDevice struct {
	MN, Outlet, State string
	LastSeen          time.Time
}

type deskCase struct {
	cases.Case
	Late cases.Lateness
}

type deskMark struct {
	marking.Mark
	TypeName string
}

type deskDecision struct {
	marking.Decision
	OutletName string
}

// deskStore is what the desk reads besides the shared Store: the
// enterprise's inbox (self-check notices of the alert rules).
type deskStore interface {
	Notifications(ctx context.Context, recipients []string, limit int) ([]store.Notification, error)
}

type deskData struct {
	Notices     []store.Notification
	Enterprise  model.Enterprise
	Enterprises []model.Enterprise // the bureau's choice
	CanMark     bool
	Devices     []deskDevice
	Types       []marking.Type
	Cases       []deskCase
	Marks       []deskMark
	Decisions   []deskDecision
	Rates       []marking.Row
	Total       marking.Row
	Rank, Of    int
	Day         string
	Deadline    string
	Rules       string
	Now         string
}

func (h *Handler) markTypeName(p *page, code string) string {
	if h.cfg.Marks == nil {
		return code
	}
	t, ok := h.cfg.Marks.RuleSet().Type(code)
	if !ok {
		return code
	}
	if p.Lang == langEN {
		return t.En
	}
	return t.Zh
}

func (h *Handler) deskPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ms := h.cfg.Marks
	if ms == nil {
		return errStatus(http.StatusNotFound)
	}
	ctx := r.Context()
	reg, err := h.st.Registry(ctx)
	if err != nil {
		return err
	}
	d := &deskData{Rules: ms.RuleSet().Source(marking.SrcMEE2022).Ref, Deadline: fmt.Sprint(int(ms.RuleSet().Deadline.Hours()))}
	want := r.URL.Query().Get("enterprise")
	if p.User.Role == model.RoleEnterprise {
		want = p.User.Enterprise
	}
	for _, e := range reg.Enterprises {
		if !p.Scope.Sees(e.County, e.USCC) {
			continue
		}
		d.Enterprises = append(d.Enterprises, e)
		if e.USCC == want || want == "" && d.Enterprise.USCC == "" {
			d.Enterprise = e
		}
	}
	if d.Enterprise.USCC == "" && p.User.Role == model.RoleEnterprise {
		d.Enterprise = model.Enterprise{USCC: p.User.Enterprise, Name: p.User.Name}
	}
	if d.Enterprise.USCC == "" {
		return errStatus(http.StatusNotFound)
	}
	if p.User.Role == model.RoleEnterprise {
		d.Enterprises = nil
	}
	ent := d.Enterprise
	d.CanMark = p.User.Role == model.RoleEnterprise
	d.Types = ms.RuleSet().TypesFor(marking.IndustryOf(ent.Industry))
	now := h.cfg.Now()
	d.Now = now.In(cst).Format("2006-01-02T15:04")
	contacts, err := h.st.Contacts(ctx)
	if err != nil {
		return err
	}
	seen := map[string]time.Time{}
	for _, c := range contacts {
		seen[c.MN] = c.At
	}
	outletName := map[string]string{}
	for _, o := range reg.Outlets {
		if o.Enterprise == ent.USCC {
			outletName[o.ID] = o.Name
		}
	}
	for _, dv := range reg.Devices {
		if name, ok := outletName[dv.Outlet]; ok {
			d.Devices = append(d.Devices, deskDevice{MN: dv.MN, Outlet: name, LastSeen: seen[dv.MN],
				State: model.DeviceStateAt(seen[dv.MN], now, h.cfg.OfflineAfter)})
		}
	}
	cs, err := h.st.Cases(ctx, store.CaseQuery{Enterprise: ent.USCC, OverdueFirst: true, Now: now, Limit: 50})
	if err != nil {
		return err
	}
	if d.Notices, err = h.st.Notifications(ctx, []string{"enterprise:" + ent.USCC}, 10); err != nil {
		return err
	}
	rules := cases.DefaultRules()
	for _, c := range cs {
		if c.State.Open() {
			d.Cases = append(d.Cases, deskCase{c, cases.Overdue(c, rules.Policy(c), now)})
		}
	}
	as := auth.Principal{User: p.User.User, Role: model.RoleEnterprise, Enterprise: ent.USCC, County: ent.County, Via: "desk"}
	marks, err := ms.List(ctx, store.MarkQuery{Enterprise: ent.USCC, Limit: 50}, as)
	if err != nil {
		return err
	}
	slices.Reverse(marks) // newest period first
	for _, m := range marks {
		d.Marks = append(d.Marks, deskMark{m, h.markTypeName(p, m.Type)})
	}
	ds, err := ms.Decisions(ctx, store.DecisionQuery{Enterprise: ent.USCC, Limit: 30}, as)
	if err != nil {
		return err
	}
	for _, x := range ds {
		d.Decisions = append(d.Decisions, deskDecision{x, outletName[x.Outlet]})
	}
	// Yesterday's rates: the enterprise's outlets, and its rank among the
	// enterprises of the city.
	n := now.In(cst)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
	from := today.AddDate(0, 0, -1)
	d.Day = from.Format("2006-01-02")
	rep, err := ms.Rates(ctx, from, today, auth.Principal{User: "desk", Role: model.RoleMachine, Via: "desk"})
	if err != nil {
		return err
	}
	for _, row := range rep.Outlets {
		if _, ok := outletName[row.Key]; ok {
			d.Rates = append(d.Rates, row)
		}
	}
	d.Of = len(rep.Enterprises)
	for _, row := range rep.Enterprises {
		if row.Key == ent.USCC {
			d.Total, d.Rank = row, row.Rank
		}
	}
	p.Nav, p.Title, p.Data = "desk", p.T("desk.title"), d
	return h.render(w, http.StatusOK, "desk", p)
}

type ratesData struct {
	Period      string
	Month       bool
	Threshold   float64
	City        marking.Row
	Counties    []marking.Row
	Enterprises []marking.Row
	Outlets     []marking.Row
	Below       int
	Rules       string
}

// ratesPage ranks by effective transmission rate: ?day=YYYY-MM-DD
// (default yesterday) or ?month=YYYY-MM.
func (h *Handler) ratesPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ms := h.cfg.Marks
	if ms == nil {
		return errStatus(http.StatusNotFound)
	}
	n := h.cfg.Now().In(cst)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
	from, to := today.AddDate(0, 0, -1), today
	d := &ratesData{Period: from.Format("2006-01-02")}
	if m := r.URL.Query().Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, cst)
		if err != nil {
			return errStatus(http.StatusBadRequest)
		}
		from, to, d.Period, d.Month = t, t.AddDate(0, 1, 0), m, true
	} else if day := r.URL.Query().Get("day"); day != "" {
		t, err := time.ParseInLocation("2006-01-02", day, cst)
		if err != nil {
			return errStatus(http.StatusBadRequest)
		}
		from, to, d.Period = t, t.AddDate(0, 0, 1), day
	}
	rep, err := ms.Rates(r.Context(), from, to, p.User)
	if err != nil {
		return err
	}
	if p.open {
		rep, err = ms.Rates(r.Context(), from, to, auth.Principal{User: "open", Role: model.RoleCity, Via: "open"})
		if err != nil {
			return err
		}
	}
	d.Threshold, d.City, d.Counties, d.Enterprises, d.Outlets, d.Rules = rep.Threshold, rep.City, rep.Counties, rep.Enterprises, rep.Outlets, ms.RuleSet().Source(marking.SrcMEE2022).Ref
	for _, o := range rep.Outlets {
		if o.Below {
			d.Below++
		}
	}
	if len(d.Outlets) > 100 {
		d.Outlets = d.Outlets[len(d.Outlets)-100:] // the worst hundred
	}
	p.Nav, p.Title, p.Data = "rates", p.T("rates.title"), d
	return h.render(w, http.StatusOK, "rates", p)
}
