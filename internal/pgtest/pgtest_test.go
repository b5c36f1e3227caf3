package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// tempTemplate returns a template name of this test's own and drops the
// template (and what a failed build left) when the test ends.
func tempTemplate(t *testing.T) string {
	t.Helper()
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "ecowatch_tpltest_" + hex.EncodeToString(rnd[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, os.Getenv(Env))
		if err != nil {
			t.Errorf("drop template: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, db := range []string{name, name + "_build"} {
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, db).Scan(&n); err != nil || n == 0 {
				continue
			}
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+db+" IS_TEMPLATE false"); err != nil {
				t.Errorf("drop template %s: %v", db, err)
			}
			if _, err := conn.Exec(ctx, "DROP DATABASE "+db+" WITH (FORCE)"); err != nil {
				t.Errorf("drop template %s: %v", db, err)
			}
		}
	})
	return name
}

func adminExec(t *testing.T, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv(Env))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// buildTable is a build that leaves a table with one row behind and
// closes its connection.
func buildTable(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE built (v TEXT); INSERT INTO built VALUES ('from the template')`)
	return err
}

func builtRow(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, `SELECT v FROM built`).Scan(&v); err != nil {
		t.Fatalf("the copy's table: %v", err)
	}
	return v
}

// Test binaries running at once build the template once between them,
// and every one copies it, at once too.
func TestTemplateBuiltOnceAndCopied(t *testing.T) {
	name := tempTemplate(t)
	// A build that a killed binary left behind, marked a template already.
	adminExec(t, "CREATE DATABASE "+name+"_build IS_TEMPLATE true")
	var builds atomic.Int32
	build := func(ctx context.Context, dsn string) error {
		builds.Add(1)
		return buildTable(ctx, dsn)
	}
	var wg sync.WaitGroup
	dsns := make([]string, 4)
	for i := range dsns {
		wg.Go(func() {
			if err := Template(context.Background(), os.Getenv(Env), name, build); err != nil {
				t.Errorf("Template: %v", err)
				return
			}
			dsns[i] = DatabaseFrom(t, "ecowatch_tplcopy", name)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds, want 1", n)
	}
	for _, dsn := range dsns {
		if v := builtRow(t, dsn); v != "from the template" {
			t.Errorf("copy has %q", v)
		}
	}
	// Nobody can connect to the template (and so change it, or hold a
	// connection that stops the next copy).
	u, err := url.Parse(dsns[0])
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	conn, err := pgx.Connect(context.Background(), u.String())
	if err == nil {
		conn.Close(context.Background())
		t.Error("connected to the template")
	} else if !strings.Contains(err.Error(), "not currently accepting connections") {
		t.Errorf("connect to the template: %v, want it refused", err)
	}
}

// A failing build leaves no template behind, and the next caller builds
// it.
func TestTemplateBuildFails(t *testing.T) {
	name := tempTemplate(t)
	boom := errors.New("boom")
	err := Template(context.Background(), os.Getenv(Env), name, func(ctx context.Context, dsn string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Template = %v, want the build's error", err)
	}
	if err := Template(context.Background(), os.Getenv(Env), name, buildTable); err != nil {
		t.Fatal(err)
	}
	if v := builtRow(t, DatabaseFrom(t, "ecowatch_tplcopy", name)); v != "from the template" {
		t.Errorf("copy has %q", v)
	}
}
