package air

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// The natural day (自然日) of the air data is the calendar day in China
// Standard Time. An hour is labelled by its end: the value labelled t
// covers t−1h … t and belongs to the day of t−1h (the hour labelled 00:00
// is the last hour of the day before).

const secondsCST = chinatime.Offset

// DayNumber returns the natural day of t as days since 1970-01-01 (CST).
func DayNumber(t time.Time) int64 {
	s := t.Unix() + secondsCST
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}

// DayStart returns 00:00 CST of day number d.
func DayStart(d int64) time.Time {
	return time.Unix(d*86400-secondsCST, 0).In(CST)
}

// HourOf locates the hour ending at end: its natural day and the hour's
// index in DayHours (0 = 00:00–01:00, labelled 01:00).
func HourOf(end time.Time) (day int64, hour int) {
	start := end.Unix() - 3600
	day = DayNumber(time.Unix(start, 0))
	return day, int((start + secondsCST - day*86400) / 3600)
}
