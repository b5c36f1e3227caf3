package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/forward/forwardsvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
)

// The scaled-out roles: gateway, writer and web. Each flag has an
// environment variable as its default (app.EnvOr), so that a unit file or
// an orchestrator configures a role without a command line.

// started prints what a role serves, then runs it until ctx ends.
func started(ctx context.Context, stdout io.Writer, what string, sec app.HTTPSecurity, ops string, shutdown func(context.Context) error) error {
	fmt.Fprint(stdout, what)
	if ops != "" {
		fmt.Fprintf(stdout, ", ops on %s://%s/", sec.Scheme(), ops)
	}
	fmt.Fprintln(stdout)
	return app.UntilDone(ctx, shutdown)
}

func runGateway(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("gateway", "gateway [flags]\n\nRuns a stateless HJ 212 gateway of a scaled-out deployment: devices' frames go to the NATS\nJetStream bus and a device is acknowledged (9014) once the stream holds the frame with the\nconfigured replication. The registry and back-fill gaps are read from PostgreSQL.", stderr)
	var bf app.BusFlags
	bf.Register(fs)
	gc := gateway.DefaultConfig()
	rf := app.RegisterRoleFlags(fs, "PostgreSQL DSN: the registry and stored DataTimes", "ECOWATCH_OPS_ADDR", ":9100", "HTTP address of /healthz, /readyz and /metrics (empty disables)")
	fs.StringVar(&gc.Addr, "gateway-addr", app.EnvOr("ECOWATCH_GATEWAY_ADDR", ":9212"), "TCP address for HJ 212 devices ($ECOWATCH_GATEWAY_ADDR)")
	fs.IntVar(&gc.BatchFrames, "batch-frames", gc.BatchFrames, "frames published together (one wait for the stream's acknowledgements)")
	fs.DurationVar(&gc.BatchInterval, "batch-interval", gc.BatchInterval, "publish this long after the first pending frame")
	fs.DurationVar(&gc.IdleTimeout, "idle-timeout", gc.IdleTimeout, "close a device connection silent for this long")
	var df app.DeviceFlags
	df.Register(fs)
	gc.QuarantineUnknown = true
	fs.BoolVar(&gc.QuarantineUnknown, "quarantine-unknown", true, "archive frames of unknown devices or with wrong passwords for review")
	reload := fs.Duration("registry-reload", 30*time.Second, "reload the device table from the registry this often")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if err := df.Apply(&gc); err != nil {
		return err
	}
	log, sec, err := rf.Check("the PostgreSQL holding the registry", stderr)
	if err != nil {
		return err
	}
	r, err := app.StartGatewayRole(ctx, app.GatewayRoleConfig{DSN: rf.DSN, Bus: bf.Config("ecowatch-gateway", log.With("component", "bus")),
		Gateway: gc, OpsAddr: rf.HTTPAddr, OpsHTTP: sec, RegistryReload: *reload, ReadyFile: rf.ReadyFile, Logger: log})
	if err != nil {
		return err
	}
	return started(ctx, stdout, fmt.Sprintf("ecowatch gateway: devices on %s, bus %s", r.Addr(), bf.URL), sec, r.OpsAddr(), r.Shutdown)
}

func runWriter(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("writer", "writer [flags]\n\nRuns a writer of a scaled-out deployment: it takes a fair share of the bus's partitions (leases\nin JetStream KV; a dead writer's partitions move to the others), commits their frames to\nPostgreSQL idempotently, acknowledges the stream after the commit, and keeps roll-ups and retention.", stderr)
	var bf app.BusFlags
	bf.Register(fs)
	host, _ := os.Hostname()
	rf := app.RegisterRoleFlags(fs, "PostgreSQL DSN", "ECOWATCH_OPS_ADDR", ":9101", "HTTP address of /healthz, /readyz and /metrics (empty disables)")
	cfg := app.WriterRoleConfig{Writer: bus.WriterConfig{ID: app.EnvOr("ECOWATCH_WRITER_ID", fmt.Sprintf("%s-%d", host, os.Getpid()))}}
	fs.StringVar(&cfg.Writer.ID, "id", cfg.Writer.ID, "this writer's name in the partition leases ($ECOWATCH_WRITER_ID)")
	fs.IntVar(&cfg.Writer.Batch, "batch", 1000, "frames committed per transaction and partition (at most)")
	fs.DurationVar(&cfg.Writer.MaxWait, "max-wait", 200*time.Millisecond, "wait at most this long to fill a batch")
	fs.DurationVar(&cfg.Writer.LeaseTTL, "lease-ttl", 6*time.Second, "partition lease lifetime: a dead writer's partitions move after this")
	fs.DurationVar(&cfg.RollupEvery, "rollup-every", app.RollupEvery, "roll minute data up into hours and days this often (negative: never)")
	fs.DurationVar(&cfg.Retention, "retention", 0, "drop minute and real-time data older than this, whole months at a time (0 keeps all)")
	fs.DurationVar(&cfg.RollupRetention, "rollup-retention", 0, "drop roll-ups older than this (0 keeps all)")
	fs.DurationVar(&cfg.RawRetention, "raw-retention", 0, "drop archived raw frames older than this (0 keeps all)")
	forwardConfig := fs.String("forward-config", app.EnvOr("ECOWATCH_FORWARD_CONFIG", ""), "YAML or JSON file of the upper platforms to forward to (README: Forwarding to upper platforms); give the same file to every writer: one at a time forwards, the others take over when it dies ($ECOWATCH_FORWARD_CONFIG)")
	fs.DurationVar(&cfg.ForwardRetry, "forward-retry", forwardsvc.DefaultRetry, "how often a writer that does not forward tries to take over forwarding")
	fs.DurationVar(&cfg.RegistryReload, "registry-reload", 30*time.Second, "the forwarding writer resolves the forwarding selections against the registry this often")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	log, sec, err := rf.Check("the PostgreSQL the writer commits to", stderr)
	if err != nil {
		return err
	}
	if cfg.Forward, err = app.LoadForwardConfig(*forwardConfig); err != nil {
		return err
	}
	log = log.With("writer", cfg.Writer.ID)
	cfg.DSN, cfg.Bus, cfg.OpsAddr, cfg.OpsHTTP, cfg.ReadyFile, cfg.Logger = rf.DSN, bf.Config("ecowatch-writer-"+cfg.Writer.ID, log.With("component", "bus")),
		rf.HTTPAddr, sec, rf.ReadyFile, log
	r, err := app.StartWriterRole(ctx, cfg)
	if err != nil {
		return err
	}
	return started(ctx, stdout, fmt.Sprintf("ecowatch writer %s: bus %s", cfg.Writer.ID, bf.URL), sec, r.OpsAddr(), r.Shutdown)
}

func runWeb(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("web", "web [flags]\n\nRuns the API and the dashboard of a scaled-out deployment on PostgreSQL, with no device gateway:\nwriters fill the store. The monitoring read paths may use a read replica (--db-read).\nRun --alerts on exactly one web instance.", stderr)
	rf := app.RegisterRoleFlags(fs, "PostgreSQL DSN of the primary", "ECOWATCH_HTTP_ADDR", ":8080", "HTTP address for the API and dashboard")
	cfg := app.Config{DisableGateway: true}
	fs.StringVar(&cfg.ReadDSN, "db-read", app.EnvOr("ECOWATCH_DB_READ", ""), "PostgreSQL DSN of a read replica for the monitoring read paths ($ECOWATCH_DB_READ)")
	fs.StringVar(&cfg.DataDir, "data-dir", app.EnvOr("ECOWATCH_DATA_DIR", "ecowatch-data"), "directory for case evidence files (shared storage when several web instances run)")
	fs.StringVar(&cfg.RightsCheckpoints, "rights-checkpoints", "", "directory of the ledger's daily checkpoint file (default <data-dir>/rights-checkpoints)")
	alerts := fs.Bool("alerts", true, "run the alert rules here; enable on exactly one web instance")
	natsURL := fs.String("nats", os.Getenv("ECOWATCH_NATS"), "NATS URL(s): the alert rules follow the writers' committed feed (empty: they poll the store) ($ECOWATCH_NATS)")
	subject := fs.String("subject", app.EnvOr("ECOWATCH_SUBJECT", "ecowatch.frames"), "subject prefix of the frames, as the writers have it ($ECOWATCH_SUBJECT)")
	fs.StringVar(&cfg.Alerts.MeterFile, "meter-file", "", "YAML file naming the electricity sub-meters, for the alert rules")
	fs.DurationVar(&cfg.RegistryReload, "registry-reload", 30*time.Second, "reload the registry this often")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	log, sec, err := rf.Check("the PostgreSQL primary", stderr)
	if err != nil {
		return err
	}
	cfg.DSN, cfg.HTTPAddr, cfg.HTTP, cfg.DisableAlerts, cfg.ReadyFile, cfg.Logger = rf.DSN, rf.HTTPAddr, sec, !*alerts, rf.ReadyFile, log
	if *natsURL != "" && *alerts {
		cfg.Bus = &bus.Config{URL: *natsURL, Subject: *subject}
	}
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch web: HTTP on %s://%s/\n", sec.Scheme(), a.HTTPAddr())
	return app.UntilDone(ctx, a.Shutdown)
}
