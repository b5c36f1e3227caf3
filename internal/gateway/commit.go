package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// item is one received frame on its way to the store and back to the
// device as an acknowledgement.
type item struct {
	c         *conn
	recv      time.Time // monotonic receive time (for the ack latency)
	at        time.Time // receive time by Config.Now (archived)
	ack       []byte    // reply written once committed; nil: none
	hasUpload bool
	upload    model.Upload
	raw       model.RawFrame
	hasRaw    bool
	contact   model.Contact // MN empty: none
	dupKey    uint64        // remembered on c once committed (retransmission detection)
	committed bool
	vals      []model.Value // backing array of upload.Values, reused
}

var itemPool = sync.Pool{New: func() any { return new(item) }}

func getItem() *item { return itemPool.Get().(*item) }

func putItem(it *item) {
	vals := it.vals
	clear(vals) // drop references to the frame's strings
	*it = item{vals: vals[:0]}
	itemPool.Put(it)
}

// batchRun is one group commit: the items and the batch built from them.
type batchRun struct {
	items    []*item
	b        store.Batch
	contacts map[string]int // MN → index in b.Contacts
	single   store.Batch    // scratch for per-item commits
}

func (br *batchRun) build() {
	b := &br.b
	b.Uploads, b.Raw, b.Contacts, b.Frames = b.Uploads[:0], b.Raw[:0], b.Contacts[:0], b.Frames[:0]
	clear(br.contacts)
	for _, it := range br.items {
		f := store.Frame{Upload: -1, Raw: -1, Contact: it.contact}
		if it.hasUpload {
			f.Upload = len(b.Uploads)
			b.Uploads = append(b.Uploads, it.upload)
		}
		if it.hasRaw {
			f.Raw = len(b.Raw)
			b.Raw = append(b.Raw, it.raw)
		}
		b.Frames = append(b.Frames, f)
		if it.contact.MN != "" {
			// One contact per device and batch: the latest wins.
			if i, ok := br.contacts[it.contact.MN]; ok {
				b.Contacts[i] = it.contact
			} else {
				br.contacts[it.contact.MN] = len(b.Contacts)
				b.Contacts = append(b.Contacts, it.contact)
			}
		}
	}
}

func (br *batchRun) reset() {
	clear(br.items)
	br.items = br.items[:0]
	// Drop references to the committed frames' data.
	clear(br.b.Uploads)
	clear(br.b.Raw)
	clear(br.b.Contacts)
	clear(br.b.Frames)
	br.b.Uploads, br.b.Raw, br.b.Contacts, br.b.Frames = br.b.Uploads[:0], br.b.Raw[:0], br.b.Contacts[:0], br.b.Frames[:0]
	clear(br.contacts)
}

// committer is the single writer: it collects queued frames into a batch
// and commits when the batch is full or BatchInterval after its first
// frame, whichever is first. One transaction per batch means one fsync
// for thousands of frames.
//
// Pipelined commits (a PipelinedStore: the bus publisher). Committing a
// batch to the bus means publishing its frames and waiting for every
// PubAck; with one batch at a time each frame also waited for the whole
// batch ahead of it, and the stream idled for a round trip per batch. So
// the committer only starts a batch (publishes it) and passes it on; up
// to CommitPipeline batches are in flight, and while every slot is taken
// the committer keeps filling the next batch (the group commit stays
// self-clocking). The completer waits for the batches strictly in the
// order they were started and hands each to the acker only after all of
// its PubAcks arrived and every earlier batch was handed on, so devices
// are acknowledged in order and never ahead of the stream. When a batch
// fails, it and every batch started before its failure was seen (the
// later ones in flight, whatever their outcome) go through the same
// retry loop as an unpipelined commit, one at a time and in order: they
// are republished with the same Msg-Ids, so the stream drops the frames
// it already holds, and acknowledged only once that succeeded. No slot
// is freed while a batch is retried, so nothing new is started behind a
// failure until it is resolved.
func (s *Server) committer() {
	defer s.committerWG.Done()
	if s.pipe != nil {
		defer close(s.inflight)
	} else {
		defer close(s.acks)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		it, ok := <-s.items
		if !ok {
			return
		}
		br := <-s.free
		br.items = append(br.items, it)
		closed := false
		// Take what is already queued without waiting.
	drain:
		for len(br.items) < s.cfg.BatchFrames {
			select {
			case it, ok := <-s.items:
				if !ok {
					closed = true
					break drain
				}
				br.items = append(br.items, it)
			default:
				break drain
			}
		}
		// Wait for more only until BatchInterval after the first frame
		// arrived. Under load the first frame has already waited for the
		// previous commit, so the commit starts at once: the batch size
		// then follows the commit time (self-clocking group commit) and
		// the disk never idles while devices wait for their acks.
		if wait := s.cfg.BatchInterval - time.Since(br.items[0].recv); !closed && wait > 0 && len(br.items) < s.cfg.BatchFrames {
			timer.Reset(wait)
		collect:
			for len(br.items) < s.cfg.BatchFrames {
				select {
				case it, ok := <-s.items:
					if !ok {
						closed = true
						break collect
					}
					br.items = append(br.items, it)
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
		}
		if s.pipe != nil {
			closed = s.takeSlot(br, closed)
			s.stats.queueLen.Store(int64(len(s.items)))
			br.build()
			f := flight{br: br, t0: time.Now(), seq: s.startSeq.Add(1)}
			f.wait = s.pipe.StartBatch(s.commitCtx, &br.b)
			s.inflight <- f
		} else {
			s.stats.queueLen.Store(int64(len(s.items)))
			s.commit(br)
			s.acks <- br
		}
		if closed {
			return
		}
	}
}

// takeSlot waits for room in the pipeline, adding queued frames to br
// while it waits (up to BatchFrames). It reports whether the queue was
// closed.
func (s *Server) takeSlot(br *batchRun, closed bool) bool {
	for {
		if closed || len(br.items) >= s.cfg.BatchFrames {
			s.slots <- struct{}{}
			return closed
		}
		select {
		case s.slots <- struct{}{}:
			return closed
		case it, ok := <-s.items:
			if !ok {
				closed = true
				continue
			}
			br.items = append(br.items, it)
		}
	}
}

// flight is a started pipelined batch.
type flight struct {
	br   *batchRun
	t0   time.Time
	seq  uint64 // start order, from 1
	wait func(context.Context) error
}

// completer waits for the started batches in order and hands them to the
// acker (see committer for the design).
func (s *Server) completer() {
	defer s.committerWG.Done()
	defer close(s.acks)
	var retryThrough uint64 // batches started up to here are retried
	for f := range s.inflight {
		err := f.wait(s.commitCtx)
		switch {
		case err == nil && f.seq > retryThrough:
			s.committed(f.br, time.Since(f.t0))
		case err != nil:
			if f.seq > retryThrough {
				// Everything already started is behind this failure.
				retryThrough = s.startSeq.Load()
			}
			s.commitLoop(f.br, err)
		default:
			// Persisted, but started behind a failed batch: republished
			// in order (the stream drops the duplicates) like the rest.
			s.commitLoop(f.br, nil)
		}
		<-s.slots
		s.acks <- f.br
	}
}

// committed marks br's frames committed after the store took the batch.
func (s *Server) committed(br *batchRun, took time.Duration) {
	s.stats.observeCommit(took, len(br.items))
	for _, it := range br.items {
		it.committed = true
	}
	if s.cfg.OnCommit != nil {
		s.cfg.OnCommit(&br.b)
	}
}

// commit stores br, retrying with backoff while the store fails. Frames
// are marked committed only when their transaction succeeded; the acker
// acknowledges nothing else. While this loops the queue fills up and the
// connections stop being read: backpressure instead of growing memory.
func (s *Server) commit(br *batchRun) {
	br.build()
	s.commitLoop(br, nil)
}

// commitLoop is commit's retry loop on a built batch; a non-nil err is
// the failure of a first attempt made elsewhere (a pipelined start).
func (s *Server) commitLoop(br *batchRun, err error) {
	backoff := s.cfg.CommitRetryMin
	for attempt := 1; ; attempt++ {
		if err == nil || attempt > 1 {
			t0 := time.Now()
			if err = s.st.CommitBatch(s.commitCtx, &br.b); err == nil {
				s.committed(br, time.Since(t0))
				return
			}
		}
		s.stats.commitErrors.Add(1)
		if s.commitCtx.Err() != nil {
			// Shutdown deadline passed: give up, acknowledge nothing.
			s.log.Error("gateway: batch abandoned at shutdown", slog.Int("frames", len(br.items)), slog.Any("err", err))
			return
		}
		if n, ok := s.rl.allow("commit"); ok {
			s.log.Error("gateway: commit failed, retrying", slog.Int("frames", len(br.items)),
				slog.Int("attempt", attempt), slog.Int("suppressed", n), slog.Any("err", err))
		}
		// A store that answers Ping but refuses the batch is refusing
		// its content, not down: isolate the frames it refuses so one
		// bad frame cannot wedge every device behind it.
		if len(br.items) > 0 && s.storeUp() {
			s.commitEach(br)
			return
		}
		select {
		case <-time.After(backoff):
		case <-s.commitCtx.Done():
		}
		backoff = min(backoff*2, s.cfg.CommitRetryMax)
	}
}

func (s *Server) storeUp() bool {
	p := s.cfg.Health
	if p == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(s.commitCtx, 5*time.Second)
	defer cancel()
	return p.Ping(ctx) == nil
}

// commitEach commits the items of a refused batch one by one. An item the
// store still refuses keeps its raw bytes as a rejected frame if possible
// and is never acknowledged.
func (s *Server) commitEach(br *batchRun) {
	b := &br.single
	for _, it := range br.items {
		*b = store.Batch{}
		f := store.Frame{Upload: -1, Raw: -1, Contact: it.contact}
		if it.hasUpload {
			b.Uploads = []model.Upload{it.upload}
			f.Upload = 0
		}
		if it.hasRaw {
			b.Raw = []model.RawFrame{it.raw}
			f.Raw = 0
		}
		if it.contact.MN != "" {
			b.Contacts = []model.Contact{it.contact}
		}
		b.Frames = []store.Frame{f}
		t0 := time.Now()
		err := s.st.CommitBatch(s.commitCtx, b)
		if err == nil {
			s.stats.observeCommit(time.Since(t0), 1)
			it.committed = true
			if s.cfg.OnCommit != nil {
				s.cfg.OnCommit(b)
			}
			continue
		}
		s.stats.commitErrors.Add(1)
		s.stats.framesRefused.Add(1)
		if n, ok := s.rl.allow("refused-frame"); ok {
			s.log.Error("gateway: store refused a frame", slog.String("mn", it.raw.MN),
				slog.String("cn", it.raw.CN), slog.Int("suppressed", n), slog.Any("err", err))
		}
		if it.hasRaw {
			raw := it.raw
			raw.Status = model.RawRejected
			raw.Reason = "store refused the frame: " + err.Error()
			if s.st.CommitBatch(s.commitCtx, &store.Batch{Raw: []model.RawFrame{raw},
				Frames: []store.Frame{{Upload: -1, Raw: 0}}}) == nil {
				it.raw = raw
			}
		}
	}
	*b = store.Batch{}
}

// acker writes the replies of committed frames and recycles the batch.
func (s *Server) acker() {
	defer s.committerWG.Done()
	for br := range s.acks {
		now := time.Now()
		for _, it := range br.items {
			if !it.committed {
				s.stats.framesUncommitted.Add(1)
				putItem(it)
				continue
			}
			if it.hasRaw {
				s.stats.countStatus(it.raw.Status)
			}
			if it.c != nil {
				if it.dupKey != 0 {
					it.c.remember(it.dupKey)
				}
				if it.ack != nil {
					// Counted before the write so that whoever sees the
					// ack also sees it counted.
					s.stats.acksSent.Add(1)
					s.stats.ackLatency.observe(now.Sub(it.recv))
					if !it.c.send(it.ack) {
						s.stats.acksSent.Add(^uint64(0))
					}
				}
			}
			putItem(it)
		}
		br.reset()
		s.free <- br
	}
}
