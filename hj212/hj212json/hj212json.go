// Package hj212json is the JSON-lines form of HJ 212 frames used by the
// command line (`ecowatch hj212 decode|encode`): one frame a line as a JSON
// object keeping the CP items in the order sent, and back.
package hj212json

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/hj212"
)

// MaxLine bounds one input line of Lines; a longer line is
// reported and skipped. The longest frame is 2+4+9999+4+2 bytes; JSON of
// one can be several times that.
const MaxLine = 1 << 20

// Lines calls fn for each non-blank line of r without its line ending,
// numbering lines from 1. A line longer than MaxLine is passed as an error.
func Lines(ctx context.Context, r io.Reader, fn func(n int, line []byte, err error) error) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var long []byte
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				if len(long) <= MaxLine {
					long = append(long, line...)
				}
			}
			tooLong = len(long) > MaxLine
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading line %d: %w", n, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		var ferr error
		switch {
		case tooLong:
			ferr = fn(n, nil, fmt.Errorf("line longer than %d bytes", MaxLine))
		case len(bytes.TrimSpace(line)) > 0:
			ferr = fn(n, line, nil)
		}
		if ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// AppendError appends {"line": n, "error": msg}: the line for an input
// line that could not be decoded.
func AppendError(dst []byte, n int, msg string) []byte {
	dst = append(dst, `{"line":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"error":`...)
	dst = appendJSONString(dst, []byte(msg))
	return append(dst, '}')
}

// AppendFrame appends the decoded frame as one JSON object, keeping the
// CP items in the order sent (which a Go map would lose).
func AppendFrame(dst []byte, f *hj212.Frame) []byte {
	dst = append(dst, '{')
	first := true
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, []byte(k))
		dst = append(dst, ':')
	}
	for _, h := range []struct {
		name string
		v    []byte
	}{{"QN", f.QN}, {"ST", f.ST}, {"CN", f.CN}, {"PW", f.PW}, {"MN", f.MN}} {
		if h.v != nil { // present, possibly empty
			key(h.name)
			dst = appendJSONString(dst, h.v)
		}
	}
	if f.Flag >= 0 {
		key("Flag")
		dst = strconv.AppendInt(dst, int64(f.Flag), 10)
	}
	if f.PNUM > 0 {
		key("PNUM")
		dst = strconv.AppendInt(dst, int64(f.PNUM), 10)
		key("PNO")
		dst = strconv.AppendInt(dst, int64(f.PNO), 10)
	}
	key("CP")
	dst = append(dst, '{')
	for i, p := range f.CP {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, p.Key)
		dst = append(dst, ':')
		dst = appendJSONString(dst, p.Value)
	}
	dst = append(dst, '}')
	key("crc_ok")
	dst = strconv.AppendBool(dst, f.CRCOK)
	key("deviations")
	dst = append(dst, '[')
	for i, d := range f.Deviations.Strings() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, []byte(d))
	}
	dst = append(dst, ']')
	key("version")
	dst = appendJSONString(dst, []byte(f.Version.String()))
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string. Bytes that are not UTF-8
// (GBK text from old devices) become U+FFFD, as encoding/json does; HTML
// characters are kept as they are, since "&&" is common in frames.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				dst = append(dst, c)
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return append(dst, '"')
}

// ParseMessage reads one object of the form AppendFrame writes. CP is walked token by token to keep
// its order.
func ParseMessage(line []byte) (*hj212.Message, error) {
	var obj struct {
		QN, ST, CN, PW, MN *string
		Flag, PNUM, PNO    json.RawMessage
		CP                 json.RawMessage
		Error              *string `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	if obj.Error != nil {
		return nil, fmt.Errorf("the object records a decode error (%s), not a frame", *obj.Error)
	}
	m := &hj212.Message{Flag: -1}
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&m.QN, obj.QN}, {&m.ST, obj.ST}, {&m.CN, obj.CN}, {&m.PW, obj.PW}, {&m.MN, obj.MN}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	var err error
	if m.Flag, err = jsonInt(obj.Flag, "Flag", -1, 255); err != nil {
		return nil, err
	}
	if m.PNUM, err = jsonInt(obj.PNUM, "PNUM", 0, 9999); err != nil {
		return nil, err
	}
	if m.PNO, err = jsonInt(obj.PNO, "PNO", 0, 9999); err != nil {
		return nil, err
	}
	if len(obj.CP) > 0 && string(obj.CP) != "null" {
		cd := json.NewDecoder(bytes.NewReader(obj.CP))
		cd.UseNumber()
		if t, err := cd.Token(); err != nil || t != json.Delim('{') {
			return nil, errors.New(`"CP" is not an object`)
		}
		for cd.More() {
			kt, err := cd.Token()
			if err != nil {
				return nil, fmt.Errorf("CP: %w", err)
			}
			vt, err := cd.Token()
			if err != nil {
				return nil, fmt.Errorf("CP: %w", err)
			}
			var v string
			switch x := vt.(type) {
			case string:
				v = x
			case json.Number:
				v = x.String()
			default:
				return nil, fmt.Errorf("CP %q: value is not a string or number", kt)
			}
			m.CP = append(m.CP, hj212.KV{Key: kt.(string), Value: v})
		}
	}
	return m, nil
}

// jsonInt reads a number, or a string of digits, from raw; absent gives
// def.
func jsonInt(raw json.RawMessage, name string, def, max int) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		s = string(raw)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, fmt.Errorf("%s: %s is not a number from 0 to %d", name, raw, max)
	}
	return n, nil
}
