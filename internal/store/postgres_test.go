package store

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the raw checks

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
)

var pgTemplate struct {
	once sync.Once
	name string
	err  error
}

// pgDSN returns a fresh database with the schema and no data, a copy of
// the template database that storetest.PostgresTemplate also makes (this
// package's tests cannot import storetest, which imports it): copying it
// is much faster than migrating anew.
func pgDSN(t *testing.T) string {
	t.Helper()
	pgTemplate.once.Do(func() {
		digest, err := MigrationsDigest()
		if err != nil {
			pgTemplate.err = err
			return
		}
		pgTemplate.name = "ecowatch_tpl_" + digest[:16]
		pgTemplate.err = pgtest.Template(context.Background(), os.Getenv(pgtest.Env), pgTemplate.name, func(ctx context.Context, dsn string) error {
			s, err := Open(ctx, dsn, Options{})
			if err != nil {
				return err
			}
			return s.Close()
		})
	})
	if pgTemplate.err != nil {
		t.Fatal(pgTemplate.err)
	}
	return pgtest.DatabaseFrom(t, "ecowatch_test", pgTemplate.name)
}

func pgTarget() target {
	return target{
		dsn:   pgDSN,
		empty: func(t *testing.T) string { return pgtest.Database(t, "ecowatch_test") },
		raw: func(t *testing.T, dsn string) *sql.DB {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		ph: func(i int) string { return "$" + strconv.Itoa(i) },
	}
}

func TestPostgres(t *testing.T) {
	runSuite(t, pgTarget())
}

// TestPostgresPartitions checks monthly partitions: created on demand in
// China Standard Time months, rows already in the default partition moved
// into a new month's partition, far-off times kept in the default one.
func TestPostgresPartitions(t *testing.T) {
	dsn := pgDSN(t)
	s := openStore(t, dsn)
	db := pgTarget().raw(t, dsn)
	ctx := context.Background()

	// A row for 2025-11 inserted behind the store's back lands in the
	// default partition (no partition for that month yet).
	if _, err := db.Exec(`INSERT INTO uploads (mn, cn, data_time, vals) VALUES ('M0', '2051', '2025-11-05 08:00:00+00', '{"a21026-Avg": "1"}')`); err != nil {
		t.Fatal(err)
	}
	cstZone := chinatime.Zone
	jan1 := time.Date(2026, 1, 1, 0, 10, 0, 0, cstZone) // 2025-12-31 in UTC, January in CST
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M1", "2051", jan1, "a21026-Avg", "1"),
		upload("M1", "2051", time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), "a21026-Avg", "2"),
		upload("M1", "2051", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "a21026-Avg", "3"), // a device with a reset clock
	}})
	where := func(mn string, at time.Time) string {
		var part string
		if err := db.QueryRow(`SELECT tableoid::regclass::text FROM uploads WHERE mn = $1 AND data_time = $2`, mn, at).Scan(&part); err != nil {
			t.Fatalf("partition of %s %v: %v", mn, at, err)
		}
		return part
	}
	cases := []struct {
		mn   string
		at   time.Time
		want string
	}{
		{"M1", jan1, "uploads_y2026m01"},
		{"M1", time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), "uploads_y2025m11"},
		{"M0", time.Date(2025, 11, 5, 8, 0, 0, 0, time.UTC), "uploads_y2025m11"}, // moved out of default
		{"M1", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "uploads_default"},
	}
	for _, c := range cases {
		if got := where(c.mn, c.at); got != c.want {
			t.Errorf("%s at %v is in %s, want %s", c.mn, c.at, got, c.want)
		}
	}
	if n := len(allUploads(t, s)); n != 4 {
		t.Fatalf("%d uploads, want 4", n)
	}
	// A second store (another process) finds the partitions there.
	s2 := openStore(t, dsn)
	mustCommit(t, s2, &Batch{Uploads: []model.Upload{upload("M2", "2051", jan1, "a21026-Avg", "1")}})
	if got := where("M2", jan1); got != "uploads_y2026m01" {
		t.Fatalf("second store wrote to %s", got)
	}
	_ = ctx
}

// TestPostgresRetransmissionNoWrite checks that a retransmission adding
// nothing leaves the stored row version untouched (no write), while one
// adding a field writes it.
func TestPostgresRetransmissionNoWrite(t *testing.T) {
	dsn := pgDSN(t)
	s := openStore(t, dsn)
	db := pgTarget().raw(t, dsn)
	u := upload("M1", "2051", t0, "a21026-Avg", "1", "a21026-Flag", "N")
	mustCommit(t, s, &Batch{Uploads: []model.Upload{u}})
	xmin := func() string {
		var x string
		if err := db.QueryRow(`SELECT xmin::text FROM uploads WHERE mn = 'M1'`).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmin()
	mustCommit(t, s, &Batch{Uploads: []model.Upload{u}})
	if after := xmin(); after != before {
		t.Fatalf("retransmission rewrote the row (xmin %s -> %s)", before, after)
	}
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a21026-Max", "2")}})
	if after := xmin(); after == before {
		t.Fatal("an upload adding a field did not write the row")
	}
}

// TestPostgresPurgePartitions checks PostgreSQL's uploads retention:
// partitions that end at or before t are dropped whole, a month that t
// cuts is kept whole, rows before t in the default partition are deleted
// and the later ones kept.
func TestPostgresPurgePartitions(t *testing.T) {
	dsn := pgDSN(t)
	s := openStore(t, dsn)
	db := pgTarget().raw(t, dsn)
	ctx := context.Background()
	cstZone := chinatime.Zone
	mustCommit(t, s, &Batch{Uploads: []model.Upload{
		upload("M1", "2051", time.Date(2025, 12, 10, 0, 0, 0, 0, cstZone), "a21026-Avg", "1"),
		upload("M1", "2051", time.Date(2026, 1, 10, 0, 0, 0, 0, cstZone), "a21026-Avg", "2"),
		upload("M1", "2051", time.Date(2026, 1, 20, 0, 0, 0, 0, cstZone), "a21026-Avg", "3"),
		upload("M1", "2051", time.Date(2026, 2, 10, 0, 0, 0, 0, cstZone), "a21026-Avg", "4"),
		upload("M1", "2031", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "a21026-Avg", "5"), // default partition
		upload("M1", "2031", time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), "a21026-Avg", "6"), // default partition, after t
	}})
	if _, err := db.Exec(`ANALYZE uploads`); err != nil {
		t.Fatal(err)
	}
	// 15 January: December goes, January (cut by t) stays whole.
	n, err := s.PurgeUploadsBefore(ctx, time.Date(2026, 1, 15, 0, 0, 0, 0, cstZone))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("purged %d rows, want 2 (December's partition and 1970)", n)
	}
	exists := func(name string) bool {
		var ok bool
		if err := db.QueryRow(`SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for name, want := range map[string]bool{"uploads_y2025m12": false, "uploads_y2026m01": true, "uploads_y2026m02": true, "uploads_default": true} {
		if got := exists(name); got != want {
			t.Errorf("%s exists: %v, want %v", name, got, want)
		}
	}
	var vals []string
	for _, u := range allUploads(t, s) {
		vals = append(vals, u.Values[0].Value)
	}
	// Ordered by (MN, CN, DataTime): 2031's year-2999 row, then 2051's.
	if got := strings.Join(vals, ","); got != "6,2,3,4" {
		t.Errorf("uploads left %s, want 6,2,3,4", got)
	}
}

// TestPostgresStagingTablesLost checks that a session whose staging
// tables vanished (a pooler, DISCARD TEMP) creates them again instead of
// failing every batch after.
func TestPostgresStagingTablesLost(t *testing.T) {
	dsn := pgDSN(t)
	s, err := Open(context.Background(), dsn, Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	frame := rawFrame("M1", t0, model.RawAccepted)
	frame.BusSeq = 1
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0, "a21026-Avg", "1")}, Raw: []model.RawFrame{frame}})
	// The pool's one connection forgets its temporary tables.
	if _, err := s.(*pgStore).w.Exec(`DISCARD TEMP`); err != nil {
		t.Fatal(err)
	}
	frame.BusSeq = 2
	mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("M1", "2051", t0.Add(time.Minute), "a21026-Avg", "2")}, Raw: []model.RawFrame{frame}})
	if n := len(allUploads(t, s)); n != 2 {
		t.Fatalf("%d uploads, want 2", n)
	}
	if n := len(allRaw(t, s)); n != 2 {
		t.Fatalf("%d raw frames, want 2", n)
	}
}
