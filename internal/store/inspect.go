package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// LatestSchemaVersion is the schema version this binary migrates to: the
// number of the newest embedded migration (the same for both dialects).
func LatestSchemaVersion() int {
	ms, err := loadMigrations("sqlite")
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Inspector reads a database without migrating or otherwise changing it:
// its schema version, its tables' row counts, SQLite's integrity check and
// (through the promoted RightsEntries and RightsHead) the emission-rights
// ledger. Backups, restores and `ecowatch version --db` use it; the ledger
// methods need a schema at which the ledger has its current columns
// (check SchemaVersion against LatestSchemaVersion first).
type Inspector struct {
	sqlBase
	db      *sql.DB
	Dialect string // "sqlite" or "postgres"
}

// Inspect opens dsn (as Open understands it) for reading without
// migrating. A SQLite file that does not exist is an error, not a new
// database.
func Inspect(ctx context.Context, dsn string) (*Inspector, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("inspect postgres %s: %w", redactDSN(dsn), err)
		}
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(2)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("inspect postgres %s: %w", redactDSN(dsn), err)
		}
		return &Inspector{sqlBase: sqlBase{r: db, w: db, postgres: true}, db: db, Dialect: "postgres"}, nil
	case dsn == "":
		return nil, fmt.Errorf("inspect store: empty DSN")
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("inspect store: unsupported DSN scheme in %q (want sqlite:<path> or postgres://)", redactDSN(dsn))
	}
	p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("inspect sqlite %s: %w", p, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("inspect sqlite: %w", err)
	}
	// No journal_mode pragma: the file keeps the mode it has. query_only
	// refuses any write.
	db, err := sql.Open("sqlite", sqliteFileURI(abs)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("inspect sqlite %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("inspect sqlite %s: %w", abs, err)
	}
	return &Inspector{sqlBase: sqlBase{r: db, w: db}, db: db, Dialect: "sqlite"}, nil
}

func sqliteFileURI(abs string) string {
	u := url.URL{Path: abs}
	return "file:" + u.EscapedPath()
}

// Close closes the database.
func (i *Inspector) Close() error { return i.db.Close() }

// SchemaVersion is the newest migration recorded in the database (0 for a
// database ecowatch never migrated).
func (i *Inspector) SchemaVersion(ctx context.Context) (int, error) {
	var exists int
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if i.postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	if err := i.db.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v int
	if err := i.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Tables lists the database's own tables, sorted (SQLite's internal
// tables and PostgreSQL's partitions left out: a partitioned table counts
// its partitions' rows).
func (i *Inspector) Tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if i.postgres {
		q = `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`
	}
	rows, err := i.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// RowCounts counts the rows of every table (Tables) in one read
// transaction, so that the counts are of one state of the database.
func (i *Inspector) RowCounts(ctx context.Context) (map[string]int64, error) {
	names, err := i.Tables(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := i.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&c); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", n, err)
		}
		counts[n] = c
	}
	return counts, nil
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check and returns its
// report ("ok" for a sound file). PostgreSQL has no such check: "n/a".
func (i *Inspector) IntegrityCheck(ctx context.Context) (string, error) {
	if i.postgres {
		return "n/a", nil
	}
	rows, err := i.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return strings.Join(lines, "; "), nil
}

// EvidenceHashes lists the SHA-256 names of the evidence files the
// attachments table refers to (none before the cases schema).
func (i *Inspector) EvidenceHashes(ctx context.Context) ([]string, error) {
	names, err := i.Tables(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(names, "attachments") {
		return nil, nil
	}
	rows, err := i.db.QueryContext(ctx, `SELECT hash FROM attachments ORDER BY hash`)
	if err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	defer rows.Close()
	var hs []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("list evidence: %w", err)
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}
