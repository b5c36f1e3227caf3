package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/factors"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// casesStore is what the case and petition pages read (store.Store
// implements it). Writes go through the JSON API (internal/api with
// internal/cases/casesvc): the public form posts there from static/petition.js.
type casesStore interface {
	Cases(ctx context.Context, q store.CaseQuery) ([]cases.Case, error)
	Case(ctx context.Context, id string) (cases.Case, error)
	CaseEvents(ctx context.Context, id string) ([]cases.Event, error)
	CaseStats(ctx context.Context, q store.CaseQuery) (cases.Summary, error)
	Petition(ctx context.Context, code string) (store.StoredPetition, error)
}

// open reports whether a case still needs work.
func open(c cases.Case) bool {
	return c.State != cases.StateClosed && c.State != cases.StateRejected
}

// caseRules are the rules the store derives its overdue filter from; the
// pages judge lateness by the same ones.
var caseRules = cases.DefaultRules()

// overdue: open and past a deadline the engine sets for it — its stage's
// (acceptance, assignment, verification) or its closure deadline.
func overdue(c cases.Case, now time.Time) bool {
	return cases.Overdue(c, caseRules.Policy(c), now).Overdue
}

// stageKey names the deadline of the case's stage: accepting a
// registered case, assigning an accepted one, rectifying, verifying.
func stageKey(st cases.State) string {
	switch st {
	case cases.StateRegistered:
		return "accept"
	case cases.StateAccepted:
		return "assign"
	case cases.StateAssigned, cases.StateRectifying:
		return "rectify"
	case cases.StateSubmitted, cases.StateVerifying:
		return "verify"
	}
	return "close"
}

// deadlineInfo is what a list shows of a case's deadlines: the one that
// matters now (the earliest missed, else the next) named, and each missed
// one named.
type deadlineInfo struct {
	Overdue bool
	Due     time.Time
	DueKey  string   // cases.dl.<stage|close>: which deadline Due is
	Missed  []string // cases.late.<stage|close>, one per missed deadline
}

func deadlinesOf(c cases.Case, now time.Time) deadlineInfo {
	p := caseRules.Policy(c)
	l := cases.Overdue(c, p, now)
	d := deadlineInfo{Overdue: l.Overdue, Due: l.Due}
	if !c.State.Open() {
		d.Due, d.DueKey = c.Due, "cases.dl.close"
		return d
	}
	stage, _ := cases.StageDue(c, p)
	key := stageKey(c.State)
	if l.Stage && key != "rectify" { // rectifying is due at the closure deadline itself
		d.Missed = append(d.Missed, "cases.late."+key)
	}
	if l.Case {
		d.Missed = append(d.Missed, "cases.late.close")
	}
	switch {
	case !d.Due.IsZero() && d.Due.Equal(stage) && key != "rectify":
		d.DueKey = "cases.dl." + key
	case key == "rectify":
		d.DueKey = "cases.dl.rectify"
	default:
		d.DueKey = "cases.dl.close"
	}
	return d
}

type caseRow struct {
	cases.Case
	CountyName string
	Overdue    bool
	Deadline   deadlineInfo
	// Heading is the title in the page's language, Text the
	// description; a platform-written text stored before its English was
	// is shown in Chinese, marked "(recorded in Chinese only)".
	Heading, Text string
}

// newCaseRow is c as a row of a page in lang.
func newCaseRow(c cases.Case, lang, county string, dl deadlineInfo) caseRow {
	// A text without an English version is a platform text stored before
	// (ok false) or a person's words (a petitioner's, staff's): either is
	// marked on an English page when it is Chinese.
	mark := func(s string, ok, hasEN bool) string {
		if s == "" || ok && (hasEN || lang != langEN || !hasHan(s)) {
			return s
		}
		return s + " " + tr(lang, "acc.reason.zhonly")
	}
	title, tok := c.TitleLang(lang)
	text, dok := c.DescriptionLang(lang)
	if c.ProblemType == "transmission-rate" {
		text = citedTight(text) // the platform's words, stored before with a space after 依据
	}
	alert := c.Alert != nil && len(c.Alert.Findings) > 0 // titled from its facts in each language
	return caseRow{Case: c, CountyName: county, Overdue: dl.Overdue, Deadline: dl,
		Heading: mark(title, tok, alert || c.TitleEN != ""), Text: mark(text, dok, c.DescriptionEN != "")}
}

type boardCell struct {
	County, Name string
	Counts       []int // by state, in cases.States() order
	Overdue      int
}

type boardData struct {
	States   []cases.State
	Board    []boardCell
	Cases    []caseRow
	Counties []model.County
	Lines    []cases.WorkLine
	Sources  []cases.Source
	Overdue  int
	Filter   caseFilter
	Filtered bool // the filter narrows the list (else an empty list means no case at all)
	Pager    pager
}

// caseFilter is what the case list's form asks for.
type caseFilter struct {
	Q, County, Line, Source, State string
	Overdue                        bool
}

// casePageSize is the number of cases on one page of the list.
const casePageSize = 20

// query turns the filter into a store query within the caller's scope.
func (f caseFilter) query(sc auth.Scope, now time.Time) store.CaseQuery {
	q := store.CaseQuery{Search: f.Q, County: f.County, Line: f.Line, Source: cases.Source(f.Source), Overdue: f.Overdue, OverdueFirst: true, Now: now}
	if f.State != "" {
		q.States = []cases.State{cases.State(f.State)}
	}
	if !sc.All {
		if sc.Enterprise != "" {
			q.Enterprise = sc.Enterprise
		} else {
			q.County = sc.County
		}
	}
	return q
}

// url is the list's address with the filter and a page number.
func (f caseFilter) url(page int) string {
	v := url.Values{}
	for k, x := range map[string]string{"q": f.Q, "county": f.County, "line": f.Line, "source": f.Source, "state": f.State} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.Overdue {
		v.Set("overdue", "1")
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/cases"
	}
	return "/cases?" + v.Encode()
}

// casesBoard: counts by state and county, then one page of the cases the
// filter selects (search, county, work line, source, state, overdue),
// overdue ones first (earliest deadline first), within the caller's row
// scope.
func (h *Handler) casesBoard(w http.ResponseWriter, r *http.Request, p *page) error {
	cs := h.st
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	now := h.cfg.Now()
	qv := r.URL.Query()
	f := caseFilter{Q: strings.TrimSpace(qv.Get("q")), County: qv.Get("county"), Line: qv.Get("line"), Source: qv.Get("source"), State: qv.Get("state"), Overdue: qv.Get("overdue") == "1"}
	pg := pageParam(qv)
	names := countyNames(reg, p.Lang)
	d := &boardData{States: cases.States(), Counties: reg.Counties, Lines: cases.DefaultWorkLines(), Sources: cases.Sources(), Filter: f}
	if !p.Scope.All {
		d.Counties = nil
		for _, c := range reg.Counties {
			// An enterprise's cases are in its own county: the board and
			// the filter offer that one only.
			if p.Scope.Enterprise != "" && p.User.County != "" && c.Code != p.User.County {
				continue
			}
			if p.Scope.Sees(c.Code, p.Scope.Enterprise) {
				d.Counties = append(d.Counties, c)
			}
		}
	}
	// The board: statistics per county from the store's tallies.
	for _, c := range d.Counties {
		q := store.CaseQuery{County: c.Code, Now: now}
		if p.Scope.Enterprise != "" {
			q.Enterprise = p.Scope.Enterprise
		}
		sum, err := cs.CaseStats(r.Context(), q)
		if err != nil {
			return err
		}
		if sum.Total == 0 {
			continue
		}
		cell := boardCell{County: c.Code, Name: names[c.Code], Counts: make([]int, len(d.States)), Overdue: sum.Overdue}
		for i, st := range d.States {
			cell.Counts[i] = sum.ByState[st]
		}
		d.Overdue += sum.Overdue
		d.Board = append(d.Board, cell)
	}
	d.Filtered = f != caseFilter{}
	q := f.query(p.Scope, now)
	q.Limit, q.Offset = casePageSize+1, (pg-1)*casePageSize
	list, err := cs.Cases(r.Context(), q)
	if err != nil {
		return err
	}
	more := len(list) > casePageSize
	if more {
		list = list[:casePageSize]
	}
	for _, c := range list {
		dl := deadlinesOf(c, now)
		d.Cases = append(d.Cases, newCaseRow(c, p.Lang, names[c.County], dl))
	}
	d.Pager = newPager(pg, casePageSize, len(d.Cases), more, f.url)
	p.Nav, p.Title, p.Data = "cases", p.T("cases.title"), d
	return h.render(w, http.StatusOK, "cases", p)
}

type caseData struct {
	caseRow
	Events []caseEvent
	Offers []offer
	// Labels are the states' names in the page's language, for
	// static/case.js to name the allowed next states of a refusal.
	Labels map[string]string
	// Users are the people the case may be assigned to: users whose scope
	// holds the case (its county's staff, its enterprise, the city).
	Users          []model.User
	EnterpriseName string
	Findings       []findingRow
	Evidence       []evidenceRow
	// Report and ExtensionReason are a person's words, marked on an
	// English page when they are Chinese (asWritten).
	Report, ExtensionReason string
}

// caseEvent is a history entry with the assignees' names and the finding
// in words.
type caseEvent struct {
	cases.Event
	Who     string // assignees: name (id), …
	Finding string
	Note    string // the reason in the page's language (eventNote)
	Report  string // the report as written (asWritten)
}

type findingRow struct {
	cases.Finding
	Name, Field, Unit, Multiple string
}

type evidenceRow struct {
	Hash, Name, Type string
	Image            bool
}

// casePage: a case with its timeline and evidence. Actions are taken
// through the API (POST /api/v1/cases/{id}/actions), which checks the
// role and the state machine.
func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, p *page) error {
	cs := h.st
	c, err := cs.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err // store.ErrNotFound: 404
	}
	if !p.Scope.Sees(c.County, c.Enterprise) {
		return errStatus(http.StatusNotFound) // do not confirm it exists
	}
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	evs, err := cs.CaseEvents(r.Context(), c.ID)
	if err != nil {
		return err
	}
	dl := deadlinesOf(c, h.cfg.Now())
	d := &caseData{caseRow: newCaseRow(c, p.Lang, countyNames(reg, p.Lang)[c.County], dl),
		Offers: caseOffers(c, p), Labels: map[string]string{}, Report: asWritten(c.Report, p.Lang)}
	if c.Extension != nil {
		d.ExtensionReason = asWritten(c.Extension.Reason, p.Lang)
	}
	for _, e := range reg.Enterprises {
		if e.USCC == c.Enterprise {
			d.EnterpriseName = e.Name
		}
	}
	for i, e := range evs {
		if e.Action == cases.ActNote && e.Role == cases.RoleSystem && cases.NotedBefore(evs[:i], e.Reason) {
			continue // the same judgement, stored again by an extension before it was written once
		}
		ce := caseEvent{Event: e, Note: eventNote(e, p.Lang), Report: asWritten(e.Report, p.Lang)}
		var who []string
		for i, id := range e.Assignees {
			n := id
			if i < len(e.AssigneeNames) && e.AssigneeNames[i] != id {
				n = e.AssigneeNames[i] + "（" + id + "）"
			}
			who = append(who, n)
		}
		ce.Who = strings.Join(who, "、")
		if e.Finding != nil {
			ce.Finding = e.Finding.Describe(p.Lang)
		}
		d.Events = append(d.Events, ce)
	}
	if c.Alert != nil {
		for _, x := range c.Alert.Findings {
			fr := findingRow{Finding: x, Name: factors.Name(x.Factor, p.Lang), Field: factors.Field(x.Field, p.Lang), Unit: factors.DisplayUnit(x.Unit)}
			if x.Factor == "" || x.Rule != "exceedance" {
				fr.Name = cases.RuleName(x.Rule, p.Lang)
			}
			if fr.Unit == "" {
				fr.Unit = factors.Unit(x.Factor)
			}
			fr.Unit = unitIn(p.Lang, fr.Unit)
			if m := x.Multiple(); m > 0 {
				fr.Multiple = strconv.FormatFloat(m, 'f', 2, 64)
			}
			d.Findings = append(d.Findings, fr)
		}
	}
	{
		as := h.st
		for _, hs := range c.Evidence {
			er := evidenceRow{Hash: hs, Name: hs[:min(12, len(hs))]}
			if a, err := as.Attachment(r.Context(), hs); err == nil {
				if a.Name != "" {
					er.Name = a.Name
				}
				er.Type, er.Image = a.Type, strings.HasPrefix(a.Type, "image/")
			}
			d.Evidence = append(d.Evidence, er)
		}
	}
	if len(d.Offers) > 0 {
		all, err := h.st.Users(r.Context())
		if err != nil {
			return err
		}
		for _, u := range all {
			if u.Disabled || u.Role == model.RoleMachine || u.Role == model.RolePublic || u.Role == model.RoleDisplay {
				continue
			}
			if auth.ScopeOf(auth.Principal{Role: u.Role, County: u.County, Enterprise: u.Enterprise}).Sees(c.County, c.Enterprise) {
				d.Users = append(d.Users, u)
			}
		}
	}
	for _, st := range cases.States() {
		d.Labels[string(st)] = p.T("case." + string(st))
	}
	for k := range messages {
		if a, ok := strings.CutPrefix(k, "act."); ok {
			d.Labels["act:"+a] = p.T(k)
		}
	}
	p.Nav, p.Title, p.Data = "cases", d.Heading, d
	return h.render(w, http.StatusOK, "case", p)
}
