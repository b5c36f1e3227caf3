package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// deskNotice is a notice as the desk shows it. A case's notice is named
// by its action from the page's catalogue, which also words the rows
// stored before the case service wrote its notices in words (their
// message is its log text, with the action's and state's codes).
type deskNotice struct {
	store.Notification
	Action string // the case action the notice reports ("register" for a new case), or ""
}

// deskNoticesOf names each case notice's action.
func deskNoticesOf(ns []store.Notification) []deskNotice {
	out := make([]deskNotice, len(ns))
	for i, n := range ns {
		out[i].Notification = n
		if n.Case == "" {
			continue
		}
		switch {
		case n.Kind == "case.registered" || n.Kind == "petition.received":
			out[i].Action = string(cases.ActRegister)
		case strings.HasPrefix(n.Kind, "case."):
			out[i].Action = strings.TrimPrefix(n.Kind, "case.")
		}
	}
	return out
}

type deskData struct {
	Notices     []deskNotice
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
	d := &deskData{Rules: ms.RuleSet().SourceName(marking.SrcMEE2022, p.En()), Deadline: fmt.Sprint(int(ms.RuleSet().Deadline.Hours()))}
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
	ns, err := h.st.Notifications(ctx, []string{"enterprise:" + ent.USCC}, 10)
	if err != nil {
		return err
	}
	d.Notices = deskNoticesOf(ns)
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
	Enterprises []marking.Row // this page of the enterprises the filter keeps
	Outlets     []marking.Row
	Below       int
	Rules       string
	Filter      ratesFilter
	// CountyChoice: the counties ranked (those of the caller's scope with
	// data due), for the filter.
	CountyChoice []marking.Row
	Found        int // enterprises the filter keeps
	Pager        pager
	ResetURL     string // the period without the search
	// ScopeName names what the first figure covers: the city, or the
	// county or enterprise of a user who sees only that.
	ScopeName string
	// Empty: nothing was due in the period (no device had sent hourly
	// data yet); the page then says so instead of 0/0 = 100 % and empty
	// tables.
	Empty      bool
	ShowSearch bool // more than one enterprise to choose from, or a search on

}

// ratesPageSize is the number of enterprises on one page of /rates (the
// demo city has 300).
const ratesPageSize = 20

// ratesFilter is what /rates asks for: a period (a day or a month) and
// the enterprises to list — by name or unified social credit code, and
// by county.
type ratesFilter struct {
	Day, Month, Q, County string
}

// url is /rates with the filter and a page number, for the pager.
func (f ratesFilter) url(page int) string {
	v := url.Values{}
	for k, x := range map[string]string{"day": f.Day, "month": f.Month, "q": f.Q, "county": f.County} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/rates"
	}
	return "/rates?" + v.Encode()
}

// keeps reports whether an enterprise passes the filter: its county, and
// the search text within its name or its credit code (codes are upper
// case; users type them in either).
func (f ratesFilter) keeps(e model.Enterprise) bool {
	if f.County != "" && e.County != f.County {
		return false
	}
	if f.Q == "" {
		return true
	}
	return strings.Contains(e.Name, f.Q) || strings.Contains(strings.ToUpper(e.USCC), strings.ToUpper(f.Q))
}

// ratesPage ranks by effective transmission rate: ?day=YYYY-MM-DD
// (default yesterday) or ?month=YYYY-MM. The enterprises come a page at a
// time, narrowed by ?q= (name or credit code) and ?county=; the outlets
// listed are the worst hundred of the enterprises kept.
func (h *Handler) ratesPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ms := h.cfg.Marks
	if ms == nil {
		return errStatus(http.StatusNotFound)
	}
	qv := r.URL.Query()
	n := h.cfg.Now().In(cst)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
	from, to := today.AddDate(0, 0, -1), today
	f := ratesFilter{Q: strings.TrimSpace(qv.Get("q")), County: qv.Get("county")}
	d := &ratesData{Period: from.Format("2006-01-02")}
	if m := qv.Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, cst)
		if err != nil {
			return errStatus(http.StatusBadRequest)
		}
		from, to, d.Period, d.Month, f.Month = t, t.AddDate(0, 1, 0), m, true, m
	} else if day := qv.Get("day"); day != "" {
		t, err := time.ParseInLocation("2006-01-02", day, cst)
		if err != nil {
			return errStatus(http.StatusBadRequest)
		}
		from, to, d.Period, f.Day = t, t.AddDate(0, 0, 1), day, day
	}
	d.Filter, d.ResetURL = f, ratesFilter{Day: f.Day, Month: f.Month}.url(1)
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
	// The registry the report was counted from, for the enterprises'
	// counties and codes.
	reg, err := ms.St.Registry(r.Context())
	if err != nil {
		return err
	}
	ents := map[string]model.Enterprise{}
	for _, e := range reg.Enterprises {
		ents[e.USCC] = e
	}
	outletEnt := map[string]string{}
	for _, o := range reg.Outlets {
		outletEnt[o.ID] = o.Enterprise
	}
	// Counties by their name in the page's language (the report names
	// them in Chinese).
	names := countyNames(reg, p.Lang)
	for i := range rep.Counties {
		if n := names[rep.Counties[i].Key]; n != "" {
			rep.Counties[i].Name = n
		}
	}
	d.Threshold, d.City, d.Counties, d.Rules = rep.Threshold, rep.City, rep.Counties, ms.RuleSet().SourceName(marking.SrcMEE2022, p.En())
	d.Empty = d.City.Count.Due == 0 && d.City.Count.Received == 0
	d.ShowSearch = len(rep.Enterprises) > 1 || f.Q != "" || f.County != ""
	switch sc := auth.ScopeOf(p.User); {
	case p.open || sc.All:
	case sc.Enterprise != "":
		d.ScopeName = ents[sc.Enterprise].Name
	default:
		d.ScopeName = names[sc.County]
	}
	d.CountyChoice = slices.Clone(rep.Counties)
	slices.SortFunc(d.CountyChoice, func(a, b marking.Row) int { return strings.Compare(a.Key, b.Key) })
	for _, o := range rep.Outlets {
		if o.Below {
			d.Below++
		}
	}
	var kept []marking.Row
	for _, e := range rep.Enterprises {
		if f.keeps(ents[e.Key]) {
			kept = append(kept, e)
		}
	}
	d.Found = len(kept)
	d.Enterprises, d.Pager = pageOf(kept, pageParam(qv), ratesPageSize, f.url)
	for _, o := range rep.Outlets {
		if f.keeps(ents[outletEnt[o.Key]]) {
			d.Outlets = append(d.Outlets, o)
		}
	}
	if len(d.Outlets) > 100 {
		d.Outlets = d.Outlets[len(d.Outlets)-100:] // the worst hundred
	}
	p.Nav, p.Title, p.Data = "rates", p.T("rates.title"), d
	return h.render(w, http.StatusOK, "rates", p)
}
