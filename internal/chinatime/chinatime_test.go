package chinatime

import (
	"testing"
	"time"
)

func TestZoneAndDays(t *testing.T) {
	// 16:00 UTC is midnight in China: the next day.
	at := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	if d := Day(at); !d.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, Zone)) || d.Format(time.DateOnly) != "2026-03-02" {
		t.Errorf("Day(%v) = %v", at, d)
	}
	if _, off := at.In(Zone).Zone(); off != 8*3600 {
		t.Errorf("offset %d", off)
	}
	if d, err := ParseDay("2026-02-29"); err == nil {
		t.Errorf("2026-02-29 parsed as %v", d)
	}
}
