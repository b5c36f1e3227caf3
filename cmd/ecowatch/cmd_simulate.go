package main

import (
	"context"
	"errors"
	"io"
)

// runSimulate is a placeholder until the command lands.
func runSimulate(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("simulate", "simulate [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
