package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/marking"
)

// Marks are append-only versions; the latest is what queries return; a
// version written twice is refused; decisions come back newest first.
func testMarks(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	from := time.Date(2026, 3, 15, 6, 0, 0, 0, time.UTC)
	m := marking.Mark{ID: "M1", Version: 1, MN: "MN-A", Outlet: "O1", Enterprise: "E1", County: "C1", Industry: "other",
		Type: "startup", From: from, To: from.Add(3 * time.Hour), Reason: "锅炉启炉", By: "ent", At: from, MarkedAt: from, Status: marking.StatusPending}
	if err := s.PutMark(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMark(ctx, m); !errors.Is(err, ErrVersionTaken) {
		t.Fatalf("second version 1: %v, want ErrVersionTaken", err)
	}
	m2 := m
	m2.Version, m2.Status, m2.ReviewBy, m2.ReviewReason = 2, marking.StatusRejected, "city", "电量数据显示生产"
	if err := s.PutMark(ctx, m2); err != nil {
		t.Fatal(err)
	}
	other := m
	other.ID, other.MN, other.Enterprise, other.County, other.From, other.To = "M2", "MN-B", "E2", "C2", from.Add(48*time.Hour), from.Add(50*time.Hour)
	if err := s.PutMark(ctx, other); err != nil {
		t.Fatal(err)
	}
	vs, err := s.MarkVersions(ctx, "M1")
	if err != nil || len(vs) != 2 || vs[0].Status != marking.StatusPending || vs[1].Status != marking.StatusRejected {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	if _, err := s.MarkVersions(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing mark: %v", err)
	}
	got, err := s.Marks(ctx, MarkQuery{Enterprise: "E1"})
	if err != nil || len(got) != 1 || got[0].Version != 2 || !got[0].From.Equal(from) {
		t.Fatalf("latest of E1: %+v, %v", got, err)
	}
	got, err = s.Marks(ctx, MarkQuery{From: from.Add(2 * time.Hour), To: from.Add(49 * time.Hour)})
	if err != nil || len(got) != 2 {
		t.Fatalf("overlapping: %d, %v", len(got), err)
	}
	got, err = s.Marks(ctx, MarkQuery{MNs: []string{"MN-B"}, From: from, To: from.Add(time.Hour)})
	if err != nil || len(got) != 0 {
		t.Fatalf("MN-B in the first hour: %+v, %v", got, err)
	}
	got, err = s.Marks(ctx, MarkQuery{MNs: []string{"MN-B", "MN-A", "MN-Z"}})
	if err != nil || len(got) != 2 {
		t.Fatalf("MN-A, MN-B and MN-Z: %+v, %v", got, err)
	}
	for i, o := range []marking.Outcome{marking.OutcomeOpened, marking.OutcomeExcused} {
		d := marking.Decision{At: from.Add(time.Duration(i) * time.Hour), MN: "MN-A", Enterprise: "E1", County: "C1", Outcome: o, Rule: "mark:startup", Mark: "M1"}
		if err := s.PutDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.Decisions(ctx, DecisionQuery{County: "C1"})
	if err != nil || len(ds) != 2 || ds[0].Outcome != marking.OutcomeExcused {
		t.Fatalf("decisions %+v, %v", ds, err)
	}
	if ds, _ := s.Decisions(ctx, DecisionQuery{Enterprise: "E2"}); len(ds) != 0 {
		t.Fatalf("decisions of E2: %+v", ds)
	}
	// Versions written since a time (all three are stamped `from`; a
	// version made later is the only one after it).
	late := m
	late.ID, late.MN, late.Enterprise, late.County, late.At = "M3", "MN-C", "E3", "C3", from.Add(time.Hour)
	if err := s.PutMark(ctx, late); err != nil {
		t.Fatal(err)
	}
	if vs, err := s.MarkVersionsSince(ctx, from.Add(time.Minute), 10); err != nil || len(vs) != 1 || vs[0].ID != "M3" {
		t.Fatalf("versions since: %+v, %v", vs, err)
	}
	if vs, err := s.MarkVersionsSince(ctx, from, 2); err != nil || len(vs) != 2 || vs[0].ID != "M1" || vs[0].Version != 1 || vs[1].Version != 2 {
		t.Fatalf("versions since, limited: %+v, %v", vs, err)
	}
}
