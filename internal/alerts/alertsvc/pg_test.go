package alertsvc

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DSNForTest returns the DSN of an empty store for backend "sqlite" or
// "postgres". PostgreSQL needs ECOWATCH_TEST_PG (the test is skipped
// otherwise); the database is created for the test and dropped after it.
func DSNForTest(t *testing.T, backend string) string {
	t.Helper()
	if backend == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "e.db")
	}
	dsn := os.Getenv("ECOWATCH_TEST_PG")
	if dsn == "" {
		t.Skip("ECOWATCH_TEST_PG not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	name := fmt.Sprintf("ecowatch_alertsvc_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	// Registered first, so it runs after the store's own cleanup closed it.
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database: %v", err)
		}
		admin.Close(ctx)
	})
	return u.String()
}
