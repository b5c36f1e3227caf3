package main

import (
	"context"
	"errors"
	"io"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airfile"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/usage"
)

var runAir = group("air", `hourly and daily read the CNEMC hourly format (date,hour,type,<stations...>) or the long
format (station,time,pollutant,value,flag) and need no registry or database; the others
use the store (--data-dir DIR or --db DSN).`, map[string]command{
	"hourly":  {"real-time AQI per station-hour (HJ 633), one JSON object a line", airFiles(false)},
	"daily":   {"daily values and AQI per station-day (GB 3095 validity, HJ 633), one JSON object a line", airFiles(true)},
	"import":  {"store hourly data files (all or nothing per file; re-import changes nothing; corrections recorded)", runAirImport},
	"sync":    {"take the stations' HJ 212 hourly uploads (CN 2061) into the air data", runAirSync},
	"report":  {"evaluation table of a year, quarter or month: stations, counties, city (table, json, xlsx)", runAirReport},
	"targets": {"annual targets: attainment to date and the remaining-year budget (set, import)", runAirTargets},
	"bench":   {"time the annual report of N stations' synthetic year", runAirBench},
})

// parseRules reads --rules: auto (0), 2012 or 2026.
func parseRules(s string) (air.Version, error) {
	v, err := airreport.ParseRules(s)
	if err != nil {
		return 0, usage.Error{Err: err}
	}
	return v, nil
}

func airFiles(daily bool) runFunc {
	sub := map[bool]string{false: "hourly", true: "daily"}[daily]
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
		fs := newFlagSet("air "+sub, "air "+sub+" [--format auto|cnemc|long] [--rules auto|2012|2026] FILE... (- for stdin)", stderr)
		format := fs.String("format", "auto", "input format: cnemc (date,hour,type,<stations...>), long (station,time,pollutant,value,flag) or auto")
		rules := fs.String("rules", "auto", "rule version: auto (2012 before 2026-03-01, 2026 from then), 2012 or 2026")
		if err := parse(fs, args); err != nil {
			return err
		}
		if err := oneOf("format", *format, "auto", "cnemc", "long"); err != nil {
			return err
		}
		v, err := parseRules(*rules)
		if err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return usage.Error{Err: errors.New("no input files")}
		}
		return airfile.Evaluate(ctx, fs.Args(), *format, daily, airfile.Options{Rules: v}, stdin, stdout, prefixed(stderr, "ecowatch air "+sub+": "))
	}
}
