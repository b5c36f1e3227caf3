package hj212

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// chunkReader returns its data in reads of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.sizes) > 0 {
		n = max(1, r.sizes[r.i%len(r.sizes)])
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func splitAll(t testing.TB, sp *Splitter, r io.Reader) []string {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64), sp.MaxFrame())
	sc.Split(sp.Split)
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scanner: %v", err)
	}
	return out
}

func exampleFrames(t testing.TB) []string {
	var out []string
	for _, ex := range loadStandardExamples(t) {
		out = append(out, ex.frame+"\r\n")
	}
	return out
}

func trimEnding(s string) string { return strings.TrimRight(s, "\r\n") }

func TestSplitterCoalesced(t *testing.T) {
	frames := exampleFrames(t)
	var sp Splitter
	got := splitAll(t, &sp, strings.NewReader(strings.Join(frames, "")))
	if strings.Join(got, "|") != strings.Join(frames, "|") {
		t.Fatalf("got %q", got)
	}
	if sp.Frames != uint64(len(frames)) || sp.GarbageBytes != 0 || sp.Resyncs != 0 {
		t.Errorf("counters %+v", sp)
	}
}

// The stream split into two reads at every byte position, and one byte
// per read: every frame comes out whole. A frame whose CR LF has not yet
// arrived is handed over without it (see Splitter.emit), so endings are
// compared apart.
func TestSplitterSplitEverywhere(t *testing.T) {
	frames := exampleFrames(t)[:6]
	frames = append(frames, strings.TrimSuffix(segFrame(seg17), "\r\n")+"\n") // LF only
	stream := strings.Join(frames, "")
	check := func(t *testing.T, got []string) {
		t.Helper()
		if len(got) != len(frames) {
			t.Fatalf("%d tokens, want %d: %q", len(got), len(frames), got)
		}
		for i := range got {
			if trimEnding(got[i]) != trimEnding(frames[i]) || !strings.HasPrefix(frames[i], got[i]) {
				t.Fatalf("token %d = %q, want %q", i, got[i], frames[i])
			}
		}
	}
	for p := 1; p < len(stream); p++ {
		var sp Splitter
		got := splitAll(t, &sp, &chunkReader{data: []byte(stream), sizes: []int{p, len(stream)}})
		check(t, got)
		if sp.GarbageBytes != 0 || sp.Resyncs != 0 {
			t.Fatalf("split at %d: counters %+v", p, sp)
		}
	}
	var sp Splitter
	check(t, splitAll(t, &sp, &chunkReader{data: []byte(stream), sizes: []int{1}}))
}

func TestSplitterHostile(t *testing.T) {
	a := segFrame(seg17)
	b := "##0101" + appendixASegment + "1C80\r\n"
	tests := []struct {
		name     string
		stream   string
		max      int
		want     []string
		garbage  uint64
		resyncs  uint64
		oversize uint64
	}{
		{"garbage between frames", "hello" + a + "\x00\xff junk #" + b + "tail", 0, []string{a, b}, 5 + 1 + 4 + 1 + 4, 1, 0},
		{"length 9999, short body", "##9999" + a[6:] + b, 0, []string{"##9999" + a[6:], b}, 0, 0, 0},
		{"length 9999, short body, alone", "##9999" + a[6:], 0, []string{"##9999" + a[6:]}, 0, 0, 0},
		{"length too small", "##0010" + a[6:] + b, 0, []string{"##0010" + a[6:], b}, 0, 0, 0},
		{"no line ending before the next frame", trimEnding(a) + b, 0, []string{trimEnding(a), b}, 0, 0, 0},
		{"cut short by another frame", a[:60] + b, 0, []string{b}, 60, 1, 0},
		{"LLLL not digits", "##01a1" + appendixASegment + "1C80\r\n" + b, 0, []string{b}, 1 + 5 + 101 + 4, 1, 0},
		{"garbage ## LLLL pointing into a frame", "##" + "0107" + b, 0, []string{b}, 6, 1, 0},
		{"###", "#" + b, 0, []string{b}, 1, 1, 0},
		{"frame that never ends", "##0100QN=" + strings.Repeat("x", 5000) + b, 1024, []string{b}, 2 + 4 + 3 + 5000, 1, 1},
		{"truncated at EOF", b + a[:50], 0, []string{b}, 50, 1, 0},
		{"unpadded CRC", unpadded() + b, 0, []string{unpadded(), b}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sizes := range [][]int{nil, {7}, {1}, {1000}} {
				sp := Splitter{MaxSegment: tt.max}
				got := splitAll(t, &sp, &chunkReader{data: []byte(tt.stream), sizes: sizes})
				if len(got) != len(tt.want) {
					t.Fatalf("reads %v: got %q, want %q", sizes, got, tt.want)
				}
				for i := range got {
					if trimEnding(got[i]) != trimEnding(tt.want[i]) {
						t.Errorf("reads %v: token %d = %q, want %q", sizes, i, got[i], tt.want[i])
					}
				}
				if sizes == nil && (sp.GarbageBytes != tt.garbage || sp.Resyncs != tt.resyncs || sp.Oversize != tt.oversize) {
					t.Errorf("counters garbage %d resyncs %d oversize %d, want %d %d %d",
						sp.GarbageBytes, sp.Resyncs, sp.Oversize, tt.garbage, tt.resyncs, tt.oversize)
				}
			}
		})
	}
}

// A frame that never ends must not make the Splitter ask for more than
// MaxFrame bytes: bufio.Scanner would fail with ErrTooLong.
func TestSplitterBounded(t *testing.T) {
	sp := Splitter{MaxSegment: 1024}
	endless := "##1000QN=" + strings.Repeat("1234567890", 10000)
	got := splitAll(t, &sp, &chunkReader{data: []byte(endless + segFrame(seg17)), sizes: []int{4096}})
	if len(got) != 1 || got[0] != segFrame(seg17) {
		t.Fatalf("got %d tokens", len(got))
	}
	if sp.Oversize != 1 {
		t.Errorf("Oversize = %d", sp.Oversize)
	}
}

func BenchmarkSplitter(b *testing.B) {
	frame := segFrame(benchSegment2051)
	stream := bytes.Repeat([]byte(frame), 1000)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64*1024)
	startAllocs(b)
	for b.Loop() {
		var sp Splitter
		sc := bufio.NewScanner(bytes.NewReader(stream))
		sc.Buffer(buf, sp.MaxFrame())
		sc.Split(sp.Split)
		n := 0
		for sc.Scan() {
			n++
		}
		if n != 1000 {
			b.Fatal(n)
		}
	}
	reportPerFrame(b, 1000)
}

// BenchmarkSplitDecode is the gateway's read path: split a stream and
// decode each frame into a reused Frame.
func BenchmarkSplitDecode(b *testing.B) {
	frame := segFrame(benchSegment2051)
	stream := bytes.Repeat([]byte(frame), 1000)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64*1024)
	var f Frame
	startAllocs(b)
	for b.Loop() {
		var sp Splitter
		sc := bufio.NewScanner(bytes.NewReader(stream))
		sc.Buffer(buf, sp.MaxFrame())
		sc.Split(sp.Split)
		for sc.Scan() {
			if err := Decode(sc.Bytes(), &f, Options{Mode: Tolerant}); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportPerFrame(b, 1000)
}

// stallReader gives its data in one read, then fails the test if read
// again: a device that waits for its answer sends nothing more.
type stallReader struct {
	t    *testing.T
	data []byte
	done bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.done {
		r.t.Fatal("the Splitter asked for another read before handing over a complete frame")
	}
	r.done = true
	return copy(p, r.data), nil
}

func TestSplitterNoReadAfterGarbage(t *testing.T) {
	for _, stream := range []string{
		"garbage" + segFrame(seg17),
		"##01a1" + segFrame(seg17),                        // bad length, then a frame
		"##0101QN=cut" + segFrame(seg17),                  // a frame cut short, then a frame
		trimEnding(segFrame(seg17)),                       // no line ending
		trimEnding(segFrame(seg17)) + "\r",                // CR, LF not yet sent
		"##9999" + trimEnding(segFrame(seg17))[6:] + "\n", // lying length
	} {
		var sp Splitter
		sc := bufio.NewScanner(&stallReader{t: t, data: []byte(stream)})
		sc.Split(sp.Split)
		if !sc.Scan() {
			t.Fatalf("%q: no token", stream)
		}
		if got := trimEnding(sc.Text()); len(got) != len(segFrame(seg17))-2 || !strings.HasSuffix(got, trimEnding(segFrame(seg17))[6:]) {
			t.Errorf("%q: token %q", stream, sc.Text())
		}
	}
}

var benchMallocs uint64

func startAllocs(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	benchMallocs = ms.Mallocs
}

// reportPerFrame reports time and allocations per frame for benchmarks
// whose iterations handle perIter frames each.
func reportPerFrame(b *testing.B, perIter int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	frames := float64(b.N * perIter)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames, "ns/frame")
	b.ReportMetric(float64(ms.Mallocs-benchMallocs)/frames, "allocs/frame")
	b.ReportMetric(frames/b.Elapsed().Seconds(), "frames/s")
}
