package alertsvc

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/marking/markstest"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// Exceedance judgement uses the enterprise's marks: a start-up marked in
// time opens no case; an unmarked exceedance opens one that names the
// rule, and a mark in time is then noted on it; a late mark excuses
// nothing and opens a case of its own. The notes cite their document
// without a space between Han characters (hanSpace).
func TestMarksJudgeExceedance(t *testing.T) { storetest.Each(t, testMarksJudgeExceedance) }

// hanSpace is a space the notes once wrote around a Chinese document
// number: 依据 执法函…, 按 生态环境部公告… 判定超标.
var hanSpace = regexp.MustCompile(`(依据|按) \p{Han}|\p{Han} 判定`)

func testMarksJudgeExceedance(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	st := newStore(t, backend)
	base := time.Now().Truncate(time.Hour).Add(-72 * time.Hour)
	now := base
	clock := func() time.Time { return now }
	cw := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: clock}
	ms := &marksvc.Service{St: st, Cases: cw, Now: clock}
	s := New(st, cw, Config{Marks: ms, Now: clock})
	if err := s.rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	s.replay(ctx)
	ent := markstest.EnterpriseUser("ent-user", tEnt, tCounty)
	commit := func(h time.Time, zs string) {
		now = h.Add(time.Hour)
		enqueue(t, st, s, hourUpload(h, zs), now)
		s.drain(ctx)
	}
	exceedCases := func() []cases.Case { return markstest.Cases(t, st, tEnt, nil) }

	// 1. A start-up marked during its first hour: the three hours over the
	// limit open no case.
	h0 := base
	commit(h0, "50")
	m, err := ms.Create(ctx, marksvc.Input{MN: tMN, Type: "startup", From: h0, To: h0.Add(3 * time.Hour), Reason: "1号锅炉冷态启炉"}, ent)
	if err != nil || m.Late {
		t.Fatalf("mark: %v late=%v", err, m.Late)
	}
	commit(h0.Add(time.Hour), "51")
	commit(h0.Add(2*time.Hour), "52")
	commit(h0.Add(3*time.Hour), "10") // back under the limit
	if cs := exceedCases(); len(cs) != 0 {
		t.Fatalf("a marked start-up opened cases: %+v", cs)
	}
	if s.Stats().Excused != 1 {
		t.Fatalf("stats %+v, want 1 excused", s.Stats())
	}
	ds, _ := st.Decisions(ctx, store.DecisionQuery{Enterprise: tEnt})
	if len(ds) != 1 || ds[0].Outcome != marking.OutcomeExcused || ds[0].Rule != "mark:startup" || ds[0].Mark != m.ID {
		t.Fatalf("decisions %+v", ds)
	}

	// 2. An unmarked episode: the case opens and its history names the
	// rule; a mark within the time limit is then noted on it.
	h1 := h0.Add(12 * time.Hour)
	for i := range 3 {
		commit(h1.Add(time.Duration(i)*time.Hour), "60")
	}
	commit(h1.Add(3*time.Hour), "10")
	cs := exceedCases()
	if len(cs) != 1 || cs[0].ProblemType != "exceedance" {
		t.Fatalf("cases %+v", cs)
	}
	evs, err := st.CaseEvents(ctx, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// The note names the rule in words in both languages; the stable
	// code stays in the decision (for machines), not in the text.
	if last := evs[len(evs)-1]; last.Action != cases.ActNote || !strings.Contains(last.Reason, "规则：未标记") ||
		!strings.Contains(last.ReasonEN, "rule: not marked") || !strings.Contains(last.ReasonEN, "MEE Announcement No. 21 of 2022") ||
		strings.Contains(last.Reason, "no-mark") || strings.Contains(last.ReasonEN, "no-mark") {
		t.Fatalf("the opened case does not say which rule decided in both languages: %+v", last)
	}
	if _, err := ms.Create(ctx, marksvc.Input{MN: tMN, Type: "shutdown", From: h1, To: h1.Add(3 * time.Hour), Reason: "停炉检修前降负荷"}, ent); err != nil {
		t.Fatal(err)
	}
	evs, _ = st.CaseEvents(ctx, cs[0].ID)
	if last := evs[len(evs)-1]; last.Action != cases.ActNote || !strings.Contains(last.Reason, "规则：标记：停炉（停机）") ||
		!strings.Contains(last.ReasonEN, "rule: mark: Shut-down") || strings.Contains(last.Reason, "mark:shutdown") ||
		!strings.Contains(last.Reason, "依据执法函〔2020〕21号，") || hanSpace.MatchString(last.Reason) {
		t.Fatalf("a mark in time was not noted on the open case: %+v", last)
	}

	// 3. A late mark (more than the time limit after the period's start)
	// excuses nothing and opens a case.
	h2 := h1.Add(12 * time.Hour)
	for i := range 3 {
		commit(h2.Add(time.Duration(i)*time.Hour), "70")
	}
	commit(h2.Add(3*time.Hour), "10")
	now = h2.Add(25 * time.Hour)
	lm, err := ms.Create(ctx, marksvc.Input{MN: tMN, Type: "startup", From: h2, To: h2.Add(3 * time.Hour), Reason: "补标启炉"}, ent)
	if err != nil || !lm.Late {
		t.Fatalf("late mark: %v late=%v", err, lm.Late)
	}
	var late int
	for _, c := range exceedCases() {
		if c.ProblemType == "mark-late" {
			late++
		}
	}
	if late != 1 {
		t.Fatalf("%d late-mark cases, want 1", late)
	}

	// The enterprise's marks are its own: another enterprise's device is
	// as if it did not exist; the county reviews, the enterprise may not.
	other := markstest.EnterpriseUser("x", "91371500MA3C0000XX", "")
	if _, err := ms.Create(ctx, marksvc.Input{MN: tMN, Type: "startup", From: h2, To: h2.Add(time.Hour), Reason: "别人的设备"}, other); err == nil {
		t.Fatal("another enterprise marked this device")
	}
	if _, err := ms.Review(ctx, m.ID, m.Version, true, "", ent); err == nil {
		t.Fatal("the enterprise reviewed its own mark")
	}
	county := auth.Principal{User: "c", Role: model.RoleCounty, County: tCounty, Via: "session"}
	rv, err := ms.Review(ctx, m.ID, m.Version, false, "电量数据显示生产正常，非启炉", county)
	if err != nil || rv.Version != 2 || rv.Status != marking.StatusRejected {
		t.Fatalf("review: %+v %v", rv, err)
	}
	hist, _ := ms.History(ctx, m.ID, county)
	if len(hist) != 2 || hist[0].Status != marking.StatusPending {
		t.Fatalf("history %+v", hist)
	}

	// 4. The rejection judges the start-up's exceedance again: no mark in
	// force excuses it now, so its case opens, and its history names the
	// rule that decided and the rejected mark.
	var rejudged []cases.Case
	for _, c := range exceedCases() {
		if c.ProblemType == "exceedance" && c.Alert != nil && c.Alert.Findings[0].At.Equal(h0.Add(2*time.Hour)) {
			rejudged = append(rejudged, c)
		}
	}
	if len(rejudged) != 1 || !strings.Contains(rejudged[0].Title, "二氧化硫小时均值 52 mg/m³") {
		t.Fatalf("cases of the start-up's exceedance after the rejection: %+v", rejudged)
	}
	evs, _ = st.CaseEvents(ctx, rejudged[0].ID)
	if last := evs[len(evs)-1]; last.Action != cases.ActNote || !strings.Contains(last.Reason, "规则：标记被驳回或更正") ||
		!strings.Contains(last.ReasonEN, "rule: mark rejected or corrected") || !strings.Contains(last.Reason, m.ID) || !strings.Contains(last.Reason, "电量数据显示生产正常") ||
		!strings.Contains(last.Reason, "按生态环境部公告2022年第21号判定超标") || hanSpace.MatchString(last.Reason) {
		t.Fatalf("the re-judged case does not say which rule decided: %+v", last)
	}
	ds, _ = st.Decisions(ctx, store.DecisionQuery{Enterprise: tEnt})
	if ds[0].Outcome != marking.OutcomeOpened || ds[0].Rule != marksvc.RuleRejudged || ds[0].Mark != m.ID || ds[0].Case != rejudged[0].ID {
		t.Fatalf("latest decision %+v", ds[0])
	}
	// Judged once: the shut-down mark of episode 2, rejected too, excused
	// nothing (its case was open already) and opens nothing.
	n := len(exceedCases())
	sd, _ := ms.List(ctx, store.MarkQuery{MNs: []string{tMN}}, county)
	for _, x := range sd {
		if x.Type == "shutdown" {
			if _, err := ms.Review(ctx, x.ID, x.Version, false, "停炉时段与用电数据不符", county); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := len(exceedCases()); got != n {
		t.Fatalf("%d cases after rejecting a mark that excused nothing, want %d", got, n)
	}
}
