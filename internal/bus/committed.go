package bus

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/ecowatch/ecowatch/internal/store"
)

// The committed feed: after each commit a writer announces the uploads
// and contacts it stored on a plain NATS subject (<Subject>_committed, not
// in the stream), and the alert rules of the web role follow it, so that
// they see the writers' data as the single process's rules see the
// gateway's (alertsvc Enqueue), without polling every device's rows.
//
// The feed is best effort by design: the store is the record. A
// subscriber that may have missed something (a message it could not
// decode, messages the server dropped for a slow subscriber, a reconnect)
// is told so (gap) and re-reads the store from its cursors.

// committedChunk bounds the frames per feed message (NATS refuses payloads
// over 1 MB by default; a minute frame encodes to about 1.3 kB).
const committedChunk = 256

// CommittedSubject is the feed's subject.
func (b *Bus) CommittedSubject() string { return b.cfg.Subject + "_committed" }

// PublishCommitted announces the uploads and contacts of a committed
// batch. Raw frames are not sent: the rules do not read them.
func (b *Bus) PublishCommitted(batch *store.Batch) error {
	// One buffer for the feed message and one for an item's encoding,
	// reused across chunks: Publish copies the payload into the
	// connection's outbound buffer before it returns. (Allocating both
	// afresh per item was a tenth of a writer process's allocations at
	// 1,400 frames/s, and allocations set how often the GC runs.)
	var buf, enc []byte
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := b.nc.Publish(b.CommittedSubject(), buf)
		buf, n = buf[:0], 0
		return err
	}
	add := func(m *Message) error {
		enc = AppendMessage(enc[:0], m)
		buf = binary.AppendUvarint(buf, uint64(len(enc)))
		buf = append(buf, enc...)
		if n++; n == committedChunk {
			return flush()
		}
		return nil
	}
	for i := range batch.Uploads {
		if err := add(&Message{Upload: &batch.Uploads[i]}); err != nil {
			return fmt.Errorf("bus: committed feed: %w", err)
		}
	}
	for i := range batch.Contacts {
		if err := add(&Message{Contact: &batch.Contacts[i]}); err != nil {
			return fmt.Errorf("bus: committed feed: %w", err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("bus: committed feed: %w", err)
	}
	return nil
}

// DecodeCommitted decodes one feed message into a batch.
func DecodeCommitted(data []byte) (*store.Batch, error) {
	b := &store.Batch{}
	for off := 0; off < len(data); {
		l, k := binary.Uvarint(data[off:])
		if k <= 0 || l > uint64(len(data)-off-k) {
			return nil, &DecodeError{Offset: off, Field: "length", Err: errTruncated}
		}
		m, err := DecodeMessage(data[off+k : off+k+int(l)])
		if err != nil {
			return nil, fmt.Errorf("feed item at byte %d: %w", off, err)
		}
		if m.Upload != nil {
			b.Uploads = append(b.Uploads, *m.Upload)
		}
		if m.Contact != nil {
			b.Contacts = append(b.Contacts, *m.Contact)
		}
		off += k + int(l)
	}
	return b, nil
}

// SubscribeCommitted calls fn with each batch of the feed and gap when
// something may have been missed. fn and gap run on the subscription's
// goroutine, one call at a time. The returned function unsubscribes.
func (b *Bus) SubscribeCommitted(fn func(*store.Batch), gap func()) (func(), error) {
	var reconnects, dropped atomic.Uint64
	reconnects.Store(b.nc.Stats().Reconnects)
	var sub *nats.Subscription
	sub, err := b.nc.Subscribe(b.CommittedSubject(), func(msg *nats.Msg) {
		if r := b.nc.Stats().Reconnects; r != reconnects.Load() {
			reconnects.Store(r) // whatever was published while away is lost
			gap()
		}
		if d, err := sub.Dropped(); err == nil && uint64(d) != dropped.Load() {
			dropped.Store(uint64(d)) // the server or client dropped messages
			gap()
		}
		batch, err := DecodeCommitted(msg.Data)
		if err != nil {
			b.log.Warn("bus: undecodable committed-feed message", slog.Any("err", err))
			gap()
			return
		}
		fn(batch)
	})
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe to %s: %w", b.CommittedSubject(), err)
	}
	// Generous buffers: the rules are fast, a burst must not be dropped.
	sub.SetPendingLimits(1<<20, 1<<30)
	return func() { sub.Unsubscribe() }, nil
}
