package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
)

// Snapshot methods for SnapshotSQLite.
const (
	// SnapshotVacuumInto writes the copy with VACUUM INTO: one read
	// transaction on the source (WAL lets the writer go on committing),
	// the copy rebuilt table by table, so it holds no free pages.
	SnapshotVacuumInto = "vacuum-into"
	// SnapshotBackupAPI copies the source's pages with SQLite's online
	// backup API in one step (one read transaction as well; a stepwise
	// copy would restart whenever the writer commits, which the gateway
	// does many times a second).
	SnapshotBackupAPI = "backup-api"
)

// SnapshotSQLite writes a consistent copy of the SQLite database at src
// (which may be in use by a running ecowatch: the copy is of one committed
// state, and commits go on meanwhile) to the new file dst, in rollback-
// journal mode so that the copy is one self-contained file, synced.
func SnapshotSQLite(ctx context.Context, src, dst, method string) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", src, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("snapshot: %s exists", dst)
	}
	db, err := sql.Open("sqlite", sqliteFileURI(abs)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", abs, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	switch method {
	case SnapshotVacuumInto, "":
		if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
			os.Remove(dst)
			return fmt.Errorf("snapshot %s: VACUUM INTO: %w", abs, err)
		}
	case SnapshotBackupAPI:
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", abs, err)
		}
		err = conn.Raw(func(dc any) error {
			b, ok := dc.(interface {
				NewBackup(string) (*sqlite.Backup, error)
			})
			if !ok {
				return fmt.Errorf("driver connection %T has no backup API", dc)
			}
			bk, err := b.NewBackup(dst)
			if err != nil {
				return err
			}
			if _, err := bk.Step(-1); err != nil {
				bk.Finish()
				return err
			}
			return bk.Finish()
		})
		conn.Close()
		if err != nil {
			os.Remove(dst)
			return fmt.Errorf("snapshot %s: backup API: %w", abs, err)
		}
	default:
		return fmt.Errorf("snapshot: unknown method %q (want %s or %s)", method, SnapshotVacuumInto, SnapshotBackupAPI)
	}
	// One file: rollback-journal mode, no -wal beside it.
	out, err := sql.Open("sqlite", sqliteFileURI(dst)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", dst, err)
	}
	var mode string
	err = out.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("snapshot %s: journal mode: %w", dst, err)
	}
	return syncFile(dst)
}

// syncFile fsyncs a file and its directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}
