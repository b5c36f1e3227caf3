package air

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Conc is a concentration in thousandths of its unit: µg/m³ for SO2, NO2, O3,
// PM10 and PM2.5, mg/m³ for CO. A negative Conc means "no value".
type Conc int64

// NA is the canonical missing value.
const NA Conc = -1 << 62

// Scale is the number of Conc units in one µg/m³ (mg/m³ for CO).
const Scale = 1000

// Valid reports whether c holds a value.
func (c Conc) Valid() bool { return c >= 0 }

// Float returns c in its unit (µg/m³, CO mg/m³), or NaN when missing.
func (c Conc) Float() float64 {
	if c < 0 {
		return math.NaN()
	}
	return float64(c) / Scale
}

// String formats c with as many decimals as needed (at most 3), or "NA".
func (c Conc) String() string {
	if c < 0 {
		return "NA"
	}
	return strconv.FormatFloat(float64(c)/Scale, 'f', -1, 64)
}

// FromFloat converts a value in µg/m³ (CO mg/m³) to a Conc, rounding to the
// nearest thousandth; NaN and negative values give NA.
func FromFloat(f float64) Conc {
	if math.IsNaN(f) || f < 0 || math.IsInf(f, 0) || f > 1e12 {
		return NA
	}
	return Conc(math.Round(f * Scale))
}

// ErrSyntax is returned by ParseConc for text that is not a decimal number.
var ErrSyntax = errors.New("not a decimal number")

// ParseConc parses a decimal text ("35", "0.7", "-1", "1.2345") exactly: the
// digits beyond the third decimal are rounded per GB/T 8170 (half to even). A
// leading minus is accepted so that callers can report negative values as
// such rather than as syntax errors; the result is then negative and invalid.
func ParseConc(s string) (Conc, error) {
	if s == "" {
		return NA, ErrSyntax
	}
	neg := false
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	var ip, fp int64
	var fd int // fractional digits kept (≤ 3)
	var rest, restNonZero bool
	var firstDropped byte
	digits := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return NA, fmt.Errorf("%q: %w", s, ErrSyntax)
		}
		if ip > 1e12 {
			return NA, fmt.Errorf("%q: value too large", s)
		}
		ip = ip*10 + int64(d-'0')
		digits++
	}
	if i < len(s) { // '.'
		i++
		for ; i < len(s); i++ {
			d := s[i]
			if d < '0' || d > '9' {
				return NA, fmt.Errorf("%q: %w", s, ErrSyntax)
			}
			digits++
			switch {
			case fd < 3:
				fp = fp*10 + int64(d-'0')
				fd++
			case !rest:
				rest = true
				firstDropped = d
			default:
				if d != '0' {
					restNonZero = true
				}
			}
		}
	}
	if digits == 0 {
		return NA, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	for ; fd < 3; fd++ {
		fp *= 10
	}
	v := ip*Scale + fp
	if rest { // GB/T 8170 §3.3: round half to even on the dropped digits
		switch {
		case firstDropped > '5', firstDropped == '5' && restNonZero:
			v++
		case firstDropped == '5' && v%2 == 1:
			v++
		}
	}
	if neg {
		if v == 0 {
			return 0, nil
		}
		return Conc(-v), nil
	}
	return Conc(v), nil
}

// roundDiv returns num/den rounded per GB/T 8170 (四舍六入五成双: half to
// even), for num ≥ 0 and den > 0.
func roundDiv(num, den int64) int64 {
	q, r := num/den, num%den
	switch {
	case 2*r > den:
		q++
	case 2*r == den && q%2 == 1:
		q++
	}
	return q
}

// RoundTo rounds c to a multiple of step Conc units per GB/T 8170 (half to
// even), e.g. RoundTo(c, 1000) to whole µg/m³, RoundTo(c, 100) to 0.1 mg/m³.
func RoundTo(c Conc, step int64) Conc {
	if c < 0 {
		return c
	}
	return Conc(roundDiv(int64(c), step) * step)
}

// ratio is an exact non-negative rational num/den (den > 0), used for means.
type ratio struct{ num, den int64 }

func (r ratio) less(o ratio) bool { return r.num*o.den < o.num*r.den }

// round returns r rounded per GB/T 8170 to a multiple of step Conc units.
func (r ratio) round(step int64) Conc {
	return Conc(roundDiv(r.num, r.den*step) * step)
}

// conc returns r rounded to the nearest Conc unit (half to even).
func (r ratio) conc() Conc { return Conc(roundDiv(r.num, r.den)) }
