package casesvc

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Patrols recorded as they happen (巡河 on a phone): a patroller starts a
// patrol, the phone posts its positions as it goes, each problem found is
// recorded at a position with photos and opens a case at once, and the
// end computes the track's length. Only the patroller (or the city) may
// extend or end a patrol; a county's staff patrol in their county.

// MaxTrack bounds a patrol's positions (a day at one every 5 s).
const MaxTrack = 20000

// patrolMu serialises the read-modify-write of a patrol within this
// process; the store refuses a write to an ended patrol in any case.
var patrolMu sync.Mutex

// StartPatrol starts a patrol of area in county (a county user's own
// county whatever is asked).
func (s *Service) StartPatrol(ctx context.Context, county, area string, p auth.Principal) (store.Patrol, error) {
	if p.Role == model.RoleCounty {
		county = p.County
	}
	if county == "" || area == "" {
		return store.Patrol{}, &cases.FieldError{Action: "patrol", Field: "county, area", Reason: "required", Err: cases.ErrInvalid}
	}
	if len([]rune(area)) > 200 {
		return store.Patrol{}, &cases.FieldError{Action: "patrol", Field: "area", Reason: "at most 200 characters", Err: cases.ErrInvalid}
	}
	now := s.now()
	var pt store.Patrol
	// The patrol's number is drawn in the transaction that stores it.
	err := s.St.InCaseTx(ctx, func(tx store.CaseTx) error {
		n, err := tx.NextNumber("patrol")
		if err != nil {
			return err
		}
		pt = store.Patrol{ID: fmt.Sprintf("P%06d", n), County: county, By: p.User, Area: area, StartedAt: now}
		return tx.PutPatrol(pt, nil, nil, audit(p, "patrol.start", "patrol/"+pt.ID, nil, pt, now))
	})
	if err != nil {
		return store.Patrol{}, err
	}
	return pt, nil
}

// ongoing reads a patrol that goes on and that p may extend.
func (s *Service) ongoing(ctx context.Context, id string, p auth.Principal) (store.Patrol, error) {
	pt, err := s.St.Patrol(ctx, id)
	if err != nil {
		return pt, err
	}
	if pt.By != p.User && p.Role != model.RoleCity {
		return pt, &cases.PermissionError{Case: id, Role: cases.Role(p.Role), Action: "patrol", Reason: "only the patroller records a patrol"}
	}
	if !pt.EndedAt.IsZero() {
		return pt, fmt.Errorf("patrol %s ended at %s: %w", id, pt.EndedAt.Format(time.DateTime), store.ErrConflict)
	}
	return pt, nil
}

// TrackPatrol adds positions to a patrol, in time order; positions not
// after the last one (a phone resending) are dropped.
func (s *Service) TrackPatrol(ctx context.Context, id string, pts []cases.TrackPoint, p auth.Principal) (store.Patrol, error) {
	for i, x := range pts {
		if err := x.Check(); err != nil {
			return store.Patrol{}, &cases.FieldError{Action: "patrol", Field: fmt.Sprintf("points[%d]", i), Reason: err.Error(), Err: cases.ErrInvalid}
		}
	}
	patrolMu.Lock()
	defer patrolMu.Unlock()
	pt, err := s.ongoing(ctx, id, p)
	if err != nil {
		return pt, err
	}
	for _, x := range pts {
		if n := len(pt.Track); n > 0 && !x.T.After(pt.Track[n-1].T) {
			continue
		}
		if len(pt.Track) >= MaxTrack {
			return pt, &cases.FieldError{Action: "patrol", Field: "points", Reason: fmt.Sprintf("at most %d positions per patrol", MaxTrack), Err: cases.ErrInvalid}
		}
		pt.Track = append(pt.Track, x)
	}
	return pt, s.St.UpdatePatrol(ctx, pt, nil, nil, nil)
}

// PatrolFinding records a problem found at a position with its photos
// and opens its case (source 巡查) in the same transaction.
func (s *Service) PatrolFinding(ctx context.Context, id string, f store.PatrolFinding, p auth.Principal) (store.Patrol, cases.Case, error) {
	if f.Description == "" {
		return store.Patrol{}, cases.Case{}, &cases.FieldError{Action: "patrol", Field: "description", Reason: "required", Err: cases.ErrInvalid}
	}
	if f.Line == "" {
		f.Line = "water"
	}
	if err := (cases.TrackPoint{T: s.now(), Lat: f.Lat, Lon: f.Lon}).Check(); err != nil {
		return store.Patrol{}, cases.Case{}, &cases.FieldError{Action: "patrol", Field: "lat, lon", Reason: err.Error(), Err: cases.ErrInvalid}
	}
	if err := s.checkEvidence(ctx, f.Photos, p, p.User, nil); err != nil {
		return store.Patrol{}, cases.Case{}, err
	}
	patrolMu.Lock()
	defer patrolMu.Unlock()
	pt, err := s.ongoing(ctx, id, p)
	if err != nil {
		return pt, cases.Case{}, err
	}
	now := s.now()
	loc := f.Location
	if loc == "" {
		loc = pt.Area
	}
	c := cases.Case{ID: "C0", Source: cases.SourcePatrol, Ref: pt.ID, Line: f.Line, County: pt.County, Enterprise: f.Enterprise,
		Location: loc, Lat: f.Lat, Lon: f.Lon, Severity: cases.SeverityGeneral, Title: firstLine(f.Description), Description: f.Description}
	// The patroller registers the case: a county's staff in their county,
	// the city anywhere. Judged first, numbered in the transaction that
	// stores it, so a refusal uses up no case number.
	if _, _, err := s.rules().Apply(c, cases.Action{Kind: cases.ActRegister, Evidence: f.Photos}, ActorOf(p), now); err != nil {
		return pt, cases.Case{}, err
	}
	var nc cases.Case
	err = s.St.InCaseTx(ctx, func(tx store.CaseTx) error {
		cid, err := newCaseID(tx, now)
		if err != nil {
			return err
		}
		c.ID = cid
		var evs []cases.Event
		if nc, evs, err = s.rules().Apply(c, cases.Action{Kind: cases.ActRegister, Evidence: f.Photos}, ActorOf(p), now); err != nil {
			return err
		}
		g := f
		g.Case, g.At, g.Location = cid, now, loc
		next := pt
		next.Findings = append(slices.Clone(pt.Findings), g)
		if err := tx.UpdatePatrol(next, []cases.Case{nc}, [][]cases.Event{evs}, audit(p, "patrol.finding", "patrol/"+pt.ID, nil, g, now)); err != nil {
			return err
		}
		pt = next
		return nil
	})
	if err != nil {
		return pt, cases.Case{}, err
	}
	zh, en := cases.PatrolNotice(nc)
	s.notify(ctx, nc, "case.registered", zh, en)
	return pt, nc, nil
}

// EndPatrol ends a patrol and measures its track.
func (s *Service) EndPatrol(ctx context.Context, id string, p auth.Principal) (store.Patrol, error) {
	patrolMu.Lock()
	defer patrolMu.Unlock()
	pt, err := s.ongoing(ctx, id, p)
	if err != nil {
		return pt, err
	}
	now := s.now()
	pt.EndedAt, pt.Km = now, cases.TrackKm(pt.Track)
	return pt, s.St.UpdatePatrol(ctx, pt, nil, nil, audit(p, "patrol.end", "patrol/"+pt.ID, nil, map[string]any{"ended_at": now, "km": pt.Km, "points": len(pt.Track)}, now))
}

// PatrolStats are the patrol statistics by county and month of the
// patrols started in [from, to) (zero: no bound) that county (empty: all)
// holds: patrols, kilometres, findings and how many of their cases are
// closed.
func (s *Service) PatrolStats(ctx context.Context, county string, from, to time.Time) ([]cases.PatrolMonth, error) {
	ps, err := s.St.Patrols(ctx, store.PatrolQuery{County: county, From: from, To: to, Limit: 100000})
	if err != nil {
		return nil, err
	}
	rs, err := PatrolRecords(ctx, s.St, ps)
	if err != nil {
		return nil, err
	}
	return cases.PatrolStats(rs), nil
}

// caseStater reads the states of many cases at once.
type caseStater interface {
	CaseStates(ctx context.Context, ids []string) (map[string]cases.State, error)
}

// PatrolRecords are the patrols' figures for the statistics: kilometres
// (so far, for one under way), findings, and how many of the findings'
// cases are closed — their states read in one query, not one per finding.
func PatrolRecords(ctx context.Context, st caseStater, ps []store.Patrol) ([]cases.PatrolRecord, error) {
	var ids []string
	for _, pt := range ps {
		for _, f := range pt.Findings {
			if f.Case != "" {
				ids = append(ids, f.Case)
			}
		}
	}
	states, err := st.CaseStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("patrol statistics: %w", err)
	}
	rs := make([]cases.PatrolRecord, 0, len(ps))
	for _, pt := range ps {
		r := cases.PatrolRecord{County: pt.County, Start: pt.StartedAt, Km: pt.Km, Findings: len(pt.Findings)}
		if pt.EndedAt.IsZero() {
			r.Km = cases.TrackKm(pt.Track) // so far
		}
		for _, f := range pt.Findings {
			if f.Case != "" && states[f.Case] == cases.StateClosed {
				r.Closed++
			}
		}
		rs = append(rs, r)
	}
	return rs, nil
}
