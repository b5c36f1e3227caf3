package hj212

import "bytes"

// Splitter frames a TCP byte stream into HJ 212 frames. Its Split method is
// a bufio.SplitFunc:
//
//	sp := &hj212.Splitter{MaxSegment: 4096}
//	sc := bufio.NewScanner(conn)
//	sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
//	sc.Split(sp.Split)
//	for sc.Scan() { frame := sc.Bytes() ... }
//
// A token runs from "##" through the CRC and the line ending as received
// (CR LF, LF, or none), so that Decode can record a faulty ending; pass it
// to Decode as it is. A frame whose CR LF has not arrived yet when its CRC
// has is handed over at once, without it (a device waiting for its answer
// must not wait for bytes it may never send); the late CR LF is then
// skipped as whitespace. Frames may arrive split across reads or several
// in one read, since TCP keeps no message boundaries. The Splitter trusts the LLLL length field (§6.3.1) when the
// bytes it points at end like a frame ("&&" + four hex digits); when they
// do not, because the device counts wrongly or the frame was cut short, it
// looks for the earliest "&&XXXX" followed by a line feed, and abandons a
// frame when another "##" starts first. Bytes outside frames are skipped
// and counted; Split never returns an error, and it never needs more than
// MaxFrame bytes buffered: a frame that has not ended by then is dropped
// and the stream resynchronised on the next "##".
//
// A Splitter is not safe for concurrent use; use one per connection.
type Splitter struct {
	// MaxSegment bounds the data segment; 0 means 9999, the most LLLL can
	// express.
	MaxSegment int

	// Counters, for metrics and logs.
	Frames       uint64 // tokens returned
	GarbageBytes uint64 // bytes skipped outside frames (whitespace and NUL between frames not counted)
	Resyncs      uint64 // frames abandoned: bad LLLL, cut short by another "##", or never ended
	Oversize     uint64 // of Resyncs, frames abandoned for passing MaxFrame bytes
}

func (s *Splitter) maxSegment() int {
	if s.MaxSegment <= 0 || s.MaxSegment > 9999 {
		return 9999
	}
	return s.MaxSegment
}

// MaxFrame is the most bytes a frame can take: "##", LLLL, MaxSegment
// bytes, the CRC and CR LF. Give bufio.Scanner.Buffer at least this.
func (s *Splitter) MaxFrame() int { return 2 + 4 + s.maxSegment() + 4 + 2 }

var frameStart = []byte("##")

// Split implements bufio.SplitFunc.
//
// It skips garbage and looks for the next frame in the same call:
// bufio.Scanner reads more input before it calls again after a call that
// returned no token, and a device that waits for its answer sends none,
// so a complete frame behind garbage must not wait for another read.
func (s *Splitter) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	off := 0
	for off < len(data) {
		n, tok := s.next(data[off:], atEOF)
		if tok != nil {
			return off + n, tok, nil
		}
		if n == 0 {
			break // need more bytes
		}
		off += n
	}
	return off, nil, nil
}

// next looks at data, which is not empty. It returns a frame and the bytes
// it took, or no frame and the bytes to skip (0: wait for more).
func (s *Splitter) next(data []byte, atEOF bool) (advance int, token []byte) {
	// Skip to the next "##".
	if data[0] != '#' || len(data) < 2 || data[1] != '#' {
		i := bytes.Index(data, frameStart)
		if i < 0 {
			n := len(data)
			if !atEOF && data[n-1] == '#' {
				n-- // it may be the first half of "##"
			}
			s.skip(data[:n])
			return n, nil
		}
		s.skip(data[:i])
		return i, nil
	}
	if len(data) < 6 {
		if atEOF {
			s.abandon(data)
			return len(data), nil
		}
		return 0, nil
	}
	if !isDigits(data[2:6]) {
		// Not a frame start after all: drop one '#' and look again, in
		// case this "##" is the tail of "###".
		s.Resyncs++
		s.GarbageBytes++
		return 1, nil
	}
	l := int(data[2]-'0')*1000 + int(data[3]-'0')*100 + int(data[4]-'0')*10 + int(data[5]-'0')
	limit := s.maxSegment()

	// The length field, when the bytes it points at end like a frame.
	// A "##" inside means the length points past the start of another
	// frame, as when garbage "##LLLL" precedes a real frame.
	if end := 6 + l + 4; l <= limit && end <= len(data) && endsLikeFrame(data[:end]) &&
		bytes.Index(data[2:end], frameStart) < 0 {
		return s.emit(data, end)
	}

	// Otherwise the earliest line feed after "&&XXXX", unless another
	// "##" comes first.
	region := data[:min(len(data), s.MaxFrame())]
	next := bytes.Index(region[2:], frameStart)
	if next >= 0 {
		next += 2
		region = region[:next]
	}
	for p := 6; p < len(region); {
		q := bytes.IndexByte(region[p:], '\n')
		if q < 0 {
			break
		}
		p += q
		end := p
		if data[end-1] == '\r' {
			end--
		}
		if endsLikeFrame(data[:end]) {
			s.Frames++
			return p + 1, data[: p+1 : p+1]
		}
		p++
	}
	if next >= 0 {
		// Another frame starts here: this one was cut short, or lacks
		// its line ending.
		if endsLikeFrame(data[:next]) {
			s.Frames++
			return next, data[:next:next]
		}
		s.abandon(data[:next])
		return next, nil
	}
	if len(data) >= s.MaxFrame() {
		// Never-ending frame: give up on this "##" and resynchronise.
		s.Oversize++
		s.abandon(data[:2])
		return 2, nil
	}
	if atEOF {
		if endsLikeFrame(data) {
			s.Frames++
			return len(data), data
		}
		s.abandon(data)
		return len(data), nil
	}
	return 0, nil // wait for more bytes
}

// emit returns the frame data[:end] plus its line ending, if present.
func (s *Splitter) emit(data []byte, end int) (int, []byte) {
	switch {
	case end+1 < len(data) && data[end] == '\r' && data[end+1] == '\n':
		end += 2
	case end < len(data) && data[end] == '\n':
		end++
	case end+1 == len(data) && data[end] == '\r':
		// The LF may still be on its way; a device that waits for the
		// answer would wait forever if we waited for it, so take the CR
		// and let the LF be skipped as whitespace.
		end++
	}
	s.Frames++
	return end, data[:end:end]
}

// endsLikeFrame reports whether b ends with "&&" and four hex digits, the
// close of a data area and a CRC (§6.3.1, §6.3.3), after "##LLLL"; or
// with fewer digits, for devices that drop the CRC's leading zeros.
func endsLikeFrame(b []byte) bool {
	n := len(b)
	if n >= 6+2+4 && b[n-6] == '&' && b[n-5] == '&' {
		if _, _, ok := parseHex4(b[n-4:]); ok {
			return true
		}
	}
	return unpaddedCRC(b) > 0
}

// skip counts bytes outside frames, other than whitespace.
func (s *Splitter) skip(b []byte) {
	for _, c := range b {
		switch c {
		case '\r', '\n', ' ', '\t', 0:
		default:
			s.GarbageBytes++
		}
	}
}

// abandon counts a started frame that is dropped.
func (s *Splitter) abandon(b []byte) {
	s.Resyncs++
	s.GarbageBytes += uint64(len(b))
}
