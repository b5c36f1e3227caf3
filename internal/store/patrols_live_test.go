package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
)

// A patrol recorded as it happens: started (ended_at 0), extended with a
// track and a finding that opens its case in the same transaction, ended;
// after the end it takes no more.
func testPatrolTracking(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	p := Patrol{ID: "P7", County: "X", By: "u", Area: "徒骇河 3 段", StartedAt: t0}
	if err := s.PutPatrol(ctx, p, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.Track = []cases.TrackPoint{{T: t0, Lat: 36.45, Lon: 115.98, Acc: 8}, {T: t0.Add(time.Minute), Lat: 36.451, Lon: 115.981}}
	p.Findings = []PatrolFinding{{Description: "排污口冒黑水", Line: "water", Case: "C7", Lat: 36.451, Lon: 115.981, At: t0.Add(time.Minute)}}
	c := newCase("C7", "X", cases.StateRegistered)
	c.Source = cases.SourcePatrol
	if err := s.UpdatePatrol(ctx, p, []cases.Case{c}, [][]cases.Event{{{Case: "C7", Seq: 1, At: t0, Action: cases.ActRegister}}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Patrol(ctx, "P7")
	if err != nil || len(got.Track) != 2 || got.Track[1].Lat != 36.451 || len(got.Findings) != 1 || got.Findings[0].Lon != 115.981 || !got.EndedAt.IsZero() {
		t.Fatalf("Patrol = %+v, %v", got, err)
	}
	if _, err := s.Case(ctx, "C7"); err != nil {
		t.Errorf("the finding's case: %v", err)
	}
	p.EndedAt, p.Km = t0.Add(time.Hour), 0.14
	if err := s.UpdatePatrol(ctx, p, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.Track = append(p.Track, cases.TrackPoint{T: t0.Add(2 * time.Hour), Lat: 36.5, Lon: 116})
	if err := s.UpdatePatrol(ctx, p, nil, nil, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("update after the end: %v, want ErrConflict", err)
	}
	if got, _ := s.Patrol(ctx, "P7"); len(got.Track) != 2 || got.Km != 0.14 || !got.EndedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ended patrol %+v", got)
	}
	if _, err := s.Patrol(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown patrol: %v", err)
	}
}
