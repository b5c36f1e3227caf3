// Package pgtest gives a test a PostgreSQL database of its own, created on
// the server ECOWATCH_TEST_PG names and dropped after the test. CI always
// sets ECOWATCH_TEST_PG (.ci/run; the README's test command defaults it to
// the local server), so a missing one fails the test instead of skipping
// it: a skipped test proves nothing.
//
// It is imported by tests only (and the bench commands), never by the
// running system.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Env names the variable holding the administrative DSN.
const Env = "ECOWATCH_TEST_PG"

var prefixOK = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Database creates a fresh database named prefix_<random> and returns its
// DSN; the database is dropped (with its connections) when t ends.
func Database(t testing.TB, prefix string) string {
	t.Helper()
	return DatabaseFrom(t, prefix, "")
}

// DatabaseFrom is Database copying template (a database Template made;
// "" is the server's empty template1).
func DatabaseFrom(t testing.TB, prefix, template string) string {
	t.Helper()
	dsn, drop, err := CreateFrom(context.Background(), os.Getenv(Env), prefix, template)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// Create makes a fresh database on the server of admin (a postgres:// DSN)
// and returns its DSN and a function that drops it.
func Create(ctx context.Context, admin, prefix string) (dsn string, drop func(context.Context) error, err error) {
	return CreateFrom(ctx, admin, prefix, "")
}

// CreateFrom is Create copying template ("": the server's default, the
// empty template1). The copy is what a test gets instead of building the
// same schema again (a second and a half of migrations per database).
func CreateFrom(ctx context.Context, admin, prefix, template string) (dsn string, drop func(context.Context) error, err error) {
	if template != "" && !prefixOK.MatchString(template) {
		return "", nil, fmt.Errorf("pgtest: template %q: want lower-case letters, digits and _", template)
	}
	if admin == "" {
		return "", nil, fmt.Errorf("pgtest: %s is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", Env)
	}
	if !prefixOK.MatchString(prefix) {
		return "", nil, fmt.Errorf("pgtest: database prefix %q: want lower-case letters, digits and _", prefix)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("pgtest: %s must be a postgres:// URL", Env)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := prefix + "_" + hex.EncodeToString(rnd[:])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: connect to %s: %w", Env, err)
	}
	defer conn.Close(ctx)
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if err := execWhileInUse(ctx, conn, create); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	drop = func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Template makes sure the database name exists on the server of admin,
// creating it (when it does not) empty and having build fill it through
// the DSN it is given. build must close every connection it opened before
// returning: a database is copied only while nobody is connected to it.
//
// The template is kept on the server for later test binaries, so name
// must say what build puts in it (storetest names it after the
// migrations' digest). It is published under name only once built, with
// connections refused from then on, so that no session (autovacuum
// included) can be connected to it while CreateFrom copies it, and no
// test can change it. Concurrent callers (test binaries running in
// parallel) build it once: the first takes an advisory lock named after
// it, the others wait for the lock and find it built.
func Template(ctx context.Context, admin, name string, build func(ctx context.Context, dsn string) error) error {
	if admin == "" {
		return fmt.Errorf("pgtest: %s is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", Env)
	}
	// The name leaves room for the suffix of the database being built.
	if !prefixOK.MatchString(name) || len(name) > 50 {
		return fmt.Errorf("pgtest: template name %q: want at most 50 lower-case letters, digits and _", name)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("pgtest: %s must be a postgres:// URL", Env)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("pgtest: connect to %s: %w", Env, err)
	}
	defer conn.Close(ctx)
	exists := func() (bool, error) {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n)
		return n > 0, err
	}
	if ok, err := exists(); err != nil || ok {
		if err != nil {
			return fmt.Errorf("pgtest: template %s: %w", name, err)
		}
		return nil
	}
	key := fnv.New64a()
	key.Write([]byte("ecowatch pgtest template " + name))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(key.Sum64())); err != nil {
		return fmt.Errorf("pgtest: template %s: lock: %w", name, err)
	}
	// Closing the connection releases the lock too; unlocking explicitly
	// lets the waiting binaries go on before the deferred Close.
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(key.Sum64())) //nolint:errcheck // Close releases it anyway
	if ok, err := exists(); err != nil || ok {
		if err != nil {
			return fmt.Errorf("pgtest: template %s: %w", name, err)
		}
		return nil
	}
	// A build that a killed binary left half done has this name; the lock
	// says nobody is building it now.
	building := name + "_build"
	var stale int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1 AND datistemplate`, building).Scan(&stale); err != nil {
		return fmt.Errorf("pgtest: template %s: %w", name, err)
	}
	if stale > 0 { // killed between marking it a template and renaming it
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" IS_TEMPLATE false"); err != nil {
			return fmt.Errorf("pgtest: template %s: unmark the unfinished %s: %w", name, building, err)
		}
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: template %s: drop the unfinished %s: %w", name, building, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return fmt.Errorf("pgtest: template %s: create %s: %w", name, building, err)
	}
	u.Path = "/" + building
	if err := build(ctx, u.String()); err != nil {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)") //nolint:errcheck // the build's error says more
		return fmt.Errorf("pgtest: template %s: build: %w", name, err)
	}
	// build's connections may still be ending on the server when it
	// returns; execWhileInUse waits for them.
	if err := execWhileInUse(ctx, conn, "ALTER DATABASE "+building+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("pgtest: template %s: %w", name, err)
	}
	if err := execWhileInUse(ctx, conn, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return fmt.Errorf("pgtest: template %s: %w", name, err)
	}
	return nil
}

// execWhileInUse runs sql (a statement that needs a database nobody is
// connected to) again while the server answers that the database is being
// accessed by other users: a closed connection's server process may take
// a moment to end, and CREATE DATABASE waits only five seconds for one.
func execWhileInUse(ctx context.Context, conn *pgx.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (still in use: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}
