package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/pgtest"
)

// BenchmarkCommitBatch commits gateway-shaped batches: 1000 frames, each
// one upload of 8 factors x 5 fields, one ~400-byte raw frame and a
// contact. PostgreSQL's uploads go by COPY into a staging table merged by
// INSERT ... SELECT (copy, the store's default) or by one upsert of array
// parameters (unnest); raw frames with a bus sequence go through the
// staging table (busraw). Run:
// go test -run X -bench CommitBatch -benchtime 20x ./internal/store
func BenchmarkCommitBatch(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchCommit(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), nil)
	})
	b.Run("postgres/copy", func(b *testing.B) {
		benchCommit(b, pgtest.Database(b, "ecowatch_test"), func(s *pgStore) { s.uploadsByCopy = true })
	})
	b.Run("postgres/unnest", func(b *testing.B) {
		benchCommit(b, pgtest.Database(b, "ecowatch_test"), func(s *pgStore) { s.uploadsByCopy = false })
	})
	// Both on one database, batch by batch in turn, so that the load of
	// the machine weighs on both alike.
	b.Run("postgres/alternate", func(b *testing.B) {
		benchCommitAlternate(b, pgtest.Database(b, "ecowatch_test"))
	})
	b.Run("postgres/copy-busraw", func(b *testing.B) {
		benchCommit(b, pgtest.Database(b, "ecowatch_test"), func(s *pgStore) { s.uploadsByCopy = true; s.benchBusSeq = true })
	})
}

func benchCommit(b *testing.B, dsn string, pg func(*pgStore)) {
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	busSeq := false
	if pg != nil {
		ps := s.(*pgStore)
		pg(ps)
		busSeq = ps.benchBusSeq
	}
	const n = 1000
	batches := make([]Batch, b.N)
	for i := range batches {
		fillSyntheticBatch(&batches[i], 1, i, n)
		if busSeq {
			for j := range batches[i].Raw {
				batches[i].Raw[j].BusSeq = int64(i*n + j + 1)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range batches {
		if err := s.CommitBatch(context.Background(), &batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "uploads/s")
	b.ReportMetric(float64(40*n*b.N)/secs, "values/s")
}

func benchCommitAlternate(b *testing.B, dsn string) {
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ps := s.(*pgStore)
	const n = 1000
	var batch Batch
	var spent [2]time.Duration
	b.ResetTimer()
	for i := range 2 * b.N {
		b.StopTimer()
		fillSyntheticBatch(&batch, 1, i, n)
		ps.uploadsByCopy = i%2 == 0
		b.StartTimer()
		start := time.Now()
		if err := s.CommitBatch(context.Background(), &batch); err != nil {
			b.Fatal(err)
		}
		spent[i%2] += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/spent[0].Seconds(), "copy-uploads/s")
	b.ReportMetric(float64(n*b.N)/spent[1].Seconds(), "unnest-uploads/s")
}

// BenchmarkRetransmitBatch commits a batch whose uploads are all stored:
// the retransmission path, which reads but writes no upload row.
func BenchmarkRetransmitBatch(b *testing.B) {
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var batch Batch
	fillSyntheticBatch(&batch, 1, 0, 1000)
	if err := s.CommitBatch(context.Background(), &batch); err != nil {
		b.Fatal(err)
	}
	batch.Raw, batch.Contacts = nil, nil
	b.ResetTimer()
	for range b.N {
		if err := s.CommitBatch(context.Background(), &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "uploads/s")
}

func BenchmarkAppendValuesJSON(b *testing.B) {
	var batch Batch
	fillSyntheticBatch(&batch, 1, 0, 1)
	vals := batch.Uploads[0].Values
	var buf []byte
	b.ReportAllocs()
	for range b.N {
		buf = appendValuesJSON(buf[:0], vals)
	}
	b.SetBytes(int64(len(buf)))
}

func TestMeasureRawInsert(t *testing.T) {
	s := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	r, err := MeasureRawInsert(context.Background(), s, time.Millisecond, 50)
	if err != nil {
		t.Fatal(err)
	}
	if r.Batches < 1 || r.Uploads != 50*r.Batches || r.Values != 40*r.Uploads || r.UploadsPerSec <= 0 {
		t.Fatalf("rate = %+v", r)
	}
	// Every synthetic upload was really stored, with distinct keys.
	if n := len(allUploads(t, s)); n != r.Uploads {
		t.Fatalf("%d uploads stored, MeasureRawInsert reported %d", n, r.Uploads)
	}
}

// BenchmarkRollUp measures RollUp over minute data: 60 batches of 1000
// synthetic minute uploads (8 factors each) are stored once; each
// iteration marks every stored hour dirty again and rolls them all up.
// Run: go test -run X -bench RollUp -benchtime 5x ./internal/store
func BenchmarkRollUp(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchRollUp(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"),
			`INSERT OR IGNORE INTO rollup_dirty (mn, hour) SELECT mn, data_time / 3600000000 * 3600000000 FROM uploads WHERE cn = '2051'`)
	})
	b.Run("postgres", func(b *testing.B) {
		benchRollUp(b, pgtest.Database(b, "ecowatch_test"),
			`INSERT INTO rollup_dirty (mn, hour) SELECT DISTINCT mn, date_bin('1 hour', data_time, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM uploads WHERE cn = '2051'`)
	})
}

func benchRollUp(b *testing.B, dsn, remark string) {
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batches, n = 60, 1000
	var batch Batch
	for i := range batches {
		fillSyntheticBatch(&batch, 1, i, n)
		batch.Raw, batch.Contacts = nil, nil
		if err := s.CommitBatch(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.RollUp(ctx); err != nil {
		b.Fatal(err)
	}
	var w interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}
	switch st := s.(type) {
	case *pgStore:
		w = st.w
	case *sqliteStore:
		w = st.w
	}
	hours := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := w.ExecContext(ctx, remark); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		h, err := s.RollUp(ctx)
		if err != nil {
			b.Fatal(err)
		}
		hours += h
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(batches*n*b.N)/secs, "minutes/s")
	b.ReportMetric(float64(hours)/secs, "hours/s")
}
