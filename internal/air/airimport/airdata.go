// Package airdata moves ambient air-quality hourly data into the store:
// from files (the CNEMC publishing format and the long format, read by
// internal/air/airfile) and from the HJ 212 uploads of the stations'
// devices (CN 2061 hourly data, ST=22). Both land in the store's
// station-day table through store.AirStore.PutAirHours, one transaction
// per file or sync run, so that a failed import stores nothing.
//
// Merge rules (documented for the bureau):
//   - A file import (source "file:<name>") adds what is new, leaves equal
//     values alone (a re-import changes nothing) and replaces a differing
//     stored value, recording the old and new value in air_changes: a file
//     is the bureau's verified data (审核数据), which corrects what the
//     gateway or an earlier file said.
//   - The gateway sync (source "hj212") only fills empty cells: real-time
//     device data never overwrites verified data, and running the sync
//     again is harmless.
//   - Station codes not in the registry are excluded with the reason
//     unknown_station and reported with their counts; the file's other
//     stations are imported. (A CNEMC file lists a whole province; the
//     bureau registers only its own stations.)
//   - Values the file itself marks bad (negative, impossible, flagged) are
//     stored as missing with their reason, so reports can say why an hour
//     is missing; a value given twice keeps the first.
package airimport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airfile"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Store is what importing needs of the store.
type Store interface {
	PutAirHours(ctx context.Context, hours []model.AirHour, opts store.AirPut) (store.AirPutResult, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
}

// Result reports one import or sync.
type Result struct {
	Source       string `json:"source"`
	StationHours int    `json:"station_hours"` // station-hours read (known stations)
	store.AirPutResult
	// Excluded counts values left out, by reason (negative, impossible,
	// flagged, duplicate, unknown_station): never taken as zero.
	Excluded map[string]int `json:"excluded,omitempty"`
	// UnknownStations maps each station code not in the registry to its
	// number of station-hours, which were not imported.
	UnknownStations map[string]int `json:"unknown_stations,omitempty"`
}

// Summary is a one-line account of r.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d station-hours; values added %d, unchanged %d, replaced %d", r.Source, r.StationHours, r.Added, r.Unchanged, r.Replaced)
	if r.Kept > 0 {
		fmt.Fprintf(&b, ", kept %d", r.Kept)
	}
	if len(r.Excluded) > 0 {
		fmt.Fprintf(&b, "; excluded %s", air.FormatCounts(r.Excluded))
	}
	if len(r.UnknownStations) > 0 {
		fmt.Fprintf(&b, "; unknown stations %s", air.FormatCounts(r.UnknownStations))
	}
	return b.String()
}

// Hours converts a parsed file to station-hours of the known stations (a
// nil known accepts every code), with the file's exclusions as flags.
// Exclusions beyond the parser's list cap (1,000 per file) are counted
// but their hours carry no flag (they are simply missing).
func Hours(f *airfile.File, known map[string]bool) (hours []model.AirHour, excluded map[string]int, unknown map[string]int) {
	excluded = map[string]int{}
	unknown = map[string]int{}
	for r, n := range f.Excluded.Summary() {
		excluded[r] += n
	}
	type key struct {
		station string
		end     int64
	}
	index := map[key]int{}
	for i := range f.Records {
		rec := &f.Records[i]
		if known != nil && !known[rec.Station] {
			unknown[rec.Station]++
			excluded[air.ReasonUnknownStation.String()]++
			continue
		}
		h := model.AirHour{Station: rec.Station, End: rec.End}
		for p := range h.C {
			h.C[p] = int64(rec.Hour.C[p])
			if h.C[p] < 0 {
				h.C[p] = model.AirNA
			}
		}
		index[key{rec.Station, rec.End.Unix()}] = len(hours)
		hours = append(hours, h)
	}
	for _, x := range f.Excluded.List {
		if x.Reason == air.ReasonDuplicate {
			continue // the first value stands
		}
		i, ok := index[key{x.Station, x.Time.Unix()}]
		if !ok || hours[i].C[x.Pollutant] != model.AirNA {
			continue
		}
		hours[i].Flags[x.Pollutant] = uint8(x.Reason)
	}
	if len(unknown) == 0 {
		unknown = nil
	}
	if len(excluded) == 0 {
		excluded = nil
	}
	return hours, excluded, unknown
}

// Import stores a parsed file: one transaction (all or nothing).
func Import(ctx context.Context, st Store, f *airfile.File, name string, known map[string]bool, at time.Time) (Result, error) {
	hours, excluded, unknown := Hours(f, known)
	res := Result{Source: "file:" + name, StationHours: len(hours), Excluded: excluded, UnknownStations: unknown}
	put, err := st.PutAirHours(ctx, hours, store.AirPut{Source: res.Source, At: at})
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", name, err)
	}
	res.AirPutResult = put
	return res, nil
}

// The HJ 212 codes of the six pollutants (HJ 212-2017 table B.2; ambient
// units µg/m³, CO mg/m³, as air.Conc expects).
var factorPollutant = map[string]air.Pollutant{
	"a21026": air.SO2,
	"a21004": air.NO2,
	"a21005": air.CO,
	"a05024": air.O3,
	"a34002": air.PM10,
	"a34004": air.PM25,
}

// validFlags are the HJ 212 data flags (xxxxxx-Flag) of a valid value: N
// normal (HJ 212-2017 §6.6.4). F stopped, M maintenance, S manual, D
// fault, C calibration, T over range, B communication fault all exclude it.
var validFlags = map[string]bool{"": true, "N": true}

// HourFromUpload converts a station device's hourly upload (CN 2061, its
// DataTime the start of the hour, HJ 212-2017 §6.6.1) to a station-hour:
// the xxxxxx-Avg values of the six pollutants; a value with a flag other
// than N, negative or impossible is excluded with its reason. ok is false
// when the upload carries none of the six.
func HourFromUpload(station string, u *model.Upload) (h model.AirHour, ok bool) {
	h = model.AirHour{Station: station, End: u.DataTime.Add(time.Hour)}
	for p := range h.C {
		h.C[p] = model.AirNA
	}
	var flags [air.NumPollutants]string
	var seen [air.NumPollutants]bool
	for _, v := range u.Values {
		p, known := factorPollutant[v.Factor]
		if !known {
			continue
		}
		switch v.Field {
		case "Avg":
			seen[p] = true
			c, err := air.ParseConc(v.Value)
			if err != nil {
				h.Flags[p] = uint8(air.ReasonImpossible)
				continue
			}
			if r := air.Check(p, c); r != air.ReasonNone {
				h.Flags[p] = uint8(r)
				continue
			}
			h.C[p] = int64(c)
		case "Flag":
			flags[p] = v.Value
		}
	}
	for p := range h.C {
		if seen[p] && !validFlags[flags[p]] {
			h.C[p], h.Flags[p] = model.AirNA, uint8(air.ReasonFlagged)
		}
		ok = ok || seen[p]
	}
	return h, ok
}

// uploadPage is how many uploads Sync reads per query.
var uploadPage = 5000

// Sync reads the hourly uploads (CN 2061) of the stations' devices with
// DataTime in [from, to) and fills the station-hours the store lacks (a
// differing stored value, e.g. from a verified file, is kept). One
// transaction for the whole run.
func Sync(ctx context.Context, st Store, stations []model.Station, from, to time.Time) (Result, error) {
	res := Result{Source: "hj212", Excluded: map[string]int{}}
	var hours []model.AirHour
	for _, s := range stations {
		if s.MN == "" {
			continue
		}
		start := from
		for {
			ups, err := st.Uploads(ctx, store.UploadQuery{MNs: []string{s.MN}, CN: "2061", From: start, To: to, Limit: uploadPage})
			if err != nil {
				return Result{}, fmt.Errorf("sync %s: %w", s.Code, err)
			}
			for i := range ups {
				h, ok := HourFromUpload(s.Code, &ups[i])
				if !ok {
					continue
				}
				for _, f := range h.Flags {
					if f != 0 {
						res.Excluded[air.Reason(f).String()]++
					}
				}
				hours = append(hours, h)
			}
			if len(ups) < uploadPage {
				break
			}
			start = ups[len(ups)-1].DataTime.Add(time.Microsecond)
		}
	}
	if len(res.Excluded) == 0 {
		res.Excluded = nil
	}
	res.StationHours = len(hours)
	put, err := st.PutAirHours(ctx, hours, store.AirPut{Source: res.Source, FillOnly: true})
	if err != nil {
		return Result{}, fmt.Errorf("sync: %w", err)
	}
	res.AirPutResult = put
	return res, nil
}

// KnownStations returns the set of station codes of a registry.
func KnownStations(stations []model.Station) map[string]bool {
	m := make(map[string]bool, len(stations))
	for _, s := range stations {
		m[s.Code] = true
	}
	return m
}

// SortedCodes returns the keys of m in order (for messages).
func SortedCodes(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
