// Package rightsvc runs the emission-rights ledger (internal/rights) on a
// store: it holds the ledger state in memory, applies commands through one
// writer goroutine, persists each group of commands' entries in one store
// transaction before answering any of them, and rebuilds the state from the
// store with rights.Replay whenever a write fails.
//
// Group commit: commands that arrive while a transaction is being written
// wait and are applied together in the next one (up to Options.MaxBatch).
// Each command's entries are contiguous and all or none of the group is
// stored, so a command is never stored halfway, and no caller is answered
// before its entries (or, for a refusal, the entries it was judged
// against) are durable.
package rightsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
)

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("rights service closed")

// Options configure a Service. The zero value is usable.
type Options struct {
	// Now is the clock; nil means time.Now. A clock that goes back is
	// clamped to the last entry's time (rights.Apply refuses time going
	// backwards).
	Now func() time.Time
	// MaxBatch is the most commands written in one transaction; 0 means
	// 512.
	MaxBatch int
	Log      *slog.Logger
}

// Service is the ledger on a store. Its methods are safe for concurrent
// use.
type Service struct {
	st   store.RightsStore
	opts Options
	log  *slog.Logger

	reqs    chan *request
	closing chan struct{}
	stopped chan struct{}
	once    sync.Once

	// mu guards the state and the indexes. The writer holds it from Apply
	// until the store transaction ends, so readers never see entries that
	// are not durable.
	mu    sync.RWMutex
	state rights.State
	last  time.Time // time of the last entry
	idx   index
	// stale is set when a reload failed after a failed write: the state
	// may hold entries that are not stored, so the next group reloads
	// first.
	stale bool
}

type request struct {
	cmd rights.Command
	// audit, when set, is the caller's audit record: written with the
	// command's entries, in their transaction, with the result as After.
	audit *model.AuditRecord
	res   rights.Result
	err   error
	done  chan struct{}
}

// Open loads the ledger from st, replays it (checking the hash chain and
// every invariant, as rights.Verify does) and starts the writer. A ledger
// that fails verification is not opened: the error says at which entry.
func Open(ctx context.Context, st store.RightsStore, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, opts: opts, log: opts.Log,
		reqs: make(chan *request, opts.MaxBatch), closing: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	go s.writer()
	return s, nil
}

// LoadEntries reads the whole ledger from st.
func LoadEntries(ctx context.Context, st store.RightsLedger) ([]rights.Entry, error) {
	// Sized from the head: growing a slice of a million entries by
	// doubling costs a third of the load.
	n, _, err := st.RightsHead(ctx)
	if err != nil {
		return nil, err
	}
	es := make([]rights.Entry, 0, n)
	err = st.RightsEntries(ctx, store.RightsQuery{}, func(e *rights.Entry) error {
		es = append(es, *e)
		return nil
	})
	return es, err
}

// reload rebuilds the state and the indexes from the store. The caller
// holds mu, or is Open.
func (s *Service) reload(ctx context.Context) error { return s.reloadFrom(ctx, s.st) }

// reloadFrom is reload from l: the store, or its locked transaction.
func (s *Service) reloadFrom(ctx context.Context, l store.RightsLedger) error {
	es, err := LoadEntries(ctx, l)
	if err != nil {
		return fmt.Errorf("rights: load ledger: %w", err)
	}
	state, err := rights.Replay(es)
	if err != nil {
		return fmt.Errorf("rights: the stored ledger fails verification: %w", err)
	}
	s.state = state
	s.last = time.Time{}
	if len(es) > 0 {
		s.last = es[len(es)-1].Time
	}
	s.idx = newIndex()
	s.idx.add(es)
	return nil
}

// Apply runs one command and returns its result once its entries are
// durable, or the *rights.Refusal saying why it was refused (nothing is
// written then). A repeat of an applied command (same idempotency key, same
// body) returns the original result. If ctx ends first the command may
// still be applied; repeat it with the same key to learn its result.
func (s *Service) Apply(ctx context.Context, cmd rights.Command) (rights.Result, error) {
	return s.ApplyAudited(ctx, cmd, nil)
}

// ApplyAudited is Apply that also writes audit (Action and Target filled
// in if empty, After set to the result) in the transaction of the
// command's entries. A repeat of an applied command writes nothing, so
// no second record either; a refusal writes none.
func (s *Service) ApplyAudited(ctx context.Context, cmd rights.Command, audit *model.AuditRecord) (rights.Result, error) {
	wait, err := s.submit(ctx, cmd, audit)
	if err != nil {
		return rights.Result{}, err
	}
	return wait(ctx)
}

// Submit queues cmd and returns a function that waits for its result (as
// Apply returns it). Commands submitted one after the other are applied in
// that order, so a caller can keep many commands in flight (they share
// transactions) and still get the results of a sequential run.
func (s *Service) Submit(ctx context.Context, cmd rights.Command) (func(context.Context) (rights.Result, error), error) {
	return s.submit(ctx, cmd, nil)
}

// SubmitAudited is Submit with an audit record, as ApplyAudited.
func (s *Service) SubmitAudited(ctx context.Context, cmd rights.Command, audit *model.AuditRecord) (func(context.Context) (rights.Result, error), error) {
	return s.submit(ctx, cmd, audit)
}

func (s *Service) submit(ctx context.Context, cmd rights.Command, audit *model.AuditRecord) (func(context.Context) (rights.Result, error), error) {
	r := &request{cmd: cmd, audit: audit, done: make(chan struct{})}
	select {
	case s.reqs <- r:
	case <-s.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func(ctx context.Context) (rights.Result, error) {
		select {
		case <-r.done:
			return r.res, r.err
		case <-s.stopped:
			// The writer is gone; r was queued after its last drain.
			select {
			case <-r.done:
				return r.res, r.err
			default:
				return rights.Result{}, ErrClosed
			}
		case <-ctx.Done():
			return rights.Result{}, ctx.Err()
		}
	}, nil
}

// Close stops the writer after the group being written; commands queued
// behind it fail with ErrClosed. It does not close the store.
func (s *Service) Close() error {
	s.once.Do(func() { close(s.closing) })
	<-s.stopped
	return nil
}

func (s *Service) writer() {
	defer close(s.stopped)
	batch := make([]*request, 0, s.opts.MaxBatch)
	for {
		select {
		case <-s.closing:
			s.drain()
			return
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		more:
			for len(batch) < s.opts.MaxBatch {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
				default:
					break more
				}
			}
			s.commit(batch)
			for _, r := range batch {
				close(r.done)
			}
			clear(batch)
		}
	}
}

// drain fails the requests still queued at Close.
func (s *Service) drain() {
	for {
		select {
		case r := <-s.reqs:
			r.err = ErrClosed
			close(r.done)
		default:
			return
		}
	}
}

// commit applies a group of commands and writes their entries in one
// transaction. On a failed write the state is rebuilt from the store.
//
// If the store reported a conflict (another process appended first), the
// group is applied once more, under the ledger's write lock
// (store.LockRights): the reload, the apply and the append are then one
// transaction that no other writer can overtake, so a writer that lost a
// race cannot lose again, however busy the others or slow the machine.
// What bounds the wait is the lock's (store.RightsLockWait): a writer
// stuck holding it makes the group fail with store.ErrRightsBusy rather
// than wait forever.
func (s *Service) commit(batch []*request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	if s.stale {
		// A reload failed earlier: judge nothing against a state that is
		// not the store's.
		if err := s.reload(ctx); err != nil {
			s.broken(batch, fmt.Errorf("rights: the ledger cannot be loaded: %w", err))
			return
		}
		s.stale = false
	}
	entries, audits := s.applyBatch(batch, nil, nil)
	if len(entries) == 0 {
		return
	}
	err := s.st.AppendRights(ctx, entries, audits)
	if err == nil {
		s.idx.add(entries)
		return
	}
	if errors.Is(err, store.ErrRightsConflict) {
		s.log.Info("rights: another writer appended first; applying again under the ledger's lock",
			slog.Int("commands", len(batch)), slog.Any("err", err))
		var stored []rights.Entry
		err = s.st.LockRights(ctx, func(l store.RightsLedger) error {
			// The state holds the group's unstored entries: rebuild it from
			// the ledger as the lock holds it, and judge the group again.
			if err := s.reloadFrom(ctx, l); err != nil {
				return err
			}
			entries, audits = s.applyBatch(batch, entries, audits)
			if len(entries) == 0 {
				// All refused, or all repeats of commands stored meanwhile.
				return nil
			}
			if err := l.AppendRights(ctx, entries, audits); err != nil {
				return err
			}
			stored = entries
			return nil
		})
		if err == nil {
			// The reload rebuilt the indexes from the ledger before the
			// append: add what this transaction stored.
			s.idx.add(stored)
			return
		}
	}
	s.log.Warn("rights: write failed; reloading the ledger", slog.Int("commands", len(batch)),
		slog.Int("entries", len(entries)), slog.Any("err", err))
	if rerr := s.reload(ctx); rerr != nil {
		// The state is unknown: fail the group and keep failing until a
		// reload succeeds (the next commit tries again).
		s.log.Error("rights: reload failed", slog.Any("err", rerr))
		s.stale = true
		s.broken(batch, fmt.Errorf("rights: write failed (%w) and reload failed: %v", err, rerr))
		return
	}
	s.broken(batch, fmt.Errorf("rights: write failed, nothing applied: %w", err))
}

// applyBatch applies the group's commands to the state, setting each
// request's result, and returns their entries and audit records (appended
// to entries[:0] and audits[:0]).
func (s *Service) applyBatch(batch []*request, entries []rights.Entry, audits []model.AuditRecord) ([]rights.Entry, []model.AuditRecord) {
	entries, audits = entries[:0], audits[:0]
	for _, r := range batch {
		now := s.opts.Now().UTC().Truncate(time.Microsecond)
		if now.Before(s.last) {
			now = s.last
		}
		es, res, err := rights.Apply(&s.state, r.cmd, now)
		r.res, r.err = res, err
		if len(es) > 0 {
			entries = append(entries, es...)
			s.last = es[len(es)-1].Time
			if r.audit != nil {
				audits = append(audits, auditOf(*r.audit, res, now))
			}
		}
	}
	return entries, audits
}

// auditOf completes a command's audit record from its result.
func auditOf(a model.AuditRecord, res rights.Result, now time.Time) model.AuditRecord {
	if a.At.IsZero() {
		a.At = now
	}
	if a.Action == "" {
		a.Action = "rights." + res.Cmd
	}
	if a.Target == "" {
		a.Target = "rights/command/" + res.Key
	}
	if b, err := json.Marshal(res); err == nil {
		a.After = string(b)
	}
	return a
}

func (s *Service) broken(batch []*request, err error) {
	for _, r := range batch {
		r.res, r.err = rights.Result{}, err
	}
}

// Read calls fn with the current state under a read lock: fn must not keep
// the state or call Apply.
func (s *Service) Read(fn func(st *rights.State)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(&s.state)
}

// Head returns the last Seq and its hash.
func (s *Service) Head() (int64, rights.Digest) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.Seq(), s.state.Head()
}

// Check audits the in-memory state (rights.State.Check).
func (s *Service) Check() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.Check()
}

// Fingerprint returns the state's fingerprint (rights.State.Fingerprint),
// to compare with a Replay of the store.
func (s *Service) Fingerprint() rights.Digest {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.Fingerprint()
}

// Store returns the store the service writes to (for reads of entries).
func (s *Service) Store() store.RightsStore { return s.st }
