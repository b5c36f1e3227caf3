package hj212

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// appendixASegment is the data segment of HJ 212-2017 Appendix A.
const appendixASegment = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"

func TestCRC16AppendixA(t *testing.T) {
	if len(appendixASegment) != 101 {
		t.Fatalf("segment is %d bytes, want 101", len(appendixASegment))
	}
	// The frame prints 1C80 (the prose's 1C08 is a typo).
	if got := CRC16([]byte(appendixASegment)); got != 0x1C80 {
		t.Errorf("CRC16 = %04X, want 1C80", got)
	}
	// The same bytes under CRC-16/MODBUS give a different value, which
	// shows the two algorithms are not confused.
	if got := ModbusCRC16([]byte(appendixASegment)); got != 0x0759 {
		t.Errorf("ModbusCRC16 = %04X, want 0759", got)
	}
}

func TestCRC16MatchesAppendixAlgorithm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		if got, want := CRC16(b), crc16Slow(b); got != want {
			t.Fatalf("len %d: CRC16 = %04X, byte-at-a-time = %04X", n, got, want)
		}
	}
	if got := CRC16(nil); got != 0xFFFF {
		t.Errorf("CRC16(nil) = %04X, want FFFF", got)
	}
}

func TestModbusCRC16Check(t *testing.T) {
	// The CRC-16/MODBUS check value over "123456789" is 0x4B37.
	if got := ModbusCRC16([]byte("123456789")); got != 0x4B37 {
		t.Errorf("ModbusCRC16(123456789) = %04X, want 4B37", got)
	}
}

func TestHex4(t *testing.T) {
	for _, v := range []uint16{0, 0x880, 0x1C80, 0xFFFF, 0x000A} {
		b := appendHex4(nil, v)
		got, upper, ok := parseHex4(b)
		if !ok || !upper || got != v || len(b) != 4 {
			t.Errorf("appendHex4(%d) = %q, parse = %04X %v %v", v, b, got, upper, ok)
		}
	}
	if got := string(appendHex4(nil, 0x880)); got != "0880" {
		t.Errorf("appendHex4(0x880) = %q, want zero-padded 0880", got)
	}
	if v, upper, ok := parseHex4([]byte("1c80")); !ok || upper || v != 0x1C80 {
		t.Errorf("parseHex4(1c80) = %04X %v %v", v, upper, ok)
	}
	// Every byte in every place, against strconv (which also takes
	// lowercase, and a sign or underscore nowhere in four bytes of hex).
	for c := range 256 {
		for i := range 4 {
			b := []byte("1C80")
			b[i] = byte(c)
			want, err := strconv.ParseUint(string(b), 16, 16)
			got, upper, ok := parseHex4(b)
			if ok != (err == nil) || ok && (uint64(got) != want || upper != (strings.ToUpper(string(b)) == string(b))) {
				t.Errorf("parseHex4(%q) = %04X %v %v, strconv %04X %v", b, got, upper, ok, want, err)
			}
		}
	}
	for _, bad := range []string{"1C8", "1C8G", "1C800", " 1C8"} {
		if _, _, ok := parseHex4([]byte(bad)); ok {
			t.Errorf("parseHex4(%q) ok", bad)
		}
	}
}

func BenchmarkCRC16(b *testing.B) {
	seg := []byte(benchSegment2051)
	b.SetBytes(int64(len(seg)))
	for b.Loop() {
		CRC16(seg)
	}
}
