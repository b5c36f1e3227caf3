package main

import (
	"context"
	"errors"
	"io"
)

// runDemo is a placeholder until the command lands.
func runDemo(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
