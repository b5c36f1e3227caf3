package main

import (
	"context"
	"errors"
	"io"
)

// runRegistry is a placeholder until the command lands.
func runRegistry(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("registry", "registry [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
