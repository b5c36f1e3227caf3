package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bench"
	"github.com/ecowatch/ecowatch/internal/bus"
)

const benchUsage = `Usage: ecowatch bench <ingest|conns|decode|store|bus> [flags]

Benchmarks, each in one process:
  ingest   gateway + store + simulated devices in flat-out mode: acknowledged
           frames/s, values/s, ack latency, peak RSS, and the raw insert rate
           of the same store measured in the same run
  store    only the raw insert rate of a fresh store (uploads/s via CommitBatch)
  conns    N concurrent idle device connections to an in-process gateway:
           RSS and KiB per connection
  decode   HJ 212 decode rate of a typical 2051 frame with 8 factors
  bus      scaled out: devices → gateway(s) → NATS JetStream → writer(s) → PostgreSQL

Run 'ecowatch bench <name> --help' for a benchmark's flags.
`

func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return usageError{errors.New("missing benchmark name")}
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, benchUsage)
		return nil
	case "ingest":
		return benchIngest(ctx, args[1:], stdout, stderr)
	case "store":
		return benchStore(ctx, args[1:], stdout, stderr)
	case "conns":
		return benchConns(ctx, args[1:], stdout, stderr)
	case "conns-client": // internal: the client side of bench conns
		return benchConnsClient(ctx, args[1:], stdin, stdout, stderr)
	case "decode":
		return benchDecode(ctx, args[1:], stdout, stderr)
	case "bus":
		return benchBus(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, benchUsage)
	return usageError{fmt.Errorf("unknown benchmark %q", args[0])}
}

// benchErr turns a benchmark's configuration error into a usage error
// (exit status 2).
func benchErr(err error) error {
	var ue bench.UsageError
	if errors.As(err, &ue) {
		return usageError{ue.Err}
	}
	return err
}

func benchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg bench.IngestConfig
	fs := newFlagSet("bench ingest", "bench ingest [flags]\n\nRuns a fresh store, the gateway and N simulated devices sending 2051 minute\nframes (8 factors, Flag=5) back to back in one process for --duration, then\nchecks that every acknowledged upload is in the store exactly once.\n\nFlags:", stderr)
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return benchErr(bench.Ingest(ctx, cfg, stdout, stderr))
}

func benchStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg bench.StoreConfig
	fs := newFlagSet("bench store", "bench store [flags]\n\nCommits batches of 2051 uploads (8 factors, with their raw frames) directly\ninto a fresh store and reports uploads/s.\n\nFlags:", stderr)
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	fs.IntVar(&cfg.Batch, "batch", 2000, "uploads per CommitBatch")
	fs.IntVar(&cfg.Devices, "devices", 1000, "distinct devices")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to measure")
	fs.StringVar(&cfg.SQLiteSync, "sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return benchErr(bench.Store(ctx, cfg, stdout))
}

func benchConns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg bench.ConnsConfig
	fs := newFlagSet("bench conns", "bench conns [flags]\n\nOpens N concurrent idle device connections to an in-process gateway (listening\non several loopback addresses 127.0.0.x so the ephemeral port range is no\nlimit; per-address connection limit raised) and reports the gateway process's\nRSS growth per connection. By default the client ends live in child processes\n(--clients process), so the figure is the gateway's alone; --clients inproc\nkeeps them in this process (the figure then covers both ends).\n\nFlags:", stderr)
	fs.IntVar(&cfg.N, "n", 100000, "connections")
	fs.IntVar(&cfg.PerListener, "per-listener", 10000, "connections per gateway listener (each on its own 127.0.0.x address)")
	fs.StringVar(&cfg.Clients, "clients", "process", "where the client ends live: process (child processes) or inproc")
	fs.IntVar(&cfg.PerClient, "per-client", 15000, "with --clients process: connections per child process")
	fs.IntVar(&cfg.Parallel, "parallel", 32, "concurrent dialers (per child process)")
	fs.DurationVar(&cfg.Hold, "hold", 2*time.Second, "hold the connections this long before measuring")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return benchErr(bench.ConnsClient(ctx, cfg, stdin, stdout))
}

func benchDecode(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg bench.DecodeConfig
	fs := newFlagSet("bench decode", "bench decode [flags]\n\nDecodes a typical 2051 minute frame with 8 factors (Tolerant mode, reused\nFrame) on one goroutine and reports frames/s, MB/s and allocations per frame.\n\nFlags:", stderr)
	fs.DurationVar(&cfg.Duration, "duration", 3*time.Second, "how long to measure")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return benchErr(bench.Decode(cfg, stdout))
}

func benchBus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg bench.BusConfig
	fs := newFlagSet("bench bus", "bench bus [flags]\n\nRuns the scaled-out ingest path in one process: an embedded NATS JetStream server\n(or --nats), a fresh PostgreSQL database (dropped afterwards), gateway role(s)\npublishing to the stream and writer role(s) committing it, with N simulated devices\nsending 2051 minute frames (8 factors, Flag=5) back to back. Reports frames offered,\nacknowledged and committed per second, ack latency and the backlog, then lets the\nwriters drain the stream and checks that every acknowledged upload is stored.\n\nFlags:", stderr)
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return benchErr(bench.Bus(ctx, cfg, stdout, stderr))
}
