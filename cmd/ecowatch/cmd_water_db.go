package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/tracesvc"
	"github.com/ecowatch/ecowatch/internal/water/waterimport"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// The surface-water subcommands that use the store: registry, import,
// sync, report, trace. classify (file only) is in cmd_water.go.

// waterNow is the clock of the water commands (tests set it).
var waterNow = time.Now

// runWaterRegistry: ecowatch water registry import|export|validate.
func runWaterRegistry(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "water registry import|validate FILE.yaml|DIR  or  water registry export FILE.yaml|DIR"
	if len(args) == 0 {
		return usageError{errors.New("water registry: want import, export or validate")}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "--help", "-help", "help":
		fmt.Fprintln(stdout, "Usage: ecowatch "+synopsis)
		fmt.Fprintln(stdout, "\nThe water registry is a YAML file (rivers, nodes, reaches, sections, sources, outfalls)")
		fmt.Fprintln(stdout, "or a directory of the same as CSV files; it refers to the main registry's counties,")
		fmt.Fprintln(stdout, "water outlets and ST=21 devices. Run 'ecowatch water registry import --help' for flags.")
		return flag.ErrHelp
	}
	fs := newFlagSet("water registry "+sub, synopsis, stderr)
	demo := fs.Bool("demo", false, "export: the demo city's water registry (for registry.DemoCity(1)) instead of the stored one")
	devices := fs.String("devices", "", "export --demo: also write the automatic stations' ST=21 devices to this registry file (import it with ecowatch registry import first)")
	var sf registryStoreFlags
	sf.register(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageError{errors.New("want one file (YAML) or directory (CSV)")}
	}
	path := files[0]
	switch sub {
	case "validate", "import":
		w, src, err := waterreg.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return errors.New("not valid: nothing imported")
		}
		var reg *model.Registry
		if sf.dsn != "" || sub == "import" || storeExists(&sf) {
			st, err := sf.open(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if reg, err = st.Registry(ctx); err != nil {
				return err
			}
			if sub == "import" {
				if err := waterreg.Import(ctx, st, w, src); err != nil {
					fmt.Fprintln(stderr, err)
					return errors.New("not valid: nothing imported")
				}
				fmt.Fprintf(stdout, "water registry imported: %d rivers, %d nodes, %d reaches, %d sections, %d drinking-water sources, %d outfalls\n",
					len(w.Rivers), len(w.Nodes), len(w.Reaches), len(w.Sections), len(w.Sources), len(w.Outfalls))
				return nil
			}
		}
		if err := waterreg.Validate(w, reg, src); err != nil {
			fmt.Fprintln(stderr, err)
			return errors.New("not valid")
		}
		if reg == nil {
			fmt.Fprintln(stdout, "valid (counties, outlets and devices not checked: no store)")
		} else {
			fmt.Fprintln(stdout, "valid")
		}
		return nil
	case "export":
		var w *model.WaterRegistry
		if *demo {
			var devs []model.Device
			w, devs = waterreg.Demo(registry.DemoCity(1))
			if *devices != "" {
				if err := registry.Save(*devices, "", &model.Registry{Devices: devs}); err != nil {
					return err
				}
			}
		} else {
			st, err := sf.open(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if w, err = st.WaterRegistry(ctx); err != nil {
				return err
			}
		}
		if path == "-" {
			return waterreg.WriteYAML(stdout, w)
		}
		return waterreg.Save(path, w)
	}
	return usageError{fmt.Errorf("water registry: unknown subcommand %q: want import, export or validate", sub)}
}

func storeExists(sf *registryStoreFlags) bool {
	_, err := os.Stat(sf.sqlitePath())
	return err == nil
}

// runWaterImport: ecowatch water import FILE...
func runWaterImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water import", `water import [--data-dir DIR | --db DSN] FILE...

Imports laboratory results in long format (CSV), one result per line:
  section,time,item,value,below_dl
  WS01,2026-10-08 10:00,NH3-N,0.52,
  WS01,2026-10-08 10:00,TP,<0.01,
A file with any bad line is not imported at all; the error names line and
column. Importing a file again changes nothing; a corrected value replaces
the stored one.`, stderr)
	var sf registryStoreFlags
	sf.register(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{errors.New("no input files")}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return err
	}
	points := waterimport.Points(w)
	if len(points) == 0 {
		return errors.New("the water registry has no sections or sources: import it first (ecowatch water registry import)")
	}
	var failed []string
	for _, name := range files {
		if err := importLabFile(ctx, st, name, stdin, stdout, points); err != nil {
			fmt.Fprintf(stderr, "%v\necowatch water import: %s: nothing stored\n", err, name)
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not imported: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}

// importLabFile reads, checks and stores one file: all of it or nothing.
func importLabFile(ctx context.Context, st waterLabStore, name string, stdin io.Reader, stdout io.Writer, points map[string]bool) error {
	r := stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return err
		}
		defer fh.Close()
		r = fh
	}
	samples, err := waterimport.ReadLab(r, filepath.Base(name), points)
	if err != nil {
		return err
	}
	put, err := waterimport.ImportLab(ctx, st, samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d results: %s\n", name, len(samples), putSummary{put.Added, put.Unchanged, put.Replaced, put.Duplicate})
	return nil
}

type waterLabStore = store.WaterStore

type putSummary struct{ added, unchanged, replaced, duplicate int }

func (p putSummary) String() string {
	return fmt.Sprintf("%d added, %d unchanged, %d corrected, %d repeated in the file", p.added, p.unchanged, p.replaced, p.duplicate)
}

// runWaterSync: ecowatch water sync [--from DATE] [--to DATE]
func runWaterSync(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water sync", "water sync [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--data-dir DIR | --db DSN]", stderr)
	fromS := fs.String("from", "", "first day of the stations' hourly uploads to take (default: 3 days ago)")
	toS := fs.String("to", "", "last day (default: today)")
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	from, to, err := syncDays(waterNow(), *fromS, *toS)
	if err != nil {
		return err
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return err
	}
	res, err := waterimport.Sync(ctx, st, w, from, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d automatic stations, %d hourly uploads, %d values (%d flagged, skipped): %s, %d kept\n",
		res.Stations, res.Uploads, res.Values, res.Flagged,
		putSummary{res.Put.Added, res.Put.Unchanged, res.Put.Replaced, res.Put.Duplicate}, res.Put.Kept)
	return nil
}

// runWaterReport: ecowatch water report --period P [--format table|json|xlsx --out FILE]
func runWaterReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water report", "water report --period 2026-10|2026Q3|2026 [--compare yoy|prev] [--format table|json|xlsx] [--out FILE] [--sync]", stderr)
	periodS := fs.String("period", "", "period: a month (2026-10), a quarter (2026Q3) or a year (2026); required")
	compare := fs.String("compare", "yoy", "base period: yoy (same period last year, the CWQI change-rate base) or prev (the period before)")
	format := fs.String("format", "table", "output: table, json or xlsx")
	out := fs.String("out", "", "write to this file instead of stdout (required for xlsx)")
	sync := fs.Bool("sync", false, "first take the automatic stations' hourly uploads of the period into the water data (water sync)")
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *periodS == "" {
		return usageError{errors.New("--period is required")}
	}
	p, err := waterreport.ParsePeriod(*periodS)
	if err != nil {
		return usageError{err}
	}
	if *compare != "yoy" && *compare != "prev" {
		return usageError{fmt.Errorf("--compare %q: want yoy or prev", *compare)}
	}
	switch *format {
	case "table", "json":
	case "xlsx":
		if *out == "" {
			return usageError{errors.New("--format xlsx needs --out FILE")}
		}
	default:
		return usageError{fmt.Errorf("--format %q: want table, json or xlsx", *format)}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if *sync {
		w, err := st.WaterRegistry(ctx)
		if err != nil {
			return err
		}
		res, err := waterimport.Sync(ctx, st, w, p.Start(), p.End())
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "synced %d values from %d hourly uploads\n", res.Put.Added, res.Uploads)
	}
	rep, err := waterreport.Build(ctx, st, p, waterreport.Options{Compare: *compare})
	if err != nil {
		return err
	}
	return atomicfile.Out(*out, stdout, func(w io.Writer) error {
		switch *format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		case "xlsx":
			return waterreport.WriteXLSX(w, waterreport.Chinese, rep)
		}
		return waterreport.WriteText(w, rep)
	})
}

// runWaterTrace: ecowatch water trace --section S --time T
func runWaterTrace(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water trace", "water trace --section CODE --time 'YYYY-MM-DD hh:mm' [--factor CODMn] [--horizon 48h] [--after 24h] [--jump] [--json] [--open-case]", stderr)
	section := fs.String("section", "", "the section that exceeded or jumped (required)")
	timeS := fs.String("time", "", "time of the exceedance, China Standard Time or RFC 3339 (required)")
	factor := fs.String("factor", "CODMn", "item at the section: GB 3838 name or HJ 212 code (outfalls are read for COD when it is CODMn or DO)")
	horizon := fs.Duration("horizon", 48*time.Hour, "travel-time horizon upstream")
	after := fs.Duration("after", 24*time.Hour, "section data after --time also weighed (0: none)")
	jump := fs.Bool("jump", false, "trace a jump at an automatic station rather than an exceedance of the target")
	limit := fs.Float64("limit", 0, "target limit at the section, mg/L (default: from the section's target class)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	openCase := fs.Bool("open-case", false, "open a closed-loop case (source tracing, line water) against the best-ranked outfall's enterprise")
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *section == "" || *timeS == "" {
		return usageError{errors.New("--section and --time are required")}
	}
	t, err := waterimport.ParseTime(*timeS)
	if err != nil {
		return usageError{fmt.Errorf("--time: %w", err)}
	}
	if *horizon <= 0 {
		return usageError{errors.New("--horizon must be positive")}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	q := tracesvc.Query{Section: *section, Time: t, Factor: *factor, Horizon: *horizon, After: *after, Jump: *jump, Limit: *limit}
	if *after == 0 {
		q.After = -1
	}
	rep, err := tracesvc.Run(ctx, st, q)
	if err != nil {
		return err
	}
	if *openCase {
		w, err := st.WaterRegistry(ctx)
		if err != nil {
			return err
		}
		reg, err := st.Registry(ctx)
		if err != nil {
			return err
		}
		c, err := tracesvc.Case(rep, w, reg)
		if err != nil {
			return err
		}
		svc := &casesvc.Service{St: st, DataDir: sf.dataDir}
		// The tracing system registers the case, as an alert rule would.
		c, err = svc.Register(ctx, c, auth.Principal{User: "water-trace", Role: model.RoleMachine, Via: "cli"})
		if err != nil {
			return fmt.Errorf("open case: %w", err)
		}
		fmt.Fprintf(stderr, "case %s opened: %s\n", c.ID, c.Title)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	_, err = io.WriteString(stdout, rep.Text())
	return err
}
