package bus

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/store"
)

// UploadTimer answers the gateway's back-fill question (which DataTimes
// of a device are stored) from the store the writers fill.
type UploadTimer interface {
	UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error)
}

// Publisher is the gateway's store in a scaled-out deployment: a batch is
// "committed" once every frame of it is persisted in the stream.
//
// It deliberately has no Ping method: the gateway, seeing a store that
// answers Ping but refuses a batch, commits the frames one by one to
// isolate a bad one. A bus refusal (stream full, no quorum) is never
// about one frame, so the gateway must simply retry the batch.
type Publisher struct {
	b     *Bus
	reads UploadTimer

	published  atomic.Uint64
	errors     atomic.Uint64
	duplicates atomic.Uint64
	batches    atomic.Uint64
	latency    prometheus.Histogram
}

// NewPublisher returns a publisher on b. reads may be nil: then no stored
// DataTimes are known and the gateway asks for no back-fill.
func NewPublisher(b *Bus, reads UploadTimer) *Publisher {
	return &Publisher{b: b, reads: reads,
		latency: newLatency("ecowatch_bus_publish_seconds", "Time from a batch's first publish to its last PubAck.")}
}

// CommitBatch publishes one message per frame of batch (asynchronously)
// and returns nil once every PubAck arrived. Any failure returns an error:
// the gateway then keeps the frames unacknowledged and retries the batch,
// republishing with the same Msg-Ids, so the frames the stream already
// holds are dropped as duplicates. The batch is not retained after the
// call returns (the gateway reuses its buffers).
func (p *Publisher) CommitBatch(ctx context.Context, batch *store.Batch) error {
	return p.StartBatch(ctx, batch)(ctx)
}

// StartBatch is CommitBatch in two halves, so that the gateway can keep
// several batches in the stream at once: it publishes every frame of
// batch and returns without waiting for the PubAcks; the returned wait
// blocks until all of them arrived (nil) or one failed (an error).
//
// Why: waiting for a batch's PubAcks before publishing the next left the
// stream idle for a round trip per batch, and every frame waited for the
// whole batch ahead of it (ack p99 several times the commit time). The
// stream stores the messages of one connection in the order they were
// published, so pipelined batches are persisted in order as long as none
// fails; the gateway acknowledges devices only in batch order and retries
// a failed batch and everything published after it (see the gateway's
// commit loop), which keeps "acknowledged means persisted".
//
// The batch is not referenced once StartBatch returns: the messages are
// encoded into a buffer of their own, which the async publisher keeps
// until their PubAcks (it may resend them). wait must be called exactly
// once; it is safe to call from another goroutine.
func (p *Publisher) StartBatch(ctx context.Context, batch *store.Batch) (wait func(context.Context) error) {
	t0 := time.Now()
	msgs := batchMessages(batch)
	if len(msgs) == 0 {
		return func(context.Context) error { return nil }
	}
	cfg := &p.b.cfg
	// One allocation for all payloads: the async publisher keeps each
	// message until its PubAck (it may resend it), so no buffer is reused.
	size := 0
	for i := range msgs {
		size += encodedSizeHint(&msgs[i])
	}
	buf := make([]byte, 0, size)
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var firstErr error
	for i := range msgs {
		m := &msgs[i]
		start := len(buf)
		buf = AppendMessage(buf, m)
		nm := &nats.Msg{
			Subject: Subject(cfg.Subject, cfg.Partitions, m.DeviceMN()),
			Data:    buf[start:len(buf):len(buf)],
			Header:  nats.Header{},
		}
		f, err := p.b.js.PublishMsgAsync(nm, jetstream.WithMsgID(MsgID(m)), jetstream.WithExpectStream(cfg.Stream),
			jetstream.WithStallWait(5*time.Second))
		if err != nil {
			firstErr = fmt.Errorf("bus: publish frame %d of %d: %w", i+1, len(msgs), err)
			break
		}
		futures = append(futures, f)
	}
	failed := 0
	if firstErr != nil {
		failed = len(msgs) - len(futures)
	}
	n := len(msgs)
	return func(ctx context.Context) error {
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				if ack.Duplicate {
					p.duplicates.Add(1)
				}
				p.published.Add(1)
			case err := <-f.Err():
				failed++
				if firstErr == nil {
					firstErr = fmt.Errorf("bus: frame not persisted: %w", err)
				}
			case <-ctx.Done():
				p.errors.Add(uint64(n))
				return fmt.Errorf("bus: waiting for PubAcks: %w", ctx.Err())
			}
		}
		if firstErr != nil {
			p.errors.Add(uint64(failed))
			if failed > 1 {
				return fmt.Errorf("%w (and %d more frames failed)", firstErr, failed-1)
			}
			return firstErr
		}
		p.batches.Add(1)
		p.latency.Observe(time.Since(t0).Seconds())
		return nil
	}
}

// batchMessages resolves the batch into one message per frame. A producer
// that does not fill Frames gets one message per upload, per raw frame and
// per contact: correct, but a frame's upload and raw bytes then travel
// (and are deduplicated) separately.
func batchMessages(b *store.Batch) []Message {
	if len(b.Frames) > 0 {
		msgs := make([]Message, 0, len(b.Frames))
		for i := range b.Frames {
			f := &b.Frames[i]
			var m Message
			if f.Upload >= 0 && f.Upload < len(b.Uploads) {
				m.Upload = &b.Uploads[f.Upload]
			}
			if f.Raw >= 0 && f.Raw < len(b.Raw) {
				m.Raw = &b.Raw[f.Raw]
			}
			if f.Contact.MN != "" {
				c := f.Contact
				m.Contact = &c
			}
			if m.Upload != nil || m.Raw != nil || m.Contact != nil {
				msgs = append(msgs, m)
			}
		}
		return msgs
	}
	msgs := make([]Message, 0, len(b.Uploads)+len(b.Raw)+len(b.Contacts))
	for i := range b.Uploads {
		msgs = append(msgs, Message{Upload: &b.Uploads[i]})
	}
	for i := range b.Raw {
		msgs = append(msgs, Message{Raw: &b.Raw[i]})
	}
	for i := range b.Contacts {
		msgs = append(msgs, Message{Contact: &b.Contacts[i]})
	}
	return msgs
}

// encodedSizeHint is about the encoded size of m (for one allocation).
func encodedSizeHint(m *Message) int {
	n := 2
	if u := m.Upload; u != nil {
		n += 16 + len(u.MN) + len(u.CN)
		for _, v := range u.Values {
			n += 3 + len(v.Factor) + len(v.Field) + len(v.Value)
		}
	}
	if r := m.Raw; r != nil {
		n += 32 + len(r.Remote) + len(r.MN) + len(r.CN) + len(r.QN) + len(r.Status) + len(r.Reason) + len(r.Raw)
		for _, d := range r.Deviations {
			n += 2 + len(d)
		}
	}
	if c := m.Contact; c != nil {
		n += 16 + len(c.MN) + len(c.Remote) + len(c.CN)
	}
	return n
}

// UploadTimes delegates to the reads store (nil: none known).
func (p *Publisher) UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	if p.reads == nil {
		return nil, nil
	}
	return p.reads.UploadTimes(ctx, mn, cn, from, to)
}

var _ interface {
	CommitBatch(context.Context, *store.Batch) error
	StartBatch(context.Context, *store.Batch) func(context.Context) error
	UploadTimes(context.Context, string, string, time.Time, time.Time) ([]time.Time, error)
} = (*Publisher)(nil)
