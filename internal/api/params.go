package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// chinaTime is China Standard Time (UTC+8, no daylight saving): HJ 212
// times are in it, and so are the API's output times and its inputs
// without an offset.
var chinaTime = chinatime.Zone

// query returns the request's query parameters after checking that each is
// one the endpoint knows and is given at most once. Rejecting unknown
// parameters turns a typo such as "factors=" into an error instead of a
// silently unfiltered answer.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &Error{Code: CodeInvalidParameter, Message: "malformed query string: " + err.Error(), err: err}
	}
	for name, vals := range q {
		known := false
		for _, a := range allowed {
			if name == a {
				known = true
				break
			}
		}
		if !known {
			if len(allowed) == 0 {
				return nil, paramError(name, "unknown parameter; this endpoint takes none")
			}
			return nil, paramError(name, "unknown parameter; this endpoint takes %s", strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return nil, paramError(name, "given %d times; give it once", len(vals))
		}
	}
	return q, nil
}

// Accepted time layouts without an offset, read as China time.
const (
	layoutDate       = "2006-01-02"
	layoutDateMinute = "2006-01-02T15:04"
	layoutDateSecond = "2006-01-02T15:04:05"
)

// parseTime reads a time parameter: RFC 3339 (with an offset or Z), or
// YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS in China time.
// dateOnly reports the YYYY-MM-DD form, which callers treat as a whole day.
func parseTime(field, v string) (t time.Time, dateOnly bool, err error) {
	layout := ""
	loc := chinaTime
	switch {
	case len(v) == len(layoutDate):
		layout, dateOnly = layoutDate, true
	case len(v) == len(layoutDateMinute) && strings.IndexByte(v, 'T') == 10:
		layout = layoutDateMinute
	case len(v) == len(layoutDateSecond) && strings.IndexByte(v, 'T') == 10:
		layout = layoutDateSecond
	default:
		layout, loc = time.RFC3339, time.UTC
	}
	t, err = time.ParseInLocation(layout, v, loc)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			// e.g. ": month out of range"
			return time.Time{}, false, paramError(field, "cannot parse %q%s", v, pe.Message)
		}
		return time.Time{}, false, paramError(field, "cannot parse %q: want RFC 3339 (2026-03-01T08:00:00+08:00) or YYYY-MM-DD[THH:MM] in China time", v)
	}
	return t, dateOnly, nil
}

// timeRange reads from and to as the half-open range [from, to). A
// date-only "to" includes that whole day (to=2026-03-31 ends at
// 2026-04-01T00:00+08:00), which is what a person writing a date range
// means. Missing bounds take the defaults given; a zero default means
// unbounded.
func timeRange(q url.Values, defFrom, defTo time.Time) (from, to time.Time, err error) {
	from, to = defFrom, defTo
	if v := q.Get("to"); v != "" {
		t, dateOnly, err := parseTime("to", v)
		if err != nil {
			return from, to, err
		}
		if dateOnly {
			t = t.AddDate(0, 0, 1)
		}
		to = t
	}
	if v := q.Get("from"); v != "" {
		t, _, err := parseTime("from", v)
		if err != nil {
			return from, to, err
		}
		from = t
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, paramError("from", "%s is not before to (%s)", fmtTime(from), fmtTime(to))
	}
	return from, to, nil
}

// intParam reads an optional integer parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, paramError(name, "cannot parse %q as an integer", v)
	}
	if n < lo || n > hi {
		return 0, paramError(name, "%d is out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

// fmtTime formats t in China time, RFC 3339.
func fmtTime(t time.Time) string {
	return t.In(chinaTime).Format(time.RFC3339)
}

// cnTime returns t in China time, so that JSON output carries +08:00.
// The zero time stays zero (omitzero fields then vanish).
func cnTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(chinaTime)
}
