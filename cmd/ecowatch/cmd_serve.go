package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/gateway"
)

// serveFlags are the flags serve and demo share.
type serveFlags struct {
	dataDir, dsn, sync    string
	gatewayAddr, httpAddr string
	readyFile             string
	rightsCheckpoints     string
	batchFrames           int
	batchInterval         time.Duration
	idleTimeout           time.Duration
	rawRetention          time.Duration
	maxConnsPerIP         int
	quarantineUnknown     bool
	registryReload        time.Duration
	logLevel              string
	webhooks, emailTo     listFlag
	smtpAddr, smtpFrom    string
	smtpUser              string
	meterFile             string
	bus                   string
	http                  httpSecFlags
	backup                backupFlags
	forwardConfig         string
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func (f *serveFlags) register(fs *flag.FlagSet, defGateway, defHTTP string) {
	d := gateway.DefaultConfig()
	fs.StringVar(&f.dataDir, "data-dir", "ecowatch-data", "data directory (SQLite file ecowatch.db lives here)")
	fs.StringVar(&f.dsn, "db", "", "store DSN: sqlite:<path> or postgres://user@host:5432/db (default: SQLite in --data-dir)")
	fs.StringVar(&f.sync, "sqlite-sync", "full", "SQLite synchronous mode: full (an ack survives power loss) or normal (survives a process crash)")
	fs.StringVar(&f.gatewayAddr, "gateway-addr", defGateway, "TCP address for HJ 212 devices")
	fs.StringVar(&f.httpAddr, "http-addr", defHTTP, "HTTP address for the API and dashboard (empty disables)")
	fs.StringVar(&f.readyFile, "ready-file", "", "write the bound addresses as JSON to this file once listening")
	fs.StringVar(&f.rightsCheckpoints, "rights-checkpoints", "", "directory of the emission-rights ledger's checkpoint file, written at start and daily for the bureau to post (default <data-dir>/rights-checkpoints)")
	fs.IntVar(&f.batchFrames, "batch-frames", d.BatchFrames, "group commit: commit when this many frames are pending")
	fs.DurationVar(&f.batchInterval, "batch-interval", d.BatchInterval, "group commit: commit this long after the first pending frame")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", d.IdleTimeout, "close a device connection silent for this long")
	fs.DurationVar(&f.rawRetention, "raw-retention", 0, "delete archived raw frames older than this (0 keeps them forever)")
	fs.IntVar(&f.maxConnsPerIP, "max-conns-per-ip", d.MaxConnsPerIP, "device connections allowed from one address")
	fs.BoolVar(&f.quarantineUnknown, "quarantine-unknown", true, "archive frames of unknown devices or with wrong passwords for review (false: drop them, still counted)")
	fs.DurationVar(&f.registryReload, "registry-reload", 30*time.Second, "reload the device table from the registry this often")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.meterFile, "meter-file", "", "YAML file naming the electricity sub-meters (production and treatment) of enterprises, for the alert rules (see internal/alerts/alertsvc/meters.go)")
	fs.StringVar(&f.bus, "bus", "", "put NATS JetStream between the gateway and the store in this process: \"embedded\" (a server in-process, storage in <data-dir>/nats) or a nats:// URL; empty: commit directly (the default)")
	fs.Var(&f.webhooks, "webhook", "URL receiving each case notification as POSTed JSON (repeatable)")
	fs.StringVar(&f.smtpAddr, "smtp-addr", "", "SMTP server host:port for notification mail (empty: no mail)")
	fs.StringVar(&f.smtpFrom, "smtp-from", "ecowatch@localhost", "sender of notification mail")
	fs.StringVar(&f.smtpUser, "smtp-user", "", "SMTP user (PLAIN auth); the password comes from $ECOWATCH_SMTP_PASSWORD, never a flag")
	f.http.register(fs)
	f.backup.register(fs)
	fs.StringVar(&f.forwardConfig, "forward-config", "", "YAML or JSON file of the upper platforms to forward the chosen devices' data to over HJ 212 (README: Forwarding to upper platforms)")
	fs.Var(&f.emailTo, "email-to", "mail a notification recipient's inbox to addresses: KEY=addr[,addr] with KEY city, county:<code>, enterprise:<uscc> or a user ID (repeatable)")
}

func (f *serveFlags) config(stderr io.Writer) (app.Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return app.Config{}, usageError{fmt.Errorf("-log-level: %w", err)}
	}
	if f.sync != "full" && f.sync != "normal" {
		return app.Config{}, usageError{fmt.Errorf("-sqlite-sync: want full or normal, got %q", f.sync)}
	}
	var mailer *casesvc.Mailer
	if f.smtpAddr != "" {
		to, err := casesvc.ParseEmailTo(f.emailTo)
		if err != nil {
			return app.Config{}, usageError{fmt.Errorf("-email-to: %w", err)}
		}
		mailer = &casesvc.Mailer{Addr: f.smtpAddr, From: f.smtpFrom, Username: f.smtpUser,
			Password: os.Getenv("ECOWATCH_SMTP_PASSWORD"), To: to}
	} else if len(f.emailTo) > 0 {
		return app.Config{}, usageError{fmt.Errorf("-email-to needs -smtp-addr")}
	}
	sec, err := f.http.config()
	if err != nil {
		return app.Config{}, err
	}
	gc := gateway.DefaultConfig()
	gc.Addr = f.gatewayAddr
	gc.BatchFrames = f.batchFrames
	gc.BatchInterval = f.batchInterval
	gc.IdleTimeout = f.idleTimeout
	gc.RawRetention = f.rawRetention
	gc.MaxConnsPerIP = f.maxConnsPerIP
	gc.QuarantineUnknown = f.quarantineUnknown
	var bc *bus.Config
	busDir := ""
	switch {
	case f.bus == "":
	case f.bus == "embedded":
		bc, busDir = &bus.Config{}, filepath.Join(f.dataDir, "nats")
	case strings.HasPrefix(f.bus, "nats://") || strings.HasPrefix(f.bus, "tls://"):
		bc = &bus.Config{URL: f.bus}
	default:
		return app.Config{}, usageError{fmt.Errorf("-bus: want embedded or a nats:// URL, got %q", f.bus)}
	}
	bsch, err := f.backup.schedule(f.dsn)
	if err != nil {
		return app.Config{}, err
	}
	var fwd *forward.Config
	if f.forwardConfig != "" {
		data, err := os.ReadFile(f.forwardConfig)
		if err != nil {
			return app.Config{}, fmt.Errorf("-forward-config: %w", err)
		}
		if fwd, err = forward.Parse(f.forwardConfig, data); err != nil {
			return app.Config{}, fmt.Errorf("-forward-config:\n%w", err)
		}
	}
	return app.Config{
		Backup:            bsch,
		Forward:           fwd,
		Bus:               bc,
		BusDir:            busDir,
		DSN:               f.dsn,
		DataDir:           f.dataDir,
		SQLiteSync:        f.sync,
		HTTPAddr:          f.httpAddr,
		HTTP:              sec,
		Gateway:           gc,
		RegistryReload:    f.registryReload,
		ReadyFile:         f.readyFile,
		RightsCheckpoints: f.rightsCheckpoints,
		Webhooks:          f.webhooks,
		Alerts:            alertsvc.Config{MeterFile: f.meterFile},
		Mailer:            mailer,
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})),
	}, nil
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]\n\nRuns the HJ 212 device gateway and the HTTP API until interrupted (SIGINT/SIGTERM),\nthen drains: pending frames are committed and acknowledged before exit.", stderr)
	var f serveFlags
	f.register(fs, ":9212", ":8080")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch serving: devices on %s", a.GatewayAddr())
	if h := a.HTTPAddr(); h != "" {
		fmt.Fprintf(stdout, ", HTTP on %s://%s/", cfg.HTTP.Scheme(), h)
	}
	fmt.Fprintln(stdout)
	return untilDone(ctx, a.Shutdown)
}
