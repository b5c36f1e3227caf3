package casesvc

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A patrol on a phone: started in the patroller's county, positions added
// in order (a resent one dropped), a finding at a position with a photo
// opens a case there, the end measures the track by haversine; an ended
// patrol and another user's patrol take nothing more; the statistics
// count patrols, kilometres, findings and closed cases by county and month.
func TestPatrolLive(t *testing.T) { storetest.Each(t, testPatrolLive) }

func testPatrolLive(t *testing.T, be storetest.Backend) {
	s, now := newService(t, be)
	ctx := context.Background()
	pt, err := s.StartPatrol(ctx, "371521", "徒骇河东昌府段", cx)
	if err != nil {
		t.Fatal(err)
	}
	if pt.County != "371502" || pt.By != "cx" || !pt.EndedAt.IsZero() {
		t.Errorf("started %+v: a county user patrols their own county", pt)
	}
	p0 := cases.TrackPoint{T: t0, Lat: 36.45, Lon: 115.98, Acc: 5}
	p1 := cases.TrackPoint{T: t0.Add(time.Minute), Lat: 36.46, Lon: 115.98, Acc: 5}
	p2 := cases.TrackPoint{T: t0.Add(2 * time.Minute), Lat: 36.47, Lon: 115.98, Acc: 5}
	if _, err := s.TrackPatrol(ctx, pt.ID, []cases.TrackPoint{p0, p1}, cx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TrackPatrol(ctx, pt.ID, []cases.TrackPoint{p1, p2}, cx); err != nil || len(got.Track) != 3 {
		t.Fatalf("track %d positions, %v", len(got.Track), err)
	}
	if _, err := s.TrackPatrol(ctx, pt.ID, []cases.TrackPoint{{T: t0.Add(time.Hour), Lat: 95, Lon: 115}}, cx); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("latitude 95: %v", err)
	}
	other := auth.Principal{User: "cy", Role: model.RoleCounty, County: "371502"}
	if _, err := s.TrackPatrol(ctx, pt.ID, []cases.TrackPoint{{T: t0.Add(time.Hour), Lat: 36, Lon: 115}}, other); err == nil {
		t.Error("another user extended the patrol")
	}
	photo, err := s.PutEvidence(ctx, strings.NewReader("\x89PNG\r\n\x1a\n0000IHDR"), "排污口.png", "cx")
	if err != nil {
		t.Fatal(err)
	}
	*now = t0.Add(3 * time.Minute)
	pt, c, err := s.PatrolFinding(ctx, pt.ID, store.PatrolFinding{Description: "排污口冒黑水\n气味刺鼻", Lat: 36.465, Lon: 115.981, Photos: []string{photo.Hash}}, cx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != cases.SourcePatrol || c.County != "371502" || c.Lat != 36.465 || c.Title != "排污口冒黑水" || c.Location != "徒骇河东昌府段" || len(c.Evidence) != 1 || c.Ref != pt.ID {
		t.Errorf("case %+v", c)
	}
	if len(pt.Findings) != 1 || pt.Findings[0].Case != c.ID {
		t.Errorf("findings %+v", pt.Findings)
	}
	*now = t0.Add(time.Hour)
	ended, err := s.EndPatrol(ctx, pt.ID, cx)
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * cases.HaversineKm(36.45, 115.98, 36.46, 115.98)
	if math.Abs(ended.Km-want) > 1e-9 || !ended.EndedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ended %.4f km at %v, want %.4f", ended.Km, ended.EndedAt, want)
	}
	if _, err := s.EndPatrol(ctx, pt.ID, cx); !errors.Is(err, store.ErrConflict) {
		t.Errorf("ending twice: %v", err)
	}
	if _, _, err := s.PatrolFinding(ctx, pt.ID, store.PatrolFinding{Description: "x", Lat: 36, Lon: 115}, cx); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a finding after the end: %v", err)
	}

	// A second patrol in April, and the first finding's case closed.
	*now = time.Date(2026, 4, 3, 9, 0, 0, 0, t0.Location())
	p2nd, err := s.StartPatrol(ctx, "371521", "金堤河", city)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndPatrol(ctx, p2nd.ID, city); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		k  cases.ActionKind
		by auth.Principal
	}{{cases.ActAccept, city}, {cases.ActAssign, city}, {cases.ActStart, cx}, {cases.ActSubmit, cx}, {cases.ActVerify, city}, {cases.ActClose, city}} {
		act := cases.Action{Kind: a.k, Assignees: []string{"cx"}}
		if a.k == cases.ActSubmit {
			act.Evidence = []string{photo.Hash}
		}
		if a.k != cases.ActAssign {
			act.Assignees = nil
		}
		if _, _, err := s.Act(ctx, c.ID, 0, act, a.by); err != nil {
			t.Fatalf("%s: %v", a.k, err)
		}
	}
	stats, err := s.PatrolStats(ctx, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantStats := []cases.PatrolMonth{{County: "371521", Month: "2026-04", Patrols: 1}, {County: "371502", Month: "2026-03", Patrols: 1, Km: want, Findings: 1, Closed: 1}}
	if len(stats) != 2 || stats[0] != wantStats[0] || stats[1] != wantStats[1] {
		t.Errorf("stats %+v, want %+v", stats, wantStats)
	}
}

// countStates counts the reads of case states.
type countStates struct{ n, ids int }

func (c *countStates) CaseStates(_ context.Context, ids []string) (map[string]cases.State, error) {
	c.n++
	c.ids += len(ids)
	return map[string]cases.State{"C1": cases.StateClosed, "C3": cases.StateClosed}, nil
}

// The statistics read the findings' cases in one query, not one per
// finding.
func TestPatrolRecordsOneRead(t *testing.T) {
	var ps []store.Patrol
	for range 50 {
		ps = append(ps, store.Patrol{County: "X", Findings: []store.PatrolFinding{{Case: "C1"}, {Case: "C2"}, {Case: "C3"}, {}}})
	}
	var c countStates
	rs, err := PatrolRecords(context.Background(), &c, ps)
	if err != nil || len(rs) != 50 || rs[0].Closed != 2 || rs[0].Findings != 4 {
		t.Fatalf("%+v %v", rs, err)
	}
	if c.n != 1 || c.ids != 150 {
		t.Errorf("%d reads of %d ids, want 1 of 150", c.n, c.ids)
	}
}
