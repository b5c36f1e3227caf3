package marksvc

import (
	"context"
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Exceedance is an exceedance episode about to open a case.
type Exceedance struct {
	MN, Outlet, Enterprise, County string
	Factor, Period                 string // model.PeriodHour or model.PeriodDay
	Since, At                      time.Time
	Value, Limit                   float64
}

// values lists the data times of the episode's exceeding values: every
// hour (day) from Since to At.
func (e Exceedance) values() []time.Time {
	step := time.Hour
	if e.Period == model.PeriodDay {
		step = 24 * time.Hour
	}
	var ts []time.Time
	for t := e.Since; !t.After(e.At) && len(ts) < 1000; t = t.Add(step) {
		ts = append(ts, t)
	}
	return ts
}

// JudgeExceedance decides whether an exceedance episode opens a case:
// excused (no case) when marks in force exclude every exceeding value from
// judgement. The decision is recorded either way; why names the rule.
func (s *Service) JudgeExceedance(ctx context.Context, e Exceedance) (excused bool, why string, err error) {
	ts := e.values()
	marks, err := s.St.Marks(ctx, store.MarkQuery{MNs: []string{e.MN}, From: e.Since, To: e.At.Add(time.Second)})
	if err != nil {
		return false, "", fmt.Errorf("marks of %s: %w", e.MN, err)
	}
	r := s.rules()
	ex := marking.Explain(r, e.MN, e.Factor, ts, marks)
	d := marking.Decision{At: e.At, MN: e.MN, Outlet: e.Outlet, Enterprise: e.Enterprise, County: e.County, Factor: e.Factor,
		Period: e.Period, Since: e.Since, Until: e.At, Value: e.Value, Limit: e.Limit, Rule: ex.Rule, Mark: ex.Mark}
	if ex.Excused {
		d.Outcome = marking.OutcomeExcused
		s.decide(ctx, d)
		var ty marking.Type
		for _, m := range marks {
			if m.ID == ex.Mark {
				ty, _ = r.Type(m.Type)
			}
		}
		return true, fmt.Sprintf("标记 %s（%s）排除超标判定，规则 %s，依据 %s", ex.Mark, ty.Zh, ex.Rule, r.Source(ty.Source).Ref), nil
	}
	d.Outcome = marking.OutcomeOpened
	s.decide(ctx, d)
	why = fmt.Sprintf("超标判定：%s 至 %s 的超标数据无有效数据标记（规则 %s，%s）", e.Since.In(cst).Format("01-02 15:04"),
		e.At.In(cst).Format("01-02 15:04"), ex.Rule, r.Source(marking.SrcMEE2022).Ref)
	if ex.Rule == "late-mark" {
		why = fmt.Sprintf("超标判定：覆盖该时段的标记逾期，不予排除（规则 late-mark，标记 %v）", ex.Late)
	}
	return false, why, nil
}

// NoteOpened writes on a case the alert rules just opened which rule
// decided it.
func (s *Service) NoteOpened(ctx context.Context, c cases.Case, why string) {
	if s.Cases == nil || why == "" {
		return
	}
	if _, _, err := s.Cases.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActNote, Reason: why}, casesvc.AlertSystem); err != nil {
		s.log().Warn("marking: note on opened case", "case", c.ID, "err", err)
	}
}
