package air

import (
	"testing"
	"time"
)

func TestHourOf(t *testing.T) {
	for _, tc := range []struct {
		end  time.Time
		date string
		hour int
	}{
		{time.Date(2025, 3, 12, 1, 0, 0, 0, CST), "2025-03-12", 0},
		{time.Date(2025, 3, 12, 23, 0, 0, 0, CST), "2025-03-12", 22},
		// The hour labelled 00:00 is the last of the day before.
		{time.Date(2025, 3, 13, 0, 0, 0, 0, CST), "2025-03-12", 23},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, CST), "1969-12-31", 23},
	} {
		day, hour := HourOf(tc.end)
		if got := DayStart(day).Format("2006-01-02"); got != tc.date || hour != tc.hour {
			t.Errorf("%v: day %s hour %d, want %s hour %d", tc.end, got, hour, tc.date, tc.hour)
		}
		if DayNumber(DayStart(day)) != day {
			t.Errorf("DayNumber(DayStart(%d)) = %d", day, DayNumber(DayStart(day)))
		}
	}
}
