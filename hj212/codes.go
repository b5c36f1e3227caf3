package hj212

import (
	"encoding/binary"
	"strings"
)

// Code tables. A code of 1 to 7 bytes is packed into a word, its bytes
// little-endian and its length in the top byte, and looked up in a small
// open-addressing hash set: one multiply and usually one compare, with no
// allocation and no data-dependent search branches (these look-ups run
// for every CP item of every frame).

// codeWord packs a code of 1..7 bytes; ok is false for other lengths.
func codeWord(b []byte) (w uint64, ok bool) {
	n := len(b)
	switch {
	case n >= 4 && n <= 7:
		// Two overlapping four-byte loads; the shared bytes agree.
		w = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<((n-4)*8)
	case n >= 2 && n <= 3:
		w = uint64(binary.LittleEndian.Uint16(b)) | uint64(binary.LittleEndian.Uint16(b[n-2:]))<<((n-2)*8)
	case n == 1:
		w = uint64(b[0])
	default:
		return 0, false
	}
	return w | uint64(n)<<56, true
}

type codeSet struct {
	slots []uint64 // 0 marks an empty slot; no code packs to 0
	mul   uint64
	shift uint
}

// newCodeSet builds a perfect hash set: it tries multipliers until no two
// codes share a slot, growing the table when that takes long, so that a
// look-up is one multiply and one compare, without a probe loop. The
// search is deterministic, so the tables are the same on every run.
func newCodeSet(list string) codeSet {
	codes := strings.Fields(list)
	words := make([]uint64, 0, len(codes))
	for _, c := range codes {
		w, ok := codeWord([]byte(c))
		if !ok {
			panic("hj212: bad table entry " + c) // init-time programming error only
		}
		words = append(words, w)
	}
	bits := uint(4)
	for 1<<bits < 2*len(words) {
		bits++
	}
	mul := uint64(0x9E3779B97F4A7C15)
	for try := 0; ; try++ {
		if try > 0 && try%1000 == 0 {
			bits++
		}
		mul += 0x2545F4914F6CDD1D << 1 // stays odd
		s := codeSet{slots: make([]uint64, 1<<bits), mul: mul, shift: 64 - bits}
		ok := true
		for _, w := range words {
			i := s.slot(w)
			if s.slots[i] != 0 && s.slots[i] != w {
				ok = false
				break
			}
			s.slots[i] = w
		}
		if ok {
			return s
		}
	}
}

func (s *codeSet) slot(w uint64) int { return int((w * s.mul) >> (s.shift & 63)) }

func (s *codeSet) hasWord(w uint64) bool { return s.slots[s.slot(w)] == w }

func (s *codeSet) has(b []byte) bool {
	w, ok := codeWord(b)
	return ok && s.hasWord(w)
}

// stTable is HJ 212-2017 §6.6.1, table 5 (system codes). Codes starting
// with a letter (A0-Z9) are reserved for extension and accepted too.
var stTable = newCodeSet(stList)

const stList = `21 22 23 24 25 26 27 31 32 33 34 35 36 37 38 39 41 51 52 91`

// cnTable2017 is HJ 212-2017 §6.6.5, table 9 (command codes).
var cnTable2017 = newCodeSet(cnList2017)

const cnList2017 = `
	1000 1011 1012 1013 1061 1062 1063 1064 1072
	2011 2012 2021 2022 2031 2041 2051 2061 2081
	3011 3012 3013 3014 3015 3016 3017 3018 3019 3020 3021
	9011 9012 9013 9014`

// cnTable2025 holds the codes HJ 212-2025 adds, as listed by
// caoyiliang/HJ212 (Enum.cs); the 2025 text was not available to us.
var cnTable2025 = newCodeSet(cnList2025)

const cnList2025 = `1001 1002 1014 2013 2052 2062 2111 3022 3024 9015`

// cnTable2005 holds codes of HJ/T 212-2005 that 2017 dropped (limits,
// upper-computer address, alarm records and events), as implemented by
// 2005-era data loggers; the 2005 text was not available to us.
var cnTable2005 = newCodeSet(cnList2005)

const cnList2005 = `1001 1021 1022 1031 1032 1041 1042 2071 2072`

// pollutantTable holds the codes of HJ 212-2017 Appendix B that our
// reference notes list: water (B.1, from HJ 525-2009), air (B.2, from
// HJ 524-2009) and noise (B.3). It is not the complete appendix: a code
// missing here is recorded as DevUnknownPollutant, never rejected.
// Process codes (e/g + 5 digits), site-info codes (i + 5 digits) and
// facility codes (SBxxx) are recognised by their pattern instead.
var pollutantTable = newCodeSet(`
	w00000 w01001 w01002 w01009 w01010 w01012 w01014 w01017 w01018 w01019 w01020
	w20111 w20115 w20116 w20117 w20119 w20120 w20121 w20122 w20123
	w21001 w21003 w21011 w21016 w21017 w21019 w22001 w23002 w99001
	a00000 a01001 a01002 a01006 a01007 a01008 a01011 a01012 a01013 a01014 a01016 a01017 a01901 a01902
	a05001 a05002 a19001 a21001 a21002 a21003 a21004 a21005 a21017 a21018 a21022 a21024 a21026 a21028
	a24087 a24088 a25002 a25003 a25005 a34001 a34002 a34004 a34005 a34013 a99051
	LA L5 L10 L50 L90 L95 Leq Ldn Ld Ln LMx LMn`)

// pollutantTable2005 holds the HJ/T 212-2005 codes ("原编码") that
// Appendix B maps to the new ones; they are known only in 2005 frames.
var pollutantTable2005 = newCodeSet(`
	B01 001 002 003 010 011 015 020 022 023 024 026 027 028 029 030 060 061 065 070 071 072 080 101 110
	B02 01 02 03 04 05 06 07 08 10 11 12 17 18 25 30 S01 S02 S03 S04 S05 S06 S07 S08`)

// knownPollutant reports whether code is a pollutant or monitored-item
// code of Appendix B for the given edition.
func knownPollutant(code []byte, v Version) bool {
	if len(code) == 6 && isDigits(code[1:]) {
		switch code[0] {
		case 'e', 'g': // process (工况) codes, tables B.4-B.7
			return true
		case 'i': // site-info codes, table B.10: i + class + kind + 3 digits
			return code[1] >= '1' && code[1] <= '3' && code[2] >= '1' && code[2] <= '3'
		}
	}
	if len(code) > 2 && code[0] == 'S' && code[1] == 'B' { // facilities SBxxx, §6.3.3
		return true
	}
	if pollutantTable.has(code) {
		return true
	}
	return v == V2005 && pollutantTable2005.has(code)
}

// fieldTable holds the field names of table 4 that follow a pollutant
// code ("xxxxxx-Rtd"), up to 7 bytes; knownField adds the longer ones.
var fieldTable = newCodeSet(fieldNames)

const fieldNames = `Rtd Min Avg Max Cou Flag EFlag ZsRtd ZsMin ZsAvg ZsMax SN Info Data DayData RS RT`

// fieldEqTable holds the same names each with its '=' ("Rtd="), packed
// little-endian into a word, for the CP fast path: it finds a field name's
// end and its '=' at once, so the word up to the '=' is the key to look up.
var fieldEqTable = newWordSet(fieldNames, '=')

// wordSet is a perfect hash set of up to 64 words in a fixed array: a
// look-up is one multiply, one shift and one compare. An empty slot holds
// wordSetEmpty, which has a byte after its first '=' and so is never
// looked up.
type wordSet struct {
	slots [64]uint64
	mul   uint64
}

// newWordSet packs each code of list, followed by the byte end, into a
// word; the codes are 1 to 7 bytes.
func newWordSet(list string, end byte) wordSet {
	var words []uint64
	for _, c := range strings.Fields(list) {
		if len(c) > 7 {
			panic("hj212: bad table entry " + c) // init-time programming error only
		}
		var b [8]byte
		copy(b[:], c)
		b[len(c)] = end
		words = append(words, binary.LittleEndian.Uint64(b[:]))
	}
	mul := uint64(0x9E3779B97F4A7C15)
	for {
		mul += 0x2545F4914F6CDD1D << 1 // stays odd
		s := wordSet{mul: mul}
		for i := range s.slots {
			s.slots[i] = wordSetEmpty
		}
		ok := true
		for _, w := range words {
			i := w * mul >> 58
			if s.slots[i] != wordSetEmpty {
				ok = false
				break
			}
			s.slots[i] = w
		}
		if ok {
			return s
		}
	}
}

const wordSetEmpty = '=' | '='<<8

func (s *wordSet) has(w uint64) bool { return s.slots[w*s.mul>>58] == w }

// knownField reports whether name is a field of table 4 that follows a
// pollutant code.
func knownField(name []byte) bool {
	if len(name) <= 7 {
		return fieldTable.has(name)
	}
	switch string(name) {
	case "SampleTime", "NightData":
		return true
	}
	return false
}

// knownPlainKey reports whether key is a CP key of table 4 without a
// pollutant code.
func knownPlainKey(key []byte) bool {
	switch string(key) {
	case "DataTime", "SystemTime", "RestartTime", "BeginTime", "EndTime",
		"QnRtn", "ExeRtn", "RtdInterval", "MinInterval", "OverTime", "ReCount",
		"PolId", "InfoId", "NewPW", "VaseNo", "CstartTime", "Ctime", "CTime", "Stime":
		return true
	}
	return false
}

func knownST(st []byte) bool {
	if len(st) != 2 {
		return false
	}
	if st[0] >= 'A' && st[0] <= 'Z' && st[1] >= '0' && st[1] <= '9' { // A0-Z9 extensions
		return true
	}
	return stTable.has(st)
}

func knownCN(cn []byte, v Version) bool {
	if cnTable2017.has(cn) {
		return true
	}
	switch v {
	case V2005:
		return cnTable2005.has(cn)
	case V2025:
		return cnTable2025.has(cn)
	}
	return false
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	// Eight bytes at a time: each is 0x30..0x39 when its high nibble is 3
	// both as it is and with 6 added (which then cannot carry).
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if x&(swarLo*0xF0) != swarLo*'0' || (x+swarLo*6)&(swarLo*0xF0) != swarLo*'0' {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// stDigits and cnDigits are knownST and knownCN as tables indexed by the
// code's value, for Decode, which asks them once per frame: ST "00".."99"
// and, per edition (2005, 2017, 2025), CN "0000".."9999" as bits.
// TestCodeTables checks them against knownST and knownCN for every code.
var stDigits = func() (t [100]bool) {
	for _, st := range strings.Fields(stList) {
		t[digitsValue(st)] = true
	}
	return t
}()

var cnDigits = func() (t [3][(10000 + 63) / 64]uint64) {
	for v, list := range [...]string{V2005: cnList2005, V2017: "", V2025: cnList2025} {
		for _, cn := range strings.Fields(cnList2017 + " " + list) {
			n := digitsValue(cn)
			t[v][n/64] |= 1 << (n % 64)
		}
	}
	return t
}()

// digitsValue returns the value of a code table's decimal code.
func digitsValue(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			panic("hj212: bad table entry " + s) // init-time programming error only
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// stKnown is knownST.
func stKnown(st []byte) bool {
	if len(st) == 2 {
		if a, b := uint(st[0]-'0'), uint(st[1]-'0'); a < 10 && b < 10 {
			return stDigits[(a*10+b)%100]
		}
	}
	return knownST(st)
}

// cnKnown is knownCN for a CN of four digits.
func cnKnown(cn []byte, v Version) bool {
	if len(cn) != 4 {
		return knownCN(cn, v)
	}
	n := (uint(cn[0]-'0')*1000 + uint(cn[1]-'0')*100 + uint(cn[2]-'0')*10 + uint(cn[3]-'0')) % 10000
	e := V2017 // the table of every edition but 2005 and 2025
	if v == V2005 || v == V2025 {
		e = v
	}
	return cnDigits[e][n/64]&(1<<(n%64)) != 0
}
