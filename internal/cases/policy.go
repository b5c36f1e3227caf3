package cases

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Policy is one row of the deadline policy table (期限规则): the stage
// deadlines of a kind of case, how far it may be extended and its
// escalation ladder. It maps to a policies table (the ladder to a child
// table, one row per Rung). Days are calendar days counted as DueAfter does;
// zero means no deadline for that stage.
type Policy struct {
	Name              string `json:"name" yaml:"name"`
	AcceptDays        int    `json:"accept_days" yaml:"accept_days"`                 // registered → accepted or rejected
	AssignDays        int    `json:"assign_days" yaml:"assign_days"`                 // accepted → assigned
	CloseDays         int    `json:"close_days" yaml:"close_days"`                   // acceptance (or reopening) → closed: the case's Due
	VerifyDays        int    `json:"verify_days" yaml:"verify_days"`                 // submitted → closed
	MaxExtensionDays  int    `json:"max_extension_days" yaml:"max_extension_days"`   // total per cycle; 0: no extension
	ExtensionLeadDays int    `json:"extension_lead_days" yaml:"extension_lead_days"` // a request must come this long before Due
	Ladder            []Rung `json:"ladder" yaml:"ladder"`
}

// Level is a step of the escalation ladder.
type Level string

// Escalation levels, mildest first (rights-cases-accountability.md §2.3,
// §3.2).
const (
	LevelReminder Level = "reminder" // 提醒 / 催办
	LevelNotice   Level = "notice"   // 督办 (a numbered 督办函)
	LevelListed   Level = "listed"   // 挂牌督办
	LevelSummons  Level = "summons"  // 约谈
)

// Levels lists the levels, mildest first.
func Levels() []Level { return []Level{LevelReminder, LevelNotice, LevelListed, LevelSummons} }

func (l Level) valid() bool {
	for _, x := range Levels() {
		if l == x {
			return true
		}
	}
	return false
}

// Rung is one step of a ladder: Level becomes due OffsetDays after the
// case's deadline (negative: before it, as a reminder). DocPrefix, when not
// empty, means the step is a numbered document with that prefix, e.g. 聊环督.
type Rung struct {
	Level      Level  `json:"level" yaml:"level"`
	OffsetDays int    `json:"offset_days" yaml:"offset_days"`
	DocPrefix  string `json:"doc_prefix,omitempty" yaml:"doc_prefix,omitempty"`
}

// Policy names of DefaultPolicies.
const (
	Policy12369   = "12369"
	PolicyDefault = "default"
	PolicyListed  = "listed"
)

// DefaultPolicies is the default policy table.
//
//   - 12369: petitions. Acceptance decided within 15 days, closed within 60
//     days of acceptance, extendable once approved by at most 30 days
//     (环境保护部令第15号 《环保举报热线工作管理办法》 and the Fujian 12369
//     rules that mirror it; rights-cases-accountability.md §2.1).
//   - listed: 挂牌督办 of an enterprise case: at most 6 months, an extension
//     requested at least a month before the deadline, at most 6 months more
//     (Anhui 2021 rules, §2.3). Months are taken as 30 days.
//   - default: every other source. These limits are our choice (a campaign
//     variant in §2.1 accepts within 2 working days and closes within 30),
//     to be set by the bureau.
//
// The ladders are our proposal (§3.2 gives the order, not the offsets):
// a reminder 7 days before the deadline, a numbered 督办 notice when it is
// missed, 挂牌督办 30 days later, 约谈 at 60 days late.
func DefaultPolicies() map[string]Policy {
	ladder := func() []Rung {
		return []Rung{
			{LevelReminder, -7, ""},
			{LevelNotice, 0, "聊环督"},
			{LevelListed, 30, "聊环挂督"},
			{LevelSummons, 60, ""},
		}
	}
	return map[string]Policy{
		Policy12369:   {Name: Policy12369, AcceptDays: 15, CloseDays: 60, MaxExtensionDays: 30, Ladder: ladder()},
		PolicyDefault: {Name: PolicyDefault, AcceptDays: 3, AssignDays: 2, CloseDays: 30, VerifyDays: 7, MaxExtensionDays: 30, Ladder: ladder()},
		PolicyListed: {Name: PolicyListed, AcceptDays: 3, AssignDays: 2, CloseDays: 180, VerifyDays: 15,
			MaxExtensionDays: 180, ExtensionLeadDays: 30,
			Ladder: []Rung{{LevelReminder, -30, ""}, {LevelNotice, 0, "聊环督"}, {LevelSummons, 30, ""}}},
	}
}

// DefaultSourcePolicies maps each source to the policy a new case gets when
// it names none.
func DefaultSourcePolicies() map[Source]string {
	m := map[Source]string{}
	for _, s := range Sources() {
		m[s] = PolicyDefault
	}
	m[SourcePetition] = Policy12369
	return m
}

// cst is China Standard Time; deadlines are counted in local calendar days.
func cst() *time.Location { return chinatime.Zone }

// DueAfter is the deadline of a period of days starting at `at`: the day of
// `at` is not counted, the period starts the next day, and its last day ends
// at 24:00 China Standard Time (民法典 第二百零一条、第二百零三条). So a
// petition received on 1 March at 10:00 with 15 days to accept must be
// accepted before 17 March 00:00. A last day falling on a public holiday is
// NOT moved to the next working day here: that needs the holiday calendar,
// which the caller may apply. days <= 0 returns the zero time.
func DueAfter(at time.Time, days int) time.Time {
	if days <= 0 || at.IsZero() {
		return time.Time{}
	}
	loc := cst()
	y, m, d := at.In(loc).Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, loc)
}

// StageDue is the deadline of the stage the case is in, and whether it has
// one. Assigned and rectifying cases are due at the case's Due; submitted and
// verifying ones at the verification deadline when the policy sets one.
func StageDue(c Case, p Policy) (time.Time, bool) {
	var t time.Time
	switch c.State {
	case StateRegistered:
		t = DueAfter(c.CreatedAt, p.AcceptDays)
	case StateAccepted:
		t = DueAfter(c.AcceptedAt, p.AssignDays)
		if t.IsZero() {
			t = c.Due
		}
	case StateAssigned, StateRectifying:
		t = c.Due
	case StateSubmitted, StateVerifying:
		t = DueAfter(c.SubmittedAt, p.VerifyDays)
		if t.IsZero() {
			t = c.Due
		}
	}
	return t, !t.IsZero()
}

// Lateness tells whether an open case is overdue (OVERDUE is derived, never
// stored).
type Lateness struct {
	Overdue bool          `json:"overdue"`
	Stage   bool          `json:"stage"` // the stage deadline is missed
	Case    bool          `json:"case"`  // the closure deadline Due is missed
	Due     time.Time     `json:"due"`   // the earliest deadline missed, or the next one
	By      time.Duration `json:"by"`    // how late (0 when not late)
}

// Overdue derives lateness at now. A deadline is missed from its instant on:
// a case due at 17 March 00:00 is on time at 16 March 23:59:59 and late at
// 17 March 00:00. Closed and rejected cases are never overdue (use OnTime).
func Overdue(c Case, p Policy, now time.Time) Lateness {
	var l Lateness
	if !c.State.Open() {
		return l
	}
	stage, hasStage := StageDue(c, p)
	if hasStage && !now.Before(stage) {
		l.Stage = true
	}
	if !c.Due.IsZero() && !now.Before(c.Due) {
		l.Case = true
	}
	switch {
	case l.Stage && l.Case:
		l.Due = minTime(stage, c.Due)
	case l.Stage:
		l.Due = stage
	case l.Case:
		l.Due = c.Due
	case hasStage:
		l.Due = stage
	default:
		l.Due = c.Due
	}
	l.Overdue = l.Stage || l.Case
	if l.Overdue {
		l.By = now.Sub(l.Due)
	}
	return l
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// OnTime reports whether a closed case was closed before its Due (a case
// with no Due counts as on time). It is false for a case that is not closed.
func OnTime(c Case) bool {
	if c.State != StateClosed {
		return false
	}
	return c.Due.IsZero() || c.ClosedAt.Before(c.Due)
}

// Escalation is a step of the ladder that is due for a case and not yet
// issued in its current cycle.
type Escalation struct {
	Case      string    `json:"case"`
	Level     Level     `json:"level"`
	DueAt     time.Time `json:"due_at"`               // when the step became due
	DocPrefix string    `json:"doc_prefix,omitempty"` // needs a numbered document (see DocNumber)
	Cycle     int       `json:"cycle"`
}

// Escalations returns the steps of the policy's ladder that are due at now
// and not yet issued in the case's current cycle, mildest first. It changes
// nothing: calling it again before the steps are recorded (ActEscalate)
// returns the same steps, and after they are recorded it returns none, so a
// timer may call it as often as it likes. The ladder counts from the case's
// Due, or from the stage deadline while there is no Due yet; a closed or
// rejected case escalates no further.
func Escalations(c Case, p Policy, now time.Time) []Escalation {
	if !c.State.Open() {
		return nil
	}
	anchor := c.Due
	if anchor.IsZero() {
		var ok bool
		if anchor, ok = StageDue(c, p); !ok {
			return nil
		}
	}
	var out []Escalation
	for _, r := range p.Ladder {
		at := anchor.AddDate(0, 0, r.OffsetDays)
		if now.Before(at) || issued(c, r.Level) {
			continue
		}
		out = append(out, Escalation{Case: c.ID, Level: r.Level, DueAt: at, DocPrefix: r.DocPrefix, Cycle: c.Cycle})
	}
	return out
}

func issued(c Case, l Level) bool {
	for _, x := range c.Escalations {
		if x.Level == l && x.Cycle == c.Cycle {
			return true
		}
	}
	return false
}

// DocNumber formats an official document number (发文字号) from its prefix,
// year and sequence: DocNumber("聊环督", 2026, 12) = "聊环督〔2026〕12号". The
// year is in hexagonal brackets 〔〕 and the sequence has no leading zeros
// (GB/T 9704-2012 §7.2.3). The sequence is kept by the store, per prefix and
// year.
func DocNumber(prefix string, year, seq int) (string, error) {
	if prefix == "" || strings.ContainsAny(prefix, "〔〕") {
		return "", fmt.Errorf("cases: document prefix %q: %w", prefix, ErrInvalid)
	}
	if year < 1000 || year > 9999 {
		return "", fmt.Errorf("cases: document year %d: %w", year, ErrInvalid)
	}
	if seq < 1 {
		return "", fmt.Errorf("cases: document sequence %d: %w", seq, ErrInvalid)
	}
	return prefix + "〔" + strconv.Itoa(year) + "〕" + strconv.Itoa(seq) + "号", nil
}

// ParseDocNumber splits a document number made by DocNumber.
func ParseDocNumber(s string) (prefix string, year, seq int, err error) {
	bad := fmt.Errorf("cases: document number %q: %w", s, ErrInvalid)
	prefix, rest, ok := strings.Cut(s, "〔")
	if !ok || prefix == "" {
		return "", 0, 0, bad
	}
	ys, rest, ok := strings.Cut(rest, "〕")
	if !ok || len(ys) != 4 {
		return "", 0, 0, bad
	}
	ss, ok := strings.CutSuffix(rest, "号")
	if !ok || ss == "" || ss[0] == '0' {
		return "", 0, 0, bad
	}
	if year, err = strconv.Atoi(ys); err != nil {
		return "", 0, 0, bad
	}
	if seq, err = strconv.Atoi(ss); err != nil || seq < 1 {
		return "", 0, 0, bad
	}
	return prefix, year, seq, nil
}
