package main

import (
	"context"
	"errors"
	"io"
)

// runServe is a placeholder until the command lands.
func runServe(_ context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
