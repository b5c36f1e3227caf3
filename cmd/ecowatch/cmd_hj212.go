package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/hj212/hj212json"
	"github.com/ecowatch/ecowatch/internal/usage"
)

var runHJ212 = group("hj212", "Frames are read one a line (CR LF or LF); JSON objects one a line, as decode prints them.", map[string]command{
	"decode": {"read frames, one per line, and print one JSON object per frame", runHJ212Decode},
	"encode": {"read JSON objects, one per line, and print one frame per object", runHJ212Encode},
	"crc":    {"print the HJ 212 CRC (Appendix A) of a data segment", runHJ212CRC},
})

func runHJ212Decode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 decode", "hj212 decode [--strict] [--modbus-crc] [--max-segment N] < frames  (a bad line prints {\"line\": n, \"error\": ...})", stderr)
	strict := fs.Bool("strict", false, "decode in Strict mode: reject what the standard does not allow (default: Tolerant)")
	modbus := fs.Bool("modbus-crc", false, "also accept a CRC-16/MODBUS with swapped bytes (a device quirk)")
	maxSeg := fs.Int("max-segment", 0, "largest data segment accepted, in bytes (0: 1024 in Strict mode, 9999 in Tolerant mode)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.Error{Err: fmt.Errorf("unexpected argument %q; frames are read from stdin", fs.Arg(0))}
	}
	opts := hj212.Options{Mode: hj212.Tolerant, AcceptModbusCRC: *modbus, MaxSegment: *maxSeg}
	if *strict {
		opts.Mode = hj212.Strict
	}
	return hj212json.Decode(ctx, stdin, stdout, opts)
}

func runHJ212Encode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 encode", "hj212 encode < objects  (length and CRC computed; a bad line is reported and skipped, exit status 1)", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.Error{Err: fmt.Errorf("unexpected argument %q; objects are read from stdin", fs.Arg(0))}
	}
	return hj212json.Encode(ctx, stdin, stdout, prefixed(stderr, "ecowatch hj212 encode: "))
}

func runHJ212CRC(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("hj212 crc", "hj212 crc [--modbus] [segment]  (the CRC of HJ 212-2017 Appendix A; without segment, each line of stdin is one)", stderr)
	modbus := fs.Bool("modbus", false, "print CRC-16/MODBUS with its bytes swapped (the device quirk) instead")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return hj212json.CRCLines(ctx, stdin, stdout, prefixed(stderr, "ecowatch hj212 crc: "), *modbus)
	case 1:
		_, err := fmt.Fprintln(stdout, hj212json.CRC([]byte(fs.Arg(0)), *modbus))
		return err
	}
	return usage.Error{Err: errors.New("give one segment, or none to read segments from stdin")}
}
