package main

import (
	"context"
	"errors"
	"io"
)

// runHJ212 is a placeholder until the command lands.
func runHJ212(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("hj212", "hj212 [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
