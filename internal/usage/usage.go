// Package usage is the one error type of a wrong invocation: a flag's
// value the command line got wrong, not a failure of the run. The command
// exits with status 2 for it (cmd/ecowatch looks for IsUsage), with 1 for
// any other error.
package usage

// Error wraps what was wrong with the invocation.
type Error struct{ Err error }

func (e Error) Error() string { return e.Err.Error() }
func (e Error) Unwrap() error { return e.Err }

// IsUsage marks it for the command line.
func (Error) IsUsage() bool { return true }
