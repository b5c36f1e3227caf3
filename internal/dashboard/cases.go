package dashboard

import (
	"context"
	"net/http"
	"slices"
	"time"

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
	Petition(ctx context.Context, code string) (store.StoredPetition, error)
}

func (h *Handler) casesStore() (casesStore, error) {
	cs, ok := h.st.(casesStore)
	if !ok {
		return nil, errStatus(http.StatusNotFound)
	}
	return cs, nil
}

// open reports whether a case still needs work.
func open(c cases.Case) bool {
	return c.State != cases.StateClosed && c.State != cases.StateRejected
}

// overdue: open and past its closure deadline.
func overdue(c cases.Case, now time.Time) bool {
	return open(c) && !c.Due.IsZero() && now.After(c.Due)
}

type caseRow struct {
	cases.Case
	CountyName string
	Overdue    bool
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
	State    string
	County   string
	Counties []model.County
	Overdue  int
}

// casesBoard: counts by state and county, then the cases, overdue ones
// first (earliest deadline first), within the caller's row scope.
func (h *Handler) casesBoard(w http.ResponseWriter, r *http.Request, p *page) error {
	cs, err := h.casesStore()
	if err != nil {
		return err
	}
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	now := h.cfg.Now()
	all, err := cs.Cases(r.Context(), store.CaseQuery{OverdueFirst: true, Now: now, Limit: 1000})
	if err != nil {
		return err
	}
	names := countyNames(reg, p.Lang)
	d := &boardData{States: cases.States(), State: r.URL.Query().Get("state"), County: r.URL.Query().Get("county"), Counties: reg.Counties}
	cells := map[string]*boardCell{}
	for _, c := range all {
		if !p.Scope.Sees(c.County, c.Enterprise) {
			continue
		}
		cell := cells[c.County]
		if cell == nil {
			cell = &boardCell{County: c.County, Name: names[c.County], Counts: make([]int, len(d.States))}
			cells[c.County] = cell
		}
		if i := slices.Index(d.States, c.State); i >= 0 {
			cell.Counts[i]++
		}
		od := overdue(c, now)
		if od {
			cell.Overdue++
			d.Overdue++
		}
		if (d.State == "" || string(c.State) == d.State) && (d.County == "" || c.County == d.County) {
			d.Cases = append(d.Cases, caseRow{Case: c, CountyName: names[c.County], Overdue: od})
		}
	}
	for _, c := range reg.Counties {
		if cell := cells[c.Code]; cell != nil {
			d.Board = append(d.Board, *cell)
		}
	}
	p.Nav, p.Title, p.Data = "cases", p.T("cases.title"), d
	return h.render(w, http.StatusOK, "cases", p)
}

type caseData struct {
	caseRow
	Events []cases.Event
	Offers []offer
	// Labels are the states' names in the page's language, for
	// static/case.js to name the allowed next states of a refusal.
	Labels map[string]string
}

// casePage: a case with its timeline and evidence. Actions are taken
// through the API (POST /api/v1/cases/{id}/actions), which checks the
// role and the state machine.
func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, p *page) error {
	cs, err := h.casesStore()
	if err != nil {
		return err
	}
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
	d := &caseData{caseRow: caseRow{Case: c, CountyName: countyNames(reg, p.Lang)[c.County], Overdue: overdue(c, h.cfg.Now())}, Events: evs, Offers: caseOffers(c, p), Labels: map[string]string{}}
	for _, st := range cases.States() {
		d.Labels[string(st)] = p.T("case." + string(st))
	}
	p.Nav, p.Title, p.Data = "cases", c.Title, d
	return h.render(w, http.StatusOK, "case", p)
}

type petitionFormData struct {
	Categories []cases.Category
	Counties   []model.County
	MaxPhotos  int
}

// petitionForm is the public petition form (信访/举报). static/petition.js
// uploads the photos (POST /api/v1/public/evidence) and the petition
// (POST /api/v1/public/petitions) and shows the tracking code.
func (h *Handler) petitionForm(w http.ResponseWriter, r *http.Request, p *page) error {
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "petition", p.T("pet.title"), &petitionFormData{Categories: cases.Categories(), Counties: reg.Counties, MaxPhotos: cases.MaxPhotos}
	return h.render(w, http.StatusOK, "petition", p)
}

type trackData struct {
	Code     string
	Found    bool
	Petition store.StoredPetition
	State    cases.State
}

// petitionTrack: a petition's state by its tracking code; what the
// petitioner sees (no staff names, no contact).
func (h *Handler) petitionTrack(w http.ResponseWriter, r *http.Request, p *page) error {
	cs, err := h.casesStore()
	if err != nil {
		return err
	}
	d := &trackData{Code: r.URL.Query().Get("code")}
	if d.Code != "" {
		if code, ok := cases.NormaliseTrackingCode(d.Code); ok {
			sp, err := cs.Petition(r.Context(), cases.FormatTrackingCode(code))
			if err == nil {
				d.Found, d.Petition, d.Code = true, sp, cases.FormatTrackingCode(code)
				d.Petition.Contact = ""
				if c, err := cs.Case(r.Context(), sp.Case); err == nil {
					d.State = c.State
				}
			}
		}
	}
	p.Nav, p.Title, p.Data = "petition", p.T("pet.track"), d
	status := http.StatusOK
	if d.Code != "" && !d.Found {
		status = http.StatusNotFound
	}
	return h.render(w, status, "track", p)
}
