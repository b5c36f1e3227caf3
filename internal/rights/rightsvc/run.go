package rightsvc

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsreport"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The runs of the command line on a store: each opens what it needs,
// prints what the operator reads and closes it again.

// CheckpointDir is where serve and the command line keep the checkpoint
// file of a data directory unless told otherwise.
func CheckpointDir(dataDir string) string { return filepath.Join(dataDir, "rights-checkpoints") }

// With opens the service on st (the whole ledger in memory), runs fn and
// closes it.
func With(ctx context.Context, st store.RightsStore, opts Options, fn func(*Service) error) error {
	svc, err := Open(ctx, st, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	return fn(svc)
}

// ApplyFile applies the commands of in as actor (ApplyLines), results on
// out, the counts on errs. Any refusal makes it fail, after every line.
func ApplyFile(ctx context.Context, st store.RightsStore, now func() time.Time, in io.Reader, out, errs io.Writer, actor string, pipeline int) error {
	return With(ctx, st, Options{Now: now}, func(svc *Service) error {
		applied, refused, err := ApplyLines(ctx, svc, in, out, actor, pipeline)
		if err != nil {
			return err
		}
		fmt.Fprintf(errs, "%d applied, %d refused\n", applied, refused)
		if refused > 0 {
			return fmt.Errorf("%d of %d commands refused", refused, applied+refused)
		}
		return nil
	})
}

// ParseHead reads a published head hash in hex; "" is none (nil).
func ParseHead(s string) (*rights.Digest, error) {
	if s == "" {
		return nil, nil
	}
	var d rights.Digest
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return nil, fmt.Errorf("want %d hex digits", 2*len(d))
	}
	copy(d[:], b)
	return &d, nil
}

// WriteTo prints what a verification of source found; a ledger held
// against no head and no checkpoint gets a warning on errs, since entries
// removed from its end would go unnoticed.
func (v Verified) WriteTo(out, errs io.Writer, source string, headGiven bool) {
	fmt.Fprintf(out, "%s: verified %d entries (hash chain, commands, invariants); head %s\n", source, v.Entries, v.Head)
	for _, c := range v.Checkpoints {
		fmt.Fprintf(out, "checkpoint of %s holds: entry %d, %s\n", c.At.Format(time.RFC3339), c.Seq, c.Head)
	}
	if !headGiven && len(v.Checkpoints) == 0 {
		fmt.Fprintln(errs, "warning: no checkpoint found: entries removed from the end would go unnoticed (ecowatch rights checkpoint, or --head)")
	}
}

// Report builds a report from the stored ledger, verified first: a report
// over a broken chain would certify nothing.
func Report(ctx context.Context, st store.RightsStore, q rightsreport.Query) (rightsreport.Report, error) {
	es, err := LoadEntries(ctx, st)
	if err != nil {
		return nil, err
	}
	if err := rights.Verify(es); err != nil {
		return nil, fmt.Errorf("the stored ledger fails verification, no report: %w", err)
	}
	return rightsreport.Build(es, q)
}
