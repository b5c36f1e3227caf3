package hj212

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestCodeSet(t *testing.T) {
	list := "a21026 a21002 w01018 LA L5 Leq SN Rtd ZsRtd DayData 011 B02"
	s := newCodeSet(list)
	for _, c := range strings.Fields(list) {
		if !s.has([]byte(c)) {
			t.Errorf("%q not found", c)
		}
	}
	for _, c := range []string{"", "a2102", "a210266", "A21026", "L", "01", "0110", "Rtd ", "NightData", "SampleTime"} {
		if s.has([]byte(c)) {
			t.Errorf("%q found", c)
		}
	}
	for _, tt := range []struct {
		code string
		v    Version
		want bool
	}{
		{"a21026", V2017, true}, {"w21003", V2017, true}, {"a99999", V2017, false},
		{"e10101", V2017, true}, {"g10201", V2017, true}, {"i12001", V2017, true}, {"i42001", V2017, false},
		{"SB1", V2017, true}, {"011", V2005, true}, {"011", V2017, false}, {"LMx", V2017, true}, {"100000", V2017, false},
	} {
		if got := knownPollutant([]byte(tt.code), tt.v); got != tt.want {
			t.Errorf("knownPollutant(%q, %v) = %v", tt.code, tt.v, got)
		}
	}
	for _, f := range []string{"Rtd", "ZsMax", "Flag", "EFlag", "SampleTime", "NightData", "DayData", "RS", "RT", "SN", "Info", "Cou"} {
		if !knownField([]byte(f)) {
			t.Errorf("field %q unknown", f)
		}
	}
	for _, f := range []string{"ZsCou", "Ia", "rtd", "ValidNum", ""} {
		if knownField([]byte(f)) {
			t.Errorf("field %q known", f)
		}
	}
}

// isDigits reads eight bytes at a time; each byte just outside '0'..'9'
// must fail it in every position of a word and of the tail.
func TestIsDigits(t *testing.T) {
	plain := func(b []byte) bool {
		for _, c := range b {
			if c < '0' || c > '9' {
				return false
			}
		}
		return len(b) > 0
	}
	if isDigits(nil) || isDigits([]byte{}) {
		t.Error("empty is digits")
	}
	for n := 1; n <= 20; n++ {
		for pos := range n {
			for _, c := range []byte{'/', ':', '?', 0, 0x30 + 0x80, 0xF9, 0xFF, ' ', '5'} {
				b := []byte(strings.Repeat("0123456789", 2)[:n])
				b[pos] = c
				if got, want := isDigits(b), plain(b); got != want {
					t.Errorf("isDigits(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// Decode's ST and CN tables agree with the code sets for every code.
func TestCodeTables(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			st := []byte{byte(a), byte(b)}
			if stKnown(st) != knownST(st) {
				t.Errorf("stKnown(%q) = %v", st, stKnown(st))
			}
		}
	}
	for _, st := range []string{"", "3", "321"} {
		if stKnown([]byte(st)) {
			t.Errorf("stKnown(%q)", st)
		}
	}
	for n := range 10000 {
		cn := []byte{byte('0' + n/1000), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)}
		for v := V2005; v <= V2025+2; v++ {
			if cnKnown(cn, v) != knownCN(cn, v) {
				t.Errorf("cnKnown(%s, %v) = %v", cn, v, cnKnown(cn, v))
			}
		}
	}
}

// fieldEqTable holds each field name of fieldTable with its '=' and
// nothing else.
func TestFieldEqTable(t *testing.T) {
	word := func(s string) uint64 {
		var b [8]byte
		copy(b[:], s)
		return binary.LittleEndian.Uint64(b[:])
	}
	for _, f := range strings.Fields(fieldNames) {
		if !fieldEqTable.has(word(f + "=")) {
			t.Errorf("%q= not found", f)
		}
		if fieldEqTable.has(word(f)) || fieldEqTable.has(word(f+";")) || len(f) < 7 && fieldEqTable.has(word(f+"=1")) {
			t.Errorf("%q found without its '=' or with more", f)
		}
	}
	for _, s := range []string{"=", "", "rtd=", "Rtd =", "ZsCou=", "Ia=", "\xff\xff\xff\xff\xff\xff\xff\xff"} {
		if fieldEqTable.has(word(s)) {
			t.Errorf("%q found", s)
		}
	}
}
