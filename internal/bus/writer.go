package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Committer stores a batch durably (store.Store does).
type Committer interface {
	CommitBatch(ctx context.Context, b *store.Batch) error
}

// WriterConfig configures a Writer. Zero values take the defaults.
type WriterConfig struct {
	ID       string        // unique per writer instance; default host-pid
	Batch    int           // messages per commit, default 1000
	MaxWait  time.Duration // longest wait for a batch to fill, default 200ms
	LeaseTTL time.Duration // partition lease TTL, default 6s (renewed every TTL/3)
	OnCommit func(*store.Batch)
	// Health, when set, tells a store that is down from a batch it
	// refuses, so that the frames it refuses are isolated; nil: a
	// failed batch is retried whole. store.Store is one.
	Health Pinger
}

// Writer consumes the partitions it holds leases for and commits their
// frames to the store.
type Writer struct {
	b   *Bus
	st  Committer
	cfg WriterConfig
	log *slog.Logger
	rl  rateLog

	mu       sync.Mutex
	owned    map[int]*partRun      // leases held, partition loop running
	stopping map[int]chan struct{} // closed once the loop stopped and the lease is released
	allLive  bool                  // at the last lease round, every partition had a live lease
	started  bool
	lag      map[int]int64

	frames       atomic.Uint64
	commits      atomic.Uint64
	commitErrors atomic.Uint64
	redeliveries atomic.Uint64
	waits        atomic.Uint64 // times a batch waited for older deliveries to settle
	resets       atomic.Uint64 // partition consumers started anew (the deliveries waited for never came back)
	undecodable  atomic.Uint64
	refused      atomic.Uint64 // frames the store refused, archived as rejected raw frames
	dropped      atomic.Uint64 // frames the store refused in every form (terminated)
	lost         atomic.Uint64
	latency      prometheus.Histogram
}

type partRun struct {
	p      int
	rev    uint64
	cancel context.CancelFunc
	done   chan struct{}
	// renewed is when the last successful renewal (or the acquisition)
	// was sent, on the monotonic clock (see mono).
	renewed atomic.Int64
}

// monoBase makes mono a monotonic clock reading.
var monoBase = time.Now()

func mono() int64 { return int64(time.Since(monoBase)) }

// NewWriter returns a writer of b's partitions into st.
func NewWriter(b *Bus, st Committer, cfg WriterConfig) *Writer {
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = host + "-" + strconv.Itoa(os.Getpid())
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	cfg.Batch = min(cfg.Batch, maxAckPending)
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 200 * time.Millisecond
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	// A fetch must end well within a lease's life (see fresh).
	cfg.MaxWait = min(cfg.MaxWait, cfg.LeaseTTL/4)
	return &Writer{
		b: b, st: st, cfg: cfg,
		log:      b.log.With(slog.String("writer", cfg.ID)),
		owned:    make(map[int]*partRun),
		stopping: make(map[int]chan struct{}),
		lag:      make(map[int]int64),
		latency:  newLatency("ecowatch_writer_commit_seconds", "Store commit time of one batch."),
	}
}

// KV keys: partition leases <stream>.p.<NN> and live writers
// <stream>.w.<ID>. The stream name scopes them, so deployments (or tests)
// with their own streams can share one NATS and its lease bucket. KV keys
// allow letters, digits, '-', '_', '=', '.' and '/'.
func (w *Writer) partitionKey(p int) string { return leaseKey(w.b.cfg.Stream, p) }

func leaseKey(stream string, p int) string { return fmt.Sprintf("%s.p.%02d", stream, p) }

func (w *Writer) writerKey() string {
	b := []byte(w.cfg.ID)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			b[i] = '_'
		}
	}
	return w.b.cfg.Stream + ".w." + string(b)
}

// Run holds leases and consumes the leased partitions until ctx is done.
// On return the partition loops have stopped and, when NATS is
// reachable, the leases are released so other writers take over at once
// rather than after a TTL.
func (w *Writer) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := w.ensureTTL(ctx)
		if err == nil {
			break
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		w.logf("ttl", "bus: setting the lease TTL failed, retrying", err)
		sleepCtx(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	w.mu.Lock()
	w.started = true
	w.mu.Unlock()
	t := time.NewTicker(w.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		w.leaseRound(ctx)
		select {
		case <-ctx.Done():
			w.shutdown()
			return nil
		case <-t.C:
		}
	}
}

// ensureTTL makes the lease bucket's TTL the configured lease TTL (all
// writers of a deployment must use the same).
func (w *Writer) ensureTTL(ctx context.Context) error {
	kv := w.b.leases()
	st, err := kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("bus: lease bucket status: %w", err)
	}
	if st.TTL() == w.cfg.LeaseTTL {
		return nil
	}
	cfg := st.Config()
	cfg.TTL = w.cfg.LeaseTTL
	kv, err = w.b.js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bus: set lease TTL to %v: %w", w.cfg.LeaseTTL, err)
	}
	w.log.Info("bus: lease TTL set", slog.Duration("ttl", w.cfg.LeaseTTL), slog.Duration("was", st.TTL()))
	w.b.mu.Lock()
	w.b.kv = kv
	w.b.mu.Unlock()
	return nil
}

// leaseRound announces this writer, renews its leases (giving up at once
// a lease it failed to renew), then moves towards its fair share of the
// partitions among the live writers: ceil(partitions / writers).
func (w *Writer) leaseRound(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	kv := w.b.leases()
	// Each phase has its own deadline, so a slow census cannot make the
	// renewals time out (and the leases be given up).
	rctx, cancel := context.WithTimeout(ctx, w.cfg.LeaseTTL/3)
	defer cancel()
	id := []byte(w.cfg.ID)
	if _, err := kv.Put(rctx, w.writerKey(), id); err != nil {
		w.logf("announce", "bus: announcing writer failed", err)
	}
	// Renew first: a lease is only as good as its last renewal.
	w.mu.Lock()
	runs := make([]*partRun, 0, len(w.owned))
	for _, r := range w.owned {
		runs = append(runs, r)
	}
	w.mu.Unlock()
	// Renewals go out together: one at a time, a partition's renewal
	// waits behind all the others' round trips, and on a loaded machine
	// the last ones missed their deadline although NATS answered each.
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.renew(rctx, kv, r, id)
		}()
	}
	wg.Wait()
	cctx, cancel2 := context.WithTimeout(ctx, w.cfg.LeaseTTL/3)
	defer cancel2()
	writers, leased, err := w.census(cctx)
	if err != nil {
		w.logf("census", "bus: listing leases failed", err)
		return
	}
	parts := w.b.cfg.Partitions
	fair := (parts + writers - 1) / writers
	w.mu.Lock()
	n := len(w.owned)
	var extra []*partRun
	for p := parts - 1; p >= 0 && n-len(extra) > fair; p-- {
		if r, ok := w.owned[p]; ok {
			extra = append(extra, r)
		}
	}
	w.mu.Unlock()
	for _, r := range extra {
		w.stopPartition(r, true)
	}
	// Acquire free partitions, starting at a point that depends on the
	// writer so that writers starting together do not all race for
	// partition 0.
	start := Partition(w.cfg.ID, parts)
	for i := 0; i < parts; i++ {
		w.mu.Lock()
		n = len(w.owned)
		p := (start + i) % parts
		_, mine := w.owned[p]
		_, busy := w.stopping[p]
		w.mu.Unlock()
		if n >= fair {
			break
		}
		if mine || busy || leased[p] {
			continue
		}
		sent := mono()
		rev, err := kv.Create(cctx, w.partitionKey(p), id)
		if err != nil {
			if !errors.Is(err, jetstream.ErrKeyExists) {
				w.logf("acquire", "bus: acquiring a lease failed", err)
			}
			continue
		}
		leased[p] = true
		w.startPartition(ctx, p, rev, sent)
	}
	w.mu.Lock()
	w.allLive = len(leased) >= parts
	w.mu.Unlock()
	lctx, cancel3 := context.WithTimeout(ctx, w.cfg.LeaseTTL/3)
	defer cancel3()
	w.updateLag(lctx)
}

// renew renews r's lease. A renewal that fails without an answer (a
// timeout, a lost connection) keeps the partition while the last
// successful renewal is less than a TTL old: the lease may still be ours,
// and fresh stops the partition's fetches once the last renewal is too old
// for a fetch to end before the lease could expire, so keeping it is safe,
// while giving it up at the first timeout made a slow machine churn its
// leases (each handover waits for the previous owner's deliveries). After
// a TTL without an answer the partition is given up. It is given up at
// once when NATS answers that the key is not ours at this revision: then the key is read, and if it still holds this writer's ID
// (an earlier renewal that timed out had in fact been stored) its
// revision is adopted and the renewal retried once.
func (w *Writer) renew(ctx context.Context, kv jetstream.KeyValue, r *partRun, id []byte) {
	key := w.partitionKey(r.p)
	for attempt := 0; ; attempt++ {
		sent := mono()
		rev, err := kv.Update(ctx, key, id, r.rev)
		if err == nil {
			r.rev = rev
			r.renewed.Store(sent)
			return
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyNotFound) {
			if mono()-r.renewed.Load() < int64(w.cfg.LeaseTTL) {
				w.logf("renew", "bus: lease renewal unanswered, keeping the partition while its lease may live", err, slog.Int("partition", r.p))
				return
			}
			// A lease TTL without a renewal: it has expired, or will
			// before another round could renew it.
			w.log.Warn("bus: lease renewals unanswered for a lease's life, giving the partition up", slog.Int("partition", r.p), slog.Any("err", err))
			w.lost.Add(1)
			w.stopPartition(r, false)
			return
		}
		if attempt == 0 {
			if e, gerr := kv.Get(ctx, key); gerr == nil && string(e.Value()) == string(id) && e.Revision() != r.rev {
				r.rev = e.Revision()
				continue
			}
		}
		w.log.Warn("bus: lease renewal refused, giving the partition up", slog.Int("partition", r.p), slog.Any("err", err))
		w.lost.Add(1)
		w.stopPartition(r, false)
		return
	}
}

// census counts the live writers (at least this one) and the leased
// partitions.
func (w *Writer) census(ctx context.Context) (int, map[int]bool, error) {
	wPrefix, pPrefix := w.b.cfg.Stream+".w.", w.b.cfg.Stream+".p."
	keys, err := w.b.leases().Keys(ctx, jetstream.MetaOnly())
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return 0, nil, err
	}
	writers, self := 0, false
	leased := make(map[int]bool)
	me := w.writerKey()
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, wPrefix):
			writers++
			self = self || k == me
		case strings.HasPrefix(k, pPrefix):
			if p, err := strconv.Atoi(k[len(pPrefix):]); err == nil {
				leased[p] = true
			}
		}
	}
	if !self {
		writers++
	}
	return writers, leased, nil
}

func (w *Writer) startPartition(ctx context.Context, p int, rev uint64, acquired int64) {
	pctx, cancel := context.WithCancel(ctx)
	r := &partRun{p: p, rev: rev, cancel: cancel, done: make(chan struct{})}
	r.renewed.Store(acquired)
	w.mu.Lock()
	w.owned[p] = r
	w.mu.Unlock()
	w.log.Info("bus: partition acquired", slog.Int("partition", p))
	go func() {
		defer close(r.done)
		w.consume(pctx, r)
	}()
}

// stopPartition stops a partition loop. With release, once the loop has
// finished its batch, the lease is deleted (if still ours) so another
// writer takes it at once; without, the lease is already lost.
func (w *Writer) stopPartition(r *partRun, release bool) {
	w.mu.Lock()
	if w.owned[r.p] != r {
		w.mu.Unlock()
		return
	}
	delete(w.owned, r.p)
	delete(w.lag, r.p)
	fin := make(chan struct{})
	w.stopping[r.p] = fin
	w.mu.Unlock()
	r.cancel()
	go func() {
		defer close(fin)
		<-r.done
		if release {
			w.release(r)
		}
		w.mu.Lock()
		delete(w.stopping, r.p)
		w.mu.Unlock()
	}()
}

func (w *Writer) release(r *partRun) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.b.leases().Delete(ctx, w.partitionKey(r.p), jetstream.LastRevision(r.rev)); err != nil {
		w.log.Debug("bus: lease release failed (it expires by itself)", slog.Int("partition", r.p), slog.Any("err", err))
		return
	}
	w.log.Info("bus: partition released", slog.Int("partition", r.p))
}

// shutdown stops every partition loop and releases the leases and the
// writer's announcement.
func (w *Writer) shutdown() {
	w.mu.Lock()
	runs := make([]*partRun, 0, len(w.owned))
	for _, r := range w.owned {
		runs = append(runs, r)
	}
	w.mu.Unlock()
	for _, r := range runs {
		w.stopPartition(r, true)
	}
	w.mu.Lock()
	fins := make([]chan struct{}, 0, len(w.stopping))
	for _, fin := range w.stopping {
		fins = append(fins, fin)
	}
	w.mu.Unlock()
	for _, fin := range fins {
		<-fin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.b.leases().Delete(ctx, w.writerKey())
	w.mu.Lock()
	w.started = false
	w.mu.Unlock()
}

// Ready is nil once the writer owns a partition, or every partition is
// leased by a live writer (more writers than partitions: a standby).
func (w *Writer) Ready() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return errors.New("bus: writer not running")
	}
	if len(w.owned) > 0 || w.allLive {
		return nil
	}
	return errors.New("bus: writer owns no partition and some partitions have no live writer yet")
}

// Owned returns the partitions this writer holds, in no order.
func (w *Writer) Owned() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	ps := make([]int, 0, len(w.owned))
	for p := range w.owned {
		ps = append(ps, p)
	}
	return ps
}

func (w *Writer) updateLag(ctx context.Context) {
	for _, p := range w.Owned() {
		info, err := w.b.consumer(p).Info(ctx)
		if err != nil {
			continue
		}
		w.mu.Lock()
		if _, ok := w.owned[p]; ok {
			w.lag[p] = int64(info.NumPending) + int64(info.NumAckPending)
		}
		w.mu.Unlock()
	}
}

// consume is one partition's loop: fetch a batch, commit it (retrying
// while the store fails), then acknowledge it. Nothing is acknowledged
// before its commit, so a writer that dies loses nothing: the messages
// are redelivered and committed again, harmlessly (uploads merge by key,
// raw frames are unique by BusSeq, contacts keep the latest).
func (w *Writer) consume(ctx context.Context, r *partRun) {
	p := r.p
	cons := w.b.consumer(p)
	w.awaitHandover(ctx, cons, p)
	var batch store.Batch
	msgs := make([]jetstream.Msg, 0, w.cfg.Batch)
	var held heldMsgs          // fetched, waiting for older deliveries to settle
	var waitingSince time.Time // zero: not waiting for older deliveries
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if !w.fresh(r) {
			// Renewal overdue: the lease may be expiring and another
			// writer about to take the partition; fetch nothing until
			// the lease round renews it or gives it up.
			sleepCtx(ctx, w.cfg.MaxWait/4)
			continue
		}
		// While waiting for older deliveries, keep fetching beyond a
		// batch: the deliveries waited for come back (after their
		// AckWait) only to a fetch, ahead of newer messages. The server
		// bounds what is outstanding (MaxAckPending).
		want := w.cfg.Batch - held.len()
		if !waitingSince.IsZero() {
			want = min(w.cfg.Batch, maxAckPending-held.len())
		}
		if want > 0 {
			mb, err := cons.Fetch(want, jetstream.FetchMaxWait(w.cfg.MaxWait))
			if err != nil {
				w.logf("fetch", "bus: fetch failed", err, slog.Int("partition", p))
				if errors.Is(err, jetstream.ErrConsumerNotFound) {
					// Deleted (a reset that did not finish): recreate it.
					if c, err := w.recreate(ctx, p, false); err == nil {
						cons = c
						held.drop()
						waitingSince = time.Time{}
						continue
					}
				}
				sleepCtx(ctx, backoff)
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			for m := range mb.Messages() {
				held.add(m)
			}
			if err := mb.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				w.logf("fetch", "bus: fetch ended with an error", err, slog.Int("partition", p))
				if errors.Is(err, jetstream.ErrConsumerNotFound) {
					if c, err := w.recreate(ctx, p, false); err == nil {
						cons = c
						held.drop()
						waitingSince = time.Time{}
						continue
					}
				}
			}
		} else {
			sleepCtx(ctx, w.cfg.MaxWait/4)
		}
		if held.len() == 0 {
			continue
		}
		backoff = 100 * time.Millisecond
		// Order per device: commit only when every delivered and
		// unacknowledged message of the partition is in hand. A delivery
		// lost on the way (a NATS node died mid-fetch) or still held by a
		// previous owner comes back only after its AckWait; committing
		// newer frames first would store a device's frames out of order.
		// So wait for it, keeping ours from redelivery meanwhile.
		if !w.settled(ctx, cons, held.len()) {
			w.waits.Add(1)
			if waitingSince.IsZero() {
				waitingSince = time.Now()
			}
			held.keepAlive(w.b.cfg.ackWait / 3)
			if time.Since(waitingSince) < w.settleLimit() {
				continue
			}
			// What is waited for cannot come back any more: a lost
			// delivery is redeliverable after AckWait and a previous
			// owner gives its batch up within stopGrace, so the
			// consumer's count of outstanding deliveries is wrong (as
			// seen after a NATS node restart). Start the partition's
			// consumer anew: it delivers everything not yet
			// acknowledged in stream order, and nothing held here was
			// committed, so each device's order is kept; what was
			// committed and not acknowledged is committed again,
			// harmlessly.
			w.log.Warn("bus: older deliveries never came back; resetting the partition's consumer",
				slog.Int("partition", p), slog.Int("held", held.len()), slog.Duration("waited", time.Since(waitingSince)))
			c, err := w.recreate(ctx, p, true)
			if err != nil {
				continue
			}
			cons = c
			held.drop()
			waitingSince = time.Time{}
			continue
		}
		waitingSince = time.Time{}
		msgs = held.take(msgs[:0])
		msgs = w.build(&batch, msgs)
		if len(msgs) == 0 {
			continue
		}
		ok, dropped := w.commit(ctx, &batch, msgs, p)
		if !ok {
			nakAll(msgs)
			return
		}
		if dropped == nil && w.cfg.OnCommit != nil {
			w.cfg.OnCommit(&batch)
		}
		if dropped != nil {
			// The store refused these even alone and as rejected raw
			// frames: terminate them rather than wedge the partition.
			keep := msgs[:0]
			for i, m := range msgs {
				if dropped[i] {
					w.dropped.Add(1)
					_ = m.Term()
					continue
				}
				keep = append(keep, m)
			}
			msgs = keep
		}
		if len(msgs) > 0 {
			w.ack(msgs, p)
			// The last message tells how many were still waiting
			// behind the batch: the lag, fresher than the lease round's.
			if meta, err := msgs[len(msgs)-1].Metadata(); err == nil {
				w.mu.Lock()
				if _, ok := w.owned[p]; ok {
					w.lag[p] = int64(meta.NumPending)
				}
				w.mu.Unlock()
			}
		}
		clearBatch(&batch)
	}
}

// settleLimit is how long a batch waits for older deliveries before the
// consumer is reset: after AckWait every delivery lost on the way is
// redeliverable, and a previous owner still committing gives its batch up
// within stopGrace (or commits and acknowledges it).
func (w *Writer) settleLimit() time.Duration { return w.b.cfg.ackWait + stopGrace }

// recreate resets (reset) or recreates partition p's consumer, retrying
// until it succeeds or ctx ends (the lease lost or the writer stopping);
// the next owner recreates a consumer this left deleted.
func (w *Writer) recreate(ctx context.Context, p int, reset bool) (jetstream.Consumer, error) {
	backoff := 100 * time.Millisecond
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var c jetstream.Consumer
		var err error
		if reset {
			c, err = w.b.resetConsumer(rctx, p)
		} else {
			c, err = w.b.ensureConsumer(rctx, p)
		}
		cancel()
		if err == nil {
			w.resets.Add(1)
			w.log.Info("bus: partition's consumer started anew", slog.Int("partition", p))
			return c, nil
		}
		w.logf("reset", "bus: resetting the partition's consumer failed, retrying", err, slog.Int("partition", p))
		if !sleepCtx(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// settled tells whether the partition's delivered-but-unacknowledged
// messages are exactly the n this writer holds.
func (w *Writer) settled(ctx context.Context, cons jetstream.Consumer, n int) bool {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := cons.Info(ictx)
	if err != nil {
		w.logf("settle", "bus: consumer info failed", err)
		return false
	}
	return info.NumAckPending <= n
}

// heldMsgs are fetched messages not yet committed, unique by stream
// sequence and taken in stream order (a redelivery of a message already
// held replaces it: its ack is the one the server now expects).
type heldMsgs struct {
	bySeq    map[uint64]jetstream.Msg
	progress time.Time
}

func (h *heldMsgs) len() int { return len(h.bySeq) }

func (h *heldMsgs) add(m jetstream.Msg) {
	if h.bySeq == nil {
		h.bySeq = make(map[uint64]jetstream.Msg)
	}
	var seq uint64
	if meta, err := m.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	if len(h.bySeq) == 0 {
		h.progress = time.Now()
	}
	h.bySeq[seq] = m
}

// keepAlive tells the server, every interval, that the held messages are
// being worked on, so that they are not redelivered while the writer waits.
func (h *heldMsgs) keepAlive(every time.Duration) {
	if time.Since(h.progress) < every {
		return
	}
	for _, m := range h.bySeq {
		_ = m.InProgress()
	}
	h.progress = time.Now()
}

// drop forgets the held messages (their consumer was reset: they will be
// delivered again).
func (h *heldMsgs) drop() { clear(h.bySeq) }

// take appends the held messages to dst in stream order and empties h.
func (h *heldMsgs) take(dst []jetstream.Msg) []jetstream.Msg {
	seqs := make([]uint64, 0, len(h.bySeq))
	for s := range h.bySeq {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	for _, s := range seqs {
		dst = append(dst, h.bySeq[s])
	}
	clear(h.bySeq)
	return dst
}

// fresh tells whether a fetch started now ends before the lease could
// expire: the lease was renewed (sent) less than 2/3 TTL ago, the key
// expires TTL after the server stored the renewal, and a fetch lasts at
// most TTL/4. So a writer that missed renewals stops consuming before
// another writer can acquire the partition, and two writers never
// consume one partition at once (which could reorder a device's frames).
func (w *Writer) fresh(r *partRun) bool {
	return mono()-r.renewed.Load() < int64(w.cfg.LeaseTTL*2/3)
}

// awaitHandover waits, on taking a partition over, until the previous
// owner's delivered messages are acknowledged or redeliverable (AckWait),
// so that this writer does not commit newer frames of a device before the
// previous owner's older ones.
func (w *Writer) awaitHandover(ctx context.Context, cons jetstream.Consumer, p int) {
	start := time.Now()
	deadline := start.Add(w.b.cfg.ackWait + time.Second)
	pending := -1
	for ctx.Err() == nil && time.Now().Before(deadline) {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil {
			if info.NumAckPending == 0 {
				if pending > 0 {
					w.log.Info("bus: previous owner's messages settled", slog.Int("partition", p), slog.Duration("waited", time.Since(start)))
				}
				return
			}
			if pending < 0 {
				w.log.Info("bus: waiting for the previous owner's unacknowledged messages", slog.Int("partition", p), slog.Int("pending", info.NumAckPending))
			}
			pending = info.NumAckPending
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
}

// build decodes msgs into batch and returns the messages to acknowledge
// after the commit (a message without JetStream metadata is terminated).
func (w *Writer) build(batch *store.Batch, msgs []jetstream.Msg) []jetstream.Msg {
	clearBatch(batch)
	keep := msgs[:0]
	contactAt := make(map[string]int)
	for _, msg := range msgs {
		meta, err := msg.Metadata()
		if err != nil {
			// Not a JetStream delivery: nothing to commit it under.
			w.logf("meta", "bus: message without metadata terminated", err)
			_ = msg.Term()
			continue
		}
		keep = append(keep, msg)
		if meta.NumDelivered > 1 {
			w.redeliveries.Add(1)
		}
		seq := int64(meta.Sequence.Stream)
		m, err := DecodeMessage(msg.Data())
		if err != nil {
			// Never wedge the partition on a message no writer can read:
			// archive its bytes as a rejected frame (evidence of what
			// arrived) and move on.
			w.undecodable.Add(1)
			w.logf("decode", "bus: undecodable message archived as rejected", err, slog.Uint64("seq", meta.Sequence.Stream))
			raw := msg.Data()
			if len(raw) > maxRejectedRaw {
				raw = raw[:maxRejectedRaw]
			}
			batch.Raw = append(batch.Raw, model.RawFrame{
				ReceivedAt: meta.Timestamp.UTC(),
				Remote:     "bus:" + msg.Subject(),
				Status:     model.RawRejected,
				Reason:     err.Error(),
				Raw:        append([]byte{}, raw...),
				BusSeq:     seq,
			})
			batch.Frames = append(batch.Frames, store.Frame{Upload: -1, Raw: len(batch.Raw) - 1})
			continue
		}
		f := store.Frame{Upload: -1, Raw: -1}
		if m.Upload != nil {
			f.Upload = len(batch.Uploads)
			batch.Uploads = append(batch.Uploads, *m.Upload)
		}
		if m.Raw != nil {
			r := *m.Raw
			r.BusSeq = seq
			f.Raw = len(batch.Raw)
			batch.Raw = append(batch.Raw, r)
		}
		if c := m.Contact; c != nil && c.MN != "" {
			f.Contact = *c
			// Latest contact per device; ties: the later message.
			if i, ok := contactAt[c.MN]; ok {
				if !c.At.Before(batch.Contacts[i].At) {
					batch.Contacts[i] = *c
				}
			} else {
				contactAt[c.MN] = len(batch.Contacts)
				batch.Contacts = append(batch.Contacts, *c)
			}
		}
		batch.Frames = append(batch.Frames, f)
	}
	return keep
}

// maxRejectedRaw bounds the bytes kept of an undecodable message.
const maxRejectedRaw = 64 << 10

func clearBatch(b *store.Batch) {
	clear(b.Uploads)
	clear(b.Raw)
	clear(b.Contacts)
	clear(b.Frames)
	b.Uploads, b.Raw, b.Contacts, b.Frames = b.Uploads[:0], b.Raw[:0], b.Contacts[:0], b.Frames[:0]
}

// stopGrace is how long a stopping partition loop (shutdown, lease
// released or lost) keeps trying to commit the batch it holds. Finishing
// the batch, rather than handing it back, leaves nothing outstanding for
// the next owner to wait for.
const stopGrace = 10 * time.Second

// isolateAfter is the number of failed attempts after which a batch that
// a reachable store (Ping) keeps refusing is committed frame by frame.
const isolateAfter = 3

// Pinger is implemented by stores that can tell "down" from "refusing".
type Pinger interface {
	Ping(ctx context.Context) error
}

// commit commits batch, retrying with backoff while the store fails; the
// messages are kept from redelivery meanwhile (InProgress). It returns
// false if the batch could not be committed within stopGrace of ctx's
// end. When a store that answers Ping keeps refusing the batch, the
// frames are committed one by one (isolate); dropped then marks the
// messages the store refused in every form, and OnCommit has been called
// for each frame committed.
func (w *Writer) commit(ctx context.Context, batch *store.Batch, msgs []jetstream.Msg, p int) (ok bool, dropped map[int]bool) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel()
		}
	}()
	backoff := 100 * time.Millisecond
	lastProgress := time.Now()
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		err := w.st.CommitBatch(cctx, batch)
		if err == nil {
			w.latency.Observe(time.Since(t0).Seconds())
			w.commits.Add(1)
			w.frames.Add(uint64(len(msgs)))
			return true, nil
		}
		w.commitErrors.Add(1)
		if cctx.Err() != nil {
			return false, nil
		}
		if attempt >= isolateAfter && w.storeUp(cctx) {
			if dropped, ok := w.isolate(cctx, batch, p); ok {
				return true, dropped
			}
		}
		w.logf("commit", "bus: commit failed, retrying", err, slog.Int("partition", p), slog.Int("frames", len(msgs)), slog.Int("attempt", attempt))
		if time.Since(lastProgress) > w.b.cfg.ackWait/3 {
			for _, m := range msgs {
				_ = m.InProgress()
			}
			lastProgress = time.Now()
		}
		if !sleepCtx(cctx, backoff) {
			return false, nil
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (w *Writer) storeUp(ctx context.Context) bool {
	pg := w.cfg.Health
	if pg == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return pg.Ping(ctx) == nil
}

// isolate commits a refused batch frame by frame, so that one frame the
// store cannot take does not wedge its partition (the gateway does the
// same with its own batches, but cannot here: the bus accepted the
// frame). A frame refused alone is archived as a rejected raw frame with
// the store's reason, if the store takes that. If no frame at all could
// be committed, the store is refusing everything (not one frame's
// content): ok is false and the batch is retried whole, nothing dropped.
func (w *Writer) isolate(ctx context.Context, batch *store.Batch, p int) (dropped map[int]bool, ok bool) {
	dropped = make(map[int]bool)
	committed := 0
	for i, f := range batch.Frames {
		var one store.Batch
		g := store.Frame{Upload: -1, Raw: -1, Contact: f.Contact}
		if f.Upload >= 0 {
			one.Uploads = []model.Upload{batch.Uploads[f.Upload]}
			g.Upload = 0
		}
		if f.Raw >= 0 {
			one.Raw = []model.RawFrame{batch.Raw[f.Raw]}
			g.Raw = 0
		}
		if f.Contact.MN != "" {
			one.Contacts = []model.Contact{f.Contact}
		}
		one.Frames = []store.Frame{g}
		err := w.st.CommitBatch(ctx, &one)
		if err == nil {
			committed++
			w.frames.Add(1)
			if w.cfg.OnCommit != nil {
				w.cfg.OnCommit(&one)
			}
			continue
		}
		if ctx.Err() != nil {
			return nil, false
		}
		mn := ""
		if f.Raw >= 0 {
			mn = batch.Raw[f.Raw].MN
		} else if f.Upload >= 0 {
			mn = batch.Uploads[f.Upload].MN
		}
		w.logf("refused", "bus: store refused a frame", err, slog.Int("partition", p), slog.String("mn", mn))
		if f.Raw >= 0 {
			raw := batch.Raw[f.Raw]
			raw.Status = model.RawRejected
			raw.Reason = "store refused the frame: " + err.Error()
			rej := store.Batch{Raw: []model.RawFrame{raw}, Frames: []store.Frame{{Upload: -1, Raw: 0}}}
			if w.st.CommitBatch(ctx, &rej) == nil {
				committed++
				w.frames.Add(1)
				w.refused.Add(1)
				continue
			}
		}
		dropped[i] = true
	}
	if committed == 0 {
		return nil, false
	}
	w.commits.Add(1)
	if len(dropped) > 0 {
		w.log.Error("bus: frames the store refused in every form are dropped from the stream", slog.Int("partition", p), slog.Int("frames", len(dropped)))
	}
	return dropped, true
}

// ack acknowledges a committed batch. The last ack waits for the
// server's confirmation: acks of one connection are processed in order,
// so it confirms them all. A lost ack only means a redelivery, which is
// harmless.
func (w *Writer) ack(msgs []jetstream.Msg, p int) {
	for _, m := range msgs[:len(msgs)-1] {
		if err := m.Ack(); err != nil {
			w.logf("ack", "bus: ack failed (the message will be redelivered)", err, slog.Int("partition", p))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := msgs[len(msgs)-1].DoubleAck(ctx); err != nil {
		w.logf("ack", "bus: ack failed (the messages may be redelivered)", err, slog.Int("partition", p))
	}
}

func nakAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.Nak()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *Writer) logf(key, msg string, err error, attrs ...any) {
	if n, ok := w.rl.allow(key); ok {
		w.log.Warn(msg, append(attrs, slog.Any("err", err), slog.Int("suppressed", n))...)
	}
}

// rateLog lets one log line per key through every 10 seconds and counts
// the rest.
type rateLog struct {
	mu   sync.Mutex
	last map[string]time.Time
	supp map[string]int
}

func (r *rateLog) allow(key string) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = make(map[string]time.Time)
		r.supp = make(map[string]int)
	}
	now := time.Now()
	if t, ok := r.last[key]; ok && now.Sub(t) < 10*time.Second {
		r.supp[key]++
		return 0, false
	}
	n := r.supp[key]
	r.last[key] = now
	r.supp[key] = 0
	return n, true
}
