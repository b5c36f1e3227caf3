package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airfile"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/bench"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The air subcommands that use the store: import, sync, report, targets,
// bench. The file commands (hourly, daily) are in cmd_air.go.

// airNow is the clock of the air commands (tests set it).
var airNow = time.Now

// runAirImport: ecowatch air import [--format auto|cnemc|long] FILE...
func runAirImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air import", "air import [--format auto|cnemc|long] [--data-dir DIR | --db DSN] FILE...", stderr)
	format := fs.String("format", "auto", "input format: cnemc (date,hour,type,<stations...>), long (station,time,pollutant,value,flag) or auto")
	var sf registryStoreFlags
	sf.register(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch *format {
	case "auto", "cnemc", "long":
	default:
		return usageError{fmt.Errorf("--format %q: want auto, cnemc or long", *format)}
	}
	if len(files) == 0 {
		return usageError{errors.New("no input files")}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := st.Registry(ctx)
	if err != nil {
		return err
	}
	if len(reg.Stations) == 0 {
		return errors.New("the registry has no air stations: import them first (ecowatch registry import, stations.csv or stations: in YAML)")
	}
	known := airimport.KnownStations(reg.Stations)
	var failed []string
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := readAirFileProgress(name, *format, stdin, stderr)
		if err != nil {
			// The error names file, line and column; nothing of the file is stored.
			fmt.Fprintf(stderr, "ecowatch air import: %v (nothing stored)\n", err)
			failed = append(failed, name)
			continue
		}
		res, err := airimport.Import(ctx, st, f, filepath.Base(name), known, airNow())
		if err != nil {
			fmt.Fprintf(stderr, "ecowatch air import: %v (nothing stored)\n", err)
			failed = append(failed, name)
			continue
		}
		fmt.Fprintln(stdout, res.Summary())
		for _, code := range airimport.SortedCodes(res.UnknownStations) {
			fmt.Fprintf(stderr, "ecowatch air import: %s: station %s is not in the registry: %d station-hours excluded (unknown_station)\n",
				name, code, res.UnknownStations[code])
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not imported: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}

// readAirFileProgress reads and parses a file, drawing a progress bar on
// stderr for a large file when stderr is a terminal.
func readAirFileProgress(name, format string, stdin io.Reader, stderr io.Writer) (*airfile.File, error) {
	if name == "-" {
		return readAirFile(name, format, stdin)
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var r io.Reader = fh
	if fi, err := fh.Stat(); err == nil && fi.Size() > 4<<20 && isTerminal(stderr) {
		p := &progressReader{r: fh, w: stderr, total: fi.Size(), label: filepath.Base(name)}
		defer p.done()
		r = p
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f, err := airfile.Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// isTerminal reports whether w is a character device (a terminal), with
// the standard library only.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressReader draws "name [#####.....]  42% 12.0/28.6 MiB" as it reads,
// at most ten times a second.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	total int64
	n     int64
	last  time.Time
	label string
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
	return n, err
}

func (p *progressReader) draw() {
	const width = 30
	frac := float64(p.n) / float64(max(p.total, 1))
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %.1f/%.1f MiB", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		int(frac*100), float64(p.n)/(1<<20), float64(p.total)/(1<<20))
}

func (p *progressReader) done() {
	p.draw()
	fmt.Fprintln(p.w)
}

// parseDay reads YYYY-MM-DD in CST.
func parseDay(flagName, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, air.CST)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--%s %q: want YYYY-MM-DD", flagName, s)}
	}
	return t, nil
}

// syncDays is the [from, to) range of the sync commands: --from and --to
// are days in China time, to included; the default is the last three days
// and today.
func syncDays(now time.Time, fromS, toS string) (from, to time.Time, err error) {
	now = now.In(air.CST)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, air.CST)
	from, to = today.AddDate(0, 0, -3), today.AddDate(0, 0, 1)
	if fromS != "" {
		if from, err = parseDay("from", fromS); err != nil {
			return from, to, err
		}
	}
	if toS != "" {
		if to, err = parseDay("to", toS); err != nil {
			return from, to, err
		}
		to = to.AddDate(0, 0, 1)
	}
	return from, to, nil
}

// runAirSync: ecowatch air sync [--from DATE] [--to DATE]
func runAirSync(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air sync", "air sync [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--data-dir DIR | --db DSN]", stderr)
	fromS := fs.String("from", "", "first day of the devices' hourly uploads to take (default: 3 days ago)")
	toS := fs.String("to", "", "last day (default: today)")
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	from, to, err := syncDays(airNow(), *fromS, *toS)
	if err != nil {
		return err
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := st.Registry(ctx)
	if err != nil {
		return err
	}
	res, err := airimport.Sync(ctx, st, reg.Stations, from, to)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Summary())
	return nil
}

type airReportFlags struct {
	year, month, quarter int
	county, rules, std   string
	format, out          string
	sync                 bool
	sf                   registryStoreFlags
}

// runAirReport: ecowatch air report --year Y [--month M|--quarter Q] ...
func runAirReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air report", "air report --year YYYY [--month M | --quarter Q] [--county CODE] [--rules 2012|2026] [--format table|json|xlsx] [--out FILE]", stderr)
	var f airReportFlags
	fs.IntVar(&f.year, "year", 0, "year to evaluate (required)")
	fs.IntVar(&f.month, "month", 0, "evaluate one month (1-12) instead of the year")
	fs.IntVar(&f.quarter, "quarter", 0, "evaluate one quarter (1-4) instead of the year")
	fs.StringVar(&f.county, "county", "", "only this county (its code) and its stations")
	fs.StringVar(&f.rules, "rules", "auto", "rule version: auto (2012 before 2026-03-01, 2026 from then), 2012 or 2026")
	fs.StringVar(&f.std, "standard", "auto", "GB 3095 limits: auto (in force at the period's end), 2012, 2026-transition or 2026")
	fs.StringVar(&f.format, "format", "table", "output: table, json or xlsx")
	fs.StringVar(&f.out, "out", "", "write to this file instead of stdout (required for xlsx)")
	fs.BoolVar(&f.sync, "sync", false, "first take the stations' HJ 212 hourly uploads of the period into the air data (air sync)")
	f.sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	if f.format == "xlsx" && f.out == "" {
		return usageError{errors.New("--format xlsx needs --out FILE")}
	}
	st, err := f.sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if f.sync {
		reg, err := st.Registry(ctx)
		if err != nil {
			return err
		}
		res, err := airimport.Sync(ctx, st, reg.Stations, opts.Period.Start(), opts.Period.End())
		if err != nil {
			return err
		}
		fmt.Fprintln(stderr, res.Summary())
	}
	rep, err := airreport.Build(ctx, st, opts)
	if err != nil {
		return err
	}
	return atomicfile.Out(f.out, stdout, func(w io.Writer) error {
		switch f.format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		case "xlsx":
			return airreport.WriteXLSX(w, airreport.Chinese, rep)
		}
		return airreport.WriteTable(w, rep)
	})
}

func (f *airReportFlags) options() (airreport.Options, error) {
	var o airreport.Options
	if f.year < 2000 || f.year > 2100 {
		return o, usageError{errors.New("--year YYYY is required (2000-2100)")}
	}
	switch {
	case f.month != 0 && f.quarter != 0:
		return o, usageError{errors.New("give --month or --quarter, not both")}
	case f.month != 0:
		if f.month < 1 || f.month > 12 {
			return o, usageError{fmt.Errorf("--month %d: want 1-12", f.month)}
		}
		o.Period = air.Period{Kind: air.Month, Year: f.year, N: f.month}
	case f.quarter != 0:
		if f.quarter < 1 || f.quarter > 4 {
			return o, usageError{fmt.Errorf("--quarter %d: want 1-4", f.quarter)}
		}
		o.Period = air.Period{Kind: air.Quarter, Year: f.year, N: f.quarter}
	default:
		o.Period = air.Period{Kind: air.Year, Year: f.year}
	}
	o.County = f.county
	if f.rules != "auto" {
		v, ok := air.ParseVersion(f.rules)
		if !ok {
			return o, usageError{fmt.Errorf("--rules %q: want auto, 2012 or 2026", f.rules)}
		}
		o.Rules = v
	}
	switch f.std {
	case "auto":
	case "2012":
		o.Standard = air.GB3095_2012
	case "2026-transition":
		o.Standard = air.GB3095_2026Transition
	case "2026":
		o.Standard = air.GB3095_2026
	default:
		return o, usageError{fmt.Errorf("--standard %q: want auto, 2012, 2026-transition or 2026", f.std)}
	}
	switch f.format {
	case "table", "json", "xlsx":
	default:
		return o, usageError{fmt.Errorf("--format %q: want table, json or xlsx", f.format)}
	}
	return o, nil
}

// runAirTargets: ecowatch air targets [set|import] ...
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
	format := fs.String("format", "table", "output: table or json")
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (subcommands: set, import)", fs.Arg(0))}
	}
	now := airNow().In(air.CST)
	asOf := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, air.CST).AddDate(0, 0, -1)
	if *asOfS != "" {
		var err error
		if asOf, err = parseDay("as-of", *asOfS); err != nil {
			return err
		}
	}
	if *year == 0 {
		*year = asOf.Year()
	}
	var v air.Version
	if *rules != "auto" {
		var ok bool
		if v, ok = air.ParseVersion(*rules); !ok {
			return usageError{fmt.Errorf("--rules %q: want auto, 2012 or 2026", *rules)}
		}
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Errorf("--format %q: want table or json", *format)}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := airreport.Targets(ctx, st, *year, asOf, v)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return airreport.WriteTargets(stdout, rep)
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
	if err != nil {
		return err
	}
	o.v = &f
	return nil
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
	var sf registryStoreFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	t := model.AirTarget{Year: *year, Area: *area, PM25: pm.v, GoodRatio: good.v, Index: idx.v}
	if *heavy >= 0 {
		t.HeavyDays = heavy
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := putTargets(ctx, st, []model.AirTarget{t}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "targets of %s for %d stored\n", t.Area, t.Year)
	return nil
}

// putTargets checks targets against the registry's counties and stores them.
func putTargets(ctx context.Context, st store.Store, ts []model.AirTarget) error {
	reg, err := st.Registry(ctx)
	if err != nil {
		return err
	}
	if err := airreport.CheckTargets(reg, ts); err != nil {
		return usageError{err}
	}
	return st.PutAirTargets(ctx, ts)
}

func runAirTargetsImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air targets import", "air targets import FILE.yaml  (targets: [{year, area, pm25, good_ratio, heavy_days, index}, ...])", stderr)
	var sf registryStoreFlags
	sf.register(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageError{errors.New("want one YAML file")}
	}
	var data []byte
	if files[0] == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(files[0])
	}
	if err != nil {
		return err
	}
	targets, err := airreport.ReadTargets(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := putTargets(ctx, st, targets); err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	fmt.Fprintf(stdout, "%d targets stored\n", len(targets))
	return nil
}

// runAirBench: ecowatch air bench — a year of hourly data of N stations
// from the store to the annual report.
func runAirBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air bench", "air bench [--stations 2000] [--year 2025] [--db DSN | --dir DIR]", stderr)
	var cfg bench.AirReportConfig
	fs.IntVar(&cfg.Stations, "stations", 2000, "stations (each a year of synthetic hourly data)")
	fs.IntVar(&cfg.Year, "year", 2025, "year")
	fs.StringVar(&cfg.DSN, "db", "", "store to fill (default: a new SQLite file in --dir); it must be empty")
	fs.StringVar(&cfg.Dir, "dir", "", "directory for the SQLite file (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Stations < 1 {
		return usageError{errors.New("--stations must be ≥ 1")}
	}
	return bench.AirReport(ctx, cfg, stdout)
}
