package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
)

// The scaled-out roles: gateway, writer and web. Each flag has
// an environment variable as its default, so that a unit file or an
// orchestrator configures a role without a command line.

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// busFlags configure the connection to NATS JetStream.
type busFlags struct {
	url, stream, subject string
	partitions, replicas int
	maxPending           int64
	maxPendingBytes      int64
	dupWindow            time.Duration
}

func (f *busFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "nats", envOr("ECOWATCH_NATS", "nats://127.0.0.1:4222"), "NATS server URL(s), comma-separated ($ECOWATCH_NATS)")
	fs.StringVar(&f.stream, "stream", envOr("ECOWATCH_STREAM", "ECOWATCH_FRAMES"), "JetStream stream of received frames ($ECOWATCH_STREAM)")
	fs.StringVar(&f.subject, "subject", envOr("ECOWATCH_SUBJECT", "ecowatch.frames"), "subject prefix of the frames ($ECOWATCH_SUBJECT)")
	fs.IntVar(&f.partitions, "partitions", envInt("ECOWATCH_PARTITIONS", 16), "partitions of the stream (fixed once created): devices are spread over them by MN, one writer at a time owns each ($ECOWATCH_PARTITIONS)")
	fs.IntVar(&f.replicas, "replicas", envInt("ECOWATCH_REPLICAS", 1), "JetStream replicas of the stream: a gateway acknowledges a device once this many servers hold the frame (3 in production) ($ECOWATCH_REPLICAS)")
	fs.Int64Var(&f.maxPending, "max-pending", 2_000_000, "frames the stream may hold unwritten; beyond it gateways stop acknowledging (back-pressure)")
	fs.Int64Var(&f.maxPendingBytes, "max-pending-bytes", 8<<30, "bytes the stream may hold unwritten")
	fs.DurationVar(&f.dupWindow, "dup-window", 10*time.Minute, "JetStream deduplication window for retransmitted frames")
}

func (f *busFlags) config(name string, log *slog.Logger) bus.Config {
	return bus.Config{URL: f.url, Stream: f.stream, Subject: f.subject, Partitions: f.partitions, Replicas: f.replicas,
		MaxPending: f.maxPending, MaxPendingBytes: f.maxPendingBytes, DuplicateWindow: f.dupWindow, Name: name, Log: log}
}

// roleFlags are the flags every scaled-out role has: its store, its
// HTTP listener and its security, the ready file and the log level.
type roleFlags struct {
	dsn, httpAddr, readyFile, level string
	http                            httpSecFlags
}

func roleFlagsOf(fs *flag.FlagSet, dsnHelp, httpEnv, httpDef, httpHelp string) *roleFlags {
	f := &roleFlags{}
	fs.StringVar(&f.dsn, "db", envOr("ECOWATCH_DB", ""), dsnHelp+" ($ECOWATCH_DB)")
	fs.StringVar(&f.httpAddr, "http-addr", envOr(httpEnv, httpDef), httpHelp+" ($"+httpEnv+")")
	fs.StringVar(&f.readyFile, "ready-file", "", "write the bound addresses as JSON to this file once listening")
	fs.StringVar(&f.level, "log-level", envOr("ECOWATCH_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	f.http.register(fs)
	return f
}

// parse parses a role's flags: no arguments, a DSN (what it is for names
// it in the error), the JSON logger at the level asked for and the HTTP
// security.
func (f *roleFlags) parse(fs *flag.FlagSet, args []string, what string, stderr io.Writer) (*slog.Logger, app.HTTPSecurity, error) {
	if err := parseNone(fs, args); err != nil {
		return nil, app.HTTPSecurity{}, err
	}
	if f.dsn == "" {
		return nil, app.HTTPSecurity{}, usageError{fmt.Errorf("-db (or $ECOWATCH_DB) is required: %s", what)}
	}
	log, err := newLogger(f.level, stderr)
	if err != nil {
		return nil, app.HTTPSecurity{}, err
	}
	sec, err := f.http.config()
	return log, sec, err
}

// started prints what a role serves, then runs it until ctx ends.
func started(ctx context.Context, stdout io.Writer, what string, sec app.HTTPSecurity, ops string, shutdown func(context.Context) error) error {
	fmt.Fprint(stdout, what)
	if ops != "" {
		fmt.Fprintf(stdout, ", ops on %s://%s/", sec.Scheme(), ops)
	}
	fmt.Fprintln(stdout)
	return untilDone(ctx, shutdown)
}

// untilDone waits for the end of ctx (SIGINT, SIGTERM), then shuts down
// within 30 s: pending work is finished, not dropped.
func untilDone(ctx context.Context, shutdown func(context.Context) error) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return shutdown(sctx)
}

func newLogger(level string, stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("-log-level: %w", err)}
	}
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

func runGateway(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("gateway", "gateway [flags]\n\nRuns a stateless HJ 212 gateway of a scaled-out deployment: devices' frames go to the NATS\nJetStream bus and a device is acknowledged (9014) once the stream holds the frame with the\nconfigured replication. The registry and back-fill gaps are read from PostgreSQL.", stderr)
	var bf busFlags
	bf.register(fs)
	gc := gateway.DefaultConfig()
	rf := roleFlagsOf(fs, "PostgreSQL DSN: the registry and stored DataTimes", "ECOWATCH_OPS_ADDR", ":9100", "HTTP address of /healthz, /readyz and /metrics (empty disables)")
	fs.StringVar(&gc.Addr, "gateway-addr", envOr("ECOWATCH_GATEWAY_ADDR", ":9212"), "TCP address for HJ 212 devices ($ECOWATCH_GATEWAY_ADDR)")
	fs.IntVar(&gc.BatchFrames, "batch-frames", gc.BatchFrames, "frames published together (one wait for the stream's acknowledgements)")
	fs.DurationVar(&gc.BatchInterval, "batch-interval", gc.BatchInterval, "publish this long after the first pending frame")
	fs.DurationVar(&gc.IdleTimeout, "idle-timeout", gc.IdleTimeout, "close a device connection silent for this long")
	fs.IntVar(&gc.MaxConnsPerIP, "max-conns-per-ip", gc.MaxConnsPerIP, "device connections allowed from one address")
	gc.QuarantineUnknown = true
	fs.BoolVar(&gc.QuarantineUnknown, "quarantine-unknown", true, "archive frames of unknown devices or with wrong passwords for review")
	reload := fs.Duration("registry-reload", 30*time.Second, "reload the device table from the registry this often")
	log, sec, err := rf.parse(fs, args, "the PostgreSQL holding the registry", stderr)
	if err != nil {
		return err
	}
	r, err := app.StartGatewayRole(ctx, app.GatewayRoleConfig{DSN: rf.dsn, Bus: bf.config("ecowatch-gateway", log.With("component", "bus")),
		Gateway: gc, OpsAddr: rf.httpAddr, OpsHTTP: sec, RegistryReload: *reload, ReadyFile: rf.readyFile, Logger: log})
	if err != nil {
		return err
	}
	return started(ctx, stdout, fmt.Sprintf("ecowatch gateway: devices on %s, bus %s", r.Addr(), bf.url), sec, r.OpsAddr(), r.Shutdown)
}

func runWriter(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("writer", "writer [flags]\n\nRuns a writer of a scaled-out deployment: it takes a fair share of the bus's partitions (leases\nin JetStream KV; a dead writer's partitions move to the others), commits their frames to\nPostgreSQL idempotently, acknowledges the stream after the commit, and keeps roll-ups and retention.", stderr)
	var bf busFlags
	bf.register(fs)
	host, _ := os.Hostname()
	rf := roleFlagsOf(fs, "PostgreSQL DSN", "ECOWATCH_OPS_ADDR", ":9101", "HTTP address of /healthz, /readyz and /metrics (empty disables)")
	cfg := app.WriterRoleConfig{Writer: bus.WriterConfig{ID: envOr("ECOWATCH_WRITER_ID", fmt.Sprintf("%s-%d", host, os.Getpid()))}}
	fs.StringVar(&cfg.Writer.ID, "id", cfg.Writer.ID, "this writer's name in the partition leases ($ECOWATCH_WRITER_ID)")
	fs.IntVar(&cfg.Writer.Batch, "batch", 1000, "frames committed per transaction and partition (at most)")
	fs.DurationVar(&cfg.Writer.MaxWait, "max-wait", 200*time.Millisecond, "wait at most this long to fill a batch")
	fs.DurationVar(&cfg.Writer.LeaseTTL, "lease-ttl", 6*time.Second, "partition lease lifetime: a dead writer's partitions move after this")
	fs.DurationVar(&cfg.RollupEvery, "rollup-every", app.RollupEvery, "roll minute data up into hours and days this often (negative: never)")
	fs.DurationVar(&cfg.Retention, "retention", 0, "drop minute and real-time data older than this, whole months at a time (0 keeps all)")
	fs.DurationVar(&cfg.RollupRetention, "rollup-retention", 0, "drop roll-ups older than this (0 keeps all)")
	fs.DurationVar(&cfg.RawRetention, "raw-retention", 0, "drop archived raw frames older than this (0 keeps all)")
	log, sec, err := rf.parse(fs, args, "the PostgreSQL the writer commits to", stderr)
	if err != nil {
		return err
	}
	log = log.With("writer", cfg.Writer.ID)
	cfg.DSN, cfg.Bus, cfg.OpsAddr, cfg.OpsHTTP, cfg.ReadyFile, cfg.Logger = rf.dsn, bf.config("ecowatch-writer-"+cfg.Writer.ID, log.With("component", "bus")),
		rf.httpAddr, sec, rf.readyFile, log
	r, err := app.StartWriterRole(ctx, cfg)
	if err != nil {
		return err
	}
	return started(ctx, stdout, fmt.Sprintf("ecowatch writer %s: bus %s", cfg.Writer.ID, bf.url), sec, r.OpsAddr(), r.Shutdown)
}

func runWeb(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("web", "web [flags]\n\nRuns the API and the dashboard of a scaled-out deployment on PostgreSQL, with no device gateway:\nwriters fill the store. The monitoring read paths may use a read replica (--db-read).\nRun --alerts on exactly one web instance.", stderr)
	rf := roleFlagsOf(fs, "PostgreSQL DSN of the primary", "ECOWATCH_HTTP_ADDR", ":8080", "HTTP address for the API and dashboard")
	cfg := app.Config{DisableGateway: true}
	fs.StringVar(&cfg.ReadDSN, "db-read", envOr("ECOWATCH_DB_READ", ""), "PostgreSQL DSN of a read replica for the monitoring read paths ($ECOWATCH_DB_READ)")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr("ECOWATCH_DATA_DIR", "ecowatch-data"), "directory for case evidence files (shared storage when several web instances run)")
	fs.StringVar(&cfg.RightsCheckpoints, "rights-checkpoints", "", "directory of the ledger's daily checkpoint file (default <data-dir>/rights-checkpoints)")
	alerts := fs.Bool("alerts", true, "run the alert rules here; enable on exactly one web instance")
	natsURL := fs.String("nats", os.Getenv("ECOWATCH_NATS"), "NATS URL(s): the alert rules follow the writers' committed feed (empty: they poll the store) ($ECOWATCH_NATS)")
	subject := fs.String("subject", envOr("ECOWATCH_SUBJECT", "ecowatch.frames"), "subject prefix of the frames, as the writers have it ($ECOWATCH_SUBJECT)")
	fs.StringVar(&cfg.Alerts.MeterFile, "meter-file", "", "YAML file naming the electricity sub-meters, for the alert rules")
	fs.DurationVar(&cfg.RegistryReload, "registry-reload", 30*time.Second, "reload the registry this often")
	log, sec, err := rf.parse(fs, args, "the PostgreSQL primary", stderr)
	if err != nil {
		return err
	}
	cfg.DSN, cfg.HTTPAddr, cfg.HTTP, cfg.DisableAlerts, cfg.ReadyFile, cfg.Logger = rf.dsn, rf.httpAddr, sec, !*alerts, rf.readyFile, log
	if *natsURL != "" && *alerts {
		cfg.Bus = &bus.Config{URL: *natsURL, Subject: *subject}
	}
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch web: HTTP on %s://%s/\n", sec.Scheme(), a.HTTPAddr())
	return untilDone(ctx, a.Shutdown)
}
