package main

import (
	"bufio"
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

// accountLoad is the load file.
type accountLoad struct {
	Schemes          []acc.Scheme                    `json:"schemes"`
	Formulas         json.RawMessage                 `json:"formulas"`
	Rules            []acc.TriggerRule               `json:"rules"`
	Targets          map[string][]acc.Target         `json:"targets"`
	Values           map[string][]acc.CountyValues   `json:"values"`
	Projects         []acc.Project                   `json:"projects"`
	SoilUnits        []acc.SoilUnit                  `json:"soil_units"`
	Plots            []acc.Plot                      `json:"plots"`
	Reviews          []acc.Review                    `json:"reviews"`
	ReductionEntries map[string][]acc.ReductionEntry `json:"reduction_entries"`
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
		if p, err = accountsvc.ParsePeriod(*period); err != nil {
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
		return accountLoadFile(ctx, st, pos[0], stdout)
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
		series, err := readAccountSamples(*samplesFile)
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

// accountLoadFile stores each section of the load file; each section is
// written all-or-nothing, and the file is fully parsed before anything.
func accountLoadFile(ctx context.Context, st store.Store, path string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var l accountLoad
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var formulas []acc.Formula
	switch s := strings.TrimSpace(string(l.Formulas)); {
	case s == "" || s == "null":
	case s == `"shandong"`:
		formulas = acc.ShandongFormulas()
	default:
		if formulas, err = acc.ParseFormulas(l.Formulas); err != nil {
			return fmt.Errorf("%s: formulas: %w", path, err)
		}
	}
	tp := map[acc.Period][]acc.Target{}
	for k, ts := range l.Targets {
		p, err := accountsvc.ParsePeriod(k)
		if err != nil {
			return fmt.Errorf("%s: targets: %w", path, err)
		}
		tp[p] = ts
	}
	vp := map[acc.Period][]acc.CountyValues{}
	for k, vs := range l.Values {
		p, err := accountsvc.ParsePeriod(k)
		if err != nil {
			return fmt.Errorf("%s: values: %w", path, err)
		}
		vp[p] = vs
	}
	if err := st.PutAccountConfig(ctx, store.AccountConfig{Schemes: l.Schemes, Formulas: formulas, Rules: l.Rules}); err != nil {
		return err
	}
	for p, ts := range tp {
		if err := st.PutTargets(ctx, p, ts); err != nil {
			return err
		}
	}
	for p, vs := range vp {
		if err := st.PutCountyValues(ctx, p, vs); err != nil {
			return err
		}
	}
	for k, es := range l.ReductionEntries {
		var y int
		if _, err := fmt.Sscan(k, &y); err != nil {
			return fmt.Errorf("%s: reduction_entries: year %q", path, k)
		}
		if err := st.PutReductionEntries(ctx, y, es); err != nil {
			return err
		}
	}
	if err := st.PutProjects(ctx, l.Projects); err != nil {
		return err
	}
	if err := st.PutSoilUnits(ctx, l.SoilUnits); err != nil {
		return err
	}
	if err := st.PutPlots(ctx, l.Plots); err != nil {
		return err
	}
	if err := st.PutReviews(ctx, l.Reviews); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d schemes, %d formulas, %d rules, targets of %d periods, values of %d periods, %d projects, %d soil units, %d plots, %d reviews\n",
		len(l.Schemes), len(formulas), len(l.Rules), len(tp), len(vp), len(l.Projects), len(l.SoilUnits), len(l.Plots), len(l.Reviews))
	return nil
}

// readAccountSamples reads JSON lines of samples by enterprise and series.
func readAccountSamples(path string) (map[string]accountsvc.Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]accountsvc.Series{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var x struct {
			Enterprise string    `json:"enterprise"`
			Series     string    `json:"series"`
			At         time.Time `json:"at"`
			Value      *float64  `json:"value"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&x); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if x.Enterprise == "" || x.At.IsZero() || x.Value == nil {
			return nil, fmt.Errorf("%s:%d: enterprise, at and value are required", path, n)
		}
		s := out[x.Enterprise]
		switch x.Series {
		case "electricity":
			s.Electricity = append(s.Electricity, acc.Sample{At: x.At, Value: *x.Value})
		case "online":
			s.Online = append(s.Online, acc.Sample{At: x.At, Value: *x.Value})
		default:
			return nil, fmt.Errorf("%s:%d: series %q: want electricity or online", path, n, x.Series)
		}
		out[x.Enterprise] = s
	}
	return out, sc.Err()
}
