package marksvc

import (
	"context"
	"fmt"
	"strings"
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
func (s *Service) JudgeExceedance(ctx context.Context, e Exceedance) (excused bool, why Why, err error) {
	ts := e.values()
	marks, err := s.St.Marks(ctx, store.MarkQuery{MNs: []string{e.MN}, From: e.Since, To: e.At.Add(time.Second)})
	if err != nil {
		return false, Why{}, fmt.Errorf("marks of %s: %w", e.MN, err)
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
		src := r.Source(ty.Source)
		return true, Why{
			Zh: fmt.Sprintf("标记 %s（%s）排除超标判定，%s", ex.Mark, ty.Zh, marking.Basis(src.Ref)),
			En: fmt.Sprintf("mark %s (%s) excludes the exceedance judgement, under %s", ex.Mark, ty.En, r.SourceName(ty.Source, true)),
		}, nil
	}
	d.Outcome = marking.OutcomeOpened
	s.decide(ctx, d)
	from, to := e.Since.In(cst).Format("01-02 15:04"), e.At.In(cst).Format("01-02 15:04")
	// The rule is named in words; its code stays in the decision (d.Rule).
	why = Why{
		Zh: fmt.Sprintf("超标判定：%s 至 %s 的超标数据无有效数据标记（规则：%s，%s）", from, to,
			marking.RuleName(r, ex.Rule, false), marking.Basis(r.SourceName(marking.SrcMEE2022, false))),
		En: fmt.Sprintf("exceedance judged: the data over the limit from %s to %s carry no valid data mark (rule: %s; %s)", from, to,
			marking.RuleName(r, ex.Rule, true), r.SourceName(marking.SrcMEE2022, true)),
	}
	if ex.Rule == "late-mark" {
		why = Why{
			Zh: fmt.Sprintf("超标判定：覆盖该时段的标记逾期，不予排除（规则：%s，标记 %s）", marking.RuleName(r, ex.Rule, false), strings.Join(ex.Late, "、")),
			En: fmt.Sprintf("exceedance judged: the marks covering the period were made late and do not excuse it (rule: %s; marks %s)",
				marking.RuleName(r, ex.Rule, true), strings.Join(ex.Late, ", ")),
		}
	}
	return false, why, nil
}

// Why is a judgement's note in Chinese and English, written from the
// same facts.
type Why struct{ Zh, En string }

// NoteOpened writes on a case the alert rules just opened which rule
// decided it.
func (s *Service) NoteOpened(ctx context.Context, c cases.Case, why Why) {
	if s.Cases == nil || why.Zh == "" {
		return
	}
	// An extension of the episode (another factor, the next hour) gets
	// the same judgement: written once on the case, not once per finding.
	evs, err := s.St.CaseEvents(ctx, c.ID)
	if err != nil {
		s.log().Warn("marking: history of opened case", "case", c.ID, "err", err)
	} else if cases.NotedBefore(evs, why.Zh) {
		return
	}
	if _, _, err := s.Cases.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActNote, Reason: why.Zh, ReasonEN: why.En}, casesvc.AlertSystem); err != nil {
		s.log().Warn("marking: note on opened case", "case", c.ID, "err", err)
	}
}

// RuleRejudged names the decision taken when a mark that had excused an
// exceedance is rejected (or corrected) and the exceedance, judged again
// without it, is no longer excused.
const RuleRejudged = "mark-rejected"

// rejudge judges again every exceedance the marks had excused on m's
// device over m's period, now that m (its latest version) is rejected or
// changed: an episode the marks in force still excuse stays without a
// case; one they no longer excuse opens the exceedance case it would have
// opened (once per episode), whose history names the rule that decided
// (mark-rejected, the rejected mark and the review's reason) — data whose
// mark was rejected is judged like unmarked data (MEE announcement 2022
// No. 21).
func (s *Service) rejudge(ctx context.Context, m marking.Mark) {
	if s.Cases == nil {
		return
	}
	ds, err := s.St.Decisions(ctx, store.DecisionQuery{MN: m.MN, Limit: 1000})
	if err != nil {
		s.log().Warn("marking: decisions to judge again", "mark", m.ID, "err", err)
		return
	}
	r := s.rules()
	done := map[string]bool{}
	for _, d := range ds {
		if d.Outcome != marking.OutcomeExcused || d.Since.IsZero() || !d.Since.Before(m.To) || d.Until.Before(m.From) {
			continue
		}
		key := fmt.Sprintf("rejudge:%s:%s:%s:%d", d.MN, d.Factor, d.Period, d.Since.Unix())
		if done[key] {
			continue // the episode's decision is listed once per judgement
		}
		done[key] = true
		e := Exceedance{MN: d.MN, Outlet: d.Outlet, Enterprise: d.Enterprise, County: d.County, Factor: d.Factor, Period: d.Period,
			Since: d.Since, At: d.Until, Value: d.Value, Limit: d.Limit}
		marks, err := s.St.Marks(ctx, store.MarkQuery{MNs: []string{e.MN}, From: e.Since, To: e.At.Add(time.Second)})
		if err != nil {
			s.log().Warn("marking: marks to judge again", "mark", m.ID, "err", err)
			return
		}
		if ex := marking.Explain(r, e.MN, e.Factor, e.values(), marks); ex.Excused {
			continue // other marks in force still excuse it
		}
		c, err := s.openExceedance(ctx, e, key)
		if err != nil {
			continue // opened before, or logged
		}
		from, to := e.Since.In(cst).Format("01-02 15:04"), e.At.In(cst).Format("01-02 15:04")
		why := Why{
			Zh: fmt.Sprintf("重新判定：标记 %s（第%d版）已被驳回，理由：%s；%s 至 %s 的超标数据不再被有效标记排除，%s（规则：%s）。",
				m.ID, m.Version, m.ReviewReason, from, to, marking.Cite("按", r.SourceName(marking.SrcMEE2022, false), "判定超标"), marking.RuleName(r, RuleRejudged, false)),
			// The review's reason is the reviewer's words, quoted as written.
			En: fmt.Sprintf("judged again: mark %s (version %d) was rejected, reason: %s; the data over the limit from %s to %s are no longer excused by a valid mark and are judged an exceedance under %s (rule: %s).",
				m.ID, m.Version, m.ReviewReason, from, to, r.SourceName(marking.SrcMEE2022, true), marking.RuleName(r, RuleRejudged, true)),
		}
		if m.Status != marking.StatusRejected {
			why = Why{
				Zh: fmt.Sprintf("重新判定：标记 %s 更正为第%d版后不再覆盖 %s 至 %s 的超标数据，%s（规则：%s）。",
					m.ID, m.Version, from, to, marking.Cite("按", r.SourceName(marking.SrcMEE2022, false), "判定超标"), marking.RuleName(r, RuleRejudged, false)),
				En: fmt.Sprintf("judged again: mark %s, corrected to version %d, no longer covers the data over the limit from %s to %s, judged an exceedance under %s (rule: %s).",
					m.ID, m.Version, from, to, r.SourceName(marking.SrcMEE2022, true), marking.RuleName(r, RuleRejudged, true)),
			}
		}
		s.NoteOpened(ctx, c, why)
		d2 := marking.Decision{MN: e.MN, Outlet: e.Outlet, Enterprise: e.Enterprise, County: e.County, Factor: e.Factor, Period: e.Period,
			Since: e.Since, Until: e.At, Value: e.Value, Limit: e.Limit, Outcome: marking.OutcomeOpened, Rule: RuleRejudged, Mark: m.ID, Case: c.ID}
		s.decide(ctx, d2)
	}
}

// openExceedance opens the exceedance case of an episode judged again,
// once per key, with the alert rules' facts and title.
func (s *Service) openExceedance(ctx context.Context, e Exceedance, key string) (cases.Case, error) {
	n, err := s.St.NextNumber(ctx, "marking:"+key)
	if err != nil {
		s.log().Warn("marking: case counter", "key", key, "err", err)
		return cases.Case{}, err
	}
	if n > 1 {
		return cases.Case{}, fmt.Errorf("case for %s opened before", key)
	}
	f := cases.AlertFacts{MN: e.MN, Enterprise: e.Enterprise, Outlet: e.Outlet,
		Findings: []cases.Finding{{At: e.At, Rule: "exceedance", Factor: e.Factor, Period: e.Period, Value: e.Value, Limit: e.Limit}}}
	if o, ent, err := s.place(ctx, e.MN); err == nil {
		f.EnterpriseName, f.OutletName = ent.Name, o.Name
	}
	line := "air-industry"
	if strings.HasPrefix(e.Factor, "w") {
		line = "water"
	}
	c, err := s.Cases.Register(ctx, cases.Case{Source: cases.SourceOnline, Ref: key, Line: line, ProblemType: "exceedance",
		County: e.County, Enterprise: e.Enterprise, Severity: cases.SeverityMajor, Location: f.OutletName,
		Title: cases.AlertTitle(&f, "zh"), Alert: &f}, casesvc.AlertSystem)
	if err != nil {
		s.log().Warn("marking: cannot open a case", "key", key, "err", err)
	}
	return c, err
}
