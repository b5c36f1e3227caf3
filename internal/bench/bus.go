package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// BusConfig configures Bus (`ecowatch bench bus`).
type BusConfig struct {
	NATS        string // URL(s), or "embedded": a JetStream server in this process
	DB          string // PostgreSQL server to create the benchmark's database on
	Writers     int
	Gateways    int
	Devices     int
	Duration    time.Duration
	Warmup      time.Duration
	Partitions  int
	Replicas    int
	WriterBatch int // writer: frames per commit
	Backlog     int // first fill the stream with this many frames with no writer running
	// WritersAfter keeps the writers stopped through the measured window
	// (gateway and stream alone, nothing acknowledged out of the stream);
	// they start after it and empty the stream before the no-loss check.
	WritersAfter bool
	// SimProcess runs the simulated devices in a child process, so that
	// this process holds only the gateway, NATS and the writer.
	SimProcess  bool
	RollupEvery time.Duration // writer's roll-up interval (negative: off)
	Rate        float64
	OverTime    time.Duration
	Seed        int64
	JSON        bool
	Verbose     bool
	// Gateway group commit (0: the gateway's defaults).
	Batch         int
	BatchInterval time.Duration
	Pipeline      int    // batches in flight (0: the gateway's default)
	CPUProfile    string // CPU profile of the measured window written here
	// MutexProfile: the lock contention of the measured window (every
	// contended unlock sampled), written here; it names the holder whose
	// lock others waited for, which a CPU profile cannot show.
	MutexProfile string
	// AllocProfile: the allocations (go tool pprof -sample_index
	// alloc_space) up to the end of the window, written here.
	AllocProfile string
	// Trace: an execution trace of the window (go tool trace; -pprof=sync
	// and -pprof=sched tell a goroutine's time blocked on locks from its
	// time waiting for a CPU).
	Trace string
}

// bench bus: frames per second end to end through the
// scaled-out path — simulated devices → gateway role(s) → NATS JetStream →
// writer role(s) → PostgreSQL — in one process, on this machine.

// BusReport is the result of bench bus.
type BusReport struct {
	NATS       string `json:"nats"` // "embedded" or the URL
	Replicas   int    `json:"replicas"`
	Partitions int    `json:"partitions"`
	Gateways   int    `json:"gateways"`
	Writers    int    `json:"writers"`
	Devices    int    `json:"devices"`
	SimProcess bool   `json:"sim_process"` // the devices ran in a child process
	// WritersAfter: no writer ran in the window (the stream only grew).
	WritersAfter bool    `json:"writers_after,omitempty"`
	Duration     float64 `json:"duration_s"` // measured window

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

	// Where an ack's time goes, from the gateways' own histograms over
	// the window: the commit (publish and PubAck wait) against the
	// whole time from a frame's arrival to its ack.
	GatewayCommits       uint64  `json:"gateway_commits"`
	GatewayFramesPerBat  float64 `json:"gateway_frames_per_commit"`
	GatewayCommitMeanMs  float64 `json:"gateway_commit_mean_ms"`
	GatewayCommitP50Ms   float64 `json:"gateway_commit_p50_ms"`
	GatewayCommitP99Ms   float64 `json:"gateway_commit_p99_ms"`
	GatewayAckMeanMs     float64 `json:"gateway_ack_mean_ms"`
	GatewayAckP50Ms      float64 `json:"gateway_ack_p50_ms"`
	GatewayAckP99Ms      float64 `json:"gateway_ack_p99_ms"`
	GatewayQueueFullWait uint64  `json:"gateway_queue_full_waits"`

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

	VerifyResult

	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	GoVersion  string `json:"go_version"`
}

// Bus runs the scaled-out ingest path in one process (embedded or given
// NATS, a fresh PostgreSQL database, gateway and writer roles) under
// simulated devices, reports offered, acknowledged and committed rates
// and checks that every acknowledged upload is stored.
func Bus(ctx context.Context, cfg BusConfig, stdout, stderr io.Writer) error {
	if cfg.Devices <= 0 || cfg.Duration <= 0 || cfg.Writers <= 0 || cfg.Gateways <= 0 {
		return usage.Error{Err: errors.New("--devices, --duration, --writers and --gateways must be positive")}
	}
	if cfg.DB == "" {
		return usage.Error{Err: errors.New("--db (or $ECOWATCH_TEST_PG) is required: a PostgreSQL server to create the benchmark's database on")}
	}
	if !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
		return usage.Error{Err: fmt.Errorf("--db %q: want a postgres:// DSN (the writers need PostgreSQL)", cfg.DB)}
	}
	// Both ends of every device connection live in this process, unless
	// the devices run in a child.
	ends := uint64(2)
	if cfg.SimProcess {
		ends = 1
	}
	need := ends*uint64(cfg.Devices) + 512
	if lim, err := RaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here, and %d devices need %d descriptors: use --devices %d or less", lim, cfg.Devices, need, (lim-512)/ends)
	}
	say := func(format string, a ...any) {
		if !cfg.JSON {
			fmt.Fprintf(stdout, format, a...)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if cfg.Verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	rep := BusReport{NATS: cfg.NATS, Replicas: cfg.Replicas, Partitions: cfg.Partitions, Gateways: cfg.Gateways, Writers: cfg.Writers,
		Devices: cfg.Devices, SimProcess: cfg.SimProcess, WritersAfter: cfg.WritersAfter, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}

	// 1. The bus: an embedded server, or a stream of the benchmark's own
	// on the given one (deleted afterwards).
	bc := bus.Config{URL: cfg.NATS, Partitions: cfg.Partitions, Replicas: cfg.Replicas, Log: logger}
	if cfg.NATS == "embedded" {
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
		defer deleteStream(bc.URL, bc.Stream)
	}

	// 2. A fresh database with the devices registered.
	dsn, drop, err := freshPG(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer drop()
	devs := simulator.Generate(cfg.Devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir, Password: "123456"})
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
	for i := range cfg.Gateways {
		gc := gateway.DefaultConfig()
		gc.Addr = "127.0.0.1:0"
		gc.MaxConns = cfg.Devices + 1024
		gc.MaxConnsPerIP = cfg.Devices + 1024
		gc.BackfillWindow = -1 // flat-out devices have no history to fill in
		if cfg.Batch > 0 {
			gc.BatchFrames = cfg.Batch
		}
		if cfg.BatchInterval > 0 {
			gc.BatchInterval = cfg.BatchInterval
		}
		if cfg.Pipeline > 0 {
			gc.CommitPipeline = cfg.Pipeline
		}
		rc := bc
		rc.Name = fmt.Sprintf("bench-gateway-%d", i+1)
		g, err := app.StartGatewayRole(ctx, app.GatewayRoleConfig{DSN: dsn, Bus: rc, Gateway: gc, Logger: logger})
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
		for i := range cfg.Writers {
			rc := bc
			rc.Name = fmt.Sprintf("bench-writer-%d", i+1)
			w, err := app.StartWriterRole(ctx, app.WriterRoleConfig{DSN: dsn, Bus: rc, Logger: logger, RollupEvery: cfg.RollupEvery,
				Writer: bus.WriterConfig{ID: fmt.Sprintf("bench-%d-w%d", os.Getpid(), i+1), Batch: cfg.WriterBatch}})
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
	if cfg.Backlog > 0 {
		per := (cfg.Backlog + cfg.Devices - 1) / cfg.Devices
		verifyFrom = from.Add(-60 * 24 * time.Hour)
		say("filling the stream with %d frames (%d per device), no writer running...\n", per*cfg.Devices, per)
		fill, err := simulator.New(simulator.Config{
			Addrs: addrs, Devices: devs, Seed: cfg.Seed, FlatOut: true, FlatOutFrames: per, FlatOutStart: verifyFrom,
			MinInterval: time.Minute, OverTime: cfg.OverTime, ReCount: 3, ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
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
		say("%d frames in the stream; starting %d writer(s) and timing the drain...\n", rep.Backlog, cfg.Writers)
		t1 := time.Now()
		if err := startWriters(); err != nil {
			return err
		}
		total, err := waitDrained(ctx, bc, stored, 30*time.Minute)
		if err != nil {
			return err
		}
		rep.BacklogDrainSeconds = time.Since(t1).Seconds()
		rep.BacklogDrainPerSec = float64(total-c0) / rep.BacklogDrainSeconds
	} else if !cfg.WritersAfter {
		if err := startWriters(); err != nil {
			return err
		}
	}
	if !cfg.WritersAfter {
		// Writers share the partitions by leases: measure once each
		// holds its fair share.
		say("waiting for %d writer(s) to share %d partitions...\n", cfg.Writers, cfg.Partitions)
		if err := waitPartitions(ctx, wrs, cfg.Partitions, 60*time.Second); err != nil {
			return err
		}
	}

	// 4. Load, with the same simulated devices as bench ingest.
	var c0, c1 int64
	var lagEnd int64
	var gw0, gw1 gateway.Stats
	stopProfile := func() {}
	defer func() { stopProfile() }() // a run that fails before its window ends
	say("connecting %d devices to %d gateway(s) (%s)...\n", cfg.Devices, cfg.Gateways, strings.Join(addrs, ", "))
	res, err := runLoad(ctx, loadConfig{
		Addrs: addrs, Devices: devs, Seed: cfg.Seed, Rate: cfg.Rate, Start: from, OverTime: cfg.OverTime,
		Warmup: cfg.Warmup, Duration: cfg.Duration, SimProcess: cfg.SimProcess,
		Progress: func(s string) { say("%s\n", s) },
		AtStart: func() {
			gw0 = gatewayStats(gws)
			var stops []func()
			if cfg.CPUProfile != "" {
				stops = append(stops, startCPUProfile(cfg.CPUProfile, stderr))
			}
			if cfg.MutexProfile != "" {
				stops = append(stops, startMutexProfile(cfg.MutexProfile, stderr))
			}
			if cfg.Trace != "" {
				stops = append(stops, startTrace(cfg.Trace, stderr))
			}
			if cfg.AllocProfile != "" {
				stops = append(stops, func() { writeProfile("allocs", cfg.AllocProfile, stderr) })
			}
			stopProfile = func() {
				for _, s := range stops {
					s()
				}
				stops = nil
			}
			var serr error
			if c0, serr = stored(); serr != nil {
				c0 = -1
			}
		},
		AtEnd: func() {
			stopProfile()
			gw1 = gatewayStats(gws)
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
	if cfg.WritersAfter {
		say("window over with no writer running (%d frames in the stream); starting %d writer(s)...\n", lagEnd, cfg.Writers)
		if err := startWriters(); err != nil {
			return err
		}
	}
	say("window over (backlog %d frames); waiting for the writers to empty the stream...\n", lagEnd)
	drainStart := time.Now()
	total, err := waitDrained(ctx, bc, stored, 10*time.Minute)
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
	rep.LatencyP50Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = ms(res.After.LatencyP50), ms(res.After.LatencyP99), ms(res.After.LatencyMax)
	rep.BacklogEnd = lagEnd
	rep.windowGateway(gw0, gw1)
	// Everything acknowledged in the window was committed by the end of
	// the drain: the rate the writers sustained over window + drain.
	rep.SustainedPerSec = float64(total-c0) / time.Since(res.WindowStart).Seconds()
	rep.PeakRSSMiB = mib(procStatus("VmHWM"))
	rep.Sent, rep.Acked, rep.Retransmitted, rep.Failed = res.Final.Sent, res.Final.Acked, res.Final.Retransmitted, res.Final.Failed
	for _, w := range wrs {
		rep.WriterRedelivery += metric(w.Metrics, "ecowatch_writer_redeliveries_total")
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
	if rep.VerifyResult, err = verifyAcked(ctx, st, devs, res.Acked, res.Failed, verifyFrom); err != nil {
		return err
	}
	return writeReport(stdout, cfg.JSON, &rep, func() { printBus(stdout, &rep) }, rep.VerifyResult)
}

func printBus(w io.Writer, r *BusReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "bus\tNATS %s, %d partitions, %d replica(s)\n", r.NATS, r.Partitions, r.Replicas)
	fmt.Fprintf(tw, "roles\t%d gateway(s), %d writer(s), PostgreSQL\n", r.Gateways, r.Writers)
	where := "in this process"
	if r.SimProcess {
		where = "in a child process"
	}
	fmt.Fprintf(tw, "devices\t%d\t(%s)\n", r.Devices, where)
	if r.WritersAfter {
		fmt.Fprintf(tw, "writers\tstarted after the window\t(the stream only grew while measured)\n")
	}
	fmt.Fprintf(tw, "measured\t%.1f s\n", r.Duration)
	fmt.Fprintf(tw, "frames offered\t%d\t(%.0f/s, retransmissions included)\n", r.FramesOffered, r.OfferedPerSec)
	fmt.Fprintf(tw, "acknowledged (in JetStream)\t%.0f frames/s\t(%d frames)\n", r.AckedPerSec, r.FramesAcked)
	fmt.Fprintf(tw, "committed in PostgreSQL\t%.0f uploads/s\t(%d uploads)\n", r.CommittedPerSec, r.Committed)
	fmt.Fprintf(tw, "ack latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	fmt.Fprintf(tw, "gateway commits (publish → last PubAck)\t%d\t(%.0f frames each; mean %.1f ms, p50 / p99 ≤ %.0f / %.0f ms)\n",
		r.GatewayCommits, r.GatewayFramesPerBat, r.GatewayCommitMeanMs, r.GatewayCommitP50Ms, r.GatewayCommitP99Ms)
	fmt.Fprintf(tw, "gateway: frame read → ack written\tmean %.1f ms\t(p50 / p99 ≤ %.0f / %.0f ms; %d waits for queue room)\n",
		r.GatewayAckMeanMs, r.GatewayAckP50Ms, r.GatewayAckP99Ms, r.GatewayQueueFullWait)
	fmt.Fprintf(tw, "backlog at the end\t%d frames\t(written in %.1f s; %.0f uploads/s sustained over window and drain)\n", r.BacklogEnd, r.DrainSeconds, r.SustainedPerSec)
	if r.Backlog > 0 {
		fmt.Fprintf(tw, "no writer: gateway → JetStream\t%.0f frames/s acknowledged\t(%d uploads, %d messages queued in %.1f s)\n", r.FillPerSec, r.BacklogUploads, r.Backlog, r.FillSeconds)
		fmt.Fprintf(tw, "writers alone: JetStream → PostgreSQL\t%.0f uploads/s\t(backlog written in %.1f s)\n", r.BacklogDrainPerSec, r.BacklogDrainSeconds)
	}
	fmt.Fprintf(tw, "writer redeliveries\t%d\n", r.WriterRedelivery)
	fmt.Fprintf(tw, "PostgreSQL space\t%.0f B per upload, %.0f B per raw frame\t(tables with indexes)\n", r.UploadBytes, r.RawBytes)
	held := "devices, gateways, writers and NATS together"
	if r.SimProcess {
		held = "gateways, writers and NATS; the devices' child not counted"
	}
	fmt.Fprintf(tw, "peak RSS (VmHWM)\t%.0f MiB\t(%s)\n", r.PeakRSSMiB, held)
	fmt.Fprintf(tw, "sent / acked / retransmitted / failed\t%d / %d / %d / %d\t(main run)\n", r.Sent, r.Acked, r.Retransmitted, r.Failed)
	writeCheck(tw, r.VerifyResult, r.NumCPU, r.GOMAXPROCS, r.GoVersion)
	tw.Flush()
}

// freshPG creates a database of the benchmark's own on the server of
// admin and returns its DSN and a function dropping it.
func freshPG(ctx context.Context, admin string) (string, func(), error) {
	if !strings.HasPrefix(admin, "postgres://") && !strings.HasPrefix(admin, "postgresql://") {
		return "", nil, usage.Error{Err: fmt.Errorf("--db %q: want a postgres:// DSN", admin)}
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

// deleteStream removes the benchmark's stream from a shared server.
func deleteStream(urls, stream string) {
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

// waitPartitions waits until the writers hold all partitions, each
// at least its fair share less one.
func waitPartitions(ctx context.Context, wrs []*app.WriterRole, partitions int, within time.Duration) error {
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
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// waitDrained waits until the stream is empty and the stored count
// is stable, and returns the count.
func waitDrained(ctx context.Context, bc bus.Config, stored func() (int64, error), within time.Duration) (int64, error) {
	sc := bc
	sc.Name = "bench-status"
	b, err := bus.Connect(ctx, sc)
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
		if !sleep(ctx, 200*time.Millisecond) {
			return 0, ctx.Err()
		}
	}
}

// metric reads one counter from a role's Prometheus text.
func metric(g prometheus.Gatherer, name string) uint64 {
	text, err := metrics.Text(g)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			// Floats, as the text format writes them (1.2e+06).
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return uint64(v)
		}
	}
	return 0
}

// gatewayStats sums the gateways' commit and ack counters.
func gatewayStats(gws []*app.GatewayRole) gateway.Stats {
	var sum gateway.Stats
	for _, g := range gws {
		st := g.Gateway.Stats()
		sum.Commits += st.Commits
		sum.CommitFrames += st.CommitFrames
		sum.QueueFullWaits += st.QueueFullWaits
		sum.CommitLatency = addHist(sum.CommitLatency, st.CommitLatency, 1)
		sum.AckLatency = addHist(sum.AckLatency, st.AckLatency, 1)
	}
	return sum
}

// addHist returns a + sign·b (sign -1: the observations of a window).
func addHist(a, b gateway.Histogram, sign int) gateway.Histogram {
	if a.Counts == nil {
		a = gateway.Histogram{Bounds: b.Bounds, Counts: make([]uint64, len(b.Counts))}
	}
	for i := range b.Counts {
		a.Counts[i] = uint64(int64(a.Counts[i]) + int64(sign)*int64(b.Counts[i]))
	}
	a.Sum += time.Duration(sign) * b.Sum
	a.Count = uint64(int64(a.Count) + int64(sign)*int64(b.Count))
	return a
}

// windowGateway fills the gateway figures from the counters at the
// window's start and end.
func (r *BusReport) windowGateway(before, after gateway.Stats) {
	commit := addHist(addHist(gateway.Histogram{}, after.CommitLatency, 1), before.CommitLatency, -1)
	ack := addHist(addHist(gateway.Histogram{}, after.AckLatency, 1), before.AckLatency, -1)
	r.GatewayCommits = after.Commits - before.Commits
	if r.GatewayCommits > 0 {
		r.GatewayFramesPerBat = float64(after.CommitFrames-before.CommitFrames) / float64(r.GatewayCommits)
	}
	if commit.Count > 0 {
		r.GatewayCommitMeanMs = ms(commit.Sum / time.Duration(commit.Count))
	}
	if ack.Count > 0 {
		r.GatewayAckMeanMs = ms(ack.Sum / time.Duration(ack.Count))
	}
	r.GatewayCommitP50Ms, r.GatewayCommitP99Ms = ms(commit.Quantile(0.5)), ms(commit.Quantile(0.99))
	r.GatewayAckP50Ms, r.GatewayAckP99Ms = ms(ack.Quantile(0.5)), ms(ack.Quantile(0.99))
	r.GatewayQueueFullWait = after.QueueFullWaits - before.QueueFullWaits
}

// startCPUProfile profiles the process into path until the returned
// function is called; a failure is reported and the run goes on.
// startMutexProfile samples every contended unlock from now until the
// returned stop, which writes the profile to path (sampling is off
// before, so the profile holds the window only).
func startMutexProfile(path string, stderr io.Writer) func() {
	runtime.SetMutexProfileFraction(1)
	return func() {
		runtime.SetMutexProfileFraction(0)
		writeProfile("mutex", path, stderr)
	}
}

// startTrace records an execution trace into path until the returned stop.
func startTrace(path string, stderr io.Writer) func() {
	return startRecording("trace", path, stderr, trace.Start, trace.Stop)
}

// startRecording creates path and starts a recorder writing to it (the
// CPU profile, the execution trace); the returned stop ends the
// recording and closes the file. A failure is reported on stderr and the
// benchmark goes on without it.
func startRecording(what, path string, stderr io.Writer, start func(io.Writer) error, stop func()) func() {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", what, err)
		return func() {}
	}
	if err := start(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "%s: %v\n", what, err)
		return func() {}
	}
	return func() { stop(); f.Close() }
}

// writeProfile writes the named runtime profile to path.
func writeProfile(name, path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s profile: %v\n", name, err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		fmt.Fprintf(stderr, "%s profile: %v\n", name, err)
	}
}

func startCPUProfile(path string, stderr io.Writer) func() {
	return startRecording("cpuprofile", path, stderr, pprof.StartCPUProfile, pprof.StopCPUProfile)
}
