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

// parseRole parses a role's flags: no arguments, a DSN (what it is for
// names it in the error) and the JSON logger at the level asked for.
func parseRole(fs *flag.FlagSet, args []string, dsn *string, what string, level *string, stderr io.Writer) (*slog.Logger, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *dsn == "" {
		return nil, usageError{fmt.Errorf("-db (or $ECOWATCH_DB) is required: %s", what)}
	}
	return newLogger(*level, stderr)
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
	fs := newFlagSet("gateway", "gateway [flags]\n\nRuns a stateless HJ 212 gateway of a scaled-out deployment: devices' frames go to the\nNATS JetStream bus and a device is acknowledged (9014) once the stream holds the frame\nwith the configured replication. The registry and the back-fill gaps are read from\nPostgreSQL; writers (ecowatch writer) store the frames.", stderr)
	var bf busFlags
	bf.register(fs)
	d := gateway.DefaultConfig()
	dsn := fs.String("db", envOr("ECOWATCH_DB", ""), "PostgreSQL DSN: the registry and stored DataTimes ($ECOWATCH_DB)")
	addr := fs.String("gateway-addr", envOr("ECOWATCH_GATEWAY_ADDR", ":9212"), "TCP address for HJ 212 devices ($ECOWATCH_GATEWAY_ADDR)")
	ops := fs.String("http-addr", envOr("ECOWATCH_OPS_ADDR", ":9100"), "HTTP address of /healthz, /readyz and /metrics (empty disables) ($ECOWATCH_OPS_ADDR)")
	readyFile := fs.String("ready-file", "", "write the bound addresses as JSON to this file once listening")
	batchFrames := fs.Int("batch-frames", d.BatchFrames, "frames published together (one wait for the stream's acknowledgements)")
	batchInterval := fs.Duration("batch-interval", d.BatchInterval, "publish this long after the first pending frame")
	idle := fs.Duration("idle-timeout", d.IdleTimeout, "close a device connection silent for this long")
	perIP := fs.Int("max-conns-per-ip", d.MaxConnsPerIP, "device connections allowed from one address")
	quarantine := fs.Bool("quarantine-unknown", true, "archive frames of unknown devices or with wrong passwords for review")
	reload := fs.Duration("registry-reload", 30*time.Second, "reload the device table from the registry this often")
	level := fs.String("log-level", envOr("ECOWATCH_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	var hf httpSecFlags
	hf.register(fs)
	log, err := parseRole(fs, args, dsn, "the PostgreSQL holding the registry", level, stderr)
	if err != nil {
		return err
	}
	sec, err := hf.config()
	if err != nil {
		return err
	}
	gc := d
	gc.Addr = *addr
	gc.BatchFrames, gc.BatchInterval, gc.IdleTimeout = *batchFrames, *batchInterval, *idle
	gc.MaxConnsPerIP, gc.QuarantineUnknown = *perIP, *quarantine
	r, err := app.StartGatewayRole(ctx, app.GatewayRoleConfig{DSN: *dsn, Bus: bf.config("ecowatch-gateway", log.With("component", "bus")),
		Gateway: gc, OpsAddr: *ops, OpsHTTP: sec, RegistryReload: *reload, ReadyFile: *readyFile, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch gateway: devices on %s, bus %s", r.Addr(), bf.url)
	if h := r.OpsAddr(); h != "" {
		fmt.Fprintf(stdout, ", ops on %s://%s/", sec.Scheme(), h)
	}
	fmt.Fprintln(stdout)
	return untilDone(ctx, r.Shutdown)
}

func runWriter(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("writer", "writer [flags]\n\nRuns a writer of a scaled-out deployment: it takes a fair share of the bus's partitions\n(leases in JetStream KV; a dead writer's partitions move to the others), commits their\nframes to PostgreSQL idempotently and acknowledges the stream only after the commit.\nIt also keeps the hour and day roll-ups and the retention.", stderr)
	var bf busFlags
	bf.register(fs)
	host, _ := os.Hostname()
	dsn := fs.String("db", envOr("ECOWATCH_DB", ""), "PostgreSQL DSN ($ECOWATCH_DB)")
	id := fs.String("id", envOr("ECOWATCH_WRITER_ID", fmt.Sprintf("%s-%d", host, os.Getpid())), "this writer's name in the partition leases ($ECOWATCH_WRITER_ID)")
	ops := fs.String("http-addr", envOr("ECOWATCH_OPS_ADDR", ":9101"), "HTTP address of /healthz, /readyz and /metrics (empty disables) ($ECOWATCH_OPS_ADDR)")
	readyFile := fs.String("ready-file", "", "write the bound addresses as JSON to this file once started")
	batch := fs.Int("batch", 1000, "frames committed per transaction and partition (at most)")
	maxWait := fs.Duration("max-wait", 200*time.Millisecond, "wait at most this long to fill a batch")
	leaseTTL := fs.Duration("lease-ttl", 6*time.Second, "partition lease lifetime: a dead writer's partitions move after this")
	rollup := fs.Duration("rollup-every", app.RollupEvery, "roll minute data up into hours and days this often (negative: never)")
	retention := fs.Duration("retention", 0, "drop minute and real-time data older than this, whole months at a time (0 keeps all)")
	rollRetention := fs.Duration("rollup-retention", 0, "drop roll-ups older than this (0 keeps all)")
	rawRetention := fs.Duration("raw-retention", 0, "drop archived raw frames older than this (0 keeps all)")
	level := fs.String("log-level", envOr("ECOWATCH_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	var hf httpSecFlags
	hf.register(fs)
	log, err := parseRole(fs, args, dsn, "the PostgreSQL the writer commits to", level, stderr)
	if err != nil {
		return err
	}
	sec, err := hf.config()
	if err != nil {
		return err
	}
	log = log.With("writer", *id)
	r, err := app.StartWriterRole(ctx, app.WriterRoleConfig{DSN: *dsn, Bus: bf.config("ecowatch-writer-"+*id, log.With("component", "bus")),
		Writer:  bus.WriterConfig{ID: *id, Batch: *batch, MaxWait: *maxWait, LeaseTTL: *leaseTTL},
		OpsAddr: *ops, OpsHTTP: sec, RollupEvery: *rollup, Retention: *retention, RollupRetention: *rollRetention, RawRetention: *rawRetention, ReadyFile: *readyFile, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch writer %s: bus %s", *id, bf.url)
	if h := r.OpsAddr(); h != "" {
		fmt.Fprintf(stdout, ", ops on %s://%s/", sec.Scheme(), h)
	}
	fmt.Fprintln(stdout)
	return untilDone(ctx, r.Shutdown)
}

func runWeb(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("web", "web [flags]\n\nRuns the API and the dashboard of a scaled-out deployment on PostgreSQL, with no device\ngateway: writers fill the store. The monitoring read paths may use a read replica\n(--db-read). Run --alerts on exactly one web instance.", stderr)
	dsn := fs.String("db", envOr("ECOWATCH_DB", ""), "PostgreSQL DSN of the primary ($ECOWATCH_DB)")
	readDSN := fs.String("db-read", envOr("ECOWATCH_DB_READ", ""), "PostgreSQL DSN of a read replica for the monitoring read paths ($ECOWATCH_DB_READ)")
	httpAddr := fs.String("http-addr", envOr("ECOWATCH_HTTP_ADDR", ":8080"), "HTTP address for the API and dashboard ($ECOWATCH_HTTP_ADDR)")
	dataDir := fs.String("data-dir", envOr("ECOWATCH_DATA_DIR", "ecowatch-data"), "directory for case evidence files (shared storage when several web instances run)")
	readyFile := fs.String("ready-file", "", "write the bound addresses as JSON to this file once listening")
	checkpoints := fs.String("rights-checkpoints", "", "directory of the ledger's daily checkpoint file (default <data-dir>/rights-checkpoints)")
	alerts := fs.Bool("alerts", true, "run the alert rules here; enable on exactly one web instance")
	natsURL := fs.String("nats", os.Getenv("ECOWATCH_NATS"), "NATS URL(s): the alert rules follow the writers' committed feed (empty: they poll the store) ($ECOWATCH_NATS)")
	subject := fs.String("subject", envOr("ECOWATCH_SUBJECT", "ecowatch.frames"), "subject prefix of the frames, as the writers have it ($ECOWATCH_SUBJECT)")
	meterFile := fs.String("meter-file", "", "YAML file naming the electricity sub-meters, for the alert rules")
	reload := fs.Duration("registry-reload", 30*time.Second, "reload the registry this often")
	level := fs.String("log-level", envOr("ECOWATCH_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	var hf httpSecFlags
	hf.register(fs)
	log, err := parseRole(fs, args, dsn, "the PostgreSQL primary", level, stderr)
	if err != nil {
		return err
	}
	sec, err := hf.config()
	if err != nil {
		return err
	}
	cfg := app.Config{DSN: *dsn, ReadDSN: *readDSN, DataDir: *dataDir, DisableGateway: true, HTTPAddr: *httpAddr, HTTP: sec,
		DisableAlerts: !*alerts, RegistryReload: *reload, ReadyFile: *readyFile, RightsCheckpoints: *checkpoints, Logger: log}
	cfg.Alerts.MeterFile = *meterFile
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
