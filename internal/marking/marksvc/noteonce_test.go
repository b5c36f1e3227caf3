package marksvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// An alert case extended by further findings of the same episode (other
// factors, the same hours) carries the judgement note once: each
// extension is judged with the same words, and only a judgement in other
// words (a later episode) is written again. The note writes 依据 and the
// document number without a space between them.
func TestJudgementNoteOnce(t *testing.T) { storetest.Run(t, testJudgementNoteOnce) }

func testJudgementNoteOnce(t *testing.T, st store.Store) {
	ctx := context.Background()
	h := time.Now().Truncate(time.Hour).Add(-48 * time.Hour)
	now := h.Add(3 * time.Hour)
	ms := plantService(t, st, func() time.Time { return now })
	episode := func(factor string, since int) Exceedance {
		return plantExceedance(factor, h.Add(time.Duration(since)*time.Hour), h.Add(time.Duration(since+2)*time.Hour))
	}
	c, err := ms.openExceedance(ctx, episode("a21026", 0), "note-once")
	if err != nil {
		t.Fatal(err)
	}
	// Each row: a finding of the episode (the first opened the case), the
	// notes the case has after it is judged.
	rows := []struct {
		factor string
		since  int
		notes  int
	}{
		{"a21026", 0, 1},
		{"a21002", 0, 1},
		{"a34013", 0, 1},
		{"a21026", 6, 2}, // the episode goes on: other hours, other words
		{"a21002", 6, 2},
		{"a34013", 6, 2},
	}
	for i, r := range rows {
		e := episode(r.factor, r.since)
		if i > 0 {
			fd := cases.Finding{At: e.At, Rule: "exceedance", Factor: e.Factor, Field: "ZsAvg", Period: e.Period, Value: e.Value, Limit: e.Limit}
			cur, err := st.Case(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c, _, err = ms.Cases.Act(ctx, c.ID, cur.Seq, cases.Action{Kind: cases.ActAddFinding, Finding: &fd}, casesvc.AlertSystem); err != nil {
				t.Fatalf("row %d: add finding: %v", i, err)
			}
		}
		excused, why, err := ms.JudgeExceedance(ctx, e)
		if err != nil || excused {
			t.Fatalf("row %d: judged excused=%v, %v", i, excused, err)
		}
		ms.NoteOpened(ctx, c, why)
		evs, err := st.CaseEvents(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, ev := range evs {
			if ev.Action == cases.ActNote {
				notes = append(notes, ev.Reason)
			}
		}
		if len(notes) != r.notes {
			t.Fatalf("row %d (%s from +%dh): %d notes, want %d:\n%s", i, r.factor, r.since, len(notes), r.notes, strings.Join(notes, "\n"))
		}
		if n := notes[len(notes)-1]; !strings.Contains(n, "依据生态环境部公告2022年第21号") || strings.Contains(n, "依据 ") {
			t.Errorf("row %d: note %q (want 依据 and the document number without a space)", i, n)
		}
		if cur, err := st.Case(ctx, c.ID); err == nil {
			c = cur
		}
	}
}
