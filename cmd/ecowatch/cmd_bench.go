package main

import (
	"context"
	"errors"
	"io"
)

// runBench is a placeholder until the command lands.
func runBench(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
