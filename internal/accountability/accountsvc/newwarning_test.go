package accountsvc

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewWarning(t *testing.T) {
	for _, c := range []struct {
		name                      string
		id, level, start, end, cs string
		err                       string
		counties                  []string
		startUTC                  time.Time
	}{
		{"city", "W1", "orange", "2026-01-05T08:00", "2026-01-07T20:00", "", "", nil, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
		{"counties", "W2", "red", "2026-01-05T00:00:00Z", "2026-01-06", "371502,371521", "", []string{"371502", "371521"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
		{"missing", "", "red", "2026-01-05", "2026-01-06", "", "needs --id", nil, time.Time{}},
		{"level", "W3", "purple", "2026-01-05", "2026-01-06", "", "purple", nil, time.Time{}},
		{"start", "W4", "red", "5 Jan", "2026-01-06", "", "--start", nil, time.Time{}},
		{"end", "W5", "red", "2026-01-05", "tomorrow", "", "--end", nil, time.Time{}},
	} {
		w, err := NewWarning(c.id, c.level, c.start, c.end, c.cs)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || w.ID != c.id || w.Level.String() != c.level || !w.Start.Equal(c.startUTC) || !slices.Equal(w.Counties, c.counties) {
			t.Errorf("%s: %+v, %v", c.name, w, err)
		}
	}
}
