package cases

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	r := DefaultRules()
	mk := func(id string, src Source, line, cty string, st State, created, closed, due time.Time, sat Satisfaction) Case {
		c := Case{ID: id, Source: src, Line: line, County: cty, State: st, CreatedAt: created, ClosedAt: closed, Due: due, Satisfaction: sat, Policy: PolicyDefault}
		if src == SourcePetition {
			c.Petition, c.Policy = "X", Policy12369
		}
		return c
	}
	d := func(y int, m time.Month, day int) time.Time { return cstTime(y, m, day, 12, 0, 0) }
	cs := []Case{
		// closed on time after 10 days
		mk("1", SourcePatrol, "air-dust", "A", StateClosed, d(2025, 12, 20), d(2025, 12, 30), d(2026, 1, 19), ""),
		// closed late after 40 days, across the year
		mk("2", SourcePetition, "air-dust", "A", StateClosed, d(2025, 12, 1), d(2026, 1, 10), d(2025, 12, 31), Satisfied),
		// open, overdue at now
		mk("3", SourceOnline, "water", "B", StateRectifying, d(2026, 1, 1), time.Time{}, d(2026, 1, 31), ""),
		// open, not yet due
		mk("4", SourcePetition, "water", "B", StateRectifying, d(2026, 2, 1), time.Time{}, d(2026, 4, 1), ""),
		// rejected: counted by state, not as a problem found
		mk("5", SourcePetition, "other", "B", StateRejected, d(2026, 2, 2), time.Time{}, time.Time{}, Dissatisfied),
	}
	now := d(2026, 2, 15)
	s := Summarize(cs, r, now)
	if s.Total != 5 || s.BySource[SourcePetition] != 3 || s.ByLine["air-dust"] != 2 || s.ByCounty["B"] != 3 || s.ByState[StateRectifying] != 2 || s.ByState[StateRejected] != 1 {
		t.Errorf("counts %+v", s)
	}
	if s.Overdue != 1 {
		t.Errorf("overdue %d", s.Overdue)
	}
	if s.Closed != 2 || s.ClosedOnTime != 1 || s.OnTimeRate != 0.5 {
		t.Errorf("closure %d %d %v", s.Closed, s.ClosedOnTime, s.OnTimeRate)
	}
	if s.MeanTimeToClose != 25*24*time.Hour {
		t.Errorf("mean time to close %v", s.MeanTimeToClose)
	}
	if s.Petitions != 3 || s.Rated != 2 || s.SatisfactionRate != 0.5 {
		t.Errorf("petitions %d rated %d rate %v", s.Petitions, s.Rated, s.SatisfactionRate)
	}
	want := []LineYear{
		{"air-dust", 2025, 2, 1},
		{"air-dust", 2026, 0, 1},
		{"water", 2026, 2, 0},
	}
	if len(s.Lines) != len(want) {
		t.Fatalf("lines %+v", s.Lines)
	}
	for i := range want {
		if s.Lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, s.Lines[i], want[i])
		}
	}
	if e := Summarize(nil, r, now); e.OnTimeRate != 0 || e.MeanTimeToClose != 0 || e.Total != 0 {
		t.Errorf("empty summary %+v", e)
	}
}
