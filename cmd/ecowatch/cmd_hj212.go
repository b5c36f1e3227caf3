package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/hj212/hj212json"
)

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
	err := hj212json.Lines(ctx, stdin, func(n int, line []byte, lerr error) error {
		out = out[:0]
		if lerr != nil {
			out = hj212json.AppendError(out, n, lerr.Error())
		} else {
			frame = append(append(frame[:0], line...), '\r', '\n')
			if err := hj212.Decode(frame, &f, opts); err != nil {
				out = hj212json.AppendError(out, n, err.Error())
			} else {
				out = hj212json.AppendFrame(out, &f)
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
	err := hj212json.Lines(ctx, stdin, func(n int, line []byte, lerr error) error {
		m, err := hj212json.ParseMessage(line)
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
		err := hj212json.Lines(context.Background(), stdin, func(n int, line []byte, lerr error) error {
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
