package marksvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/marking/markstest"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A correction that moves a mark off the exceedance it excused judges the
// exceedance again: its case opens once, noting the rule (mark-rejected)
// and the correction; a second correction opens nothing more. A mark
// still covering it (a second start-up mark) keeps it excused.
func TestRejudgeAfterCorrection(t *testing.T) { storetest.Run(t, testRejudgeAfterCorrection) }

func testRejudgeAfterCorrection(t *testing.T, st store.Store) {
	ctx := context.Background()
	h := time.Now().Truncate(time.Hour).Add(-48 * time.Hour)
	now := h.Add(30 * time.Minute)
	ms := plantService(t, st, func() time.Time { return now })
	ent := markstest.EnterpriseUser("ent", "E1", "371502")
	m, err := ms.Create(ctx, Input{MN: "MN1", Type: "startup", From: h, To: h.Add(3 * time.Hour), Reason: "冷态启炉"}, ent)
	if err != nil {
		t.Fatal(err)
	}
	e := plantExceedance("a21026", h, h.Add(2*time.Hour))
	now = h.Add(3 * time.Hour)
	if excused, _, err := ms.JudgeExceedance(ctx, e); err != nil || !excused {
		t.Fatalf("judged %v, %v: want excused by the start-up", excused, err)
	}
	exceedance := func() []cases.Case { return markstest.Cases(t, st, "E1", markstest.Problem("exceedance")) }
	// The enterprise corrects the start-up to later hours: the exceedance
	// is no longer covered.
	m2, err := ms.Correct(ctx, m.ID, m.Version, Input{MN: "MN1", Type: "startup", From: h.Add(5 * time.Hour), To: h.Add(6 * time.Hour), Reason: "启炉时间更正"}, ent)
	if err != nil {
		t.Fatal(err)
	}
	cs := exceedance()
	if len(cs) != 1 || !strings.Contains(cs[0].Title, "某热电 1号锅炉排口 二氧化硫小时均值 52 mg/m³") {
		t.Fatalf("cases after the correction: %+v", cs)
	}
	evs, err := st.CaseEvents(ctx, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Action != cases.ActNote || !strings.Contains(last.Reason, "更正为第2版") ||
		!strings.Contains(last.Reason, "规则："+marking.RuleName(defaultRules(), RuleRejudged, false)) || strings.Contains(last.Reason, RuleRejudged) ||
		!strings.Contains(last.ReasonEN, "corrected to version 2") || !strings.Contains(last.Reason, "的超标数据，按生态环境部公告2022年第21号判定超标（") {
		t.Fatalf("history %+v", last)
	}
	ds, _ := st.Decisions(ctx, store.DecisionQuery{MN: "MN1"})
	if ds[0].Outcome != marking.OutcomeOpened || ds[0].Rule != RuleRejudged || ds[0].Case != cs[0].ID {
		t.Fatalf("decision %+v", ds[0])
	}
	if _, err := ms.Correct(ctx, m.ID, m2.Version, Input{MN: "MN1", Type: "startup", From: h.Add(5 * time.Hour), To: h.Add(7 * time.Hour), Reason: "再次更正"}, ent); err != nil {
		t.Fatal(err)
	}
	if n := len(exceedance()); n != 1 {
		t.Fatalf("%d exceedance cases after a second correction, want 1", n)
	}

	// Another episode excused by two marks: rejecting one leaves it
	// excused by the other.
	h2 := h.Add(10 * time.Hour)
	now = h2.Add(10 * time.Minute)
	a, err := ms.Create(ctx, Input{MN: "MN1", Type: "startup", From: h2, To: h2.Add(3 * time.Hour), Reason: "启炉"}, ent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Create(ctx, Input{MN: "MN1", Type: "eq-calibration", From: h2, To: h2.Add(3 * time.Hour), Reason: "校准"}, ent); err != nil {
		t.Fatal(err)
	}
	e.Since, e.At = h2, h2.Add(2*time.Hour)
	now = h2.Add(3 * time.Hour)
	if excused, _, err := ms.JudgeExceedance(ctx, e); err != nil || !excused {
		t.Fatalf("second episode judged %v, %v", excused, err)
	}
	city := auth.Principal{User: "c", Role: model.RoleCity, Via: "session"}
	if _, err := ms.Review(ctx, a.ID, a.Version, false, "非启炉", city); err != nil {
		t.Fatal(err)
	}
	if n := len(exceedance()); n != 1 {
		t.Fatalf("%d exceedance cases after rejecting one of two marks, want 1", n)
	}
}
