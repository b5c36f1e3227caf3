package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
)

const registryUsage = `Usage: ecowatch registry <subcommand> [flags] [path]

Subcommands:
  validate PATH   check a registry file and print every problem with its file and line
  import PATH     validate a registry file and store it, all or nothing
  export [PATH]   write the stored registry (YAML to stdout without PATH)
  demo [PATH]     write the demo city's registry (YAML to stdout without PATH)

A registry is YAML (a .yaml or .yml file, or - for stdin) or CSV: a directory
holding counties.csv, enterprises.csv, outlets.csv, limits.csv and
devices.csv (see 'ecowatch registry import --help'), or one of those files.

Exports include the devices' HJ 212 passwords: they are secrets the bureau
configures on the devices, and an export is how the registry is backed up and
moved. Keep exported files as confidential as the devices.

Run 'ecowatch registry <subcommand> --help' for its flags.
`

const registryFormats = `
Formats:
  YAML: one document with the lists counties, enterprises, outlets (each with
        its limits) and devices; see internal/registry/testdata/demo-city.yaml.
  CSV:  a directory of files with a header row naming the columns (any order;
        * marks the required ones):
          counties.csv     code*, name*, name_en
          enterprises.csv  uscc*, name*, county*, industry, lat, lon
          outlets.csv      id*, enterprise*, name, kind*
          limits.csv       outlet*, pollutant*, unit*, kind*, period*, min, max
          devices.csv      mn*, password*, protocol*, outlet, st, tolerances (a|b)
        A missing file contributes nothing, but outlets.csv needs limits.csv:
        an import replaces each outlet's limits.
`

// runRegistry validates, imports and exports the registry.
func runRegistry(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, registryUsage)
		return usageError{errors.New("missing subcommand (validate, import, export or demo)")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, registryUsage)
		return flag.ErrHelp
	case "validate":
		return registryValidate(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		return registryImport(ctx, args[1:], stdin, stdout, stderr)
	case "export":
		return registryExport(ctx, args[1:], stdout, stderr)
	case "demo":
		return registryDemo(args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, registryUsage)
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
}

// registryStoreFlags selects the store like serve does.
type registryStoreFlags struct {
	dataDir, dsn string
	given        bool // --data-dir or --db was on the command line
}

func (f *registryStoreFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "ecowatch-data", "data directory: the SQLite store is <data-dir>/ecowatch.db")
	fs.StringVar(&f.dsn, "db", "", "store DSN instead of --data-dir: sqlite:<path> or postgres://user@host:5432/db")
}

func (f *registryStoreFlags) sqlitePath() string {
	return filepath.Join(f.dataDir, "ecowatch.db")
}

// describe names the store for messages without any password in a DSN.
func (f *registryStoreFlags) describe() string {
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
func (f *registryStoreFlags) open(ctx context.Context, create bool) (store.Store, error) {
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

// parseInterleaved parses flags that may come before or after the
// positional arguments (ecowatch registry import city.yaml --db ...),
// which the flag package alone does not allow.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
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

func checkFormat(format string) error {
	switch format {
	case "", registry.FormatYAML, registry.FormatCSV:
		return nil
	}
	return usageError{fmt.Errorf("--format: want yaml or csv, got %q", format)}
}

// readRegistry reads path ("-" is YAML on stdin).
func readRegistry(path, format string, stdin io.Reader) (*model.Registry, *registry.Source, error) {
	if path == "-" {
		if format == registry.FormatCSV {
			return nil, nil, usageError{errors.New("CSV is a directory of files and cannot come from stdin")}
		}
		return registry.ReadYAML(stdin, "stdin")
	}
	return registry.Load(path, format)
}

// reportProblems prints a registry's problems one per line and returns the
// error that makes the command exit with status 1.
func reportProblems(err error, path, what string, stderr io.Writer) error {
	var list registry.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		fmt.Fprintln(stderr, e)
	}
	s := "s"
	if len(list) == 1 {
		s = ""
	}
	return fmt.Errorf("%d problem%s in %s; %s", len(list), s, path, what)
}

func counts(r *model.Registry) string {
	return fmt.Sprintf("%d counties, %d enterprises, %d outlets, %d devices",
		len(r.Counties), len(r.Enterprises), len(r.Outlets), len(r.Devices))
}

func onePath(pos []string, fs *flag.FlagSet) (string, error) {
	if len(pos) != 1 {
		fs.Usage()
		return "", usageError{fmt.Errorf("want exactly one registry path, got %d", len(pos))}
	}
	return pos[0], nil
}

func registryValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry validate", "registry validate [flags] PATH\n\n"+
		"Checks a registry file (YAML, CSV directory or CSV file; - for YAML on stdin) and prints\n"+
		"every problem as file:line: field: message. Exit status 1 if there is any.\n"+
		"Alone it checks the file by itself; with --data-dir or --db it also resolves references\n"+
		"to counties, enterprises and outlets already stored, as import does.\n"+registryFormats, stderr)
	var sf registryStoreFlags
	sf.register(fs)
	format := fs.String("format", "", "yaml or csv (default: from the path: .yaml/.yml is YAML, .csv or a directory is CSV)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { sf.given = sf.given || f.Name == "data-dir" || f.Name == "db" })
	path, err := onePath(pos, fs)
	if err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	r, src, err := readRegistry(path, *format, stdin)
	if err != nil {
		return reportProblems(err, path, "not valid", stderr)
	}
	var existing *model.Registry
	if sf.given {
		st, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer st.Close()
		if existing, err = st.Registry(ctx); err != nil {
			return fmt.Errorf("read the stored registry: %w", err)
		}
	}
	if err := registry.Validate(r, existing, src); err != nil {
		return reportProblems(err, path, "not valid", stderr)
	}
	fmt.Fprintf(stdout, "%s: valid (%s)\n", path, counts(r))
	return nil
}

func registryImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry import", "registry import [flags] PATH\n\n"+
		"Validates a registry file (YAML, CSV directory or CSV file; - for YAML on stdin) against\n"+
		"itself and the registry already stored, then stores it in one transaction: items are\n"+
		"added or replaced by key (county code, credit code, outlet id, MN), items not in the file\n"+
		"are kept, an outlet's limits are replaced by the file's. On any problem every problem is\n"+
		"printed, one per line, nothing is written, and the exit status is 1.\n"+registryFormats, stderr)
	var sf registryStoreFlags
	sf.register(fs)
	format := fs.String("format", "", "yaml or csv (default: from the path: .yaml/.yml is YAML, .csv or a directory is CSV)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	path, err := onePath(pos, fs)
	if err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	r, src, err := readRegistry(path, *format, stdin)
	if err != nil {
		return reportProblems(err, path, "nothing imported", stderr)
	}
	// Check the file by itself before touching (or creating) a store, so
	// a bad file leaves no trace, not even an empty database.
	if err := registry.Validate(r, nil, src); err != nil {
		var list registry.ErrorList
		// Unknown references may still resolve against the store: only
		// give up early on files that are wrong whatever is stored.
		if !errors.As(err, &list) || !onlyReferenceProblems(list) {
			return reportProblems(err, path, "nothing imported", stderr)
		}
	}
	st, err := sf.open(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := registry.Import(ctx, st, r, src); err != nil {
		return reportProblems(err, path, "nothing imported", stderr)
	}
	fmt.Fprintf(stdout, "imported %s from %s into %s\n", counts(r), path, sf.describe())
	return nil
}

// onlyReferenceProblems reports whether every problem is an unknown
// county, enterprise or outlet, which items already stored may resolve.
func onlyReferenceProblems(list registry.ErrorList) bool {
	for _, e := range list {
		if !e.Unresolved {
			return false
		}
	}
	return true
}

func registryExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry export", "registry export [flags] [PATH]\n\n"+
		"Writes the stored registry, sorted by key, in the form import reads: to PATH (a .yaml/.yml\n"+
		"file, or a directory for CSV) or as YAML to stdout. The export includes the devices'\n"+
		"HJ 212 passwords (written with mode 0600): keep it as confidential as the devices.\n"+registryFormats, stderr)
	var sf registryStoreFlags
	sf.register(fs)
	format := fs.String("format", "", "yaml or csv (default: from PATH: .yaml/.yml is YAML, otherwise a CSV directory; YAML on stdout)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want at most one path, got %d", len(pos))}
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if len(pos) == 0 && *format == registry.FormatCSV {
		return usageError{errors.New("CSV export needs a directory PATH")}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := registry.Export(ctx, st)
	if err != nil {
		return err
	}
	return writeRegistry(r, pos, *format, stdout)
}

func registryDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry demo", "registry demo [flags] [PATH]\n\n"+
		"Writes the demo city's registry (聊城: 11 county-level units, about 300 enterprises, 500\n"+
		"outlets and devices; synthetic, the same for the same seed) to PATH or as YAML to stdout,\n"+
		"ready for 'ecowatch registry import' or 'ecowatch simulate --registry'.\n", stderr)
	seed := fs.Int64("seed", 1, "demo city seed")
	format := fs.String("format", "", "yaml or csv (default: from PATH; YAML on stdout)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want at most one path, got %d", len(pos))}
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if len(pos) == 0 && *format == registry.FormatCSV {
		return usageError{errors.New("CSV needs a directory PATH")}
	}
	return writeRegistry(registry.DemoCity(*seed), pos, *format, stdout)
}

func writeRegistry(r *model.Registry, pos []string, format string, stdout io.Writer) error {
	if len(pos) == 0 || pos[0] == "-" {
		return registry.WriteYAML(stdout, r)
	}
	if err := registry.Save(pos[0], format, r); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s to %s\n", counts(r), pos[0])
	return nil
}
