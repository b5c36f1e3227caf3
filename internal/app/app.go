// Package app wires ecowatch together: the store, the registry's device
// table, the HJ 212 gateway and the HTTP server. The commands serve and
// demo, and the end-to-end tests, start the whole system through it.
//
// Start order is store → device table → gateway → HTTP; Shutdown runs in
// reverse: stop HTTP, drain the gateway (commit and acknowledge what is
// pending), close the store.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/api"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/backup"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/forward/forwardsvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a running system.
type Config struct {
	// DSN selects the store: "sqlite:<path>", a file path, or a
	// postgres:// URL. Empty means SQLite at <DataDir>/ecowatch.db.
	DSN     string
	DataDir string
	// SQLiteSync is the SQLite synchronous mode ("full" or "normal").
	SQLiteSync string

	// ReadDSN, when set, is a read replica (PostgreSQL streaming replica)
	// that serves the monitoring read paths (uploads, roll-ups, raw
	// frames, contacts); everything else reads and writes DSN.
	ReadDSN string

	// DisableGateway runs the web role of a scaled-out deployment
	// (README, Scaling out to a province): no device gateway in this
	// process, the writers fill the store, and the alert rules poll it.
	DisableGateway bool

	// Bus, when set, puts NATS JetStream between the gateway and the store
	// inside this one process: the gateway acknowledges after the
	// stream's PubAck and a writer commits from the stream, as the scaled-
	// out roles do. BusDir, when set, starts an embedded JetStream server
	// with its storage there and connects Bus to it.
	// With DisableGateway (the web role), Bus is where the alert rules
	// follow the writers' committed feed instead of polling the store.
	Bus    *bus.Config
	BusDir string

	// HTTPAddr is the HTTP listen address; empty disables HTTP. HTTP is
	// its TLS and trusted reverse proxies.
	HTTPAddr string
	HTTP     HTTPSecurity
	Gateway  gateway.Config
	Web      api.Config

	// Alerts configures the alert rules over the gateway's data;
	// DisableAlerts turns them off.
	Alerts        alertsvc.Config
	DisableAlerts bool

	// RegistryReload is how often the device table is reloaded from the
	// store (so that a registry import reaches a running gateway).
	RegistryReload time.Duration
	// RightsCheckpoints is the directory of the emission-rights ledger's
	// checkpoint file (rightsvc.CheckpointFile), which the process that
	// runs the ledger writes at start and then daily; empty means
	// <DataDir>/rights-checkpoints (only the audit record without
	// DataDir).
	RightsCheckpoints string
	// Forward, when set, forwards the chosen devices' data to upper
	// platforms (forwardsvc); without it a single process clears the
	// stored routes, so nothing more is queued.
	Forward *forward.Config

	// Backup, when set, takes scheduled backups of the SQLite store, the
	// evidence and the ledger's checkpoints (backup.Schedule; its Options
	// are filled from DataDir, the DSN and RightsCheckpoints).
	Backup *backup.Schedule
	// ReadyFile, when set, receives a JSON object with the bound
	// addresses once everything listens (for scripts and tests).
	ReadyFile string

	// Webhooks receive each case notification as POSTed JSON; Mailer,
	// when set, mails them (SMTP).
	Webhooks []string
	Mailer   *casesvc.Mailer

	Logger *slog.Logger

	// hook, for tests, is called with "start <component>" before each
	// component starts (an error fails that start) and "stop <component>"
	// once it has stopped.
	hook func(event string) error
}

// App is a running system.
type App struct {
	cfg     Config
	log     *slog.Logger
	Store   store.Store
	Gateway *gateway.Server
	Devices *gateway.DeviceTable
	// Rights is the emission-rights ledger service (one writer).
	Rights *rightsvc.Service
	// Alerts runs the alert rules and opens cases; nil when disabled.
	Alerts *alertsvc.Service
	// Forward forwards to upper platforms; nil without Config.Forward.
	Forward *forwardsvc.Service
	// Metrics is the process's metrics registry, served at /metrics.
	Metrics *prometheus.Registry

	httpLn net.Listener

	// The in-process bus (Config.Bus): embedded server, connection and
	// writer (their stops are in stoppers).
	natsSrv   *server.Server
	bus       *bus.Bus
	busWriter *bus.Writer

	ready Ready

	mu       sync.Mutex
	stoppers []stopper // what Start started, in order
}

// Ready is what Start writes to Config.ReadyFile.
type Ready struct {
	PID     int    `json:"pid"`
	Gateway string `json:"gateway,omitempty"`
	HTTP    string `json:"http,omitempty"`
	DSN     string `json:"dsn"`
}

// DSN returns the store DSN the configuration selects.
func (c Config) dsn() string {
	if c.DSN != "" {
		return c.DSN
	}
	dir := c.DataDir
	if dir == "" {
		dir = "ecowatch-data"
	}
	return "sqlite:" + filepath.Join(dir, "ecowatch.db")
}

// Start opens the store and starts the gateway and the HTTP server.
// Whatever it started is stopped again, in reverse order, when a later
// step fails: a failed Start leaves nothing running.
func Start(ctx context.Context, cfg Config) (_ *App, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The process's metrics: each component that counts registers here,
	// and /metrics serves them all.
	a := &App{cfg: cfg, log: log, Metrics: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			// A fresh context: ctx may be what failed the start.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if uerr := a.unwind(uctx); uerr != nil {
				log.Warn("stopping what had started", "err", uerr)
			}
		}
	}()
	if err := a.step("data directory"); err != nil {
		return nil, err
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("cannot create data directory: %w", err)
		}
	}
	dsn := cfg.dsn()
	if err := a.step("store"); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dsn, store.Options{Logger: log, Synchronous: cfg.SQLiteSync})
	if err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	if cfg.ReadDSN != "" {
		rst, err := store.Open(ctx, cfg.ReadDSN, store.Options{Logger: log})
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("cannot open read replica: %w", err)
		}
		st = store.WithReadReplica(st, rst)
	}
	a.Store = st
	a.started("store", func(context.Context) error { return st.Close() })

	a.Devices = gateway.NewDeviceTable(nil)
	if err := a.step("device table"); err != nil {
		return nil, err
	}
	if err := a.reloadDevices(ctx); err != nil {
		return nil, err
	}
	// Forwarding's routes are in the store before the first commit, so
	// that every upload committed from now on is queued for its targets.
	if err := a.startForward(ctx); err != nil {
		return nil, err
	}
	gcfg := cfg.Gateway
	cases := cfg.Web.Cases
	if cases == nil {
		cases = &casesvc.Service{St: st, DataDir: cfg.DataDir, Log: log.With("component", "cases"),
			Webhooks: cfg.Webhooks, Mailer: cfg.Mailer}
	}
	// The data marking: the alert rules judge exceedances against the
	// enterprises' marks; the API takes the marks; a daily check opens
	// the cases of outlets below the effective transmission rate.
	marks := cfg.Web.Marks
	if marks == nil {
		marks = &marksvc.Service{St: st, Cases: cases, Log: log.With("component", "marking"),
			Running: alertsvc.ProductionRunning(st, cfg.Alerts.MeterFile)}
	}
	if !cfg.DisableAlerts {
		// The alert rules see every committed batch (they only enqueue on
		// the commit path) and open cases through the closed loop. They
		// start before what feeds them and stop after it.
		acfg := cfg.Alerts
		// The web role follows the writers' committed feed when it has
		// the bus, else it polls the store.
		acfg.Poll = acfg.Poll || (cfg.DisableGateway && cfg.Bus == nil)
		if acfg.Marks == nil {
			acfg.Marks = marks
		}
		if acfg.Log == nil {
			acfg.Log = log.With("component", "alerts")
		}
		if err := a.step("alert rules"); err != nil {
			return nil, err
		}
		alerts := alertsvc.New(st, cases, acfg)
		if err := alerts.RegisterMetrics(a.Metrics); err != nil {
			return nil, err
		}
		if err := alerts.Start(ctx); err != nil {
			return nil, fmt.Errorf("cannot start the alert rules: %w", err)
		}
		a.Alerts = alerts
		// The daily check of the effective transmission rates runs and
		// stops with the alert rules.
		stopRates := make(chan struct{})
		go marks.RunDaily(stopRates)
		a.started("alert rules", func(context.Context) error { close(stopRates); alerts.Stop(); return nil })
		if prev := gcfg.OnCommit; prev != nil {
			gcfg.OnCommit = func(b *store.Batch) { prev(b); alerts.Enqueue(b) }
		} else {
			gcfg.OnCommit = alerts.Enqueue
		}
		// A device authentication lockout raises the bureau's alarm and
		// opens a case, as the alert rules do.
		prevLock := gcfg.OnLockout
		gcfg.OnLockout = func(l gateway.Lockout) {
			if prevLock != nil {
				prevLock(l)
			}
			a.Alerts.Lockout(alertLockout(l))
		}
	}
	ready := Ready{PID: os.Getpid(), DSN: redactDSN(dsn)}
	var gst gateway.Store = st
	if cfg.Bus != nil && !cfg.DisableGateway {
		pub, err := a.startBus(ctx, *cfg.Bus, gcfg.OnCommit)
		if err != nil {
			return nil, err
		}
		gst, gcfg.OnCommit = pub, nil // the writer calls OnCommit after its commits
	} else {
		gcfg.Purger, gcfg.Health = st, st // the gateway commits to the store itself
	}
	if !cfg.DisableGateway {
		if err := a.step("gateway"); err != nil {
			return nil, err
		}
		gw := gateway.New(gcfg, gst, a.Devices, log.With("component", "gateway"))
		if err := gw.RegisterMetrics(a.Metrics); err != nil {
			return nil, err
		}
		if err := gw.Start(ctx); err != nil {
			return nil, fmt.Errorf("cannot start gateway: %w", err)
		}
		a.Gateway = gw
		a.started("gateway", func(ctx context.Context) error {
			t0 := time.Now()
			if err := gw.Shutdown(ctx); err != nil {
				return fmt.Errorf("gateway shutdown: %w", err)
			}
			a.log.Info("gateway drained", "took", time.Since(t0).Round(time.Millisecond))
			return nil
		})
		ready.Gateway = gw.Addr().String()
	}
	if a.Alerts != nil && cfg.DisableGateway && cfg.Bus != nil {
		if err := a.followCommitted(ctx, *cfg.Bus); err != nil {
			return nil, err
		}
	}

	if cfg.HTTPAddr != "" {
		wcfg := cfg.Web
		if wcfg.Metrics == nil {
			wcfg.Metrics = a.Metrics
		}
		if wcfg.Marks == nil {
			wcfg.Marks = marks
		}
		if wcfg.Auth == nil {
			// Users and scopes: fail closed unless Web.Open.
			wcfg.Auth = auth.New(st, auth.Options{})
		}
		if wcfg.Rights == nil {
			// The ledger replays and verifies itself on open: a tampered
			// ledger stops the start rather than serve wrong balances.
			if err := a.step("emission-rights ledger"); err != nil {
				return nil, err
			}
			rs, err := rightsvc.Open(ctx, st, rightsvc.Options{Log: log.With("component", "rights")})
			if err != nil {
				return nil, fmt.Errorf("cannot open the emission-rights ledger: %w", err)
			}
			a.Rights = rs
			a.started("emission-rights ledger", func(context.Context) error { return rs.Close() })
			wcfg.Rights = rs
		}
		if wcfg.Cases == nil {
			wcfg.Cases = cases
		}
		api := api.New(wcfg, st, log.With("component", "web"))
		// The dashboard (internal/dashboard) serves the pages at /; the API
		// keeps /api/ and /metrics.
		if err := a.step("dashboard"); err != nil {
			return nil, err
		}
		dcfg := dashboard.Config{Now: wcfg.Now, OfflineAfter: wcfg.OfflineAfter, Auth: wcfg.Auth, Open: wcfg.Open,
			Rights: wcfg.Rights, Marks: wcfg.Marks, Logger: log.With("component", "dashboard")}
		if gw := a.Gateway; gw != nil {
			// The dashboard's shared figures follow the gateway's commits.
			dcfg.DataVersion = func() uint64 { return gw.Stats().Commits }
		}
		dash, err := dashboard.New(dcfg, st)
		if err != nil {
			return nil, err
		}
		h := http.NewServeMux()
		h.Handle("/api/", api)
		h.Handle("/metrics", api)
		// Probes for load balancers and orchestrators, as on the gateway
		// and writer roles.
		probe := opsHandler(nil, func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			return nil
		}, nil, log)
		h.Handle("GET /healthz", probe)
		h.Handle("GET /readyz", probe)
		h.Handle("/", dash)
		if err := a.step("HTTP"); err != nil {
			return nil, err
		}
		ln, err := cfg.HTTP.listen(cfg.HTTPAddr)
		if err != nil {
			return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", cfg.HTTPAddr, err)
		}
		a.httpLn = ln
		srv := &http.Server{Handler: cfg.HTTP.wrap(h), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server stopped", "err", err)
			}
		}()
		a.started("HTTP", func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			if err != nil {
				srv.Close()
				err = fmt.Errorf("http shutdown: %w", err)
			}
			<-served
			return err
		})
		ready.HTTP = ln.Addr().String()
		// Failed logins are gathered into one audit row per window; this
		// writes the rows of ended windows (and all at shutdown, before
		// the store closes).
		if err := a.step("login audit"); err != nil {
			return nil, err
		}
		a.loop("login audit", func(stop <-chan struct{}) {
			wcfg.Auth.RunLoginAudit(stop, time.Minute, func(err error) { log.Warn("login audit not written", "err", err) })
		})
		// The escalation ladder's timer: reminders, numbered supervision
		// notices, listed supervision and summons when due.
		if err := a.step("escalation ladder"); err != nil {
			return nil, err
		}
		a.loop("escalation ladder", func(stop <-chan struct{}) { wcfg.Cases.RunLadder(stop, 10*time.Minute) })
		if a.Rights != nil {
			// The ledger's head is anchored outside its table: now (so a
			// start after a cut is noticed at once) and once a day.
			dir := cfg.RightsCheckpoints
			if dir == "" && cfg.DataDir != "" {
				dir = filepath.Join(cfg.DataDir, "rights-checkpoints")
			}
			if err := a.step("ledger checkpoints"); err != nil {
				return nil, err
			}
			clog := log.With("component", "rights")
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			checkpointLedger(cctx, st, dir, clog)
			cancel()
			a.loop("ledger checkpoints", func(stop <-chan struct{}) {
				every(stop, time.Hour, func(ctx context.Context) { checkpointLedger(ctx, st, dir, clog) })
			})
		}
	}

	if cfg.RegistryReload > 0 {
		if err := a.step("registry reload"); err != nil {
			return nil, err
		}
		a.loop("registry reload", func(stop <-chan struct{}) { a.reloadLoop(stop, cfg.RegistryReload) })
	}
	if !cfg.DisableGateway {
		// The hour and day roll-ups of the minute data this process
		// commits (in a scaled-out deployment the writers keep them).
		if err := a.step("roll-ups"); err != nil {
			return nil, err
		}
		a.loop("roll-ups", func(stop <-chan struct{}) {
			every(stop, RollupEvery, func(ctx context.Context) {
				if _, err := st.RollUp(ctx); err != nil {
					log.Warn("roll-up failed", "err", err)
				}
			})
		})
	}
	if cfg.Backup != nil {
		if err := a.step("scheduled backups"); err != nil {
			return nil, err
		}
		sch := *cfg.Backup
		if strings.HasPrefix(dsn, "postgres") {
			return nil, errors.New("scheduled backups need the SQLite store: back up PostgreSQL with pg_dump (README: Backups, restore and upgrades)")
		}
		sch.Options.DataDir = cfg.DataDir
		sch.Options.DB = strings.TrimPrefix(dsn, "sqlite:")
		sch.Options.CheckpointDir = cfg.RightsCheckpoints
		sch.Options.Log = log.With("component", "backup")
		bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		a.loop("scheduled backups", func(stop <-chan struct{}) {
			go func() { <-stop; cancel() }()
			sch.Run(bctx)
		})
	}
	if !cfg.DisableGateway {
		// Closed days into compacted blocks (store/compact.go): resumable
		// steps, so an hourly run finishes what a stopped one left.
		if err := a.step("compaction"); err != nil {
			return nil, err
		}
		a.loop("compaction", func(stop <-chan struct{}) { compactEvery(stop, CompactEvery, st, log) })
	}
	a.ready = ready
	if cfg.ReadyFile != "" {
		if err := a.step("ready file"); err != nil {
			return nil, err
		}
		if err := a.WriteReady(cfg.ReadyFile); err != nil {
			return nil, err
		}
	}
	log.Info("ecowatch started", "gateway", ready.Gateway, "http", ready.HTTP, "store", ready.DSN, "devices", a.Devices.Len())
	return a, nil
}

// step tells the test hook (Config.hook) that the named component is
// about to start; an error from the hook fails that component's start.
// alertLockout is a gateway's lockout as the alert service takes it.
func alertLockout(l gateway.Lockout) alertsvc.Lockout {
	return alertsvc.Lockout{Scope: l.Scope, Source: l.Source, Remote: l.Remote, MNs: l.MNs,
		Failures: l.Failures, At: l.At, Until: l.Until}
}

func (a *App) step(name string) error {
	if a.cfg.hook == nil {
		return nil
	}
	if err := a.cfg.hook("start " + name); err != nil {
		return fmt.Errorf("cannot start %s: %w", name, err)
	}
	return nil
}

// stopper is one started component and how to stop it.
type stopper struct {
	name string
	stop func(context.Context) error
}

// started records a component that has started; unwind stops it.
func (a *App) started(name string, stop func(context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stoppers = append(a.stoppers, stopper{name, stop})
}

// loop runs f in a goroutine until it is stopped (its stop channel is
// closed); unwind stops it and waits for it.
func (a *App) loop(name string, f func(stop <-chan struct{})) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		f(stop)
	}()
	a.started(name, func(ctx context.Context) error {
		close(stop)
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%s did not stop: %w", name, ctx.Err())
		}
	})
}

// unwind stops every started component in the reverse order of their
// start, each once, and returns their errors.
func (a *App) unwind(ctx context.Context) error {
	a.mu.Lock()
	ss := a.stoppers
	a.stoppers = nil
	a.mu.Unlock()
	var errs []error
	for i := len(ss) - 1; i >= 0; i-- {
		if err := ss[i].stop(ctx); err != nil {
			errs = append(errs, err)
		}
		if a.cfg.hook != nil {
			_ = a.cfg.hook("stop " + ss[i].name)
		}
	}
	return errors.Join(errs...)
}

// WriteReady writes the bound addresses as JSON to path, atomically (a
// reader never sees half a file). Start does it for Config.ReadyFile; the
// demo calls it itself once its city is imported.
func (a *App) WriteReady(path string) error { return writeReady(path, a.ready) }

func writeReady(path string, ready Ready) error {
	b, _ := json.Marshal(ready)
	if err := atomicfile.WriteFile(path, b, 0o640); err != nil {
		return fmt.Errorf("cannot write ready file: %w", err)
	}
	return nil
}

// GatewayAddr is the address devices connect to.
func (a *App) GatewayAddr() string { return a.ready.Gateway }

// HTTPAddr is the HTTP address, or "" when HTTP is disabled.
func (a *App) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// ReloadDevices reloads the gateway's device table from the store now.
func (a *App) ReloadDevices(ctx context.Context) error { return a.reloadDevices(ctx) }

func (a *App) reloadDevices(ctx context.Context) error {
	reg, err := a.Store.Registry(ctx)
	if err != nil {
		return fmt.Errorf("cannot load registry: %w", err)
	}
	// Forwarding's routes first: a device the gateway starts accepting
	// has its route already, so none of its uploads misses the queue.
	if a.Forward != nil {
		if err := a.Forward.Reload(ctx); err != nil {
			a.log.Warn("forwarding routes not reloaded", "err", err)
		}
	}
	a.Devices.Replace(reg.Devices)
	if a.Alerts != nil {
		// The alert rules' series follow the registry too (in the
		// background: the service may be replaying).
		a.Alerts.RequestReload()
	}
	return nil
}

func (a *App) reloadLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if err := a.reloadDevices(ctx); err != nil {
				a.log.Warn("registry reload failed", "err", err)
			}
			cancel()
		}
	}
}

// Shutdown stops what Start started, in reverse order: the background
// loops, HTTP, the ledger, the gateway (drained: what is pending is
// committed and acknowledged), the bus (once the writer has stored what
// the stream holds), the alert rules, and last the store.
func (a *App) Shutdown(ctx context.Context) error {
	return a.unwind(ctx)
}

// redactDSN hides a password in a DSN for logs.
func redactDSN(dsn string) string {
	if u, err := urlParse(dsn); err == nil && u != "" {
		return u
	}
	return dsn
}

// CheckpointEvery is how often the ledger's head is checkpointed.
const CheckpointEvery = 24 * time.Hour

// checkpointLedger checkpoints the ledger's head when the last checkpoint
// is a day old. A ledger that no longer holds its last checkpoint is not
// anchored anew: that is logged as an error for the bureau to look into.
func checkpointLedger(ctx context.Context, st store.Store, dir string, log *slog.Logger) {
	now := time.Now()
	due, err := rightsvc.CheckpointDue(ctx, st, dir, now, CheckpointEvery)
	if err != nil {
		log.Error("ledger checkpoint: cannot read the last one", "dir", dir, "err", err)
		return
	}
	if !due {
		return
	}
	c, ok, err := rightsvc.TakeCheckpoint(ctx, st, st, dir, "system:checkpoint", now)
	switch {
	case err != nil:
		log.Error("ledger checkpoint failed", "dir", dir, "err", err)
	case ok:
		log.Info("ledger checkpoint", "seq", c.Seq, "head", c.Head.String(), "dir", dir)
	}
}

// startForward starts forwarding to upper platforms (Config.Forward);
// without it, a single process (gateway and store together) clears the
// stored routes so that nothing more is queued for targets no longer
// configured (entries already queued are kept).
func (a *App) startForward(ctx context.Context) error {
	if err := a.step("forwarding"); err != nil {
		return err
	}
	if a.cfg.Forward == nil {
		if a.cfg.DisableGateway {
			return nil
		}
		if err := a.Store.SetForwardRoutes(ctx, nil); err != nil {
			return fmt.Errorf("cannot clear the forwarding routes: %w", err)
		}
		return nil
	}
	fw := forwardsvc.New(a.Store, a.cfg.Forward, forwardsvc.Options{Log: a.log.With("component", "forward")})
	if err := fw.RegisterMetrics(a.Metrics); err != nil {
		return err
	}
	if err := fw.Start(ctx); err != nil {
		return fmt.Errorf("cannot start forwarding: %w", err)
	}
	a.Forward = fw
	a.started("forwarding", func(context.Context) error { fw.Stop(); return nil })
	return nil
}
