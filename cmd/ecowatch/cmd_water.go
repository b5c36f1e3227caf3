package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/waterfile"
)

// runWater dispatches the surface-water subcommands.
func runWater(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: ecowatch water <subcommand> [flags]")
		fmt.Fprintln(w, "\nSubcommands:")
		fmt.Fprintln(w, "  classify  classify samples (JSON lines) by GB 3838-2002: class, item classes, main pollutants")
		fmt.Fprintln(w, "  registry  import, export or validate the water registry (rivers, network, sections, sources, outfalls)")
		fmt.Fprintln(w, "  import    import laboratory results (long-format CSV) into the store")
		fmt.Fprintln(w, "  sync      take the automatic stations' HJ 212 hourly uploads into the water data")
		fmt.Fprintln(w, "  report    period report: classes against targets, shares, rivers, CWQI, drinking water (table|json|xlsx)")
		fmt.Fprintln(w, "  trace     trace an exceedance at a section upstream to candidate outfalls")
		fmt.Fprintln(w, "\nRun 'ecowatch water <subcommand> --help' for its flags.")
	}
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("missing subcommand")}
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		usage(stdout)
		return flag.ErrHelp
	case "classify":
		return runWaterClassify(ctx, args[1:], stdin, stdout, stderr)
	case "registry":
		return runWaterRegistry(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		return runWaterImport(ctx, args[1:], stdin, stdout, stderr)
	case "sync":
		return runWaterSync(ctx, args[1:], stdin, stdout, stderr)
	case "report":
		return runWaterReport(ctx, args[1:], stdin, stdout, stderr)
	case "trace":
		return runWaterTrace(ctx, args[1:], stdin, stdout, stderr)
	}
	usage(stderr)
	return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
}

const waterClassifySynopsis = `water classify [flags] [file ...]

Reads JSON lines, one sample per line, from the files or from standard input
("-" or no file), for example
  {"id": "S1", "type": "river", "items": {"pH": 7.2, "DO": 5.1, "CODMn": 4.3, "NH3-N": 0.52, "TP": 0.11}}
and prints one JSON object per non-blank line:
  {"id": "S1", "type": "river", "class": 3, "label": "Ⅲ", "status": "良好",
   "items": {"pH": 1, ...}, "main_pollutants": [{"item": "NH3-N", "class": 4, "multiple": 0.2}],
   "missing": [], "unknown": []}
class is 1-5, 6 for 劣Ⅴ, null when no item could be classified. Items are
named as in GB 3838 ("NH3-N", "氨氮") or by HJ 212 code ("w21003"); unknown
names are listed, never guessed. A value may be a number, a numeric string,
"<DL" for a result below the detection limit DL (counted as DL/2), or null
(missing). A malformed line prints {"line": n, "error": "..."} naming the
field, processing continues, and the exit status is 1.

Flags:`

func runWaterClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water classify", waterClassifySynopsis, stderr)
	rounding := fs.String("rounding", "hourly", "rounding before classifying: hourly (a single automatic-station reading), assessment (a period mean), none")
	itemsFlag := fs.String("items", "auto", "items deciding the class: auto (the 21 items if any beyond the 5 automatic-station items is given, else the 5), auto5, 21")
	defType := fs.String("type", "", "water body for lines without \"type\": river or lake (default: \"type\" is required)")
	lakeTN := fs.Bool("lake-tn", false, "let TN take part in the class of lakes and reservoirs (a local bulletin variant)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var o water.Options
	switch *rounding {
	case "hourly":
		o.Rounding = water.RoundHourly
	case "assessment":
		o.Rounding = water.RoundAssessment
	case "none":
		o.Rounding = water.RoundNone
	default:
		return usageError{fmt.Errorf("--rounding %q: want hourly, assessment or none", *rounding)}
	}
	switch *itemsFlag {
	case "auto":
	case "auto5":
		o.Items = water.SetAuto5
	case "21":
		o.Items = water.Set21
	default:
		return usageError{fmt.Errorf("--items %q: want auto, auto5 or 21", *itemsFlag)}
	}
	o.LakeTN = *lakeTN
	var def *water.WaterBody
	if *defType != "" {
		b, ok := waterfile.ParseBody(*defType)
		if !ok {
			return usageError{fmt.Errorf("--type %q: want river or lake", *defType)}
		}
		def = &b
	}
	c := &waterfile.Classifier{Options: o, Default: def, Out: bufio.NewWriter(stdout)}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var r io.Reader = stdin
		label := ""
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				c.Out.Flush()
				return err
			}
			r, label = f, name
			err = c.Run(ctx, r, label)
			f.Close()
			if err != nil {
				c.Out.Flush()
				return err
			}
			continue
		}
		if err := c.Run(ctx, r, label); err != nil {
			c.Out.Flush()
			return err
		}
	}
	if err := c.Out.Flush(); err != nil {
		return err
	}
	if c.Bad > 0 {
		return fmt.Errorf("%d of %d lines malformed", c.Bad, c.Lines)
	}
	return nil
}
