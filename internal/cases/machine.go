package cases

import (
	"fmt"
	"slices"
	"time"
)

// ActionKind names what an actor does to a case.
type ActionKind string

// Actions. Returned, extended and reopened (rights-cases-accountability.md
// §2.5) are ActReturn, ActRequestExtension + ActApproveExtension, ActReopen.
const (
	ActRegister         ActionKind = "register"          // 登记
	ActAccept           ActionKind = "accept"            // 受理
	ActReject           ActionKind = "reject"            // 不予受理 + 告知, reason required
	ActAssign           ActionKind = "assign"            // 转办 / 交办, at least one assignee
	ActStart            ActionKind = "start"             // the assignee starts rectification (签收)
	ActSubmit           ActionKind = "submit"            // 办结报告, with evidence
	ActVerify           ActionKind = "verify"            // on-site verification starts
	ActClose            ActionKind = "close"             // 销号 after verification
	ActReturn           ActionKind = "return"            // 退回重办, reason required
	ActReopen           ActionKind = "reopen"            // 回头看 relapse or 复查, reason required
	ActRequestExtension ActionKind = "request-extension" // 延期申请, new due date and reason
	ActApproveExtension ActionKind = "approve-extension"
	ActDenyExtension    ActionKind = "deny-extension" // reason required
	ActEscalate         ActionKind = "escalate"       // record an issued ladder step
	ActRate             ActionKind = "rate"           // 回访: satisfaction callback
	ActFlagReview       ActionKind = "flag-review"    // 建章立制 review, reason required
	ActAddFinding       ActionKind = "add-finding"    // the alert episode goes on: another finding on the same outlet
	ActNote             ActionKind = "note"           // the platform notes a fact on the case (a data mark that explains it), reason required
)

// Action is what an actor asks to do, with its payload.
type Action struct {
	Kind   ActionKind `json:"kind"`
	Reason string     `json:"reason,omitempty"`
	// ReasonEN is the English of a reason the platform wrote (a note of
	// the marking rules); kept only from the platform itself.
	ReasonEN     string       `json:"reason_en,omitempty"`
	Assignees    []string     `json:"assignees,omitempty"`    // ActAssign
	Evidence     []string     `json:"evidence,omitempty"`     // ActSubmit (required), ActRegister
	Due          time.Time    `json:"due,omitzero"`           // ActRequestExtension (required); ActAccept, ActReopen (optional override)
	Level        Level        `json:"level,omitempty"`        // ActEscalate
	Doc          string       `json:"doc,omitempty"`          // ActEscalate, when the rung has a DocPrefix
	Satisfaction Satisfaction `json:"satisfaction,omitempty"` // ActRate
	// AssigneeNames, for ActAssign, are the names of Assignees in the same
	// order (optional); the caller looks them up, never the request body.
	AssigneeNames []string `json:"assignee_names,omitempty"`
	Report        string   `json:"report,omitempty"`  // ActSubmit: the rectification report's text
	Finding       *Finding `json:"finding,omitempty"` // ActAddFinding
}

// transition is one row of the transition table. Actions whose To is
// StateNone leave the state as it is (extensions, escalation, rating, flags).
type transition struct {
	From   State
	Action ActionKind
	To     State
}

// transitions is the case state machine as a table (read-only).
var transitions = [...]transition{
	{StateNone, ActRegister, StateRegistered},
	{StateRegistered, ActAccept, StateAccepted},
	{StateRegistered, ActReject, StateRejected},
	{StateAccepted, ActAssign, StateAssigned},
	{StateAssigned, ActStart, StateRectifying},
	{StateRectifying, ActSubmit, StateSubmitted},
	{StateSubmitted, ActVerify, StateVerifying},
	{StateVerifying, ActClose, StateClosed},
	{StateVerifying, ActReturn, StateRectifying},
	{StateClosed, ActReopen, StateRectifying},

	{StateAssigned, ActRequestExtension, StateNone},
	{StateRectifying, ActRequestExtension, StateNone},
	{StateAssigned, ActApproveExtension, StateNone},
	{StateRectifying, ActApproveExtension, StateNone},
	{StateSubmitted, ActApproveExtension, StateNone},
	{StateVerifying, ActApproveExtension, StateNone},
	{StateAssigned, ActDenyExtension, StateNone},
	{StateRectifying, ActDenyExtension, StateNone},
	{StateSubmitted, ActDenyExtension, StateNone},
	{StateVerifying, ActDenyExtension, StateNone},

	{StateRegistered, ActEscalate, StateNone},
	{StateAccepted, ActEscalate, StateNone},
	{StateAssigned, ActEscalate, StateNone},
	{StateRectifying, ActEscalate, StateNone},
	{StateSubmitted, ActEscalate, StateNone},
	{StateVerifying, ActEscalate, StateNone},

	{StateClosed, ActRate, StateNone},

	{StateRegistered, ActFlagReview, StateNone},
	{StateAccepted, ActFlagReview, StateNone},
	{StateAssigned, ActFlagReview, StateNone},
	{StateRectifying, ActFlagReview, StateNone},
	{StateSubmitted, ActFlagReview, StateNone},
	{StateVerifying, ActFlagReview, StateNone},
	{StateClosed, ActFlagReview, StateNone},

	{StateRegistered, ActAddFinding, StateNone},
	{StateAccepted, ActAddFinding, StateNone},
	{StateAssigned, ActAddFinding, StateNone},
	{StateRectifying, ActAddFinding, StateNone},
	{StateSubmitted, ActAddFinding, StateNone},
	{StateVerifying, ActAddFinding, StateNone},

	{StateRegistered, ActNote, StateNone},
	{StateAccepted, ActNote, StateNone},
	{StateAssigned, ActNote, StateNone},
	{StateRectifying, ActNote, StateNone},
	{StateSubmitted, ActNote, StateNone},
	{StateVerifying, ActNote, StateNone},
}

// Actions lists every action kind in table order.
func Actions() []ActionKind {
	var out []ActionKind
	for _, t := range transitions {
		if !slices.Contains(out, t.Action) {
			out = append(out, t.Action)
		}
	}
	return out
}

// Allowed lists the moves allowed from a state, in table order; To is the
// state after the move (the same state for actions that keep it).
func Allowed(s State) []Move {
	var out []Move
	for _, t := range transitions {
		if t.From == s {
			to := t.To
			if to == StateNone {
				to = s
			}
			out = append(out, Move{t.Action, to})
		}
	}
	return out
}

func lookup(s State, a ActionKind) (transition, bool) {
	for _, t := range transitions {
		if t.From == s && t.Action == a {
			return t, true
		}
	}
	return transition{}, false
}

// roles is who may do what, by role: the permission table. Scope is
// checked on top: county staff only in their county, an enterprise only on
// its cases, the public only on the case of their petition.
func roles(a ActionKind) []Role {
	switch a {
	case ActRegister:
		return []Role{RoleCity, RoleCounty, RoleSystem}
	case ActAccept, ActReject, ActAssign, ActVerify, ActClose, ActReturn, ActReopen:
		return []Role{RoleCity, RoleCounty}
	case ActStart, ActSubmit, ActRequestExtension:
		return []Role{RoleCounty, RoleEnterprise}
	case ActApproveExtension, ActDenyExtension:
		return []Role{RoleCity}
	case ActEscalate:
		return []Role{RoleCity, RoleSystem}
	case ActRate:
		// Only the petitioner rates the handling of their petition (回访):
		// staff who handled it, or read its tracking code on the desk,
		// never do.
		return []Role{RolePublic}
	case ActFlagReview:
		return []Role{RoleCity, RoleCounty, RoleSystem}
	case ActAddFinding, ActNote:
		return []Role{RoleSystem}
	}
	return nil
}

// Permitted reports whether a role may ever take an action (scope aside).
func Permitted(r Role, a ActionKind) bool { return slices.Contains(roles(a), r) }

// InScope reports whether the actor's scope covers the case.
func InScope(who Actor, c Case) bool {
	switch who.Role {
	case RoleCity, RoleSystem:
		return true
	case RoleCounty:
		return who.County != "" && who.County == c.County
	case RoleEnterprise:
		return who.Enterprise != "" && who.Enterprise == c.Enterprise
	case RolePublic:
		return who.Petition != "" && who.Petition == c.Petition
	}
	return false
}

// Rules is the configuration of the state machine: the work lines, the
// deadline policy table and which policy each source gets. Build it with
// DefaultRules and adjust; it is read-only while in use.
type Rules struct {
	Lines          []WorkLine
	Policies       map[string]Policy
	SourcePolicies map[Source]string
}

// DefaultRules returns the default work lines and policy tables.
func DefaultRules() *Rules {
	return &Rules{Lines: DefaultWorkLines(), Policies: DefaultPolicies(), SourcePolicies: DefaultSourcePolicies()}
}

// Policy returns the case's policy (the default one if it names none that
// exists).
func (r *Rules) Policy(c Case) Policy {
	if p, ok := r.Policies[c.Policy]; ok {
		return p
	}
	if p, ok := r.Policies[r.SourcePolicies[c.Source]]; ok {
		return p
	}
	return r.Policies[PolicyDefault]
}

func (r *Rules) hasLine(code string) bool {
	return slices.ContainsFunc(r.Lines, func(l WorkLine) bool { return l.Code == code })
}

// Apply validates an action on a case and returns the new case and the
// events to append. It refuses with a *PermissionError when the actor's role
// or scope does not allow the action, a *TransitionError (carrying the
// allowed moves) when the state does not, and a *FieldError when the payload
// is wrong. A refused action returns the case unchanged. To register a case,
// pass the new case in state StateNone with its fields filled in.
//
// The case passed in is not modified; the returned one shares no slices with
// it.
func (r *Rules) Apply(c Case, a Action, who Actor, now time.Time) (Case, []Event, error) {
	if !Permitted(who.Role, a.Kind) {
		return c, nil, &PermissionError{c.ID, who.Role, a.Kind, "the role may not take this action"}
	}
	if !InScope(who, c) {
		return c, nil, &PermissionError{c.ID, who.Role, a.Kind, "the case is outside the actor's scope"}
	}
	t, ok := lookup(c.State, a.Kind)
	if !ok {
		return c, nil, &TransitionError{c.ID, c.State, a.Kind, "not allowed from this state", Allowed(c.State)}
	}
	if c.State != StateNone && now.Before(c.UpdatedAt) {
		return c, nil, &FieldError{c.ID, a.Kind, "now", "before the case's last event: the log is in time order", ErrInvalid}
	}
	n := clone(c)
	ev := Event{Case: c.ID, Seq: c.Seq + 1, At: now, Actor: who.ID, Role: who.Role, Action: a.Kind, From: c.State, To: t.To, Reason: a.Reason}
	if who.Role == RoleSystem {
		ev.ReasonEN = a.ReasonEN
	}
	if ev.To == StateNone {
		ev.To = c.State
	}
	bad := func(field, reason string) (Case, []Event, error) {
		return c, nil, &FieldError{c.ID, a.Kind, field, reason, ErrInvalid}
	}
	needReason := func() bool { return a.Reason != "" }
	p := r.Policy(c)

	switch a.Kind {
	case ActRegister:
		if err := r.validateNew(c); err != nil {
			return c, nil, err
		}
		if n.Policy == "" {
			n.Policy = r.Policy(c).Name
		}
		n.CreatedAt = now
		n.Evidence = append(n.Evidence, a.Evidence...)
		if err := checkHashes(c.ID, a.Kind, n.Evidence); err != nil {
			return c, nil, err
		}
		ev.Evidence = slices.Clone(n.Evidence)
	case ActAccept:
		n.AcceptedAt = now
		n.Due = DueAfter(now, p.CloseDays)
		if !a.Due.IsZero() {
			if !a.Due.After(now) {
				return bad("due", "the due date must be after now")
			}
			n.Due = a.Due
		}
		ev.Due = n.Due
	case ActReject, ActReturn:
		if !needReason() {
			return bad("reason", "a reason is required")
		}
		n.Reason = a.Reason
		if a.Kind == ActReturn {
			n.Returned++
			n.SubmittedAt = time.Time{}
		}
	case ActAssign:
		if len(a.Assignees) == 0 {
			return bad("assignees", "at least one assignee is required")
		}
		for i, s := range a.Assignees {
			if s == "" || slices.Contains(a.Assignees[:i], s) {
				return bad("assignees", "assignees must be non-empty and distinct")
			}
		}
		if len(a.AssigneeNames) != 0 && len(a.AssigneeNames) != len(a.Assignees) {
			return bad("assignee_names", "one name per assignee")
		}
		n.Assignees = slices.Clone(a.Assignees)
		ev.Assignees = slices.Clone(a.Assignees)
		ev.AssigneeNames = slices.Clone(a.AssigneeNames)
	case ActStart, ActVerify:
	case ActSubmit:
		if len(a.Evidence) == 0 {
			return bad("evidence", "a rectification report needs at least one evidence attachment")
		}
		if err := checkHashes(c.ID, a.Kind, a.Evidence); err != nil {
			return c, nil, err
		}
		if len([]rune(a.Report)) > MaxReport {
			return bad("report", fmt.Sprintf("at most %d characters", MaxReport))
		}
		n.Evidence = append(n.Evidence, a.Evidence...)
		n.SubmittedAt = now
		n.Report = a.Report
		ev.Evidence = slices.Clone(a.Evidence)
		ev.Report = a.Report
	case ActClose:
		n.ClosedAt = now
		n.Extension = nil // a request still pending is moot
	case ActReopen:
		if !needReason() {
			return bad("reason", "a reason is required")
		}
		n.Reason = a.Reason
		n.Cycle++
		n.ClosedAt, n.SubmittedAt = time.Time{}, time.Time{}
		n.ExtendedDays = 0
		n.Satisfaction = ""
		n.Due = DueAfter(now, p.CloseDays)
		if !a.Due.IsZero() {
			if !a.Due.After(now) {
				return bad("due", "the due date must be after now")
			}
			n.Due = a.Due
		}
		ev.Due = n.Due
	case ActRequestExtension:
		if !needReason() {
			return bad("reason", "a reason is required")
		}
		if c.Extension != nil {
			return c, nil, &FieldError{c.ID, a.Kind, "extension", "a request is already pending", ErrDuplicate}
		}
		if p.MaxExtensionDays <= 0 {
			return bad("due", "the case's policy allows no extension")
		}
		if c.Due.IsZero() || !a.Due.After(c.Due) {
			return bad("due", "the new due date must be after the current one")
		}
		if max := c.Due.AddDate(0, 0, p.MaxExtensionDays-c.ExtendedDays); a.Due.After(max) {
			return bad("due", fmt.Sprintf("at most %d days of extension in total; latest possible due date %s", p.MaxExtensionDays, max.Format(time.DateTime)))
		}
		if lead := c.Due.AddDate(0, 0, -p.ExtensionLeadDays); now.After(lead) {
			return bad("now", fmt.Sprintf("an extension must be requested at least %d days before the due date", p.ExtensionLeadDays))
		}
		n.Extension = &Extension{RequestedAt: now, By: who.ID, Due: a.Due, Reason: a.Reason}
		ev.Due = a.Due
	case ActApproveExtension, ActDenyExtension:
		if c.Extension == nil {
			return c, nil, &TransitionError{c.ID, c.State, a.Kind, "no extension request is pending", Allowed(c.State)}
		}
		if a.Kind == ActDenyExtension {
			if !needReason() {
				return bad("reason", "a reason is required")
			}
		} else {
			n.ExtendedDays += daysBetween(c.Due, c.Extension.Due)
			n.Due = c.Extension.Due
			ev.Due = n.Due
		}
		n.Extension = nil
	case ActEscalate:
		rung, ok := findRung(p, a.Level)
		if !ok {
			return bad("level", fmt.Sprintf("level %q is not on the ladder of policy %q", a.Level, p.Name))
		}
		if issued(c, a.Level) {
			return c, nil, &FieldError{c.ID, a.Kind, "level", "already issued in this cycle", ErrDuplicate}
		}
		if rung.DocPrefix != "" {
			prefix, _, _, err := ParseDocNumber(a.Doc)
			if err != nil || prefix != rung.DocPrefix {
				return bad("doc", fmt.Sprintf("a document number with prefix %s is required, e.g. %s〔2026〕1号", rung.DocPrefix, rung.DocPrefix))
			}
		}
		n.Escalations = append(n.Escalations, Issued{Level: a.Level, At: now, Doc: a.Doc, Cycle: c.Cycle})
		ev.Level, ev.Doc = a.Level, a.Doc
	case ActRate:
		if c.Petition == "" {
			return bad("petition", "only a petition's case is rated by its petitioner")
		}
		if !a.Satisfaction.valid() {
			return bad("satisfaction", "satisfied, basically-satisfied or dissatisfied")
		}
		if c.Satisfaction != "" {
			return c, nil, &FieldError{c.ID, a.Kind, "satisfaction", "already rated in this cycle", ErrDuplicate}
		}
		n.Satisfaction = a.Satisfaction
		ev.Satisfaction = a.Satisfaction
	case ActFlagReview:
		if !needReason() {
			return bad("reason", "a reason is required")
		}
		if c.RuleReview {
			return c, nil, &FieldError{c.ID, a.Kind, "rule_review", "already flagged", ErrDuplicate}
		}
		n.RuleReview = true
	case ActAddFinding:
		if a.Finding == nil {
			return bad("finding", "required")
		}
		if n.Alert == nil {
			n.Alert = &AlertFacts{}
		}
		n.Alert.Findings = append(n.Alert.Findings, *a.Finding)
		if c.Alert != nil {
			n.Title = AlertTitle(n.Alert, "zh")
		}
		f := *a.Finding
		ev.Finding = &f
	case ActNote:
		if !needReason() {
			return bad("reason", "a reason is required")
		}
	}
	n.State = ev.To
	n.UpdatedAt = now
	n.Seq = ev.Seq
	return n, []Event{ev}, nil
}

// MaxReport bounds the text of a rectification report (characters).
const MaxReport = 5000

func (r *Rules) validateNew(c Case) error {
	bad := func(field, reason string) error {
		return &FieldError{c.ID, ActRegister, field, reason, ErrInvalid}
	}
	switch {
	case c.ID == "":
		return bad("id", "required")
	case !c.Source.valid():
		return bad("source", fmt.Sprintf("unknown source %q", c.Source))
	case !r.hasLine(c.Line):
		return bad("line", fmt.Sprintf("unknown work line %q", c.Line))
	case c.County == "":
		return bad("county", "required")
	case !c.Severity.valid():
		return bad("severity", "1 (general), 2 (major) or 3 (serious)")
	case c.Title == "":
		return bad("title", "required")
	case c.Source == SourcePetition && c.Petition == "":
		return bad("petition", "a petition's case carries its tracking code")
	case c.Policy != "" && r.Policies[c.Policy].Name != c.Policy:
		return bad("policy", fmt.Sprintf("unknown policy %q", c.Policy))
	case c.Seq != 0 || len(c.Escalations) != 0 || c.Extension != nil:
		return bad("seq", "a new case has no history")
	}
	return nil
}

func findRung(p Policy, l Level) (Rung, bool) {
	for _, r := range p.Ladder {
		if r.Level == l {
			return r, true
		}
	}
	return Rung{}, false
}

// checkHashes requires lowercase hex SHA-256 content hashes, the names of
// attachments in the content-addressed store.
func checkHashes(id string, a ActionKind, hs []string) error {
	for i, h := range hs {
		if !isHash(h) {
			return &FieldError{id, a, fmt.Sprintf("evidence[%d]", i), "not a lowercase hex SHA-256 content hash", ErrInvalid}
		}
	}
	return nil
}

func isHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func daysBetween(a, b time.Time) int {
	return int((b.Sub(a) + 12*time.Hour) / (24 * time.Hour))
}

func clone(c Case) Case {
	c.Evidence = slices.Clone(c.Evidence)
	c.Assignees = slices.Clone(c.Assignees)
	c.Escalations = slices.Clone(c.Escalations)
	if c.Extension != nil {
		x := *c.Extension
		c.Extension = &x
	}
	if c.Alert != nil {
		a := *c.Alert
		a.Findings = slices.Clone(a.Findings)
		c.Alert = &a
	}
	return c
}
