package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RestoreOptions configures Restore.
type RestoreOptions struct {
	// From is the backup directory.
	From string
	// DataDir is the target data directory: the store goes to
	// <DataDir>/ecowatch.db (unless DB says otherwise), the evidence to
	// <DataDir>/evidence and the checkpoints to CheckpointDir.
	DataDir       string
	DB            string
	CheckpointDir string
	// Force replaces an existing store (which no process may have open).
	// The replaced files are kept beside it, renamed with the suffix
	// .before-restore-<time>.
	Force bool
	Log   *slog.Logger
	Now   func() time.Time
}

// ErrExists is returned by Restore when the target store exists and Force
// is not set.
var ErrExists = errors.New("the target store exists")

// ErrInUse is returned by Restore when the target store is open in a
// running process.
var ErrInUse = errors.New("the target store is in use")

// Restore verifies the backup at o.From, writes it into the target data
// directory and verifies what it wrote (the database's integrity, row
// counts and ledger against the manifest; every file's SHA-256). It
// refuses to replace an existing store unless o.Force is set, and refuses
// always when a process has that store open. The store is put in place
// last, by rename: an interrupted restore leaves the old store (or none).
func Restore(ctx context.Context, o RestoreOptions) (*Manifest, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DataDir == "" {
		return nil, errors.New("restore: no target data directory")
	}
	if o.DB == "" {
		o.DB = filepath.Join(o.DataDir, DBName)
	}
	o.DB = strings.TrimPrefix(strings.TrimPrefix(o.DB, "sqlite:"), "//")
	if strings.Contains(o.DB, "://") {
		return nil, errors.New("restore: the target must be a SQLite file; a PostgreSQL store is restored with pg_restore (README: Backups, restore and upgrades)")
	}
	if o.CheckpointDir == "" {
		o.CheckpointDir = filepath.Join(o.DataDir, CheckpointsDir)
	}
	m, err := Verify(ctx, o.From)
	if err != nil {
		return nil, fmt.Errorf("restore: the backup does not verify: %w", err)
	}
	exists := false
	for _, suf := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(o.DB + suf); err == nil {
			exists = true
		}
	}
	if exists && !o.Force {
		return m, fmt.Errorf("restore: %w: %s (pass --force to replace it; the old files are kept as %s.before-restore-<time>)", ErrExists, o.DB, filepath.Base(o.DB))
	}
	if exists {
		if err := notInUse(ctx, o.DB); err != nil {
			return m, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(o.DB), 0o750); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	// The evidence first: content-addressed, so files already there with
	// the right sum are kept, and an extra file harms nobody.
	for _, f := range m.Evidence {
		dst := filepath.Join(o.DataDir, filepath.FromSlash(f.Path))
		if got, err := fileSum(o.DataDir, f.Path); err == nil && got.SHA256 == f.SHA256 {
			continue
		} else if err == nil {
			o.Log.Warn("restore: replacing a damaged evidence file", "path", dst, "sha256", got.SHA256)
		}
		w, err := copyFile(filepath.Join(o.From, filepath.FromSlash(f.Path)), o.DataDir, f.Path)
		if err != nil {
			return m, fmt.Errorf("restore: evidence: %w", err)
		}
		if w.SHA256 != f.SHA256 {
			return m, fmt.Errorf("restore: evidence %s was written with SHA-256 %s, manifest %s", dst, w.SHA256, f.SHA256)
		}
	}
	suffix := ".before-restore-" + o.Now().UTC().Format("20060102T150405Z")
	for _, f := range m.Files {
		rel, ok := strings.CutPrefix(f.Path, CheckpointsDir+"/")
		if !ok {
			continue
		}
		dst := filepath.Join(o.CheckpointDir, filepath.FromSlash(rel))
		if _, err := os.Stat(dst); err == nil {
			if err := os.Rename(dst, dst+suffix); err != nil {
				return m, fmt.Errorf("restore: %w", err)
			}
		}
		tmpDir := filepath.Dir(dst)
		w, err := copyFile(filepath.Join(o.From, filepath.FromSlash(f.Path)), tmpDir, filepath.Base(dst))
		if err != nil {
			return m, fmt.Errorf("restore: rights checkpoints: %w", err)
		}
		if w.SHA256 != f.SHA256 {
			return m, fmt.Errorf("restore: %s was written with SHA-256 %s, manifest %s", dst, w.SHA256, f.SHA256)
		}
	}
	// The store: copied beside the target, verified, then renamed over it.
	staged := o.DB + ".restoring"
	os.Remove(staged)
	w, err := copyFile(filepath.Join(o.From, filepath.FromSlash(m.Database.Path)), filepath.Dir(o.DB), filepath.Base(staged))
	if err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(staged)
	if w.SHA256 != m.Database.SHA256 {
		return m, fmt.Errorf("restore: %s was written with SHA-256 %s, manifest %s", staged, w.SHA256, m.Database.SHA256)
	}
	st, _, err := inspect(ctx, staged)
	if err != nil {
		return m, fmt.Errorf("restore: verify %s: %w", staged, err)
	}
	if err := st.matches(m); err != nil {
		return m, fmt.Errorf("restore: verify %s: %w", staged, err)
	}
	if exists {
		// The WAL and shared-memory files belong to the old database: left
		// beside the new one, SQLite would apply them to it.
		for _, suf := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(o.DB+suf, o.DB+suf+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return m, fmt.Errorf("restore: keep the old store: %w", err)
			}
		}
	}
	if err := os.Rename(staged, o.DB); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(filepath.Dir(o.DB)); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	// Read back the store in place.
	st, _, err = inspect(ctx, o.DB)
	if err != nil {
		return m, fmt.Errorf("restore: verify %s: %w", o.DB, err)
	}
	if err := st.matches(m); err != nil {
		return m, fmt.Errorf("restore: verify %s: %w", o.DB, err)
	}
	for _, f := range m.Evidence {
		got, err := fileSum(o.DataDir, f.Path)
		if err != nil || got.SHA256 != f.SHA256 {
			return m, fmt.Errorf("restore: evidence %s does not verify after writing (%v)", f.Path, err)
		}
	}
	o.Log.Info("restored", "from", o.From, "to", o.DB, "rows", m.Rows(), "evidence", len(m.Evidence))
	return m, nil
}

// notInUse checks that no process has the SQLite store at path open: a
// running ecowatch keeps connections to it, and leaving WAL mode needs
// every other connection closed. It returns ErrInUse if one is.
func notInUse(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	u := url.URL{Path: abs}
	db, err := sql.Open("sqlite", "file:"+u.EscapedPath()+"?_pragma=busy_timeout(2000)")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("restore: %w: %s (stop ecowatch first): %v", ErrInUse, path, err)
	}
	if mode != "delete" {
		return fmt.Errorf("restore: %w: %s is still in %s mode after asking to leave it (stop ecowatch first)", ErrInUse, path, mode)
	}
	return nil
}
