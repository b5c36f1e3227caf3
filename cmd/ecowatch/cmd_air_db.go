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
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airfile"
	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
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
	if format == "auto" {
		format = airfile.Sniff(data)
	}
	var f *airfile.File
	if format == "cnemc" {
		f, err = airfile.ReadCNEMC(bytes.NewReader(data))
	} else {
		f, err = airfile.ReadLong(bytes.NewReader(data))
	}
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
			return airreport.WriteXLSX(w, rep)
		}
		return writeReportTable(w, rep)
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

func writeReportTable(w io.Writer, rep *airreport.Report) error {
	fmt.Fprintf(w, "Air quality evaluation %s (%s to %s), %s, rules %s\n\n", rep.Period, rep.From, rep.To, rep.Standard, rep.Rules)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcode\tname\tdays\tgood%\theavy\tPM2.5\tPM10\tSO2\tNO2\tCO-95\tO3-8h-90\tindex\trank\tindex y/y%\tPM2.5 y/y%\t")
	row := func(e *airreport.Entity) {
		p := e.Pollutants
		idx, rank := "-", "-"
		if e.Index != nil {
			idx = strconv.FormatFloat(e.Index.Sum, 'f', 2, 64)
		}
		if e.Rank.Index > 0 {
			rank = strconv.Itoa(e.Rank.Index)
		}
		yoyI, yoyP := "-", "-"
		if e.Change != nil {
			if e.Change.Index != nil {
				yoyI = strconv.FormatFloat(*e.Change.Index, 'f', 1, 64)
			}
			if e.Change.PM25 != nil {
				yoyP = strconv.FormatFloat(*e.Change.PM25, 'f', 1, 64)
			}
		}
		c := func(x airreport.Conc) string {
			if s := x.String(); s != "" {
				return s
			}
			return "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Kind, e.Code, e.Name, e.Days, e.GoodRatio, e.HeavyDays,
			c(p[air.PM25].Mean), c(p[air.PM10].Mean), c(p[air.SO2].Mean), c(p[air.NO2].Mean), c(p[air.CO].Percentile), c(p[air.O3].Percentile),
			idx, rank, yoyI, yoyP)
	}
	if rep.City != nil {
		row(rep.City)
	}
	for i := range rep.Counties {
		row(&rep.Counties[i])
	}
	for i := range rep.Stations {
		row(&rep.Stations[i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nExcluded hours: %s\n", kvString(rep.Excluded))
	fmt.Fprintf(w, "Station-days without a valid daily value: %s\n", kvString(rep.InvalidDays))
	return nil
}

func kvString(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return airdataSummary(m)
}

func airdataSummary(m map[string]int) string {
	keys := airimport.SortedCodes(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
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
	fmt.Fprintf(stdout, "Targets %d as of %s: %d days elapsed, %d remaining\n\n", rep.Year, rep.AsOf, rep.Elapsed, rep.Remaining)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "area\tname\ttarget\tso far\tbudget for the rest\tstatus")
	for _, a := range rep.Areas {
		if p := a.PM25; p != nil {
			budget := "cannot be met"
			if p.Budget >= 0 {
				budget = "PM2.5 mean ≤ " + p.Budget.String() + " µg/m³"
			} else if p.Feasible {
				budget = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\tPM2.5 ≤ %g\t%s (%d days)\t%s\t%s\n", a.Area, a.Name, p.Target, p.Mean.String(), p.Days, budget, p.Status)
		}
		if g := a.GoodRatio; g != nil {
			budget := "cannot be met"
			if g.Feasible {
				budget = fmt.Sprintf("≤ %d non-good days", g.MaxBadDays)
			}
			fmt.Fprintf(tw, "%s\t%s\tgood ≥ %g%%\t%.1f%% (%d good)\t%s\t%s\n", a.Area, a.Name, g.Target, g.Ratio, g.GoodDays, budget, g.Status)
		}
		if h := a.HeavyDays; h != nil {
			fmt.Fprintf(tw, "%s\t%s\theavy ≤ %d\t%d\t%d more allowed\t%s\n", a.Area, a.Name, h.Target, h.Days, max(h.Left, 0), h.Status)
		}
		if x := a.Index; x != nil {
			val := "-"
			if x.Value != nil {
				val = strconv.FormatFloat(*x.Value, 'f', 2, 64)
			}
			fmt.Fprintf(tw, "%s\t%s\tindex ≤ %g\t%s\t-\t%s\n", a.Area, a.Name, x.Target, val, x.Status)
		}
		if a.PM25 == nil && a.GoodRatio == nil && a.HeavyDays == nil && a.Index == nil {
			fmt.Fprintf(tw, "%s\t%s\t(no targets)\t\t\t\n", a.Area, a.Name)
		}
	}
	return tw.Flush()
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

// checkTargets validates targets against the registry's counties.
func putTargets(ctx context.Context, st store.Store, ts []model.AirTarget) error {
	reg, err := st.Registry(ctx)
	if err != nil {
		return err
	}
	areas := map[string]bool{model.AirCity: true}
	for _, c := range reg.Counties {
		areas[c.Code] = true
	}
	var problems []string
	for i, t := range ts {
		where := fmt.Sprintf("target %d (%s %d)", i+1, t.Area, t.Year)
		if t.Year < 2000 || t.Year > 2100 {
			problems = append(problems, where+": year must be 2000-2100")
		}
		if !areas[t.Area] {
			problems = append(problems, where+": area must be city or a county code of the registry")
		}
		if t.PM25 != nil && (*t.PM25 <= 0 || *t.PM25 != float64(int(*t.PM25))) {
			problems = append(problems, where+": pm25 must be a positive whole µg/m³ (targets are set in whole µg/m³)")
		}
		if t.GoodRatio != nil && (*t.GoodRatio <= 0 || *t.GoodRatio > 100) {
			problems = append(problems, where+": good_ratio must be a percent in (0, 100]")
		}
		if t.HeavyDays != nil && *t.HeavyDays < 0 {
			problems = append(problems, where+": heavy_days must be ≥ 0")
		}
		if t.Index != nil && *t.Index <= 0 {
			problems = append(problems, where+": index must be positive")
		}
		if t.PM25 == nil && t.GoodRatio == nil && t.HeavyDays == nil && t.Index == nil {
			problems = append(problems, where+": sets no target")
		}
	}
	if len(problems) > 0 {
		return usageError{errors.New(strings.Join(problems, "; "))}
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
	var doc struct {
		Targets []model.AirTarget `yaml:"targets"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := putTargets(ctx, st, doc.Targets); err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	fmt.Fprintf(stdout, "%d targets stored\n", len(doc.Targets))
	return nil
}

// runAirBench: ecowatch air bench — the performance target of issue 3: a
// year of hourly data of N stations from the store to the annual report.
func runAirBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air bench", "air bench [--stations 2000] [--year 2025] [--db DSN | --dir DIR]", stderr)
	n := fs.Int("stations", 2000, "stations (each a year of synthetic hourly data)")
	year := fs.Int("year", 2025, "year")
	dsn := fs.String("db", "", "store to fill (default: a new SQLite file in --dir); it must be empty")
	dir := fs.String("dir", "", "directory for the SQLite file (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError{errors.New("--stations must be ≥ 1")}
	}
	if *dsn == "" {
		d := *dir
		if d == "" {
			tmp, err := os.MkdirTemp("", "ecowatch-air-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			d = tmp
		}
		*dsn = "sqlite:" + filepath.Join(d, "air-bench.db")
	}
	st, err := store.Open(ctx, *dsn, store.Options{Synchronous: "normal"})
	if err != nil {
		return err
	}
	defer st.Close()
	reg := &model.Registry{}
	for c := range 10 {
		reg.Counties = append(reg.Counties, model.County{Code: fmt.Sprintf("99%04d", c), Name: fmt.Sprintf("县%d", c)})
	}
	for i := range *n {
		reg.Stations = append(reg.Stations, model.Station{Code: fmt.Sprintf("B%05d", i), Name: fmt.Sprintf("站%d", i),
			County: reg.Counties[i%10].Code, Level: model.StationProvincial, Lat: 36, Lon: 116, CityEval: i%4 == 0, CountyEval: true})
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		return err
	}
	t0 := time.Now()
	hours := 0
	for i, s := range reg.Stations {
		hs := airimport.SyntheticYear(s.Code, i, *year, 1)
		hours += len(hs)
		if _, err := st.PutAirHours(ctx, hs, store.AirPut{Source: "bench"}); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	load := time.Since(t0)
	fmt.Fprintf(stdout, "loaded %d stations, %d station-hours in %.1f s (%.0f station-hours/s)\n", *n, hours, load.Seconds(), float64(hours)/load.Seconds())
	t0 = time.Now()
	rep, err := airreport.Build(ctx, st, airreport.Options{Period: air.Period{Kind: air.Year, Year: *year}, NoPrevious: true})
	if err != nil {
		return err
	}
	d := time.Since(t0)
	fmt.Fprintf(stdout, "annual report of %d stations, %d counties and the city: %.2f s (%.1f million station-hours/s); target ≤ 10 s: %s\n",
		len(rep.Stations), len(rep.Counties), d.Seconds(), float64(hours)/d.Seconds()/1e6, map[bool]string{true: "met", false: "MISSED"}[d <= 10*time.Second])
	return nil
}
