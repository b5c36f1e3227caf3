package airfile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
)

// Evaluation of files as JSON lines (`ecowatch air hourly|daily`): the
// hourly AQI of each record, or the daily values and AQI of each
// station-day gathered from several files.

// Options say how the files are evaluated.
type Options struct {
	Rules air.Version // 0: by date (air.VersionAt)
}

// MergeExclusions adds src's exclusions to dst.
func MergeExclusions(dst, src *air.Exclusions) {
	dst.List = append(dst.List, src.List...)
	for r, c := range src.Count {
		dst.Count[r] += c
	}
}

// Summary renders the exclusions' counts by reason as "reason=n ...".
func Summary(e *air.Exclusions) string { return air.FormatCounts(e.Summary()) }

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

func versionFor(o Options, start time.Time) air.Version {
	if o.Rules != 0 {
		return o.Rules
	}
	return air.VersionAt(start)
}

// WriteHourly writes the real-time AQI of each station-hour of f (HJ 633)
// as one JSON object a line.
func WriteHourly(w io.Writer, f *File, o Options) error {
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

// Days gathers station-hours from any number of files into natural days
// (the day rule of air.HourOf), for their daily evaluation.
type Days struct {
	stations []string
	sidx     map[string]int
	days     map[dayKey]*air.DayHours
	seen     map[[2]int64]bool
}

type dayKey struct {
	station int
	day     int64 // air.DayNumber
}

// Add gathers f's records; an hour already gathered is excluded as a
// duplicate in ex.
func (c *Days) Add(f *File, ex *air.Exclusions) {
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
		day, hour := air.HourOf(rec.End)
		cell := [2]int64{int64(si), day*24 + int64(hour)}
		if c.seen[cell] {
			ex.Add(air.Exclusion{Station: rec.Station, Time: rec.End, Reason: air.ReasonDuplicate})
			continue
		}
		c.seen[cell] = true
		k := dayKey{si, day}
		d := c.days[k]
		if d == nil {
			nd := air.NewDayHours()
			d = &nd
			c.days[k] = d
		}
		for p := range rec.Hour.C {
			d.C[p][hour] = rec.Hour.C[p]
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

// Write evaluates each gathered station-day (GB 3095 validity, HJ 633
// daily AQI) and writes it as one JSON object a line, by day then station.
func (c *Days) Write(w io.Writer, o Options) error {
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
		day := air.DayStart(k.day)
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

// ReadFile reads and parses a file in format (auto, cnemc or long); "-"
// is stdin. Errors name the file, line and column.
func ReadFile(name, format string, stdin io.Reader) (*File, error) {
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
	f, err := Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// Evaluate reads the files and writes their evaluation as JSON lines to
// out: each record's hourly AQI (daily false), or the daily values of
// every station-day gathered from all the files. A file that cannot be
// read is reported on errs and contributes nothing; the others are
// evaluated, the error then names the files not read. The values excluded
// are summarised on errs.
func Evaluate(ctx context.Context, files []string, format string, daily bool, o Options, stdin io.Reader, out, errs io.Writer) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	var excluded air.Exclusions
	var failed []string
	var days Days
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := ReadFile(name, format, stdin)
		if err != nil {
			fmt.Fprintln(errs, err)
			failed = append(failed, name)
			continue
		}
		MergeExclusions(&excluded, &f.Excluded)
		if daily {
			days.Add(f, &excluded)
		} else if err := WriteHourly(w, f, o); err != nil {
			return err
		}
	}
	if daily {
		if err := days.Write(w, o); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if n := excluded.Total(); n > 0 {
		fmt.Fprintf(errs, "%d values excluded: %s\n", n, Summary(&excluded))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not read: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}
