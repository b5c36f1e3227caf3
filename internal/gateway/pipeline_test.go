package gateway

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
)

// pipeStore is a PipelinedStore whose started batches complete when the
// test says so, in any order; CommitBatch (the retry path) goes to the
// embedded fakeStore and is recorded.
type pipeStore struct {
	*fakeStore
	started chan *pipeBatch

	mu      sync.Mutex
	retried [][]time.Time // DataTimes of each CommitBatch call, in call order
}

// pipeBatch is one started batch: the test sends its outcome.
type pipeBatch struct {
	times   []time.Time
	outcome chan error
}

func newPipeStore() *pipeStore {
	return &pipeStore{fakeStore: newFakeStore(), started: make(chan *pipeBatch, 16)}
}

func uploadTimes(b *store.Batch) []time.Time {
	var ts []time.Time
	for _, u := range b.Uploads {
		ts = append(ts, u.DataTime)
	}
	return ts
}

func (p *pipeStore) StartBatch(_ context.Context, b *store.Batch) func(context.Context) error {
	pb := &pipeBatch{times: uploadTimes(b), outcome: make(chan error, 1)}
	p.started <- pb
	return func(ctx context.Context) error {
		select {
		case err := <-pb.outcome:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *pipeStore) CommitBatch(ctx context.Context, b *store.Batch) error {
	p.mu.Lock()
	p.retried = append(p.retried, uploadTimes(b))
	p.mu.Unlock()
	return p.fakeStore.CommitBatch(ctx, b)
}

func (p *pipeStore) nextStarted(t *testing.T) *pipeBatch {
	t.Helper()
	select {
	case pb := <-p.started:
		return pb
	case <-time.After(waitLimit):
		t.Fatal("no batch started")
		return nil
	}
}

// startThree sends three uploads, one batch each, and returns the three
// started batches (all in flight at once: CommitPipeline is 3) and the
// uploads' QNs.
func startThree(t *testing.T, st *pipeStore, d *testDevice) ([]*pipeBatch, []string) {
	t.Helper()
	var pbs []*pipeBatch
	var qns []string
	for i := range 3 {
		qn := d.qn()
		dt := t0.Add(time.Duration(i-10) * time.Minute).Truncate(time.Minute)
		d.write(d.dataFrame(qn, "2051", dt, minuteVals...))
		pb := st.nextStarted(t)
		if len(pb.times) != 1 || !pb.times[0].Equal(dt) {
			t.Fatalf("batch %d holds %v, want the upload of %v", i+1, pb.times, dt)
		}
		pbs = append(pbs, pb)
		qns = append(qns, qn)
	}
	return pbs, qns
}

// ackQNs reads the next n 9014 replies and returns the QNs they answer,
// in the order they arrived.
func ackQNs(d *testDevice, n int) []string {
	var out []string
	for range n {
		out = append(out, string(d.next("9014").QN))
	}
	return out
}

// Batches complete out of order (the third, then the second, then the
// first): the device still gets its acks in the order it sent the frames,
// and none before the batches ahead of it completed.
func TestPipelineAcksInOrder(t *testing.T) {
	cfg := testConfig(newClock(t0))
	cfg.CommitPipeline = 3
	st := newPipeStore()
	srv := startServer(t, cfg, st)
	if srv.pipe == nil {
		t.Fatal("a PipelinedStore is not pipelined")
	}
	d := dialDevice(t, srv.Addr().String(), testDevices[0].MN, testDevices[0].Password)
	pbs, qns := startThree(t, st, d)
	pbs[2].outcome <- nil
	pbs[1].outcome <- nil
	pbs[0].outcome <- nil
	if got := ackQNs(d, 3); !slices.Equal(got, qns) {
		t.Errorf("acks for %v, want %v (the order the frames were sent)", got, qns)
	}
	if len(st.retried) != 0 {
		t.Errorf("batches committed again: %v", st.retried)
	}
}

// The middle of three batches in flight fails and the last succeeds:
// only the first is acknowledged until the second and third were
// committed again, one at a time and in order; then they are acknowledged
// in order.
func TestPipelineFailedBatchRetriedWithLaterOnes(t *testing.T) {
	cfg := testConfig(newClock(t0))
	cfg.CommitPipeline = 3
	st := newPipeStore()
	st.block = make(chan struct{}) // hold the retries until checked
	srv := startServer(t, cfg, st)
	d := dialDevice(t, srv.Addr().String(), testDevices[0].MN, testDevices[0].Password)
	pbs, qns := startThree(t, st, d)
	pbs[2].outcome <- nil
	pbs[1].outcome <- errors.New("test: no PubAck")
	pbs[0].outcome <- nil
	if got := ackQNs(d, 1); got[0] != qns[0] {
		t.Fatalf("first ack for %s, want %s", got[0], qns[0])
	}
	<-st.entered // the failed batch's retry is waiting for the store
	for _, f := range d.drained() {
		if string(f.CN) == "9014" {
			t.Errorf("ack for %s while its batch or one ahead of it is being retried", f.QN)
		}
	}
	if n := st.numUploads(); n != 0 {
		t.Errorf("%d uploads stored before the retries were let through", n)
	}
	close(st.block)
	if got := ackQNs(d, 2); !slices.Equal(got, qns[1:]) {
		t.Errorf("acks for %v after the retry, want %v", got, qns[1:])
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.retried) != 2 || !slices.Equal(st.retried[0], pbs[1].times) || !slices.Equal(st.retried[1], pbs[2].times) {
		t.Errorf("committed again: %v; want the failed batch %v, then the later one %v", st.retried, pbs[1].times, pbs[2].times)
	}
	if srv.Stats().CommitErrors != 1 {
		t.Errorf("%d commit errors counted, want 1", srv.Stats().CommitErrors)
	}
}

// A store that is not a PipelinedStore, or CommitPipeline 1, commits one
// batch at a time as before.
func TestPipelineOnlyForPipelinedStores(t *testing.T) {
	cfg := testConfig(newClock(t0))
	if s := New(cfg, newFakeStore(), NewDeviceTable(nil), nil); s.pipe != nil {
		t.Error("a plain store is pipelined")
	}
	cfg.CommitPipeline = 1
	if s := New(cfg, newPipeStore(), NewDeviceTable(nil), nil); s.pipe != nil {
		t.Error("CommitPipeline 1 still pipelines")
	}
}
