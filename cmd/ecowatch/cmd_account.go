package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

const accountSynopsis = `account load FILE | assess|compensate|triggers|bulletin --period P |
       warnings add|list|check|entries | soil plots|reviews|duties | projects list  [flags]

  triggers, warnings check, soil duties --open-cases: one case per firing, breach or overdue duty
  (once: a re-run opens nothing twice); warnings check --samples: JSON lines {"enterprise",
  "series": "electricity"|"online", "at", "value"}; bulletin: the 通报 as Markdown.
Periods: 2026, 2026Q3, 2026-07, 2026H1; times RFC 3339 or YYYY-MM-DDTHH:MM (China time).
Tables, workbooks and the bulletin are in one language: --lang zh (the default) or en.
The load file is one JSON object with any of "schemes", "formulas", "rules" (arrays of
versions), "targets" and "values" (period → array), "projects", "soil_units", "plots",
"reviews" and "reduction_entries" (year → array); "formulas": "shandong" loads the province's.`

func runAccount(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: ecowatch "+accountSynopsis)
		if len(args) == 0 {
			return usage.Error{Err: errors.New("account: which subcommand?")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	if sub == "warnings" || sub == "soil" || sub == "projects" {
		if len(rest) == 0 {
			return usage.Error{Err: fmt.Errorf("account %s: which action?", sub)}
		}
		sub, rest = sub+" "+rest[0], rest[1:]
	}
	if !slices.Contains(accountsvc.Kinds, sub) {
		return usage.Error{Err: fmt.Errorf("account: unknown subcommand %q", sub)}
	}
	return accountRun(ctx, sub, rest, stdout, stderr)
}

func accountRun(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("account "+sub, accountSynopsis, stderr)
	period := fs.String("period", "", "assessment period: 2026, 2026Q3, 2026-07, 2026H1")
	out := outFlagsOf(fs, "table", "json", "xlsx")
	nowFlag := fs.String("now", "", "evaluate at this time instead of the clock (tests, back-dated runs)")
	openCases := fs.Bool("open-cases", false, "triggers, warnings check, soil duties: open a case for each firing, breach or overdue duty without one")
	number := fs.String("number", "", "bulletin: document number, e.g. 聊环通〔2026〕3号")
	year := fs.Int("year", 0, "soil duties, warnings check and entries: the (list) year")
	samplesFile := fs.String("samples", "", "warnings check: the samples file (JSON lines)")
	wID := fs.String("id", "", "warnings add, check: warning id")
	wLevel := fs.String("level", "", "warnings add: yellow, orange or red")
	wStart := fs.String("start", "", "warnings add: start time")
	wEnd := fs.String("end", "", "warnings add: end time")
	wCounties := fs.String("counties", "", "warnings add: county codes, comma separated (none: the whole city)")
	langS := fs.String("lang", "zh", "language of the table and workbook: zh or en")
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	q, err := accountsvc.Args{Kind: sub, Period: *period, Warning: *wID, Samples: *samplesFile, Lang: *langS, Year: *year, OpenCases: *openCases}.Query()
	if err != nil {
		return usage.Error{Err: err}
	}
	if sub == "load" && len(pos) != 1 {
		return usage.Error{Err: errors.New("load: which file?")}
	}
	if sub != "load" && len(pos) > 0 {
		return usage.Error{Err: fmt.Errorf("unexpected arguments: %q", pos)}
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = chinatime.ParseTime(*nowFlag); err != nil {
			return usage.Error{Err: fmt.Errorf("--now %w", err)}
		}
	}
	var w acc.Warning
	if sub == "warnings add" {
		if w, err = accountsvc.NewWarning(*wID, *wLevel, *wStart, *wEnd, *wCounties); err != nil {
			return usage.Error{Err: err}
		}
	}
	if sub == "warnings check" {
		if q.Samples, err = accountsvc.ReadSamplesFile(*samplesFile); err != nil {
			return err
		}
	}

	return sf.with(ctx, func(st store.Store) error {
		clock := func() time.Time { return now }
		svc := &accountsvc.Service{St: st, Now: clock, Cases: &casesvc.Service{St: st, DataDir: sf.dataDir, Now: clock}}
		switch sub {
		case "load":
			return accountsvc.LoadFile(ctx, st, pos[0], stdout)
		case "bulletin":
			md, err := svc.Bulletin(ctx, q.Period, *number, q.Lang)
			if err != nil {
				return err
			}
			return atomicfile.Out(out.out, stdout, func(w io.Writer) error { _, err := io.WriteString(w, md); return err })
		case "warnings add":
			return accountsvc.AddWarning(ctx, st, w, stdout)
		}
		v, tables, err := svc.Tables(ctx, q, func(c cases.Case) { fmt.Fprintf(stderr, "opened case %s: %s\n", c.ID, c.Title) })
		if err != nil {
			return err
		}
		return out.write(stdout, v, func(w io.Writer) error { return accountsvc.WriteXLSX(w, tables...) },
			func(w io.Writer) error { return accountsvc.WriteText(w, tables...) })
	})
}
