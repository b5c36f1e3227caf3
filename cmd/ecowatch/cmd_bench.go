package main

import (
	"context"
	"flag"
	"io"

	"github.com/ecowatch/ecowatch/internal/bench"
)

var runBench = group("bench", "Each benchmark runs in one process and reports figures measured in the same run.", map[string]command{
	"ingest": {"gateway + store + simulated devices flat out: acknowledged frames/s, values/s, ack latency, peak RSS, raw insert rate",
		benchCmd("ingest", "[flags]  (2051 frames back to back for --duration, then checks every acknowledged upload is stored once)",
			func(ctx context.Context, c bench.IngestConfig, _ io.Reader, stdout, stderr io.Writer) error {
				return bench.Ingest(ctx, c, stdout, stderr)
			})},
	"store": {"only the raw insert rate of a fresh store (uploads/s via CommitBatch)", benchCmd("store", "[flags]",
		func(ctx context.Context, c bench.StoreConfig, _ io.Reader, stdout, _ io.Writer) error {
			return bench.Store(ctx, c, stdout)
		})},
	"conns": {"N concurrent idle device connections to an in-process gateway: RSS and KiB per connection",
		benchCmd("conns", "[flags]  (listeners on 127.0.0.x; clients in child processes, so the RSS is the gateway's alone)",
			func(ctx context.Context, c bench.ConnsConfig, _ io.Reader, stdout, stderr io.Writer) error {
				return bench.Conns(ctx, c, stdout, stderr)
			})},
	// internal: the client side of bench conns
	"conns-client": {"", benchCmd("conns-client", "(internal: started by bench conns)",
		func(ctx context.Context, c bench.ConnsClientConfig, stdin io.Reader, stdout, _ io.Writer) error {
			return bench.ConnsClient(ctx, c, stdin, stdout)
		})},
	// internal: the devices of bench ingest --sim-process
	"ingest-client": {"", benchCmd("ingest-client", "(internal: started by bench ingest --sim-process)",
		func(ctx context.Context, c bench.IngestClientConfig, stdin io.Reader, stdout, _ io.Writer) error {
			return bench.IngestClient(ctx, c, stdin, stdout)
		})},
	"storage": {"bytes per minute frame in rows and in compacted blocks; reads of a device-day from each",
		benchCmd("storage", "[flags]  (closed days of 2051 minute frames into a fresh store, compacted; bytes per frame and device-day reads before and after)",
			func(ctx context.Context, c bench.StorageConfig, _ io.Reader, stdout, _ io.Writer) error {
				return bench.Storage(ctx, c, stdout)
			})},
	"decode": {"HJ 212 decode rate of a typical 2051 frame with 8 factors", benchCmd("decode", "[flags]",
		func(_ context.Context, c bench.DecodeConfig, _ io.Reader, stdout, _ io.Writer) error {
			return bench.Decode(c, stdout)
		})},
	"bus": {"scaled out: devices → gateway(s) → NATS JetStream → writer(s) → PostgreSQL",
		benchCmd("bus", "[flags]  (embedded NATS or --nats, a fresh PostgreSQL database; drains and checks every acknowledged upload is stored)",
			func(ctx context.Context, c bench.BusConfig, _ io.Reader, stdout, stderr io.Writer) error {
				return bench.Bus(ctx, c, stdout, stderr)
			})},
})

// benchCmd is a benchmark's command: its configuration's flags (which
// the configuration registers), then the run.
func benchCmd[C any, P interface {
	*C
	Register(*flag.FlagSet)
}](sub, synopsis string, run func(context.Context, C, io.Reader, io.Writer, io.Writer) error) runFunc {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
		var cfg C
		fs := newFlagSet("bench "+sub, "bench "+sub+" "+synopsis, stderr)
		P(&cfg).Register(fs)
		if err := parseNone(fs, args); err != nil {
			return err
		}
		return run(ctx, cfg, stdin, stdout, stderr)
	}
}
