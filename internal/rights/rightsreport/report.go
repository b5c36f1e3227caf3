// Package rightsreport builds the emission-rights reports
// from the ledger's entries: the reservoirs' receipts and spending (调蓄库
// 收支), the construction projects served (项目配置), trade volumes and
// prices (交易统计) and account statements (账户对账单). It is pure: it reads
// a slice of rights.Entry (the ledger, or an export) and does no I/O except
// writing a workbook to the io.Writer given to WriteXLSX.
//
// Amounts stay exact: quantities are grams per year (Grams) and money is
// fen (Fen); JSON renders them as decimal strings in tonnes (six decimals)
// and yuan (two decimals), never as floats.
package rightsreport

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/rights"
)

// Grams is a quantity of rights in g/a. It marshals as tonnes per year with
// six decimals, exactly ("12.500000").
type Grams int64

// String formats g as tonnes with six decimals.
func (g Grams) String() string { return fixed(int64(g), 1_000_000, 6) }

// MarshalJSON implements json.Marshaler.
func (g Grams) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, g.String()), nil }

// Fen is money in fen (分). It marshals as yuan with two decimals ("1234.50").
type Fen int64

// String formats f as yuan with two decimals.
func (f Fen) String() string { return fixed(int64(f), 100, 2) }

// MarshalJSON implements json.Marshaler.
func (f Fen) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, f.String()), nil }

// fixed formats v/unit with the given decimals; unit is 10^decimals.
func fixed(v, unit int64, decimals int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v) // -MinInt64 wraps to itself, which is right as uint64
	}
	s := strconv.FormatUint(u/uint64(unit), 10) + "." + fmt.Sprintf("%0*d", decimals, u%uint64(unit))
	if neg {
		return "-" + s
	}
	return s
}

// cst is China Standard Time: years and months of the reports are counted
// in it, as the bureau's documents are.
var cst = chinatime.Zone

// Range is a half-open time range [From, To); a zero bound is open.
type Range struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Contains reports whether t is in the period.
func (p Range) Contains(t time.Time) bool {
	return (p.From.IsZero() || !t.Before(p.From)) && (p.To.IsZero() || t.Before(p.To))
}

// DayRange is the range from the day from through the day to, both
// inclusive, as YYYY-MM-DD in China time; either may be empty (open). With
// year > 0 and both empty, it is that calendar year.
func DayRange(year int, from, to string) (Range, error) {
	var p Range
	if year > 0 && from == "" && to == "" {
		return Range{From: chinatime.Date(year, 1, 1), To: chinatime.Date(year+1, 1, 1)}, nil
	}
	var err error
	if from != "" {
		if p.From, err = chinatime.ParseDay(from); err != nil {
			return p, err
		}
	}
	if to != "" {
		t, err := chinatime.ParseDay(to)
		if err != nil {
			return p, err
		}
		p.To = t.AddDate(0, 0, 1)
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return p, fmt.Errorf("the period ends (%s) before it starts (%s)", to, from)
	}
	return p, nil
}

// isReservoir reports whether a holds government indicators: a county
// reservoir, the city reservoir or the reserve.
func isReservoir(a rights.Account) bool {
	return a == rights.City || a == rights.Reserve || len(a) > 7 && a[:7] == "county:"
}

// countyOf is the county code of a county reservoir, or the account's name
// for the city reservoir and the reserve.
func countyOf(a rights.Account) string {
	if len(a) > 7 && a[:7] == "county:" {
		return string(a[7:])
	}
	return string(a)
}

// decode reads an entry's Detail; a malformed detail would have failed the
// ledger's verification, so it is reported, not skipped.
func decode(e *rights.Entry, v any) error {
	if err := json.Unmarshal([]byte(e.Detail), v); err != nil {
		return fmt.Errorf("rightsreport: entry %d (%s): detail: %w", e.Seq, e.Op, err)
	}
	return nil
}
