// Package chinatime is the one home of China's civil time for the whole
// platform: China Standard Time (UTC+8, no daylight saving), in which the
// bureau's days, months, quarters, halves and years are counted, and the
// reporting periods built on them. It is pure: no clock, no I/O.
package chinatime

import (
	"fmt"
	"time"
)

// Offset is China Standard Time's offset east of UTC, in seconds.
const Offset = 8 * 3600

// Zone is China Standard Time. HJ 212 DataTime, the air and water data's
// hours and days, the deadlines of cases and every reporting period are in
// it.
var Zone = time.FixedZone("CST", Offset)

// Date returns 00:00 China time of the given day (month and day may
// overflow, as with time.Date).
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, Zone)
}

// Day returns 00:00 China time of t's day in China.
func Day(t time.Time) time.Time {
	t = t.In(Zone)
	return Date(t.Year(), t.Month(), t.Day())
}

// ParseDay reads YYYY-MM-DD as 00:00 China time of that day.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// DayRange is the [from, to) range of days named by from and to
// (YYYY-MM-DD, to included); an empty from is back days before now's
// day, an empty to is now's day.
func DayRange(now time.Time, from, to string, back int) (time.Time, time.Time, error) {
	today := Day(now)
	f, t := today.AddDate(0, 0, -back), today.AddDate(0, 0, 1)
	var err error
	if from != "" {
		if f, err = ParseDay(from); err != nil {
			return f, t, fmt.Errorf("from: %w", err)
		}
	}
	if to != "" {
		if t, err = ParseDay(to); err != nil {
			return f, t, fmt.Errorf("to: %w", err)
		}
		t = t.AddDate(0, 0, 1)
	}
	return f, t, nil
}

// ParseTime reads a time given on a command line: RFC 3339, or
// YYYY-MM-DDTHH:MM, YYYY-MM-DD HH:MM or YYYY-MM-DD in China time.
func ParseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, v, Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 or YYYY-MM-DDTHH:MM (China time)", v)
}
