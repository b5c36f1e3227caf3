package chinatime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the length of a reporting period.
type Kind string

// Period kinds.
const (
	Month   Kind = "month"
	Quarter Kind = "quarter"
	Half    Kind = "half"
	Year    Kind = "year"
)

// Period is a calendar period in China time: Year and N (month 1-12,
// quarter 1-4, half 1-2; 1 for a year). The air, water and accountability
// reports all name their periods with it.
type Period struct {
	Kind Kind `json:"kind"`
	Year int  `json:"year"`
	N    int  `json:"n"`
}

// Months is the period's length in months (0 for an unknown kind).
func (p Period) Months() int {
	switch p.Kind {
	case Month:
		return 1
	case Quarter:
		return 3
	case Half:
		return 6
	case Year:
		return 12
	}
	return 0
}

// Valid reports whether the period is well formed.
func (p Period) Valid() bool {
	m := p.Months()
	return m > 0 && p.Year >= 1900 && p.N >= 1 && p.N <= 12/m
}

// Start is the first instant of the period (00:00 of its first day).
func (p Period) Start() time.Time {
	return Date(p.Year, time.Month((p.N-1)*p.Months()+1), 1)
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Start().AddDate(0, p.Months(), 0) }

// Days is the number of calendar days of the period.
func (p Period) Days() int { return int(p.End().Sub(p.Start()).Hours()+0.5) / 24 }

// Contains reports whether t lies in the period.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start()) && t.Before(p.End())
}

// Within reports whether the period lies in [from, to); a zero to is
// open-ended.
func (p Period) Within(from, to time.Time) bool {
	return !p.Start().Before(from) && (to.IsZero() || !p.End().After(to))
}

// LastYear is the same period of the previous year (同期, 同比), the base
// of year-on-year change.
func (p Period) LastYear() Period { return Period{p.Kind, p.Year - 1, p.N} }

// Previous is the period just before, of the same kind (环比).
func (p Period) Previous() Period {
	if p.N > 1 {
		return Period{p.Kind, p.Year, p.N - 1}
	}
	return Period{p.Kind, p.Year - 1, 12 / max(p.Months(), 1)}
}

// String is e.g. 2026-M03, 2026-Q1, 2026-H2, 2026.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d-M%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.Year, p.N)
	case Half:
		return fmt.Sprintf("%d-H%d", p.Year, p.N)
	case Year:
		return fmt.Sprintf("%d", p.Year)
	}
	return fmt.Sprintf("%d-%s%d", p.Year, p.Kind, p.N)
}

// Chinese is the period's name in a document, e.g. 2026年3月,
// 2026年第一季度, 2026年上半年.
func (p Period) Chinese() string {
	nums := []string{"", "一", "二", "三", "四"}
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%d年第%s季度", p.Year, nums[p.N])
	case Half:
		if p.N == 1 {
			return fmt.Sprintf("%d年上半年", p.Year)
		}
		return fmt.Sprintf("%d年下半年", p.Year)
	}
	return fmt.Sprintf("%d年", p.Year)
}

// ParsePeriod reads a period of the years 2000-2100: 2026 (a year),
// 2026-03 or 2026M03 (a month), 2026Q3 or 2026-Q3 (a quarter), 2026H1 or
// 2026-H1 (a half); letters in either case, spaces around ignored.
func ParsePeriod(v string) (Period, error) {
	bad := fmt.Errorf("period %q: want YYYY, YYYY-MM, YYYYQn or YYYYHn", v)
	s := strings.ToUpper(strings.TrimSpace(v))
	if len(s) < 4 {
		return Period{}, bad
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 2000 || y > 2100 {
		return Period{}, bad
	}
	p := Period{Kind: Year, Year: y, N: 1}
	rest := strings.TrimPrefix(s[4:], "-")
	if rest == "" {
		if len(s) > 4 {
			return Period{}, bad
		}
		return p, nil
	}
	digits := rest
	switch rest[0] {
	case 'Q':
		p.Kind, digits = Quarter, rest[1:]
	case 'H':
		p.Kind, digits = Half, rest[1:]
	case 'M':
		p.Kind, digits = Month, rest[1:]
	default:
		p.Kind = Month
		if len(digits) != 2 {
			return Period{}, bad
		}
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return Period{}, bad
	}
	if p.N, err = strconv.Atoi(digits); err != nil || !p.Valid() {
		return Period{}, bad
	}
	return p, nil
}
