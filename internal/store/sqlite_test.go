package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

func sqliteTarget() target {
	return target{
		dsn: func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "ecowatch.db") },
		raw: func(t *testing.T, dsn string) *sql.DB {
			db, err := sql.Open("sqlite", dsn[len("sqlite:"):])
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		ph: func(int) string { return "?" },
	}
}

func TestSQLite(t *testing.T) { runSuite(t, sqliteTarget()) }
