package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/hj212"
)

// maxLine bounds one input line of `hj212 decode|encode`; a longer line is
// reported and skipped. The longest frame is 2+4+9999+4+2 bytes; JSON of
// one can be several times that.
const maxLine = 1 << 20

func runHJ212(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: ecowatch hj212 <subcommand> [flags]

Subcommands:
  decode   read frames, one per line, and print one JSON object per frame
  encode   read JSON objects, one per line, and print one frame per object
  crc      print the HJ 212 CRC (Appendix A) of a data segment

Run 'ecowatch hj212 <subcommand> --help' for its flags.
`)
	}
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("missing subcommand")}
	}
	switch args[0] {
	case "decode":
		return runHJ212Decode(ctx, args[1:], stdin, stdout, stderr)
	case "encode":
		return runHJ212Encode(ctx, args[1:], stdin, stdout, stderr)
	case "crc":
		return runHJ212CRC(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return flag.ErrHelp
	}
	usage(stderr)
	return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
}

func runHJ212Decode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 decode", `hj212 decode [--strict] [--modbus-crc] [--max-segment N] < frames

Reads HJ 212 frames, one per line (with or without CR LF), and prints one
JSON object per line: the header fields present ("QN", "ST", "CN", "PW",
"MN" as strings, "Flag", "PNUM", "PNO" as numbers), "CP" mapping each
data-area key to its value in the order sent, "crc_ok", "deviations" (the
departures from the standard, [] when none) and "version" ("2005", "2017",
"2025"). A line that cannot be decoded gives {"line": n, "error": "..."};
decoding goes on with the next line. The line ending belongs to the input
file, not to the frame, so ending deviations are not reported here.`, stderr)
	strict := fs.Bool("strict", false, "decode in Strict mode: reject what the standard does not allow (default: Tolerant)")
	modbus := fs.Bool("modbus-crc", false, "also accept a CRC-16/MODBUS with swapped bytes (a device quirk)")
	maxSeg := fs.Int("max-segment", 0, "largest data segment accepted, in bytes (0: 1024 in Strict mode, 9999 in Tolerant mode)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q; frames are read from stdin", fs.Arg(0))}
	}
	opts := hj212.Options{Mode: hj212.Tolerant, AcceptModbusCRC: *modbus, MaxSegment: *maxSeg}
	if *strict {
		opts.Mode = hj212.Strict
	}

	w := bufio.NewWriter(stdout)
	var (
		f     hj212.Frame
		frame []byte
		out   []byte
	)
	err := eachLine(ctx, stdin, func(n int, line []byte, lerr error) error {
		out = out[:0]
		if lerr != nil {
			out = appendErrorLine(out, n, lerr.Error())
		} else {
			frame = append(append(frame[:0], line...), '\r', '\n')
			if err := hj212.Decode(frame, &f, opts); err != nil {
				out = appendErrorLine(out, n, err.Error())
			} else {
				out = appendFrameJSON(out, &f)
			}
		}
		_, err := w.Write(append(out, '\n'))
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// eachLine calls fn for each non-blank line of r without its line ending,
// numbering lines from 1. A line longer than maxLine is passed as an error.
func eachLine(ctx context.Context, r io.Reader, fn func(n int, line []byte, err error) error) error {
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
				if len(long) <= maxLine {
					long = append(long, line...)
				}
			}
			tooLong = len(long) > maxLine
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
			ferr = fn(n, nil, fmt.Errorf("line longer than %d bytes", maxLine))
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

func appendErrorLine(dst []byte, n int, msg string) []byte {
	dst = append(dst, `{"line":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"error":`...)
	dst = appendJSONString(dst, []byte(msg))
	return append(dst, '}')
}

// appendFrameJSON writes the decoded frame as one JSON object, keeping the
// CP items in the order sent (which a Go map would lose).
func appendFrameJSON(dst []byte, f *hj212.Frame) []byte {
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

func runHJ212Encode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 encode", `hj212 encode < objects

Reads JSON objects, one per line, in the form 'hj212 decode' prints, and
prints one frame per object, with its length and CRC computed and CR LF
at the end. "QN", "ST", "CN", "PW", "MN" are strings; "Flag", "PNUM",
"PNO" numbers (or strings of digits); "CP" an object of string values,
encoded in its order, with consecutive fields of one pollutant joined by
','. Other keys ("crc_ok", "deviations", "version") are ignored. A bad
line is reported on stderr and skipped; the exit status is then 1.`, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q; objects are read from stdin", fs.Arg(0))}
	}
	w := bufio.NewWriter(stdout)
	var buf []byte
	failed := 0
	err := eachLine(ctx, stdin, func(n int, line []byte, lerr error) error {
		m, err := parseMessageJSON(line)
		if lerr != nil {
			err = lerr
		}
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "ecowatch hj212 encode: line %d: %v\n", n, err)
			return nil
		}
		buf = m.AppendFrame(buf[:0])
		_, err = w.Write(buf)
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d line(s) could not be encoded", failed)
	}
	return err
}

// parseMessageJSON reads one object. CP is walked token by token to keep
// its order.
func parseMessageJSON(line []byte) (*hj212.Message, error) {
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

func runHJ212CRC(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 crc", `hj212 crc [--modbus] [segment]

Prints the CRC of HJ 212-2017 Appendix A of a data segment (the bytes
between LLLL and the CRC, e.g. 'QN=...;ST=32;...;CP=&&...&&') as four
uppercase hex digits. Without an argument, each line of stdin is a
segment.`, stderr)
	modbus := fs.Bool("modbus", false, "print CRC-16/MODBUS with its bytes swapped (the device quirk) instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	crc := func(seg []byte) string {
		if *modbus {
			c := hj212.ModbusCRC16(seg)
			return fmt.Sprintf("%04X", c>>8|c<<8)
		}
		return fmt.Sprintf("%04X", hj212.CRC16(seg))
	}
	switch fs.NArg() {
	case 0:
		w := bufio.NewWriter(stdout)
		err := eachLine(context.Background(), stdin, func(n int, line []byte, lerr error) error {
			if lerr != nil {
				fmt.Fprintf(stderr, "ecowatch hj212 crc: line %d: %v\n", n, lerr)
				return nil
			}
			_, err := fmt.Fprintln(w, crc(line))
			return err
		})
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	case 1:
		_, err := fmt.Fprintln(stdout, crc([]byte(fs.Arg(0))))
		return err
	}
	return usageError{errors.New("give one segment, or none to read segments from stdin")}
}
