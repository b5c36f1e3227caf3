package bus

import (
	"context"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
)

// TestPipelinedBatches: eight batches are all published before any
// PubAck is awaited (as the gateway pipelines them) into a stream with
// room for 45 frames. The stream keeps them in publish order: the first
// four complete, the fifth (half stored) and everything after it fail, so
// the gateway's rule — acknowledge in order, retry a failed batch and
// every later one — loses nothing. Their retries, republished with the
// same Msg-Ids once a writer drains the stream, store each frame once.
func TestPipelinedBatches(t *testing.T) {
	_, url := startServer(t)
	cfg := Config{URL: url, Partitions: 4, MaxPending: 45}
	pub := NewPublisher(connect(t, cfg), nil)
	devices := deviceNames(10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var batches []*store.Batch
	var waits []func(context.Context) error
	for m := range 8 {
		b := frameBatch(devices, m, 1)
		batches = append(batches, b)
		waits = append(waits, pub.StartBatch(ctx, b))
	}
	var failedFrom int
	for i, wait := range waits {
		err := wait(ctx)
		switch {
		case i < 4 && err != nil:
			t.Errorf("batch %d (within MaxPending) failed: %v", i+1, err)
		case i >= 4 && err == nil:
			t.Errorf("batch %d (beyond MaxPending) reported persisted", i+1)
		}
		if err != nil && failedFrom == 0 {
			failedFrom = i
		}
	}
	if failedFrom != 4 {
		t.Fatalf("first failed batch %d, want 5", failedFrom+1)
	}
	drainRetries(t, cfg, pub, batches[failedFrom:])
}
