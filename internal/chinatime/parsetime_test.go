package chinatime

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2026-07-01T08:30:00Z", time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC), false},
		{"2026-07-01T08:30", time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC), false},
		{"2026-07-01 08:30", time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC), false},
		{"2026-07-01", time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC), false},
		{"07/01/2026", time.Time{}, true},
		{"", time.Time{}, true},
	} {
		got, err := ParseTime(c.in)
		if (err != nil) != c.err || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.err)
		}
	}
}
