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
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/api"
	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/nats-io/nats-server/v2/server"
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

	// DisableGateway runs the web role of a scaled-out deployment (issue
	// 9): no device gateway in this process, the writers fill the store,
	// and the alert rules poll it.
	DisableGateway bool

	// Bus, when set, puts NATS JetStream between the gateway and the store
	// inside this one process (issue 9): the gateway acknowledges after the
	// stream's PubAck and a writer commits from the stream, as the scaled-
	// out roles do. BusDir, when set, starts an embedded JetStream server
	// with its storage there and connects Bus to it.
	// With DisableGateway (the web role), Bus is where the alert rules
	// follow the writers' committed feed instead of polling the store.
	Bus    *bus.Config
	BusDir string

	// HTTPAddr is the HTTP listen address; empty disables HTTP.
	HTTPAddr string
	Gateway  gateway.Config
	Web      api.Config

	// Alerts configures the alert rules over the gateway's data (issue 5,
	// part 5); DisableAlerts turns them off.
	Alerts        alertsvc.Config
	DisableAlerts bool

	// RegistryReload is how often the device table is reloaded from the
	// store (so that a registry import reaches a running gateway).
	RegistryReload time.Duration
	// ReadyFile, when set, receives a JSON object with the bound
	// addresses once everything listens (for scripts and tests).
	ReadyFile string

	// Webhooks receive each case notification as POSTed JSON; Mailer,
	// when set, mails them (SMTP).
	Webhooks []string
	Mailer   *casesvc.Mailer

	Logger *slog.Logger
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

	httpSrv *http.Server
	httpLn  net.Listener

	// The in-process bus (Config.Bus): embedded server, connection,
	// writer and its stop.
	natsSrv     *server.Server
	bus         *bus.Bus
	busWriter   *bus.Writer
	stopWriter  context.CancelFunc
	writerDone  chan struct{}
	unsubscribe func() // the web role's committed feed

	ready Ready

	stop chan struct{}
	wg   sync.WaitGroup
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
func Start(ctx context.Context, cfg Config) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("cannot create data directory: %w", err)
		}
	}
	dsn := cfg.dsn()
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
	a := &App{cfg: cfg, log: log, Store: st, stop: make(chan struct{})}
	a.Devices = gateway.NewDeviceTable(nil)
	if err := a.reloadDevices(ctx); err != nil {
		st.Close()
		return nil, err
	}
	gcfg := cfg.Gateway
	cases := cfg.Web.Cases
	if cases == nil {
		cases = &casesvc.Service{St: st, DataDir: cfg.DataDir, Log: log.With("component", "cases"),
			Webhooks: cfg.Webhooks, Mailer: cfg.Mailer}
	}
	if !cfg.DisableAlerts {
		// The alert rules see every committed batch (they only enqueue on
		// the commit path) and open cases through the closed loop.
		acfg := cfg.Alerts
		// The web role follows the writers' committed feed when it has
		// the bus, else it polls the store.
		acfg.Poll = acfg.Poll || (cfg.DisableGateway && cfg.Bus == nil)
		if acfg.Log == nil {
			acfg.Log = log.With("component", "alerts")
		}
		a.Alerts = alertsvc.New(st, cases, acfg)
		if prev := gcfg.OnCommit; prev != nil {
			gcfg.OnCommit = func(b *store.Batch) { prev(b); a.Alerts.Enqueue(b) }
		} else {
			gcfg.OnCommit = a.Alerts.Enqueue
		}
	}
	ready := Ready{PID: os.Getpid(), DSN: redactDSN(dsn)}
	var gst gateway.Store = st
	if cfg.Bus != nil && !cfg.DisableGateway {
		pub, err := a.startBus(ctx, *cfg.Bus, gcfg.OnCommit)
		if err != nil {
			a.abort(ctx)
			return nil, err
		}
		gst, gcfg.OnCommit = pub, nil // the writer calls OnCommit after its commits
	}
	if !cfg.DisableGateway {
		a.Gateway = gateway.New(gcfg, gst, a.Devices, log.With("component", "gateway"))
		if err := a.Gateway.Start(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("cannot start gateway: %w", err)
		}
		ready.Gateway = a.Gateway.Addr().String()
	}
	if a.Alerts != nil {
		if err := a.Alerts.Start(ctx); err != nil {
			a.abort(ctx)
			return nil, fmt.Errorf("cannot start the alert rules: %w", err)
		}
		if cfg.DisableGateway && cfg.Bus != nil {
			if err := a.followCommitted(ctx, *cfg.Bus); err != nil {
				a.abort(ctx)
				return nil, err
			}
		}
	}

	if cfg.HTTPAddr != "" {
		wcfg := cfg.Web
		if wcfg.Metrics == nil {
			wcfg.Metrics = func(w io.Writer) {
				if a.Gateway != nil {
					a.Gateway.WriteMetrics(w)
				}
				if a.Alerts != nil {
					a.Alerts.WriteMetrics(w)
				}
				if a.busWriter != nil {
					gst.(*bus.Publisher).WriteMetrics(w)
					a.busWriter.WriteMetrics(w)
				}
			}
		}
		if wcfg.Auth == nil {
			// Users and scopes (issue 5): fail closed unless Web.Open.
			wcfg.Auth = auth.New(st, auth.Options{})
		}
		if wcfg.Rights == nil {
			// The ledger replays and verifies itself on open: a tampered
			// ledger stops the start rather than serve wrong balances.
			rs, err := rightsvc.Open(ctx, st, rightsvc.Options{Log: log.With("component", "rights")})
			if err != nil {
				a.abort(ctx)
				return nil, fmt.Errorf("cannot open the emission-rights ledger: %w", err)
			}
			a.Rights = rs
			wcfg.Rights = rs
		}
		if wcfg.Cases == nil {
			wcfg.Cases = cases
		}
		api := api.New(wcfg, st, log.With("component", "web"))
		// The dashboard (internal/dashboard) serves the pages at /; the API
		// keeps /api/ and /metrics.
		dash, err := dashboard.New(dashboard.Config{Now: wcfg.Now, OfflineAfter: wcfg.OfflineAfter, Auth: wcfg.Auth, Open: wcfg.Open,
			Rights: wcfg.Rights, Logger: log.With("component", "dashboard")}, st)
		if err != nil {
			a.abort(ctx)
			return nil, err
		}
		h := http.NewServeMux()
		h.Handle("/api/", api)
		h.Handle("/metrics", api)
		// Probes for load balancers and orchestrators (issue 9, part 6),
		// as on the gateway and writer roles.
		probe := opsHandler(nil, func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			return nil
		}, nil, log)
		h.Handle("GET /healthz", probe)
		h.Handle("GET /readyz", probe)
		h.Handle("/", dash)
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			a.abort(ctx)
			return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", cfg.HTTPAddr, err)
		}
		a.httpLn = ln
		a.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server stopped", "err", err)
			}
		}()
		ready.HTTP = ln.Addr().String()
		// Failed logins are gathered into one audit row per window; this
		// writes the rows of ended windows (and all at shutdown).
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			wcfg.Auth.RunLoginAudit(a.stop, time.Minute, func(err error) { log.Warn("login audit not written", "err", err) })
		}()
		// The escalation ladder's timer (issue 5): reminders, numbered
		// supervision notices, listed supervision and summons when due.
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			wcfg.Cases.RunLadder(a.stop, 10*time.Minute)
		}()
	}

	if cfg.RegistryReload > 0 {
		a.wg.Add(1)
		go a.reloadLoop(cfg.RegistryReload)
	}
	if ru, ok := st.(rollUpper); ok && !cfg.DisableGateway {
		// The hour and day roll-ups of the minute data this process
		// commits (in a scaled-out deployment the writers keep them).
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			every(a.stop, RollupEvery, func(ctx context.Context) {
				if _, err := ru.RollUp(ctx); err != nil {
					log.Warn("roll-up failed", "err", err)
				}
			})
		}()
	}
	a.ready = ready
	if cfg.ReadyFile != "" {
		if err := a.WriteReady(cfg.ReadyFile); err != nil {
			return nil, err
		}
	}
	log.Info("ecowatch started", "gateway", ready.Gateway, "http", ready.HTTP, "store", ready.DSN, "devices", a.Devices.Len())
	return a, nil
}

// abort undoes a partial Start: the alert rules, the gateway, the store.
func (a *App) abort(ctx context.Context) {
	if a.Alerts != nil {
		a.Alerts.Stop()
	}
	if a.Gateway != nil {
		a.Gateway.Shutdown(ctx)
	}
	a.stopBus(ctx)
	a.Store.Close()
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
	a.Devices.Replace(reg.Devices)
	if a.Alerts != nil {
		// The alert rules' series follow the registry too (in the
		// background: the service may be replaying).
		a.Alerts.RequestReload()
	}
	return nil
}

func (a *App) reloadLoop(every time.Duration) {
	defer a.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
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

// Shutdown stops HTTP, drains the gateway and closes the store.
func (a *App) Shutdown(ctx context.Context) error {
	close(a.stop)
	var errs []error
	if a.httpSrv != nil {
		if err := a.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	t0 := time.Now()
	if a.Gateway != nil {
		if err := a.Gateway.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
		}
		a.log.Info("gateway drained", "took", time.Since(t0).Round(time.Millisecond))
	}
	if a.busWriter != nil {
		// What the gateway acknowledged is in the stream; let the writer
		// store it now rather than at the next start.
		a.waitBacklog(ctx)
	}
	a.stopBus(ctx)
	if a.Alerts != nil {
		// After the gateway: the last batches are handled (or caught up
		// from the store on the next start).
		a.Alerts.Stop()
	}
	a.wg.Wait()
	if a.Rights != nil {
		a.Rights.Close()
	}
	if err := a.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store close: %w", err))
	}
	return errors.Join(errs...)
}

// redactDSN hides a password in a DSN for logs.
func redactDSN(dsn string) string {
	if u, err := urlParse(dsn); err == nil && u != "" {
		return u
	}
	return dsn
}
