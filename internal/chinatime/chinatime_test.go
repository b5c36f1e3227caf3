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

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{
		"2026":     {Year, 2026, 1},
		"2026-03":  {Month, 2026, 3},
		"202603":   {Month, 2026, 3},
		"2026M03":  {Month, 2026, 3},
		"2026-m3":  {Month, 2026, 3},
		"2026Q3":   {Quarter, 2026, 3},
		"2026-q3":  {Quarter, 2026, 3},
		"2026H2":   {Half, 2026, 2},
		" 2026-H1": {Half, 2026, 1},
	} {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "26", "2026-", "2026-3", "2026-13", "2026Q5", "2026Q+3", "2026H3", "1999", "2026-Q", "2026X1", "20261"} {
		if p, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", in, p)
		}
	}
}

func TestPeriodBounds(t *testing.T) {
	q := Period{Quarter, 2026, 1}
	if !q.Start().Equal(Date(2026, 1, 1)) || !q.End().Equal(Date(2026, 4, 1)) || q.Days() != 90 {
		t.Errorf("%v: %v – %v, %d days", q, q.Start(), q.End(), q.Days())
	}
	if p := q.Previous(); p != (Period{Quarter, 2025, 4}) {
		t.Errorf("before %v: %v", q, p)
	}
	if p := (Period{Month, 2026, 5}).Previous(); p != (Period{Month, 2026, 4}) {
		t.Errorf("before 2026-05: %v", p)
	}
	if s := (Period{Half, 2026, 2}).Chinese(); s != "2026年下半年" {
		t.Errorf("Chinese %q", s)
	}
	if !q.Contains(Date(2026, 3, 31).Add(23*time.Hour)) || q.Contains(Date(2026, 4, 1)) {
		t.Error("Contains at the bounds")
	}
}
