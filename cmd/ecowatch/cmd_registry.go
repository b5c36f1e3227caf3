package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

var runRegistry = group("registry", `A registry is YAML (a .yaml or .yml file, or - for stdin) or CSV: a directory holding
counties.csv, enterprises.csv, outlets.csv, limits.csv, devices.csv and device_factors.csv, or one of those files.
Exports include the devices' HJ 212 passwords: keep them as confidential as the devices.`, map[string]command{
	"validate": {"check a registry file and print every problem with its file and line", registryValidate},
	"import":   {"validate a registry file and store it, all or nothing", registryImport},
	"export":   {"write the stored registry (YAML to stdout without PATH)", registryExport},
	"demo":     {"write the demo city's registry (YAML to stdout without PATH)", registryDemo},
})

const registryFormats = `
  YAML: one document with the lists counties, enterprises, outlets (each with its limits) and
        devices (each with its analysers' factors); see internal/registry/testdata/demo-city.yaml.
  CSV:  a directory of files with a header row naming the columns (any order; * required):
          counties.csv     code*, name*, name_en
          enterprises.csv  uscc*, name*, county*, industry, lat, lon
          outlets.csv      id*, enterprise*, name, kind*
          limits.csv       outlet*, pollutant*, unit*, kind*, period*, min, max
          devices.csv      mn*, password*, protocol*, outlet, st, tolerances (a|b)
          device_factors.csv  mn*, factor*, unit*, range_min, range_max, detection_limit
                           (measuring range 量程 and detection limit 检出限 per analyser)
        A missing file contributes nothing, but outlets.csv needs limits.csv (an import
        replaces each outlet's limits); devices.csv without device_factors.csv keeps the
        stored devices' analysers.
`

// registryFlags parses --format and the paths (at most max; exactly one
// when one is true).
func registryFlags(fs *flag.FlagSet, args []string, max int, one bool) (string, []string, error) {
	format := fs.String("format", "", "yaml or csv (default: from the path: .yaml/.yml is YAML, .csv or a directory is CSV; YAML on stdout)")
	pos, err := parseInterleaved(fs, args)
	switch {
	case err != nil:
		return "", nil, err
	case one && len(pos) != 1:
		return "", nil, usage.Error{Err: fmt.Errorf("want exactly one registry path, got %d", len(pos))}
	case len(pos) > max:
		return "", nil, usage.Error{Err: fmt.Errorf("want at most one path, got %d", len(pos))}
	case *format != "" && *format != registry.FormatYAML && *format != registry.FormatCSV:
		return "", nil, usage.Error{Err: fmt.Errorf("--format: want yaml or csv, got %q", *format)}
	case !one && len(pos) == 0 && *format == registry.FormatCSV:
		return "", nil, usage.Error{Err: errors.New("CSV needs a directory PATH")}
	}
	return *format, pos, nil
}

// readRegistry reads path ("-" is YAML on stdin).
func readRegistry(path, format string, stdin io.Reader) (*model.Registry, *registry.Source, error) {
	if path == "-" {
		if format == registry.FormatCSV {
			return nil, nil, usage.Error{Err: errors.New("CSV is a directory of files and cannot come from stdin")}
		}
		return registry.ReadYAML(stdin, "stdin")
	}
	return registry.Load(path, format)
}

func registryValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry validate", "registry validate [flags] PATH\n\nPrints every problem as file:line: field: message (exit status 1 if any).\nWith --data-dir or --db it also resolves references to what is already stored, as import does.\n"+registryFormats, stderr)
	sf := storeFlagsOf(fs)
	format, pos, err := registryFlags(fs, args, 1, true)
	if err != nil {
		return err
	}
	r, src, err := readRegistry(pos[0], format, stdin)
	if err != nil {
		return registry.PrintProblems(stderr, err, pos[0], "not valid")
	}
	validate := func(_ store.Store, existing *model.Registry) error {
		if err := registry.Validate(r, existing, src); err != nil {
			return registry.PrintProblems(stderr, err, pos[0], "not valid")
		}
		fmt.Fprintf(stdout, "%s: valid (%s)\n", pos[0], registry.Counts(r))
		return nil
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "data-dir" || f.Name == "db" })
	if given {
		return sf.withRegistry(ctx, validate)
	}
	return validate(nil, nil)
}

func registryImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry import", "registry import [flags] PATH\n\nValidates against the file itself and the stored registry, then stores it in one transaction:\nitems added or replaced by key, items not in the file kept, an outlet's limits replaced.\nOn any problem every problem is printed, nothing is written, and the exit status is 1.\n"+registryFormats, stderr)
	sf := storeFlagsOf(fs)
	format, pos, err := registryFlags(fs, args, 1, true)
	if err != nil {
		return err
	}
	r, src, err := readRegistry(pos[0], format, stdin)
	if err == nil {
		err = registry.CheckAlone(r, src) // a bad file leaves no trace, not even an empty database
	}
	if err != nil {
		return registry.PrintProblems(stderr, err, pos[0], "nothing imported")
	}
	return sf.withNew(ctx, func(st store.Store) error {
		if err := registry.Import(ctx, st, r, src); err != nil {
			return registry.PrintProblems(stderr, err, pos[0], "nothing imported")
		}
		fmt.Fprintf(stdout, "imported %s from %s into %s\n", registry.Counts(r), pos[0], sf.describe())
		return nil
	})
}

func registryExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry export", "registry export [flags] [PATH]\n\nWrites the stored registry, sorted by key, in the form import reads. It includes the devices'\nHJ 212 passwords (files written with mode 0600): keep it as confidential as the devices.\n"+registryFormats, stderr)
	sf := storeFlagsOf(fs)
	format, pos, err := registryFlags(fs, args, 1, false)
	if err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error {
		r, err := registry.Export(ctx, st)
		if err != nil {
			return err
		}
		return writeRegistry(r, pos, format, stdout)
	})
}

func registryDemo(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry demo", "registry demo [flags] [PATH]  (the synthetic demo city 聊城, the same for the same seed)", stderr)
	seed := fs.Int64("seed", 1, "demo city seed")
	format, pos, err := registryFlags(fs, args, 1, false)
	if err != nil {
		return err
	}
	return writeRegistry(registry.DemoCity(*seed), pos, format, stdout)
}

func writeRegistry(r *model.Registry, pos []string, format string, stdout io.Writer) error {
	if len(pos) == 0 || pos[0] == "-" {
		return registry.WriteYAML(stdout, r)
	}
	if err := registry.Save(pos[0], format, r); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s to %s\n", registry.Counts(r), pos[0])
	return nil
}
