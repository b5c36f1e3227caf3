package api

import (
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Patrols recorded as they happen, from the patroller's phone (the
// dashboard's /patrol page): start, positions, findings, end; and the
// statistics by county and month.
var patrolLiveRoutes = []route{
	{"POST /api/v1/patrols/start", ScopePatrols, (*server).patrolStart},
	{"GET /api/v1/patrols/{id}", ScopePatrols, (*server).patrolGet},
	{"POST /api/v1/patrols/{id}/track", ScopePatrols, (*server).patrolTrack},
	{"POST /api/v1/patrols/{id}/findings", ScopePatrols, (*server).patrolFinding},
	{"POST /api/v1/patrols/{id}/end", ScopePatrols, (*server).patrolEnd},
	{"GET /api/v1/stats/patrols/monthly", ScopePatrols, (*server).patrolMonthly},
}

// They are closed-loop routes (they need Config.Auth and Config.Cases):
// cases.go's init has run by now (files initialise in name order).
func (s *server) patrolStart(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var body struct {
		County string `json:"county"`
		Area   string `json:"area"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	pt, err := cs.StartPatrol(r.Context(), body.County, body.Area, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusCreated, pt)
	return nil
}

func (s *server) patrolGet(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	pt, err := cs.St.Patrol(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if sc := scopeOf(r.Context()); !sc.All && pt.County != sc.County && pt.By != principal(r.Context()).User {
		return &Error{Code: CodeNotFound, Message: "no such patrol"}
	}
	writeJSON(w, http.StatusOK, pt)
	return nil
}

func (s *server) patrolTrack(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var body struct {
		Points []cases.TrackPoint `json:"points"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	pt, err := cs.TrackPatrol(r.Context(), r.PathValue("id"), body.Points, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": pt.ID, "points": len(pt.Track), "km": cases.TrackKm(pt.Track)})
	return nil
}

func (s *server) patrolFinding(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var f store.PatrolFinding
	if err := decodeBody(r, &f); err != nil {
		return err
	}
	f.Case, f.At = "", time.Time{} // the service sets them
	pt, c, err := cs.PatrolFinding(r.Context(), r.PathValue("id"), f, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"patrol": pt.ID, "findings": len(pt.Findings), "case": c})
	return nil
}

func (s *server) patrolEnd(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	pt, err := cs.EndPatrol(r.Context(), r.PathValue("id"), principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": pt.ID, "started_at": pt.StartedAt, "ended_at": pt.EndedAt, "km": pt.Km, "points": len(pt.Track), "findings": len(pt.Findings)})
	return nil
}

// patrolMonthly: patrols, kilometres, findings and closed cases by county
// and month, within the caller's county.
func (s *server) patrolMonthly(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	county := r.URL.Query().Get("county")
	if sc := scopeOf(r.Context()); !sc.All {
		county = sc.County
	}
	st, err := cs.PatrolStats(r.Context(), county, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"months": st})
	return nil
}
