package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, to create and drop the test database

	"github.com/ecowatch/ecowatch/internal/store"
)

// openSQLite opens a real SQLite store in a temporary directory.
func openSQLite(t *testing.T) Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "ecowatch.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPostgres creates a fresh database on the server named by
// ECOWATCH_TEST_PG, opens a store on it and drops it at cleanup.
func openPostgres(t *testing.T) Store {
	t.Helper()
	admin := os.Getenv("ECOWATCH_TEST_PG")
	if admin == "" {
		t.Skip("ECOWATCH_TEST_PG not set")
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "ecowatch_test_registry_" + hex.EncodeToString(rnd[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	st, err := store.Open(ctx, u.String(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return st
}

func TestRoundTripSQLite(t *testing.T) {
	roundTripThroughStore(t, openSQLite)
}

func TestRoundTripPostgres(t *testing.T) {
	roundTripThroughStore(t, openPostgres)
}

// A store's own constraints are a second line of defence; Import must not
// get that far with an invalid registry. After a rejected import the real
// store holds exactly what it held before.
func TestImportAtomicitySQLite(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	if err := Import(ctx, st, baseRegistry(), nil); err != nil {
		t.Fatal(err)
	}
	before, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	r := DemoCity(1)
	r.Outlets[len(r.Outlets)-1].Kind = "gas"
	if err := Import(ctx, st, r, nil); err == nil {
		t.Fatal("invalid import accepted")
	}
	after, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Enterprises) != len(before.Enterprises) || len(after.Devices) != len(before.Devices) || len(after.Outlets) != len(before.Outlets) {
		t.Fatalf("store changed: %d/%d/%d enterprises/outlets/devices, want %d/%d/%d",
			len(after.Enterprises), len(after.Outlets), len(after.Devices),
			len(before.Enterprises), len(before.Outlets), len(before.Devices))
	}
}
