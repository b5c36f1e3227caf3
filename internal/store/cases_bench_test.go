package store

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/pgtest"
)

// Case list and statistics with 100,000 cases (p99 at most 50 ms).
// Run: go test ./internal/store -run xxx -bench Cases -benchtime 200x
// (ECOWATCH_TEST_PG adds PostgreSQL).

const benchCases = 100_000

type caseBulk interface {
	inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error
	insertCaseTx(ctx context.Context, tx *sql.Tx, c *cases.Case, evs []cases.Event) error
}

func loadBenchCases(b *testing.B, s Store, now time.Time) {
	b.Helper()
	cs := randomCases(rand.New(rand.NewPCG(1, 2)), benchCases, now)
	bulk := s.(caseBulk)
	ctx := context.Background()
	for i := 0; i < len(cs); i += 5000 {
		if err := bulk.inTx(ctx, "bench load", func(tx *sql.Tx) error {
			for j := i; j < min(i+5000, len(cs)); j++ {
				if err := bulk.insertCaseTx(ctx, tx, &cs[j], nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	// Autovacuum would analyze the new rows soon; the benchmark does not
	// wait for it.
	if pg, ok := s.(*pgStore); ok {
		if _, err := pg.w.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCaseQueries(b *testing.B, s Store) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	loadBenchCases(b, s, now)
	ctx := context.Background()
	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t := time.Now()
				if err := fn(); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
	run("list-overdue-first", func() error {
		_, err := s.Cases(ctx, CaseQuery{OverdueFirst: true, Now: now, Limit: 50})
		return err
	})
	run("list-county-open", func() error {
		_, err := s.Cases(ctx, CaseQuery{County: "371581", States: []cases.State{cases.StateAssigned, cases.StateRectifying}, OverdueFirst: true, Now: now, Limit: 50})
		return err
	})
	run("list-page-100", func() error {
		_, err := s.Cases(ctx, CaseQuery{Limit: 50, Offset: 5000})
		return err
	})
	run("stats-city", func() error {
		_, err := s.CaseStats(ctx, CaseQuery{Now: now})
		return err
	})
	run("stats-county", func() error {
		_, err := s.CaseStats(ctx, CaseQuery{Now: now, County: "371502"})
		return err
	})
}

func BenchmarkCasesSQLite(b *testing.B) {
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchCaseQueries(b, s)
}

func BenchmarkCasesPostgres(b *testing.B) {
	if os.Getenv("ECOWATCH_TEST_PG") == "" {
		b.Skip("ECOWATCH_TEST_PG not set")
	}
	dsn := pgtest.Database(b, "ecowatch_test")
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchCaseQueries(b, s)
}
