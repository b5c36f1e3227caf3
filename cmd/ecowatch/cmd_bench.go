package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bench"
	"github.com/ecowatch/ecowatch/internal/bus"
)

var runBench = group("bench", "Each benchmark runs in one process and reports figures measured in the same run.", map[string]command{
	"ingest":        {"gateway + store + simulated devices flat out: acknowledged frames/s, values/s, ack latency, peak RSS, raw insert rate", benchIngest},
	"store":         {"only the raw insert rate of a fresh store (uploads/s via CommitBatch)", benchStore},
	"conns":         {"N concurrent idle device connections to an in-process gateway: RSS and KiB per connection", benchConns},
	"conns-client":  {"", benchConnsClient},  // internal: the client side of bench conns
	"ingest-client": {"", benchIngestClient}, // internal: the devices of bench ingest --sim-process
	"storage":       {"bytes per minute frame in rows and in compacted blocks; reads of a device-day from each", benchStorage},
	"decode":        {"HJ 212 decode rate of a typical 2051 frame with 8 factors", benchDecode},
	"bus":           {"scaled out: devices → gateway(s) → NATS JetStream → writer(s) → PostgreSQL", benchBus},
})

// benchErr turns a benchmark's configuration error into a usage error
// (exit status 2).
func benchErr(err error) error {
	var ue bench.UsageError
	if errors.As(err, &ue) {
		return usageError{ue.Err}
	}
	return err
}

func benchIngest(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.IngestConfig
	fs := newFlagSet("bench ingest", "bench ingest [flags]  (2051 frames back to back for --duration, then checks every acknowledged upload is stored once)", stderr)
	fs.IntVar(&cfg.Devices, "devices", 10000, "simulated devices")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "measured duration (after all devices are connected)")
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite (a fresh file in a temporary directory) or a postgres:// DSN (a fresh database on that server, dropped afterwards)")
	fs.IntVar(&cfg.Batch, "batch", 0, "gateway group commit: frames per transaction (0: gateway default)")
	fs.DurationVar(&cfg.BatchInterval, "batch-interval", 0, "gateway group commit: longest wait after a batch's first frame (0: gateway default)")
	fs.StringVar(&cfg.SQLiteSync, "sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	fs.DurationVar(&cfg.RawDuration, "raw-duration", 0, "how long to measure the raw insert rate (0: a quarter of --duration, 2 s to 15 s)")
	fs.DurationVar(&cfg.OverTime, "overtime", 10*time.Second, "device OverTime before retransmitting")
	fs.Float64Var(&cfg.Rate, "rate", 0, "frames per second per device (0: each as soon as the previous one is acknowledged)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "data seed")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&cfg.Verbose, "v", false, "log the gateway's warnings to stderr")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured run to this file")
	fs.BoolVar(&cfg.SimProcess, "sim-process", false, "run the simulated devices in a child process (the profile and RSS are then the gateway's and store's alone)")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Ingest(ctx, cfg, stdout, stderr))
}

func benchStore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.StoreConfig
	fs := newFlagSet("bench store", "bench store [flags]", stderr)
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	fs.IntVar(&cfg.Batch, "batch", 2000, "uploads per CommitBatch")
	fs.IntVar(&cfg.Devices, "devices", 1000, "distinct devices")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to measure")
	fs.StringVar(&cfg.SQLiteSync, "sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Store(ctx, cfg, stdout))
}

func benchConns(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.ConnsConfig
	fs := newFlagSet("bench conns", "bench conns [flags]  (listeners on 127.0.0.x; clients in child processes, so the RSS is the gateway's alone)", stderr)
	fs.IntVar(&cfg.N, "n", 100000, "connections")
	fs.IntVar(&cfg.PerListener, "per-listener", 10000, "connections per gateway listener (each on its own 127.0.0.x address)")
	fs.StringVar(&cfg.Clients, "clients", "process", "where the client ends live: process (child processes) or inproc")
	fs.IntVar(&cfg.PerClient, "per-client", 15000, "with --clients process: connections per child process")
	fs.IntVar(&cfg.Parallel, "parallel", 32, "concurrent dialers (per child process)")
	fs.DurationVar(&cfg.Hold, "hold", 2*time.Second, "hold the connections this long before measuring")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Conns(ctx, cfg, stdout, stderr))
}

func benchConnsClient(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.ConnsClientConfig
	fs := newFlagSet("bench conns-client", "bench conns-client (internal: started by bench conns)", stderr)
	fs.StringVar(&cfg.Addrs, "addrs", "", "gateway addresses, comma-separated")
	fs.IntVar(&cfg.From, "from", 0, "first connection number")
	fs.IntVar(&cfg.N, "n", 0, "connections")
	fs.IntVar(&cfg.PerListener, "per-listener", 10000, "connections per address")
	fs.IntVar(&cfg.Parallel, "parallel", 32, "concurrent dialers")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.ConnsClient(ctx, cfg, stdin, stdout))
}

func benchDecode(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.DecodeConfig
	fs := newFlagSet("bench decode", "bench decode [flags]", stderr)
	fs.DurationVar(&cfg.Duration, "duration", 3*time.Second, "how long to measure")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Decode(cfg, stdout))
}

func benchBus(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.BusConfig
	fs := newFlagSet("bench bus", "bench bus [flags]  (embedded NATS or --nats, a fresh PostgreSQL database; drains and checks every acknowledged upload is stored)", stderr)
	fs.StringVar(&cfg.NATS, "nats", "embedded", "NATS URL(s), or embedded: a JetStream server in this process on a temporary directory")
	fs.StringVar(&cfg.DB, "db", os.Getenv("ECOWATCH_TEST_PG"), "PostgreSQL DSN of a server to create the benchmark's database on (default $ECOWATCH_TEST_PG)")
	fs.IntVar(&cfg.Writers, "writers", 1, "writer roles")
	fs.IntVar(&cfg.Gateways, "gateways", 1, "gateway roles (devices are spread over them)")
	fs.IntVar(&cfg.Devices, "devices", 2000, "simulated devices")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "measured duration (after all devices are connected and a warm-up)")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "warm-up before measuring")
	fs.IntVar(&cfg.Partitions, "partitions", bus.DefaultPartitions, "stream partitions")
	fs.IntVar(&cfg.Replicas, "replicas", 1, "stream replicas (a cluster with --nats)")
	fs.IntVar(&cfg.WriterBatch, "writer-batch", 1000, "writer: frames per commit")
	fs.IntVar(&cfg.Backlog, "backlog", 0, "first fill the stream with this many frames with no writer running, then start the writers and time how fast they empty it (the writers' and PostgreSQL's rate alone)")
	fs.DurationVar(&cfg.RollupEvery, "rollup-every", app.RollupEvery, "writer: roll-up interval, as in production (negative: off)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "frames per second per device (0: each as soon as the previous one is acknowledged)")
	fs.DurationVar(&cfg.OverTime, "overtime", 10*time.Second, "device OverTime before retransmitting")
	fs.Int64Var(&cfg.Seed, "seed", 1, "data seed")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&cfg.Verbose, "v", false, "log the roles' warnings to stderr")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Bus(ctx, cfg, stdout, stderr))
}

func benchIngestClient(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.IngestClientConfig
	fs := newFlagSet("bench ingest-client", "bench ingest-client (internal: started by bench ingest --sim-process)", stderr)
	fs.StringVar(&cfg.Addr, "addr", "", "gateway address")
	fs.IntVar(&cfg.Devices, "devices", 0, "simulated devices")
	fs.Int64Var(&cfg.Seed, "seed", 1, "data seed")
	fs.Float64Var(&cfg.Rate, "rate", 0, "frames per second per device (0: back to back)")
	fs.StringVar(&cfg.Start, "start", "", "first DataTime (RFC 3339)")
	fs.DurationVar(&cfg.OverTime, "overtime", 10*time.Second, "device OverTime")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.IngestClient(ctx, cfg, stdin, stdout))
}

func benchStorage(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var cfg bench.StorageConfig
	fs := newFlagSet("bench storage", "bench storage [flags]  (closed days of 2051 minute frames into a fresh store, compacted; bytes per frame and device-day reads before and after)", stderr)
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	fs.IntVar(&cfg.Devices, "devices", 50, "devices")
	fs.IntVar(&cfg.Days, "days", 2, "closed days of minute data")
	fs.IntVar(&cfg.Rounds, "rounds", 21, "device-day reads per layout")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	return benchErr(bench.Storage(ctx, cfg, stdout))
}
