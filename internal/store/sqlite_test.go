package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

func sqliteTarget() target {
	newFile := func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "ecowatch.db") }
	return target{
		dsn:   newFile,
		empty: newFile,
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

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		dsn  string
		opts Options
		ok   bool
	}{
		{"sqlite:" + filepath.Join(dir, "a.db"), Options{}, true},
		{filepath.Join(dir, "b.db"), Options{Synchronous: "normal"}, true},
		{"sqlite://" + filepath.Join(dir, "c.db"), Options{Synchronous: "FULL"}, true},
		{filepath.Join(dir, "we?ird #name.db"), Options{}, true},
		{filepath.Join(dir, "d.db"), Options{Synchronous: "off"}, false}, // acks must survive power loss
		{"", Options{}, false},
		{":memory:", Options{}, false},
		{"mysql://u@h/db", Options{}, false},
	}
	for _, c := range cases {
		s, err := Open(t.Context(), c.dsn, c.opts)
		if (err == nil) != c.ok {
			t.Errorf("Open(%q, %+v): err = %v, want ok=%v", c.dsn, c.opts, err, c.ok)
		}
		if s != nil {
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping %q: %v", c.dsn, err)
			}
			s.Close()
		}
	}
}

func TestRedactDSN(t *testing.T) {
	got := redactDSN("postgres://eco:s3cret@db:5432/eco?sslmode=disable")
	if got != "postgres://eco:xxxxx@db:5432/eco?sslmode=disable" {
		t.Fatalf("redactDSN = %q", got)
	}
}
