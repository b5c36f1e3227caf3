package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

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

type airFileOpts struct {
	format string
	rules  air.Version // 0 = by date
}

func runAirFiles(ctx context.Context, sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("air "+sub, "air "+sub+" [--format auto|cnemc|long] [--rules auto|2012|2026] FILE... (- for stdin)", stderr)
	format := fs.String("format", "auto", "input format: cnemc (date,hour,type,<stations...>), long (station,time,pollutant,value,flag) or auto")
	rules := fs.String("rules", "auto", "rule version: auto (2012 before 2026-03-01, 2026 from then), 2012 or 2026")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var o airFileOpts
	switch *format {
	case "auto", "cnemc", "long":
		o.format = *format
	default:
		return usageError{fmt.Errorf("--format %q: want auto, cnemc or long", *format)}
	}
	if *rules != "auto" {
		v, ok := air.ParseVersion(*rules)
		if !ok {
			return usageError{fmt.Errorf("--rules %q: want auto, 2012 or 2026", *rules)}
		}
		o.rules = v
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no input files")}
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	var excluded air.Exclusions
	var failed []string
	var daily dayCollector
	for _, name := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := readAirFile(name, o.format, stdin)
		if err != nil {
			// The file's error names file, line and column; nothing of it is output.
			fmt.Fprintf(stderr, "ecowatch air %s: %v\n", sub, err)
			failed = append(failed, name)
			continue
		}
		mergeExclusions(&excluded, &f.Excluded)
		if sub == "hourly" {
			if err := writeHourly(w, f, o); err != nil {
				return err
			}
		} else {
			daily.add(f, &excluded)
		}
	}
	if sub == "daily" {
		if err := daily.write(w, o); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if n := excluded.Total(); n > 0 {
		fmt.Fprintf(stderr, "ecowatch air %s: %d values excluded: %s\n", sub, n, summary(&excluded))
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

func mergeExclusions(dst, src *air.Exclusions) {
	dst.List = append(dst.List, src.List...)
	for r, c := range src.Count {
		dst.Count[r] += c
	}
}

func summary(e *air.Exclusions) string {
	m := e.Summary()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// iaqiJSON writes sub-indices in slot order, only those computed.
type iaqiJSON [air.NumIndex]int16

func (x iaqiJSON) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, v := range x {
		if v < 0 {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q:%d", air.Index(i).String(), v)
	}
	return append(b, '}'), nil
}

type resultJSON struct {
	AQI      *int     `json:"aqi"`
	Level    *int     `json:"level"`
	Category *string  `json:"category"`
	English  *string  `json:"category_en,omitempty"`
	Colour   *string  `json:"colour,omitempty"`
	Primary  []string `json:"primary"`
	IAQI     iaqiJSON `json:"iaqi"`
	Missing  []string `json:"missing,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

func toJSON(r *air.Result) resultJSON {
	out := resultJSON{Primary: []string{}, IAQI: iaqiJSON(r.IAQI)}
	if r.Missing != 0 {
		out.Missing = r.Missing.Strings()
	}
	if r.Notes != 0 {
		out.Notes = r.Notes.Strings()
	}
	// HJ 633-2026 §5.3.1: with an indicator missing, publish the AQI only
	// above 100 (CNEMC does the same); otherwise AQI, level and primary are NA.
	if !r.Publishable() {
		return out
	}
	aqi := int(r.AQI)
	lv := r.Level()
	out.AQI, out.Level, out.Category, out.English, out.Colour = &aqi, &lv.Number, &lv.Category, &lv.English, &lv.HexColour
	out.Primary = r.Primary.Strings()
	return out
}

type hourJSON struct {
	Station string `json:"station"`
	Time    string `json:"time"`
	Rules   string `json:"rules"`
	resultJSON
}

func versionFor(o airFileOpts, start time.Time) air.Version {
	if o.rules != 0 {
		return o.rules
	}
	return air.VersionAt(start)
}

func writeHourly(w io.Writer, f *airfile.File, o airFileOpts) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range f.Records {
		rec := &f.Records[i]
		v := versionFor(o, rec.End.Add(-time.Hour))
		r := air.Hourly(v, &rec.Hour)
		if err := enc.Encode(hourJSON{rec.Station, rec.End.Format(time.RFC3339), v.String(), toJSON(&r)}); err != nil {
			return err
		}
	}
	return nil
}

// dayCollector gathers station-hours from all files into natural days.
type dayCollector struct {
	stations []string
	sidx     map[string]int
	days     map[dayKey]*air.DayHours
	seen     map[[2]int64]bool
}

type dayKey struct {
	station int
	day     int64 // Unix seconds of 00:00 CST
}

func (c *dayCollector) add(f *airfile.File, ex *air.Exclusions) {
	if c.sidx == nil {
		c.sidx, c.days, c.seen = map[string]int{}, map[dayKey]*air.DayHours{}, map[[2]int64]bool{}
	}
	for i := range f.Records {
		rec := &f.Records[i]
		si, ok := c.sidx[rec.Station]
		if !ok {
			si = len(c.stations)
			c.sidx[rec.Station] = si
			c.stations = append(c.stations, rec.Station)
		}
		// The hour labelled t covers t−1h … t and belongs to the day of t−1h.
		start := rec.End.Add(-time.Hour).In(air.CST)
		if c.seen[[2]int64{int64(si), start.Unix()}] {
			ex.Add(air.Exclusion{Station: rec.Station, Time: rec.End, Reason: air.ReasonDuplicate})
			continue
		}
		c.seen[[2]int64{int64(si), start.Unix()}] = true
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, air.CST)
		k := dayKey{si, day.Unix()}
		d := c.days[k]
		if d == nil {
			nd := air.NewDayHours()
			d = &nd
			c.days[k] = d
		}
		for p := range rec.Hour.C {
			d.C[p][start.Hour()] = rec.Hour.C[p]
		}
	}
}

type dayJSON struct {
	Station string            `json:"station"`
	Date    string            `json:"date"`
	Rules   string            `json:"rules"`
	Conc    map[string]any    `json:"conc"`
	Hours   map[string]int    `json:"hours"`
	Invalid map[string]string `json:"invalid,omitempty"`
	resultJSON
}

func (c *dayCollector) write(w io.Writer, o airFileOpts) error {
	keys := make([]dayKey, 0, len(c.days))
	for k := range c.days {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dayKey) int {
		if a.day != b.day {
			return int(a.day - b.day)
		}
		return a.station - b.station
	})
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, k := range keys {
		day := time.Unix(k.day, 0).In(air.CST)
		v := versionFor(o, day)
		res := air.EvaluateDay(v, c.days[k])
		out := dayJSON{Station: c.stations[k.station], Date: day.Format("2006-01-02"), Rules: v.String(),
			Conc: map[string]any{}, Hours: map[string]int{}, resultJSON: toJSON(&res.AQI)}
		for p := air.Pollutant(0); p < air.NumPollutants; p++ {
			out.Hours[p.String()] = res.Hours[p]
			if res.Excluded[p] != air.ReasonNone {
				if out.Invalid == nil {
					out.Invalid = map[string]string{}
				}
				out.Invalid[p.String()] = res.Excluded[p].String()
			}
			if p != air.O3 {
				out.Conc[p.String()] = concJSON(res.Values.Mean[p])
			}
		}
		out.Conc["O3_8h"] = concJSON(res.Values.O3Max8h)
		out.Conc["O3_1h"] = concJSON(res.Values.O3Max1h)
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return nil
}

// concJSON renders a concentration as a JSON number, or null when missing.
func concJSON(c air.Conc) any {
	if c < 0 {
		return nil
	}
	return json.Number(c.String())
}
