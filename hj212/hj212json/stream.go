package hj212json

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/hj212"
)

// Decode reads frames, one a line (the line ending belongs to the file, not
// to the frame), and writes one JSON object a line: the frame, or
// {"line": n, "error": "..."} for a line that cannot be decoded; decoding
// goes on with the next line.
func Decode(ctx context.Context, r io.Reader, out io.Writer, opts hj212.Options) error {
	w := bufio.NewWriter(out)
	var (
		f          hj212.Frame
		frame, buf []byte
	)
	err := Lines(ctx, r, func(n int, line []byte, lerr error) error {
		buf = buf[:0]
		if lerr != nil {
			buf = AppendError(buf, n, lerr.Error())
		} else {
			frame = append(append(frame[:0], line...), '\r', '\n')
			if err := hj212.Decode(frame, &f, opts); err != nil {
				buf = AppendError(buf, n, err.Error())
			} else {
				buf = AppendFrame(buf, &f)
			}
		}
		_, err := w.Write(append(buf, '\n'))
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// Encode reads JSON objects, one a line, in the form Decode writes, and
// writes one frame per object. A bad line is reported on errs, naming
// its number, and skipped; the error then counts them.
func Encode(ctx context.Context, r io.Reader, out, errs io.Writer) error {
	w := bufio.NewWriter(out)
	var buf []byte
	failed := 0
	err := Lines(ctx, r, func(n int, line []byte, lerr error) error {
		m, err := ParseMessage(line)
		if lerr != nil {
			err = lerr
		}
		if err != nil {
			failed++
			fmt.Fprintf(errs, "line %d: %v\n", n, err)
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

// CRC is the HJ 212-2017 Appendix A CRC of a data segment as four
// uppercase hex digits; modbus: CRC-16/MODBUS with its bytes swapped (a
// device quirk) instead.
func CRC(seg []byte, modbus bool) string {
	if modbus {
		c := hj212.ModbusCRC16(seg)
		return fmt.Sprintf("%04X", c>>8|c<<8)
	}
	return fmt.Sprintf("%04X", hj212.CRC16(seg))
}

// CRCLines writes the CRC of each line of r, a data segment a line; a line
// too long is reported on errs and skipped.
func CRCLines(ctx context.Context, r io.Reader, out, errs io.Writer, modbus bool) error {
	w := bufio.NewWriter(out)
	err := Lines(ctx, r, func(n int, line []byte, lerr error) error {
		if lerr != nil {
			fmt.Fprintf(errs, "line %d: %v\n", n, lerr)
			return nil
		}
		_, err := fmt.Fprintln(w, CRC(line, modbus))
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}
