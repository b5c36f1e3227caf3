package water

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// Dec is an exact decimal concentration: an integer count of 1e-9 units
// (nanograms per litre when the unit is mg/L). Every GB 3838-2002 limit has
// at most 5 decimals and every rounding rule of the 2020 statistics rules at
// most 6, so 9 decimals hold them all exactly, and comparisons at a limit
// never suffer floating-point error (0.1+0.2 is 0.3 here).
//
// The largest value is about 9.2e9 units, far above any concentration or
// fecal coliform count (个/L) met in surface water.
type Dec int64

// MaxDecimals is the number of decimals a Dec keeps.
const MaxDecimals = 9

// unit is 1 in Dec units, as an untyped constant so that table literals such
// as Dec(0.15 * unit) are computed exactly by the compiler.
const unit = 1e9

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// Errors of decimal parsing and conversion.
var (
	ErrSyntax   = errors.New("not a decimal number")
	ErrRange    = errors.New("number out of range")
	ErrNegative = errors.New("negative concentration")
)

// ParseDec parses a decimal number such as "0.52", "-1", "1.5e-3". Digits
// beyond the 9th decimal are rounded half to even.
func ParseDec(s string) (Dec, error) {
	if d, ok := parseFast(s); ok {
		return d, nil
	}
	// Slow path: exponents and long mantissas. big.Rat parses decimal
	// strings exactly, so the only rounding is ours.
	if len(s) == 0 || len(s) > 64 {
		return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	r.Mul(r, new(big.Rat).SetInt64(unit))
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// Half to even on the remainder; QuoRem truncates toward zero.
	m2 := new(big.Int).Abs(m)
	m2.Lsh(m2, 1)
	if c := m2.Cmp(den); c > 0 || c == 0 && q.Bit(0) == 1 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("%q: %w", s, ErrRange)
	}
	return Dec(q.Int64()), nil
}

// parseFast handles [+-]digits[.digits] with at most 18 significant digits
// and at most 9 decimals, without allocating.
func parseFast(s string) (Dec, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	sawDigit, sig, frac := false, 0, -1
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			if frac >= 0 {
				frac++
			}
			if n == 0 && c == '0' {
				continue
			}
			n = n*10 + int64(c-'0')
			sig++
			if sig > 18 {
				return 0, false
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if !sawDigit {
		return 0, false
	}
	if frac < 0 {
		frac = 0
	}
	if frac > MaxDecimals {
		return 0, false // the slow path rounds the extra decimals
	}
	p := pow10[MaxDecimals-frac]
	if n > math.MaxInt64/p {
		return 0, false
	}
	n *= p
	if neg {
		n = -n
	}
	return Dec(n), true
}

// DecFromFloat converts a float64 to the decimal it was written as: the
// shortest representation that round-trips (so 0.1 is exactly 0.1, not
// 0.1000000000000000055).
func DecFromFloat(f float64) (Dec, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, ErrSyntax
	}
	if math.Abs(f) >= 9e9 {
		return 0, ErrRange
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	if d, ok := parseFast(string(b)); ok { // string(b) does not escape: no allocation
		return d, nil
	}
	return ParseDec(string(b))
}

// Float64 returns d as a float64 (for display and statistics only).
func (d Dec) Float64() float64 { return float64(d) / unit }

// Round rounds d to dp decimals, half to even (四舍六入五成双, GB/T 8170-2008
// §3.3 as required by the 2020 statistics rules).
func (d Dec) Round(dp int) Dec {
	if dp >= MaxDecimals {
		return d
	}
	if dp < 0 {
		dp = 0
	}
	return d.roundTo(pow10[MaxDecimals-dp])
}

// roundTo rounds d to a multiple of p, half to even.
func (d Dec) roundTo(p int64) Dec {
	n := int64(d)
	neg := n < 0
	if neg {
		n = -n
	}
	q, r := n/p, n%p
	if 2*r > p || 2*r == p && q&1 == 1 {
		q++
	}
	n = q * p
	if neg {
		n = -n
	}
	return Dec(n)
}

// RoundKeep rounds d to dp decimals half to even, but a non-zero value that
// would round to zero keeps one significant digit instead (0.00004 at 3
// decimals stays 0.00004): a detected trace must not become "zero". This
// follows the implementation of the 2020 rules in sm1lewc/Journey.SurfaceWater
// (RoundingService); the rules' own text was not available to check.
func (d Dec) RoundKeep(dp int) Dec {
	r := d.Round(dp)
	if r != 0 || d == 0 {
		return r
	}
	n := int64(d)
	if n < 0 {
		n = -n
	}
	p := int64(1)
	for p*10 <= n {
		p *= 10
	}
	return d.roundTo(p)
}

// String formats d with the fewest decimals that represent it exactly.
func (d Dec) String() string { return string(d.AppendText(nil)) }

// AppendText appends the String form of d to b.
func (d Dec) AppendText(b []byte) []byte {
	n := int64(d)
	if n < 0 {
		b = append(b, '-')
		n = -n // MinInt64 cannot come from ParseDec or arithmetic here
	}
	ip, fp := n/unit, n%unit
	b = strconv.AppendInt(b, ip, 10)
	if fp == 0 {
		return b
	}
	var frac [MaxDecimals]byte
	for i := MaxDecimals - 1; i >= 0; i-- {
		frac[i] = byte('0' + fp%10)
		fp /= 10
	}
	end := MaxDecimals
	for end > 0 && frac[end-1] == '0' {
		end--
	}
	b = append(b, '.')
	return append(b, frac[:end]...)
}

// MarshalJSON writes d as an exact JSON number.
func (d Dec) MarshalJSON() ([]byte, error) { return d.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number (or a numeric string) exactly.
func (d *Dec) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseDec(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
