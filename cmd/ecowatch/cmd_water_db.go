package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
	"github.com/ecowatch/ecowatch/internal/water/tracesvc"
	"github.com/ecowatch/ecowatch/internal/water/waterimport"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The surface-water subcommands that use the store: registry, import,
// sync, report, trace. classify (file only) is in cmd_water.go.

// waterNow is the clock of the water commands (tests set it).
var waterNow = time.Now

var runWaterRegistry = group("water registry", `The water registry is a YAML file (rivers, nodes, reaches, sections, sources, outfalls) or a
directory of the same as CSV files; it refers to the main registry's counties, water outlets and
ST=21 devices.`, map[string]command{
	"validate": {"check a water registry (and, with a store, its references)", waterRegistryCmd("validate")},
	"import":   {"validate and store a water registry, all or nothing", waterRegistryCmd("import")},
	"export":   {"write the stored (or --demo) water registry", waterRegistryCmd("export")},
})

func waterRegistryCmd(sub string) runFunc {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
		fs := newFlagSet("water registry "+sub, "water registry "+sub+" [flags] FILE.yaml|DIR  (- for stdout on export)", stderr)
		demo, devices := new(bool), new(string)
		if sub == "export" {
			demo = fs.Bool("demo", false, "the demo city's water registry (for registry.DemoCity(1)) instead of the stored one")
			devices = fs.String("devices", "", "with --demo: also write the automatic stations' ST=21 devices to this registry file (import it with ecowatch registry import first)")
		}
		sf := storeFlagsOf(fs)
		files, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(files) != 1 {
			return usage.Error{Err: errors.New("want one file (YAML) or directory (CSV)")}
		}
		switch {
		case sub == "export" && *demo:
			return waterreg.ExportDemo(files[0], *devices, stdout)
		case sub == "export":
			return sf.with(ctx, func(st store.Store) error {
				w, err := st.WaterRegistry(ctx)
				if err != nil {
					return err
				}
				return waterreg.ExportFile(files[0], w, stdout)
			})
		case sub == "import":
			return sf.with(ctx, func(st store.Store) error { return waterreg.ImportFile(ctx, st, files[0], stdout, stderr) })
		case sf.exists():
			return sf.withRegistry(ctx, func(_ store.Store, reg *model.Registry) error {
				return waterreg.ValidateFile(files[0], reg, stdout, stderr)
			})
		}
		return waterreg.ValidateFile(files[0], nil, stdout, stderr)
	}
}

func runWaterImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water import", `water import [--data-dir DIR | --db DSN] FILE...

Imports laboratory results in long format (CSV), one result per line:
  section,time,item,value,below_dl
  WS01,2026-10-08 10:00,NH3-N,0.52,
A file with any bad line is not imported at all; the error names line and column.
Importing a file again changes nothing; a corrected value replaces the stored one.`, stderr)
	sf := storeFlagsOf(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usage.Error{Err: errors.New("no input files")}
	}
	return sf.with(ctx, func(st store.Store) error {
		return waterimport.ImportFiles(ctx, st, files, stdin, stdout, stderr)
	})
}

func runWaterSync(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water sync", "water sync [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--data-dir DIR | --db DSN]", stderr)
	fromS := fs.String("from", "", "first day of the stations' hourly uploads to take (default: 3 days ago)")
	toS := fs.String("to", "", "last day (default: today)")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	from, to, err := syncDays(waterNow(), *fromS, *toS)
	if err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error {
		w, err := st.WaterRegistry(ctx)
		if err != nil {
			return err
		}
		res, err := waterimport.Sync(ctx, st, w, from, to)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
		return nil
	})
}

func runWaterReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water report", "water report --period 2026-10|2026Q3|2026 [--compare yoy|prev] [--format table|json|xlsx] [--lang zh|en] [--out FILE] [--sync]", stderr)
	periodS := fs.String("period", "", "period: a month (2026-10), a quarter (2026Q3) or a year (2026); required")
	compare := fs.String("compare", "yoy", "base period: yoy (same period last year, the CWQI change-rate base) or prev (the period before)")
	out := outFlagsOf(fs, "table", "json", "xlsx")
	sync := fs.Bool("sync", false, "first take the automatic stations' hourly uploads of the period into the water data (water sync)")
	langS := fs.String("lang", "zh", "language of the table and workbook: zh or en")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	lang, err := workbook.ParseLang(*langS)
	if err != nil {
		return usage.Error{Err: err}
	}
	if *periodS == "" {
		return usage.Error{Err: errors.New("--period is required")}
	}
	p, err := chinatime.ParsePeriod(*periodS, waterreport.Kinds...)
	if err != nil {
		return usage.Error{Err: err}
	}
	if err := oneOf("compare", *compare, "yoy", "prev"); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error {
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
		return out.write(stdout, rep, func(w io.Writer) error { return waterreport.WriteXLSX(w, lang, rep) },
			func(w io.Writer) error { return waterreport.WriteText(w, lang, rep) })
	})
}

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
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if *section == "" || *timeS == "" {
		return usage.Error{Err: errors.New("--section and --time are required")}
	}
	t, err := waterimport.ParseTime(*timeS)
	if err != nil {
		return usage.Error{Err: fmt.Errorf("--time: %w", err)}
	}
	if *horizon <= 0 {
		return usage.Error{Err: errors.New("--horizon must be positive")}
	}
	return sf.with(ctx, func(st store.Store) error {
		q := tracesvc.Query{Section: *section, Time: t, Factor: *factor, Horizon: *horizon, After: *after, Jump: *jump, Limit: *limit}
		if *after == 0 {
			q.After = -1
		}
		rep, err := tracesvc.Run(ctx, st, q)
		if err != nil {
			return err
		}
		if *openCase {
			c, err := tracesvc.OpenCase(ctx, st, &casesvc.Service{St: st, DataDir: sf.dataDir}, rep, "cli")
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "case %s opened: %s\n", c.ID, c.Title)
		}
		if *asJSON {
			return writeJSON(stdout, rep)
		}
		_, err = io.WriteString(stdout, rep.Text())
		return err
	})
}
