package bench

import (
	"flag"
	"os"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
)

// The flags of each benchmark, beside the configuration they fill; the
// command line parses them.

// Register defines the flags of the command line's IngestConfig.
func (cfg *IngestConfig) Register(fs *flag.FlagSet) {
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
}

// Register defines the flags of the command line's StoreConfig.
func (cfg *StoreConfig) Register(fs *flag.FlagSet) {
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	fs.IntVar(&cfg.Batch, "batch", 2000, "uploads per CommitBatch")
	fs.IntVar(&cfg.Devices, "devices", 1000, "distinct devices")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to measure")
	fs.StringVar(&cfg.SQLiteSync, "sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
}

// Register defines the flags of the command line's ConnsConfig.
func (cfg *ConnsConfig) Register(fs *flag.FlagSet) {
	fs.IntVar(&cfg.N, "n", 100000, "connections")
	fs.IntVar(&cfg.PerListener, "per-listener", 10000, "connections per gateway listener (each on its own 127.0.0.x address)")
	fs.StringVar(&cfg.Clients, "clients", "process", "where the client ends live: process (child processes) or inproc")
	fs.IntVar(&cfg.PerClient, "per-client", 15000, "with --clients process: connections per child process")
	fs.IntVar(&cfg.Parallel, "parallel", 32, "concurrent dialers (per child process)")
	fs.DurationVar(&cfg.Hold, "hold", 2*time.Second, "hold the connections this long before measuring")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
}

// Register defines the flags of the command line's ConnsClientConfig.
func (cfg *ConnsClientConfig) Register(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Addrs, "addrs", "", "gateway addresses, comma-separated")
	fs.IntVar(&cfg.From, "from", 0, "first connection number")
	fs.IntVar(&cfg.N, "n", 0, "connections")
	fs.IntVar(&cfg.PerListener, "per-listener", 10000, "connections per address")
	fs.IntVar(&cfg.Parallel, "parallel", 32, "concurrent dialers")
}

// Register defines the flags of the command line's DecodeConfig.
func (cfg *DecodeConfig) Register(fs *flag.FlagSet) {
	fs.DurationVar(&cfg.Duration, "duration", 3*time.Second, "how long to measure")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
}

// Register defines the flags of the command line's BusConfig.
func (cfg *BusConfig) Register(fs *flag.FlagSet) {
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
	fs.BoolVar(&cfg.SimProcess, "sim-process", false, "run the simulated devices in a child process (this process then holds the gateway, NATS and the writers, as a deployment does)")
	fs.BoolVar(&cfg.WritersAfter, "writers-after", false, "keep the writers stopped through the measured window (the gateway and the stream alone, nothing removed from the stream); they start after it and empty the stream before the no-loss check")
	fs.DurationVar(&cfg.RollupEvery, "rollup-every", app.RollupEvery, "writer: roll-up interval, as in production (negative: off)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "frames per second per device (0: each as soon as the previous one is acknowledged)")
	fs.DurationVar(&cfg.OverTime, "overtime", 10*time.Second, "device OverTime before retransmitting")
	fs.Int64Var(&cfg.Seed, "seed", 1, "data seed")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&cfg.Verbose, "v", false, "log the roles' warnings to stderr")
	fs.IntVar(&cfg.Batch, "batch", 0, "gateway group commit: frames per batch (0: gateway default)")
	fs.DurationVar(&cfg.BatchInterval, "batch-interval", 0, "gateway group commit: longest wait after a batch's first frame (0: gateway default)")
	fs.IntVar(&cfg.Pipeline, "pipeline", 0, "gateway: batches in the stream at once, awaiting their PubAcks (0: gateway default; 1: one at a time)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured window to this file")
	fs.StringVar(&cfg.Trace, "trace", "", "write an execution trace of the measured window to this file (go tool trace -pprof=sync|sched: time blocked on locks, time waiting for a CPU); keep --duration short, it grows by tens of MB a second")
	fs.StringVar(&cfg.AllocProfile, "allocprofile", "", "write the allocations up to the end of the measured window (go tool pprof -sample_index alloc_space) to this file")
	fs.StringVar(&cfg.MutexProfile, "mutexprofile", "", "write the lock contention of the measured window (go tool pprof) to this file")
}

// Register defines the flags of the command line's IngestClientConfig.
func (cfg *IngestClientConfig) Register(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Addr, "addr", "", "gateway address")
	fs.IntVar(&cfg.Devices, "devices", 0, "simulated devices")
	fs.Int64Var(&cfg.Seed, "seed", 1, "data seed")
	fs.Float64Var(&cfg.Rate, "rate", 0, "frames per second per device (0: back to back)")
	fs.StringVar(&cfg.Start, "start", "", "first DataTime (RFC 3339)")
	fs.DurationVar(&cfg.OverTime, "overtime", 10*time.Second, "device OverTime")
}

// Register defines the flags of the command line's StorageConfig.
func (cfg *StorageConfig) Register(fs *flag.FlagSet) {
	fs.StringVar(&cfg.DB, "db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	fs.IntVar(&cfg.Devices, "devices", 50, "devices")
	fs.IntVar(&cfg.Days, "days", 2, "closed days of minute data")
	fs.IntVar(&cfg.Rounds, "rounds", 21, "device-day reads per layout")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
}
