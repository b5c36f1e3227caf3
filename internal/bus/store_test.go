package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" to create the test database

	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// crashingCommitter commits through to the store, then "crashes" its
// writer once: the connection goes away before the acks, as when the
// process dies between the store's commit and the stream's ack.
type crashingCommitter struct {
	st      store.Store
	crash   func()
	crashed atomic.Bool
}

func (c *crashingCommitter) CommitBatch(ctx context.Context, b *store.Batch) error {
	if err := c.st.CommitBatch(ctx, b); err != nil {
		return err
	}
	if c.crashed.CompareAndSwap(false, true) {
		c.crash()
		return errCrash
	}
	return nil
}

// TestIntoStore: frames go through the bus into the real stores; a writer
// that dies between commit and ack has its messages redelivered to the
// next one, and the store keeps each upload and each raw frame once.
func TestIntoStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		_, url := startServer(t)
		cfg := Config{URL: url, Partitions: 4, ackWait: 2 * time.Second}
		devices := deviceNames(20)
		const minutes = 10
		pub := NewPublisher(connect(t, cfg), st)
		for m := 0; m < minutes; m++ {
			publish(t, pub, frameBatch(devices, m, 1))
		}
		busA := connect(t, cfg)
		cc := &crashingCommitter{st: st, crash: busA.Close}
		runWriter(t, busA, cc, WriterConfig{ID: "a", LeaseTTL: 1500 * time.Millisecond, Batch: 40})
		eventually(t, "writer a's crash", 30*time.Second, cc.crashed.Load)
		bus := connect(t, cfg)
		wB, _ := runWriter(t, bus, st, WriterConfig{ID: "b", LeaseTTL: 1500 * time.Millisecond, Batch: 40})
		eventually(t, "stream drained by writer b", 90*time.Second, func() bool {
			n, err := bus.Lag(ctx)
			return err == nil && n == 0 && len(wB.Owned()) == 4
		})
		ups, err := st.Uploads(ctx, store.UploadQuery{Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups) != minutes*len(devices) {
			t.Errorf("%d uploads stored, want %d", len(ups), minutes*len(devices))
		}
		for _, u := range ups {
			if len(u.Values) != 2 {
				t.Fatalf("upload %+v", u)
			}
		}
		raws, err := st.RawFrames(ctx, store.RawQuery{Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		if len(raws) != minutes*len(devices) {
			t.Errorf("%d raw frames stored, want %d (each once)", len(raws), minutes*len(devices))
		}
		seqs := map[int64]bool{}
		for _, r := range raws {
			if r.BusSeq == 0 || seqs[r.BusSeq] {
				t.Fatalf("raw frame with BusSeq %d (zero or repeated)", r.BusSeq)
			}
			seqs[r.BusSeq] = true
		}
		if wB.redeliveries.Load() == 0 {
			t.Error("no redelivery: the crash did not happen between commit and ack")
		}
		contacts, err := st.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(contacts) != len(devices) {
			t.Errorf("%d contacts, want %d", len(contacts), len(devices))
		}
		for _, c := range contacts {
			if want := t0.Add((minutes - 1) * time.Minute); c.At.Before(want) {
				t.Errorf("contact %s at %v, want the last frame's (after %v)", c.MN, c.At, want)
			}
		}
		// The publisher answers the gateway's back-fill question from
		// the store the writers fill.
		times, err := pub.UploadTimes(ctx, devices[0], "2051", t0, t0.Add(time.Hour))
		if err != nil || len(times) != minutes {
			t.Errorf("UploadTimes = %d times, %v", len(times), err)
		}
	})
}
