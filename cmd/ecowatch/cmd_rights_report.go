package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsreport"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
)

const rightsReportSynopsis = `rights report reservoir|projects|trades|statement [--year Y] [--county C] [--pollutant P]
       [--account A] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format table|json|xlsx] [--out FILE]

  reservoir   receipts and spending of the reservoirs per county, pollutant and year
  projects    construction projects served: EIA numbers, ratio, tonnes, with totals
  trades      trade volumes and prices per pollutant and month
  statement   an account's opening balance, entries and closing balance (--account)

Quantities are t/a with six decimals, money yuan with two, exactly. Years,
months and days are China time; --to is included. xlsx needs --out.`

// rightsReport builds one report from the stored ledger (verified first:
// a report over a broken chain would certify nothing).
func rightsReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights report", rightsReportSynopsis, stderr)
	year := fs.Int("year", 0, "calendar year (reservoir, projects; trades and statement: the period)")
	county := fs.String("county", "", "county code, or city / reserve (reservoir, projects)")
	pollutant := fs.String("pollutant", "", "pollutant code, e.g. NOx")
	account := fs.String("account", "", "statement: ent:<USCC>, county:<code>, city or reserve")
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (trades, statement)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (trades, statement)")
	format := fs.String("format", "table", "table, json or xlsx")
	out := fs.String("out", "", "write to FILE instead of stdout (required for xlsx)")
	var sf registryStoreFlags
	pos, err := rightsFlags(fs, &sf, args, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("which report: reservoir, projects, trades or statement")}
	}
	kind := pos[0]
	switch kind {
	case "reservoir", "projects", "trades", "statement":
	default:
		return usageError{fmt.Errorf("unknown report %q: want reservoir, projects, trades or statement", kind)}
	}
	switch *format {
	case "table", "json":
	case "xlsx":
		if *out == "" || *out == "-" {
			return usageError{errors.New("--format xlsx needs --out FILE")}
		}
	default:
		return usageError{fmt.Errorf("--format %q: want table, json or xlsx", *format)}
	}
	// A flag that does not apply to the report is an error, not silently
	// ignored: a "county" trade report that shows the whole city misleads.
	applies := map[string][]string{
		"county":  {"reservoir", "projects"},
		"account": {"statement"},
		"from":    {"trades", "statement"},
		"to":      {"trades", "statement"},
	}
	var misfit error
	fs.Visit(func(fl *flag.Flag) {
		if kinds, ok := applies[fl.Name]; ok && !slices.Contains(kinds, kind) && misfit == nil {
			misfit = usageError{fmt.Errorf("--%s does not apply to the %s report", fl.Name, kind)}
		}
	})
	if misfit != nil {
		return misfit
	}
	if kind == "statement" && *account == "" {
		return usageError{errors.New("statement needs --account")}
	}
	if *year > 0 && (*from != "" || *to != "") {
		return usageError{errors.New("give --year or --from/--to, not both")}
	}
	period, err := rightsreport.DayRange(*year, *from, *to)
	if err != nil {
		return usageError{err}
	}

	st, err := openRightsStore(ctx, &sf, false)
	if err != nil {
		return err
	}
	defer st.Close()
	es, err := rightsvc.LoadEntries(ctx, st)
	if err != nil {
		return err
	}
	if err := rights.Verify(es); err != nil {
		return fmt.Errorf("the stored ledger fails verification, no report: %w", err)
	}

	var rep rightsreport.Report
	switch kind {
	case "reservoir":
		rep = rightsreport.Reservoir(es, rightsreport.ReservoirFilter{Year: *year, County: *county, Pollutant: *pollutant})
	case "projects":
		rep, err = rightsreport.Projects(es, rightsreport.ProjectFilter{Year: *year, County: *county, Pollutant: *pollutant})
	case "trades":
		rep, err = rightsreport.Trades(es, rightsreport.TradeFilter{Pollutant: *pollutant, Period: period})
	case "statement":
		rep = rightsreport.Statement(es, rights.Account(*account), period)
	}
	if err != nil {
		return err
	}
	return writeRightsReport(rep, *format, *out, stdout)
}

// writeRightsReport writes to stdout, or atomically to out.
func writeRightsReport(rep rightsreport.Report, format, out string, stdout io.Writer) error {
	return atomicfile.Out(out, stdout, func(w io.Writer) error { return rightsreport.Encode(w, rep, format) })
}
