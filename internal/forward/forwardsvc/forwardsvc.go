// Package forwardsvc runs forwarding to upper platforms on the store: for
// each target a client that connects to the upper platform, sends what
// the durable outbound queue holds (forward.Sender's acknowledgement and
// retry rules), removes what was acknowledged, reconnects with backoff,
// and answers the upper platform's requests (history back-fill from the
// store, time get/set, OverTime/ReCount).
//
// The queue is written by store.CommitBatch in the transaction that
// stores the uploads (routes: forward_routes), so whatever ecowatch has
// acknowledged to a device is in every selecting target's queue, and
// stays there until that target acknowledged it: a restart, an upper
// platform down or slow, loses nothing.
package forwardsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Store is what forwarding needs of the store.
type Store interface {
	store.ForwardStore
	Registry(ctx context.Context) (*model.Registry, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
}

// Options tune the service; zero values are the defaults.
type Options struct {
	Log *slog.Logger
	// Dial connects to a target (default: TCP with a 10 s timeout).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Poll is how often an idle client looks at its queue (200 ms).
	Poll time.Duration
	// StatsEvery is how often queue depths are read, the bound applied
	// and the state saved for the pages (2 s).
	StatsEvery time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay (1 s, 60 s).
	BackoffMin, BackoffMax time.Duration
}

// Service forwards to every configured target.
type Service struct {
	st   Store
	cfg  *forward.Config
	opts Options
	log  *slog.Logger

	plan    atomic.Pointer[forward.Plan]
	clients []*client

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a service for cfg (already validated by forward.Parse).
func New(st Store, cfg *forward.Config, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		opts.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.StatsEvery <= 0 {
		opts.StatsEvery = 2 * time.Second
	}
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = time.Second
	}
	if opts.BackoffMax < opts.BackoffMin {
		opts.BackoffMax = max(opts.BackoffMin, 60*time.Second)
	}
	s := &Service{st: st, cfg: cfg, opts: opts, log: opts.Log, stop: make(chan struct{})}
	for i := range cfg.Targets {
		s.clients = append(s.clients, &client{s: s, t: &cfg.Targets[i], log: opts.Log.With("target", cfg.Targets[i].Name)})
	}
	return s
}

// Start resolves the selections against the registry, stores the routes
// and starts a client per target.
func (s *Service) Start(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	for _, c := range s.clients {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); c.run() }()
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.statsLoop() }()
	return nil
}

// Reload resolves the selections against the registry again (a device
// added, an outlet moved) and replaces the stored routes.
func (s *Service) Reload(ctx context.Context) error {
	reg, err := s.st.Registry(ctx)
	if err != nil {
		return fmt.Errorf("forwarding: registry: %w", err)
	}
	p := forward.PlanFor(s.cfg, reg)
	routes := make([]store.ForwardRoute, len(p.Routes))
	for i, r := range p.Routes {
		routes[i] = store.ForwardRoute{MN: r.MN, Target: r.Target, CNs: r.CNs}
	}
	if err := s.st.SetForwardRoutes(ctx, routes); err != nil {
		return fmt.Errorf("forwarding: %w", err)
	}
	if old := s.plan.Swap(p); old == nil || len(old.Warnings) != len(p.Warnings) {
		for _, w := range p.Warnings {
			s.log.Warn("forwarding: " + w)
		}
	}
	for _, c := range s.clients {
		c.devices.Store(int64(len(p.Ident[c.t.Name])))
	}
	return nil
}

// Stop stops the clients (what is in flight stays queued) and saves
// their state.
func (s *Service) Stop() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	for _, c := range s.clients {
		c.closeConn()
	}
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range s.clients {
		c.connected.Store(false)
		_ = s.st.SaveForwardState(ctx, c.state(time.Now()))
	}
}

// sleep waits d or until Stop; it reports whether to go on.
func (s *Service) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop:
		return false
	case <-t.C:
		return true
	}
}

func (s *Service) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// statsLoop reads the queues' depth and age, applies each target's bound
// and saves the state for the pages.
func (s *Service) statsLoop() {
	for s.sleep(s.opts.StatsEvery) {
		s.refresh()
	}
}

func (s *Service) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	qs, err := s.st.ForwardQueueStats(ctx)
	if err != nil {
		s.log.Warn("forwarding: queue stats", "err", err)
		return
	}
	by := map[string]store.ForwardQueueStat{}
	for _, q := range qs {
		by[q.Target] = q
	}
	for _, c := range s.clients {
		q := by[c.t.Name]
		if q.Depth > c.t.MaxQueue {
			// The bound: the oldest entries beyond max_queue are evicted,
			// counted and logged (the upper platform can still ask for
			// them by history request, answered from the store).
			n, err := s.st.ForwardTrim(ctx, c.t.Name, c.t.MaxQueue)
			if err != nil {
				c.fail(now, fmt.Errorf("queue bound: %w", err))
			} else if n > 0 {
				c.evicted.Add(n)
				q.Depth -= n
				c.log.Warn("forwarding queue over its bound: oldest entries evicted", "evicted", n, "max_queue", c.t.MaxQueue)
			}
		}
		c.depth.Store(q.Depth)
		if q.Depth > 0 && !q.Oldest.IsZero() {
			c.oldest.Store(q.Oldest.UnixMicro())
		} else {
			c.oldest.Store(0)
		}
		if err := s.st.SaveForwardState(ctx, c.state(now)); err != nil {
			s.log.Warn("forwarding: save state", "err", err)
		}
	}
}

// Status is a target's state for pages and metrics.
type Status struct {
	store.ForwardState
	Protocol    string
	Devices     int64
	Depth       int64
	Lag         time.Duration // age of the oldest entry waiting
	AckLagSum   time.Duration // enqueue to acknowledgement, summed
	AckLagCount int64
	Requests    int64
	Missing     int64
}

// Status returns every target's state, by name.
func (s *Service) Status() []Status {
	now := time.Now()
	out := make([]Status, 0, len(s.clients))
	for _, c := range s.clients {
		st := Status{ForwardState: c.state(now), Protocol: c.t.Protocol, Devices: c.devices.Load(), Depth: c.depth.Load(),
			AckLagSum: time.Duration(c.ackLagSum.Load()) * time.Microsecond, AckLagCount: c.acked.Load(),
			Requests: c.requests.Load(), Missing: c.missing.Load()}
		if o := c.oldest.Load(); o > 0 {
			st.Lag = max(0, now.Sub(time.UnixMicro(o)))
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}

// backoff is the reconnect delay after n failures in a row: BackoffMin
// doubling up to BackoffMax, with ±20 % jitter so that many ecowatch
// instances do not reconnect in step.
func (s *Service) backoff(n int) time.Duration {
	d := s.opts.BackoffMin
	for i := 1; i < n && d < s.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.opts.BackoffMax)
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return j
}

var errStopped = errors.New("forwarding stopped")
