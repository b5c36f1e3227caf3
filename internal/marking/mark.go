package marking

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Status is where a mark's review stands.
type Status string

// Statuses. A pending mark takes effect (the enterprise declares, the
// bureau reviews afterwards); a rejected one has none.
const (
	StatusPending  Status = "pending"
	StatusAccepted Status = "accepted"
	StatusRejected Status = "rejected"
)

// Mark is one version of an enterprise's mark: a row of data_marks keyed
// (ID, Version). Versions are never changed: a correction by the
// enterprise or a review by the bureau is the next version.
type Mark struct {
	ID      string `json:"id"`
	Version int    `json:"version"`

	MN         string `json:"mn"`
	Outlet     string `json:"outlet"`
	Enterprise string `json:"enterprise"`
	County     string `json:"county"`
	Industry   string `json:"industry"` // IndustryOf the enterprise's
	Type       string `json:"type"`     // Type.Code
	Factor     string `json:"factor,omitempty"`
	// From and To bound the marked period [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`

	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence,omitempty"` // content hashes of attachments (case evidence storage)

	By    string    `json:"by"` // user id of the session that made this version
	At    time.Time `json:"at"` // when this version was made
	Rules string    `json:"rules"`
	// MarkedAt is when the first version was made: lateness is judged by
	// it, so a correction does not make a timely mark late.
	MarkedAt time.Time `json:"marked_at"`
	Late     bool      `json:"late"`

	Status       Status    `json:"status"`
	ReviewBy     string    `json:"review_by,omitempty"`
	ReviewAt     time.Time `json:"review_at,omitzero"`
	ReviewReason string    `json:"review_reason,omitempty"`
}

// Covers reports whether the mark covers time t (and the factor, when
// the mark names one).
func (m *Mark) Covers(t time.Time, factor string) bool {
	if m.Factor != "" && factor != "" && m.Factor != factor {
		return false
	}
	return !t.Before(m.From) && t.Before(m.To)
}

// InForce reports whether the mark has an effect: not rejected, not late.
func (m *Mark) InForce() bool { return m.Status != StatusRejected && !m.Late }

// ErrInvalid wraps every refusal of a mark.
var ErrInvalid = errors.New("invalid mark")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Check validates a new mark (or a correction) against the rules at now
// and sets Rules, Late and Status. MarkedAt must be set (the first
// version's time; now for a new mark).
func Check(m *Mark, r *RuleSet, now time.Time) error {
	if m.MN == "" || m.Outlet == "" || m.Enterprise == "" {
		return invalid("device, outlet and enterprise are required")
	}
	t, ok := r.Type(m.Type)
	if !ok {
		return invalid("type %q is not a mark type of rules %s", m.Type, r.Version)
	}
	if len(t.Industries) > 0 && !containsStr(t.Industries, m.Industry) {
		return invalid("type %q is not marked in industry %q", m.Type, m.Industry)
	}
	if m.From.IsZero() || m.To.IsZero() || !m.To.After(m.From) {
		return invalid("the period must have a start before its end")
	}
	if m.To.Sub(m.From) > r.MaxSpan {
		return invalid("the period is longer than %s", r.MaxSpan)
	}
	if m.From.Before(r.From) {
		return invalid("the period starts before rules %s are in force", r.Version)
	}
	if m.From.After(now.Add(r.MaxSpan)) {
		return invalid("the period starts too far in the future")
	}
	if utf8.RuneCountInString(m.Reason) < 2 || len(m.Reason) > 2000 {
		return invalid("a reason of 2 to 2000 characters is required")
	}
	if len(m.Evidence) > 20 {
		return invalid("at most 20 attachments")
	}
	if m.MarkedAt.IsZero() {
		m.MarkedAt = now
	}
	m.Rules = r.Version
	m.Late = m.MarkedAt.After(m.From.Add(r.Deadline))
	m.Status = StatusPending
	return nil
}

// DueBy is the latest time a mark of a period starting at from counts as
// in time.
func DueBy(r *RuleSet, from time.Time) time.Time { return from.Add(r.Deadline) }

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
