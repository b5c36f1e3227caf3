package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/usage"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/water/waterfile"
)

var runWater = group("water", "", map[string]command{
	"classify": {"classify samples (JSON lines) by GB 3838-2002: class, item classes, main pollutants", runWaterClassify},
	"registry": {"import, export or validate the water registry (rivers, network, sections, sources, outfalls)", runWaterRegistry},
	"import":   {"import laboratory results (long-format CSV) into the store", runWaterImport},
	"sync":     {"take the automatic stations' HJ 212 hourly uploads into the water data", runWaterSync},
	"report":   {"period report: classes against targets, shares, rivers, CWQI, drinking water (table|json|xlsx)", runWaterReport},
	"trace":    {"trace an exceedance at a section upstream to candidate outfalls", runWaterTrace},
})

const waterClassifySynopsis = `water classify [flags] [file ...]  (JSON lines, one sample a line; - or none: stdin)

  in:  {"id": "S1", "type": "river", "items": {"pH": 7.2, "DO": 5.1, "NH3-N": 0.52, "TP": "<0.01"}}
  out: {"id": "S1", "class": 3, "label": "Ⅲ", "items": {...}, "main_pollutants": [...], ...}
Items by GB 3838 name or HJ 212 code; "<DL" is below the detection limit (counted as DL/2).
A malformed line prints {"line": n, "error": "..."}, the rest go on, and the exit status is 1.`

func runWaterClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("water classify", waterClassifySynopsis, stderr)
	rounding := fs.String("rounding", "hourly", "rounding before classifying: hourly (a single automatic-station reading), assessment (a period mean), none")
	itemsFlag := fs.String("items", "auto", "items deciding the class: auto (the 21 items if any beyond the 5 automatic-station items is given, else the 5), auto5, 21")
	defType := fs.String("type", "", "water body for lines without \"type\": river or lake (default: \"type\" is required)")
	lakeTN := fs.Bool("lake-tn", false, "let TN take part in the class of lakes and reservoirs (a local bulletin variant)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := oneOf("rounding", *rounding, "hourly", "assessment", "none"); err != nil {
		return err
	}
	if err := oneOf("items", *itemsFlag, "auto", "auto5", "21"); err != nil {
		return err
	}
	o := water.Options{LakeTN: *lakeTN, Rounding: map[string]water.Rounding{"hourly": water.RoundHourly,
		"assessment": water.RoundAssessment, "none": water.RoundNone}[*rounding],
		Items: map[string]water.ItemSet{"auto5": water.SetAuto5, "21": water.Set21}[*itemsFlag]}
	var def *water.WaterBody
	if *defType != "" {
		b, ok := waterfile.ParseBody(*defType)
		if !ok {
			return usage.Error{Err: fmt.Errorf("--type %q: want river or lake", *defType)}
		}
		def = &b
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	return waterfile.ClassifyFiles(ctx, o, def, files, stdin, stdout)
}
