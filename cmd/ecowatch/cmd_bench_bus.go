package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
)

// bench bus (issue 9, part 5): frames per second end to end through the
// scaled-out path — simulated devices → gateway role(s) → NATS JetStream →
// writer role(s) → PostgreSQL — in one process, on this machine.

// busBenchReport is the result of bench bus.
type busBenchReport struct {
	NATS       string  `json:"nats"` // "embedded" or the URL
	Replicas   int     `json:"replicas"`
	Partitions int     `json:"partitions"`
	Gateways   int     `json:"gateways"`
	Writers    int     `json:"writers"`
	Devices    int     `json:"devices"`
	Duration   float64 `json:"duration_s"` // measured window

	FramesOffered   uint64  `json:"frames_offered"` // sent in the window, retransmissions included
	OfferedPerSec   float64 `json:"offered_per_s"`
	FramesAcked     uint64  `json:"frames_acked"`
	AckedPerSec     float64 `json:"acked_per_s"`
	Committed       int64   `json:"committed"` // uploads that appeared in PostgreSQL in the window
	CommittedPerSec float64 `json:"committed_per_s"`
	LatencyP50Ms    float64 `json:"ack_latency_p50_ms"`
	LatencyP99Ms    float64 `json:"ack_latency_p99_ms"`
	LatencyMaxMs    float64 `json:"ack_latency_max_ms"`
	BacklogEnd      int64   `json:"backlog_end"` // frames in the stream at the end of the window
	DrainSeconds    float64 `json:"drain_s"`     // until the stream was empty
	SustainedPerSec float64 `json:"sustained_committed_per_s"`
	PeakRSSMiB      float64 `json:"peak_rss_mib"`

	// With --backlog: the stream filled with no writer running (gateway
	// and JetStream alone), then emptied by the writers (writers and
	// PostgreSQL alone; the time includes their start and lease taking).
	Backlog             int64   `json:"backlog,omitempty"` // messages in the stream (uploads, and contacts the gateway publishes)
	BacklogUploads      uint64  `json:"backlog_uploads,omitempty"`
	FillSeconds         float64 `json:"fill_s,omitempty"`
	FillPerSec          float64 `json:"fill_acked_per_s,omitempty"`
	BacklogDrainSeconds float64 `json:"backlog_drain_s,omitempty"`
	BacklogDrainPerSec  float64 `json:"backlog_drain_per_s,omitempty"`
	WriterRedelivery    uint64  `json:"writer_redeliveries"`

	Sent          uint64 `json:"sent"`
	Acked         uint64 `json:"acked"`
	Retransmitted uint64 `json:"retransmitted"`
	Failed        uint64 `json:"failed"`

	// PostgreSQL space per stored upload (the uploads partitions with
	// their indexes) and per archived raw frame, for sizing.
	UploadBytes float64 `json:"pg_bytes_per_upload"`
	RawBytes    float64 `json:"pg_bytes_per_raw_frame"`

	benchVerifyResult

	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	GoVersion  string `json:"go_version"`
}

func benchBus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench bus", "bench bus [flags]\n\nRuns the scaled-out ingest path in one process: an embedded NATS JetStream server\n(or --nats), a fresh PostgreSQL database (dropped afterwards), gateway role(s)\npublishing to the stream and writer role(s) committing it, with N simulated devices\nsending 2051 minute frames (8 factors, Flag=5) back to back. Reports frames offered,\nacknowledged and committed per second, ack latency and the backlog, then lets the\nwriters drain the stream and checks that every acknowledged upload is stored.\n\nFlags:", stderr)
	natsURL := fs.String("nats", "embedded", "NATS URL(s), or embedded: a JetStream server in this process on a temporary directory")
	db := fs.String("db", os.Getenv("ECOWATCH_TEST_PG"), "PostgreSQL DSN of a server to create the benchmark's database on (default $ECOWATCH_TEST_PG)")
	writers := fs.Int("writers", 1, "writer roles")
	gateways := fs.Int("gateways", 1, "gateway roles (devices are spread over them)")
	devices := fs.Int("devices", 2000, "simulated devices")
	duration := fs.Duration("duration", 30*time.Second, "measured duration (after all devices are connected and a warm-up)")
	warmup := fs.Duration("warmup", 3*time.Second, "warm-up before measuring")
	partitions := fs.Int("partitions", bus.DefaultPartitions, "stream partitions")
	replicas := fs.Int("replicas", 1, "stream replicas (a cluster with --nats)")
	batch := fs.Int("writer-batch", 1000, "writer: frames per commit")
	backlog := fs.Int("backlog", 0, "first fill the stream with this many frames with no writer running, then start the writers and time how fast they empty it (the writers' and PostgreSQL's rate alone)")
	rollup := fs.Duration("rollup-every", app.RollupEvery, "writer: roll-up interval, as in production (negative: off)")
	rate := fs.Float64("rate", 0, "frames per second per device (0: each as soon as the previous one is acknowledged)")
	overTime := fs.Duration("overtime", 10*time.Second, "device OverTime before retransmitting")
	seed := fs.Int64("seed", 1, "data seed")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log the roles' warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *devices <= 0 || *duration <= 0 || *writers <= 0 || *gateways <= 0 {
		return usageError{errors.New("--devices, --duration, --writers and --gateways must be positive")}
	}
	if *db == "" {
		return usageError{errors.New("--db (or $ECOWATCH_TEST_PG) is required: a PostgreSQL server to create the benchmark's database on")}
	}
	if !strings.HasPrefix(*db, "postgres://") && !strings.HasPrefix(*db, "postgresql://") {
		return usageError{fmt.Errorf("--db %q: want a postgres:// DSN (the writers need PostgreSQL)", *db)}
	}
	need := uint64(2**devices + 512)
	if lim, err := benchRaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here, and %d devices need %d descriptors (both ends of each connection are in this process): use --devices %d or less", lim, *devices, need, (lim-512)/2)
	}
	say := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(stdout, format, a...)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	rep := busBenchReport{NATS: *natsURL, Replicas: *replicas, Partitions: *partitions, Gateways: *gateways, Writers: *writers,
		Devices: *devices, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}

	// 1. The bus: an embedded server, or a stream of the benchmark's own
	// on the given one (deleted afterwards).
	bc := bus.Config{URL: *natsURL, Partitions: *partitions, Replicas: *replicas, Log: logger}
	if *natsURL == "embedded" {
		dir, err := os.MkdirTemp("", "ecowatch-bench-nats-")
		if err != nil {
			return fmt.Errorf("temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
		srv, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir})
		if err != nil {
			return err
		}
		defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
		bc.URL = srv.ClientURL()
	} else {
		bc.Stream = fmt.Sprintf("ECOWATCH_BENCH_%d", os.Getpid())
		bc.Subject = fmt.Sprintf("ecowatch.bench%d", os.Getpid())
		defer benchDeleteStream(bc.URL, bc.Stream)
	}

	// 2. A fresh database with the devices registered.
	dsn, drop, err := benchFreshPG(ctx, *db)
	if err != nil {
		return err
	}
	defer drop()
	devs := simulator.Generate(*devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir, Password: "123456"})
	reg := &model.Registry{}
	for _, d := range devs {
		reg.Devices = append(reg.Devices, d.Device)
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.ImportRegistry(ctx, reg); err != nil {
		return err
	}
	pg, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to the benchmark database: %w", err)
	}
	defer pg.Close(context.Background())

	// 3. Gateways (the first creates the stream), then writers.
	var gws []*app.GatewayRole
	gwDown := false
	shutdownGateways := func() error {
		if gwDown {
			return nil
		}
		gwDown = true
		var errs []error
		for _, g := range gws {
			c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			errs = append(errs, g.Shutdown(c))
			cancel()
		}
		return errors.Join(errs...)
	}
	defer shutdownGateways()
	var addrs []string
	for i := range *gateways {
		gc := gateway.DefaultConfig()
		gc.Addr = "127.0.0.1:0"
		gc.MaxConns = *devices + 1024
		gc.MaxConnsPerIP = *devices + 1024
		gc.BackfillWindow = -1 // flat-out devices have no history to fill in
		cfg := bc
		cfg.Name = fmt.Sprintf("bench-gateway-%d", i+1)
		g, err := app.StartGatewayRole(ctx, app.GatewayRoleConfig{DSN: dsn, Bus: cfg, Gateway: gc, Logger: logger})
		if err != nil {
			return fmt.Errorf("gateway %d: %w", i+1, err)
		}
		gws = append(gws, g)
		addrs = append(addrs, g.Addr())
	}
	lag := func() int64 {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		n, err := gws[0].Bus.Lag(c)
		if err != nil {
			return -1
		}
		return n
	}
	stored := func() (int64, error) {
		var n int64
		err := pg.QueryRow(ctx, "SELECT count(*) FROM uploads").Scan(&n)
		return n, err
	}

	var wrs []*app.WriterRole
	defer func() {
		for _, w := range wrs {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			w.Shutdown(c)
			cancel()
		}
	}()
	startWriters := func() error {
		for i := range *writers {
			cfg := bc
			cfg.Name = fmt.Sprintf("bench-writer-%d", i+1)
			w, err := app.StartWriterRole(ctx, app.WriterRoleConfig{DSN: dsn, Bus: cfg, Logger: logger, RollupEvery: *rollup,
				Writer: bus.WriterConfig{ID: fmt.Sprintf("bench-%d-w%d", os.Getpid(), i+1), Batch: *batch}})
			if err != nil {
				return fmt.Errorf("writer %d: %w", i+1, err)
			}
			wrs = append(wrs, w)
		}
		return nil
	}

	// 3b. With --backlog: the writers' rate alone. The devices fill the
	// stream with no writer running (DataTimes two months before the
	// main run's), then the writers start and empty it.
	from := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	verifyFrom := from
	prefillAcked := make([]int, len(devs))
	if *backlog > 0 {
		per := (*backlog + *devices - 1) / *devices
		verifyFrom = from.Add(-60 * 24 * time.Hour)
		say("filling the stream with %d frames (%d per device), no writer running...\n", per**devices, per)
		fill, err := simulator.New(simulator.Config{
			Addrs: addrs, Devices: devs, Seed: *seed, FlatOut: true, FlatOutFrames: per, FlatOutStart: verifyFrom,
			MinInterval: time.Minute, OverTime: *overTime, ReCount: 3, ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
			OnAck: func(e simulator.AckEvent) {
				if e.CN == "2051" {
					prefillAcked[e.Device]++ // each index written by its device's goroutine only
				}
			},
		})
		if err != nil {
			return err
		}
		t0 := time.Now()
		fill.Start(ctx)
		fill.Wait()
		fs := fill.Stats()
		rep.FillSeconds = time.Since(t0).Seconds()
		rep.FillPerSec = float64(fs.Acked) / rep.FillSeconds
		if fs.Failed > 0 {
			return fmt.Errorf("filling the stream: %d frames not acknowledged", fs.Failed)
		}
		rep.Backlog, rep.BacklogUploads = lag(), fs.Acked
		c0, err := stored()
		if err != nil {
			return fmt.Errorf("count uploads: %w", err)
		}
		say("%d frames in the stream; starting %d writer(s) and timing the drain...\n", rep.Backlog, *writers)
		t1 := time.Now()
		if err := startWriters(); err != nil {
			return err
		}
		total, err := benchWaitDrained(ctx, bc, stored, 30*time.Minute)
		if err != nil {
			return err
		}
		rep.BacklogDrainSeconds = time.Since(t1).Seconds()
		rep.BacklogDrainPerSec = float64(total-c0) / rep.BacklogDrainSeconds
	} else if err := startWriters(); err != nil {
		return err
	}
	// Writers share the partitions by leases: measure once each holds
	// its fair share.
	say("waiting for %d writer(s) to share %d partitions...\n", *writers, *partitions)
	if err := benchWaitPartitions(ctx, wrs, *partitions, 60*time.Second); err != nil {
		return err
	}

	// 4. Load, with the same simulated devices as bench ingest.
	var c0, c1 int64
	var lagEnd int64
	say("connecting %d devices to %d gateway(s) (%s)...\n", *devices, *gateways, strings.Join(addrs, ", "))
	res, err := runBenchLoad(ctx, benchLoadConfig{
		Addrs: addrs, Devices: devs, Seed: *seed, Rate: *rate, Start: from, OverTime: *overTime,
		Warmup: *warmup, Duration: *duration,
		Progress: func(s string) { say("%s\n", s) },
		AtStart: func() {
			var serr error
			if c0, serr = stored(); serr != nil {
				c0 = -1
			}
		},
		AtEnd: func() {
			lagEnd = lag()
			var serr error
			if c1, serr = stored(); serr != nil {
				c1 = -1
			}
		},
	})
	if err != nil {
		return err
	}
	if c0 < 0 || c1 < 0 {
		return fmt.Errorf("counting the stored uploads failed")
	}
	// 5. The gateways drain (what they published is acknowledged), then
	// the writers finish the backlog.
	if err := shutdownGateways(); err != nil {
		return fmt.Errorf("gateway shutdown: %w", err)
	}
	say("window over (backlog %d frames); waiting for the writers to empty the stream...\n", lagEnd)
	drainStart := time.Now()
	total, err := benchWaitDrained(ctx, bc, stored, 10*time.Minute)
	if err != nil {
		return err
	}
	rep.DrainSeconds = time.Since(drainStart).Seconds()

	el := res.Elapsed.Seconds()
	rep.Duration = el
	rep.FramesOffered = (res.After.Sent + res.After.Retransmitted) - (res.Before.Sent + res.Before.Retransmitted)
	rep.OfferedPerSec = float64(rep.FramesOffered) / el
	rep.FramesAcked = res.After.Acked - res.Before.Acked
	rep.AckedPerSec = float64(rep.FramesAcked) / el
	rep.Committed = c1 - c0
	rep.CommittedPerSec = float64(rep.Committed) / el
	rep.LatencyP50Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = simMS(res.After.LatencyP50), simMS(res.After.LatencyP99), simMS(res.After.LatencyMax)
	rep.BacklogEnd = lagEnd
	// Everything acknowledged in the window was committed by the end of
	// the drain: the rate the writers sustained over window + drain.
	rep.SustainedPerSec = float64(total-c0) / time.Since(res.WindowStart).Seconds()
	rep.PeakRSSMiB = benchMiB(benchProcStatus("VmHWM"))
	rep.Sent, rep.Acked, rep.Retransmitted, rep.Failed = res.Final.Sent, res.Final.Acked, res.Final.Retransmitted, res.Final.Failed
	for _, w := range wrs {
		rep.WriterRedelivery += benchMetric(w.Writer.WriteMetrics, "ecowatch_writer_redeliveries_total")
	}

	var upBytes, rawBytes, rawN int64
	if err := pg.QueryRow(ctx, `SELECT
			(SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'uploads'::regclass)::bigint,
			pg_total_relation_size('raw_frames'), (SELECT count(*) FROM raw_frames)`).Scan(&upBytes, &rawBytes, &rawN); err != nil {
		return fmt.Errorf("table sizes: %w", err)
	}
	if total > 0 {
		rep.UploadBytes = float64(upBytes) / float64(total)
	}
	if rawN > 0 {
		rep.RawBytes = float64(rawBytes) / float64(rawN)
	}

	// 6. Nothing acknowledged was lost.
	for i := range res.Acked {
		res.Acked[i] += prefillAcked[i]
	}
	if rep.benchVerifyResult, err = benchVerifyAcked(ctx, st, devs, res.Acked, res.Failed, verifyFrom); err != nil {
		return err
	}
	return writeBenchReport(stdout, *asJSON, &rep, func() { printBusBenchReport(stdout, &rep) }, rep.benchVerifyResult)
}

func printBusBenchReport(w io.Writer, r *busBenchReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "bus\tNATS %s, %d partitions, %d replica(s)\n", r.NATS, r.Partitions, r.Replicas)
	fmt.Fprintf(tw, "roles\t%d gateway(s), %d writer(s), PostgreSQL\n", r.Gateways, r.Writers)
	fmt.Fprintf(tw, "devices\t%d\n", r.Devices)
	fmt.Fprintf(tw, "measured\t%.1f s\n", r.Duration)
	fmt.Fprintf(tw, "frames offered\t%d\t(%.0f/s, retransmissions included)\n", r.FramesOffered, r.OfferedPerSec)
	fmt.Fprintf(tw, "acknowledged (in JetStream)\t%.0f frames/s\t(%d frames)\n", r.AckedPerSec, r.FramesAcked)
	fmt.Fprintf(tw, "committed in PostgreSQL\t%.0f uploads/s\t(%d uploads)\n", r.CommittedPerSec, r.Committed)
	fmt.Fprintf(tw, "ack latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	fmt.Fprintf(tw, "backlog at the end\t%d frames\t(written in %.1f s; %.0f uploads/s sustained over window and drain)\n", r.BacklogEnd, r.DrainSeconds, r.SustainedPerSec)
	if r.Backlog > 0 {
		fmt.Fprintf(tw, "no writer: gateway → JetStream\t%.0f frames/s acknowledged\t(%d uploads, %d messages queued in %.1f s)\n", r.FillPerSec, r.BacklogUploads, r.Backlog, r.FillSeconds)
		fmt.Fprintf(tw, "writers alone: JetStream → PostgreSQL\t%.0f uploads/s\t(backlog written in %.1f s)\n", r.BacklogDrainPerSec, r.BacklogDrainSeconds)
	}
	fmt.Fprintf(tw, "writer redeliveries\t%d\n", r.WriterRedelivery)
	fmt.Fprintf(tw, "PostgreSQL space\t%.0f B per upload, %.0f B per raw frame\t(tables with indexes)\n", r.UploadBytes, r.RawBytes)
	fmt.Fprintf(tw, "peak RSS (VmHWM)\t%.0f MiB\t(devices, gateways, writers and NATS together)\n", r.PeakRSSMiB)
	fmt.Fprintf(tw, "sent / acked / retransmitted / failed\t%d / %d / %d / %d\t(main run)\n", r.Sent, r.Acked, r.Retransmitted, r.Failed)
	check := "PASS"
	if !r.NoLoss {
		check = "FAIL"
	}
	fmt.Fprintf(tw, "no-loss check\t%s\t(stored %d, acknowledged %d, lost %d, stored unacknowledged %d)\n", check, r.StoredUploads, r.AckedDistinct, r.LostAcked, r.StoredUnacked)
	fmt.Fprintf(tw, "machine\t%d CPUs, GOMAXPROCS %d, %s\n", r.NumCPU, r.GOMAXPROCS, r.GoVersion)
	tw.Flush()
}

// benchFreshPG creates a database of the benchmark's own on the server of
// admin and returns its DSN and a function dropping it.
func benchFreshPG(ctx context.Context, admin string) (string, func(), error) {
	if !strings.HasPrefix(admin, "postgres://") && !strings.HasPrefix(admin, "postgresql://") {
		return "", nil, usageError{fmt.Errorf("--db %q: want a postgres:// DSN", admin)}
	}
	dsn, drop, err := pgtest.Create(ctx, admin, "ecowatch_benchbus")
	if err != nil {
		return "", nil, err
	}
	return dsn, func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drop(c)
	}, nil
}

// benchDeleteStream removes the benchmark's stream from a shared server.
func benchDeleteStream(urls, stream string) {
	nc, err := nats.Connect(urls, nats.Timeout(5*time.Second))
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js.DeleteStream(ctx, stream)
}

// benchWaitPartitions waits until the writers hold all partitions, each
// at least its fair share less one.
func benchWaitPartitions(ctx context.Context, wrs []*app.WriterRole, partitions int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		total, low := 0, partitions
		for _, w := range wrs {
			n := len(w.Writer.Owned())
			total += n
			low = min(low, n)
		}
		if total == partitions && low >= partitions/len(wrs)-1 && low > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("writers hold %d of %d partitions (fewest %d) after %s", total, partitions, low, within)
		}
		if !benchSleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// benchWaitDrained waits until the stream is empty and the stored count
// is stable, and returns the count.
func benchWaitDrained(ctx context.Context, bc bus.Config, stored func() (int64, error), within time.Duration) (int64, error) {
	cfg := bc
	cfg.Name = "bench-status"
	b, err := bus.Connect(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("bus: %w", err)
	}
	defer b.Close()
	deadline := time.Now().Add(within)
	last := int64(-1)
	for {
		lag, lerr := b.Lag(ctx)
		n, err := stored()
		if err != nil {
			return 0, fmt.Errorf("count uploads: %w", err)
		}
		if lerr == nil && lag == 0 && n == last {
			return n, nil
		}
		last = n
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("stream not drained after %s: %d frames left (%v)", within, lag, lerr)
		}
		if !benchSleep(ctx, 200*time.Millisecond) {
			return 0, ctx.Err()
		}
	}
}

// benchMetric reads one counter from a role's Prometheus text.
func benchMetric(write func(io.Writer), name string) uint64 {
	var sb strings.Builder
	write(&sb)
	for _, line := range strings.Split(sb.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			var v uint64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

// --- the load generator, shared by the end-to-end benchmarks ---

// benchLoadConfig configures runBenchLoad: simulated devices in flat-out
// mode (2051 minute frames back to back, or at Rate per device) against
// one or more gateways.
type benchLoadConfig struct {
	Addrs    []string // devices are spread over them (device i → Addrs[i%len])
	Devices  []simulator.Device
	Seed     int64
	Rate     float64
	Start    time.Time // first DataTime
	OverTime time.Duration
	Warmup   time.Duration
	Duration time.Duration
	Progress func(string)
	// AtStart and AtEnd run at the start and end of the measured window
	// (e.g. to read the store's count).
	AtStart, AtEnd func()
}

// benchLoadResult is what the devices saw.
type benchLoadResult struct {
	Before, After, Final simulator.Stats // window start, window end, after the drain
	WindowStart          time.Time
	Elapsed              time.Duration       // window
	Acked                []int               // acknowledged 2051 uploads per device
	Failed               map[int][]time.Time // DataTimes given up on, per device
}

// runBenchLoad connects the devices, warms up, measures for Duration
// (the latency histogram covers the window), then lets every device
// finish its pending frame and stops them.
func runBenchLoad(ctx context.Context, cfg benchLoadConfig) (*benchLoadResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	res := &benchLoadResult{Acked: make([]int, len(cfg.Devices)), Failed: map[int][]time.Time{}}
	var fmu sync.Mutex
	sim, err := simulator.New(simulator.Config{
		Addrs: cfg.Addrs, Devices: cfg.Devices, Seed: cfg.Seed, FlatOut: true, Rate: cfg.Rate,
		MinInterval: time.Minute, FlatOutStart: cfg.Start, OverTime: cfg.OverTime, ReCount: 3,
		ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
		OnAck: func(e simulator.AckEvent) {
			if e.CN == "2051" {
				res.Acked[e.Device]++ // each index written by its device's goroutine only
			}
		},
		OnFail: func(e simulator.AckEvent) {
			fmu.Lock()
			res.Failed[e.Device] = append(res.Failed[e.Device], e.DataTime)
			fmu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	sim.Start(ctx)
	n := len(cfg.Devices)
	connectBy := time.Now().Add(60*time.Second + time.Duration(n)*time.Millisecond)
	for sim.Stats().Connected < n {
		if time.Now().After(connectBy) {
			sim.Stop()
			return nil, fmt.Errorf("only %d of %d devices connected", sim.Stats().Connected, n)
		}
		if !benchSleep(ctx, 50*time.Millisecond) {
			sim.Stop()
			return nil, ctx.Err()
		}
	}
	progress(fmt.Sprintf("all connected; warming up for %v, then measuring for %v...", cfg.Warmup, cfg.Duration))
	benchSleep(ctx, cfg.Warmup)
	sim.ResetLatency()
	if cfg.AtStart != nil {
		cfg.AtStart()
	}
	res.Before = sim.Stats()
	res.WindowStart = time.Now()
	benchSleep(ctx, cfg.Duration)
	res.After = sim.Stats()
	res.Elapsed = time.Since(res.WindowStart)
	if cfg.AtEnd != nil {
		cfg.AtEnd()
	}
	if err := ctx.Err(); err != nil {
		sim.Stop()
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.OverTime*5+30*time.Second)
	defer cancel()
	if err := sim.Drain(dctx); err != nil {
		return nil, fmt.Errorf("draining the devices: %w", err)
	}
	res.Final = sim.Stats()
	return res, nil
}

// benchVerifyResult is the no-loss check of an end-to-end benchmark.
type benchVerifyResult struct {
	StoredUploads int  `json:"stored_uploads"`
	AckedDistinct int  `json:"acked_distinct"`
	LostAcked     int  `json:"lost_acked"`     // acknowledged but not in the store: must be 0
	StoredUnacked int  `json:"stored_unacked"` // in the store, never acknowledged (given up after they were stored)
	NoLoss        bool `json:"no_loss"`
}

// writeBenchReport prints a bench report as JSON or as a table, then fails
// if the loss check did.
func writeBenchReport(stdout io.Writer, asJSON bool, rep any, table func(), v benchVerifyResult) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		table()
	}
	if !v.NoLoss {
		return fmt.Errorf("loss check failed: %d acknowledged uploads missing, %d stored, %d acknowledged", v.LostAcked, v.StoredUploads, v.AckedDistinct)
	}
	return nil
}

// benchVerifyAcked checks per device that the stored minute uploads from
// `from` on are the acknowledged ones, plus possibly some given up on
// after they were stored.
func benchVerifyAcked(ctx context.Context, st store.Store, devs []simulator.Device, acked []int, failed map[int][]time.Time, from time.Time) (benchVerifyResult, error) {
	var r benchVerifyResult
	for i, d := range devs {
		times, err := st.UploadTimes(ctx, d.MN, "2051", from, from.Add(365*24*time.Hour))
		if err != nil {
			return r, fmt.Errorf("verify: %w", err)
		}
		f := map[int64]bool{}
		for _, t := range failed[i] {
			f[t.Unix()] = true
		}
		storedFailed := 0
		for _, t := range times {
			if f[t.Unix()] {
				storedFailed++
			}
		}
		r.StoredUploads += len(times)
		r.AckedDistinct += acked[i]
		r.StoredUnacked += storedFailed
		if lost := acked[i] - (len(times) - storedFailed); lost > 0 {
			r.LostAcked += lost
		} else if lost < 0 {
			r.StoredUnacked += -lost // stored, never acknowledged as far as we know
		}
	}
	r.NoLoss = r.LostAcked == 0 && r.StoredUploads == r.AckedDistinct+r.StoredUnacked
	return r, nil
}
