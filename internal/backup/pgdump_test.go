package backup_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// pgTool finds a PostgreSQL client program (pg_dump, pg_restore) whose
// major version is at least the server's: Debian's versioned directories
// /usr/lib/postgresql/<major>/bin first (newest first), then PATH. It
// fails the test, naming where it looked, when there is none: the
// procedure the README gives must be tested wherever the suite runs.
func pgTool(t *testing.T, name string, serverMajor int) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(b) - majorOf(a) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil && majorOf(d) >= serverMajor {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s not found (looked in /usr/lib/postgresql/*/bin for major version >= %d and in PATH): install Debian's postgresql-client", name, serverMajor)
	return ""
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// TestPostgresDumpRestore runs the README's PostgreSQL procedure: pg_dump
// -Fc of a store with data, pg_restore into a fresh database, and compares
// the two: row counts of every table, a sample of values (uploads, raw
// frames, the registry, users) and the ledger (same head, chain verified).
func TestPostgresDumpRestore(t *testing.T) {
	ctx := context.Background()
	src := pgtest.Database(t, "ecowatch_dump_src")
	st, err := store.Open(ctx, src, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.ImportRegistry(ctx, registry(3)); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
	var b store.Batch
	for i := range 3 {
		for k := range 200 {
			at := base.Add(time.Duration(k) * 6 * time.Hour) // across months: several partitions
			b.Uploads = append(b.Uploads, model.Upload{MN: mn(i), CN: "2051", DataTime: at,
				Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: fmt.Sprintf("%d.%d", k, i)}}})
			b.Raw = append(b.Raw, model.RawFrame{ReceivedAt: at.Add(time.Second), Remote: "127.0.0.1:1", MN: mn(i), CN: "2051",
				Status: model.RawAccepted, Raw: []byte(fmt.Sprintf("##frame %d %d", i, k))})
		}
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		t.Fatal(err)
	}
	seedLedger(t, st, 10)
	if err := st.PutUser(ctx, model.User{ID: "u1", Name: "张伟", Role: "city", CreatedAt: base}, nil); err != nil {
		t.Fatal(err)
	}

	var major int
	admin, err := sql.Open("pgx", src)
	if err != nil {
		t.Fatal(err)
	}
	var num string
	err = admin.QueryRow(`SHOW server_version_num`).Scan(&num)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(num)
	major = n / 10000
	dump := filepath.Join(t.TempDir(), "ecowatch.dump")
	pgDump, pgRestore := pgTool(t, "pg_dump", major), pgTool(t, "pg_restore", major)
	if out, err := exec.Command(pgDump, "-Fc", "--no-owner", "-f", dump, "--dbname="+src).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", pgDump, err, out)
	}
	dst := pgtest.Database(t, "ecowatch_dump_dst")
	if out, err := exec.Command(pgRestore, "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", pgRestore, err, out)
	}

	counts := func(dsn string) (map[string]int64, int) {
		in, err := store.Inspect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		c, err := in.RowCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, err := in.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c, v
	}
	srcCounts, srcV := counts(src)
	dstCounts, dstV := counts(dst)
	if !reflect.DeepEqual(srcCounts, dstCounts) || srcV != dstV {
		t.Fatalf("row counts differ after pg_restore:\nsource   %v (schema %d)\nrestored %v (schema %d)", srcCounts, srcV, dstCounts, dstV)
	}
	if srcCounts["uploads"] != 600 || srcCounts["raw_frames"] != 600 {
		t.Fatalf("source counts %v", srcCounts)
	}
	rst, err := store.Open(ctx, dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	for _, q := range []store.UploadQuery{{MNs: []string{mn(1)}, Limit: 1 << 20}, {From: base.Add(24 * time.Hour), To: base.Add(40 * 24 * time.Hour), Limit: 1 << 20}} {
		a, err := st.Uploads(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rst.Uploads(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Fatalf("uploads %+v differ: %d source, %d restored", q, len(a), len(b))
		}
	}
	ra, _ := st.RawFrames(ctx, store.RawQuery{MN: mn(2), Limit: 50})
	rb, _ := rst.RawFrames(ctx, store.RawQuery{MN: mn(2), Limit: 50})
	if len(ra) != 50 || !reflect.DeepEqual(ra, rb) {
		t.Fatalf("raw frames differ: %d source, %d restored", len(ra), len(rb))
	}
	ga, _ := st.Registry(ctx)
	gb, _ := rst.Registry(ctx)
	if !reflect.DeepEqual(ga, gb) {
		t.Fatal("registry differs after pg_restore")
	}
	u, err := rst.User(ctx, "u1")
	if err != nil || u.Name != "张伟" {
		t.Fatalf("user after pg_restore: %+v %v", u, err)
	}
	ha, hd, _ := st.RightsHead(ctx)
	hb, hdb, _ := rst.RightsHead(ctx)
	es, err := rightsvc.LoadEntries(ctx, rst)
	if err != nil {
		t.Fatal(err)
	}
	if ha != hb || hd != hdb || rights.VerifyHead(es, hdb) != nil {
		t.Fatalf("ledger after pg_restore: head %d %s, source %d %s", hb, hdb, ha, hd)
	}
	// The restored database takes new data (its sequences were restored).
	if err := rst.CommitBatch(ctx, &store.Batch{Raw: []model.RawFrame{{ReceivedAt: time.Now(), Remote: "127.0.0.1:2", Status: model.RawAccepted, Raw: []byte("##new")}}}); err != nil {
		t.Fatalf("commit after pg_restore: %v", err)
	}
	t.Logf("pg_dump %s and pg_restore %s: %d tables, %d uploads, %d ledger entries identical",
		strings.TrimPrefix(pgDump, "/usr/lib/postgresql/"), filepath.Base(pgRestore), len(srcCounts), srcCounts["uploads"], ha)
}
