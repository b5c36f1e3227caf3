package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/bench"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The air subcommands that use the store: import, sync, report, targets,
// bench. The file commands (hourly, daily) are in cmd_air.go.

// airNow is the clock of the air commands (tests set it).
var airNow = time.Now

func runAirImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air import", "air import [--format auto|cnemc|long] [--data-dir DIR | --db DSN] FILE...", stderr)
	format := fs.String("format", "auto", "input format: cnemc (date,hour,type,<stations...>), long (station,time,pollutant,value,flag) or auto")
	sf := storeFlagsOf(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := oneOf("format", *format, "auto", "cnemc", "long"); err != nil {
		return err
	}
	if len(files) == 0 {
		return usage.Error{Err: errors.New("no input files")}
	}
	return sf.withRegistry(ctx, func(st store.Store, reg *model.Registry) error {
		return airimport.ImportFiles(ctx, st, reg.Stations, files, airimport.Files{Format: *format, At: airNow(), Stdin: stdin,
			Out: stdout, Errs: prefixed(stderr, "ecowatch air import: "), Progress: terminal(stderr)})
	})
}

// syncDays is the [from, to) range of the sync commands: --from and --to
// are days in China time, to included; the default is the last three days
// and today.
func syncDays(now time.Time, from, to string) (time.Time, time.Time, error) {
	f, t, err := chinatime.DayRange(now, from, to, 3)
	if err != nil {
		return f, t, usage.Error{Err: fmt.Errorf("--%w", err)}
	}
	return f, t, nil
}

func runAirSync(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air sync", "air sync [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--data-dir DIR | --db DSN]", stderr)
	fromS := fs.String("from", "", "first day of the devices' hourly uploads to take (default: 3 days ago)")
	toS := fs.String("to", "", "last day (default: today)")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	from, to, err := syncDays(airNow(), *fromS, *toS)
	if err != nil {
		return err
	}
	return sf.withRegistry(ctx, func(st store.Store, reg *model.Registry) error {
		res, err := airimport.Sync(ctx, st, reg.Stations, from, to)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res.Summary())
		return nil
	})
}

func runAirReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air report", "air report --year YYYY [--month M | --quarter Q] [--county CODE] [--rules 2012|2026] [--format table|json|xlsx] [--lang zh|en] [--out FILE]", stderr)
	var c airreport.Choice
	fs.IntVar(&c.Year, "year", 0, "year to evaluate (required)")
	fs.IntVar(&c.Month, "month", 0, "evaluate one month (1-12) instead of the year")
	fs.IntVar(&c.Quarter, "quarter", 0, "evaluate one quarter (1-4) instead of the year")
	fs.StringVar(&c.County, "county", "", "only this county (its code) and its stations")
	fs.StringVar(&c.Rules, "rules", "auto", "rule version: auto (2012 before 2026-03-01, 2026 from then), 2012 or 2026")
	fs.StringVar(&c.Standard, "standard", "auto", "GB 3095 limits: auto (in force at the period's end), 2012, 2026-transition or 2026")
	out := outFlagsOf(fs, "table", "json", "xlsx")
	sync := fs.Bool("sync", false, "first take the stations' HJ 212 hourly uploads of the period into the air data (air sync)")
	langS := fs.String("lang", "zh", "language of the table and workbook: zh or en")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	lang, err := workbook.ParseLang(*langS)
	if err != nil {
		return usage.Error{Err: err}
	}
	o, err := c.Options()
	if err != nil {
		return usage.Error{Err: err}
	}
	if err := out.check(); err != nil {
		return err
	}
	return sf.withRegistry(ctx, func(st store.Store, reg *model.Registry) error {
		if *sync {
			res, err := airimport.Sync(ctx, st, reg.Stations, o.Period.Start(), o.Period.End())
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, res.Summary())
		}
		rep, err := airreport.Build(ctx, st, o)
		if err != nil {
			return err
		}
		return out.write(stdout, rep, func(w io.Writer) error { return airreport.WriteXLSX(w, lang, rep) },
			func(w io.Writer) error { return airreport.WriteTable(w, lang, rep) })
	})
}

func runAirTargets(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "set":
			return runAirTargetsSet(ctx, args[1:], stdout, stderr)
		case "import":
			return runAirTargetsImport(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fs := newFlagSet("air targets", "air targets --year YYYY [--as-of YYYY-MM-DD] [--format table|json] | air targets set ... | air targets import FILE.yaml", stderr)
	year := fs.Int("year", 0, "year of the targets (default: this year)")
	asOfS := fs.String("as-of", "", "last day counted (default: yesterday)")
	rules := fs.String("rules", "auto", "rule version: auto, 2012 or 2026")
	out := outFlagsOf(fs, "table", "json")
	langS := fs.String("lang", "zh", "language of the table: zh or en")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	lang, err := workbook.ParseLang(*langS)
	if err != nil {
		return usage.Error{Err: err}
	}
	asOf := chinatime.Day(airNow()).AddDate(0, 0, -1)
	if *asOfS != "" {
		var err error
		if asOf, err = chinatime.ParseDay(*asOfS); err != nil {
			return usage.Error{Err: fmt.Errorf("--as-of: %w", err)}
		}
	}
	if *year == 0 {
		*year = asOf.Year()
	}
	v, err := parseRules(*rules)
	if err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error {
		rep, err := airreport.Targets(ctx, st, *year, asOf, v)
		if err != nil {
			return err
		}
		return out.write(stdout, rep, nil, func(w io.Writer) error { return airreport.WriteTargets(w, lang, rep) })
	})
}

// optFloat is a float flag that records whether it was given.
type optFloat struct{ v *float64 }

func (o *optFloat) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.FormatFloat(*o.v, 'f', -1, 64)
}

func (o *optFloat) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	o.v = &f
	return err
}

func runAirTargetsSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("air targets set", "air targets set --year YYYY --area city|COUNTY [--pm25 X] [--good-ratio X] [--heavy-days N] [--index X]", stderr)
	year := fs.Int("year", 0, "year (required)")
	area := fs.String("area", "", "city, or a county code (required)")
	var pm, good, idx optFloat
	fs.Var(&pm, "pm25", "annual mean PM2.5 target, µg/m³ (at most)")
	fs.Var(&good, "good-ratio", "good-day ratio target, percent (at least)")
	heavy := fs.Int("heavy-days", -1, "heavily polluted days target (at most)")
	fs.Var(&idx, "index", "comprehensive index target (at most)")
	sf := storeFlagsOf(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	t := model.AirTarget{Year: *year, Area: *area, PM25: pm.v, GoodRatio: good.v, Index: idx.v}
	if *heavy >= 0 {
		t.HeavyDays = heavy
	}
	if err := putTargets(ctx, sf, []model.AirTarget{t}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "targets of %s for %d stored\n", t.Area, t.Year)
	return nil
}

// putTargets checks targets against the registry's counties and stores them.
func putTargets(ctx context.Context, sf *storeFlags, ts []model.AirTarget) error {
	return sf.withRegistry(ctx, func(st store.Store, reg *model.Registry) error {
		if err := airreport.CheckTargets(reg, ts); err != nil {
			return usage.Error{Err: err}
		}
		return st.PutAirTargets(ctx, ts)
	})
}

func runAirTargetsImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air targets import", "air targets import FILE.yaml  (targets: [{year, area, pm25, good_ratio, heavy_days, index}, ...])", stderr)
	sf := storeFlagsOf(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usage.Error{Err: errors.New("want one YAML file")}
	}
	r, done, err := openInput(files[0], stdin)
	if err != nil {
		return err
	}
	defer done()
	targets, err := airreport.ReadTargets(r)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	if err := putTargets(ctx, sf, targets); err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	fmt.Fprintf(stdout, "%d targets stored\n", len(targets))
	return nil
}

// openInput opens a named input file; "-" is stdin.
func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func runAirBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air bench", "air bench [--stations 2000] [--year 2025] [--db DSN | --dir DIR]  (a year of hourly data of N stations from the store to the annual report)", stderr)
	var cfg bench.AirReportConfig
	fs.IntVar(&cfg.Stations, "stations", 2000, "stations (each a year of synthetic hourly data)")
	fs.IntVar(&cfg.Year, "year", 2025, "year")
	fs.StringVar(&cfg.DSN, "db", "", "store to fill (default: a new SQLite file in --dir); it must be empty")
	fs.StringVar(&cfg.Dir, "dir", "", "directory for the SQLite file (default: a temporary one, removed afterwards)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Stations < 1 {
		return usage.Error{Err: errors.New("--stations must be ≥ 1")}
	}
	return bench.AirReport(ctx, cfg, stdout)
}
