package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// period is a kind of measurement the API serves.
type period struct {
	name     string
	cn       string        // the HJ 212 upload command
	maxRange time.Duration // longest [from, to) per request
	defRange time.Duration // range when from is omitted
	valueKey []string      // fields compared with a measured limit, in order of preference
	zsKey    []string      // fields compared with a converted (折算) limit
	limitPer string        // the limit period that fits best (model.PeriodHour/Day)
}

// periods maps the period parameter to its HJ 212 command and limits.
// HJ 212-2017 table 4 (command codes): 2011 real-time data, 2051 minute
// data, 2061 hourly data, 2031 daily data. The range limits keep one
// request at a few tens of thousands of uploads per device.
var periods = map[string]period{
	"rtd":  {"rtd", "2011", 24 * time.Hour, time.Hour, []string{"Rtd"}, []string{"ZsRtd"}, model.PeriodHour},
	"min":  {"min", "2051", 31 * 24 * time.Hour, 24 * time.Hour, []string{"Avg", "Rtd"}, []string{"ZsAvg", "ZsRtd"}, model.PeriodHour},
	"hour": {"hour", "2061", 366 * 24 * time.Hour, 7 * 24 * time.Hour, []string{"Avg", "Rtd"}, []string{"ZsAvg", "ZsRtd"}, model.PeriodHour},
	"day":  {"day", "2031", 10 * 366 * 24 * time.Hour, 31 * 24 * time.Hour, []string{"Avg", "Rtd"}, []string{"ZsAvg", "ZsRtd"}, model.PeriodDay},
}

// uploadPage is how many uploads are read from the store at once (a
// variable so that tests can exercise paging with little data).
var uploadPage = 5000

// measurementQuery is a validated measurements request.
type measurementQuery struct {
	period   period
	from, to time.Time
	factors  []string // requested factors in the order given; empty means all
	csv      bool
	devices  []*model.Device          // in MN order
	limits   map[string]*model.Outlet // MN -> outlet, for limits
	subject  string                   // mn or outlet ID, for the CSV file name
}

func (s *server) parseMeasurementQuery(r *http.Request) (*measurementQuery, error) {
	q, err := query(r, "mn", "outlet", "factor", "period", "from", "to", "format")
	if err != nil {
		return nil, err
	}
	mq := &measurementQuery{limits: map[string]*model.Outlet{}}

	pname := q.Get("period")
	if pname == "" {
		pname = "hour"
	}
	p, ok := periods[pname]
	if !ok {
		return nil, paramError("period", "%q is not one of rtd, min, hour, day", pname)
	}
	mq.period = p

	now := s.cfg.Now()
	mq.from, mq.to, err = timeRange(q, time.Time{}, now)
	if err != nil {
		return nil, err
	}
	if mq.from.IsZero() {
		mq.from = mq.to.Add(-p.defRange)
	}
	if mq.to.Sub(mq.from) > p.maxRange {
		return nil, &Error{Code: CodeRangeTooLarge, Field: "to",
			Message: fmt.Sprintf("to: range %s to %s is longer than the %s allowed for period=%s; split the request",
				fmtTime(mq.from), fmtTime(mq.to), fmtDays(p.maxRange), p.name)}
	}

	if v := q.Get("factor"); v != "" {
		for f := range strings.SplitSeq(v, ",") {
			f = strings.TrimSpace(f)
			if !validCode(f) {
				return nil, paramError("factor", "%q is not a pollutant code (letters and digits, e.g. a21026)", f)
			}
			if !slices.Contains(mq.factors, f) {
				mq.factors = append(mq.factors, f)
			}
		}
	}

	switch format := q.Get("format"); format {
	case "json":
	case "csv":
		mq.csv = true
	case "":
		mq.csv = acceptsCSV(r.Header.Get("Accept"))
	default:
		return nil, paramError("format", "%q is not one of json, csv", format)
	}

	mn, outlet := q.Get("mn"), q.Get("outlet")
	switch {
	case mn == "" && outlet == "":
		return nil, missingError("mn", "give mn (a device) or outlet")
	case mn != "" && outlet != "":
		return nil, paramError("outlet", "give mn or outlet, not both")
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return nil, err
	}
	if mn != "" {
		d := x.devices[mn]
		if d == nil {
			return nil, notFound("mn", "no device with MN %q", mn)
		}
		mq.devices = []*model.Device{d}
		mq.subject = mn
	} else {
		if x.outlets[outlet] == nil {
			return nil, notFound("outlet", "no outlet with ID %q", outlet)
		}
		for i := range x.Devices {
			if x.Devices[i].Outlet == outlet {
				mq.devices = append(mq.devices, &x.Devices[i])
			}
		}
		mq.subject = outlet
	}
	sort.Slice(mq.devices, func(i, j int) bool { return mq.devices[i].MN < mq.devices[j].MN })
	for _, d := range mq.devices {
		if o := x.outlets[d.Outlet]; o != nil {
			mq.limits[d.MN] = o
		}
	}
	return mq, nil
}

// acceptsCSV reports whether an Accept header prefers CSV: text/csv is
// listed and JSON is not listed ahead of it.
func acceptsCSV(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true
		case "application/json":
			return false
		}
	}
	return false
}

func validCode(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func fmtDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if d == 24*time.Hour {
			return "1 day"
		}
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

// eachUpload calls fn for each of a device's uploads of one command in
// [from, to), in time order, reading the store page by page.
func (s *server) eachUpload(ctx context.Context, mn, cn string, from, to time.Time, fn func(*model.Upload) error) error {
	var last time.Time
	for {
		ups, err := s.st.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: cn, From: from, To: to, Limit: uploadPage})
		if err != nil {
			return fmt.Errorf("cannot read uploads of %s: %w", mn, err)
		}
		progressed := false
		for i := range ups {
			// Skip what an earlier page returned, should the store round
			// the lower bound down.
			if !last.IsZero() && !ups[i].DataTime.After(last) {
				continue
			}
			progressed = true
			if err := fn(&ups[i]); err != nil {
				return err
			}
			last = ups[i].DataTime
		}
		if len(ups) < uploadPage {
			return nil
		}
		if !progressed {
			return fmt.Errorf("cannot page uploads of %s: store returned a full page at or before %s", mn, last)
		}
		// The store keeps microseconds; the skip above guards against one
		// that keeps less.
		from = last.Add(time.Microsecond)
	}
}

// fieldsOf groups an upload's values by factor. Values without a factor
// (DataTime, RestartTime, ...) are not measurements and are left out.
func fieldsOf(u *model.Upload) map[string]map[string]string {
	m := make(map[string]map[string]string)
	for _, v := range u.Values {
		if v.Factor == "" {
			continue
		}
		f := m[v.Factor]
		if f == nil {
			f = make(map[string]string, 4)
			m[v.Factor] = f
		}
		f[v.Field] = v.Value
	}
	return m
}

// fieldOrder is the order of fields in CSV rows: the values of HJ 212-2017
// §6.6 (table 5's "-Rtd -Min -Avg -Max -Cou", then the converted
// ones), then any other field alphabetically.
var fieldOrder = []string{"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "ZsCou"}

func sortedFields(fields map[string]string) []string {
	out := make([]string, 0, len(fields))
	for _, k := range fieldOrder {
		if _, ok := fields[k]; ok {
			out = append(out, k)
		}
	}
	var rest []string
	for k := range fields {
		if k != "Flag" && !slices.Contains(fieldOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// pickLimit returns the outlet's limit for a factor: one for the period's
// limit period if there is one, else the first.
func pickLimit(o *model.Outlet, factor string, p period) *model.Limit {
	if o == nil {
		return nil
	}
	var first *model.Limit
	for i := range o.Limits {
		l := &o.Limits[i]
		if l.Pollutant != factor {
			continue
		}
		if l.Period == p.limitPer {
			return l
		}
		if first == nil {
			first = l
		}
	}
	return first
}

// exceeds compares a point with a limit: the period's value (Avg, else
// Rtd), or its converted Zs value for a converted limit, against Max and
// Min. It returns nil when there is no limit or no numeric value to compare.
func exceeds(l *model.Limit, fields map[string]string, p period) *bool {
	if l == nil || (l.Max == nil && l.Min == nil) {
		return nil
	}
	keys := p.valueKey
	if l.Kind == model.LimitConverted {
		keys = p.zsKey
	}
	for _, k := range keys {
		s, ok := fields[k]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil // a malformed value is evidence as sent, not a number to judge
		}
		ex := l.Max != nil && v > *l.Max || l.Min != nil && v < *l.Min
		return &ex
	}
	return nil
}

// point is one upload's values of one factor.
type point struct {
	Time    time.Time         `json:"time"`
	Fields  map[string]string `json:"fields"`
	Flag    string            `json:"flag,omitempty"`
	Exceeds *bool             `json:"exceeds,omitempty"`
}

// series is one device's values of one factor.
type series struct {
	MN     string       `json:"mn"`
	Outlet string       `json:"outlet,omitempty"`
	Factor string       `json:"factor"`
	Limit  *model.Limit `json:"limit,omitempty"`
	Points []point      `json:"points"`
}

type measurementsResponse struct {
	Period string    `json:"period"`
	CN     string    `json:"cn"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Series []*series `json:"series"`
}

func (s *server) measurements(w http.ResponseWriter, r *http.Request) error {
	mq, err := s.parseMeasurementQuery(r)
	if err != nil {
		return err
	}
	if mq.csv {
		return s.measurementsCSV(w, r, mq)
	}
	resp := measurementsResponse{Period: mq.period.name, CN: mq.period.cn, From: cnTime(mq.from), To: cnTime(mq.to), Series: []*series{}}
	for _, d := range mq.devices {
		outlet := mq.limits[d.MN]
		byFactor := map[string]*series{}
		var order []string
		add := func(f string) *series {
			sr := byFactor[f]
			if sr == nil {
				sr = &series{MN: d.MN, Outlet: d.Outlet, Factor: f, Limit: pickLimit(outlet, f, mq.period), Points: []point{}}
				byFactor[f] = sr
				order = append(order, f)
			}
			return sr
		}
		// Requested factors get a series even without data, so that the
		// client sees the limit and knows the factor was looked for.
		for _, f := range mq.factors {
			add(f)
		}
		err := s.eachUpload(r.Context(), d.MN, mq.period.cn, mq.from, mq.to, func(u *model.Upload) error {
			for f, fields := range fieldsOf(u) {
				if len(mq.factors) > 0 && byFactor[f] == nil {
					continue
				}
				sr := add(f)
				sr.Points = append(sr.Points, point{
					Time:    cnTime(u.DataTime),
					Fields:  fields,
					Flag:    fields["Flag"],
					Exceeds: exceeds(sr.Limit, fields, mq.period),
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(mq.factors) == 0 {
			sort.Strings(order)
		}
		for _, f := range order {
			resp.Series = append(resp.Series, byFactor[f])
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// utf8BOM starts the CSV so that Excel, which otherwise assumes the
// system's ANSI code page (GBK on Chinese Windows), reads it as UTF-8.
const utf8BOM = "\ufeff"

// csvHeader is the CSV header line's columns.
var csvHeader = []string{"time", "mn", "factor", "field", "value", "flag"}

// measurementsCSV streams measurements as CSV: one row per device, time,
// factor and field (the factor's Flag goes in the flag column of each of
// its rows), in device, time, factor, field order. Rows are written as
// uploads are read, so a month of minute data never sits in memory.
func (s *server) measurementsCSV(w http.ResponseWriter, r *http.Request, mq *measurementQuery) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{
		"filename": fmt.Sprintf("measurements-%s-%s-%s.csv", mq.subject, mq.period.name, mq.from.In(chinaTime).Format("20060102")),
	}))
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	// The BOM and header are written on the first row (or at the end), so
	// that a failure of the first store read still gets a proper JSON
	// error instead of a 200 with a truncated file.
	started := false
	start := func() error {
		started = true
		if _, err := io.WriteString(w, utf8BOM); err != nil {
			return errClientGone
		}
		if err := cw.Write(csvHeader); err != nil {
			return errClientGone
		}
		return nil
	}
	want := func(f string) bool { return len(mq.factors) == 0 || slices.Contains(mq.factors, f) }
	row := make([]string, len(csvHeader))
	for _, d := range mq.devices {
		err := s.eachUpload(r.Context(), d.MN, mq.period.cn, mq.from, mq.to, func(u *model.Upload) error {
			if !started {
				if err := start(); err != nil {
					return err
				}
			}
			byFactor := fieldsOf(u)
			factors := make([]string, 0, len(byFactor))
			for f := range byFactor {
				if want(f) {
					factors = append(factors, f)
				}
			}
			if len(mq.factors) > 0 {
				sort.Slice(factors, func(i, j int) bool {
					return slices.Index(mq.factors, factors[i]) < slices.Index(mq.factors, factors[j])
				})
			} else {
				sort.Strings(factors)
			}
			row[0], row[1] = fmtTime(u.DataTime), d.MN
			for _, f := range factors {
				fields := byFactor[f]
				row[2], row[5] = f, fields["Flag"]
				for _, k := range sortedFields(fields) {
					row[3], row[4] = k, fields[k]
					if err := cw.Write(row); err != nil {
						return errClientGone
					}
				}
			}
			return nil
		})
		if errors.Is(err, errClientGone) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if !started {
		if err := start(); err != nil {
			return nil
		}
	}
	cw.Flush()
	return nil
}

var errClientGone = errors.New("client gone")
