package hj212

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"time"
)

// DecodeError reports why a frame could not be decoded, or which deviation
// Strict mode rejected. Offset counts bytes from the frame's first '#'.
type DecodeError struct {
	Offset int
	Field  string // "header", "length", "CRC", "QN", "CN", "CP", ...
	Msg    string
	// Deviation is the deviation that Strict mode rejected, or 0 when the
	// frame is malformed in any mode.
	Deviation Deviation
}

func (e *DecodeError) Error() string {
	return "hj212: offset " + strconv.Itoa(e.Offset) + ": field " + e.Field + ": " + e.Msg
}

// decoder carries the state of one Decode call.
type decoder struct {
	f      *Frame
	strict bool
	// The CP data area, decoded after the header because the vocabulary
	// of its codes depends on the edition, which Flag gives.
	cpArea []byte
	cpBase int
}

// rejects records deviation x on the frame and reports whether the mode
// rejects it.
func (d *decoder) rejects(x Deviation) bool {
	d.f.Deviations |= x
	return d.strict && x&strictAccepted == 0
}

// dev records x and returns the error Strict mode gives for it, or nil.
func (d *decoder) dev(x Deviation, off int, field, msg string) error {
	if d.rejects(x) {
		return &DecodeError{Offset: off, Field: field, Msg: msg, Deviation: x}
	}
	return nil
}

func errAt(off int, field, msg string) error {
	return &DecodeError{Offset: off, Field: field, Msg: msg}
}

// Header field ranks, in the order of HJ 212-2017 §6.3.2, table 3.
const (
	rankQN = iota
	rankST
	rankCN
	rankPW
	rankMN
	rankFlag
	rankPNUM
	rankPNO
	rankCP
	rankCount
)

var rankNames = [rankCount]string{"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "CP"}

// Decode decodes one frame, from "##" through the CRC, with or without its
// CR LF, into f. It reuses f's CP slice and does not allocate once that
// slice has grown to the frame's item count.
//
// The caller owns b and f. Decode only reads b, and keeps no reference to
// either after it returns; f's byte slices alias b, so they are valid
// until the caller reuses b (Frame.Clone copies them out).
//
// Fields are found by name, not position (§6.3.2). In Tolerant mode every
// departure from the standard is recorded in f.Deviations and only frames
// that cannot be read are rejected: no "##", no length digits, no CRC
// digits, no CN, no CP data area, a CP item without '=', or a segment
// over Options.MaxSegment. A missing or empty MN ("MN=;", a data logger
// never configured) is DevMissingMN, not an error: the frame is decoded
// with an empty f.MN, and since it names no device the caller keeps it as
// evidence only. A CRC mismatch is not an error in Tolerant mode: f.CRCOK
// is false and the caller decides (the standard drops such frames,
// §6.3.1). In Strict mode the deviations the standard does not allow (all
// but strictAccepted) and a CRC mismatch are errors; the error is the first
// found, in this order: the envelope (ending, CRC digits, length, size),
// the header fields, the header's checks against the edition, the CP
// items, and last the CRC value.
//
// On error f holds what was decoded before the error was found.
func Decode(b []byte, f *Frame, opts Options) error {
	f.reset()
	d := decoder{f: f, strict: opts.Mode == Strict}

	// HJ 212-2017 §6.3.1, table 2: "##" + LLLL + segment + CRC + CR LF.
	if len(b) < 2 || b[0] != '#' || b[1] != '#' {
		return errAt(0, "header", "frame does not start with ##")
	}
	if len(b) < 6 || !digits4(binary.LittleEndian.Uint32(b[2:6])) {
		return errAt(2, "length", "LLLL is not four decimal digits")
	}
	l := int(digits4Value(binary.LittleEndian.Uint32(b[2:6])))
	f.Length = l

	end := len(b)
	switch {
	case end >= 2 && b[end-2] == '\r' && b[end-1] == '\n':
		end -= 2
	case b[end-1] == '\n':
		end--
		if err := d.dev(DevLFOnly, end, "ending", "frame ends with LF, not CR LF"); err != nil {
			return err
		}
	default:
		if b[end-1] == '\r' {
			end--
		}
		d.f.Deviations |= DevMissingEnding // accepted in both modes: callers may strip it
	}
	if end < 10 {
		return errAt(end, "CRC", "frame too short to hold a CRC")
	}
	crcAt := end - 4
	crc, upper, ok := parseHex4(b[crcAt:end])
	if !ok {
		// Some devices drop the CRC's leading zeros; the data area's
		// closing "&&" tells where the CRC starts.
		n := unpaddedCRC(b[:end])
		if n == 0 {
			return errAt(crcAt, "CRC", "CRC is not four hex digits")
		}
		crcAt = end - n
		var pad [4]byte
		copy(pad[:], "0000")
		copy(pad[4-n:], b[crcAt:end])
		crc, upper, _ = parseHex4(pad[:])
		if err := d.dev(DevUnpaddedCRC, crcAt, "CRC", "CRC has fewer than four hex digits"); err != nil {
			return err
		}
	}
	f.CRC = crc
	seg := b[6:crcAt]
	if len(seg) != l && d.rejects(DevLengthMismatch) {
		return &DecodeError{Offset: 2, Field: "length", Deviation: DevLengthMismatch,
			Msg: fmt.Sprintf("LLLL says %d bytes, the segment has %d", l, len(seg))}
	}
	limit := opts.MaxSegment
	if limit <= 0 {
		limit = 9999
		if d.strict {
			limit = 1024 // §6.3.1: 0 ≤ n ≤ 1024
		}
	}
	if len(seg) > limit {
		return &DecodeError{Offset: 6, Field: "segment", Deviation: DevOversize,
			Msg: fmt.Sprintf("segment of %d bytes exceeds the limit of %d", len(seg), limit)}
	}
	if len(seg) > 1024 {
		f.Deviations |= DevOversize
	}
	if !upper {
		if err := d.dev(DevLowercaseCRC, crcAt, "CRC", "CRC uses lowercase hex digits"); err != nil {
			return err
		}
	}
	switch {
	case crc == CRC16(seg):
		f.CRCOK = true
	case opts.AcceptModbusCRC && crc == bits.ReverseBytes16(ModbusCRC16(seg)):
		f.CRCOK = true
		f.Deviations |= DevModbusCRC
	}

	// The usual frame, whose header is the fixed one (fixedHeader) with a
	// one-digit Flag, followed by "CP=&&" and a data area that ends the
	// segment, is decoded here rather than by header, headerUsual and
	// cp, which find the same in more steps: this is their fast path
	// without their calls.
	if n := len(seg); n >= 87 && fixedHeader(seg) {
		if h := seg[:87:87]; h[79] == ';' && binary.LittleEndian.Uint32(h[80:84]) == 'C'|'P'<<8|'='<<16|'&'<<24 &&
			h[84] == '&' && seg[n-2] == '&' && seg[n-1] == '&' {
			f.QN, f.ST, f.CN, f.PW, f.MN, f.Flag = h[3:20], h[24:26], h[30:34], h[38:44], h[48:72], int(h[78]-'0')
			if err := d.fixedRest(seg, 6, seg[85:n-2], 6+85); err != nil {
				return err
			}
			if !f.CRCOK && d.strict {
				return errAt(crcAt, "CRC", fmt.Sprintf("CRC %04X does not match the segment's %04X", crc, CRC16(seg)))
			}
			return nil
		}
	}
	if err := d.header(seg, 6); err != nil {
		return err
	}
	if !f.CRCOK && d.strict {
		return errAt(crcAt, "CRC", fmt.Sprintf("CRC %04X does not match the segment's %04X", crc, CRC16(seg)))
	}
	return nil
}

// header decodes the data segment seg, which starts at offset base of the
// frame (§6.3.2, table 3).
func (d *decoder) header(seg []byte, base int) error {
	f := d.f
	var offs [rankCount]int // value offsets, for error messages
	var seen uint16
	last := -1
	i := 0
	if v, fixed, ok := d.headerUsual(seg, base, &offs); ok {
		seen = 1<<rankQN | 1<<rankST | 1<<rankCN | 1<<rankPW | 1<<rankMN | 1<<rankFlag | 1<<rankCP
		last = rankCP
		var next int
		if n := len(seg); fixed && n >= 87 && seg[83] == '&' && seg[84] == '&' && seg[n-2] == '&' && seg[n-1] == '&' {
			// cp's usual case, a data area that ends the segment, here
			// where CP's value starts at 83.
			d.cpArea, d.cpBase, next = seg[85:n-2], base+85, n
		} else {
			var err error
			if next, err = d.cp(seg, v, base, false); err != nil {
				return err
			}
		}
		if fixed && next == len(seg) {
			return d.fixedRest(seg, base, d.cpArea, d.cpBase)
		}
		if fixed {
			offs = fixedOffs(base) // for the loop's and check's messages
		}
		offs[rankCP] = base + v
		i = next
	}
	for i < len(seg) {
		// The name runs to '='; names are short, so a plain loop is fastest.
		j := i
		for j < len(seg) && seg[j] != '=' && seg[j] != ';' {
			j++
		}
		if j == len(seg) || seg[j] == ';' {
			if j == i { // ";;" or a trailing ';'
				if err := d.dev(DevStraySemicolon, base+i, "segment", "empty field"); err != nil {
					return err
				}
			} else if err := d.dev(DevUnknownHeaderField, base+i, "segment", "field without '='"); err != nil {
				return err
			}
			i = j + 1
			continue
		}
		name := seg[i:j]
		if len(name) > 0 && (name[0] == ' ' || name[len(name)-1] == ' ') {
			t := bytes.TrimSpace(name)
			if d.strict {
				return &DecodeError{Offset: base + i, Field: "segment", Msg: "spaces around a field name", Deviation: DevSpaceAfterSemicolon}
			}
			f.Deviations |= DevSpaceAfterSemicolon
			name = t
		}
		v := j + 1 // value start
		rank := -1
		switch string(name) {
		case "QN":
			rank = rankQN
		case "ST":
			rank = rankST
		case "CN":
			rank = rankCN
		case "PW":
			rank = rankPW
		case "MN":
			rank = rankMN
		case "Flag":
			rank = rankFlag
		case "PNUM":
			rank = rankPNUM
		case "PNO":
			rank = rankPNO
		case "CP":
			rank = rankCP
		}
		if rank < 0 {
			if err := d.dev(DevUnknownHeaderField, base+i, "segment", "field not in table 3"); err != nil {
				return err
			}
			e := bytes.IndexByte(seg[v:], ';')
			if e < 0 {
				break
			}
			i = v + e + 1
			continue
		}
		dup := seen&(1<<rank) != 0
		if dup {
			if err := d.dev(DevDuplicateField, base+i, rankNames[rank], "field repeated"); err != nil {
				return err
			}
		}
		seen |= 1 << rank
		if rank < last {
			if err := d.dev(DevFieldOrder, base+i, rankNames[rank], "field out of the order of table 3"); err != nil {
				return err
			}
		}
		last = rank

		if rank == rankCP {
			next, err := d.cp(seg, v, base, dup)
			if err != nil {
				return err
			}
			offs[rankCP] = base + v
			i = next
			continue
		}
		e := indexSemicolon(seg, v)
		val := seg[v:e]
		i = e + 1
		if dup {
			continue // the first one wins
		}
		offs[rank] = base + v
		switch rank {
		case rankQN:
			f.QN = val
		case rankST:
			f.ST = val
		case rankCN:
			f.CN = val
		case rankPW:
			f.PW = val
		case rankMN:
			f.MN = val
		case rankFlag:
			n, ok := atoi(val, 3)
			if !ok || n > 255 {
				return errAt(base+v, "Flag", "Flag is not a number from 0 to 255")
			}
			f.Flag = n
		case rankPNUM, rankPNO:
			n, ok := atoi(val, 4)
			if !ok || n < 1 {
				return errAt(base+v, rankNames[rank], rankNames[rank]+" is not a number from 1 to 9999")
			}
			if rank == rankPNUM {
				f.PNUM = n
			} else {
				f.PNO = n
			}
		}
	}

	if seen&(1<<rankCP) == 0 {
		return errAt(base+len(seg), "CP", "no CP data area")
	}
	if seen&(1<<rankCN) == 0 {
		return errAt(base, "CN", "no CN")
	}
	if len(f.MN) == 0 {
		// A data logger whose MN was never configured sends "MN=;".
		if err := d.dev(DevMissingMN, max(base, offs[rankMN]), "MN", "no MN"); err != nil {
			return err
		}
	}
	if err := d.check(&offs, seen, base); err != nil {
		return err
	}
	return d.items(d.cpArea, d.cpBase)
}

// fixedRest finishes a header that is the fixed one (fixedHeader) with a
// one-digit Flag and nothing after its data area c, which starts at
// offset cbase of the frame, once headerUsual or Decode has set its
// fields: check's tests that fixedHeader has answered (QN's 17 digits,
// MN's 24 bytes, PW's 6, a one-digit Flag, so an edition that is known)
// are left out, the others made in check's order; then the items.
func (d *decoder) fixedRest(seg []byte, base int, c []byte, cbase int) error {
	f := d.f
	f.Version = Version(f.Flag >> 2)
	// The values' offsets are fixedHeader's, and CN is 4 bytes.
	// stKnown and cnKnown are asked here only when ST or CN is not
	// digits: for digits their tables are read in place, which
	// saves the calls and reading the slices back from f.
	h := seg[:83:83]
	if a, b := uint(h[24]-'0'), uint(h[25]-'0'); !(a < 10 && b < 10 && stDigits[(a*10+b)%100]) && !stKnown(f.ST) {
		if err := d.dev(DevUnknownST, base+24, "ST", "ST not in table 5"); err != nil {
			return err
		}
	}
	cn := binary.LittleEndian.Uint32(h[30:34])
	e := V2017 // cnKnown's edition table
	if f.Version == V2005 || f.Version == V2025 {
		e = f.Version
	}
	if n := digits4Value(cn); !digits4(cn) || cnDigits[e][n/64]&(1<<(n%64)) == 0 {
		if err := d.dev(DevUnknownCN, base+30, "CN", "CN not in table 9"); err != nil {
			return err
		}
	}
	if f.Flag&2 != 0 { // no PNUM and PNO
		if err := d.dev(DevSplitFields, base, "PNUM", "PNUM/PNO disagree with the Flag D bit"); err != nil {
			return err
		}
	}
	if len(c) == 0 || c[0] == ' ' {
		return d.items(c, cbase)
	}
	// items' usual case, without its call.
	cp, err := d.scanItems(f.CP, c, cbase)
	f.CP = cp
	return err
}

// headerUsual decodes the header fields of a segment that starts the way
// nearly every upload starts, "QN=...;ST=...;CN=...;PW=...;MN=...;Flag=n;CP=",
// in table 3's order and each once, so that none of the loop's checks
// applies: it sets them as the loop would and returns where CP's value
// starts, and whether the header is the fixed one (fixedHeader) with a
// one-digit Flag. The fields' offsets go to offs unless the header is the
// fixed one, whose offsets fixedOffs gives: its caller needs them only
// when more fields follow the data area. Otherwise it changes nothing and
// reports false, and the loop reads the header.
func (d *decoder) headerUsual(seg []byte, base int, offs *[rankCount]int) (cp int, fixed, ok bool) {
	// Where each field after QN starts.
	qn, st, cn, pw, mn := 21, 27, 35, 45, 73
	if fixedHeader(seg) {
		// Nearly always Flag is one digit and CP follows: every offset
		// is known.
		if len(seg) >= 83 {
			h := seg[:83:83]
			if h[79] == ';' && h[80] == 'C' && h[81] == 'P' && h[82] == '=' {
				f := d.f
				f.QN, f.ST, f.CN, f.PW, f.MN, f.Flag = h[3:20], h[24:26], h[30:34], h[38:44], h[48:72], int(h[78]-'0')
				return 83, true, true
			}
		}
	} else {
		qn = usualField(seg, 0, 'Q'|'N'<<8|'='<<16)
		st = usualField(seg, qn, 'S'|'T'<<8|'='<<16)
		cn = usualField(seg, st, 'C'|'N'<<8|'='<<16)
		pw = usualField(seg, cn, 'P'|'W'<<8|'='<<16)
		mn = usualField(seg, pw, 'M'|'N'<<8|'='<<16)
		if mn < 0 || mn+8 > len(seg) || binary.LittleEndian.Uint64(seg[mn:])&(1<<40-1) != 'F'|'l'<<8|'a'<<16|'g'<<24|'='<<32 {
			return 0, false, false
		}
	}
	e := indexSemicolon(seg, mn+5)
	flag, ok := atoi(seg[mn+5:min(e, len(seg))], 3)
	if !ok || flag > 255 || e+3 >= len(seg) || seg[e+1] != 'C' || seg[e+2] != 'P' || seg[e+3] != '=' {
		return 0, false, false
	}
	// Each field's value runs from its '=' to the ';' before the next.
	f := d.f
	f.QN, f.ST, f.CN, f.PW, f.MN, f.Flag = seg[3:qn-1], seg[qn+3:st-1], seg[st+3:cn-1], seg[cn+3:pw-1], seg[pw+3:mn-1], flag
	*offs = [rankCount]int{base + 3, base + qn + 3, base + st + 3, base + cn + 3, base + pw + 3, base + mn + 5}
	return e + 4, false, true
}

// fixedHeader reports whether seg starts with the usual header of
// headerUsual with the lengths of HJ 212-2017 (a QN of 17 digits, ST of 2
// bytes, CN of 4, PW of 6, MN of 24, and a Flag that starts with a digit),
// which put each name and each ';' up to Flag's value at a fixed offset:
//
//	QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5
//	0  3                20 24 27 30  35 38     45 48                      72    78
//
// It checks the 80 bytes from the start a word at a time: the names, the
// QN's digits, and that the bytes that are ';' are exactly those (zeroMask
// may mark a ':' right after a ';' too, which only sends such a header to
// usualField). Any other header is read by usualField.
func fixedHeader(seg []byte) bool {
	if len(seg) < 80 {
		return false
	}
	h := (*[80]byte)(seg[:80])
	const semi = swarLo * ';'
	// Word by word, each used as soon as it is read, so that few values
	// are live at once.
	// (^ and | bind alike, left to right: each term is parenthesised.)
	x := binary.LittleEndian.Uint64(h[0:8])
	bad := zeroMask(x^semi) | (x&0xFFFFFF ^ ('Q' | 'N'<<8 | '='<<16)) | notDigits(x, 0xFFFFFFFFFF000000)
	x = binary.LittleEndian.Uint64(h[8:16])
	bad |= zeroMask(x^semi) | notDigits(x, ^uint64(0))
	x = binary.LittleEndian.Uint64(h[16:24]) // the ';' before ST at 20
	bad |= (zeroMask(x^semi) ^ 0x80<<32) | (x>>40 ^ ('S' | 'T'<<8 | '='<<16)) | notDigits(x, 0xFFFFFFFF)
	x = binary.LittleEndian.Uint64(h[24:32]) // before CN at 26
	bad |= (zeroMask(x^semi) ^ 0x80<<16) | (x>>24&0xFFFFFF ^ ('C' | 'N'<<8 | '='<<16))
	x = binary.LittleEndian.Uint64(h[32:40]) // before PW at 34
	bad |= (zeroMask(x^semi) ^ 0x80<<16) | (x>>24&0xFFFFFF ^ ('P' | 'W'<<8 | '='<<16))
	x = binary.LittleEndian.Uint64(h[40:48]) // before MN at 44
	bad |= (zeroMask(x^semi) ^ 0x80<<32) | (x>>40 ^ ('M' | 'N'<<8 | '='<<16))
	bad |= zeroMask(binary.LittleEndian.Uint64(h[48:56])^semi) | zeroMask(binary.LittleEndian.Uint64(h[56:64])^semi) |
		zeroMask(binary.LittleEndian.Uint64(h[64:72])^semi)
	// Before Flag at 72, and after a one-digit Flag at 79, which may be
	// a digit.
	x = binary.LittleEndian.Uint64(h[72:80])
	bad |= (zeroMask(x^semi)&^(0x80<<56) ^ 0x80) | (x>>8&(1<<40-1) ^ ('F' | 'l'<<8 | 'a'<<16 | 'g'<<24 | '='<<32)) |
		notDigits(x, 0xFF<<48)
	return bad == 0
}

// fixedOffs returns the offsets of the values of a fixed header
// (fixedHeader) with a one-digit Flag, in a segment that starts at offset
// base of the frame.
func fixedOffs(base int) [rankCount]int {
	return [rankCount]int{base + 3, base + 24, base + 30, base + 38, base + 48, base + 78}
}

// digits4 reports whether the four bytes of x are decimal digits, as
// isDigits does eight at a time.
func digits4(x uint32) bool {
	return x&0xF0F0F0F0 == 0x30303030 && (x+0x06060606)&0xF0F0F0F0 == 0x30303030
}

// digits4Value returns the value of the four decimal digits of x, the
// first (most significant) in its lowest byte, two digits at a time.
// For other bytes the result is meaningless (but at most 0xFFFF).
func digits4Value(x uint32) uint {
	x -= 0x30303030
	x = (x*10 + x>>8) & 0x00FF00FF // d0d1 in byte 0, d2d3 in byte 2
	return uint((x*100 + x>>16) & 0xFFFF)
}

// notDigits is zero when the bytes of x that mask selects are decimal
// digits.
func notDigits(x, mask uint64) uint64 {
	x &= mask
	hi, zeros := swarLo*0xF0&mask, swarLo*'0'&mask
	return (x&hi ^ zeros) | ((x+swarLo*6&mask)&hi ^ zeros)
}

// usualField returns where the field after the one at seg[i] starts when
// that one's name and '=' are the three bytes of name, or -1; i < 0 gives
// -1.
func usualField(seg []byte, i int, name uint32) int {
	if i < 0 || i+4 > len(seg) || binary.LittleEndian.Uint32(seg[i:])&0xFFFFFF != name {
		return -1
	}
	e := indexSemicolon(seg, i+3)
	if e == len(seg) {
		return -1
	}
	return e + 1
}

// check validates the header fields against the frame's edition once all
// of them are known, since the edition comes from Flag.
func (d *decoder) check(offs *[rankCount]int, seen uint16, base int) error {
	f := d.f
	// Flag bits V5..V0 carry the edition (§6.3.2, table 3 note). Without
	// Flag the frame is HJ/T 212-2005, unless its QN and MN are clearly
	// 2017 ones, in which case only the Flag is missing.
	if f.Flag >= 0 {
		f.Version = Version(f.Flag >> 2)
		if f.Version > V2025 {
			if err := d.dev(DevUnknownVersion, offs[rankFlag], "Flag", "Flag version bits name no known edition"); err != nil {
				return err
			}
		}
	} else if len(f.QN) == 17 && len(f.MN) == 24 {
		f.Version = V2017
		if err := d.dev(DevMissingFlag, base, "Flag", "no Flag"); err != nil {
			return err
		}
	} else {
		f.Version = V2005
	}

	switch {
	case seen&(1<<rankQN) == 0:
		if f.Version != V2005 { // 2005 uploads carry no QN
			if err := d.dev(DevMissingQN, base, "QN", "no QN"); err != nil {
				return err
			}
		}
	case len(f.QN) == 17 && isDigits(f.QN):
	case len(f.QN) == 13 && isDigits(f.QN):
		if err := d.dev(DevEpochQN, offs[rankQN], "QN", "QN is a Unix time in milliseconds, not YYYYMMDDhhmmsszzz"); err != nil {
			return err
		}
	default:
		if err := d.dev(DevMalformedQN, offs[rankQN], "QN", "QN is not YYYYMMDDhhmmsszzz"); err != nil {
			return err
		}
	}

	switch {
	case len(f.MN) == 24, len(f.MN) == 0: // an empty MN is DevMissingMN
	case len(f.MN) == 14:
		if f.Version != V2005 {
			if err := d.dev(DevMN2005, offs[rankMN], "MN", "14-character (2005) MN in a later edition's frame"); err != nil {
				return err
			}
		}
	default:
		if err := d.dev(DevMNLength, offs[rankMN], "MN", "MN is not 24 characters"); err != nil {
			return err
		}
	}

	if len(f.PW) != 6 {
		if err := d.dev(DevMalformedPW, max(base, offs[rankPW]), "PW", "PW is not 6 characters"); err != nil {
			return err
		}
	}
	if !stKnown(f.ST) {
		if err := d.dev(DevUnknownST, max(base, offs[rankST]), "ST", "ST not in table 5"); err != nil {
			return err
		}
	}
	if len(f.CN) != 4 || !isDigits(f.CN) || !cnKnown(f.CN, f.Version) {
		if err := d.dev(DevUnknownCN, offs[rankCN], "CN", "CN not in table 9"); err != nil {
			return err
		}
	}

	// Flag bit D: the packet is split and carries PNUM and PNO (§6.3.2).
	hasSplit := seen&(1<<rankPNUM|1<<rankPNO) == 1<<rankPNUM|1<<rankPNO
	hasAny := seen&(1<<rankPNUM|1<<rankPNO) != 0
	switch {
	case f.Flag >= 0 && f.Flag&2 != 0 && !hasSplit,
		f.Flag >= 0 && f.Flag&2 == 0 && hasAny,
		f.Flag < 0 && hasAny && !hasSplit:
		if err := d.dev(DevSplitFields, base, "PNUM", "PNUM/PNO disagree with the Flag D bit"); err != nil {
			return err
		}
	}
	if hasSplit && f.PNO > f.PNUM {
		return errAt(offs[rankPNO], "PNO", "PNO is greater than PNUM")
	}
	if !hasSplit {
		f.PNUM, f.PNO = 0, 0
	}
	return nil
}

// cp finds the "CP=&&...&&" data area whose value starts at seg[v]
// (§6.3.3). It returns where the header scan continues: the end of seg,
// or the field after the data area when more fields follow it.
func (d *decoder) cp(seg []byte, v, base int, dup bool) (next int, err error) {
	rest := seg[v:]
	if len(rest) < 4 || rest[0] != '&' || rest[1] != '&' {
		return 0, errAt(base+v, "CP", "data area does not start with &&")
	}
	closeAt := len(rest) - 2 // the usual case: the data area ends the segment
	if rest[closeAt] != '&' || rest[closeAt+1] != '&' {
		closeAt = bytes.LastIndex(rest, []byte("&&"))
	}
	if closeAt < 2 {
		return 0, errAt(base+v, "CP", "data area is not closed with &&")
	}
	next = v + closeAt + 2
	if next < len(seg) {
		// Something follows the data area: fields out of order, or a stray
		// separator.
		if seg[next] != ';' {
			return 0, errAt(base+next, "CP", "bytes after the data area's closing &&")
		}
		if next+1 == len(seg) {
			if err := d.dev(DevStraySemicolon, base+next, "CP", "';' after the data area"); err != nil {
				return 0, err
			}
		}
		next++
	}
	if !dup {
		d.cpArea, d.cpBase = rest[2:closeAt], base+v+2
	}
	return next, nil
}

// items decodes the items of a data area: "k=v" separated by ';', and by
// ',' between fields of the same pollutant (§6.3.3).
func (d *decoder) items(c []byte, base int) error {
	f := d.f
	if len(c) == 0 {
		return nil
	}
	if c[0] == ' ' && len(bytes.TrimLeft(c, " ")) == 0 {
		// Appendix C.4 prints "CP=&& &&".
		f.Deviations |= DevBlankCP
		return nil
	}
	cp, err := d.scanItems(f.CP, c, base)
	f.CP = cp
	return err
}

// itemState is what the scan of a data area carries from one item to the
// next.
type itemState struct {
	prevFactor uint64 // codeWord of the previous item's pollutant code; 0 when none
	prevKnown  bool   // that code is known (and, on the fast path, plain)
	sep        byte   // the separator before the current item; 0 at the start
	devs       Deviation
}

// scanItems appends the items of c to cp. It works on a local slice that
// its caller stores back once: writing the slice header into the heap
// Frame per item costs write barriers. Deviations found here are gathered
// in a local set and recorded once, on every way out.
//
// An item of the usual shape takes the fast path: "code-Field=value" with
// a pollutant code of 1 to 7 bytes that is known and plain (no space, '='
// or separator in it), a field name of table 4 of 1 to 7 bytes, or a plain
// key of table 4 ("DataTime=..."), with no "//" value and no ',' that
// would join two pollutants. Such an item can show no deviation, so the
// fast path only finds its bounds: the key's words are read 8 bytes at a
// time, the separators found with SWAR masks, the code and field name come
// out of those words ready for their tables (the field name with its '='),
// and a run of fields of one pollutant looks its code up once: the next
// item is of the same pollutant when it starts with the same bytes, code
// and '-'. Every other item takes the general path (item), which handles
// every form and records every deviation; the fast paths leave an item to
// it before changing anything. The fast path comes in three parts, each
// taking less than the one after it in fewer steps: a DataTime that starts
// the data area, as uploads send it, is taken first; then scanWindow takes
// the "code-Field=value" items that end 25 bytes or more before the end
// (most of an upload's items), lastItem a last item of the pollutant
// before it, and scanFast the other usual ones.
func (d *decoder) scanItems(cp []Pair, c []byte, base int) ([]Pair, error) {
	st := itemState{prevKnown: true}
	j := 0
	// Uploads start their data area with DataTime (§6.3.3): a plain key
	// of table 4, so the item shows no deviation unless its value is a
	// "//...//" one, which the general path reads.
	if len(c) >= 10 && binary.LittleEndian.Uint64(c) == 'D'|'a'<<8|'t'<<16|'a'<<24|'T'<<32|'i'<<40|'m'<<48|'e'<<56 &&
		c[8] == '=' && c[9] != '/' {
		// The value is nearly always YYYYMMDDhhmmss, ending at c[23].
		e := 23
		if len(c) < 24 || c[23] != ';' && c[23] != ',' ||
			sepMask(binary.LittleEndian.Uint64(c[9:17]))|sepMask(binary.LittleEndian.Uint64(c[15:23])) != 0 {
			e = longValue(c, 9)
		}
		if len(cp) < cap(cp) {
			cp = cp[:len(cp)+1]
		} else {
			cp = append(cp, Pair{})
		}
		pr := &cp[len(cp)-1]
		pr.Key, pr.Value = c[:8], c[9:e]
		if e == len(c) {
			return cp, nil
		}
		st.sep, j = c[e], e+1
	}
	for {
		var done bool
		if len(c)-j >= winLen {
			if cp, j, done = scanWindow(cp, c, j, &st); done {
				d.f.Deviations |= st.devs
				return cp, nil
			}
		}
		if st.prevFactor != 0 && st.prevKnown && len(c)-j < winLen { // an item of a known pollutant came before
			n := int(st.prevFactor>>56) & 7 // lastItem takes 1 to 7 bytes
			code, mask := st.prevFactor&(1<<(8*n)-1)|'-'<<(8*n), uint64(1)<<(8*n+8)-1
			if out, ok := lastItem(cp, c[j:], code, mask, n); ok {
				d.f.Deviations |= st.devs
				return out, nil
			}
		}
		if len(c) >= 8 {
			j0 := j
			cp, j, done = scanFast(cp, c, j, &st, d.f.Version)
			if done {
				d.f.Deviations |= st.devs
				return cp, nil
			}
			if j > j0 {
				continue
			}
		}
		var err error
		cp, j, err = d.item(cp, c, j, base, &st)
		if err != nil || j < 0 {
			d.f.Deviations |= st.devs
			return cp, err
		}
	}
}

// lastItem appends the data area's last item, rest, when it is shorter
// than scanWindow's window and of the usual shape with the pollutant of
// the item before it: it starts with that item's code and '-' (a code
// scanFast would match), its field name with its '=' is in table 4, and
// its value neither starts with "//" nor holds a separator. Such an item
// shows no deviation (as in scanFast). It reads the item from a
// zero-padded copy, so that every load is a whole word with no bounds of
// its own to test; the pair is sliced from rest. Any other item is left
// to scanFast and the general path, and ok is false. The item before's
// code is given as scanFast keeps it: its n bytes (1 to 7) and '-' in
// code, and mask, the mask of those bytes.
func lastItem(cp []Pair, rest []byte, code, mask uint64, n int) (_ []Pair, ok bool) {
	if n < 1 || n > 7 || len(rest) >= winLen {
		return cp, false
	}
	var buf [winLen + 7]byte // zeros past rest match no byte looked for
	copy(buf[:], rest)
	if binary.LittleEndian.Uint64(buf[0:8])&mask != code {
		return cp, false
	}
	// The field name runs to '=' (as in windowLoop).
	y := binary.LittleEndian.Uint64(buf[n+1 : n+9])
	fm := zeroMask(y ^ (swarLo * '='))
	if !fieldEqTable.has(y & (fm ^ (fm - 1))) {
		return cp, false
	}
	vs := n + 1 + bits.TrailingZeros64(fm|1<<63)>>3 + 1 // within rest: its '=' is
	if buf[vs] == '/' && buf[vs+1] == '/' {
		return cp, false // "//...//" values are the general path's
	}
	for i := vs; i < len(rest); i += 8 {
		if sepMask(binary.LittleEndian.Uint64(buf[i:i+8])) != 0 {
			return cp, false
		}
	}
	if len(cp) < cap(cp) {
		cp = cp[:len(cp)+1]
	} else {
		cp = append(cp, Pair{})
	}
	pr := &cp[len(cp)-1]
	pr.Key, pr.Value = rest[:vs-1], rest[vs:]
	return cp, true
}

// scanFast is the fast path of scanItems: it appends the items from c[j]
// on while they have the usual shape, and returns where the first other
// item starts, or done after the last item. c holds at least 8 bytes.
func scanFast(cp []Pair, c []byte, j int, st *itemState, v Version) (_ []Pair, _ int, done bool) {
	// The last item's code with its '-' as its first bytes (code), the
	// mask of those bytes and the code's length: an item of the same
	// pollutant starts with them. noCode, which no item starts with, when
	// there is no code to match or it is not known. Only these, j and the
	// pairs live from one item to the next, so that they stay in
	// registers; the separator before an item is c[j-1].
	code, mask, dash := uint64(noCode), uint64(0), 0
	if n := int(st.prevFactor >> 56); st.prevKnown && n >= 1 && n <= 7 {
		code, mask, dash = st.prevFactor&(1<<(8*n)-1)|'-'<<(8*n), 1<<(8*n+8)-1, n
	}
	j0 := j
	for j < len(c) {
		x0 := load8(c, j)
		ic, im, id := code, mask, dash // this item's
		var vs int                     // where its value starts
		if x0&mask != code {
			comma := j > j0 && c[j-1] == ',' || j == j0 && st.sep == ','
			if dm := zeroMask(x0 ^ (swarLo * '-')); dm != 0 {
				// "code-Field=": the code is the bytes before the dash.
				id = bits.TrailingZeros64(dm) >> 3
				im = (dm&-dm)<<1 - 1
				if id == 0 || comma || !plainPollutant(x0&(im>>8)|uint64(id)<<56, c[j:j+id], v) {
					break
				}
				ic = x0 & im
			} else {
				// A key without a code: "DataTime=".
				p := 0
				if m := zeroMask(x0^(swarLo*'=')) | zeroMask(x0^(swarLo*';')) | zeroMask(x0^(swarLo*',')); m != 0 {
					p = bits.TrailingZeros64(m) >> 3
				} else {
					x1 := load8(c, j+8)
					m := zeroMask(x1^(swarLo*'=')) | zeroMask(x1^(swarLo*';')) | zeroMask(x1^(swarLo*','))
					p = 8 + bits.TrailingZeros64(m)>>3
				}
				if p == 0 || p == 16 || comma || c[j+p] != '=' || !knownPlainKey(c[j:j+p]) {
					break
				}
				ic, im, vs = noCode, 0, j+p+1
			}
		}
		if ic != noCode {
			// The field name runs to '='. A name that is in table 4
			// holds no separator, so looking it up with its '=' is the
			// whole check.
			y := load8(c, j+id+1)
			fm := zeroMask(y ^ (swarLo * '='))
			if !fieldEqTable.has(y & ((fm&-fm)<<1 - 1)) {
				break
			}
			vs = j + id + bits.TrailingZeros64(fm)>>3 + 2
		}
		// The value runs to the next ';' or ',', or to the end.
		z := load8(c, vs)
		if z&0xFFFF == '/'|'/'<<8 && len(c)-vs >= 4 {
			break // "//...//" may hold separators
		}
		k := vs
		for {
			if m := zeroMask(z^(swarLo*';')) | zeroMask(z^(swarLo*',')); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				break
			}
			k += 8
			if k >= len(c) {
				k = len(c)
				break
			}
			z = load8(c, k)
		}
		if len(cp) < cap(cp) {
			cp = cp[:len(cp)+1]
		} else {
			cp = append(cp, Pair{})
		}
		pr := &cp[len(cp)-1]
		item := c[j:k]
		pr.Key, pr.Value = item[:vs-1-j], item[vs-j:]
		code, mask, dash = ic, im, id
		if k == len(c) {
			return cp, k, true
		}
		j = k + 1
		if len(c)-j >= winLen && len(cp) < cap(cp) {
			break // scanWindow can take the next item
		}
	}
	if j > j0 {
		st.prevFactor = 0
		if code != noCode {
			st.prevFactor, st.prevKnown = code&^('-'<<(8*dash))|uint64(dash)<<56, true
		}
		st.sep = c[j-1]
	}
	return cp, j, false
}

// scanWindow is the first of scanItems' paths: it appends the items
// from c[j] on while they are of the usual shape that needs the fewest
// steps, and returns where the first other item starts, which scanFast or
// the general path (item) takes. That shape is scanFast's, narrowed so that
// the loop calls no function (a call makes the compiler keep the loop's
// values on the stack rather than in registers): the pollutant code is the
// one before or in pollutantTable, a value that runs past its first eight
// bytes ends before the data area's last eight, there is room in cp, and
// the item is not the first one (it has a separator before it) and
// starts winLen bytes or more before the end of c. Its key and
// the start of its value are read through w, the separator before the
// item and the winLen bytes from its start as an array, so that their
// loads need no bounds checks of their own: the usual key ("code-Field=",
// at most 7 + 1 + 7 + 1 bytes) ends by w[16], and the value's first word
// by w[24]. The separator before an item is c[j-1] (item and scanFast
// leave st.sep equal to it).
//
// When the items it took leave only a last one, shorter than the window,
// it hands that to lastItem with the code it has in registers, and done
// reports that lastItem took it: the data area is decoded.
func scanWindow(cp []Pair, c []byte, j int, st *itemState) (_ []Pair, _ int, done bool) {
	if j == 0 {
		return cp, j, false // the first item has no separator before it
	}
	// The last item's code with its '-' (code), the mask of those bytes,
	// and where the field name starts (fs): as in scanFast.
	code, mask, fs := uint64(noCode), uint64(0), uint(0)
	if n := int(st.prevFactor >> 56); st.prevKnown && n >= 1 && n <= 7 {
		code, mask, fs = st.prevFactor&(1<<(8*n)-1)|'-'<<(8*n), 1<<(8*n+8)-1, uint(n+1)
	}
	// r runs from the separator before the item to the end of c, and the
	// pairs go to out. Each is sliced with its capacity equal to its
	// length, so that the compiler tracks one number for both.
	out := cp[len(cp):cap(cp):cap(cp)]
	rn, on, code, mask, fs := windowLoop(c[j-1:len(c):len(c)], out, code, mask, fs)
	out = out[len(out)-on:]
	r := c[len(c)-rn:]
	n := cap(cp) - len(cp) - len(out)
	j = len(c) - len(r) + 1
	if n > 0 {
		cp = cp[:len(cp)+n]
		if code != noCode {
			if out, ok := lastItem(cp, c[j:], code, mask, int(fs-1)); ok {
				return out, len(c), true
			}
		}
		st.prevFactor = 0
		if code != noCode {
			st.prevFactor, st.prevKnown = code&^('-'<<(8*(fs-1)))|uint64(fs-1)<<56, true
		}
		st.sep = c[j-1]
	}
	return cp, j, false
}

// windowLoop is scanWindow's loop, a function of its own so that only
// the loop's state lives in it and stays in registers (with the caller's
// values also live, the compiler reloads them at every turn). It returns
// the lengths of r and out when it stops, and the last code.
//
//go:noinline
func windowLoop(r []byte, out []Pair, code, mask uint64, fs uint) (int, int, uint64, uint64, uint) {
	for len(r) > winLen && len(out) > 0 {
		w := (*[winLen + 1]byte)(r[:winLen+1])
		x0 := binary.LittleEndian.Uint64(w[1:9])
		if x0&mask != code {
			dm := zeroMask(x0 ^ (swarLo * '-'))
			// "code-Field=": the code is the bytes before the dash.
			id := uint(bits.TrailingZeros64(dm)) >> 3
			m := (dm&-dm)<<1 - 1
			if dm == 0 || id == 0 || w[0] == ',' || !pollutantTable.hasWord(x0&(m>>8)|uint64(id)<<56) {
				break
			}
			code, mask, fs = x0&m, m, id+1
		}
		// The field name runs to '='. A name that is in table 4 holds no
		// separator, so looking it up with its '=' is the whole check.
		k := (fs-1)&7 + 2 // fs is 2 to 8 here: the bound lets the loads below go unchecked
		y := binary.LittleEndian.Uint64(w[k : k+8])
		fm := zeroMask(y ^ (swarLo * '='))
		// fm^(fm-1) masks the bytes up to the first '=' (its lowest bit,
		// the top bit of that byte, is exact).
		if !fieldEqTable.has(y & (fm ^ (fm - 1))) {
			break
		}
		// fm is not zero (every name in the table has its '='): the OR
		// tells the compiler so, and changes nothing.
		vs := k + uint(bits.TrailingZeros64(fm|1<<63))>>3 + 1 // the value's start in r
		// w[vs:], not w[vs:vs+8], which the compiler tested for overflow
		// at every item; vs is at most 17, so this load needs no test.
		z := binary.LittleEndian.Uint64(w[vs:])
		if z&0xFFFF == '/'|'/'<<8 {
			break // "//...//" may hold separators
		}
		// The value runs to the next ';' or ','.
		// The key, and a value that ends in the window, are sliced from
		// w, whose bounds are constants, rather than from r: their
		// checks and capacities then need nothing of r (a key's capacity
		// ends with the window, a value's with the window or r).
		// Each way advances r on its own: a value that ends in the window
		// ends before r does (m|1<<63 tells the compiler the count is at
		// most 63, and changes nothing), so that advance needs no test.
		if m := sepMask(z); m != 0 {
			e := int(vs) + bits.TrailingZeros64(m|1<<63)>>3
			out[0].Key, out[0].Value = w[1:vs-1], w[vs:e]
			r = r[e:len(r):len(r)]
		} else if e := longValueIn(r, int(vs)+8); e >= 0 {
			out[0].Key, out[0].Value = w[1:vs-1], r[vs:e]
			r = r[e:len(r):len(r)]
		} else {
			break
		}
		out = out[1:len(out):len(out)]
	}
	return len(r), len(out), code, mask, fs
}

// longValueIn returns where a value that runs past its first eight bytes
// ends, the first ';' or ',' from c[k], when that is before c's last
// eight bytes, or -1.
func longValueIn(c []byte, k int) int {
	for ; k+8 <= len(c); k += 8 {
		z := binary.LittleEndian.Uint64(c[k : k+8])
		if m := zeroMask(z^(swarLo*';')) | zeroMask(z^(swarLo*',')); m != 0 {
			return k + bits.TrailingZeros64(m)>>3
		}
	}
	return -1
}

// winLen is the size of scanWindow's window.
const winLen = 25

// longValue returns where a value ends: at the first ';' or ',' from c[k]
// on, or at the end of c.
func longValue(c []byte, k int) int {
	for ; k+8 <= len(c); k += 8 {
		if m := sepMask(binary.LittleEndian.Uint64(c[k : k+8])); m != 0 {
			return k + bits.TrailingZeros64(m)>>3
		}
	}
	for ; k < len(c); k++ {
		if c[k] == ';' || c[k] == ',' {
			return k
		}
	}
	return len(c)
}

// noCode is scanFast's code when there is none to match.
const noCode = ^uint64(0)

// item is the general path of scanItems: it appends the item that starts
// at c[j] and returns where the next one starts, or -1 after the last.
func (d *decoder) item(cp []Pair, c []byte, j, base int, st *itemState) ([]Pair, int, error) {
	if j == len(c) {
		// A separator before the closing "&&".
		return cp, -1, d.dev(DevStraySemicolon, base+j-1, "CP", "separator before the closing &&")
	}
	k := j
	if c[k] == ' ' {
		for k < len(c) && c[k] == ' ' {
			k++
		}
		// Appendix C.25 prints "; LA-Rtd=50.1".
		st.devs |= DevSpaceAfterSemicolon
	}
	ks := k
	// The key runs to '=', or to ';'/',' for a malformed item.
	for k < len(c) && c[k] != '=' && c[k] != ';' && c[k] != ',' {
		k++
	}
	if k == len(c) || c[k] != '=' {
		if k > ks {
			return cp, -1, errAt(base+ks, "CP", "item without '='")
		}
		if err := d.dev(DevStraySemicolon, base+ks, "CP", "empty item"); err != nil {
			return cp, -1, err
		}
		if k == len(c) {
			return cp, -1, nil
		}
		st.sep = c[k]
		return cp, k + 1, nil
	}
	if k == ks {
		return cp, -1, errAt(base+ks, "CP", "empty key")
	}
	key := c[ks:k]
	if key[len(key)-1] == ' ' {
		// Appendix C.42 prints "i12003-Info =0".
		key = bytes.TrimRight(key, " ")
		st.devs |= DevSpaceBeforeEquals
		if len(key) == 0 {
			return cp, -1, errAt(base+ks, "CP", "empty key")
		}
	}
	k++
	vs := k
	if len(c)-k >= 4 && c[k] == '/' && c[k+1] == '/' {
		// Site information and logs are sent between "//" and "//"
		// (§6.3.3, CN 3020) and may hold ';' or ','.
		if e := bytes.Index(c[k+2:], []byte("//")); e >= 0 {
			k += 2 + e + 2
		}
	}
	for k < len(c) && c[k] != ';' && c[k] != ',' {
		k++
	}
	cp = append(cp, Pair{Key: key, Value: c[vs:k]})

	// Vocabulary checks: never fatal for unknown codes or fields.
	var factor uint64 // codeWord of the pollutant code; 0 when none
	if dash := bytes.IndexByte(key, '-'); dash < 0 {
		if !knownPlainKey(key) {
			st.devs |= DevUnknownField
		}
	} else {
		factor, _ = codeWord(key[:dash])
		if factor != st.prevFactor || factor == 0 {
			st.prevKnown = knownPollutant(key[:dash], d.f.Version)
		}
		if !st.prevKnown {
			st.devs |= DevUnknownPollutant
		}
		if !knownField(key[dash+1:]) {
			st.devs |= DevUnknownField
		}
	}
	if st.sep == ',' && (factor == 0 || factor != st.prevFactor) {
		if err := d.dev(DevCommaBetweenFactors, base+ks, "CP", "',' between different pollutants"); err != nil {
			return cp, -1, err
		}
	}
	st.prevFactor = factor
	if k == len(c) {
		return cp, -1, nil
	}
	st.sep = c[k]
	return cp, k + 1, nil
}

// load8 returns the 8 bytes of c from i, little-endian; bytes past the
// end of c read as zeros, which match none of the bytes the scanners look
// for. c holds at least 8 bytes.
func load8(c []byte, i int) uint64 {
	if uint(i)+8 <= uint(len(c)) {
		return binary.LittleEndian.Uint64(c[i : i+8 : i+8])
	}
	return loadTail(c, i)
}

func loadTail(c []byte, i int) uint64 {
	n := len(c) - i
	if n <= 0 {
		return 0
	}
	return binary.LittleEndian.Uint64(c[len(c)-8:]) >> ((8 - n) * 8)
}

// plainPollutant reports whether code, packed in w (codeWord), is a known
// pollutant code (knownPollutant) that holds no space, '=', ';' or ','.
func plainPollutant(w uint64, code []byte, v Version) bool {
	if pollutantTable.hasWord(w) {
		return true
	}
	if !knownPollutant(code, v) {
		return false
	}
	return zeroMask(w^(swarLo*' '))|zeroMask(w^(swarLo*'='))|zeroMask(w^(swarLo*';'))|zeroMask(w^(swarLo*',')) == 0
}

// The scanners below test eight bytes at a time (SWAR): zeroMask sets the
// high bit of each zero byte of v, exactly for the lowest one, which is
// the first in little-endian order and the only one used.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

func zeroMask(v uint64) uint64 { return (v - swarLo) &^ v & swarHi }

// sepMask is zeroMask(v^(swarLo*';')) | zeroMask(v^(swarLo*',')), with
// one AND fewer.
func sepMask(v uint64) uint64 {
	a, b := v^(swarLo*';'), v^(swarLo*',')
	return ((a-swarLo)&^a | (b-swarLo)&^b) & swarHi
}

// indexSemicolon returns the index of the first ';' in b at or after i,
// or len(b). Header values are short, for which this beats IndexByte's
// set-up cost.
func indexSemicolon(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := zeroMask(binary.LittleEndian.Uint64(b[i:]) ^ (swarLo * ';')); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == ';' {
			return i
		}
	}
	return i
}

// unpaddedCRC returns n when b ends with "&&" and 1 to 3 hex digits.
func unpaddedCRC(b []byte) int {
	for n := 3; n >= 1; n-- {
		if len(b) < 6+2+n || b[len(b)-n-2] != '&' || b[len(b)-n-1] != '&' {
			continue
		}
		if isHex(b[len(b)-n:]) {
			return n
		}
	}
	return 0
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(b) > 0
}

// atoi parses 1..width decimal digits.
func atoi(b []byte, width int) (int, bool) {
	if len(b) == 0 || len(b) > width {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (f *Frame) reset() {
	cp := f.CP[:0]
	*f = Frame{Flag: -1, CP: cp}
}

// SplitKey splits a CP key at its first '-': "a21026-Rtd" gives "a21026"
// and "Rtd"; a key without '-' ("DataTime") gives an empty factor.
func SplitKey(key []byte) (factor, field []byte) {
	if i := bytes.IndexByte(key, '-'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return nil, key
}

// Get returns the value of the first CP item named key.
func (f *Frame) Get(key string) ([]byte, bool) {
	for i := range f.CP {
		if string(f.CP[i].Key) == key {
			return f.CP[i].Value, true
		}
	}
	return nil, false
}

// NeedsAck reports whether the sender asks for an answer: Flag bit A is
// set (§6.3.2) and the frame is not itself an answer (CN 90xx), to which
// nobody replies (§6.5).
func (f *Frame) NeedsAck() bool {
	return f.Flag >= 0 && f.Flag&1 != 0 && !(len(f.CN) == 4 && f.CN[0] == '9' && f.CN[1] == '0')
}

// IsSplit reports whether the frame is one packet of a split upload.
func (f *Frame) IsSplit() bool { return f.PNUM > 0 }

var errNoDataTime = errors.New("hj212: frame has no DataTime")

// DataTime returns the CP DataTime: the sampling instant for 2011/2021
// and the start of the period for 2051/2061/2031/2041 (§6.3.3, table 4).
func (f *Frame) DataTime() (time.Time, error) {
	v, ok := f.Get("DataTime")
	if !ok {
		return time.Time{}, errNoDataTime
	}
	t, err := ParseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("hj212: DataTime %q: %w", v, err)
	}
	return t, nil
}

// Clone returns a deep copy of f that does not alias the decode buffer.
func (f *Frame) Clone() *Frame {
	n := len(f.QN) + len(f.ST) + len(f.CN) + len(f.PW) + len(f.MN)
	for _, p := range f.CP {
		n += len(p.Key) + len(p.Value)
	}
	buf := make([]byte, 0, n)
	cp := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		s := len(buf)
		buf = append(buf, b...)
		return buf[s:len(buf):len(buf)]
	}
	g := *f
	g.QN, g.ST, g.CN, g.PW, g.MN = cp(f.QN), cp(f.ST), cp(f.CN), cp(f.PW), cp(f.MN)
	g.CP = make([]Pair, len(f.CP))
	for i, p := range f.CP {
		g.CP[i] = Pair{Key: cp(p.Key), Value: cp(p.Value)}
	}
	return &g
}
