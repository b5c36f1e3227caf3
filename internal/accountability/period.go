package accountability

import (
	"fmt"
	"time"
)

// Kind is the length of an assessment period.
type Kind string

// Period kinds.
const (
	Month   Kind = "month"
	Quarter Kind = "quarter"
	Half    Kind = "half"
	Year    Kind = "year"
)

// Period is a calendar period in China Standard Time: Year and N (month
// 1-12, quarter 1-4, half 1-2; 1 for a year).
type Period struct {
	Kind Kind `json:"kind"`
	Year int  `json:"year"`
	N    int  `json:"n"`
}

// CST is China Standard Time (UTC+8), the time of every period and deadline.
var cst = time.FixedZone("CST", 8*3600)

// CST returns China Standard Time.
func CST() *time.Location { return cst }

func (p Period) months() int {
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
	m := p.months()
	return m > 0 && p.Year >= 1900 && p.N >= 1 && p.N <= 12/m
}

// Start is the first instant of the period.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month((p.N-1)*p.months()+1), 1, 0, 0, 0, 0, cst)
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Start().AddDate(0, p.months(), 0) }

// LastYear is the same period of the previous year (同期), the base of
// year-on-year change.
func (p Period) LastYear() Period { return Period{p.Kind, p.Year - 1, p.N} }

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

// Chinese is the period's name in a bulletin, e.g. 2026年3月, 2026年第一季度.
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

// within reports whether the period lies in [from, to) given as days; a
// zero to is open-ended.
func (p Period) within(from, to time.Time) bool {
	s, e := p.Start(), p.End()
	return !s.Before(from) && (to.IsZero() || !e.After(to))
}
