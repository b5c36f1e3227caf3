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
	"fmt"
	"net/url"
	"os"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the administrative DSN.
const Env = "ECOWATCH_TEST_PG"

var prefixOK = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Database creates a fresh database named prefix_<random> and returns its
// DSN; the database is dropped (with its connections) when t ends.
func Database(t testing.TB, prefix string) string {
	t.Helper()
	dsn, drop, err := Create(context.Background(), os.Getenv(Env), prefix)
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
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
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
