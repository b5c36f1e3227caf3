package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airfile"
)

// runAir dispatches "ecowatch air <subcommand>".
func runAir(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "air hourly|daily|import|sync|report|targets|bench [flags] ..."
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, "Usage: ecowatch %s\n\n", synopsis)
		fmt.Fprintln(stderr, "  hourly   real-time AQI per station-hour (HJ 633), one JSON object a line")
		fmt.Fprintln(stderr, "  daily    daily values and AQI per station-day (GB 3095 validity, HJ 633), one JSON object a line")
		fmt.Fprintln(stderr, "\nThey read the CNEMC hourly format (date,hour,type,<stations...>) or the long format")
		fmt.Fprintln(stderr, "(station,time,pollutant,value,flag) and need no registry or database.")
		fmt.Fprintln(stderr, "\nWith the store (--data-dir DIR or --db DSN):")
		fmt.Fprintln(stderr, "  import   store hourly data files (all or nothing per file; re-import changes nothing; corrections recorded)")
		fmt.Fprintln(stderr, "  sync     take the stations' HJ 212 hourly uploads (CN 2061) into the air data")
		fmt.Fprintln(stderr, "  report   evaluation table of a year, quarter or month: stations, counties, city (table, json, xlsx)")
		fmt.Fprintln(stderr, "  targets  annual targets: attainment to date and the remaining-year budget (set, import)")
		fmt.Fprintln(stderr, "  bench    time the annual report of N stations' synthetic year (the issue's 10 s target)")
		if len(args) == 0 {
			return usageError{errors.New("missing subcommand")}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "hourly":
		return runAirFiles(ctx, "hourly", args[1:], stdin, stdout, stderr)
	case "daily":
		return runAirFiles(ctx, "daily", args[1:], stdin, stdout, stderr)
	case "import":
		return runAirImport(ctx, args[1:], stdin, stdout, stderr)
	case "sync":
		return runAirSync(ctx, args[1:], stdin, stdout, stderr)
	case "report":
		return runAirReport(ctx, args[1:], stdin, stdout, stderr)
	case "targets":
		return runAirTargets(ctx, args[1:], stdin, stdout, stderr)
	case "bench":
		return runAirBench(ctx, args[1:], stdin, stdout, stderr)
	}
	return usageError{fmt.Errorf("unknown subcommand %q (want hourly, daily, import, sync, report, targets or bench)", args[0])}
}

func runAirFiles(ctx context.Context, sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air "+sub, "air "+sub+" [--format auto|cnemc|long] [--rules auto|2012|2026] FILE... (- for stdin)", stderr)
	format := fs.String("format", "auto", "input format: cnemc (date,hour,type,<stations...>), long (station,time,pollutant,value,flag) or auto")
	rules := fs.String("rules", "auto", "rule version: auto (2012 before 2026-03-01, 2026 from then), 2012 or 2026")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var o airfile.Options
	switch *format {
	case "auto", "cnemc", "long":
	default:
		return usageError{fmt.Errorf("--format %q: want auto, cnemc or long", *format)}
	}
	if *rules != "auto" {
		v, ok := air.ParseVersion(*rules)
		if !ok {
			return usageError{fmt.Errorf("--rules %q: want auto, 2012 or 2026", *rules)}
		}
		o.Rules = v
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no input files")}
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	var excluded air.Exclusions
	var failed []string
	var daily airfile.Days
	for _, name := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := readAirFile(name, *format, stdin)
		if err != nil {
			// The file's error names file, line and column; nothing of it is output.
			fmt.Fprintf(stderr, "ecowatch air %s: %v\n", sub, err)
			failed = append(failed, name)
			continue
		}
		airfile.MergeExclusions(&excluded, &f.Excluded)
		if sub == "hourly" {
			if err := airfile.WriteHourly(w, f, o); err != nil {
				return err
			}
		} else {
			daily.Add(f, &excluded)
		}
	}
	if sub == "daily" {
		if err := daily.Write(w, o); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if n := excluded.Total(); n > 0 {
		fmt.Fprintf(stderr, "ecowatch air %s: %d values excluded: %s\n", sub, n, airfile.Summary(&excluded))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not read: %s", len(failed), fs.NArg(), strings.Join(failed, ", "))
	}
	return nil
}

func readAirFile(name, format string, stdin io.Reader) (*airfile.File, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	f, err := airfile.Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}
