package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/ecowatch/ecowatch/internal/store"
)

// binaryVersion is the version set at build time, else the VCS revision
// the Go toolchain recorded.
func binaryVersion() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return version + " (" + rev + ")"
}

func runVersion(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version [--db DSN]\n\nPrints the binary's version and the schema version it migrates to; with --db, also the\nschema version of that store (read without migrating it) and whether this binary can open it.", stderr)
	dsn := fs.String("db", "", "store DSN to inspect: sqlite:<path>, a file path, or postgres://…")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	latest := store.LatestSchemaVersion()
	fmt.Fprintln(stdout, "ecowatch", binaryVersion())
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
