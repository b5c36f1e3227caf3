package hj212

import (
	"errors"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// cst is China Standard Time. HJ 212 times (QN, DataTime, SystemTime...)
// carry no zone; devices in China report local time, which is UTC+8 all
// year (no daylight saving since 1991). A fixed zone avoids depending on
// the host's tz database.
var cst = chinatime.Zone

// CST returns the fixed UTC+8 location in which HJ 212 times are read.
func CST() *time.Location { return cst }

var errBadTime = errors.New("hj212: time is not YYYYMMDDhhmmss")

// ParseTime parses an HJ 212 time `YYYYMMDDhhmmss` (HJ 212-2017 §6.3.3,
// table 4, N14) in China Standard Time. It also accepts the 17-digit
// `YYYYMMDDhhmmsszzz` form with milliseconds that QN uses and that some
// devices send as DataTime. Out-of-range fields (month 13, 31 February)
// are errors, not normalised.
func ParseTime(b []byte) (time.Time, error) {
	if len(b) != 14 && len(b) != 17 {
		return time.Time{}, errBadTime
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return time.Time{}, errBadTime
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(4, 2), num(6, 2)
	hour, min, sec := num(8, 2), num(10, 2), num(12, 2)
	ms := 0
	if len(b) == 17 {
		ms = num(14, 3)
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, errBadTime
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, ms*int(time.Millisecond), cst), nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// FormatTime appends t as `YYYYMMDDhhmmss` in China Standard Time.
func FormatTime(dst []byte, t time.Time) []byte {
	t = t.In(cst)
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = appendDigits(dst, int(month), 2)
	dst = appendDigits(dst, day, 2)
	dst = appendDigits(dst, hour, 2)
	dst = appendDigits(dst, min, 2)
	return appendDigits(dst, sec, 2)
}

// FormatQN appends t as a QN, `YYYYMMDDhhmmsszzz` (HJ 212-2017 §6.3.2,
// table 3), in China Standard Time.
func FormatQN(dst []byte, t time.Time) []byte {
	dst = FormatTime(dst, t)
	return appendDigits(dst, t.Nanosecond()/int(time.Millisecond), 3)
}

// appendDigits appends v in exactly n decimal digits, zero-padded; values
// wider than n keep their extra leading digits.
func appendDigits(dst []byte, v, n int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 || n > 0 || i == len(buf) {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		n--
		if i == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}
