package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// Migrations live in migrations/<dialect>/NNNN_name.sql. Each is applied
// in its own transaction and recorded in schema_migrations; a database
// whose recorded version is newer than the newest embedded migration is
// refused, because this binary does not know its schema.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer ecowatch than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations %s: %w", dir, err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad version number", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		if len(ms) > 0 && ms[len(ms)-1].version != v-1 || len(ms) == 0 && v != 1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3, ... without gaps", name)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	return ms, nil
}

// schemaMigrationsDDL creates the table recording the applied migrations
// (part of every schema, so MigrationsDigest covers it).
const schemaMigrationsDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`

// MigrationsDigest is a hex SHA-256 over what Open runs to migrate an
// empty PostgreSQL database: two binaries with the same digest build the
// same schema. The tests name the migrated template database they copy
// per test after it, so that a changed migration gets a template of its
// own instead of a stale one.
func MigrationsDigest() (string, error) {
	ms, err := loadMigrations(postgresMigrate.name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", schemaMigrationsDDL, postgresMigrate.insert)
	for _, m := range ms {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00", m.version, m.name, m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// migrateDialect describes what differs between the dialects here.
type migrateDialect struct {
	name string
	// lock is run first in each migration transaction so that two
	// processes opening the same database migrate one after the other.
	// SQLite needs none: its write transactions are BEGIN IMMEDIATE.
	lock string
	// insert records a migration (version, name, applied_at).
	insert string
}

var (
	sqliteMigrate = migrateDialect{
		name:   "sqlite",
		insert: `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
	}
	postgresMigrate = migrateDialect{
		name:   "postgres",
		lock:   `SELECT pg_advisory_xact_lock(212212212)`,
		insert: `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
	}
)

// migrate applies the pending embedded migrations of d to db and returns
// the schema version.
func migrate(ctx context.Context, db *sql.DB, d migrateDialect) (int, error) {
	return migrateTo(ctx, db, d, 0)
}

// migrateTo applies the pending migrations up to version upTo (0: all);
// the upgrade tests build each earlier schema with it. A database newer
// than every embedded migration is refused whatever upTo is.
func migrateTo(ctx context.Context, db *sql.DB, d migrateDialect, upTo int) (int, error) {
	ms, err := loadMigrations(d.name)
	if err != nil {
		return 0, err
	}
	known := len(ms)
	if upTo > 0 && upTo < len(ms) {
		ms = ms[:upTo]
	}
	if _, err := db.ExecContext(ctx, schemaMigrationsDDL); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	version := 0
	for _, m := range ms {
		applied, err := applyMigration(ctx, db, d, m, known)
		if err != nil {
			return 0, err
		}
		version = max(version, applied)
	}
	if len(ms) == 0 {
		// Still refuse a newer schema.
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return 0, fmt.Errorf("read schema version: %w", err)
		}
		if version > 0 {
			return 0, fmt.Errorf("%w: the database is at schema version %d, this binary's newest migration is 0", ErrSchemaTooNew, version)
		}
	}
	return version, nil
}

// applyMigration applies m unless the database is at m.version or later,
// and returns the database's version afterwards.
func applyMigration(ctx context.Context, db *sql.DB, d migrateDialect, m migration, known int) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migration %s: begin: %w", m.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if d.lock != "" {
		if _, err := tx.ExecContext(ctx, d.lock); err != nil {
			return 0, fmt.Errorf("migration %s: lock: %w", m.name, err)
		}
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("migration %s: read schema version: %w", m.name, err)
	}
	if current > known {
		return 0, fmt.Errorf("%w: the database is at schema version %d, this binary's newest migration is %d (run the ecowatch that migrated it, or restore a backup taken before that upgrade)", ErrSchemaTooNew, current, known)
	}
	if current >= m.version {
		return current, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return 0, fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, d.insert, m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return 0, fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return m.version, nil
}
