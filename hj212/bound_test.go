package hj212

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkDecodeBound measures Decode against its bound, the CRC over the
// same bytes (the one pass over the frame that no decoder can skip), in
// the same run: each iteration CRCs the frames, then decodes them, and the
// two times are kept apart. "crc/decode" is the fraction of the bound
// reached (1 would be a decoder as fast as its CRC); "crc-ns/frame" and
// "decode-ns/frame" are the two sides. Alternating within an iteration
// keeps a busy machine's slow moments from landing on one side only.
func BenchmarkDecodeBound(b *testing.B) {
	var examples [][]byte
	for _, ex := range loadStandardExamples(b) {
		examples = append(examples, []byte(ex.frame+"\r\n"))
	}
	sets := []struct {
		name   string
		frames [][]byte
	}{
		{"2051", [][]byte{[]byte(segFrame(benchSegment2051))}},
		{"2011", [][]byte{[]byte(segFrame(benchSegment2011))}},
		{"examples", examples},
	}
	for _, set := range sets {
		for _, mode := range []struct {
			name string
			m    Mode
		}{{"tolerant", Tolerant}, {"strict", Strict}} {
			b.Run(set.name+"/"+mode.name, func(b *testing.B) {
				benchBound(b, set.frames, Options{Mode: mode.m})
			})
		}
	}
}

func benchBound(b *testing.B, frames [][]byte, opts Options) {
	var f Frame
	for _, fr := range frames {
		if err := Decode(fr, &f, opts); err != nil {
			b.Fatalf("%v\n%s", err, fr)
		}
	}
	const reps = 16 // per side and iteration, to keep the clock's cost small
	var crcTime, decTime time.Duration
	var sink uint16
	b.ReportAllocs()
	startAllocs(b)
	for b.Loop() {
		t0 := time.Now()
		for range reps {
			for _, fr := range frames {
				sink ^= CRC16(fr)
			}
		}
		t1 := time.Now()
		for range reps {
			for _, fr := range frames {
				_ = Decode(fr, &f, opts)
			}
		}
		t2 := time.Now()
		crcTime += t1.Sub(t0)
		decTime += t2.Sub(t1)
	}
	_ = sink
	n := float64(b.N * reps * len(frames))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(crcTime.Nanoseconds())/n, "crc-ns/frame")
	b.ReportMetric(float64(decTime.Nanoseconds())/n, "decode-ns/frame")
	b.ReportMetric(float64(crcTime)/float64(decTime), "crc/decode")
	b.ReportMetric(float64(ms.Mallocs-benchMallocs)/n, "allocs/frame")
}
