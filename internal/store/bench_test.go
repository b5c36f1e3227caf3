package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCommitBatch commits gateway-shaped batches: 1000 frames, each
// one upload of 8 factors x 5 fields, one ~400-byte raw frame and a
// contact. Run: go test -run X -bench CommitBatch -benchtime 20x ./internal/store
func BenchmarkCommitBatch(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchCommit(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	})
	b.Run("postgres", func(b *testing.B) {
		benchCommit(b, newPGDatabase(b))
	})
}

func benchCommit(b *testing.B, dsn string) {
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 1000
	batches := make([]Batch, b.N)
	for i := range batches {
		fillSyntheticBatch(&batches[i], 1, i, n)
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
