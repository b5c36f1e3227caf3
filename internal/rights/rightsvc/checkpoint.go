package rightsvc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Ledger anchoring: the hash chain shows an entry changed in the middle,
// not entries cut off the end, since the remaining chain is intact. So
// the head is checkpointed outside the ledger table: a line in a file
// the bureau posts (CheckpointFile in a directory) and an audit record.
// Verification then checks that the checkpointed entry is still there
// with its hash.

// Checkpoint is the ledger's head at a moment.
type Checkpoint struct {
	At   time.Time     `json:"at"`
	Seq  int64         `json:"seq"`
	Head rights.Digest `json:"head"`
}

// CheckpointFile is the name of the checkpoint file in its directory: one
// JSON object (Checkpoint) per line, oldest first.
const CheckpointFile = "rights-checkpoints.jsonl"

// Audit action and target of checkpoint records.
const (
	CheckpointAction = "rights.checkpoint"
	CheckpointTarget = "rights/head"
)

// Auditor is the audit log (store.CasesStore has it).
type Auditor interface {
	AppendAudit(ctx context.Context, a model.AuditRecord) error
	Audit(ctx context.Context, target string, limit int) ([]model.AuditRecord, error)
}

// ReadCheckpoints reads dir's checkpoint file; no file means none. A bad
// line is an error naming the file and line.
func ReadCheckpoints(dir string) ([]Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	var out []Checkpoint
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil || c.Seq <= 0 {
			return nil, fmt.Errorf("%s:%d: not a checkpoint (want {\"at\":…,\"seq\":N,\"head\":\"hex\"}): %v", path, n, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// appendCheckpoint rewrites dir's checkpoint file with c added, atomically:
// a reader (or the web server that publishes it) sees the old file or the
// new one, never half a line.
func appendCheckpoint(dir string, old []Checkpoint, c Checkpoint) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, CheckpointFile), 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, x := range append(old, c) {
			if err := enc.Encode(x); err != nil {
				return err
			}
		}
		return nil
	})
}

// AuditCheckpoint returns the newest checkpoint recorded in the audit log.
func AuditCheckpoint(ctx context.Context, au Auditor) (Checkpoint, bool, error) {
	as, err := au.Audit(ctx, CheckpointTarget, 20)
	if err != nil {
		return Checkpoint{}, false, err
	}
	for _, a := range as { // newest first
		var c Checkpoint
		if a.Action == CheckpointAction && json.Unmarshal([]byte(a.After), &c) == nil && c.Seq > 0 {
			return c, true, nil
		}
	}
	return Checkpoint{}, false, nil
}

// LastCheckpoints returns what the ledger must still hold: the last
// checkpoint of dir's file (if dir is not empty) and the newest of the
// audit log (if au is not nil).
func LastCheckpoints(ctx context.Context, dir string, au Auditor) ([]Checkpoint, error) {
	var out []Checkpoint
	if dir != "" {
		cs, err := ReadCheckpoints(dir)
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			out = append(out, cs[len(cs)-1])
		}
	}
	if au != nil {
		c, ok, err := AuditCheckpoint(ctx, au)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// VerifyCheckpoints verifies entries (rights.Verify) and that each
// checkpoint's entry is still in them with its hash.
func VerifyCheckpoints(es []rights.Entry, cps []Checkpoint) error {
	if len(cps) == 0 {
		return rights.Verify(es)
	}
	for _, c := range cps {
		if err := rights.VerifyCheckpoint(es, c.Seq, c.Head); err != nil {
			return fmt.Errorf("against the checkpoint of %s: %w", c.At.Format(time.RFC3339), err)
		}
	}
	return nil
}

// TakeCheckpoint verifies the stored ledger against the last checkpoints
// (a ledger cut short since then is not anchored anew: that would hide
// the cut) and publishes its head: a line added to dir's file (if dir is
// not empty) and an audit record by actor. An empty ledger has nothing to
// anchor: ok is false then.
func TakeCheckpoint(ctx context.Context, st store.RightsStore, au Auditor, dir, actor string, now time.Time) (c Checkpoint, ok bool, err error) {
	es, err := LoadEntries(ctx, st)
	if err != nil {
		return c, false, fmt.Errorf("checkpoint: %w", err)
	}
	var old []Checkpoint
	if dir != "" {
		if old, err = ReadCheckpoints(dir); err != nil {
			return c, false, err
		}
	}
	last, err := LastCheckpoints(ctx, "", au)
	if err != nil {
		return c, false, err
	}
	if len(old) > 0 {
		last = append(last, old[len(old)-1])
	}
	if err := VerifyCheckpoints(es, last); err != nil {
		return c, false, fmt.Errorf("checkpoint refused: the ledger fails verification: %w", err)
	}
	if len(es) == 0 {
		return c, false, nil
	}
	c = Checkpoint{At: now.UTC().Truncate(time.Second), Seq: es[len(es)-1].Seq, Head: es[len(es)-1].Hash}
	if dir != "" {
		if err := appendCheckpoint(dir, old, c); err != nil {
			return c, false, err
		}
	}
	b, _ := json.Marshal(c)
	if err := au.AppendAudit(ctx, model.AuditRecord{At: now, Actor: actor, Role: "system", Action: CheckpointAction,
		Target: CheckpointTarget, After: string(b)}); err != nil {
		return c, false, fmt.Errorf("checkpoint: audit: %w", err)
	}
	return c, true, nil
}

// CheckpointDue reports whether the last checkpoint (of dir's file, or of
// the audit log without dir) is older than every, or there is none.
func CheckpointDue(ctx context.Context, au Auditor, dir string, now time.Time, every time.Duration) (bool, error) {
	var last Checkpoint
	if dir != "" {
		cs, err := ReadCheckpoints(dir)
		if err != nil {
			return false, err
		}
		if len(cs) == 0 {
			return true, nil
		}
		last = cs[len(cs)-1]
	} else {
		c, ok, err := AuditCheckpoint(ctx, au)
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil
		}
		last = c
	}
	return now.Sub(last.At) >= every, nil
}
