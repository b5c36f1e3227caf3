// Package storetest gives a test fresh stores, on SQLite and on
// PostgreSQL, so that code which runs on the store is tested on both
// (Run) the same way everywhere. PostgreSQL databases come from pgtest
// (ECOWATCH_TEST_PG, which ./test.sh provides): a missing server fails the
// test instead of skipping it.
//
// It is imported by tests only, never by the running system. The store
// package's own tests cannot import it (it imports the store); they use
// pgtest directly.
package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Backend names one store implementation.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends lists every implementation, in the order Run runs them.
var Backends = []Backend{SQLite, Postgres}

// Options are those Open and OpenDSN use. SQLite's synchronous pragma is
// "normal": a test process may crash but never loses power, and "normal"
// survives a crash (see store.Options.Synchronous) while saving an fsync
// per commit. PostgreSQL ignores it.
var Options = store.Options{Synchronous: "normal"}

// SQLiteDSN is the DSN of the database file ecowatch.db in dir, for tests
// that keep the database in a data directory of their own (backups,
// restarts) or hand the DSN to a command.
func SQLiteDSN(dir string) string {
	return "sqlite:" + filepath.Join(dir, "ecowatch.db")
}

// DSN returns the DSN of a fresh database of b without data, removed when
// t ends. A PostgreSQL one is already migrated: it is a copy of a template
// database migrated once for every test binary of the same migrations
// (see PostgresTemplate); a SQLite one is a file not created yet, which
// the first store opened on it migrates.
func DSN(t testing.TB, b Backend) string {
	t.Helper()
	switch b {
	case SQLite:
		return SQLiteDSN(t.TempDir())
	case Postgres:
		tpl, err := PostgresTemplate()
		if err != nil {
			t.Fatal(err)
		}
		return pgtest.DatabaseFrom(t, "ecowatch_test", tpl)
	}
	t.Fatalf("storetest: unknown backend %q", b)
	return ""
}

var template struct {
	once sync.Once
	name string
	err  error
}

// PostgresTemplate returns the name of the PostgreSQL database (on the
// server of pgtest.Env) holding the store's schema and nothing else,
// migrating it when no test binary did yet. Its name carries the digest of
// the migrations, so binaries built from the same migrations share it, in
// parallel and from one run to the next, and a changed migration gets a
// new one. Copying it takes a fraction of migrating a database anew (about
// a second and a half per database on a busy machine).
func PostgresTemplate() (string, error) {
	template.once.Do(func() {
		digest, err := store.MigrationsDigest()
		if err != nil {
			template.err = fmt.Errorf("storetest: %w", err)
			return
		}
		name := "ecowatch_tpl_" + digest[:16]
		template.err = pgtest.Template(context.Background(), os.Getenv(pgtest.Env), name, func(ctx context.Context, dsn string) error {
			st, err := store.Open(ctx, dsn, Options)
			if err != nil {
				return err
			}
			return st.Close()
		})
		template.name = name
	})
	return template.name, template.err
}

// OpenDSN opens (and migrates) the store at dsn and closes it when t ends.
func OpenDSN(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, Options)
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Open opens a fresh store of b without data (a database from DSN),
// closed and removed when t ends.
func Open(t testing.TB, b Backend) store.Store {
	t.Helper()
	return OpenDSN(t, DSN(t, b))
}

// Each runs fn as one subtest per backend, named for it, for tests that
// need the DSN itself (to reopen the store, or to hand it to a command).
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(string(b), func(t *testing.T) { fn(t, b) })
	}
}

// Run runs fn as one subtest per backend, each on a fresh store.
func Run(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	Each(t, func(t *testing.T, b Backend) { fn(t, Open(t, b)) })
}

// Import imports the registry reg into st.
func Import(t testing.TB, st store.Store, reg *model.Registry) {
	t.Helper()
	if err := st.ImportRegistry(context.Background(), reg); err != nil {
		t.Fatalf("storetest: import registry: %v", err)
	}
}

// Seed imports reg into the store at dsn (created when it is a new
// SQLite file) and closes it again, for a test whose code under test
// opens the store itself (a role, the app, a command).
func Seed(t testing.TB, dsn string, reg *model.Registry) {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, Options)
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	defer st.Close()
	Import(t, st, reg)
}
