package forwardsvc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/store"
)

// LockName is the session lock whose holder forwards: exactly one process
// at a time sends a target's queue, so that its entries go out in order
// and the upper platform sees one connection per target.
const LockName = "forward"

// DefaultRetry is how often a process that does not forward tries to
// take the lock.
const DefaultRetry = 2 * time.Second

// Elected runs forwarding in one of several processes sharing a store
// (the scaled-out writers on PostgreSQL): each tries the session lock
// LockName every Retry; the holder runs a Service; when its session is
// lost (the database ended it, the network failed) it stops forwarding
// and tries again like the others. A holder that dies loses its session
// with it, so another process takes over within Retry of the database
// noticing (at once for a killed process, store.SessionLockIdle for a
// lost machine).
//
// Every queue entry stays queued until the upper platform acknowledged
// it, so a take-over sends again at most what the previous holder had in
// flight; the upper platform stores those once (it deduplicates on MN,
// CN and DataTime, as ecowatch does).
type Elected struct {
	st     Store
	cfg    *forward.Config
	opts   Options
	locker store.SessionLocker
	retry  time.Duration

	mu  sync.Mutex
	cur *Service // nil while another process forwards

	terms   atomic.Int64 // leadership terms begun
	tries   atomic.Int64 // tries that found the lock held elsewhere
	started atomic.Bool
	stop    chan struct{}
	done    chan struct{}
}

// NewElected returns a forwarder for cfg that runs only while it holds
// locker's session lock; retry ≤ 0 takes DefaultRetry.
func NewElected(st Store, cfg *forward.Config, locker store.SessionLocker, opts Options, retry time.Duration) *Elected {
	if retry <= 0 {
		retry = DefaultRetry
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Elected{st: st, cfg: cfg, opts: opts, locker: locker, retry: retry, stop: make(chan struct{}), done: make(chan struct{})}
}

// Start starts trying the lock in the background.
func (e *Elected) Start() {
	if !e.started.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(e.done)
		e.run()
	}()
}

func (e *Elected) run() {
	log := e.opts.Log
	failures := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		lock, ok, err := e.locker.TrySessionLock(ctx, LockName)
		cancel()
		switch {
		case err != nil:
			// Logged on the first failure and then every 30th (a minute
			// at the default retry): the database being down is reported
			// by the store's own health checks too.
			if failures%30 == 0 {
				log.Warn("forwarding: cannot try the forwarding lock", "err", err)
			}
			failures++
		case ok:
			failures = 0
			e.lead(lock)
		default:
			failures = 0
			e.tries.Add(1)
		}
		select {
		case <-e.stop:
			return
		case <-time.After(e.retry):
		}
	}
}

// lead forwards while lock holds, until it is lost or Stop.
func (e *Elected) lead(lock store.SessionLock) {
	defer lock.Release()
	log := e.opts.Log
	svc := New(e.st, e.cfg, e.opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := svc.Start(ctx)
	cancel()
	if err != nil {
		log.Error("forwarding: cannot start with the lock held; letting it go", "err", err)
		svc.Stop()
		return
	}
	e.mu.Lock()
	e.cur = svc
	e.mu.Unlock()
	e.terms.Add(1)
	log.Info("forwarding: this process holds the forwarding lock and forwards", "targets", len(e.cfg.Targets))
	select {
	case <-lock.Lost():
		log.Warn("forwarding: the forwarding lock's database session was lost; forwarding stops here and another process may take over")
	case <-e.stop:
	}
	e.mu.Lock()
	e.cur = nil
	e.mu.Unlock()
	// Stopped before the lock is released: no two processes send at once
	// after an orderly hand-over.
	svc.Stop()
}

// Leading reports whether this process forwards now.
func (e *Elected) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur != nil
}

// Tries is how many tries of the lock found it held by another process.
func (e *Elected) Tries() int64 { return e.tries.Load() }

// Terms is how many times this process took the lock.
func (e *Elected) Terms() int64 { return e.terms.Load() }

// Reload resolves the selections against the registry again and stores
// the routes, when this process forwards (the routes are the holder's).
func (e *Elected) Reload(ctx context.Context) error {
	e.mu.Lock()
	svc := e.cur
	e.mu.Unlock()
	if svc == nil {
		return nil
	}
	return svc.Reload(ctx)
}

// Status is every target's state while this process forwards, nil
// otherwise (the forwarding page reads the holder's saved state).
func (e *Elected) Status() []Status {
	e.mu.Lock()
	svc := e.cur
	e.mu.Unlock()
	if svc == nil {
		return nil
	}
	return svc.Status()
}

// Stop stops forwarding (if this process forwards) and gives the lock
// back.
func (e *Elected) Stop() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	if e.started.Load() {
		<-e.done
	}
}

// RegisterMetrics registers the per-target series of the holder (none
// elsewhere) and ecowatch_forward_leader.
func (e *Elected) RegisterMetrics(r prometheus.Registerer) error {
	if err := registerMetrics(r, e.Status); err != nil {
		return err
	}
	set := metrics.NewSet(func() *Elected { return e })
	set.Gauge("ecowatch_forward_leader", "1 while this process holds the forwarding lock and forwards.", func(e *Elected) float64 {
		if e.Leading() {
			return 1
		}
		return 0
	})
	set.Counter("ecowatch_forward_leader_terms_total", "Times this process took the forwarding lock.", func(e *Elected) float64 { return float64(e.Terms()) })
	if err := r.Register(set); err != nil {
		return fmt.Errorf("register the forwarding lock metrics: %w", err)
	}
	return nil
}
