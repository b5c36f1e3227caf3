package hj212

// The reference decoder: the plain implementation that Decode replaced,
// kept as the specification that FuzzDecodeReference compares Decode
// against (same frame, same deviations, same error offset and field).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

type refDecoder struct {
	f      *Frame
	strict bool
	cpArea []byte
	cpBase int
}

func (d *refDecoder) rejects(x Deviation) bool {
	d.f.Deviations |= x
	return d.strict && x&strictAccepted == 0
}

func (d *refDecoder) dev(x Deviation, off int, field, msg string) error {
	if d.rejects(x) {
		return &DecodeError{Offset: off, Field: field, Msg: msg, Deviation: x}
	}
	return nil
}

func refDecode(b []byte, f *Frame, opts Options) error {
	f.reset()
	d := refDecoder{f: f, strict: opts.Mode == Strict}

	// HJ 212-2017 §6.3.1, table 2: "##" + LLLL + segment + CRC + CR LF.
	if len(b) < 2 || b[0] != '#' || b[1] != '#' {
		return errAt(0, "header", "frame does not start with ##")
	}
	if len(b) < 6 || !isDigits(b[2:6]) {
		return errAt(2, "length", "LLLL is not four decimal digits")
	}
	l := int(b[2]-'0')*1000 + int(b[3]-'0')*100 + int(b[4]-'0')*10 + int(b[5]-'0')
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

	if err := d.header(seg, 6); err != nil {
		return err
	}
	if !f.CRCOK && d.strict {
		return errAt(crcAt, "CRC", fmt.Sprintf("CRC %04X does not match the segment's %04X", crc, CRC16(seg)))
	}
	return nil
}

func (d *refDecoder) header(seg []byte, base int) error {
	f := d.f
	var offs [rankCount]int // value offsets, for error messages
	var seen uint16
	last := -1
	i := 0
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

func (d *refDecoder) check(offs *[rankCount]int, seen uint16, base int) error {
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
	if !knownST(f.ST) {
		if err := d.dev(DevUnknownST, max(base, offs[rankST]), "ST", "ST not in table 5"); err != nil {
			return err
		}
	}
	if len(f.CN) != 4 || !isDigits(f.CN) || !knownCN(f.CN, f.Version) {
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

func (d *refDecoder) cp(seg []byte, v, base int, dup bool) (next int, err error) {
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

func (d *refDecoder) items(c []byte, base int) error {
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

func (d *refDecoder) scanItems(cp []Pair, c []byte, base int) ([]Pair, error) {
	f := d.f
	var prevFactor uint64
	prevKnown := true
	sep := byte(0) // the separator before the current item; 0 at the start
	j := 0
	for {
		if j == len(c) {
			// A separator before the closing "&&".
			return cp, d.dev(DevStraySemicolon, base+j-1, "CP", "separator before the closing &&")
		}
		k := j
		if c[k] == ' ' {
			for k < len(c) && c[k] == ' ' {
				k++
			}
			// Appendix C.25 prints "; LA-Rtd=50.1".
			f.Deviations |= DevSpaceAfterSemicolon
		}
		ks := k
		// Find the key's end: '=', or ';'/',' for a malformed item. The
		// scan is inlined by hand: calls per item show in profiles.
		//
		// The word that holds the '=' usually holds the value's end too:
		// valEnd keeps the separators found after the '=' in that word
		// (bit 7 of each byte, bits shifted so that bit 7 is the byte
		// after '='), and wordEnd where that word ends.
		var valEnd uint64
		wordEnd := -1
		for {
			if k+8 > len(c) {
				for k < len(c) && c[k] != '=' && c[k] != ';' && c[k] != ',' {
					k++
				}
				break
			}
			x := binary.LittleEndian.Uint64(c[k:])
			ms := zeroMask(x^(swarLo*';')) | zeroMask(x^(swarLo*','))
			if m := zeroMask(x^(swarLo*'=')) | ms; m != 0 {
				p := bits.TrailingZeros64(m) >> 3
				// Only the lowest bit of a zeroMask is exact, and it
				// is the '=' here in a well-formed item: the bits of ms
				// above it are exact up to its own lowest one, all that
				// is used.
				valEnd, wordEnd = ms>>((p+1)*8), k+8
				k += p
				break
			}
			k += 8
		}
		if k == len(c) || c[k] != '=' {
			if k > ks {
				return cp, errAt(base+ks, "CP", "item without '='")
			}
			if err := d.dev(DevStraySemicolon, base+ks, "CP", "empty item"); err != nil {
				return cp, err
			}
			if k == len(c) {
				return cp, nil
			}
			sep = c[k]
			j = k + 1
			continue
		}
		if k == ks {
			return cp, errAt(base+ks, "CP", "empty key")
		}
		key := c[ks:k]
		if key[len(key)-1] == ' ' {
			// Appendix C.42 prints "i12003-Info =0".
			key = bytes.TrimRight(key, " ")
			f.Deviations |= DevSpaceBeforeEquals
			if len(key) == 0 {
				return cp, errAt(base+ks, "CP", "empty key")
			}
		}
		k++
		vs := k
		switch {
		case len(c)-k >= 4 && c[k] == '/' && c[k+1] == '/':
			// Site information and logs are sent between "//" and "//"
			// (§6.3.3, CN 3020) and may hold ';' or ','.
			if e := bytes.Index(c[k+2:], []byte("//")); e >= 0 {
				k += 2 + e + 2
			}
		case valEnd != 0:
			k += bits.TrailingZeros64(valEnd) >> 3
			goto valueFound
		case wordEnd >= 0:
			k = wordEnd // no separator in the rest of the word
		}
		for {
			if k+8 > len(c) {
				for k < len(c) && c[k] != ';' && c[k] != ',' {
					k++
				}
				break
			}
			x := binary.LittleEndian.Uint64(c[k:])
			if m := zeroMask(x^(swarLo*';')) | zeroMask(x^(swarLo*',')); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				break
			}
			k += 8
		}
	valueFound:
		// Set the fields in place: building a Pair and copying it makes the
		// compiler store it to the stack and reload it with wider moves,
		// a store-forwarding stall that showed as a third of the time.
		if len(cp) < cap(cp) {
			cp = cp[:len(cp)+1]
		} else {
			cp = append(cp, Pair{})
		}
		p := &cp[len(cp)-1]
		p.Key = key
		p.Value = c[vs:k]

		// Vocabulary checks: never fatal for unknown codes or fields. The
		// pollutant code and field name are looked up as words (codeWord),
		// and a run of fields of the same pollutant looks its code up once.
		dash := -1
		var factor uint64 // codeWord of the pollutant code; 0 when none
		if len(key) >= 8 {
			x := binary.LittleEndian.Uint64(key)
			if m := zeroMask(x ^ (swarLo * '-')); m != 0 {
				dash = bits.TrailingZeros64(m) >> 3
				factor = x&(1<<(dash*8)-1) | uint64(dash)<<56
			}
		}
		if dash < 0 {
			dash = bytes.IndexByte(key, '-')
			if dash >= 0 {
				factor, _ = codeWord(key[:dash])
			}
		}
		if dash < 0 {
			if !knownPlainKey(key) {
				f.Deviations |= DevUnknownField
			}
		} else {
			if factor != prevFactor || factor == 0 {
				prevKnown = knownPollutant(key[:dash], f.Version)
			}
			if !prevKnown {
				f.Deviations |= DevUnknownPollutant
			}
			fs, fl := ks+dash+1, len(key)-dash-1
			if fl >= 1 && fl <= 7 && fs+8 <= len(c) {
				w := binary.LittleEndian.Uint64(c[fs:])&(1<<(fl*8)-1) | uint64(fl)<<56
				if !fieldTable.hasWord(w) {
					f.Deviations |= DevUnknownField
				}
			} else if !knownField(key[dash+1:]) {
				f.Deviations |= DevUnknownField
			}
		}
		if sep == ',' && (factor == 0 || factor != prevFactor) {
			if err := d.dev(DevCommaBetweenFactors, base+ks, "CP", "',' between different pollutants"); err != nil {
				return cp, err
			}
		}
		prevFactor = factor

		if k == len(c) {
			return cp, nil
		}
		sep = c[k]
		j = k + 1
	}
}
