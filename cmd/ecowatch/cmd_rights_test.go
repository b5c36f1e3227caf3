package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/golden"
)

func rightsRun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"rights"}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestRightsCommands applies a script with refusals (an overdraft, a key
// reused with another body, an unknown command), then checks balances, the
// reservoir, a unit's history, export and verification of the export, and
// that a tampered export fails verification.
func TestRightsCommands(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--data-dir", dir}
	out, errs, code := rightsRun(t, "", append([]string{"apply", "testdata/rights/basic.jsonl", "--now", "2025-03-01T09:00:00+08:00"}, db...)...)
	if code != 1 || !strings.Contains(errs, "9 applied, 3 refused") {
		t.Fatalf("apply: code %d, stderr %q", code, errs)
	}
	golden.CheckString(t, "testdata/rights/basic.apply.golden", out)

	// Applying the same file again changes nothing: every accepted command
	// is a repeat that returns its original result (the refusals are judged
	// again, against the new balances).
	again, _, _ := rightsRun(t, "", append([]string{"apply", "testdata/rights/basic.jsonl", "--now", "2025-03-02T09:00:00+08:00"}, db...)...)
	if a, b := acceptedLines(again), acceptedLines(out); a != b || a == "" {
		t.Errorf("re-applying the script gave other results:\n%s", again)
	}

	steps := []struct {
		golden string
		args   []string
	}{
		{"basic.balance.golden", []string{"balance"}},
		{"basic.balance_b.golden", []string{"balance", "--account", "ent:91371500MA3C000002", "--json"}},
		{"basic.reservoir.golden", []string{"reservoir", "--year", "2025"}},
		{"basic.history.golden", []string{"history", "--pollutant", "NOx", "--serial", "2000000"}},
	}
	for _, s := range steps {
		out, errs, code := rightsRun(t, "", append(s.args, db...)...)
		if code != 0 {
			t.Fatalf("%v: code %d: %s", s.args, code, errs)
		}
		golden.CheckString(t, "testdata/rights/"+s.golden, out)
	}

	export := filepath.Join(dir, "ledger.jsonl")
	if _, errs, code := rightsRun(t, "", append([]string{"export", export}, db...)...); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	out, errs, code = rightsRun(t, "", "verify", export)
	if code != 0 || !strings.Contains(out, "verified 18 entries") {
		t.Fatalf("verify export: code %d %q %q", code, out, errs)
	}
	if out, _, code := rightsRun(t, "", append([]string{"verify"}, db...)...); code != 0 || !strings.Contains(out, "verified 18 entries") {
		t.Fatalf("verify store: code %d %q", code, out)
	}
	// Tamper with one amount in the export: verification names the entry.
	b, _ := os.ReadFile(export)
	bad := strings.Replace(string(b), `"amount":3000000`, `"amount":3000001`, 1)
	if bad == string(b) {
		t.Fatal("nothing to tamper with")
	}
	os.WriteFile(export, []byte(bad), 0o644)
	_, errs, code = rightsRun(t, "", "verify", export)
	if code == 0 || !strings.Contains(errs, "NOT verified") || !strings.Contains(errs, "hash chain broken") {
		t.Fatalf("tampered export: code %d, stderr %q", code, errs)
	}
	// A wrong published head is detected.
	_, errs, code = rightsRun(t, "", append([]string{"verify", "--head", strings.Repeat("0", 64)}, db...)...)
	if code == 0 || !strings.Contains(errs, "published") {
		t.Fatalf("verify --head: code %d, stderr %q", code, errs)
	}
	// Tamper with the store: verify fails.
	sq, err := sql.Open("sqlite", filepath.Join(dir, "ecowatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if _, err := sq.Exec(`DELETE FROM rights_entries WHERE seq = 14`); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := rightsRun(t, "", append([]string{"verify"}, db...)...); code == 0 || !strings.Contains(errs, "entry 15: hash chain broken") {
		t.Fatalf("verify of a store with a deleted entry: code %d, %q", code, errs)
	}
}

// Deleting the last entries leaves an intact chain; the checkpoint (file
// and audit record) detects it, and a new checkpoint is refused rather
// than anchoring the cut ledger.
func TestRightsCheckpointDetectsTruncation(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--data-dir", dir}
	if _, errs, code := rightsRun(t, "", append([]string{"apply", "testdata/rights/basic.jsonl", "--now", "2025-03-01T09:00:00+08:00"}, db...)...); code != 1 {
		t.Fatalf("apply: %d %s", code, errs)
	}
	_, errs, code := rightsRun(t, "", append([]string{"verify"}, db...)...)
	if code != 0 || !strings.Contains(errs, "no checkpoint") {
		t.Fatalf("verify without a checkpoint: %d %q", code, errs)
	}
	out, errs, code := rightsRun(t, "", append([]string{"checkpoint"}, db...)...)
	if code != 0 || !strings.Contains(out, "checkpoint: entry 18") {
		t.Fatalf("checkpoint: %d %q %q", code, out, errs)
	}
	file := filepath.Join(dir, "rights-checkpoints", "rights-checkpoints.jsonl")
	b, err := os.ReadFile(file)
	if err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"seq":18`) {
		t.Fatalf("checkpoint file: %v %q", err, b)
	}
	if out, _, code := rightsRun(t, "", append([]string{"verify"}, db...)...); code != 0 || strings.Count(out, "checkpoint of") != 2 {
		t.Fatalf("verify with checkpoints: %d %q", code, out)
	}
	sq, err := sql.Open("sqlite", filepath.Join(dir, "ecowatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if _, err := sq.Exec(`DELETE FROM rights_entries WHERE seq > 15`); err != nil {
		t.Fatal(err)
	}
	// An export of the cut ledger against the file; the store against the
	// file and the audit record; then against the audit record alone.
	export := filepath.Join(t.TempDir(), "cut.jsonl")
	if _, errs, code := rightsRun(t, "", append([]string{"export", export}, db...)...); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	for _, args := range [][]string{{"verify", export, "--checkpoints", filepath.Dir(file)}, append([]string{"verify"}, db...)} {
		_, errs, code := rightsRun(t, "", args...)
		if code == 0 || !strings.Contains(errs, "NOT verified") || !strings.Contains(errs, "entries were removed") {
			t.Errorf("%v after truncation: code %d, %q", args, code, errs)
		}
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := rightsRun(t, "", append([]string{"verify"}, db...)...); code == 0 || !strings.Contains(errs, "entries were removed") {
		t.Errorf("verify against the audit record: code %d, %q", code, errs)
	}
	if _, errs, code := rightsRun(t, "", append([]string{"checkpoint"}, db...)...); code == 0 || !strings.Contains(errs, "refused") {
		t.Errorf("checkpoint of a cut ledger: code %d, %q", code, errs)
	}
}

func TestRightsUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"history"}, {"balance", "extra"}} {
		if _, _, code := rightsRun(t, "", args...); code != 2 {
			t.Errorf("rights %v: exit %d, want 2", args, code)
		}
	}
}

func acceptedLines(out string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.Contains(l, `"result"`) {
			b.WriteString(l)
		}
	}
	return b.String()
}
