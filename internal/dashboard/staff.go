package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Staff pages of the closed loop beyond the board: supervision
// notices and the petitions desk. Writes go through the JSON API, as on
// the case page (static/case.js).
// noticeLevels are the escalation steps that are numbered documents:
// 督办 (a 督办函), 挂牌督办 and 约谈; a reminder (提醒) is only a message.
var noticeLevels = []cases.Level{cases.LevelNotice, cases.LevelListed, cases.LevelSummons}

type noticeRow struct {
	cases.Issued
	N          int // index in the case's escalations, for the print link
	Case       cases.Case
	CountyName string
	Overdue    bool
	// Heading and Text are the case's title and description in the
	// page's language (newCaseRow).
	Heading, Text string
}

// withText sets the row's title and description in lang.
func (n noticeRow) withText(lang string) noticeRow {
	r := newCaseRow(n.Case, lang, n.CountyName, deadlineInfo{})
	n.Heading, n.Text = r.Heading, r.Text
	return n
}

type noticesData struct {
	Notices []noticeRow
	Level   string
	Levels  []cases.Level
}

// scopedCases are the cases in the caller's row scope.
func (h *Handler) scopedCases(ctx context.Context, p *page) (casesStore, []cases.Case, error) {
	cs := h.st
	all, err := cs.Cases(ctx, store.CaseQuery{Now: h.cfg.Now(), Limit: 5000})
	if err != nil {
		return nil, nil, err
	}
	out := all[:0]
	for _, c := range all {
		if p.Scope.Sees(c.County, c.Enterprise) {
			out = append(out, c)
		}
	}
	return cs, out, nil
}

// noticesPage lists the supervision notices issued on the cases in scope,
// newest first, with the case's county, deadline and state.
func (h *Handler) noticesPage(w http.ResponseWriter, r *http.Request, p *page) error {
	_, cs, err := h.scopedCases(r.Context(), p)
	if err != nil {
		return err
	}
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	names := countyNames(reg, p.Lang)
	now := h.cfg.Now()
	d := &noticesData{Level: r.URL.Query().Get("level"), Levels: noticeLevels}
	for _, c := range cs {
		for i, is := range c.Escalations {
			if !slices.Contains(noticeLevels, is.Level) || (d.Level != "" && string(is.Level) != d.Level) {
				continue
			}
			d.Notices = append(d.Notices, noticeRow{Issued: is, N: i, Case: c, CountyName: names[c.County], Overdue: overdue(c, now)}.withText(p.Lang))
		}
	}
	slices.SortStableFunc(d.Notices, func(a, b noticeRow) int { return b.At.Compare(a.At) })
	p.Nav, p.Title, p.Data = "notices", p.T("notices.title"), d
	return h.render(w, http.StatusOK, "notices", p)
}

// noticePrint is one notice as a printable document (the print
// stylesheet hides the header and nav).
func (h *Handler) noticePrint(w http.ResponseWriter, r *http.Request, p *page) error {
	cs := h.st
	c, err := cs.Case(r.Context(), r.PathValue("case"))
	if err != nil {
		return err
	}
	if !p.Scope.Sees(c.County, c.Enterprise) {
		return errStatus(http.StatusNotFound)
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(c.Escalations) || !slices.Contains(noticeLevels, c.Escalations[n].Level) {
		return errStatus(http.StatusNotFound)
	}
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	row := noticeRow{Issued: c.Escalations[n], N: n, Case: c, CountyName: countyNames(reg, p.Lang)[c.County], Overdue: overdue(c, h.cfg.Now())}.withText(p.Lang)
	p.Nav, p.Title, p.Data = "notices", p.T("level."+string(row.Level)), &row
	return h.render(w, http.StatusOK, "notice", p)
}

type petitionRow struct {
	store.StoredPetition
	CountyName string
	Case       cases.Case
	HasCase    bool
	Deadlines  cases.PetitionDeadlines
	Overdue    bool // past the acceptance or closure deadline, still open
	CanReply   bool
	// Description and Reply are the petitioner's and the bureau's words
	// as written, marked on an English page when they are Chinese.
	Description, Reply string
}

type petitionsData struct {
	Rows     []petitionRow
	County   string
	State    string
	Counties []countyOpt
	States   []cases.State
	Rate     float64
	Rated    int
	RateOK   bool
	BySat    map[cases.Satisfaction]int
	// Satisfacts are the answers counted in the satisfaction cards.
	Satisfacts []cases.Satisfaction
}

type countyOpt struct{ Code, Name string }

// petitionsStaff is the petitions desk: petitions by county and state
// with their deadlines (12369: accept in 15 days, close in 60), the reply
// to the petitioner, the callback's satisfaction and the rate over the
// rated ones (满意率 = (满意 + 基本满意) / 已回访).
func (h *Handler) petitionsStaff(w http.ResponseWriter, r *http.Request, p *page) error {
	cs := h.st
	ps := h.st
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	names := countyNames(reg, p.Lang)
	q := r.URL.Query()
	d := &petitionsData{County: q.Get("county"), State: q.Get("state"), States: cases.States(), BySat: map[cases.Satisfaction]int{},
		Satisfacts: []cases.Satisfaction{cases.Satisfied, cases.BasicallySatisfied, cases.Dissatisfied}}
	for _, c := range reg.Counties {
		if p.Scope.Sees(c.Code, "") {
			d.Counties = append(d.Counties, countyOpt{c.Code, names[c.Code]})
		}
	}
	pq := store.PetitionQuery{County: d.County, Limit: 1000}
	if !p.Scope.All {
		// A county's staff see their own county's petitions, whatever
		// the filter asks.
		if d.County != "" && d.County != p.Scope.County {
			pq.County = "\x00none"
		} else {
			pq.County = p.Scope.County
		}
	}
	list, err := ps.Petitions(r.Context(), pq)
	if err != nil {
		return err
	}
	rules := cases.DefaultRules()
	now := h.cfg.Now()
	canWrite := p.Can("petitions:reply")
	var answers []cases.Satisfaction
	for _, sp := range list {
		if !p.Scope.Sees(sp.County, "") {
			continue
		}
		row := petitionRow{StoredPetition: sp, CountyName: names[sp.County], CanReply: canWrite,
			Description: asWritten(sp.Description, p.Lang), Reply: asWritten(sp.Reply, p.Lang)}
		if !p.User.Authenticated() || !auth.ScopeOf(p.User).Sees(sp.County, "") {
			// Contact details only for staff whose scope holds the
			// petition: not for the demo's anonymous open mode.
			row.Contact = ""
		}
		if sp.Case != "" {
			if c, err := cs.Case(r.Context(), sp.Case); err == nil {
				row.Case, row.HasCase = c, true
				row.Deadlines = cases.Deadlines(c, rules.Policy(c))
				open := c.State.Open()
				row.Overdue = open && ((c.AcceptedAt.IsZero() && !row.Deadlines.AcceptBy.IsZero() && now.After(row.Deadlines.AcceptBy)) ||
					(!row.Deadlines.CloseBy.IsZero() && now.After(row.Deadlines.CloseBy)))
				answers = append(answers, c.Satisfaction)
				if c.Satisfaction != "" {
					d.BySat[c.Satisfaction]++
				}
			}
		}
		if d.State != "" && string(row.Case.State) != d.State {
			continue
		}
		d.Rows = append(d.Rows, row)
	}
	d.Rate, d.Rated, d.RateOK = cases.SatisfactionRate(answers)
	d.Rate *= 100
	p.Nav, p.Title, p.Data = "petitions", p.T("pets.title"), d
	return h.render(w, http.StatusOK, "petitions", p)
}

// dateOf formats a deadline as a day (CST).
func dateOf(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(cst).Format("2006-01-02")
}
