package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// The flag groups several commands share, each defined once.

// storeFlags select the store: --data-dir (SQLite in it) or --db.
type storeFlags struct {
	dataDir, dsn string
}

func storeFlagsOf(fs *flag.FlagSet) *storeFlags {
	f := &storeFlags{}
	fs.StringVar(&f.dataDir, "data-dir", "ecowatch-data", "data directory: the SQLite store is <data-dir>/ecowatch.db")
	fs.StringVar(&f.dsn, "db", "", "store DSN instead of --data-dir: sqlite:<path> or postgres://user@host:5432/db")
	return f
}

func (f *storeFlags) sqlitePath() string { return filepath.Join(f.dataDir, "ecowatch.db") }

// exists reports whether a store was named (--db) or is there (SQLite).
func (f *storeFlags) exists() bool {
	_, err := os.Stat(f.sqlitePath())
	return f.dsn != "" || err == nil
}

// describe names the store for messages without any password in a DSN.
func (f *storeFlags) describe() string {
	if f.dsn == "" {
		return f.sqlitePath()
	}
	if u, err := url.Parse(f.dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return f.dsn
}

// open opens the store. create allows a new SQLite database (import);
// reading commands refuse to conjure an empty one from a mistyped path.
func (f *storeFlags) open(ctx context.Context, create bool) (store.Store, error) {
	dsn := f.dsn
	if dsn == "" {
		path := f.sqlitePath()
		if create {
			if err := os.MkdirAll(f.dataDir, 0o750); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
		} else if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no store at %s (import a registry first, or give --data-dir or --db): %w", path, err)
		}
		dsn = "sqlite:" + path
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", f.describe(), err)
	}
	return st, nil
}

// with opens the store, which must exist, runs fn on it and closes it.
func (f *storeFlags) with(ctx context.Context, fn func(store.Store) error) error {
	return f.run(ctx, false, fn)
}

// withNew is with for the commands that may create a new SQLite store.
func (f *storeFlags) withNew(ctx context.Context, fn func(store.Store) error) error {
	return f.run(ctx, true, fn)
}

func (f *storeFlags) run(ctx context.Context, create bool, fn func(store.Store) error) error {
	st, err := f.open(ctx, create)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// withRegistry is with, fn also getting the stored registry.
func (f *storeFlags) withRegistry(ctx context.Context, fn func(store.Store, *model.Registry) error) error {
	return f.with(ctx, func(st store.Store) error {
		reg, err := st.Registry(ctx)
		if err != nil {
			return err
		}
		return fn(st, reg)
	})
}

// parseInterleaved parses flags that may come before or after the
// positional arguments (ecowatch registry import city.yaml --db ...),
// which the flag package alone does not allow. A bad flag is a usage
// error (exit status 2).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parsePositional parses interleaved flags and at most max positional
// arguments.
func parsePositional(fs *flag.FlagSet, args []string, max int) ([]string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > max {
		return nil, usage.Error{Err: fmt.Errorf("unexpected arguments: %q", pos[max:])}
	}
	return pos, nil
}

// outFlags are --format (the first of formats is the default) and, when
// xlsx is one of them, --out.
type outFlags struct {
	format, out string
	formats     []string
}

func outFlagsOf(fs *flag.FlagSet, formats ...string) *outFlags {
	o := &outFlags{formats: formats}
	fs.StringVar(&o.format, "format", formats[0], "output: "+fmt.Sprint(formats))
	if slices.Contains(formats, "xlsx") {
		fs.StringVar(&o.out, "out", "", "write to this file instead of stdout (required for xlsx)")
	}
	return o
}

func (o *outFlags) check() error {
	if err := oneOf("format", o.format, o.formats...); err != nil {
		return err
	}
	if o.format == "xlsx" && (o.out == "" || o.out == "-") {
		return usage.Error{Err: errors.New("--format xlsx needs --out FILE")}
	}
	return nil
}

// write writes v as JSON, or with xlsx or text, to stdout or atomically
// to --out.
func (o *outFlags) write(stdout io.Writer, v any, xlsx, text func(io.Writer) error) error {
	return atomicfile.Out(o.out, stdout, func(w io.Writer) error {
		switch o.format {
		case "json":
			return writeJSON(w, v)
		case "xlsx":
			return xlsx(w)
		}
		return text(w)
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// prefixWriter puts a prefix before each write (each a whole line).
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

func prefixed(w io.Writer, prefix string) io.Writer { return prefixWriter{w, prefix} }

// terminal returns w when it is a terminal (a character device), else nil.
func terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return nil
}
