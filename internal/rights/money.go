package rights

import (
	"math"
	"math/bits"
	"time"
)

// China Standard Time is UTC+8 all year; calendar months are counted in it.
const cstOffset = 8 * time.Hour

// AddMonths adds n calendar months to t in China Standard Time, clamping the
// day to the end of a shorter month (31 Jan + 1 month = 28/29 Feb).
func AddMonths(t time.Time, n int) time.Time {
	w := t.UTC().Add(cstOffset)
	y, m, d := w.Date()
	total := int(m) - 1 + n
	y += total / 12
	if total%12 < 0 {
		y--
	}
	mm := time.Month((total%12+12)%12 + 1)
	if last := time.Date(y, mm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	clock := w.Sub(time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC))
	return time.Date(y, mm, d, 0, 0, 0, 0, time.UTC).Add(clock).Add(-cstOffset)
}

// MonthsRemaining counts the calendar months from from to until, a part
// month counting as a whole one: the start price for a right with less than
// five years left is base ÷ 5 ÷ 12 × remaining months, "不足一个月按一个月计"
// (the Qingdao/Jiaozhou trading rules). It is 0 when until is not after from.
func MonthsRemaining(from, until time.Time) int {
	if !until.After(from) {
		return 0
	}
	a, b := from.UTC().Add(cstOffset), until.UTC().Add(cstOffset)
	n := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	for n > 0 && !AddMonths(from, n-1).Before(until) {
		n--
	}
	for AddMonths(from, n).Before(until) {
		n++
	}
	return n
}

// Fee is the paid-use fee (有偿使用费) in fen for quantity g/a at
// fenPerTonneYear over months: quantity × price × months / 12, with the
// quantity in tonnes, rounded to the nearest fen (halves up). ok is false
// on overflow or negative inputs.
func Fee(quantity, fenPerTonneYear int64, months int) (fen int64, ok bool) {
	if quantity < 0 || fenPerTonneYear < 0 || months < 0 || quantity > maxQuantity || months > 1200 {
		return 0, false
	}
	return mulDivRound(quantity*int64(months), fenPerTonneYear, 12*1_000_000)
}

// TradeValue is the money in fen for quantity g/a at price fen per tonne,
// rounded to the nearest fen (halves up).
func TradeValue(quantity, price int64) (fen int64, ok bool) {
	if quantity < 0 || price < 0 {
		return 0, false
	}
	return mulDivRound(quantity, price, 1_000_000)
}

// mulDivRound returns round(a × b / d) for non-negative a, b and positive d,
// exactly, with 128-bit intermediates.
func mulDivRound(a, b, d int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	var c uint64
	lo, c = bits.Add64(lo, uint64(d)/2, 0)
	hi += c
	if hi >= uint64(d) {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, uint64(d))
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}

// maxQuantity bounds every quantity (10^15 g/a = 10^9 t/a, far above any
// real case) so that products of quantities never overflow.
const maxQuantity = 1_000_000_000_000_000

// maxPrice bounds prices: 10^12 fen = 10^10 yuan per tonne.
const maxPrice = 1_000_000_000_000
