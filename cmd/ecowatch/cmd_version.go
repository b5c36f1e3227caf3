package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/store"
)

func runVersion(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version [--db DSN]\n\nPrints the binary's version and the schema version it migrates to; with --db, also the\nschema version of that store (read without migrating it) and whether this binary can open it.", stderr)
	dsn := fs.String("db", "", "store DSN to inspect: sqlite:<path>, a file path, or postgres://…")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	latest := store.LatestSchemaVersion()
	fmt.Fprintln(stdout, "ecowatch", app.BinaryVersion(version))
	fmt.Fprintln(stdout, "schema version", latest)
	if *dsn == "" {
		return nil
	}
	in, err := store.Inspect(ctx, *dsn)
	if err != nil {
		return err
	}
	defer in.Close()
	v, err := in.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case v > latest:
		fmt.Fprintf(stdout, "database schema version %d: newer than this binary's %d; this binary refuses to open it\n", v, latest)
	case v < latest:
		fmt.Fprintf(stdout, "database schema version %d: this binary migrates it to %d when it opens it\n", v, latest)
	default:
		fmt.Fprintf(stdout, "database schema version %d: current\n", v)
	}
	return nil
}
