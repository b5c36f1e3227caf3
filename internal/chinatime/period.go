package chinatime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the length of a reporting period.
type Kind string

// Period kinds. The air evaluation (HJ 663-2013: month, quarter, year),
// the surface water evaluation (环办〔2011〕22号 and the CWQI ranking of
// 环办监测〔2017〕51号: month, quarter, year) and the county assessment
// (which also counts halves) name their periods with them.
const (
	Month   Kind = "month"
	Quarter Kind = "quarter"
	Half    Kind = "half"
	Year    Kind = "year"
)

// name is the kind in an error message.
func (k Kind) name() string {
	if k == Half {
		return "a half-year"
	}
	return "a " + string(k)
}

// Period is a calendar period in China time: Year and N (month 1-12,
// quarter 1-4, half 1-2; 1 for a year). Every report names its periods
// with it. Its JSON form is {"kind":"quarter","year":2026,"n":3}; in text
// (String, and every report's "period" field) it is 2026-03, 2026-Q3,
// 2026-H1 or 2026.
type Period struct {
	Kind Kind `json:"kind"`
	Year int  `json:"year"`
	N    int  `json:"n"`
}

// PeriodOf is the period of kind k that contains t (China time); the zero
// Period for an unknown kind.
func PeriodOf(k Kind, t time.Time) Period {
	t = t.In(Zone)
	p := Period{Kind: k, Year: t.Year()}
	m := p.Months()
	if m == 0 {
		return Period{}
	}
	p.N = (int(t.Month())-1)/m + 1
	return p
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

// MonthSpan is the first and the last calendar month of the period (both
// of p.Year).
func (p Period) MonthSpan() (first, last time.Month) {
	m := p.Months()
	first = time.Month((p.N-1)*m + 1)
	return first, first + time.Month(m) - 1
}

// Start is the first instant of the period: 00:00 of its first day.
func (p Period) Start() time.Time {
	first, _ := p.MonthSpan()
	return Date(p.Year, first, 1)
}

// End is the first instant after the period: 00:00 of the next period's
// first day.
func (p Period) End() time.Time { return p.Start().AddDate(0, p.Months(), 0) }

// LastDay is 00:00 of the period's last day.
func (p Period) LastDay() time.Time { return p.End().AddDate(0, 0, -1) }

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

// Next is the period just after, of the same kind.
func (p Period) Next() Period {
	if p.N < 12/max(p.Months(), 1) {
		return Period{p.Kind, p.Year, p.N + 1}
	}
	return Period{p.Kind, p.Year + 1, 1}
}

// String is the period as the reports and the API write it: 2026-03,
// 2026-Q1, 2026-H2, 2026. ParsePeriod reads it back.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d-%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.Year, p.N)
	case Half:
		return fmt.Sprintf("%d-H%d", p.Year, p.N)
	case Year:
		return strconv.Itoa(p.Year)
	}
	return fmt.Sprintf("%d-%s%d", p.Year, p.Kind, p.N)
}

// Key is the period as stored rows are keyed by it: String, but a month
// is 2026-M03. The stored accountability tables hold months in that form,
// so it must not change with String; ParsePeriod reads it back too.
func (p Period) Key() string {
	if p.Kind == Month {
		return fmt.Sprintf("%d-M%02d", p.Year, p.N)
	}
	return p.String()
}

// Chinese is the period's name in a document, e.g. 2026年3月,
// 2026年第一季度, 2026年上半年.
func (p Period) Chinese() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case Quarter:
		if p.N >= 1 && p.N <= 4 {
			return fmt.Sprintf("%d年第%s季度", p.Year, []string{"一", "二", "三", "四"}[p.N-1])
		}
	case Half:
		if p.N == 1 {
			return fmt.Sprintf("%d年上半年", p.Year)
		}
		return fmt.Sprintf("%d年下半年", p.Year)
	}
	return fmt.Sprintf("%d年", p.Year)
}

// forms names the written forms of the kinds, for error messages.
func forms(kinds []Kind) string {
	if len(kinds) == 0 {
		kinds = []Kind{Year, Month, Quarter, Half}
	}
	f := make([]string, len(kinds))
	for i, k := range kinds {
		f[i] = map[Kind]string{Year: "YYYY", Month: "YYYY-MM", Quarter: "YYYY-Qn", Half: "YYYY-Hn"}[k]
	}
	return strings.Join(f, ", ")
}

// ParsePeriod reads a period of the years 2000-2100: 2026 (a year),
// 2026-03, 202603 or 2026-M03 (a month), 2026-Q3 or 2026Q3 (a quarter),
// 2026-H1 or 2026H1 (a half); letters in either case, spaces around
// ignored. With kinds, only those kinds are accepted (the air and water
// evaluations have no half-years). The error says what is wrong and which
// forms are wanted.
func ParsePeriod(v string, kinds ...Kind) (Period, error) {
	p, why := parsePeriod(strings.ToUpper(strings.TrimSpace(v)))
	if why == "" && len(kinds) > 0 && !containsKind(kinds, p.Kind) {
		why = p.Kind.name() + " is not accepted here"
	}
	if why != "" {
		return Period{}, fmt.Errorf("period %q: %s; want %s", v, why, forms(kinds))
	}
	return p, nil
}

func containsKind(kinds []Kind, k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// parsePeriod reads s (upper case, trimmed); why is empty when it is a
// period and otherwise says what is wrong.
func parsePeriod(s string) (p Period, why string) {
	if len(s) < 4 || strings.Trim(s[:4], "0123456789") != "" {
		return p, "no four-digit year"
	}
	y, _ := strconv.Atoi(s[:4])
	if y < 2000 || y > 2100 {
		return p, fmt.Sprintf("year %d is not in 2000-2100", y)
	}
	p = Period{Kind: Year, Year: y, N: 1}
	rest, dash := strings.CutPrefix(s[4:], "-")
	if rest == "" {
		if dash {
			return Period{}, "nothing after the dash"
		}
		return p, ""
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
		if rest[0] < '0' || rest[0] > '9' {
			return Period{}, fmt.Sprintf("%q is not M, Q or H", rest[:1])
		}
		// A bare month has two digits, so that 2026-3 is not read as a
		// month by accident of a missing letter.
		p.Kind = Month
		if len(digits) != 2 {
			return Period{}, fmt.Sprintf("month %q is not two digits", digits)
		}
	}
	if digits == "" {
		return Period{}, fmt.Sprintf("no number after %s", rest[:1])
	}
	if strings.Trim(digits, "0123456789") != "" || len(digits) > 2 {
		return Period{}, fmt.Sprintf("%s number %q is not one or two digits", p.Kind, digits)
	}
	p.N, _ = strconv.Atoi(digits)
	if !p.Valid() {
		return Period{}, fmt.Sprintf("%s %d is not in 1-%d", p.Kind, p.N, 12/p.Months())
	}
	return p, ""
}
