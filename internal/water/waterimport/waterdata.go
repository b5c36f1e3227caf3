// Package waterdata brings surface-water measurements into the store:
// laboratory results from files (long format) and automatic stations'
// hourly values from the gateway's uploads (ST=21). Both land in the
// store's water samples, keyed by point (section or drinking-water
// source), item and time, so that reports and tracing read one place.
package waterimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water"
)

// CST is China Standard Time, the zone of times without an offset.
var CST = chinatime.Zone

// Turbidity and chlorophyll a have no code in HJ 212-2017 table B.1 (it
// goes from w01002 colour to w01006 dissolved solids) nor in
// internal/water's table. Surface-water automatic stations send turbidity
// as w01003 (浊度, NTU) and chlorophyll a as w01016: that is what several
// independent station and platform implementations we checked use, so we
// accept those codes; a station sending other codes for them is not read.
const (
	turbidityCode = "w01003"
	chlaCode      = "w01016"
)

// AutoItems are the items of automatic water stations and their HJ 212
// codes (HJ 212-2017 table B.1; shared/reference/hj212.md): pH w01001, DO
// w01009, CODMn w01019, NH3-N w21003, TP w21011, TN w21001, conductivity
// w01014, turbidity w01003, water temperature w01010 (and chlorophyll a
// w01016 where a lake station measures it).
var AutoItems = []water.Item{water.PH, water.DO, water.CODMn, water.NH3N, water.TP, water.TN,
	water.Conductivity, water.Turbidity, water.WaterTemp}

// ItemOfCode returns the automatic-station item of an HJ 212 code.
func ItemOfCode(code string) (water.Item, bool) {
	switch code {
	case turbidityCode:
		return water.Turbidity, true
	case chlaCode:
		return water.Chla, true
	}
	for _, it := range AutoItems {
		if it.Code() == code {
			return it, true
		}
	}
	return 0, false
}

// CodeOf returns the HJ 212 code of an automatic-station item.
func CodeOf(it water.Item) string {
	switch it {
	case water.Turbidity:
		return turbidityCode
	case water.Chla:
		return chlaCode
	}
	return it.Code()
}

// Points returns the sample points of a water registry: its sections and
// drinking-water sources by code.
func Points(w *model.WaterRegistry) map[string]bool {
	m := make(map[string]bool, len(w.Sections)+len(w.Sources))
	for _, s := range w.Sections {
		m[s.Code] = true
	}
	for _, s := range w.Sources {
		m[s.Code] = true
	}
	return m
}

// labColumns are the columns of a laboratory file; point is accepted for
// section (a drinking-water source is a point too).
var labColumns = []string{"section", "time", "item", "value", "below_dl"}

// ReadLab reads a laboratory results file in long format, one result per
// line:
//
//	section,time,item,value,below_dl
//	WS01,2026-10-08 10:00,NH3-N,0.52,
//	WS01,2026-10-08 10:00,TP,0.01,1
//
// section is a section or drinking-water source code of points (nil
// accepts any); time is "2006-01-02 15:04[:05]", "2006-01-02" (China
// Standard Time) or RFC 3339; item a GB 3838 name, Chinese name or HJ 212
// code (unknown items are errors, never guessed); value a non-negative
// decimal, or "<DL" for a result below the detection limit DL; below_dl
// (optional) 1/true/Y/是 marks value as the detection limit. The whole
// file is checked: every problem is returned as a registry.ErrorList
// naming file, line and column, and then no sample is returned.
func ReadLab(r io.Reader, name string, points map[string]bool) ([]model.WaterSample, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var errs registry.ErrorList
	fail := func(line int, col, format string, args ...any) {
		errs = append(errs, &registry.Error{File: name, Line: line, Field: col, Msg: fmt.Sprintf(format, args...)})
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty file")
		}
		fail(1, "", "no header: %v", err)
		return nil, errs
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "point" {
			h = "section"
		}
		col[h] = i
	}
	for _, c := range labColumns[:4] {
		if _, ok := col[c]; !ok {
			fail(1, c, "missing column (want %s)", strings.Join(labColumns, ","))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	src := "file:" + name
	var out []model.WaterSample
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fail(pe.Line, "", "%v", pe.Err)
			} else {
				fail(0, "", "%v", err)
			}
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		s := model.WaterSample{Point: get("section"), Source: src}
		switch {
		case s.Point == "":
			fail(line, "section", "required")
		case points != nil && !points[s.Point]:
			fail(line, "section", "%q is not a section or drinking-water source of the water registry", s.Point)
		}
		t, err := ParseTime(get("time"))
		if err != nil {
			fail(line, "time", "%v", err)
		}
		s.Time = t
		it, ok := water.LookupItem(get("item"))
		if !ok {
			fail(line, "item", "unknown item %q", get("item"))
		} else {
			s.Item = it.String()
		}
		v := get("value")
		if rest, below := strings.CutPrefix(v, "<"); below {
			v, s.BelowDL = strings.TrimSpace(rest), true
		}
		switch dl := strings.ToLower(get("below_dl")); dl {
		case "", "0", "false", "n", "no", "否":
		case "1", "true", "y", "yes", "l", "是":
			s.BelowDL = true
		default:
			fail(line, "below_dl", "%q: want empty, 1/true/Y or 0/false/N", get("below_dl"))
		}
		d, err := water.ParseDec(v)
		switch {
		case v == "":
			fail(line, "value", "required")
		case err != nil:
			fail(line, "value", "%q is not a decimal number", v)
		case d < 0:
			fail(line, "value", "%s: negative", v)
		case ok && it == water.PH && (d > 14*1_000_000_000):
			fail(line, "value", "pH %s outside 0-14", v)
		}
		s.Value = v
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, registry.ErrorList{{File: name, Msg: "no results"}}
	}
	return out, nil
}

// ParseTime reads a sampling time: RFC 3339, or a date and time in China
// Standard Time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "2006/01/02 15:04", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, CST); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want 2006-01-02 15:04 (China Standard Time) or RFC 3339", s)
}

// ImportLab stores the samples of one file in one transaction: a
// re-import of the same file changes nothing, a corrected value replaces
// the stored one, and on error nothing is stored.
func ImportLab(ctx context.Context, st store.WaterStore, samples []model.WaterSample) (store.WaterPutResult, error) {
	return st.PutWaterSamples(ctx, samples, store.WaterPut{})
}

// SyncStore is what Sync needs of the store.
type SyncStore interface {
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
	PutWaterSamples(ctx context.Context, samples []model.WaterSample, opts store.WaterPut) (store.WaterPutResult, error)
}

// SyncResult counts what Sync did.
type SyncResult struct {
	Stations int                  `json:"stations"`
	Uploads  int                  `json:"uploads"`
	Values   int                  `json:"values"`
	Flagged  int                  `json:"flagged"` // values with a data flag other than N (not valid data)
	Put      store.WaterPutResult `json:"put"`
}

// Sync copies the hourly values (CN=2061, the Avg field) of the
// automatic stations' devices in [from, to) into the water samples. It
// only fills: a value already stored (a laboratory correction, an earlier
// sync) is kept. Values flagged other than N (HJ 212-2017 table 5: F
// stopped, M maintenance, D fault, C calibration, ...) are not valid
// monitoring data and are skipped; the hour's time is the upload's
// DataTime (the start of the hour).
func Sync(ctx context.Context, st SyncStore, w *model.WaterRegistry, from, to time.Time) (SyncResult, error) {
	var res SyncResult
	station := map[string]string{}
	var mns []string
	for _, s := range w.Sections {
		if s.Automatic && s.MN != "" {
			station[s.MN] = s.Code
			mns = append(mns, s.MN)
		}
	}
	res.Stations = len(mns)
	if len(mns) == 0 {
		return res, nil
	}
	var samples []model.WaterSample
	for cur := from; cur.Before(to); {
		// Pages of at most a month keep each read within the store's limit.
		end := cur.AddDate(0, 1, 0)
		if end.After(to) {
			end = to
		}
		ups, err := st.Uploads(ctx, store.UploadQuery{MNs: mns, CN: "2061", From: cur, To: end, Limit: 1 << 30})
		if err != nil {
			return res, fmt.Errorf("water sync: %w", err)
		}
		res.Uploads += len(ups)
		for _, u := range ups {
			samples = appendUpload(samples, u, station[u.MN], &res)
		}
		cur = end
	}
	if len(samples) == 0 {
		return res, nil
	}
	put, err := st.PutWaterSamples(ctx, samples, store.WaterPut{FillOnly: true})
	if err != nil {
		return res, fmt.Errorf("water sync: %w", err)
	}
	res.Put = put
	return res, nil
}

func appendUpload(dst []model.WaterSample, u model.Upload, point string, res *SyncResult) []model.WaterSample {
	flags := map[string]string{}
	for _, v := range u.Values {
		if v.Field == "Flag" {
			flags[v.Factor] = v.Value
		}
	}
	for _, v := range u.Values {
		if v.Field != "Avg" {
			continue
		}
		it, ok := ItemOfCode(v.Factor)
		if !ok {
			continue
		}
		if f, ok := flags[v.Factor]; ok && f != "N" {
			res.Flagged++
			continue
		}
		if _, err := water.ParseDec(v.Value); err != nil {
			res.Flagged++
			continue
		}
		res.Values++
		dst = append(dst, model.WaterSample{Point: point, Time: u.DataTime, Item: it.String(), Value: v.Value, Source: "hj212"})
	}
	return dst
}
