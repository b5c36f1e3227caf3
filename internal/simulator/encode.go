package simulator

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

// The simulator builds its upload frames itself rather than through
// hj212.Message: it must be able to break the standard in the ways real
// devices do (Quirk), and the flat-out benchmark path must not allocate.
// Replies to the gateway use hj212.AppendReply and hj212.Message.

// header holds a frame's header fields.
type header struct {
	qn         []byte // empty: omitted (2005)
	st, cn     string
	pw, mn     string
	flag       int // < 0: omitted
	pnum, pno  int
	quirks     Quirk
	spaceAfter bool
}

// appendHeader appends the data segment's header, up to and including
// "CP=&&" (HJ 212-2017 §6.3.2, table 3, in the standard's order).
func appendHeader(seg []byte, h *header) []byte {
	if len(h.qn) > 0 {
		seg = append(seg, "QN="...)
		seg = append(seg, h.qn...)
		seg = append(seg, ';')
	}
	seg = append(seg, "ST="...)
	seg = append(seg, h.st...)
	seg = append(seg, ";CN="...)
	seg = append(seg, h.cn...)
	seg = append(seg, ";PW="...)
	seg = append(seg, h.pw...)
	seg = append(seg, ";MN="...)
	seg = append(seg, h.mn...)
	seg = append(seg, ';')
	if h.flag >= 0 {
		seg = append(seg, "Flag="...)
		seg = strconv.AppendInt(seg, int64(h.flag), 10)
		seg = append(seg, ';')
	}
	if h.pnum > 0 {
		seg = append(seg, "PNUM="...)
		seg = strconv.AppendInt(seg, int64(h.pnum), 10)
		seg = append(seg, ";PNO="...)
		seg = strconv.AppendInt(seg, int64(h.pno), 10)
		seg = append(seg, ';')
	}
	return append(seg, "CP=&&"...)
}

// itemSep appends the separator between CP items: ';' (§6.3.3), or "; "
// with QuirkSpaceAfterSemi.
func itemSep(seg []byte, q Quirk) []byte {
	if q&QuirkSpaceAfterSemi != 0 {
		return append(seg, ';', ' ')
	}
	return append(seg, ';')
}

// closeCP appends the closing "&&", after a stray ';' with QuirkStraySemi.
func closeCP(seg []byte, q Quirk) []byte {
	if q&QuirkStraySemi != 0 {
		seg = append(seg, ';')
	}
	return append(seg, "&&"...)
}

func appendField(seg []byte, code, field string, v float64, prec int) []byte {
	seg = append(seg, code...)
	seg = append(seg, '-')
	seg = append(seg, field...)
	seg = append(seg, '=')
	return strconv.AppendFloat(seg, v, 'f', prec, 64)
}

// appendAggregates appends "DataTime=...;" and the factors' Min, Avg, Max,
// (Zs*), Cou and Flag (HJ 212-2017 §6.3.3, table 4; Appendix C.21). It
// returns the number of values written (DataTime excluded).
func appendAggregates(seg []byte, q Quirk, dataTime time.Time, aggs []Aggregate, defs []factorDef) ([]byte, int) {
	seg = append(seg, "DataTime="...)
	seg = hj212.FormatTime(seg, dataTime)
	n := 0
	for i := range aggs {
		a, f := &aggs[i], &defs[i]
		seg = itemSep(seg, q)
		seg = appendField(seg, a.Code, "Min", a.Min, f.Prec)
		seg = append(seg, ',')
		seg = appendField(seg, a.Code, "Avg", a.Avg, f.Prec)
		seg = append(seg, ',')
		seg = appendField(seg, a.Code, "Max", a.Max, f.Prec)
		n += 3
		if a.HasZs {
			seg = append(seg, ',')
			seg = appendField(seg, a.Code, "ZsMin", a.ZsMin, f.Prec)
			seg = append(seg, ',')
			seg = appendField(seg, a.Code, "ZsAvg", a.ZsAvg, f.Prec)
			seg = append(seg, ',')
			seg = appendField(seg, a.Code, "ZsMax", a.ZsMax, f.Prec)
			n += 3
		}
		if a.HasCou {
			seg = append(seg, ',')
			seg = appendField(seg, a.Code, "Cou", a.Cou, couPrec(a.Cou))
			n++
		}
		seg = append(seg, ',')
		seg = append(seg, a.Code...)
		seg = append(seg, "-Flag="...)
		seg = append(seg, a.Flag)
		n++
	}
	return seg, n
}

// couPrec keeps small cumulative values meaningful.
func couPrec(v float64) int {
	if v < 1 {
		return 4
	}
	return 2
}

// appendRealtime appends a 2011 data area: DataTime and each factor's Rtd,
// (ZsRtd) and Flag (HJ 212-2017 Appendix C.17).
func appendRealtime(seg []byte, q Quirk, dataTime time.Time, s []sample, defs []factorDef, zs []bool) ([]byte, int) {
	seg = append(seg, "DataTime="...)
	seg = hj212.FormatTime(seg, dataTime)
	n := 0
	for i := range s {
		f := &defs[i]
		seg = itemSep(seg, q)
		seg = appendField(seg, f.Code, "Rtd", s[i].v, f.Prec)
		n++
		if zs[i] {
			seg = append(seg, ',')
			seg = appendField(seg, f.Code, "ZsRtd", s[i].z, f.Prec)
			n++
		}
		seg = append(seg, ',')
		seg = append(seg, f.Code...)
		seg = append(seg, "-Flag="...)
		seg = append(seg, s[i].flag)
		n++
	}
	return seg, n
}

const hexUpper = "0123456789ABCDEF"
const hexLower = "0123456789abcdef"

// appendFrame wraps a data segment: "##", LLLL, the segment, the CRC and the
// ending (HJ 212-2017 §6.3.1, table 2), with the device's CRC and ending
// quirks.
func appendFrame(dst, seg []byte, q Quirk) []byte {
	if q&(QuirkLowercaseCRC|QuirkModbusCRC|QuirkLFOnly) == 0 {
		return hj212.AppendFrame(dst, seg)
	}
	n := len(seg)
	dst = append(dst, '#', '#', byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	dst = append(dst, seg...)
	crc := hj212.CRC16(seg)
	if q&QuirkModbusCRC != 0 {
		// CRC-16/MODBUS sent low byte first, as seen in the field
		// (hj212.md §1).
		crc = bits.ReverseBytes16(hj212.ModbusCRC16(seg))
	}
	digits := hexUpper
	if q&QuirkLowercaseCRC != 0 {
		digits = hexLower
	}
	dst = append(dst, digits[crc>>12], digits[crc>>8&0xF], digits[crc>>4&0xF], digits[crc&0xF])
	if q&QuirkLFOnly != 0 {
		return append(dst, '\n')
	}
	return append(dst, '\r', '\n')
}

// appendQN appends a QN for time t: YYYYMMDDhhmmsszzz (table 3), or with
// QuirkEpochQN the 13-digit Unix time in milliseconds.
func appendQN(dst []byte, t time.Time, q Quirk) []byte {
	if q&QuirkEpochQN != 0 {
		return strconv.AppendInt(dst, t.UnixMilli(), 10)
	}
	return hj212.FormatQN(dst, t)
}
