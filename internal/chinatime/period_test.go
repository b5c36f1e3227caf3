package chinatime

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPeriodEdges(t *testing.T) {
	for _, c := range []struct {
		p                     Period
		str, key, zh          string
		first, last, end      string // YYYY-MM-DD
		days                  int
		firstMonth, lastMonth time.Month
		prev, next            Period
	}{
		{Period{Year, 2026, 1}, "2026", "2026", "2026年", "2026-01-01", "2026-12-31", "2027-01-01", 365, 1, 12,
			Period{Year, 2025, 1}, Period{Year, 2027, 1}},
		{Period{Year, 2024, 1}, "2024", "2024", "2024年", "2024-01-01", "2024-12-31", "2025-01-01", 366, 1, 12,
			Period{Year, 2023, 1}, Period{Year, 2025, 1}},
		{Period{Half, 2026, 1}, "2026-H1", "2026-H1", "2026年上半年", "2026-01-01", "2026-06-30", "2026-07-01", 181, 1, 6,
			Period{Half, 2025, 2}, Period{Half, 2026, 2}},
		{Period{Half, 2026, 2}, "2026-H2", "2026-H2", "2026年下半年", "2026-07-01", "2026-12-31", "2027-01-01", 184, 7, 12,
			Period{Half, 2026, 1}, Period{Half, 2027, 1}},
		{Period{Quarter, 2026, 1}, "2026-Q1", "2026-Q1", "2026年第一季度", "2026-01-01", "2026-03-31", "2026-04-01", 90, 1, 3,
			Period{Quarter, 2025, 4}, Period{Quarter, 2026, 2}},
		{Period{Quarter, 2024, 1}, "2024-Q1", "2024-Q1", "2024年第一季度", "2024-01-01", "2024-03-31", "2024-04-01", 91, 1, 3,
			Period{Quarter, 2023, 4}, Period{Quarter, 2024, 2}},
		{Period{Quarter, 2026, 4}, "2026-Q4", "2026-Q4", "2026年第四季度", "2026-10-01", "2026-12-31", "2027-01-01", 92, 10, 12,
			Period{Quarter, 2026, 3}, Period{Quarter, 2027, 1}},
		{Period{Month, 2026, 3}, "2026-03", "2026-M03", "2026年3月", "2026-03-01", "2026-03-31", "2026-04-01", 31, 3, 3,
			Period{Month, 2026, 2}, Period{Month, 2026, 4}},
		// February: 28 days, 29 in a leap year (2024; 2100 is not one).
		{Period{Month, 2026, 2}, "2026-02", "2026-M02", "2026年2月", "2026-02-01", "2026-02-28", "2026-03-01", 28, 2, 2,
			Period{Month, 2026, 1}, Period{Month, 2026, 3}},
		{Period{Month, 2024, 2}, "2024-02", "2024-M02", "2024年2月", "2024-02-01", "2024-02-29", "2024-03-01", 29, 2, 2,
			Period{Month, 2024, 1}, Period{Month, 2024, 3}},
		{Period{Month, 2100, 2}, "2100-02", "2100-M02", "2100年2月", "2100-02-01", "2100-02-28", "2100-03-01", 28, 2, 2,
			Period{Month, 2100, 1}, Period{Month, 2100, 3}},
		// The year boundary both ways.
		{Period{Month, 2026, 12}, "2026-12", "2026-M12", "2026年12月", "2026-12-01", "2026-12-31", "2027-01-01", 31, 12, 12,
			Period{Month, 2026, 11}, Period{Month, 2027, 1}},
		{Period{Month, 2027, 1}, "2027-01", "2027-M01", "2027年1月", "2027-01-01", "2027-01-31", "2027-02-01", 31, 1, 1,
			Period{Month, 2026, 12}, Period{Month, 2027, 2}},
	} {
		p := c.p
		if !p.Valid() {
			t.Errorf("%v not valid", p)
		}
		if p.String() != c.str || p.Key() != c.key || p.Chinese() != c.zh {
			t.Errorf("%+v: String %q Key %q Chinese %q; want %q %q %q", p, p.String(), p.Key(), p.Chinese(), c.str, c.key, c.zh)
		}
		day := func(x time.Time) string { return x.In(Zone).Format(time.DateOnly) }
		if day(p.Start()) != c.first || day(p.LastDay()) != c.last || day(p.End()) != c.end || p.Days() != c.days {
			t.Errorf("%v: %s – %s (end %s), %d days; want %s – %s (end %s), %d", p,
				day(p.Start()), day(p.LastDay()), day(p.End()), p.Days(), c.first, c.last, c.end, c.days)
		}
		if s := p.Start().In(Zone); s.Hour() != 0 || s.Minute() != 0 || s.Location() != Zone {
			t.Errorf("%v starts at %v, not midnight China time", p, p.Start())
		}
		if f, l := p.MonthSpan(); f != c.firstMonth || l != c.lastMonth {
			t.Errorf("%v: months %v–%v, want %v–%v", p, f, l, c.firstMonth, c.lastMonth)
		}
		if p.Previous() != c.prev || p.Next() != c.next || p.Next().Previous() != p {
			t.Errorf("%v: previous %v next %v; want %v %v", p, p.Previous(), p.Next(), c.prev, c.next)
		}
		if ly := p.LastYear(); ly.Kind != p.Kind || ly.N != p.N || ly.Year != p.Year-1 {
			t.Errorf("%v: last year %v", p, ly)
		}
		// The text forms read back.
		for _, s := range []string{c.str, c.key} {
			if got, err := ParsePeriod(s); err != nil || got != p {
				t.Errorf("ParsePeriod(%q) = %v, %v; want %v", s, got, err, p)
			}
		}
		// Bounds: the last instant is in, the end is not.
		if !p.Contains(p.Start()) || !p.Contains(p.End().Add(-time.Nanosecond)) || p.Contains(p.End()) || p.Contains(p.Start().Add(-time.Nanosecond)) {
			t.Errorf("%v: Contains at the bounds", p)
		}
		// Every instant of the period is in the period PeriodOf names.
		for _, at := range []time.Time{p.Start(), p.End().Add(-time.Nanosecond)} {
			if got := PeriodOf(p.Kind, at); got != p {
				t.Errorf("PeriodOf(%s, %v) = %v, want %v", p.Kind, at, got, p)
			}
		}
	}
}

func TestPeriodOfChinaTime(t *testing.T) {
	// 2026-12-31T16:00Z is already 2027-01-01 in China.
	at := time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)
	for k, want := range map[Kind]Period{
		Year: {Year, 2027, 1}, Half: {Half, 2027, 1}, Quarter: {Quarter, 2027, 1}, Month: {Month, 2027, 1},
	} {
		if got := PeriodOf(k, at); got != want {
			t.Errorf("PeriodOf(%s, %v) = %v, want %v", k, at, got, want)
		}
	}
	if got := PeriodOf("week", at); got != (Period{}) {
		t.Errorf("PeriodOf(week) = %v, want the zero Period", got)
	}
}

func TestPeriodValid(t *testing.T) {
	for _, c := range []struct {
		p    Period
		want bool
	}{
		{Period{Month, 2026, 12}, true}, {Period{Month, 2026, 13}, false}, {Period{Month, 2026, 0}, false},
		{Period{Quarter, 2026, 4}, true}, {Period{Quarter, 2026, 5}, false},
		{Period{Half, 2026, 2}, true}, {Period{Half, 2026, 3}, false},
		{Period{Year, 2026, 1}, true}, {Period{Year, 2026, 0}, false}, {Period{Year, 2026, 2}, false},
		{Period{"week", 2026, 1}, false}, {Period{}, false}, {Period{Year, 1899, 1}, false},
	} {
		if c.p.Valid() != c.want {
			t.Errorf("%+v.Valid() = %v", c.p, !c.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{
		"2026":     {Year, 2026, 1},
		"2026-03":  {Month, 2026, 3},
		"202603":   {Month, 2026, 3},
		"2026M03":  {Month, 2026, 3},
		"2026-M03": {Month, 2026, 3},
		"2026-m3":  {Month, 2026, 3},
		"2026Q3":   {Quarter, 2026, 3},
		"2026-q3":  {Quarter, 2026, 3},
		"2026H2":   {Half, 2026, 2},
		" 2026-H1": {Half, 2026, 1},
		"2000":     {Year, 2000, 1},
		"2100-12":  {Month, 2100, 12},
	} {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestParsePeriodErrors: each error names what is wrong and the forms
// wanted.
func TestParsePeriodErrors(t *testing.T) {
	all := "want YYYY, YYYY-MM, YYYY-Qn, YYYY-Hn"
	for _, c := range []struct {
		in    string
		kinds []Kind
		want  string
	}{
		{"", nil, `period "": no four-digit year; ` + all},
		{"26", nil, "no four-digit year"},
		{"２０２６", nil, "no four-digit year"},
		{"1999", nil, "year 1999 is not in 2000-2100"},
		{"2101-01", nil, "year 2101 is not in 2000-2100"},
		{"2026-", nil, "nothing after the dash"},
		{"2026-3", nil, `month "3" is not two digits`},
		{"20261", nil, `month "1" is not two digits`},
		{"2026-13", nil, "month 13 is not in 1-12"},
		{"2026-00", nil, "month 0 is not in 1-12"},
		{"2026M123", nil, `month number "123" is not one or two digits`},
		{"2026Q5", nil, "quarter 5 is not in 1-4"},
		{"2026Q0", nil, "quarter 0 is not in 1-4"},
		{"2026Q+3", nil, `quarter number "+3" is not one or two digits`},
		{"2026-Q", nil, "no number after Q"},
		{"2026H3", nil, "half 3 is not in 1-2"},
		{"2026X1", nil, `"X" is not M, Q or H`},
		{"2026 Q1", nil, `" " is not M, Q or H`},
		{"2026H1", []Kind{Year, Month, Quarter}, `period "2026H1": a half-year is not accepted here; want YYYY, YYYY-MM, YYYY-Qn`},
		{"2026-03", []Kind{Quarter}, "a month is not accepted here; want YYYY-Qn"},
		{"2026Q5", []Kind{Quarter}, "quarter 5 is not in 1-4; want YYYY-Qn"},
	} {
		p, err := ParsePeriod(c.in, c.kinds...)
		if err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", c.in, p)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "want YYYY") {
			t.Errorf("ParsePeriod(%q): %v; want it to say %q and the forms", c.in, err, c.want)
		}
		if p != (Period{}) {
			t.Errorf("ParsePeriod(%q) returned %v with its error", c.in, p)
		}
	}
}

func TestPeriodJSON(t *testing.T) {
	p := Period{Quarter, 2025, 3}
	b, err := json.Marshal(p)
	if err != nil || string(b) != `{"kind":"quarter","year":2025,"n":3}` {
		t.Fatalf("JSON %s, %v", b, err)
	}
	var q Period
	if err := json.Unmarshal(b, &q); err != nil || q != p {
		t.Errorf("read back %v, %v", q, err)
	}
}
