package hj212

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func fuzzSeeds(f *testing.F) []string {
	var seeds []string
	for _, ex := range loadStandardExamples(f) {
		seeds = append(seeds, ex.frame+"\r\n", ex.frame)
	}
	seeds = append(seeds,
		segFrame(benchSegment2051),
		"##9999"+segFrame(seg17)[6:],
		strings.TrimSuffix(segFrame("ST=80;CN=9021;PW=;MN=88888880000001;Flag=5;CP=&&DataTime=20160801085857; a99999-Rtd=1;&&"), "\r\n")+"\n",
		segFrame(hdr17+"CP=&& &&"),
		segFrame(hdr17+"CP=&&i11001-Info=//a;b,c//;x=1&&"),
		segFrame("=5;"+hdr17+"CP=&&a=1&&"),
		"##0101"+appendixASegment+"1c80\r\n",
	)
	return seeds
}

// FuzzDecode checks that Decode never panics, in either mode, and that a
// frame it accepts survives re-encoding.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr Frame
		for _, opts := range []Options{{Mode: Strict}, {Mode: Tolerant, AcceptModbusCRC: true}} {
			_ = Decode(data, &fr, opts)
		}
		if err := Decode(data, &fr, Options{Mode: Tolerant}); err != nil {
			return
		}
		if len(fr.CN) == 0 {
			return // "CN=" with an empty value; the encoder omits empty fields
		}
		enc := messageOf(&fr).AppendFrame(nil)
		var g Frame
		if err := Decode(enc, &g, Options{Mode: Tolerant}); err != nil {
			t.Fatalf("re-encoded frame does not decode: %v\n in: %q\nout: %q", err, data, enc)
		}
		if !g.CRCOK || g.Deviations.Has(DevLengthMismatch) {
			t.Fatalf("re-encoded frame has a bad length or CRC: %q", enc)
		}
		a, b := messageOf(&fr), messageOf(&g)
		if !equalMessage(a, b) {
			t.Fatalf("round trip changed the frame\n in: %q\nout: %q\n%+v\n%+v", data, enc, a, b)
		}
	})
}

// FuzzSplitter feeds a stream of two valid frames with fuzzer-chosen
// garbage around them, split across reads at fuzzer-chosen positions. The
// Splitter must not fail, must not return tokens beyond MaxFrame, and must
// recover both frames.
func FuzzSplitter(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(i), 3, 200})
	}
	f.Add([]byte("##0107"), []byte{1})
	f.Add([]byte("garbage ## ##01a1 #"), []byte{5, 1, 9})
	a := segFrame(seg17)
	b := "##0101" + appendixASegment + "1C80\r\n"
	f.Fuzz(func(t *testing.T, garbage, cuts []byte) {
		stream := string(garbage) + a + string(garbage) + b + string(garbage)
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c)
		}
		sp := Splitter{MaxSegment: 1024}
		sc := bufio.NewScanner(&chunkReader{data: []byte(stream), sizes: sizes})
		sc.Buffer(make([]byte, 0, 64), sp.MaxFrame())
		sc.Split(sp.Split)
		want := []string{trimEnding(a), trimEnding(b)}
		var fr Frame
		for sc.Scan() {
			tok := sc.Bytes()
			if len(tok) > sp.MaxFrame() || !bytes.HasPrefix(tok, []byte("##")) {
				t.Fatalf("bad token %q", tok)
			}
			_ = Decode(tok, &fr, Options{Mode: Tolerant})
			if len(want) > 0 && trimEnding(string(tok)) == want[0] {
				want = want[1:]
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("scanner: %v", err)
		}
		if len(want) > 0 {
			t.Fatalf("frame %q lost in %q (reads %v)", want[0], stream, sizes)
		}
	})
}

// FuzzDecodeReference checks Decode against the reference decoder
// (decoderef_test.go) in every mode: the same error (offset, field,
// deviation, message) or the same frame, deviations included.
func FuzzDecodeReference(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add([]byte(s))
	}
	f.Add([]byte(segFrame(benchSegment2011)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstReference(t, data)
	})
}

func checkAgainstReference(t *testing.T, data []byte) {
	t.Helper()
	for _, opts := range []Options{{Mode: Strict}, {Mode: Tolerant}, {Mode: Tolerant, AcceptModbusCRC: true}, {Mode: Strict, MaxSegment: 9999}} {
		var got, want Frame
		errGot := Decode(data, &got, opts)
		errWant := refDecode(data, &want, opts)
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("mode %v: Decode error %v, reference %v\n%q", opts, errGot, errWant, data)
		}
		if errGot != nil {
			var a, b *DecodeError
			if !errors.As(errGot, &a) || !errors.As(errWant, &b) || *a != *b {
				t.Fatalf("mode %v: Decode error %v, reference %v\n%q", opts, errGot, errWant, data)
			}
			continue
		}
		if !equalFrames(&got, &want) {
			t.Fatalf("mode %v: frames differ\n got %+v %v\nwant %+v %v\n%q", opts, messageOf(&got), got.Deviations, messageOf(&want), want.Deviations, data)
		}
	}
}

func equalFrames(a, b *Frame) bool {
	if !bytes.Equal(a.QN, b.QN) || !bytes.Equal(a.ST, b.ST) || !bytes.Equal(a.CN, b.CN) || !bytes.Equal(a.PW, b.PW) ||
		!bytes.Equal(a.MN, b.MN) || a.Flag != b.Flag || a.PNUM != b.PNUM || a.PNO != b.PNO || a.Version != b.Version ||
		a.Length != b.Length || a.CRC != b.CRC || a.CRCOK != b.CRCOK || a.Deviations != b.Deviations || len(a.CP) != len(b.CP) {
		return false
	}
	for i := range a.CP {
		if !bytes.Equal(a.CP[i].Key, b.CP[i].Key) || !bytes.Equal(a.CP[i].Value, b.CP[i].Value) {
			return false
		}
	}
	return true
}
