// Package airfile reads ambient air-quality hourly data files: the CNEMC
// hourly publishing format (date,hour,type,<station codes...>) and a long
// format (station,time,pollutant,value,flag). It does no other I/O than
// reading the given io.Reader, holds no state between calls, and returns the
// whole file or an error naming the line and column: a malformed file yields
// nothing, so an import of it can be all-or-nothing.
package airfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
)

// Error is a syntax error in a file, with 1-based line and column (the
// column counts bytes from the start of the line).
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg) }

// Record is one station-hour read from a file.
type Record struct {
	Station string
	// End is the end of the hour (the label CNEMC publishes), in CST.
	End time.Time
	// Hour holds the 1-h values and the SO2 24-h sliding mean when the file
	// has one. Values excluded (negative, impossible, flagged, duplicate) are NA.
	Hour air.Hour
	// PublishedAQI is the AQI the file itself carries (CNEMC type AQI), or -1.
	PublishedAQI int
	// Line is the first line the record was seen on.
	Line int
}

// File is the content of one file.
type File struct {
	Records  []Record // ordered by hour, then by first appearance of the station
	Excluded air.Exclusions
}

// cnemcTypes maps the CNEMC type column to what it feeds. Types that carry
// sliding values other than SO2_24h are accepted and not needed.
var cnemcTypes = map[string]int{
	"AQI": -1, "PM2.5": int(air.PM25), "PM10": int(air.PM10), "SO2": int(air.SO2), "NO2": int(air.NO2),
	"O3": int(air.O3), "CO": int(air.CO), "SO2_24h": -2,
	"PM2.5_24h": -3, "PM10_24h": -3, "NO2_24h": -3, "O3_24h": -3, "O3_8h": -3, "O3_8h_24h": -3, "CO_24h": -3,
}

type key struct {
	station int
	hour    int64
}

// builder accumulates records keyed by (station, hour) in first-seen order.
type builder struct {
	index    map[key]int
	records  []Record
	excluded air.Exclusions
	seen     map[[3]int64]bool // station, hour, slot
}

func newBuilder() *builder {
	return &builder{index: map[key]int{}, seen: map[[3]int64]bool{}, excluded: air.Exclusions{MaxList: 1000}}
}

func (b *builder) record(station int, name string, end time.Time, line int) *Record {
	k := key{station, end.Unix()}
	if i, ok := b.index[k]; ok {
		return &b.records[i]
	}
	b.index[k] = len(b.records)
	b.records = append(b.records, Record{Station: name, End: end, Hour: air.NewHour(), PublishedAQI: -1, Line: line})
	return &b.records[len(b.records)-1]
}

// put stores v into slot (≥0 a pollutant, -1 AQI, -2 SO2_24h) once.
func (b *builder) put(r *Record, station int, slot int, text string, v air.Conc, flag air.Reason) {
	sk := [3]int64{int64(station), r.End.Unix(), int64(slot)}
	p := air.Pollutant(0)
	if slot >= 0 {
		p = air.Pollutant(slot)
	}
	if b.seen[sk] {
		b.excluded.Add(air.Exclusion{Station: r.Station, Time: r.End, Pollutant: p, Reason: air.ReasonDuplicate, Value: text})
		return
	}
	b.seen[sk] = true
	if flag != air.ReasonNone {
		b.excluded.Add(air.Exclusion{Station: r.Station, Time: r.End, Pollutant: p, Reason: flag, Value: text})
		return
	}
	switch slot {
	case -1:
		if v >= 0 {
			r.PublishedAQI = int((v + air.Scale/2) / air.Scale)
		}
		return
	case -2:
		if v >= 0 {
			r.Hour.SO2_24h = v
		}
		return
	}
	if reason := air.Check(p, v); reason != air.ReasonNone {
		b.excluded.Add(air.Exclusion{Station: r.Station, Time: r.End, Pollutant: p, Reason: reason, Value: text})
		return
	}
	r.Hour.C[p] = v
}

// fields splits one CSV line on commas (the formats quote nothing) and
// returns the byte offset of each field for column numbers.
func fields(line string) ([]string, []int) {
	fs := strings.Split(line, ",")
	offs := make([]int, len(fs))
	o := 0
	for i, f := range fs {
		offs[i] = o
		o += len(f) + 1
	}
	for i := range fs {
		fs[i] = strings.TrimSpace(fs[i])
	}
	return fs, offs
}

func readLines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a BOM from spreadsheet exports
		}
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

// ReadCNEMC reads the CNEMC hourly publishing format: a header
// "date,hour,type,<station>..." then rows "YYYYMMDD,H,TYPE,v1,v2,...", H =
// 0–23 the end of the hour (so hour 0 of date D is 23:00–24:00 of D−1).
// Empty cells are missing values.
func ReadCNEMC(r io.Reader) (*File, error) {
	b := newBuilder()
	var stations []string
	err := readLines(r, func(n int, line string) error {
		fs, offs := fields(line)
		if stations == nil {
			if len(fs) < 4 || !strings.EqualFold(fs[0], "date") || !strings.EqualFold(fs[1], "hour") || !strings.EqualFold(fs[2], "type") {
				return &Error{n, 1, `header must be "date,hour,type,<station codes...>"`}
			}
			stations = fs[3:]
			for i, s := range stations {
				if s == "" {
					return &Error{n, offs[3+i] + 1, "empty station code"}
				}
			}
			return nil
		}
		if len(fs) != len(stations)+3 {
			return &Error{n, len(line) + 1, fmt.Sprintf("%d fields, want %d", len(fs), len(stations)+3)}
		}
		day, err := time.ParseInLocation("20060102", fs[0], air.CST)
		if err != nil {
			return &Error{n, offs[0] + 1, fmt.Sprintf("date %q: want YYYYMMDD", fs[0])}
		}
		h, err := strconv.Atoi(fs[1])
		if err != nil || h < 0 || h > 23 {
			return &Error{n, offs[1] + 1, fmt.Sprintf("hour %q: want 0-23", fs[1])}
		}
		slot, ok := cnemcTypes[fs[2]]
		if !ok {
			return &Error{n, offs[2] + 1, fmt.Sprintf("unknown type %q", fs[2])}
		}
		if slot == -3 {
			// Sliding values published alongside; the engine recomputes them.
			for i := 3; i < len(fs); i++ {
				if fs[i] != "" {
					if _, err := air.ParseConc(fs[i]); err != nil {
						return &Error{n, offs[i] + 1, fmt.Sprintf("value %q: not a number", fs[i])}
					}
				}
			}
			return nil
		}
		end := day.Add(time.Duration(h) * time.Hour)
		for i, name := range stations {
			text := fs[3+i]
			if text == "" {
				continue
			}
			v, err := air.ParseConc(text)
			if err != nil {
				return &Error{n, offs[3+i] + 1, fmt.Sprintf("value %q: not a number", text)}
			}
			rec := b.record(i, name, end, n)
			b.put(rec, i, slot, text, v, air.ReasonNone)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if stations == nil {
		return nil, &Error{1, 1, "empty file: no header"}
	}
	return b.file(), nil
}

func (b *builder) file() *File {
	// Order by hour, keeping first-seen station order within an hour.
	recs := b.records
	sortStable(recs)
	return &File{Records: recs, Excluded: b.excluded}
}

func sortStable(recs []Record) {
	// insertion into buckets by time keeps the order stable without a closure-heavy sort
	type bucket struct {
		t    int64
		recs []Record
	}
	idx := map[int64]int{}
	var bs []bucket
	for _, r := range recs {
		t := r.End.Unix()
		i, ok := idx[t]
		if !ok {
			i = len(bs)
			idx[t] = i
			bs = append(bs, bucket{t: t})
		}
		bs[i].recs = append(bs[i].recs, r)
	}
	// sort buckets by time
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].t < bs[j-1].t; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
	recs = recs[:0]
	for _, bk := range bs {
		recs = append(recs, bk.recs...)
	}
}

// timeLayouts are accepted in the long format's time column; without an
// offset the time is CST.
var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "20060102150405"}

// ParseTime parses a long-format time: RFC 3339, or a local CST time in one
// of a few common layouts. It must fall on a whole hour.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		var t time.Time
		var err error
		if l == time.RFC3339 {
			t, err = time.Parse(l, s)
		} else {
			t, err = time.ParseInLocation(l, s, air.CST)
		}
		if err == nil {
			t = t.In(air.CST)
			if t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
				return time.Time{}, errors.New("not on a whole hour")
			}
			return t, nil
		}
	}
	return time.Time{}, errors.New("want RFC 3339 or YYYY-MM-DD hh:mm[:ss]")
}

// validFlags are the data flags that mean a valid value: empty, "N" (HJ 212
// normal) and "V" (valid). Any other flag (e.g. HJ 212 F stopped, M
// maintenance, S manual, D fault, C calibration, T over range) excludes it.
var validFlags = map[string]bool{"": true, "N": true, "n": true, "V": true, "v": true}

// ReadLong reads the long format: a header "station,time,pollutant,value,flag"
// (flag optional) then one value per line. time is the end of the hour.
func ReadLong(r io.Reader) (*File, error) {
	b := newBuilder()
	stationIdx := map[string]int{}
	header := false
	nf := 0
	err := readLines(r, func(n int, line string) error {
		fs, offs := fields(line)
		if !header {
			want := []string{"station", "time", "pollutant", "value", "flag"}
			if len(fs) < 4 || len(fs) > 5 {
				return &Error{n, 1, `header must be "station,time,pollutant,value,flag"`}
			}
			for i := range fs {
				if !strings.EqualFold(fs[i], want[i]) {
					return &Error{n, offs[i] + 1, fmt.Sprintf("header field %q, want %q", fs[i], want[i])}
				}
			}
			header, nf = true, len(fs)
			return nil
		}
		if len(fs) != nf {
			return &Error{n, len(line) + 1, fmt.Sprintf("%d fields, want %d", len(fs), nf)}
		}
		if fs[0] == "" {
			return &Error{n, 1, "empty station"}
		}
		end, err := ParseTime(fs[1])
		if err != nil {
			return &Error{n, offs[1] + 1, fmt.Sprintf("time %q: %v", fs[1], err)}
		}
		slot := -1
		if p, ok := air.ParsePollutant(fs[2]); ok {
			slot = int(p)
		} else if strings.EqualFold(fs[2], "SO2_24h") {
			slot = -2
		} else if !strings.EqualFold(fs[2], "AQI") {
			return &Error{n, offs[2] + 1, fmt.Sprintf("unknown pollutant %q", fs[2])}
		}
		var v air.Conc = air.NA
		if fs[3] != "" {
			if v, err = air.ParseConc(fs[3]); err != nil {
				return &Error{n, offs[3] + 1, fmt.Sprintf("value %q: not a number", fs[3])}
			}
		}
		flag := air.ReasonNone
		if nf == 5 && !validFlags[fs[4]] {
			flag = air.ReasonFlagged
		}
		si, ok := stationIdx[fs[0]]
		if !ok {
			si = len(stationIdx)
			stationIdx[fs[0]] = si
		}
		rec := b.record(si, fs[0], end, n)
		if v == air.NA && flag == air.ReasonNone {
			return nil // an empty value is a missing hour, not an exclusion
		}
		b.put(rec, si, slot, fs[3], v, flag)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !header {
		return nil, &Error{1, 1, "empty file: no header"}
	}
	return b.file(), nil
}

// Sniff guesses the format from the first bytes: "cnemc" or "long".
func Sniff(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	if bytes.HasPrefix(bytes.ToLower(head), []byte("date,hour,type")) {
		return "cnemc"
	}
	return "long"
}

// Parse reads data in format "cnemc", "long" or "auto" (Sniff decides).
func Parse(data []byte, format string) (*File, error) {
	if format == "auto" {
		format = Sniff(data)
	}
	if format == "cnemc" {
		return ReadCNEMC(bytes.NewReader(data))
	}
	return ReadLong(bytes.NewReader(data))
}
