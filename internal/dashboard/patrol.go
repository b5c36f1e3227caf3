package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// River patrols (巡河) on a phone: /patrol records a patrol as it happens
// through the JSON API (static/patrol.js: the browser's geolocation track,
// findings with photos at a position); /patrols/stats is the staff page of
// patrol statistics by county and month.

// patrolStore is what the patrol pages read (store.Store implements it).
type patrolStore interface {
	Patrols(ctx context.Context, q store.PatrolQuery) ([]store.Patrol, error)
	CaseStates(ctx context.Context, ids []string) (map[string]cases.State, error)
}

type patrolData struct {
	Counties []model.County
	County   string // the county user's own; empty: choose
	Lines    []cases.WorkLine
	Ongoing  *store.Patrol
	Km       float64
}

// patroller is who the API will record as the patroller: the user, or the
// open mode's principal.
func patroller(p *page) string {
	if p.open {
		return "open"
	}
	return p.User.User
}

// patrolPage: start a patrol, or go on with the caller's patrol that has
// not ended.
func (h *Handler) patrolPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ps := h.st
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	d := &patrolData{Counties: reg.Counties, Lines: cases.DefaultWorkLines()}
	q := store.PatrolQuery{From: h.cfg.Now().Add(-48 * time.Hour), Limit: 200}
	if p.User.Role == model.RoleCounty {
		d.County, q.County = p.User.County, p.User.County
	}
	list, err := ps.Patrols(r.Context(), q)
	if err != nil {
		return err
	}
	for i := range list {
		if list[i].By == patroller(p) && list[i].EndedAt.IsZero() {
			d.Ongoing = &list[i]
			d.Km = cases.TrackKm(list[i].Track)
			break
		}
	}
	p.Nav, p.Title, p.Data = "patrol", p.T("patrol.title"), d
	return h.renderPortal(w, http.StatusOK, "patrol", p)
}

type patrolStatsData struct {
	Months []patrolMonthRow
	Recent []patrolRow
	Total  cases.PatrolMonth
}

type patrolMonthRow struct {
	cases.PatrolMonth
	CountyName string
}

type patrolRow struct {
	store.Patrol
	CountyName string
	KmNow      float64
}

// patrolStatsPage: patrols, kilometres, findings and closed cases by
// county and month over the last twelve months, and the latest patrols,
// within the caller's county.
func (h *Handler) patrolStatsPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ps := h.st
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	names := countyNames(reg, p.Lang)
	now := today(h.cfg.Now())
	q := store.PatrolQuery{From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, cst).AddDate(0, -11, 0), Limit: 100000}
	if !p.Scope.All {
		q.County = p.Scope.County
		if q.County == "" {
			q.County = "\x00none"
		}
	}
	list, err := ps.Patrols(r.Context(), q)
	if err != nil {
		return err
	}
	rs, err := casesvc.PatrolRecords(r.Context(), ps, list)
	if err != nil {
		return err
	}
	d := &patrolStatsData{}
	for i, pt := range list {
		if len(d.Recent) == 20 {
			break
		}
		d.Recent = append(d.Recent, patrolRow{Patrol: pt, CountyName: names[pt.County], KmNow: rs[i].Km})
	}
	for _, m := range cases.PatrolStats(rs) {
		d.Months = append(d.Months, patrolMonthRow{PatrolMonth: m, CountyName: names[m.County]})
		d.Total.Patrols += m.Patrols
		d.Total.Km += m.Km
		d.Total.Findings += m.Findings
		d.Total.Closed += m.Closed
	}
	p.Nav, p.Title, p.Data = "patrols", p.T("patrol.stats"), d
	return h.render(w, http.StatusOK, "patrols", p)
}
