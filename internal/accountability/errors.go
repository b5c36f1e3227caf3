package accountability

import (
	"errors"
	"fmt"
)

// ErrRefused is wrapped by every *Error: the input was refused and nothing
// was computed.
var ErrRefused = errors.New("refused")

// Error is a refusal with the object it concerns and the reason.
type Error struct {
	What   string // e.g. "formula", "target", "warning"
	Key    string // e.g. the period, the county code, the warning id
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s", e.What, e.Key, e.Reason)
}

// Unwrap lets errors.Is(err, ErrRefused) match.
func (e *Error) Unwrap() error { return ErrRefused }

func refuse(what, key, format string, args ...any) error {
	return &Error{What: what, Key: key, Reason: fmt.Sprintf(format, args...)}
}
