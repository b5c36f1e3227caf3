package hj212

import (
	"slices"
	"strings"
)

// Code tables. Keys of at most 8 bytes are packed into a uint64 so that a
// look-up is a binary search over integers, with no allocation and no
// hashing of the frame's bytes.

func pack(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v | uint64(len(b))<<60, true // the length keeps "01" and "001" apart
}

func packTable(list string) []uint64 {
	var t []uint64
	for _, s := range strings.Fields(list) {
		v, ok := pack([]byte(s))
		if !ok {
			panic("hj212: bad table entry " + s) // init-time programming error only
		}
		t = append(t, v)
	}
	slices.Sort(t)
	return slices.Compact(t)
}

func inTable(t []uint64, b []byte) bool {
	v, ok := pack(b)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(t, v)
	return found
}

// stTable is HJ 212-2017 §6.6.1, table 5 (system codes). Codes starting
// with a letter (A0-Z9) are reserved for extension and accepted too.
var stTable = packTable(`21 22 23 24 25 26 27 31 32 33 34 35 36 37 38 39 41 51 52 91`)

// cnTable2017 is HJ 212-2017 §6.6.5, table 9 (command codes).
var cnTable2017 = packTable(`
	1000 1011 1012 1013 1061 1062 1063 1064 1072
	2011 2012 2021 2022 2031 2041 2051 2061 2081
	3011 3012 3013 3014 3015 3016 3017 3018 3019 3020 3021
	9011 9012 9013 9014`)

// cnTable2025 holds the codes HJ 212-2025 adds, as listed by
// caoyiliang/HJ212 (Enum.cs); the 2025 text was not available to us.
var cnTable2025 = packTable(`1001 1002 1014 2013 2052 2062 2111 3022 3024 9015`)

// cnTable2005 holds codes of HJ/T 212-2005 that 2017 dropped (limits,
// upper-computer address, alarm records and events), as implemented by
// 2005-era data loggers; the 2005 text was not available to us.
var cnTable2005 = packTable(`1001 1021 1022 1031 1032 1041 1042 2071 2072`)

// pollutantTable holds the codes of HJ 212-2017 Appendix B that our
// reference notes list: water (B.1, from HJ 525-2009), air (B.2, from
// HJ 524-2009) and noise (B.3). It is not the complete appendix: a code
// missing here is recorded as DevUnknownPollutant, never rejected.
// Process codes (e/g + 5 digits), site-info codes (i + 5 digits) and
// facility codes (SBxxx) are recognised by their pattern instead.
var pollutantTable = packTable(`
	w00000 w01001 w01002 w01009 w01010 w01012 w01014 w01017 w01018 w01019 w01020
	w20111 w20115 w20116 w20117 w20119 w20120 w20121 w20122 w20123
	w21001 w21003 w21011 w21016 w21017 w21019 w22001 w23002 w99001
	a00000 a01001 a01002 a01006 a01007 a01008 a01011 a01012 a01013 a01014 a01016 a01017 a01901 a01902
	a05001 a05002 a19001 a21001 a21002 a21003 a21004 a21005 a21017 a21018 a21022 a21024 a21026 a21028
	a24087 a24088 a25002 a25003 a25005 a34001 a34002 a34004 a34005 a34013 a99051
	LA L5 L10 L50 L90 L95 Leq Ldn Ld Ln LMx LMn`)

// pollutantTable2005 holds the HJ/T 212-2005 codes ("原编码") that
// Appendix B maps to the new ones; they are known only in 2005 frames.
var pollutantTable2005 = packTable(`
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
	if inTable(pollutantTable, code) {
		return true
	}
	return v == V2005 && inTable(pollutantTable2005, code)
}

// knownField reports whether name is a field of table 4 that follows a
// pollutant code ("xxxxxx-Rtd"). It runs once per CP item, so the short
// names are compared as little-endian words.
func knownField(name []byte) bool {
	if len(name) <= 8 {
		switch packLE(name) | uint64(len(name))<<60 {
		case 3<<60 | 'R' | 't'<<8 | 'd'<<16, // Rtd
			3<<60 | 'M' | 'i'<<8 | 'n'<<16,                                         // Min
			3<<60 | 'A' | 'v'<<8 | 'g'<<16,                                         // Avg
			3<<60 | 'M' | 'a'<<8 | 'x'<<16,                                         // Max
			3<<60 | 'C' | 'o'<<8 | 'u'<<16,                                         // Cou
			4<<60 | 'F' | 'l'<<8 | 'a'<<16 | 'g'<<24,                               // Flag
			5<<60 | 'E' | 'F'<<8 | 'l'<<16 | 'a'<<24 | 'g'<<32,                     // EFlag
			5<<60 | 'Z' | 's'<<8 | 'R'<<16 | 't'<<24 | 'd'<<32,                     // ZsRtd
			5<<60 | 'Z' | 's'<<8 | 'M'<<16 | 'i'<<24 | 'n'<<32,                     // ZsMin
			5<<60 | 'Z' | 's'<<8 | 'A'<<16 | 'v'<<24 | 'g'<<32,                     // ZsAvg
			5<<60 | 'Z' | 's'<<8 | 'M'<<16 | 'a'<<24 | 'x'<<32,                     // ZsMax
			2<<60 | 'S' | 'N'<<8,                                                   // SN
			4<<60 | 'I' | 'n'<<8 | 'f'<<16 | 'o'<<24,                               // Info
			4<<60 | 'D' | 'a'<<8 | 't'<<16 | 'a'<<24,                               // Data
			7<<60 | 'D' | 'a'<<8 | 'y'<<16 | 'D'<<24 | 'a'<<32 | 't'<<40 | 'a'<<48, // DayData
			2<<60 | 'R' | 'S'<<8,                                                   // RS
			2<<60 | 'R' | 'T'<<8:                                                   // RT
			return true
		}
		return false
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
	return inTable(stTable, st)
}

func knownCN(cn []byte, v Version) bool {
	if inTable(cnTable2017, cn) {
		return true
	}
	switch v {
	case V2005:
		return inTable(cnTable2005, cn)
	case V2025:
		return inTable(cnTable2025, cn)
	}
	return false
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
