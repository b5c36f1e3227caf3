package rights

import (
	"errors"
	"fmt"
)

// Reasons a command is refused or a ledger fails verification. A Refusal or
// a ChainError wraps exactly one of them, so callers can use errors.Is.
var (
	ErrInvalid     = errors.New("invalid field")
	ErrNotFound    = errors.New("not found")
	ErrDuplicate   = errors.New("already exists")
	ErrState       = errors.New("wrong state for this operation")
	ErrOverdraft   = errors.New("insufficient rights")
	ErrExpired     = errors.New("expired")
	ErrUnverified  = errors.New("credit not verified")
	ErrNotYetValid = errors.New("not valid yet")
	ErrNoRatioRule = errors.New("no replacement ratio rule")
	ErrNoPrice     = errors.New("no price")
	ErrMustTrade   = errors.New("must obtain its rights by trading")
	ErrKeyReused   = errors.New("idempotency key reused with a different body")
	ErrClock       = errors.New("time before the last entry")
	ErrDoubleSpend = errors.New("double spend")
	ErrNegative    = errors.New("negative balance")
	ErrTampered    = errors.New("hash chain broken")
	ErrInvariant   = errors.New("invariant violated")
)

// Refusal is the error Apply returns when it refuses a command. Nothing is
// written and the state is unchanged.
type Refusal struct {
	Cmd    string // command name
	Field  string // the field at fault, as named in the command's JSON, e.g. "credits[1]"
	Reason string // a sentence for the user
	Err    error  // one of the Err* values
}

func (r *Refusal) Error() string {
	if r.Field == "" {
		return fmt.Sprintf("rights: %s refused: %v: %s", r.Cmd, r.Err, r.Reason)
	}
	return fmt.Sprintf("rights: %s refused: %s: %v: %s", r.Cmd, r.Field, r.Err, r.Reason)
}

func (r *Refusal) Unwrap() error { return r.Err }

// ChainError reports the first entry at which a ledger fails Replay or
// Verify.
type ChainError struct {
	Seq    int64  // the entry's Seq (its position if Seq itself is wrong)
	Reason string // what is wrong
	Err    error  // one of the Err* values
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("rights: entry %d: %v: %s", e.Seq, e.Err, e.Reason)
}

func (e *ChainError) Unwrap() error { return e.Err }

// foldError is what the fold returns; Apply turns it into a Refusal and
// Replay into a ChainError.
type foldError struct {
	err    error
	reason string
}

func (e *foldError) Error() string { return fmt.Sprintf("%v: %s", e.err, e.reason) }
func (e *foldError) Unwrap() error { return e.err }

func ferr(err error, format string, args ...any) *foldError {
	return &foldError{err: err, reason: fmt.Sprintf(format, args...)}
}
