package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/store"
)

func runOps(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func newStore(t *testing.T, dir string) string {
	t.Helper()
	os.MkdirAll(dir, 0o750)
	p := filepath.Join(dir, "ecowatch.db")
	st, err := store.Open(context.Background(), "sqlite:"+p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return p
}

// TestVersionAndNewerSchema: version prints the schema version the binary
// needs and that of --db; a database migrated by a newer binary is named
// as such, and serve refuses to start on it with both versions named.
func TestVersionAndNewerSchema(t *testing.T) {
	dir := t.TempDir()
	p := newStore(t, dir)
	latest := store.LatestSchemaVersion()
	code, out, errs := runOps(t, "version", "--db", p)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("schema version %d\n", latest)) ||
		!strings.Contains(out, fmt.Sprintf("database schema version %d: current", latest)) {
		t.Fatalf("version --db: exit %d\n%s%s", code, out, errs)
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')`, latest+3); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = runOps(t, "version", "--db", "sqlite:"+p)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("database schema version %d: newer than this binary's %d", latest+3, latest)) {
		t.Fatalf("version --db of a newer database: exit %d\n%s", code, out)
	}
	code, _, errs = runOps(t, "serve", "--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--http-addr", "")
	want := fmt.Sprintf("the database is at schema version %d, this binary's newest migration is %d", latest+3, latest)
	t.Logf("serve on a newer database: %s", errs)
	if code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("serve on a newer database: exit %d, stderr %q; want exit 1 naming %q", code, errs, want)
	}
}

// TestBackupRestoreCommands: backup, backup verify and restore, and
// restore's refusal to replace a store without --force.
func TestBackupRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	newStore(t, data)
	out := filepath.Join(dir, "b")
	code, so, se := runOps(t, "backup", "--data-dir", data, "--out", out)
	if code != 0 || !strings.Contains(so, "integrity ok") {
		t.Fatalf("backup: exit %d\n%s%s", code, so, se)
	}
	if code, so, se = runOps(t, "backup", "verify", out); code != 0 || !strings.Contains(so, "verified") {
		t.Fatalf("backup verify: exit %d\n%s%s", code, so, se)
	}
	target := filepath.Join(dir, "t")
	if code, so, se = runOps(t, "restore", "--from", out, "--data-dir", target); code != 0 || !strings.Contains(so, "verified") {
		t.Fatalf("restore: exit %d\n%s%s", code, so, se)
	}
	if code, _, se = runOps(t, "restore", "--from", out, "--data-dir", target); code != 2 || !strings.Contains(se, "--force") {
		t.Fatalf("restore over a store: exit %d, %s", code, se)
	}
	if code, so, se = runOps(t, "restore", "--from", out, "--data-dir", target, "--force"); code != 0 {
		t.Fatalf("restore --force: exit %d\n%s%s", code, so, se)
	}
	if code, _, se = runOps(t, "serve", "--backup-dir", dir, "--backup-keep", "0"); code != 2 || !strings.Contains(se, "backup-keep") {
		t.Fatalf("serve --backup-keep 0: exit %d, %s", code, se)
	}
}
