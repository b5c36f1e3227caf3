package main

import (
	"context"
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
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
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
		return usage.Error{Err: errors.New("--pipeline must be at least 1")}
	}
	clock := time.Now
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usage.Error{Err: fmt.Errorf("--now: %w", err)}
		}
		clock = func() time.Time { return t }
	}
	in, done, err := openInput(firstOr(pos, "-"), stdin)
	if err != nil {
		return err
	}
	defer done()
	return sf.withNew(ctx, func(st store.Store) error {
		return rightsvc.ApplyFile(ctx, st, clock, in, stdout, stderr, cliActor, *pipeline)
	})
}

// withRights parses a table command's flags and runs fn on the service.
func withRights(ctx context.Context, fs *flag.FlagSet, args []string, fn func(*rightsvc.Service) error) error {
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error { return rightsvc.With(ctx, st, rightsvc.Options{}, fn) })
}

func rightsBalance(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights balance", "rights balance [--account A] [--pollutant P] [--json]", stderr)
	account := fs.String("account", "", "one account: ent:<USCC>, county:<code>, city, reserve, escrow:<ref>, sys:<name>")
	pollutant := fs.String("pollutant", "", "one pollutant code, e.g. NOx")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	return withRights(ctx, fs, args, func(svc *rightsvc.Service) error {
		hs := svc.Balances(rights.Account(*account), *pollutant)
		if *asJSON {
			return json.NewEncoder(stdout).Encode(hs)
		}
		return rightsvc.WriteBalances(stdout, hs)
	})
}

func rightsReservoir(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights reservoir", "rights reservoir [--account A] [--pollutant P] [--year Y] [--json]", stderr)
	account := fs.String("account", "", "county:<code>, city or reserve (default all)")
	pollutant := fs.String("pollutant", "", "pollutant code (default all)")
	year := fs.Int("year", 0, "calendar year, China Standard Time (default all)")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	return withRights(ctx, fs, args, func(svc *rightsvc.Service) error {
		flows := svc.Reservoir(rights.Account(*account), *pollutant, *year)
		if *asJSON {
			return json.NewEncoder(stdout).Encode(flows)
		}
		return rightsvc.WriteFlows(stdout, flows)
	})
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
		return usage.Error{Err: errors.New("--pollutant and a positive --serial are required")}
	}
	return sf.with(ctx, func(st store.Store) error {
		trace, err := rightsvc.UnitHistory(ctx, st, *pollutant, *serial)
		switch {
		case err != nil:
			return err
		case len(trace) == 0:
			return fmt.Errorf("no unit %d of %s in the ledger", *serial, *pollutant)
		case *asJSON:
			return rights.Export(stdout, trace)
		}
		return rightsvc.WriteHistory(stdout, trace)
	})
}

func rightsExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights export", "rights export [FILE]  (written beside FILE and renamed: never half written)", stderr)
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	return sf.with(ctx, func(st store.Store) error {
		var n int
		var head rights.Digest
		err := atomicfile.Out(firstOr(pos, ""), stdout, func(w io.Writer) (err error) {
			n, head, err = rightsvc.Export(ctx, st, w)
			return err
		})
		if err == nil {
			fmt.Fprintf(stderr, "exported %d entries, head %s\n", n, head)
		}
		return err
	})
}

func firstOr(pos []string, def string) string {
	if len(pos) > 0 {
		return pos[0]
	}
	return def
}

func rightsVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights verify", "rights verify [FILE] [--head HEX | --checkpoints DIR]  (without --head: against the last checkpoint of the file and the audit log)", stderr)
	headFlag := fs.String("head", "", "a published head hash the ledger must end with (detects truncation)")
	cpDir := fs.String("checkpoints", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints when it exists)")
	sf := storeFlagsOf(fs)
	pos, err := parsePositional(fs, args, 1)
	if err != nil {
		return err
	}
	head, err := rightsvc.ParseHead(*headFlag)
	if err != nil {
		return usage.Error{Err: fmt.Errorf("--head: %w", err)}
	}
	dir := *cpDir
	if _, serr := os.Stat(rightsvc.CheckpointDir(sf.dataDir)); dir == "" && serr == nil {
		dir = rightsvc.CheckpointDir(sf.dataDir)
	}
	source := firstOr(pos, sf.describe())
	verify := func(es []rights.Entry, au rightsvc.Auditor) error {
		v, err := rightsvc.VerifyLedger(ctx, es, head, dir, au)
		if err != nil {
			return fmt.Errorf("%s: ledger NOT verified: %w", source, err)
		}
		v.WriteTo(stdout, stderr, source, head != nil)
		return nil
	}
	if len(pos) == 0 {
		return sf.with(ctx, func(st store.Store) error {
			es, err := rightsvc.LoadEntries(ctx, st)
			if err != nil {
				return err
			}
			return verify(es, st)
		})
	}
	r, done, err := openInput(pos[0], stdin)
	if err != nil {
		return err
	}
	defer done()
	es, err := rights.Import(r)
	if err != nil {
		return err
	}
	return verify(es, nil)
}

func rightsCheckpoint(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights checkpoint", "rights checkpoint [--dir DIR]  (written atomically, for the bureau to post)", stderr)
	dir := fs.String("dir", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints)")
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	if *dir == "" {
		*dir = rightsvc.CheckpointDir(sf.dataDir)
	}
	return sf.with(ctx, func(st store.Store) error {
		c, ok, err := rightsvc.TakeCheckpoint(ctx, st, st, *dir, cliActor, time.Now())
		switch {
		case err != nil:
			return err
		case !ok:
			fmt.Fprintln(stdout, "the ledger is empty: nothing to checkpoint")
		default:
			fmt.Fprintf(stdout, "checkpoint: entry %d, head %s, at %s, in %s and the audit log\n", c.Seq, c.Head, c.At.Format(time.RFC3339),
				filepath.Join(*dir, rightsvc.CheckpointFile))
		}
		return nil
	})
}

// rightsReport builds one report from the stored ledger.
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
		return usage.Error{Err: err}
	}
	return sf.with(ctx, func(st store.Store) error {
		rep, err := rightsvc.Report(ctx, st, q)
		if err != nil {
			return err
		}
		return atomicfile.Out(out.out, stdout, func(w io.Writer) error { return rightsreport.Encode(w, rep, out.format) })
	})
}
