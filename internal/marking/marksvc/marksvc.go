// Package marksvc runs the data-marking rules (internal/marking) on the
// store: enterprises mark their data through it (the desk and the API),
// the bureau reviews the marks, the alert rules ask it whether an
// exceedance is excused before a case opens, and it computes the effective
// transmission rates and opens the cases of outlets below the threshold.
//
// Authority comes from the caller's session (auth.Principal), never from
// the request: the device's outlet, enterprise and county are looked up in
// the registry, and an enterprise marks only its own devices.
package marksvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Errors of the service.
var (
	// ErrForbidden: the caller may not do this (not an enterprise, not its
	// device, not the bureau).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: no such device or mark in the caller's scope.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the mark changed meanwhile (a newer version exists).
	ErrConflict = errors.New("conflict")
)

// Running reports when an enterprise's production was seen running in
// [from, to) (electricity sub-meters): a "stopped" or "maintenance" mark
// over such a time is false.
type Running func(ctx context.Context, enterprise string, from, to time.Time) ([]time.Time, error)

// Service is the marking on a store.
type Service struct {
	St    store.Store
	Cases *casesvc.Service
	// Rules is the rule set in force (zero: marking.DefaultRules).
	Rules *marking.RuleSet
	// Threshold is the effective transmission rate below which an outlet
	// opens a case (0: marking.DefaultThreshold).
	Threshold float64
	Running   Running
	Now       func() time.Time
	Log       *slog.Logger

	cache rateCache // the rates' day counts (ratecache.go)
}

func (s *Service) rules() *marking.RuleSet {
	if s.Rules == nil {
		// Not stored in s: concurrent requests would race on the write.
		return defaultRules()
	}
	return s.Rules
}

// defaultRules is marking.DefaultRules, built once.
var defaultRules = sync.OnceValue(func() *marking.RuleSet {
	r := marking.DefaultRules()
	return &r
})

// RuleSet returns the rules in force.
func (s *Service) RuleSet() *marking.RuleSet { return s.rules() }

func (s *Service) threshold() float64 {
	if s.Threshold > 0 {
		return s.Threshold
	}
	return marking.DefaultThreshold
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Input is what the enterprise says in a mark; everything else comes from
// the session and the registry.
type Input struct {
	MN       string    `json:"mn"`
	Type     string    `json:"type"`
	Factor   string    `json:"factor,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Reason   string    `json:"reason"`
	Evidence []string  `json:"evidence,omitempty"`
}

// place finds a device's outlet and enterprise.
func (s *Service) place(ctx context.Context, mn string) (model.Outlet, model.Enterprise, error) {
	reg, err := s.St.Registry(ctx)
	if err != nil {
		return model.Outlet{}, model.Enterprise{}, err
	}
	var outlet string
	for _, d := range reg.Devices {
		if d.MN == mn {
			outlet = d.Outlet
		}
	}
	for _, o := range reg.Outlets {
		if o.ID == outlet && outlet != "" {
			for _, e := range reg.Enterprises {
				if e.USCC == o.Enterprise {
					return o, e, nil
				}
			}
		}
	}
	return model.Outlet{}, model.Enterprise{}, fmt.Errorf("device %s: %w", mn, ErrNotFound)
}

func (s *Service) build(ctx context.Context, in Input, p auth.Principal) (marking.Mark, error) {
	if p.Role != model.RoleEnterprise || p.Enterprise == "" {
		return marking.Mark{}, fmt.Errorf("only an enterprise marks its data: %w", ErrForbidden)
	}
	o, e, err := s.place(ctx, in.MN)
	if err != nil {
		return marking.Mark{}, err
	}
	if e.USCC != p.Enterprise {
		// Another enterprise's device: as if it did not exist.
		return marking.Mark{}, fmt.Errorf("device %s: %w", in.MN, ErrNotFound)
	}
	if s.Cases != nil {
		for _, h := range in.Evidence {
			a, err := s.St.Attachment(ctx, h)
			if err != nil {
				return marking.Mark{}, fmt.Errorf("%w: attachment %s: upload it first", marking.ErrInvalid, h)
			}
			if ok, err := s.Cases.UploadedBy(ctx, a, p.User); err != nil || !ok {
				return marking.Mark{}, fmt.Errorf("%w: attachment %s was not uploaded by you", marking.ErrInvalid, h)
			}
		}
	}
	return marking.Mark{MN: in.MN, Outlet: o.ID, Enterprise: e.USCC, County: e.County, Industry: marking.IndustryOf(e.Industry),
		Type: in.Type, Factor: in.Factor, From: in.From.UTC(), To: in.To.UTC(), Reason: strings.TrimSpace(in.Reason),
		Evidence: slices.Clone(in.Evidence), By: p.User}, nil
}

// Create records a new mark of the caller's enterprise and reacts to it:
// a late mark opens a case; a mark in time is noted on the open
// exceedance cases it explains; a "stopped" or "maintenance" mark while
// production ran opens a case.
func (s *Service) Create(ctx context.Context, in Input, p auth.Principal) (marking.Mark, error) {
	m, err := s.build(ctx, in, p)
	if err != nil {
		return m, err
	}
	now := s.now()
	m.At, m.MarkedAt, m.Version = now, now, 1
	if err := marking.Check(&m, s.rules(), now); err != nil {
		return m, err
	}
	n, err := s.St.NextNumber(ctx, "mark:"+now.In(cst).Format("2006"))
	if err != nil {
		return m, err
	}
	m.ID = fmt.Sprintf("BJ%s%06d", now.In(cst).Format("2006"), n)
	if err := s.St.PutMark(ctx, m); err != nil {
		return m, err
	}
	s.forgetMark(m)
	s.audit(ctx, p, "mark.create", m)
	s.react(ctx, m)
	return m, nil
}

// Correct records the next version of the caller's mark (a correction is
// never an edit): its period, type and reason may change; lateness stays
// judged by the first version's time.
func (s *Service) Correct(ctx context.Context, id string, version int, in Input, p auth.Principal) (marking.Mark, error) {
	cur, err := s.latest(ctx, id, p)
	if err != nil {
		return cur, err
	}
	if cur.Version != version {
		return cur, fmt.Errorf("mark %s is at version %d, not %d: %w", id, cur.Version, version, ErrConflict)
	}
	m, err := s.build(ctx, in, p)
	if err != nil {
		return m, err
	}
	now := s.now()
	m.ID, m.Version, m.At, m.MarkedAt = id, version+1, now, cur.MarkedAt
	if err := marking.Check(&m, s.rules(), now); err != nil {
		return m, err
	}
	if err := s.St.PutMark(ctx, m); err != nil {
		if errors.Is(err, store.ErrVersionTaken) {
			return m, fmt.Errorf("%w: %w", ErrConflict, err)
		}
		return m, err
	}
	s.forgetMark(cur, m)
	s.audit(ctx, p, "mark.correct", m)
	s.react(ctx, m)
	// What the first version excused over its period is judged again:
	// the correction may no longer cover it.
	old := cur
	old.From, old.To = minTime(cur.From, m.From), maxTime(cur.To, m.To)
	old.Version, old.Status = m.Version, m.Status
	s.rejudge(ctx, old)
	return m, nil
}

// Review records the bureau's decision on a mark's latest version as the
// next version: accepted, or rejected with a reason (a rejected mark
// excuses nothing).
func (s *Service) Review(ctx context.Context, id string, version int, accept bool, reason string, p auth.Principal) (marking.Mark, error) {
	if p.Role != model.RoleCity && p.Role != model.RoleCounty {
		return marking.Mark{}, fmt.Errorf("only the bureau reviews marks: %w", ErrForbidden)
	}
	cur, err := s.latest(ctx, id, p)
	if err != nil {
		return cur, err
	}
	if cur.Version != version {
		return cur, fmt.Errorf("mark %s is at version %d, not %d: %w", id, cur.Version, version, ErrConflict)
	}
	reason = strings.TrimSpace(reason)
	if !accept && reason == "" {
		return cur, fmt.Errorf("%w: a rejection needs a reason", marking.ErrInvalid)
	}
	m := cur
	m.Version, m.At = version+1, s.now()
	m.Status, m.ReviewBy, m.ReviewAt, m.ReviewReason = marking.StatusAccepted, p.User, m.At, reason
	if !accept {
		m.Status = marking.StatusRejected
	}
	if err := s.St.PutMark(ctx, m); err != nil {
		if errors.Is(err, store.ErrVersionTaken) {
			return m, fmt.Errorf("%w: %w", ErrConflict, err)
		}
		return m, err
	}
	s.forgetMark(m)
	s.audit(ctx, p, "mark.review", m)
	if m.Status == marking.StatusRejected {
		s.rejudge(ctx, m) // the exceedances it excused are judged again
	}
	return m, nil
}

func (s *Service) latest(ctx context.Context, id string, p auth.Principal) (marking.Mark, error) {
	vs, err := s.History(ctx, id, p)
	if err != nil {
		return marking.Mark{}, err
	}
	return vs[len(vs)-1], nil
}

// History returns every version of a mark in the caller's scope.
func (s *Service) History(ctx context.Context, id string, p auth.Principal) ([]marking.Mark, error) {
	vs, err := s.St.MarkVersions(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("mark %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	last := vs[len(vs)-1]
	if !auth.ScopeOf(p).Sees(last.County, last.Enterprise) {
		return nil, fmt.Errorf("mark %s: %w", id, ErrNotFound)
	}
	return vs, nil
}

// List returns the latest versions of the marks in the caller's scope.
func (s *Service) List(ctx context.Context, q store.MarkQuery, p auth.Principal) ([]marking.Mark, error) {
	if !auth.ScopeOf(p).Narrow(&q.County, &q.Enterprise) {
		return nil, nil
	}
	return s.St.Marks(ctx, q)
}

// Decisions returns the decisions in the caller's scope, newest first.
func (s *Service) Decisions(ctx context.Context, q store.DecisionQuery, p auth.Principal) ([]marking.Decision, error) {
	if !auth.ScopeOf(p).Narrow(&q.County, &q.Enterprise) {
		return nil, nil
	}
	return s.St.Decisions(ctx, q)
}

func (s *Service) audit(ctx context.Context, p auth.Principal, action string, m marking.Mark) {
	err := s.St.AppendAudit(ctx, model.AuditRecord{At: m.At, Actor: p.User, Role: p.Role, Action: action,
		Target: fmt.Sprintf("mark/%s/%d", m.ID, m.Version)})
	if err != nil {
		s.log().Warn("marking: audit", "mark", m.ID, "err", err)
	}
}

func (s *Service) decide(ctx context.Context, d marking.Decision) {
	d.Rules = s.rules().Version
	if d.At.IsZero() {
		d.At = s.now()
	}
	if err := s.St.PutDecision(ctx, d); err != nil {
		s.log().Warn("marking: cannot record a decision", "outcome", d.Outcome, "err", err)
	}
}

// react opens the cases a new mark (version) calls for and notes it on
// the open exceedance cases it explains.
func (s *Service) react(ctx context.Context, m marking.Mark) {
	if s.Cases == nil {
		return
	}
	r := s.rules()
	ty, _ := r.Type(m.Type)
	base := marking.Decision{MN: m.MN, Outlet: m.Outlet, Enterprise: m.Enterprise, County: m.County, Factor: m.Factor,
		Since: m.From, Until: m.To, Mark: m.ID}
	if m.Late && m.Version == 1 {
		d := base
		d.Outcome, d.Rule = marking.OutcomeLate, "late-mark"
		title := fmt.Sprintf("%s 数据标记逾期：%s（%s 起，应于 %s 前标记，实际 %s 标记）", s.outletName(ctx, m), ty.Zh,
			m.From.In(cst).Format("01-02 15:04"), marking.DueBy(r, m.From).In(cst).Format("01-02 15:04"), m.MarkedAt.In(cst).Format("01-02 15:04"))
		if c, err := s.openCase(ctx, m, "mark-late", "mark-late:"+m.ID, title); err == nil {
			d.Case = c.ID
		}
		s.decide(ctx, d)
	}
	if ty.Production && s.Running != nil && m.Status != marking.StatusRejected {
		run, err := s.Running(ctx, m.Enterprise, m.From, m.To)
		if err != nil {
			s.log().Warn("marking: production meters", "err", err)
		} else if bad, at := marking.FalseStop(r, &m, run); bad {
			d := base
			d.Outcome, d.Rule = marking.OutcomeFalseStop, "false-stop"
			title := fmt.Sprintf("%s 疑似虚假标记：标记为%s，但分表计电显示 %s 生产设施运行", s.outletName(ctx, m), ty.Zh, at.In(cst).Format("01-02 15:04"))
			if c, err := s.openCase(ctx, m, "mark-false", fmt.Sprintf("mark-false:%s:%d", m.ID, m.Version), title); err == nil {
				d.Case = c.ID
			}
			s.decide(ctx, d)
		}
	}
	if m.Late || ty.Effect == marking.EffectRecord {
		return
	}
	// Note the mark on the open exceedance cases of the outlet whose
	// findings it covers.
	open, err := s.St.Cases(ctx, store.CaseQuery{Enterprise: m.Enterprise, Source: cases.SourceOnline, Limit: 200})
	if err != nil {
		s.log().Warn("marking: open cases", "err", err)
		return
	}
	for _, c := range open {
		if !c.State.Open() || c.Alert == nil || c.Alert.Outlet != m.Outlet || c.ProblemType != "exceedance" {
			continue
		}
		covered := false
		for _, f := range c.Alert.Findings {
			if m.Covers(f.At, f.Factor) {
				covered = true
			}
		}
		if !covered {
			continue
		}
		from, to := m.From.In(cst).Format("01-02 15:04"), m.To.In(cst).Format("01-02 15:04")
		// The enterprise's reason is its own words, quoted as written.
		note := Why{
			Zh: fmt.Sprintf("企业数据标记 %s（第%d版）：%s，%s 至 %s，理由：%s。%s，标记期间数据%s（规则：%s）。",
				m.ID, m.Version, ty.Zh, from, to, m.Reason, marking.Basis(r.SourceName(ty.Source, false)), marking.EffectWords(ty.Effect, false), marking.RuleName(r, "mark:"+ty.Code, false)),
			En: fmt.Sprintf("data mark %s (version %d) by the enterprise: %s, %s to %s, reason: %s. Under %s the data of the marked period %s (rule: %s).",
				m.ID, m.Version, ty.En, from, to, m.Reason, r.SourceName(ty.Source, true), marking.EffectWords(ty.Effect, true), marking.RuleName(r, "mark:"+ty.Code, true)),
		}
		if _, _, err := s.Cases.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActNote, Reason: note.Zh, ReasonEN: note.En}, casesvc.AlertSystem); err != nil {
			s.log().Warn("marking: note on case", "case", c.ID, "err", err)
			continue
		}
		d := base
		d.Outcome, d.Rule, d.Case = marking.OutcomeAnnotated, "mark:"+ty.Code, c.ID
		s.decide(ctx, d)
	}
}

func (s *Service) outletName(ctx context.Context, m marking.Mark) string {
	o, e, err := s.place(ctx, m.MN)
	if err != nil {
		return m.Outlet
	}
	return e.Name + " " + o.Name
}

// openCase opens a case once per key (a store counter), for the county's
// staff, against the enterprise.
func (s *Service) openCase(ctx context.Context, m marking.Mark, problem, key, title string) (cases.Case, error) {
	n, err := s.St.NextNumber(ctx, "marking:"+key)
	if err != nil {
		return cases.Case{}, err
	}
	if n > 1 {
		return cases.Case{}, fmt.Errorf("case for %s opened before", key)
	}
	c, err := s.Cases.Register(ctx, cases.Case{Source: cases.SourceOnline, Ref: key, Line: "air-industry", ProblemType: problem,
		County: m.County, Enterprise: m.Enterprise, Severity: cases.SeverityMajor, Title: title,
		Description: fmt.Sprintf("标记 %s 第%d版；理由：%s", m.ID, m.Version, m.Reason)}, casesvc.AlertSystem)
	if err != nil {
		s.log().Warn("marking: cannot open a case", "key", key, "err", err)
	}
	return c, err
}

var cst = time.FixedZone("CST", 8*3600)
