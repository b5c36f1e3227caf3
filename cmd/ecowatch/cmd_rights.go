package main

import (
	"bufio"
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
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

const rightsUsage = `Usage: ecowatch rights <subcommand> [flags]

The emission-rights ledger (排污权账本) and the indicator reservoirs (调蓄库).
Quantities are grams per year (1 t/a = 1000000), money is fen.

Subcommands:
  apply [FILE]                     apply commands, one JSON object per line (stdin
                                   without FILE); prints a result or a refusal per line,
                                   a result only once it is durable. Re-running a file
                                   (after a crash) is safe: applied commands come back
                                   with their original results. Entries and audit
                                   records name the actor "cli"; a line naming an
                                   actor is refused
  balance [--account A] [--pollutant P]
                                   balances (g/a) and what is spendable now
  history --pollutant P --serial N trace one unit from its creation to its end
  export [FILE]                    the ledger as JSON lines (stdout without FILE)
  verify [FILE] [--head HEX] [--checkpoints DIR]
                                   verify the store's ledger, or an export without
                                   any database: hash chain and invariants, and that
                                   the last checkpoint's entry is still there with its
                                   hash (the file in DIR, default <data-dir>/rights-
                                   checkpoints, and the audit log), so that entries
                                   removed from the end are detected; --head: the
                                   ledger must end with this hash instead
  checkpoint [--dir DIR]           verify the ledger and publish its head: a JSON line
                                   added to DIR/rights-checkpoints.jsonl (default
                                   <data-dir>/rights-checkpoints; written atomically,
                                   for the bureau to post) and an audit record. serve
                                   does this daily
  reservoir [--account A] [--pollutant P] [--year Y]
                                   receipts and spending of the reservoirs and the reserve
  report reservoir|projects|trades|statement [--year Y] [--county C] [--account A]
         [--from D --to D] [--format table|json|xlsx --out FILE]
                                   reports in t/a and yuan, exact; Excel export

Store flags (every subcommand but verify FILE): --data-dir DIR or --db DSN.
Run 'ecowatch rights <subcommand> --help' for its flags.
`

func runRights(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, rightsUsage)
		if len(args) == 0 {
			return usageError{errors.New("missing subcommand")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "apply":
		return rightsApply(ctx, rest, stdin, stdout, stderr)
	case "balance":
		return rightsBalance(ctx, rest, stdout, stderr)
	case "history":
		return rightsHistory(ctx, rest, stdout, stderr)
	case "export":
		return rightsExport(ctx, rest, stdout, stderr)
	case "verify":
		return rightsVerify(ctx, rest, stdout, stderr)
	case "checkpoint":
		return rightsCheckpoint(ctx, rest, stdout, stderr)
	case "reservoir":
		return rightsReservoir(ctx, rest, stdout, stderr)
	case "report":
		return rightsReport(ctx, rest, stdout, stderr)
	default:
		fmt.Fprint(stderr, rightsUsage)
		return usageError{fmt.Errorf("unknown subcommand %q", sub)}
	}
}

// rightsFlags parses the store flags and the subcommand's own, before or
// after positional arguments, and returns the positional ones.
func rightsFlags(fs *flag.FlagSet, sf *registryStoreFlags, args []string, maxPos int) ([]string, error) {
	sf.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if len(pos) > maxPos {
		return nil, usageError{fmt.Errorf("unexpected arguments: %q", pos[maxPos:])}
	}
	return pos, nil
}

func openRightsStore(ctx context.Context, sf *registryStoreFlags, create bool) (store.Store, error) {
	return sf.open(ctx, create)
}

// cliActor is who the command line's ledger commands and checkpoints are
// recorded as (as the users command's changes).
const cliActor = "cli"

func rightsApply(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights apply", "rights apply [FILE] [--data-dir DIR | --db DSN] [--now TIME]", stderr)
	nowFlag := fs.String("now", "", "apply every command at this RFC 3339 time instead of the clock (back-dated documents, tests)")
	pipeline := fs.Int("pipeline", 256, "commands in flight at once (they share transactions); results stay in file order")
	var sf registryStoreFlags
	pos, err := rightsFlags(fs, &sf, args, 1)
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
	in := stdin
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	st, err := openRightsStore(ctx, &sf, true)
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

func rightsBalance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights balance", "rights balance [--account A] [--pollutant P] [--json]", stderr)
	account := fs.String("account", "", "one account: ent:<USCC>, county:<code>, city, reserve, escrow:<ref>, sys:<name>")
	pollutant := fs.String("pollutant", "", "one pollutant code, e.g. NOx")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	var sf registryStoreFlags
	if _, err := rightsFlags(fs, &sf, args, 0); err != nil {
		return err
	}
	svc, done, err := openRightsService(ctx, &sf)
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

func openRightsService(ctx context.Context, sf *registryStoreFlags) (*rightsvc.Service, func(), error) {
	st, err := openRightsStore(ctx, sf, false)
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

func rightsHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights history", "rights history --pollutant P --serial N [--json]", stderr)
	pollutant := fs.String("pollutant", "", "pollutant code (required)")
	serial := fs.Int64("serial", 0, "serial number of the unit (required; see the start of the entries)")
	asJSON := fs.Bool("json", false, "JSON lines instead of a table")
	var sf registryStoreFlags
	if _, err := rightsFlags(fs, &sf, args, 0); err != nil {
		return err
	}
	if *pollutant == "" || *serial <= 0 {
		return usageError{errors.New("--pollutant and a positive --serial are required")}
	}
	st, err := openRightsStore(ctx, &sf, false)
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

func rightsExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights export", "rights export [FILE]", stderr)
	var sf registryStoreFlags
	pos, err := rightsFlags(fs, &sf, args, 1)
	if err != nil {
		return err
	}
	st, err := openRightsStore(ctx, &sf, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// Written next to the target and renamed: a half-written export
	// never stands under the final name.
	out := ""
	if len(pos) == 1 {
		out = pos[0]
	}
	n := 0
	var head rights.Digest
	err = atomicfile.Out(out, stdout, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		if err := st.RightsEntries(ctx, store.RightsQuery{}, func(e *rights.Entry) error {
			n++
			head = e.Hash
			return enc.Encode(e)
		}); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d entries, head %s\n", n, head)
	return nil
}

// defaultCheckpoints is where serve and the CLI keep the checkpoint file
// unless told otherwise.
func defaultCheckpoints(dataDir string) string { return filepath.Join(dataDir, "rights-checkpoints") }

func rightsVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights verify", "rights verify [FILE] [--head HEX | --checkpoints DIR]", stderr)
	headFlag := fs.String("head", "", "a published head hash the ledger must end with (detects truncation)")
	cpDir := fs.String("checkpoints", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints when it exists)")
	var sf registryStoreFlags
	pos, err := rightsFlags(fs, &sf, args, 1)
	if err != nil {
		return err
	}
	var es []rights.Entry
	var au rightsvc.Auditor
	source := ""
	if len(pos) == 1 {
		source = pos[0]
		var r io.Reader
		if pos[0] == "-" {
			r = os.Stdin
		} else {
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		if es, err = rights.Import(r); err != nil {
			return err
		}
	} else {
		st, err := openRightsStore(ctx, &sf, false)
		if err != nil {
			return err
		}
		defer st.Close()
		source = sf.describe()
		if es, err = rightsvc.LoadEntries(ctx, st); err != nil {
			return err
		}
		au = st
	}
	var cps []rightsvc.Checkpoint
	if *headFlag != "" {
		var want rights.Digest
		if b, err := hex.DecodeString(*headFlag); err != nil || len(b) != len(want) {
			return usageError{fmt.Errorf("--head: want %d hex digits", 2*len(want))}
		} else {
			copy(want[:], b)
		}
		err = rights.VerifyHead(es, want)
	} else {
		dir := *cpDir
		if dir == "" {
			if _, serr := os.Stat(defaultCheckpoints(sf.dataDir)); serr == nil {
				dir = defaultCheckpoints(sf.dataDir)
			}
		}
		if cps, err = rightsvc.LastCheckpoints(ctx, dir, au); err != nil {
			return err
		}
		err = rightsvc.VerifyCheckpoints(es, cps)
	}
	if err != nil {
		return fmt.Errorf("%s: ledger NOT verified: %w", source, err)
	}
	var head rights.Digest
	if len(es) > 0 {
		head = es[len(es)-1].Hash
	}
	fmt.Fprintf(stdout, "%s: verified %d entries (hash chain, commands, invariants); head %s\n", source, len(es), head)
	for _, c := range cps {
		fmt.Fprintf(stdout, "checkpoint of %s holds: entry %d, %s\n", c.At.Format(time.RFC3339), c.Seq, c.Head)
	}
	if *headFlag == "" && len(cps) == 0 {
		fmt.Fprintln(stderr, "warning: no checkpoint found: entries removed from the end would go unnoticed (ecowatch rights checkpoint, or --head)")
	}
	return nil
}

func rightsCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights checkpoint", "rights checkpoint [--dir DIR]", stderr)
	dir := fs.String("dir", "", "directory of the checkpoint file (default <data-dir>/rights-checkpoints)")
	var sf registryStoreFlags
	if _, err := rightsFlags(fs, &sf, args, 0); err != nil {
		return err
	}
	if *dir == "" {
		*dir = defaultCheckpoints(sf.dataDir)
	}
	st, err := openRightsStore(ctx, &sf, false)
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

func rightsReservoir(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rights reservoir", "rights reservoir [--account A] [--pollutant P] [--year Y] [--json]", stderr)
	account := fs.String("account", "", "county:<code>, city or reserve (default all)")
	pollutant := fs.String("pollutant", "", "pollutant code (default all)")
	year := fs.Int("year", 0, "calendar year, China Standard Time (default all)")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	var sf registryStoreFlags
	if _, err := rightsFlags(fs, &sf, args, 0); err != nil {
		return err
	}
	svc, done, err := openRightsService(ctx, &sf)
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
