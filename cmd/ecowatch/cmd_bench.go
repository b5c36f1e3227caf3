package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
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

// --- shared helpers ---

// benchStoreHandle is a fresh store for one benchmark run, removed at close.
type benchStoreHandle struct {
	st      store.Store
	kind    string // "sqlite" or "postgres"
	cleanup func()
}

// openBenchStore opens a fresh store: SQLite in a temporary directory, or,
// given a PostgreSQL DSN, a new database on that server dropped at close.
func openBenchStore(ctx context.Context, db, sync string) (*benchStoreHandle, error) {
	opts := store.Options{Synchronous: sync}
	if db == "" || db == "sqlite" {
		dir, err := os.MkdirTemp("", "ecowatch-bench-")
		if err != nil {
			return nil, fmt.Errorf("temp dir: %w", err)
		}
		st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"), opts)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		return &benchStoreHandle{st: st, kind: "sqlite", cleanup: func() { st.Close(); os.RemoveAll(dir) }}, nil
	}
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return nil, usageError{fmt.Errorf("--db %q: want sqlite or a postgres:// DSN", db)}
	}
	u, err := url.Parse(db)
	if err != nil {
		return nil, usageError{fmt.Errorf("--db: %w", err)}
	}
	name := fmt.Sprintf("ecowatch_bench_%d_%d", time.Now().Unix(), os.Getpid())
	admin, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.Exec(c, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(c)
	}
	u.Path = "/" + name
	st, err := store.Open(ctx, u.String(), opts)
	if err != nil {
		drop()
		return nil, err
	}
	return &benchStoreHandle{st: st, kind: "postgres", cleanup: func() { st.Close(); drop() }}, nil
}

// procStatus returns a /proc/self/status field in KiB (VmHWM, VmRSS).
func benchProcStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func benchMiB(kib int64) float64 { return float64(kib) / 1024 }

// benchRaiseNoFile raises the soft RLIMIT_NOFILE towards n, as far as the
// hard limit allows (raising the hard limit too when privileged), and
// returns the resulting soft limit.
func benchRaiseNoFile(n uint64) (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if rl.Cur >= n {
		return rl.Cur, nil
	}
	if rl.Max < n {
		want := syscall.Rlimit{Cur: n, Max: n}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) == nil {
			return n, nil
		}
	}
	rl.Cur = min(n, rl.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return rl.Cur, nil
}

// uploadFromFrame turns a frame into what the gateway commits for it: the
// upload, the archived raw frame and the contact (see internal/gateway).
func uploadFromFrame(raw []byte, f *hj212.Frame, recv time.Time) (model.Upload, model.RawFrame, model.Contact, error) {
	if err := hj212.Decode(raw, f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
		return model.Upload{}, model.RawFrame{}, model.Contact{}, err
	}
	dt, err := f.DataTime()
	if err != nil {
		return model.Upload{}, model.RawFrame{}, model.Contact{}, err
	}
	u := model.Upload{MN: string(f.MN), CN: string(f.CN), DataTime: dt.UTC(), Values: make([]model.Value, 0, len(f.CP))}
	for _, p := range f.CP {
		if string(p.Key) == "DataTime" {
			continue
		}
		factor, field := hj212.SplitKey(p.Key)
		u.Values = append(u.Values, model.Value{Factor: string(factor), Field: string(field), Value: string(p.Value)})
	}
	rf := model.RawFrame{ReceivedAt: recv.UTC(), Remote: "127.0.0.1:1", MN: u.MN, CN: u.CN, QN: string(f.QN), Status: model.RawAccepted, Raw: bytes.Clone(raw)}
	return u, rf, model.Contact{MN: u.MN, At: recv.UTC(), Remote: rf.Remote, CN: u.CN}, nil
}

// rawInsertRate commits batches of batchSize uploads of the devices'
// 2051 frames (DataTimes from base on, one minute apart, round robin over
// the devices) directly through CommitBatch for about d, and returns the
// uploads per second (commit time only: building the batches is not
// counted).
func rawInsertRate(ctx context.Context, st store.Store, devs []simulator.Device, seed int64, base time.Time, batchSize int, d time.Duration) (float64, int, error) {
	sim, err := simulator.New(simulator.Config{Addr: "127.0.0.1:1", Devices: devs, Seed: seed, MinInterval: time.Minute})
	if err != nil {
		return 0, 0, err
	}
	var (
		fr      hj212.Frame
		buf     []byte
		busy    time.Duration
		n, seq  int
		started = time.Now()
	)
	for time.Since(started) < d || n == 0 {
		if err := ctx.Err(); err != nil {
			return 0, n, err
		}
		var b store.Batch
		contacts := map[string]model.Contact{}
		now := time.Now()
		for range batchSize {
			i := seq % len(devs)
			at := base.Add(time.Duration(seq/len(devs)) * time.Minute)
			seq++
			buf = sim.AppendUpload(buf[:0], i, "2051", at, now)
			u, rf, c, err := uploadFromFrame(buf, &fr, now)
			if err != nil {
				return 0, n, fmt.Errorf("raw insert: %w", err)
			}
			b.Uploads = append(b.Uploads, u)
			b.Raw = append(b.Raw, rf)
			contacts[c.MN] = c
		}
		for _, c := range contacts {
			b.Contacts = append(b.Contacts, c)
		}
		t := time.Now()
		if err := st.CommitBatch(ctx, &b); err != nil {
			return 0, n, fmt.Errorf("raw insert: commit: %w", err)
		}
		busy += time.Since(t)
		n += batchSize
	}
	return float64(n) / busy.Seconds(), n, nil
}

// --- bench ingest ---

// ingestReport is the result of bench ingest.
type ingestReport struct {
	DB             string  `json:"db"`
	Devices        int     `json:"devices"`
	Duration       float64 `json:"duration_s"` // measured window
	FramesAcked    uint64  `json:"frames_acked"`
	FramesPerSec   float64 `json:"frames_per_s"`
	ValuesPerSec   float64 `json:"values_per_s"`
	ValuesPerFrame float64 `json:"values_per_frame"`
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP99Ms   float64 `json:"latency_p99_ms"`
	LatencyMaxMs   float64 `json:"latency_max_ms"`
	PeakRSSMiB     float64 `json:"peak_rss_mib"`

	RawUploadsPerSec float64 `json:"raw_uploads_per_s"`
	RawUploads       int     `json:"raw_uploads"`
	RawBatch         int     `json:"raw_batch"`
	Ratio            float64 `json:"ratio"` // frames_per_s / raw_uploads_per_s

	Sent          uint64 `json:"sent"`
	Acked         uint64 `json:"acked"`
	Retransmitted uint64 `json:"retransmitted"`
	Failed        uint64 `json:"failed"`
	DialErrors    uint64 `json:"dial_errors"`

	benchVerifyResult      // every acknowledged upload is stored, once
	StoreEqualsAck    bool `json:"store_equals_ack"` // and nothing else is

	Commits        uint64  `json:"gateway_commits"`
	FramesPerBatch float64 `json:"gateway_frames_per_commit"`
	QueueFullWaits uint64  `json:"gateway_queue_full_waits"`
	GatewayP99Ms   float64 `json:"gateway_ack_p99_ms"`

	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	GoVersion  string `json:"go_version"`
}

func benchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench ingest", "bench ingest [flags]\n\nRuns a fresh store, the gateway and N simulated devices sending 2051 minute\nframes (8 factors, Flag=5) back to back in one process for --duration, then\nchecks that every acknowledged upload is in the store exactly once.\n\nFlags:", stderr)
	devices := fs.Int("devices", 10000, "simulated devices")
	duration := fs.Duration("duration", 60*time.Second, "measured duration (after all devices are connected)")
	db := fs.String("db", "sqlite", "store: sqlite (a fresh file in a temporary directory) or a postgres:// DSN (a fresh database on that server, dropped afterwards)")
	batch := fs.Int("batch", 0, "gateway group commit: frames per transaction (0: gateway default)")
	batchInterval := fs.Duration("batch-interval", 0, "gateway group commit: longest wait after a batch's first frame (0: gateway default)")
	syncMode := fs.String("sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	rawDur := fs.Duration("raw-duration", 0, "how long to measure the raw insert rate (0: a quarter of --duration, 2 s to 15 s)")
	overTime := fs.Duration("overtime", 10*time.Second, "device OverTime before retransmitting")
	rate := fs.Float64("rate", 0, "frames per second per device (0: each as soon as the previous one is acknowledged)")
	seed := fs.Int64("seed", 1, "data seed")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log the gateway's warnings to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *devices <= 0 || *duration <= 0 {
		return usageError{errors.New("--devices and --duration must be positive")}
	}
	// Both ends of every device connection live in this process.
	need := uint64(2**devices + 256)
	if lim, err := benchRaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here, and %d devices need %d descriptors (both ends of each connection are in this process): use --devices %d or less, or raise the hard limit (ulimit -Hn)", lim, *devices, need, (lim-256)/2)
	}
	h, err := openBenchStore(ctx, *db, *syncMode)
	if err != nil {
		return err
	}
	defer h.cleanup()

	devs := simulator.Generate(*devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir, Password: "123456"})
	mdevs := make([]model.Device, len(devs))
	for i := range devs {
		mdevs[i] = devs[i].Device
	}
	rep := ingestReport{DB: h.kind, Devices: *devices, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}

	gcfg := gateway.DefaultConfig()
	gcfg.Addr = "127.0.0.1:0"
	gcfg.MaxConns = *devices + 1024
	gcfg.MaxConnsPerIP = *devices + 1024
	gcfg.BackfillWindow = -1 // flat-out devices have no history to fill in
	if *batch > 0 {
		gcfg.BatchFrames = *batch
	}
	if *batchInterval > 0 {
		gcfg.BatchInterval = *batchInterval
	}
	rep.RawBatch = gcfg.BatchFrames

	// 1. The raw insert rate of the same store, with the same batch size,
	// on DataTimes the devices will not use.
	flatBase := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	rd := *rawDur
	if rd <= 0 {
		rd = min(max(*duration/4, 2*time.Second), 15*time.Second)
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "measuring the raw insert rate of %s (batches of %d) for %v...\n", h.kind, rep.RawBatch, rd)
	}
	rep.RawUploadsPerSec, rep.RawUploads, err = rawInsertRate(ctx, h.st, devs, *seed, flatBase.Add(-60*24*time.Hour), rep.RawBatch, rd)
	if err != nil {
		return err
	}

	// 2. Gateway and devices.
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	gw := gateway.New(gcfg, h.st, gateway.NewDeviceTable(mdevs), logger)
	if err := gw.Start(ctx); err != nil {
		return err
	}
	gwDown := false
	defer func() {
		if !gwDown {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			gw.Shutdown(c)
			cancel()
		}
	}()

	acked := make([]int, len(devs)) // per device; each index written by its device's goroutine only
	var fmu sync.Mutex
	failed := map[int][]time.Time{}
	sim, err := simulator.New(simulator.Config{
		Addr: gw.Addr().String(), Devices: devs, Seed: *seed, FlatOut: true, Rate: *rate,
		MinInterval: time.Minute, FlatOutStart: flatBase, OverTime: *overTime, ReCount: 3,
		ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
		OnAck: func(e simulator.AckEvent) {
			if e.CN == "2051" {
				acked[e.Device]++
			}
		},
		OnFail: func(e simulator.AckEvent) {
			fmu.Lock()
			failed[e.Device] = append(failed[e.Device], e.DataTime)
			fmu.Unlock()
		},
	})
	if err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "connecting %d devices to the gateway at %s...\n", *devices, gw.Addr())
	}
	sim.Start(ctx)
	connectBy := time.Now().Add(60*time.Second + time.Duration(*devices)*time.Millisecond)
	for sim.Stats().Connected < *devices {
		if time.Now().After(connectBy) {
			sim.Stop()
			return fmt.Errorf("only %d of %d devices connected", sim.Stats().Connected, *devices)
		}
		if !benchSleep(ctx, 50*time.Millisecond) {
			sim.Stop()
			return ctx.Err()
		}
	}
	// Warm up a second, then measure.
	benchSleep(ctx, time.Second)
	sim.ResetLatency()
	a := sim.Stats()
	t0 := time.Now()
	if !*asJSON {
		fmt.Fprintf(stdout, "all connected; measuring for %v...\n", *duration)
	}
	benchSleep(ctx, *duration)
	b := sim.Stats()
	elapsed := time.Since(t0)
	if ctx.Err() != nil {
		sim.Stop()
		return ctx.Err()
	}

	// 3. Let every device finish its pending frame, then stop the gateway
	// (it drains and acknowledges what it committed).
	dctx, cancel := context.WithTimeout(ctx, *overTime*5+30*time.Second)
	derr := sim.Drain(dctx)
	cancel()
	sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	serr := gw.Shutdown(sctx)
	cancel()
	gwDown = true
	if derr != nil {
		return fmt.Errorf("draining the devices: %w", derr)
	}
	if serr != nil {
		return fmt.Errorf("gateway shutdown: %w", serr)
	}
	final := sim.Stats()
	gs := gw.Stats()

	rep.Duration = elapsed.Seconds()
	rep.FramesAcked = b.Acked - a.Acked
	rep.FramesPerSec = float64(rep.FramesAcked) / elapsed.Seconds()
	rep.ValuesPerSec = float64(b.Values-a.Values) / elapsed.Seconds()
	if rep.FramesAcked > 0 {
		rep.ValuesPerFrame = float64(b.Values-a.Values) / float64(rep.FramesAcked)
	}
	rep.LatencyP50Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = simMS(b.LatencyP50), simMS(b.LatencyP99), simMS(b.LatencyMax)
	rep.PeakRSSMiB = benchMiB(benchProcStatus("VmHWM"))
	if rep.RawUploadsPerSec > 0 {
		rep.Ratio = rep.FramesPerSec / rep.RawUploadsPerSec
	}
	rep.Sent, rep.Acked, rep.Retransmitted, rep.Failed, rep.DialErrors = final.Sent, final.Acked, final.Retransmitted, final.Failed, final.DialErrors
	rep.Commits, rep.QueueFullWaits = gs.Commits, gs.QueueFullWaits
	if gs.Commits > 0 {
		rep.FramesPerBatch = float64(gs.CommitFrames) / float64(gs.Commits)
	}
	rep.GatewayP99Ms = simMS(gs.AckLatency.Quantile(0.99))

	// 4. Nothing acknowledged was lost: per device, the stored minute
	// uploads are the acknowledged ones, plus possibly some that were
	// given up on after they committed.
	v, err := benchVerifyAcked(ctx, h.st, devs, acked, failed, flatBase)
	if err != nil {
		return err
	}
	rep.benchVerifyResult = v
	rep.StoreEqualsAck = rep.StoredUploads == rep.AckedDistinct

	return writeBenchReport(stdout, *asJSON, &rep, func() { printIngestReport(stdout, &rep) }, rep.benchVerifyResult)
}

func printIngestReport(w io.Writer, r *ingestReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "store\t%s\n", r.DB)
	fmt.Fprintf(tw, "devices\t%d\n", r.Devices)
	fmt.Fprintf(tw, "measured\t%.1f s\n", r.Duration)
	fmt.Fprintf(tw, "acknowledged frames/s\t%.0f\t(%d frames)\n", r.FramesPerSec, r.FramesAcked)
	fmt.Fprintf(tw, "values/s\t%.0f\t(%.1f per frame)\n", r.ValuesPerSec, r.ValuesPerFrame)
	fmt.Fprintf(tw, "ack latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	fmt.Fprintf(tw, "peak RSS (VmHWM)\t%.0f MiB\n", r.PeakRSSMiB)
	fmt.Fprintf(tw, "raw insert rate (CommitBatch)\t%.0f uploads/s\t(batches of %d, %d uploads)\n", r.RawUploadsPerSec, r.RawBatch, r.RawUploads)
	fmt.Fprintf(tw, "ratio end-to-end / raw\t%.2f\n", r.Ratio)
	fmt.Fprintf(tw, "gateway commits\t%d\t(%.0f frames each, ack p99 ≤ %.0f ms, queue-full waits %d)\n", r.Commits, r.FramesPerBatch, r.GatewayP99Ms, r.QueueFullWaits)
	fmt.Fprintf(tw, "sent / acked / retransmitted / failed\t%d / %d / %d / %d\n", r.Sent, r.Acked, r.Retransmitted, r.Failed)
	check := "PASS"
	if !r.NoLoss {
		check = "FAIL"
	}
	fmt.Fprintf(tw, "no-loss check\t%s\t(stored %d, acknowledged %d, lost %d, stored unacknowledged %d)\n", check, r.StoredUploads, r.AckedDistinct, r.LostAcked, r.StoredUnacked)
	fmt.Fprintf(tw, "machine\t%d CPUs, GOMAXPROCS %d, %s\n", r.NumCPU, r.GOMAXPROCS, r.GoVersion)
	tw.Flush()
}

func benchSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// --- bench store ---

func benchStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench store", "bench store [flags]\n\nCommits batches of 2051 uploads (8 factors, with their raw frames) directly\ninto a fresh store and reports uploads/s.\n\nFlags:", stderr)
	db := fs.String("db", "sqlite", "store: sqlite or a postgres:// DSN (a fresh database, dropped afterwards)")
	batch := fs.Int("batch", 2000, "uploads per CommitBatch")
	devices := fs.Int("devices", 1000, "distinct devices")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure")
	syncMode := fs.String("sqlite-sync", "full", "SQLite synchronous pragma: full or normal")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch <= 0 || *devices <= 0 {
		return usageError{errors.New("--batch and --devices must be positive")}
	}
	h, err := openBenchStore(ctx, *db, *syncMode)
	if err != nil {
		return err
	}
	defer h.cleanup()
	devs := simulator.Generate(*devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir})
	rate, n, err := rawInsertRate(ctx, h.st, devs, 1, time.Now().Add(-90*24*time.Hour).Truncate(time.Minute), *batch, *duration)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"db": h.kind, "batch": *batch, "uploads": n, "uploads_per_s": rate, "peak_rss_mib": benchMiB(benchProcStatus("VmHWM"))})
	}
	fmt.Fprintf(stdout, "%s: %.0f uploads/s (%d uploads in batches of %d)\n", h.kind, rate, n, *batch)
	return nil
}

// --- bench conns ---

type connsReport struct {
	Conns        int     `json:"conns"`
	Listeners    int     `json:"listeners"`
	Clients      string  `json:"clients"` // "process": client ends in child processes; "inproc": in this one
	RSSBeforeMiB float64 `json:"rss_before_mib"`
	RSSAfterMiB  float64 `json:"rss_after_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	KiBPerConn   float64 `json:"kib_per_conn"` // (RSS after − before) / N
	GatewayOpen  int64   `json:"gateway_conns_open"`
	DialSeconds  float64 `json:"dial_s"`
	Goroutines   int     `json:"goroutines"`
}

func benchConns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench conns", "bench conns [flags]\n\nOpens N concurrent idle device connections to an in-process gateway (listening\non several loopback addresses 127.0.0.x so the ephemeral port range is no\nlimit; per-address connection limit raised) and reports the gateway process's\nRSS growth per connection. By default the client ends live in child processes\n(--clients process), so the figure is the gateway's alone; --clients inproc\nkeeps them in this process (the figure then covers both ends).\n\nFlags:", stderr)
	n := fs.Int("n", 100000, "connections")
	perListener := fs.Int("per-listener", 10000, "connections per gateway listener (each on its own 127.0.0.x address)")
	clients := fs.String("clients", "process", "where the client ends live: process (child processes) or inproc")
	perClient := fs.Int("per-client", 15000, "with --clients process: connections per child process")
	parallel := fs.Int("parallel", 32, "concurrent dialers (per child process)")
	hold := fs.Duration("hold", 2*time.Second, "hold the connections this long before measuring")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *perListener <= 0 || *parallel <= 0 || *perClient <= 0 {
		return usageError{errors.New("--n, --per-listener, --per-client and --parallel must be positive")}
	}
	if *clients != "process" && *clients != "inproc" {
		return usageError{fmt.Errorf("--clients %q: want process or inproc", *clients)}
	}
	need := uint64(*n + 256)
	if *clients == "inproc" {
		need += uint64(*n)
	}
	if lim, err := benchRaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here; %d connections need %d descriptors in this process: use --n %d or less, or raise the hard limit (ulimit -Hn)", lim, *n, need, int(lim-256)*int(*n)/int(need-256))
	}
	gcfg := gateway.DefaultConfig()
	gcfg.Addr = "127.0.0.1:0"
	gcfg.MaxConns = *n + 1024
	gcfg.MaxConnsPerIP = *n + 1024 // raised for the test
	gcfg.IdleTimeout = time.Hour
	gcfg.FrameTimeout = time.Hour
	gcfg.BackfillWindow = -1
	gw := gateway.New(gcfg, benchNopStore{}, gateway.NewDeviceTable(nil), nil)
	nl := (*n + *perListener - 1) / *perListener
	var addrs []string
	for i := range nl {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 1+i))
		if err != nil {
			return fmt.Errorf("listen on 127.0.0.%d: %w", 1+i, err)
		}
		if err := gw.Serve(ln); err != nil {
			return err
		}
		addrs = append(addrs, ln.Addr().String())
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		gw.Shutdown(c)
		cancel()
	}()
	runtime.GC()
	debug.FreeOSMemory()
	before := benchProcStatus("VmRSS")

	start := time.Now()
	if *clients == "inproc" {
		conns, err := dialConns(ctx, addrs, 0, *n, *perListener, *parallel)
		defer func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}()
		if err != nil {
			return err
		}
	} else {
		stop, err := spawnConnClients(ctx, addrs, *n, *perClient, *perListener, *parallel, stderr)
		defer stop()
		if err != nil {
			return err
		}
	}
	dial := time.Since(start)
	waitBy := time.Now().Add(60 * time.Second)
	for gw.Stats().ConnsOpen < int64(*n) && time.Now().Before(waitBy) {
		benchSleep(ctx, 50*time.Millisecond)
	}
	benchSleep(ctx, *hold)
	if err := ctx.Err(); err != nil {
		return err
	}
	runtime.GC()
	after := benchProcStatus("VmRSS")
	rep := connsReport{
		Conns: *n, Listeners: nl, Clients: *clients, RSSBeforeMiB: benchMiB(before), RSSAfterMiB: benchMiB(after), PeakRSSMiB: benchMiB(benchProcStatus("VmHWM")),
		KiBPerConn: float64(after-before) / float64(*n), GatewayOpen: gw.Stats().ConnsOpen, DialSeconds: dial.Seconds(),
		Goroutines: runtime.NumGoroutine(),
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	ends := "the gateway's alone; clients in child processes"
	if *clients == "inproc" {
		ends = "gateway and client ends together"
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "connections\t%d\t(%d open at the gateway, %d listeners, dialled in %.1f s)\n", rep.Conns, rep.GatewayOpen, rep.Listeners, rep.DialSeconds)
	fmt.Fprintf(tw, "RSS before / after\t%.0f / %.0f MiB\t(peak %.0f MiB)\n", rep.RSSBeforeMiB, rep.RSSAfterMiB, rep.PeakRSSMiB)
	fmt.Fprintf(tw, "per connection\t%.1f KiB\t(%s)\n", rep.KiBPerConn, ends)
	fmt.Fprintf(tw, "goroutines\t%d\n", rep.Goroutines)
	tw.Flush()
	if rep.GatewayOpen < int64(*n) {
		return fmt.Errorf("only %d of %d connections open at the gateway", rep.GatewayOpen, *n)
	}
	return nil
}

// dialConns opens connections [from, from+n) of the benchmark: number i
// goes to addrs[i/perListener].
func dialConns(ctx context.Context, addrs []string, from, n, perListener, parallel int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 30 * time.Second}
			for ctx.Err() == nil && firstErr.Load() == nil {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				addr := addrs[min((from+k)/perListener, len(addrs)-1)]
				var c net.Conn
				var err error
				for try := 0; try < 5; try++ {
					if c, err = d.DialContext(ctx, "tcp", addr); err == nil {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("connection %d to %s: %w", from+k, addr, err))
					return
				}
				conns[k] = c
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return conns, e.(error)
	}
	return conns, ctx.Err()
}

// spawnConnClients starts child processes (this binary, "bench
// conns-client") that hold the client ends, and waits until each has
// dialled its share. stop closes their stdin, which ends them.
func spawnConnClients(ctx context.Context, addrs []string, n, perClient, perListener, parallel int, stderr io.Writer) (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return func() {}, fmt.Errorf("find executable: %w", err)
	}
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	var children []child
	stop = func() {
		for _, c := range children {
			c.stdin.Close()
		}
		for _, c := range children {
			c.cmd.Wait()
		}
	}
	for from := 0; from < n; from += perClient {
		k := min(perClient, n-from)
		cmd := exec.CommandContext(ctx, exe, "bench", "conns-client", "--addrs", strings.Join(addrs, ","),
			"--from", strconv.Itoa(from), "--n", strconv.Itoa(k), "--per-listener", strconv.Itoa(perListener), "--parallel", strconv.Itoa(parallel))
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return stop, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return stop, err
		}
		if err := cmd.Start(); err != nil {
			return stop, fmt.Errorf("start client process: %w", err)
		}
		children = append(children, child{cmd, in, bufio.NewReader(out)})
	}
	for i, c := range children {
		line, err := c.out.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready") {
			return stop, fmt.Errorf("client process %d: %q: %v", i, strings.TrimSpace(line), err)
		}
	}
	return stop, nil
}

// benchConnsClient is the child side of bench conns: it dials its share,
// prints "ready", and holds the connections until stdin closes.
func benchConnsClient(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench conns-client", "bench conns-client (internal: started by bench conns)", stderr)
	addrList := fs.String("addrs", "", "gateway addresses, comma-separated")
	from := fs.Int("from", 0, "first connection number")
	n := fs.Int("n", 0, "connections")
	perListener := fs.Int("per-listener", 10000, "connections per address")
	parallel := fs.Int("parallel", 32, "concurrent dialers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := benchRaiseNoFile(uint64(*n + 64)); err != nil {
		return err
	}
	conns, err := dialConns(ctx, strings.Split(*addrList, ","), *from, *n, *perListener, *parallel)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		fmt.Fprintf(stdout, "error %v\n", err)
		return err
	}
	fmt.Fprintf(stdout, "ready %d\n", len(conns))
	io.Copy(io.Discard, stdin)
	return nil
}

// benchNopStore is a store for idle connections, which commit nothing.
type benchNopStore struct{}

func (benchNopStore) CommitBatch(context.Context, *store.Batch) error { return nil }
func (benchNopStore) UploadTimes(context.Context, string, string, time.Time, time.Time) ([]time.Time, error) {
	return nil, nil
}

// --- bench decode ---

func benchDecode(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench decode", "bench decode [flags]\n\nDecodes a typical 2051 minute frame with 8 factors (Tolerant mode, reused\nFrame) on one goroutine and reports frames/s, MB/s and allocations per frame.\n\nFlags:", stderr)
	duration := fs.Duration("duration", 3*time.Second, "how long to measure")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	devs := simulator.Generate(1, simulator.GenerateOptions{Kind: simulator.KindAir})
	sim, err := simulator.New(simulator.Config{Addr: "127.0.0.1:1", Devices: devs})
	if err != nil {
		return err
	}
	at := time.Date(2025, 3, 12, 9, 0, 0, 0, hj212.CST())
	frame := sim.AppendUpload(nil, 0, "2051", at, at)
	var f hj212.Frame
	opts := hj212.Options{Mode: hj212.Tolerant}
	if err := hj212.Decode(frame, &f, opts); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	n := 0
	start := time.Now()
	for time.Since(start) < *duration {
		for range 1000 {
			if err := hj212.Decode(frame, &f, opts); err != nil {
				return err
			}
		}
		n += 1000
	}
	el := time.Since(start)
	runtime.ReadMemStats(&ms1)
	rate := float64(n) / el.Seconds()
	allocs := float64(ms1.Mallocs-ms0.Mallocs) / float64(n)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"frame_bytes": len(frame), "frames_per_s": rate, "mb_per_s": rate * float64(len(frame)) / 1e6, "ns_per_frame": 1e9 / rate, "allocs_per_frame": allocs, "cp_items": len(f.CP)})
	}
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "frame: %d bytes, %d CP items\n%.0f frames/s (%.0f ns/frame), %.1f MB/s, %.2f allocs/frame (one goroutine)\n",
		len(frame), len(f.CP), rate, 1e9/rate, rate*float64(len(frame))/1e6, allocs)
	return w.Flush()
}
