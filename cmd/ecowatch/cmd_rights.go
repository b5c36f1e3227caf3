package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsreport"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
)

var runRights = group("rights", `The emission-rights ledger (排污权账本) and the indicator reservoirs (调蓄库). Quantities are
grams per year (1 t/a = 1000000), money is fen; reports are in t/a and yuan, exact. Store flags
(every subcommand but verify FILE): --data-dir DIR or --db DSN. Commands and checkpoints are
recorded as the actor "cli".`, map[string]command{
	"apply":      {"apply commands, one JSON object a line (FILE or stdin); a result once durable; re-running is safe", rightsApply},
	"balance":    {"balances (g/a) and what is spendable now", rightsBalance},
	"history":    {"trace one unit (--pollutant, --serial) from its creation to its end", rightsHistory},
	"export":     {"the ledger as JSON lines (FILE, or stdout)", rightsExport},
	"verify":     {"verify the store's ledger or an export: hash chain, invariants, and the last checkpoint or --head", rightsVerify},
	"checkpoint": {"verify the ledger and publish its head in <dir>/rights-checkpoints.jsonl and the audit log (serve: daily)", rightsCheckpoint},
	"reservoir":  {"receipts and spending of the reservoirs and the reserve", rightsReservoir},
	"report":     {"reservoir|projects|trades|statement reports, table, json or xlsx", rightsReport},
})

// cliActor is who the command line's ledger commands and checkpoints are
// recorded as (as the users command's changes).
const cliActor = "cli"

func rightsApply(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights apply", "rights apply [FILE] [--data-dir DIR | --db DSN] [--now TIME]  (a line naming an actor is refused)", stderr)
	nowFlag := fs.String("now", "", "apply every command at this RFC 3339 time instead of the clock (back-dated documents, tests)")
	pipeline := fs.Int("pipeline", 256, "commands in flight at once (they share transactions); results stay in file order")
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	if *pipeline < 1 {
		return usageError{errors.New("--pipeline must be at least 1")}
	}
	clock := time.Now
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageError{fmt.Errorf("--now: %w", err)}
		}
		clock = func() time.Time { return t }
	}
	in, done := stdin, func() {}
	if len(pos) == 1 {
		if in, done, err = openInput(pos[0], stdin); err != nil {
			return err
		}
	}
	defer done()
	st, err := sf.open(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := rightsvc.Open(ctx, st, rightsvc.Options{Now: clock})
	if err != nil {
		return err
	}
	defer svc.Close()
	applied, refused, err := rightsvc.ApplyLines(ctx, svc, in, stdout, cliActor, *pipeline)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d applied, %d refused\n", applied, refused)
	if refused > 0 {
		return fmt.Errorf("%d of %d commands refused", refused, applied+refused)
	}
	return nil
}

// rightsService parses a table command's flags and opens the service.
func rightsService(ctx context.Context, fs *flag.FlagSet, args []string) (*rightsvc.Service, func(), error) {
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return nil, nil, err
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	svc, err := rightsvc.Open(ctx, st, rightsvc.Options{})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, func() { svc.Close(); st.Close() }, nil
}

func rightsBalance(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights balance", "rights balance [--account A] [--pollutant P] [--json]", stderr)
	account := fs.String("account", "", "one account: ent:<USCC>, county:<code>, city, reserve, escrow:<ref>, sys:<name>")
	pollutant := fs.String("pollutant", "", "one pollutant code, e.g. NOx")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	svc, done, err := rightsService(ctx, fs, args)
	if err != nil {
		return err
	}
	defer done()
	hs := svc.Balances(rights.Account(*account), *pollutant)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(hs)
	}
	return rightsvc.WriteBalances(stdout, hs)
}

func rightsReservoir(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights reservoir", "rights reservoir [--account A] [--pollutant P] [--year Y] [--json]", stderr)
	account := fs.String("account", "", "county:<code>, city or reserve (default all)")
	pollutant := fs.String("pollutant", "", "pollutant code (default all)")
	year := fs.Int("year", 0, "calendar year, China Standard Time (default all)")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	svc, done, err := rightsService(ctx, fs, args)
	if err != nil {
		return err
	}
	defer done()
	flows := svc.Reservoir(rights.Account(*account), *pollutant, *year)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(flows)
	}
	return rightsvc.WriteFlows(stdout, flows)
}

func rightsHistory(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights history", "rights history --pollutant P --serial N [--json]", stderr)
	pollutant := fs.String("pollutant", "", "pollutant code (required)")
	serial := fs.Int64("serial", 0, "serial number of the unit (required; see the start of the entries)")
	asJSON := fs.Bool("json", false, "JSON lines instead of a table")
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	if *pollutant == "" || *serial <= 0 {
		return usageError{errors.New("--pollutant and a positive --serial are required")}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	trace, err := rightsvc.UnitHistory(ctx, st, *pollutant, *serial)
	if err != nil {
		return err
	}
	if len(trace) == 0 {
		return fmt.Errorf("no unit %d of %s in the ledger", *serial, *pollutant)
	}
	if *asJSON {
		return rights.Export(stdout, trace)
	}
	return rightsvc.WriteHistory(stdout, trace)
}

func rightsExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights export", "rights export [FILE]  (written beside FILE and renamed: never half written)", stderr)
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var n int
	var head rights.Digest
	err = atomicfile.Out(firstOr(pos, ""), stdout, func(w io.Writer) (err error) {
		n, head, err = rightsvc.Export(ctx, st, w)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d entries, head %s\n", n, head)
	return nil
}

func firstOr(pos []string, def string) string {
	if len(pos) > 0 {
		return pos[0]
	}
	return def
}

// defaultCheckpoints is where serve and the CLI keep the checkpoint file
// unless told otherwise.
func defaultCheckpoints(dataDir string) string { return filepath.Join(dataDir, "rights-checkpoints") }

func rightsVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights verify", "rights verify [FILE] [--head HEX | --checkpoints DIR]  (without --head: against the last checkpoint of the file and the audit log)", stderr)
	headFlag := fs.String("head", "", "a published head hash the ledger must end with (detects truncation)")
	cpDir := fs.String("checkpoints", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints when it exists)")
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	var head *rights.Digest
	if *headFlag != "" {
		var want rights.Digest
		if b, err := hex.DecodeString(*headFlag); err != nil || len(b) != len(want) {
			return usageError{fmt.Errorf("--head: want %d hex digits", 2*len(want))}
		} else {
			copy(want[:], b)
		}
		head = &want
	}
	var es []rights.Entry
	var au rightsvc.Auditor
	source := firstOr(pos, sf.describe())
	if len(pos) == 1 {
		r, done, err := openInput(pos[0], stdin)
		if err != nil {
			return err
		}
		defer done()
		if es, err = rights.Import(r); err != nil {
			return err
		}
	} else {
		st, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer st.Close()
		if es, err = rightsvc.LoadEntries(ctx, st); err != nil {
			return err
		}
		au = st
	}
	dir := *cpDir
	if _, serr := os.Stat(defaultCheckpoints(sf.dataDir)); dir == "" && serr == nil {
		dir = defaultCheckpoints(sf.dataDir)
	}
	v, err := rightsvc.VerifyLedger(ctx, es, head, dir, au)
	if err != nil {
		return fmt.Errorf("%s: ledger NOT verified: %w", source, err)
	}
	fmt.Fprintf(stdout, "%s: verified %d entries (hash chain, commands, invariants); head %s\n", source, v.Entries, v.Head)
	for _, c := range v.Checkpoints {
		fmt.Fprintf(stdout, "checkpoint of %s holds: entry %d, %s\n", c.At.Format(time.RFC3339), c.Seq, c.Head)
	}
	if head == nil && len(v.Checkpoints) == 0 {
		fmt.Fprintln(stderr, "warning: no checkpoint found: entries removed from the end would go unnoticed (ecowatch rights checkpoint, or --head)")
	}
	return nil
}

func rightsCheckpoint(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights checkpoint", "rights checkpoint [--dir DIR]  (written atomically, for the bureau to post)", stderr)
	dir := fs.String("dir", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints)")
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	if *dir == "" {
		*dir = defaultCheckpoints(sf.dataDir)
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	c, ok, err := rightsvc.TakeCheckpoint(ctx, st, st, *dir, cliActor, time.Now())
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(stdout, "the ledger is empty: nothing to checkpoint")
		return nil
	}
	fmt.Fprintf(stdout, "checkpoint: entry %d, head %s, at %s, in %s and the audit log\n", c.Seq, c.Head, c.At.Format(time.RFC3339),
		filepath.Join(*dir, rightsvc.CheckpointFile))
	return nil
}

// rightsReport builds one report from the stored ledger (verified first:
// a report over a broken chain would certify nothing).
func rightsReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights report", "rights report reservoir|projects|trades|statement [flags]  (years, months, days in China time; --to included)", stderr)
	var q rightsreport.Query
	fs.IntVar(&q.Year, "year", 0, "calendar year (reservoir, projects; trades and statement: the period)")
	fs.StringVar(&q.County, "county", "", "county code, or city / reserve (reservoir, projects)")
	fs.StringVar(&q.Pollutant, "pollutant", "", "pollutant code, e.g. NOx")
	fs.StringVar(&q.Account, "account", "", "statement: ent:<USCC>, county:<code>, city or reserve")
	fs.StringVar(&q.From, "from", "", "first day of the period, YYYY-MM-DD (trades, statement)")
	fs.StringVar(&q.To, "to", "", "last day of the period, YYYY-MM-DD, included (trades, statement)")
	out := outFlagsOf(fs, "table", "json", "xlsx")
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	q.Kind = firstOr(pos, "")
	if err := out.check(); err != nil {
		return err
	}
	if _, err := q.Check(); err != nil {
		return usageError{err}
	}
	st, err := sf.open(ctx, false)
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
	rep, err := rightsreport.Build(es, q)
	if err != nil {
		return err
	}
	return atomicfile.Out(out.out, stdout, func(w io.Writer) error { return rightsreport.Encode(w, rep, out.format) })
}
