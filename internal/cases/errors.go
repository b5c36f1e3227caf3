package cases

import (
	"errors"
	"fmt"
	"strings"
)

// Reasons an action is refused. Every error Apply returns wraps exactly one
// of them, so callers can use errors.Is (and errors.As for the details).
var (
	ErrTransition = errors.New("invalid transition")
	ErrPermission = errors.New("not permitted")
	ErrInvalid    = errors.New("invalid field")
	ErrDuplicate  = errors.New("already done")
)

// Move is one action allowed from a state and the state it leads to.
type Move struct {
	Action ActionKind `json:"action"`
	To     State      `json:"to"`
}

// TransitionError refuses an action the case's state does not allow. It
// carries the moves that are allowed from that state, so a client can say
// what may be done instead.
type TransitionError struct {
	Case    string
	State   State
	Action  ActionKind
	Reason  string
	Allowed []Move
}

func (e *TransitionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cases: %s: cannot %s a case in state %q: %s; allowed:", e.Case, e.Action, e.State, e.Reason)
	if len(e.Allowed) == 0 {
		b.WriteString(" nothing")
	}
	for i, m := range e.Allowed {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s→%s", m.Action, m.To)
	}
	return b.String()
}

func (e *TransitionError) Unwrap() error { return ErrTransition }

// NextStates is the set of states reachable from the case's state, in the
// order of Allowed, without repeats.
func (e *TransitionError) NextStates() []State {
	var out []State
	for _, m := range e.Allowed {
		if !containsState(out, m.To) {
			out = append(out, m.To)
		}
	}
	return out
}

func containsState(s []State, x State) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// PermissionError refuses an action the actor's role or scope does not allow.
type PermissionError struct {
	Case   string
	Role   Role
	Action ActionKind
	Reason string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("cases: %s: %s may not %s: %s", e.Case, e.Role, e.Action, e.Reason)
}

func (e *PermissionError) Unwrap() error { return ErrPermission }

// FieldError refuses an action whose payload is wrong or incomplete. Err is
// ErrInvalid or ErrDuplicate.
type FieldError struct {
	Case   string
	Action ActionKind
	Field  string
	Reason string
	Err    error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("cases: %s: %s: %s: %v: %s", e.Case, e.Action, e.Field, e.Err, e.Reason)
}

func (e *FieldError) Unwrap() error { return e.Err }
