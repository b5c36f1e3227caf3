package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/forward/forwardsvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// The scaled-out roles. `serve` runs everything in one process
// (Start); a province runs the same binary as several processes:
//
//	gateway  devices → JetStream (acks 9014 after the stream's PubAck)
//	writer   JetStream → PostgreSQL (acks the stream after the commit),
//	         keeps the roll-ups and the retention; with Forward, one
//	         writer at a time forwards to upper platforms
//	web      the API and the dashboard on PostgreSQL (Start with
//	         DisableGateway), optionally reading from a replica
//
// Gateways and writers share nothing but the bus and the database, so any
// number of each may run and any one may die.

// GatewayRoleConfig configures a gateway-only process.
type GatewayRoleConfig struct {
	// DSN is the PostgreSQL store: the registry (device passwords) and the
	// stored DataTimes the back-fill looks for gaps in. The gateway writes
	// nothing there.
	DSN     string
	Bus     bus.Config
	Gateway gateway.Config
	// OpsAddr serves /healthz, /readyz and /metrics; empty disables. OpsHTTP
	// is its TLS and trusted reverse proxies.
	OpsAddr        string
	OpsHTTP        HTTPSecurity
	RegistryReload time.Duration
	ReadyFile      string
	Logger         *slog.Logger
}

// GatewayRole is a running gateway process.
type GatewayRole struct {
	log       *slog.Logger
	Store     store.Store
	Bus       *bus.Bus
	Publisher *bus.Publisher
	Gateway   *gateway.Server
	Devices   *gateway.DeviceTable
	// Metrics is the process's registry: the gateway's and the
	// publisher's series, served at /metrics on OpsAddr.
	Metrics *prometheus.Registry
	ops     *opsServer
	stop    chan struct{}
	wg      sync.WaitGroup
	ready   Ready
}

// StartGatewayRole connects to the store and the bus and starts the
// device gateway.
func StartGatewayRole(ctx context.Context, cfg GatewayRoleConfig) (*GatewayRole, error) {
	log := orDiscard(cfg.Logger)
	st, err := store.Open(ctx, cfg.DSN, store.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	r := &GatewayRole{log: log, Store: st, stop: make(chan struct{}), Devices: gateway.NewDeviceTable(nil), Metrics: prometheus.NewRegistry()}
	if err := r.reload(ctx); err != nil {
		st.Close()
		return nil, err
	}
	bc := cfg.Bus
	if bc.Log == nil {
		bc.Log = log.With("component", "bus")
	}
	if bc.Name == "" {
		bc.Name = "ecowatch-gateway"
	}
	if r.Bus, err = bus.Connect(ctx, bc); err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot connect to the bus: %w", err)
	}
	r.Publisher = bus.NewPublisher(r.Bus, st)
	// A lockout goes to the web role's alert service over the bus: this
	// process has no alert service and writes nothing to the store.
	gcfg := cfg.Gateway
	prevLock := gcfg.OnLockout
	gcfg.OnLockout = func(l gateway.Lockout) {
		if prevLock != nil {
			prevLock(l)
		}
		if err := r.Bus.PublishLockout(l); err != nil {
			log.Warn("gateway: cannot announce a lockout on the bus", "err", err, "source", l.Source)
		}
	}
	r.Gateway = gateway.New(gcfg, r.Publisher, r.Devices, log.With("component", "gateway"))
	if err := errors.Join(r.Gateway.RegisterMetrics(r.Metrics), r.Publisher.RegisterMetrics(r.Metrics)); err != nil {
		r.Bus.Close()
		st.Close()
		return nil, err
	}
	if err := r.Gateway.Start(ctx); err != nil {
		r.Bus.Close()
		st.Close()
		return nil, fmt.Errorf("cannot start gateway: %w", err)
	}
	r.ready = Ready{PID: os.Getpid(), Gateway: r.Gateway.Addr().String(), DSN: redactDSN(cfg.DSN)}
	if cfg.OpsAddr != "" {
		ready := func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := r.Bus.Ready(ctx); err != nil {
				return fmt.Errorf("bus: %w", err)
			}
			return nil
		}
		h := opsHandler(r.Metrics, ready, auth.New(st, auth.Options{}), log)
		if r.ops, err = startOps(cfg.OpsAddr, cfg.OpsHTTP, h, log); err != nil {
			r.Shutdown(ctx)
			return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", cfg.OpsAddr, err)
		}
		r.ready.HTTP = r.ops.addr()
	}
	if cfg.RegistryReload > 0 {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			every(r.stop, cfg.RegistryReload, func(ctx context.Context) {
				if err := r.reload(ctx); err != nil {
					log.Warn("registry reload failed", "err", err)
				}
			})
		}()
	}
	if cfg.ReadyFile != "" {
		if err := writeReady(cfg.ReadyFile, r.ready); err != nil {
			r.Shutdown(ctx)
			return nil, err
		}
	}
	log.Info("ecowatch gateway started", "gateway", r.ready.Gateway, "http", r.ready.HTTP, "store", r.ready.DSN, "devices", r.Devices.Len())
	return r, nil
}

func (r *GatewayRole) reload(ctx context.Context) error {
	reg, err := r.Store.Registry(ctx)
	if err != nil {
		return fmt.Errorf("cannot load registry: %w", err)
	}
	r.Devices.Replace(reg.Devices)
	return nil
}

// Addr is the address devices connect to; OpsAddr the ops HTTP address.
func (r *GatewayRole) Addr() string { return r.ready.Gateway }
func (r *GatewayRole) OpsAddr() string {
	return r.ready.HTTP
}

// Shutdown drains the gateway (pending frames are published and
// acknowledged), then closes the bus and the store.
func (r *GatewayRole) Shutdown(ctx context.Context) error {
	close(r.stop)
	var errs []error
	if err := r.ops.shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if r.Gateway != nil {
		if err := r.Gateway.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
		}
	}
	r.wg.Wait()
	r.Bus.Close()
	if err := r.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// WriterRoleConfig configures a writer process.
type WriterRoleConfig struct {
	DSN    string // PostgreSQL
	Bus    bus.Config
	Writer bus.WriterConfig
	// OpsAddr serves /healthz, /readyz and /metrics; empty disables. OpsHTTP
	// is its TLS and trusted reverse proxies.
	OpsAddr string
	OpsHTTP HTTPSecurity
	// RollupEvery is how often the dirty hours are rolled up (the
	// package's RollupEvery);
	// negative disables (another process does it).
	RollupEvery time.Duration
	// Retention drops minute and real-time data older than this (whole
	// monthly partitions in PostgreSQL); 0 keeps everything. Roll-ups are
	// kept (RollupRetention, 0: forever).
	Retention       time.Duration
	RollupRetention time.Duration
	// RawRetention drops archived raw frames older than this (0 keeps
	// them): the gateways of a scaled-out deployment store nothing, so
	// the writers apply what serve's --raw-retention does.
	RawRetention time.Duration
	// ArchiveRetention drops rejected and quarantined raw frames older
	// than this (gateway.Config.ArchiveRetention: 0 takes the gateway's
	// default of 7 days, negative keeps them).
	ArchiveRetention time.Duration
	// Forward, when set, makes this writer one of the candidates to
	// forward to upper platforms: the writers commit the uploads and with
	// them the outbound queue (store.CommitBatch), and exactly one process
	// at a time sends it, the holder of the store's session lock
	// (forwardsvc.Elected); the others try the lock every ForwardRetry
	// (forwardsvc.DefaultRetry when 0) and take over when the holder's
	// database session ends. The holder resolves the selections again
	// every RegistryReload (30 s when 0).
	Forward        *forward.Config
	ForwardRetry   time.Duration
	RegistryReload time.Duration
	ReadyFile      string
	Logger         *slog.Logger
}

// RollupEvery is how often the roll-ups are brought up to date by
// default. Each run recomputes every device-hour that received data since
// the last one, the open hour included, so the cost per run is about one
// hour per active device whatever the interval: at 50,000 devices and the
// measured 2,000–4,000 hours/s that is 12–25 s of work, once every 5
// minutes rather than every minute. The hour and day figures lag by at
// most that much.
const RollupEvery = 5 * time.Minute

// WriterRole is a running writer process.
type WriterRole struct {
	log    *slog.Logger
	Store  store.Store
	Bus    *bus.Bus
	Writer *bus.Writer
	// Forward is the forwarding candidate; nil without Config.Forward.
	Forward *forwardsvc.Elected
	// Metrics is the process's registry: the writer's series and the
	// roll-up and retention counters, served at /metrics on OpsAddr.
	Metrics *prometheus.Registry
	ops     *opsServer
	cancel  context.CancelFunc
	done    chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
	ready   Ready

	rolled, rollErrs, purged atomic.Int64
}

// StartWriterRole connects to the store and the bus and starts writing.
func StartWriterRole(ctx context.Context, cfg WriterRoleConfig) (*WriterRole, error) {
	log := orDiscard(cfg.Logger)
	st, err := store.Open(ctx, cfg.DSN, store.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	bc := cfg.Bus
	if bc.Log == nil {
		bc.Log = log.With("component", "bus")
	}
	if bc.Name == "" {
		bc.Name = "ecowatch-writer"
	}
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot connect to the bus: %w", err)
	}
	r := &WriterRole{log: log, Store: st, Bus: b, done: make(chan struct{}), stop: make(chan struct{}), Metrics: prometheus.NewRegistry()}
	wc := cfg.Writer
	if wc.OnCommit == nil {
		// Announce each commit on the committed feed, which the web
		// role's alert rules follow (best effort: they re-read the store
		// after a gap).
		var failed atomic.Int64
		wc.OnCommit = func(batch *store.Batch) {
			if err := b.PublishCommitted(batch); err != nil && failed.Add(1)%1000 == 1 {
				log.Warn("committed feed: publish failed", "err", err, "failures", failed.Load())
			}
		}
	}
	if wc.Health == nil {
		wc.Health = st
	}
	r.Writer = bus.NewWriter(b, st, wc)
	if err := errors.Join(r.Writer.RegisterMetrics(r.Metrics), r.registerMetrics()); err != nil {
		b.Close()
		st.Close()
		return nil, err
	}
	if cfg.Forward != nil {
		if err := r.startForward(cfg); err != nil {
			b.Close()
			st.Close()
			return nil, err
		}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := r.Writer.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("writer stopped", "err", err)
		}
	}()
	r.ready = Ready{PID: os.Getpid(), DSN: redactDSN(cfg.DSN)}
	if cfg.RollupEvery == 0 {
		cfg.RollupEvery = RollupEvery
	}
	if cfg.RollupEvery > 0 {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			every(r.stop, cfg.RollupEvery, func(ctx context.Context) {
				n, err := st.RollUp(ctx)
				if err != nil {
					r.rollErrs.Add(1)
					log.Warn("roll-up failed", "err", err)
					return
				}
				r.rolled.Add(int64(n))
			})
		}()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		compactEvery(r.stop, CompactEvery, st, log)
	}()
	if cfg.ArchiveRetention == 0 {
		cfg.ArchiveRetention = gateway.DefaultConfig().ArchiveRetention
	}
	if cfg.Retention > 0 || cfg.RollupRetention > 0 || cfg.RawRetention > 0 || cfg.ArchiveRetention > 0 {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			// Once at start (a writer restarted daily would otherwise
			// never purge), then hourly.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			r.purge(ctx, cfg)
			cancel()
			every(r.stop, time.Hour, func(ctx context.Context) { r.purge(ctx, cfg) })
		}()
	}
	if cfg.OpsAddr != "" {
		ready := func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := b.Ready(ctx); err != nil {
				return fmt.Errorf("bus: %w", err)
			}
			return r.Writer.Ready()
		}
		if r.ops, err = startOps(cfg.OpsAddr, cfg.OpsHTTP, opsHandler(r.Metrics, ready, auth.New(st, auth.Options{}), log), log); err != nil {
			r.Shutdown(ctx)
			return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", cfg.OpsAddr, err)
		}
		r.ready.HTTP = r.ops.addr()
	}
	if cfg.ReadyFile != "" {
		if err := writeReady(cfg.ReadyFile, r.ready); err != nil {
			r.Shutdown(ctx)
			return nil, err
		}
	}
	log.Info("ecowatch writer started", "http", r.ready.HTTP, "store", r.ready.DSN)
	return r, nil
}

// startForward starts the forwarding candidate (WriterRoleConfig.Forward)
// and the reload of its selections.
func (r *WriterRole) startForward(cfg WriterRoleConfig) error {
	locker, ok := r.Store.(store.SessionLocker)
	if !ok {
		return fmt.Errorf("forwarding from writers needs a store shared by processes with session locks (PostgreSQL); with SQLite run serve --forward-config")
	}
	fw := forwardsvc.NewElected(r.Store, cfg.Forward, locker, forwardsvc.Options{Log: r.log.With("component", "forward")}, cfg.ForwardRetry)
	if err := fw.RegisterMetrics(r.Metrics); err != nil {
		return err
	}
	fw.Start()
	r.Forward = fw
	reload := cfg.RegistryReload
	if reload <= 0 {
		reload = 30 * time.Second
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		every(r.stop, reload, func(ctx context.Context) {
			if err := fw.Reload(ctx); err != nil {
				r.log.Warn("forwarding routes not reloaded", "err", err)
			}
		})
	}()
	return nil
}

func (r *WriterRole) purge(ctx context.Context, cfg WriterRoleConfig) {
	now := time.Now()
	if cfg.Retention > 0 {
		n, err := r.Store.PurgeUploadsBefore(ctx, now.Add(-cfg.Retention))
		if err != nil {
			r.log.Warn("retention: purge of uploads failed", "err", err)
		} else if n > 0 {
			r.purged.Add(n)
			r.log.Info("retention: uploads purged", "rows", n)
		}
	}
	if cfg.ArchiveRetention > 0 && (cfg.RawRetention <= 0 || cfg.ArchiveRetention < cfg.RawRetention) {
		n, err := r.Store.PurgeRawStatusBefore(ctx, now.Add(-cfg.ArchiveRetention), model.RawRejected, model.RawQuarantined)
		if err != nil {
			r.log.Warn("retention: purge of rejected and quarantined raw frames failed", "err", err)
		} else if n > 0 {
			r.log.Info("retention: rejected and quarantined raw frames purged", "rows", n)
		}
	}
	if cfg.RawRetention > 0 {
		n, err := r.Store.PurgeRawBefore(ctx, now.Add(-cfg.RawRetention))
		if err != nil {
			r.log.Warn("retention: purge of raw frames failed", "err", err)
		} else if n > 0 {
			r.log.Info("retention: raw frames purged", "rows", n)
		}
	}
	if cfg.RollupRetention > 0 {
		for _, step := range []string{"hour", "day"} {
			if _, err := r.Store.PurgeRollupsBefore(ctx, step, now.Add(-cfg.RollupRetention)); err != nil {
				r.log.Warn("retention: purge of roll-ups failed", "step", step, "err", err)
			}
		}
	}
}

// registerMetrics registers the roll-up and retention counters.
func (r *WriterRole) registerMetrics() error {
	set := metrics.NewSet(func() *WriterRole { return r })
	set.Counter("ecowatch_rollup_hours_total", "Hours rolled up from minute data.", func(r *WriterRole) float64 { return float64(r.rolled.Load()) })
	set.Counter("ecowatch_rollup_errors_total", "Failed roll-up runs.", func(r *WriterRole) float64 { return float64(r.rollErrs.Load()) })
	set.Counter("ecowatch_retention_rows_purged_total", "Upload rows dropped by the retention.", func(r *WriterRole) float64 { return float64(r.purged.Load()) })
	if err := r.Metrics.Register(set); err != nil {
		return fmt.Errorf("register the roll-up metrics: %w", err)
	}
	return nil
}

// OpsAddr is the ops HTTP address ("" when disabled).
func (r *WriterRole) OpsAddr() string { return r.ready.HTTP }

// Shutdown stops consuming (what is committed is acknowledged; what is
// not will be delivered again to another writer), then closes the bus
// and the store.
func (r *WriterRole) Shutdown(ctx context.Context) error {
	close(r.stop)
	var errs []error
	if err := r.ops.shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if r.Forward != nil {
		// First: what is in flight stays queued, and the lock passes to
		// another writer at its next try.
		r.Forward.Stop()
	}
	r.cancel()
	select {
	case <-r.done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("writer did not stop: %w", ctx.Err()))
	}
	r.wg.Wait()
	r.Bus.Close()
	if err := r.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// every runs f every d until stop is closed, each run bounded by d.
// CompactEvery is how often closed days are compacted into blocks. A run
// with nothing to do costs one index seek per device; one that is stopped
// (shutdown, its hour's time limit) is resumed by the next.
const CompactEvery = time.Hour

// compactEvery compacts closed days a minute after start, then every d.
// A stop cancels a run at once: its current step rolls back whole.
func compactEvery(stop <-chan struct{}, d time.Duration, c store.Compactor, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := time.Minute
	for {
		select {
		case <-stop:
			return
		case <-time.After(wait):
		}
		wait = d
		st, err := c.Compact(ctx, time.Now())
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("compaction failed", "err", err, "upload_blocks", st.UploadBlocks, "raw_blocks", st.RawBlocks)
			}
			continue
		}
		if st != (store.CompactStats{}) {
			log.Info("closed days compacted", "upload_blocks", st.UploadBlocks, "uploads", st.Uploads,
				"raw_blocks", st.RawBlocks, "raw_frames", st.RawFrames)
		}
	}
}

func every(stop <-chan struct{}, d time.Duration, f func(ctx context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), max(d, time.Minute))
			f(ctx)
			cancel()
		}
	}
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
