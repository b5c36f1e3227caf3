package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
)

const accountSynopsis = `account load|assess|compensate|triggers|bulletin|warnings|soil|projects ...

  load FILE                      load versioned data and registers from a JSON file (see below)
  assess --period 2026Q3         score the counties against their targets; stored
  compensate --period 2026Q3     ecological compensation per county; stored
  triggers --period 2026Q3 [--open-cases]
                                 evaluate the summons triggers; --open-cases opens one case per
                                 firing (idempotent: a re-run opens nothing twice)
  bulletin --period 2026Q3 [--number N]
                                 the bulletin (通报) as Markdown
  warnings add --id ID --level yellow|orange|red --start T --end T [--counties C,C]
  warnings list
  warnings check --id ID --year Y --samples FILE [--open-cases]
                                 check the year's reduction list during a warning from samples
                                 (JSON lines: {"enterprise", "series": "electricity"|"online",
                                 "at", "value"}); --open-cases opens one case per breach (once)
  warnings entries --year 2026    the year's emergency reduction list
  soil plots | soil reviews      supervised plots, survey report reviews
  soil duties --year 2026 [--open-cases]
                                 soil key units' legal duties with status; --open-cases opens
                                 one case per overdue duty (once)
  projects list                  governance projects with progress

Periods: 2026, 2026Q3, 2026-07 (month), 2026H1. Times: RFC 3339 or
YYYY-MM-DDTHH:MM (China time). Tables print as text, json or xlsx (--out).
The load file is one JSON object with any of: "schemes", "formulas",
"rules" (arrays of versions), "targets" and "values" (objects: period →
array), "projects", "soil_units", "plots", "reviews" (arrays) and
"reduction_entries" (object: year → array); "formulas": "shandong" loads
the province's published versions.`

func runAccount(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: ecowatch "+accountSynopsis)
		if len(args) == 0 {
			return usageError{errors.New("account: which subcommand?")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	if sub == "warnings" || sub == "soil" || sub == "projects" {
		if len(rest) == 0 {
			return usageError{fmt.Errorf("account %s: which action?", sub)}
		}
		sub, rest = sub+" "+rest[0], rest[1:]
	}
	switch sub {
	case "load", "assess", "compensate", "triggers", "bulletin", "warnings add", "warnings list", "warnings check", "warnings entries", "soil plots", "soil reviews", "soil duties", "projects list":
		return accountRun(ctx, sub, rest, stdout, stderr)
	}
	return usageError{fmt.Errorf("account: unknown subcommand %q", sub)}
}

func parseAccountTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, v, acc.CST()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 or YYYY-MM-DDTHH:MM (China time)", v)
}

func accountRun(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("account "+sub, accountSynopsis, stderr)
	var sf registryStoreFlags
	period := fs.String("period", "", "assessment period: 2026, 2026Q3, 2026-07, 2026H1")
	format := fs.String("format", "table", "table, json or xlsx")
	out := fs.String("out", "", "write to FILE instead of stdout (required for xlsx)")
	nowFlag := fs.String("now", "", "evaluate at this time instead of the clock (tests, back-dated runs)")
	openCases := fs.Bool("open-cases", false, "triggers, soil duties: open a case for each firing or overdue duty without one")
	number := fs.String("number", "", "bulletin: document number, e.g. 聊环通〔2026〕3号")
	year := fs.Int("year", 0, "soil duties, warnings check: the (list) year")
	samplesFile := fs.String("samples", "", "warnings check: the samples file (JSON lines)")
	wID := fs.String("id", "", "warnings add: warning id")
	wLevel := fs.String("level", "", "warnings add: yellow, orange or red")
	wStart := fs.String("start", "", "warnings add: start time")
	wEnd := fs.String("end", "", "warnings add: end time")
	wCounties := fs.String("counties", "", "warnings add: county codes, comma separated (none: the whole city)")
	pos, err := rightsFlags(fs, &sf, args, 1)
	if err != nil {
		return err
	}
	if sub != "load" && len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %q", pos)}
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
	var p acc.Period
	switch sub {
	case "assess", "compensate", "triggers", "bulletin":
		if *period == "" {
			return usageError{errors.New("--period is required")}
		}
		if p, err = chinatime.ParsePeriod(*period); err != nil {
			return usageError{err}
		}
	case "warnings check":
		if *wID == "" || *samplesFile == "" {
			return usageError{errors.New("warnings check needs --id, --year and --samples")}
		}
		fallthrough
	case "soil duties", "warnings entries":
		if *year < 2000 || *year > 2100 {
			return usageError{errors.New("--year is required (2000-2100)")}
		}
	case "load":
		if len(pos) != 1 {
			return usageError{errors.New("load: which file?")}
		}
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = parseAccountTime(*nowFlag); err != nil {
			return usageError{err}
		}
	}
	var w acc.Warning
	if sub == "warnings add" {
		if *wID == "" || *wLevel == "" || *wStart == "" || *wEnd == "" {
			return usageError{errors.New("warnings add needs --id, --level, --start and --end")}
		}
		w.ID = *wID
		if err := w.Level.UnmarshalText([]byte(*wLevel)); err != nil {
			return usageError{err}
		}
		if w.Start, err = parseAccountTime(*wStart); err != nil {
			return usageError{err}
		}
		if w.End, err = parseAccountTime(*wEnd); err != nil {
			return usageError{err}
		}
		if *wCounties != "" {
			w.Counties = strings.Split(*wCounties, ",")
		}
	}

	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &accountsvc.Service{St: st, Now: func() time.Time { return now },
		Cases: &casesvc.Service{St: st, DataDir: sf.dataDir, Now: func() time.Time { return now }}}

	var v any
	var tables []accountsvc.Table
	switch sub {
	case "load":
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		return accountsvc.Load(ctx, st, f, pos[0], stdout)
	case "assess":
		a, err := svc.Assess(ctx, p)
		if err != nil {
			return err
		}
		v, tables = a, []accountsvc.Table{accountsvc.AssessmentTable(a)}
	case "compensate":
		s, err := svc.Compensate(ctx, p)
		if err != nil {
			return err
		}
		v, tables = s, []accountsvc.Table{accountsvc.SettlementTable(s)}
	case "triggers":
		fs, err := svc.Triggers(ctx, p, *openCases)
		if err != nil {
			return err
		}
		if fs == nil {
			fs = []store.StoredFiring{}
		}
		v, tables = fs, []accountsvc.Table{accountsvc.FiringsTable(p, fs)}
	case "bulletin":
		md, err := svc.Bulletin(ctx, p, *number)
		if err != nil {
			return err
		}
		return atomicfile.Out(*out, stdout, func(w io.Writer) error { _, err := io.WriteString(w, md); return err })
	case "warnings add":
		if err := st.AddWarning(ctx, w); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "warning %s (%s) %s – %s added\n", w.ID, w.Level, w.Start.In(acc.CST()).Format("2006-01-02 15:04"), w.End.In(acc.CST()).Format("2006-01-02 15:04"))
		return nil
	case "warnings check":
		sf, err := os.Open(*samplesFile)
		if err != nil {
			return err
		}
		defer sf.Close()
		series, err := accountsvc.ReadSamples(sf, *samplesFile)
		if err != nil {
			return err
		}
		bs, opened, err := svc.CheckWarning(ctx, *wID, *year, series, *openCases)
		if err != nil {
			return err
		}
		for _, c := range opened {
			fmt.Fprintf(stderr, "opened case %s: %s\n", c.ID, c.Title)
		}
		if bs == nil {
			bs = []acc.Breach{}
		}
		v, tables = bs, []accountsvc.Table{accountsvc.BreachesTable(*wID, bs)}
	case "warnings entries":
		es, err := st.ReductionEntries(ctx, *year)
		if err != nil {
			return err
		}
		if es == nil {
			es = []acc.ReductionEntry{}
		}
		v, tables = es, []accountsvc.Table{accountsvc.ReductionTable(*year, es)}
	case "soil plots":
		ps, err := st.Plots(ctx)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []acc.Plot{}
		}
		v, tables = ps, []accountsvc.Table{accountsvc.PlotsTable(ps)}
	case "soil reviews":
		rs, err := st.Reviews(ctx)
		if err != nil {
			return err
		}
		if rs == nil {
			rs = []acc.Review{}
		}
		v, tables = rs, []accountsvc.Table{accountsvc.ReviewsTable(rs)}
	case "warnings list":
		ws, err := st.Warnings(ctx)
		if err != nil {
			return err
		}
		if ws == nil {
			ws = []acc.Warning{}
		}
		v, tables = ws, []accountsvc.Table{accountsvc.WarningsTable(ws)}
	case "soil duties":
		if *openCases {
			opened, err := svc.SoilCases(ctx, *year)
			if err != nil {
				return err
			}
			for _, c := range opened {
				fmt.Fprintf(stderr, "opened case %s: %s\n", c.ID, c.Title)
			}
		}
		ds, err := svc.SoilDuties(ctx, *year)
		if err != nil {
			return err
		}
		if ds == nil {
			ds = []accountsvc.DutyRow{}
		}
		v, tables = ds, []accountsvc.Table{accountsvc.DutiesTable(*year, ds)}
	case "projects list":
		ps, err := svc.Projects(ctx)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []accountsvc.ProjectRow{}
		}
		v, tables = ps, []accountsvc.Table{accountsvc.ProjectsTable(ps)}
	}
	for i := range tables {
		tables[i] = tables[i].In(accountsvc.Chinese)
	}
	return atomicfile.Out(*out, stdout, func(w io.Writer) error {
		switch *format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		case "xlsx":
			return accountsvc.WriteXLSX(w, tables...)
		}
		return accountsvc.WriteText(w, tables...)
	})
}
