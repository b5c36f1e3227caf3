package waterreport

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/water"
)

// cst is China Standard Time: months and years are calendar months of
// China.
var cst = chinatime.Zone

// Period is a month, a quarter or a year (the periods of the 2011
// evaluation method and of the CWQI ranking).
type Period struct {
	Kind  string // "month", "quarter" or "year"
	Year  int
	N     int // month 1-12 or quarter 1-4; 0 for a year
	First water.YearMonth
	Last  water.YearMonth
}

// ParsePeriod reads 2026-10 (a month), 2026Q3 or 2026-Q3 (a quarter) or
// 2026 (a year): the forms of chinatime.ParsePeriod but halves.
func ParsePeriod(s string) (Period, error) {
	c, err := chinatime.ParsePeriod(s)
	if err != nil || c.Kind == chinatime.Half {
		return Period{}, fmt.Errorf("period %q: want YYYY-MM, YYYYQn or YYYY", s)
	}
	if c.Kind == chinatime.Year {
		return newPeriod("year", c.Year, 0), nil
	}
	return newPeriod(string(c.Kind), c.Year, c.N), nil
}

func newPeriod(kind string, y, n int) Period {
	p := Period{Kind: kind, Year: y, N: n}
	switch kind {
	case "year":
		p.First, p.Last = water.YearMonth{Year: y, Month: 1}, water.YearMonth{Year: y, Month: 12}
	case "quarter":
		m := time.Month(3*(n-1) + 1)
		p.First, p.Last = water.YearMonth{Year: y, Month: m}, water.YearMonth{Year: y, Month: m + 2}
	default:
		p.First, p.Last = water.YearMonth{Year: y, Month: time.Month(n)}, water.YearMonth{Year: y, Month: time.Month(n)}
	}
	return p
}

// String is the period as ParsePeriod reads it.
func (p Period) String() string {
	switch p.Kind {
	case "year":
		return strconv.Itoa(p.Year)
	case "quarter":
		return fmt.Sprintf("%dQ%d", p.Year, p.N)
	}
	return fmt.Sprintf("%d-%02d", p.Year, p.N)
}

// Start is the first instant of the period (00:00 CST of its first day).
func (p Period) Start() time.Time {
	return time.Date(p.First.Year, p.First.Month, 1, 0, 0, 0, 0, cst)
}

// End is the first instant after the period.
func (p Period) End() time.Time {
	return time.Date(p.Last.Year, p.Last.Month+1, 1, 0, 0, 0, 0, cst)
}

// YearBefore is the same period of the previous year (同比), the base of
// the CWQI change rate (环办监测〔2017〕51号).
func (p Period) YearBefore() Period { return newPeriod(p.Kind, p.Year-1, p.N) }

// Previous is the period just before (环比): the previous month, quarter
// or year.
func (p Period) Previous() Period {
	switch p.Kind {
	case "year":
		return newPeriod("year", p.Year-1, 0)
	case "quarter":
		if p.N == 1 {
			return newPeriod("quarter", p.Year-1, 4)
		}
		return newPeriod("quarter", p.Year, p.N-1)
	}
	if p.N == 1 {
		return newPeriod("month", p.Year-1, 12)
	}
	return newPeriod("month", p.Year, p.N-1)
}
