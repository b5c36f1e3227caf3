package hj212

// The CRC of HJ 212-2017 Appendix A ("ANSI CRC16", polynomial 0xA001,
// initial value 0xFFFF) is not CRC-16/MODBUS: each byte is XORed into the
// register's high byte after the register has been shifted right by eight
// bits, not into its low byte:
//
//	reg = 0xFFFF
//	for each byte b: reg = (reg >> 8) ^ b; 8 times: reg = reg>>1 ^ (0xA001 if lsb)
//
// Since (reg>>8)^b fits in a byte, one step is reg = arc[(reg>>8)^b] where
// arc is the usual reflected 0xA001 byte table, and only the high byte of
// the register carries state from one byte to the next. That state update,
// h' = H(h^b) with H(x) = arc[x]>>8, is linear over GF(2), so after k bytes
//
//	h_k = H^k(h^b1) ^ H^(k-1)(b2) ^ ... ^ H(bk)
//
// which lets crc16 consume eight bytes per step with eight independent
// look-ups into 256-byte tables (slicing-by-8), instead of a serial chain
// of one dependent look-up per byte.

// arcTable is the reflected CRC-16 table for polynomial 0xA001.
var arcTable = func() (t [256]uint16) {
	for i := range t {
		r := uint16(i)
		for range 8 {
			if r&1 != 0 {
				r = r>>1 ^ 0xA001
			} else {
				r >>= 1
			}
		}
		t[i] = r
	}
	return t
}()

// hiPow[k-1][x] is H^k(x) for k = 1..8, with H(x) = arcTable[x]>>8.
var hiPow = func() (p [8][256]byte) {
	for x := range 256 {
		p[0][x] = byte(arcTable[x] >> 8)
	}
	for k := 1; k < 8; k++ {
		for x := range 256 {
			p[k][x] = p[0][p[k-1][x]]
		}
	}
	return p
}()

// CRC16 returns the HJ 212 check code of b (HJ 212-2017 Appendix A), which
// the frame carries as four uppercase hex digits after the data segment.
// It is computed over the data segment only, not over "##" and the length.
func CRC16(b []byte) uint16 {
	if len(b) == 0 {
		return 0xFFFF
	}
	h := byte(0xFF) // high byte of the initial register 0xFFFF
	last := len(b) - 1
	p := b[:last]
	for len(p) >= 8 {
		// Only the first look-up depends on h; the other seven are
		// combined first, so the chain from one h to the next is one
		// XOR, one load and one XOR.
		rest := (hiPow[6][p[1]] ^ hiPow[5][p[2]]) ^ (hiPow[4][p[3]] ^ hiPow[3][p[4]]) ^
			(hiPow[2][p[5]] ^ hiPow[1][p[6]] ^ hiPow[0][p[7]])
		h = hiPow[7][h^p[0]] ^ rest
		p = p[8:]
	}
	for _, c := range p {
		h = hiPow[0][h^c]
	}
	// The last step keeps the whole 16-bit register.
	return arcTable[h^b[last]]
}

// crc16Slow is the byte-at-a-time algorithm exactly as Appendix A prints
// it; tests compare CRC16 against it.
func crc16Slow(b []byte) uint16 {
	reg := uint16(0xFFFF)
	for _, c := range b {
		reg = reg>>8 ^ uint16(c)
		for range 8 {
			lsb := reg & 1
			reg >>= 1
			if lsb != 0 {
				reg ^= 0xA001
			}
		}
	}
	return reg
}

// ModbusCRC16 returns the CRC-16/MODBUS of b (init 0xFFFF, reflected
// polynomial 0xA001, byte XORed into the low byte). Some field devices send
// it, low byte first, instead of the Appendix A CRC; see
// Options.AcceptModbusCRC.
func ModbusCRC16(b []byte) uint16 {
	reg := uint16(0xFFFF)
	for _, c := range b {
		reg = reg>>8 ^ arcTable[byte(reg)^c]
	}
	return reg
}

const hexUpper = "0123456789ABCDEF"

// appendHex4 appends v as four uppercase, zero-padded hex digits, the form
// the standard's examples use (HJ 212-2017 §6.3.1, table 2).
func appendHex4(dst []byte, v uint16) []byte {
	return append(dst, hexUpper[v>>12], hexUpper[v>>8&0xF], hexUpper[v>>4&0xF], hexUpper[v&0xF])
}

// parseHex4 parses four hex digits of either case. upper reports whether
// no lowercase letter was used.
func parseHex4(b []byte) (v uint16, upper, ok bool) {
	if len(b) != 4 {
		return 0, false, false
	}
	// One table look-up per digit (Decode parses every frame's CRC).
	d0, d1, d2, d3 := hexDigit[b[0]], hexDigit[b[1]], hexDigit[b[2]], hexDigit[b[3]]
	if all := d0 | d1 | d2 | d3; all&hexBad == 0 {
		return uint16(d0&0xF)<<12 | uint16(d1&0xF)<<8 | uint16(d2&0xF)<<4 | uint16(d3&0xF), all&hexLower == 0, true
	}
	return 0, false, false
}

// hexDigit holds each byte's value as a hex digit, with hexLower set for
// 'a' to 'f', or hexBad.
var hexDigit = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = byte(c - '0')
		case c >= 'A' && c <= 'F':
			t[c] = byte(c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			t[c] = byte(c-'a'+10) | hexLower
		default:
			t[c] = hexBad
		}
	}
	return t
}()

const (
	hexLower = 0x40
	hexBad   = 0x80
)
