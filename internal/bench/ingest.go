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
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// IngestConfig configures Ingest (the flags of `ecowatch bench ingest`).
type IngestConfig struct {
	Devices       int           // simulated devices
	Duration      time.Duration // measured, after all devices are connected
	DB            string        // "sqlite" or a postgres:// DSN (a fresh database on that server)
	Batch         int           // gateway frames per transaction (0: the gateway's default)
	BatchInterval time.Duration // gateway's longest wait after a batch's first frame (0: default)
	SQLiteSync    string        // SQLite synchronous pragma: full or normal
	RawDuration   time.Duration // raw insert rate measured this long (0: a quarter of Duration, 2 s to 15 s)
	OverTime      time.Duration // device OverTime before retransmitting
	Rate          float64       // frames per second per device (0: back to back)
	Seed          int64
	JSON          bool   // report as JSON
	Verbose       bool   // the gateway's warnings to stderr
	CPUProfile    string // CPU profile of the run written here
	// SimProcess runs the simulated devices in a child process (ecowatch
	// bench ingest-client) rather than in this one.
	SimProcess bool
}

// Ingest runs a fresh store, the gateway and simulated devices sending
// 2051 minute frames back to back, reports the acknowledged rate beside
// the store's raw insert rate and checks every acknowledged upload is
// stored exactly once.

func Ingest(ctx context.Context, cfg IngestConfig, stdout, stderr io.Writer) error {
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.Devices <= 0 || cfg.Duration <= 0 {
		return usage.Error{Err: errors.New("--devices and --duration must be positive")}
	}
	// Both ends of every device connection live in this process, unless
	// the devices run in a child.
	ends := uint64(2)
	if cfg.SimProcess {
		ends = 1
	}
	need := ends*uint64(cfg.Devices) + 256
	if lim, err := RaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here, and %d devices need %d descriptors: use --devices %d or less, or raise the hard limit (ulimit -Hn)", lim, cfg.Devices, need, (lim-256)/ends)
	}
	h, err := openStore(ctx, cfg.DB, cfg.SQLiteSync)
	if err != nil {
		return err
	}
	defer h.cleanup()

	devs := simulator.Generate(cfg.Devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir, Password: "123456"})
	mdevs := make([]model.Device, len(devs))
	for i := range devs {
		mdevs[i] = devs[i].Device
	}
	rep := IngestReport{DB: h.kind, Devices: cfg.Devices, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}

	gcfg := gateway.DefaultConfig()
	gcfg.Addr = "127.0.0.1:0"
	gcfg.MaxConns = cfg.Devices + 1024
	gcfg.MaxConnsPerIP = cfg.Devices + 1024
	gcfg.BackfillWindow = -1 // flat-out devices have no history to fill in
	gcfg.Purger, gcfg.Health = h.st, h.st
	if cfg.Batch > 0 {
		gcfg.BatchFrames = cfg.Batch
	}
	if cfg.BatchInterval > 0 {
		gcfg.BatchInterval = cfg.BatchInterval
	}
	rep.RawBatch = gcfg.BatchFrames

	// 1. The raw insert rate of the same store, with the same batch size,
	// on DataTimes the devices will not use.
	flatBase := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	rd := cfg.RawDuration
	if rd <= 0 {
		rd = min(max(cfg.Duration/4, 2*time.Second), 15*time.Second)
	}
	if !cfg.JSON {
		fmt.Fprintf(stdout, "measuring the raw insert rate of %s (batches of %d) for %v...\n", h.kind, rep.RawBatch, rd)
	}
	rep.RawUploadsPerSec, rep.RawUploads, err = rawInsertRate(ctx, h.st, devs, cfg.Seed, flatBase.Add(-60*24*time.Hour), rep.RawBatch, rd)
	if err != nil {
		return err
	}

	// 2. Gateway and devices.
	logger := slog.New(slog.DiscardHandler)
	if cfg.Verbose {
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

	var sim loadSim
	if cfg.SimProcess {
		sim, err = newProcSim(procSimConfig{Addrs: []string{gw.Addr().String()}, Devices: cfg.Devices, Seed: cfg.Seed,
			Rate: cfg.Rate, OverTime: cfg.OverTime}, flatBase)
	} else {
		sim, err = newInprocSim(ctx, simulator.Config{
			Addr: gw.Addr().String(), Devices: devs, Seed: cfg.Seed, FlatOut: true, Rate: cfg.Rate,
			MinInterval: time.Minute, FlatOutStart: flatBase, OverTime: cfg.OverTime, ReCount: 3,
			ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
		})
	}
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			sim.Stop()
		}
	}()
	rep.SimProcess = cfg.SimProcess
	if !cfg.JSON {
		fmt.Fprintf(stdout, "connecting %d devices to the gateway at %s...\n", cfg.Devices, gw.Addr())
	}
	connectBy := time.Now().Add(60*time.Second + time.Duration(cfg.Devices)*time.Millisecond)
	for {
		st, err := sim.Stats()
		if err != nil {
			return err
		}
		if st.Connected >= cfg.Devices {
			break
		}
		if time.Now().After(connectBy) {
			return fmt.Errorf("only %d of %d devices connected", st.Connected, cfg.Devices)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
	// Warm up a second, then measure.
	sleep(ctx, time.Second)
	if err := sim.ResetLatency(); err != nil {
		return err
	}
	a, err := sim.Stats()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if !cfg.JSON {
		fmt.Fprintf(stdout, "all connected; measuring for %v...\n", cfg.Duration)
	}
	sleep(ctx, cfg.Duration)
	b, err := sim.Stats()
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// 3. Let every device finish its pending frame, then stop the gateway
	// (it drains and acknowledges what it committed).
	dctx, cancel := context.WithTimeout(ctx, cfg.OverTime*5+30*time.Second)
	acked, failed, derr := sim.Drain(dctx)
	cancel()
	final, ferr := sim.Stats()
	sim.Stop()
	stopped = true
	sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	serr := gw.Shutdown(sctx)
	cancel()
	gwDown = true
	if derr != nil {
		return fmt.Errorf("draining the devices: %w", derr)
	}
	if ferr != nil {
		return ferr
	}
	if serr != nil {
		return fmt.Errorf("gateway shutdown: %w", serr)
	}
	gs := gw.Stats()

	rep.Duration = elapsed.Seconds()
	rep.FramesAcked = b.Acked - a.Acked
	rep.FramesPerSec = float64(rep.FramesAcked) / elapsed.Seconds()
	rep.ValuesPerSec = float64(b.Values-a.Values) / elapsed.Seconds()
	if rep.FramesAcked > 0 {
		rep.ValuesPerFrame = float64(b.Values-a.Values) / float64(rep.FramesAcked)
	}
	rep.LatencyP50Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = ms(b.LatencyP50), ms(b.LatencyP99), ms(b.LatencyMax)
	rep.PeakRSSMiB = mib(procStatus("VmHWM"))
	if rep.RawUploadsPerSec > 0 {
		rep.Ratio = rep.FramesPerSec / rep.RawUploadsPerSec
	}
	rep.Sent, rep.Acked, rep.Retransmitted, rep.Failed, rep.DialErrors = final.Sent, final.Acked, final.Retransmitted, final.Failed, final.DialErrors
	rep.Commits, rep.QueueFullWaits = gs.Commits, gs.QueueFullWaits
	if gs.Commits > 0 {
		rep.FramesPerBatch = float64(gs.CommitFrames) / float64(gs.Commits)
	}
	rep.GatewayP99Ms = ms(gs.AckLatency.Quantile(0.99))

	// 4. Nothing acknowledged was lost: per device, the stored minute
	// uploads are the acknowledged ones, plus possibly some that were
	// given up on after they committed.
	v, err := verifyAcked(ctx, h.st, devs, acked, failed, flatBase)
	if err != nil {
		return err
	}
	rep.VerifyResult = v
	rep.StoreEqualsAck = rep.StoredUploads == rep.AckedDistinct

	return writeReport(stdout, cfg.JSON, &rep, func() { printIngest(stdout, &rep) }, rep.VerifyResult)
}

// --- bench ingest ---

// IngestReport is the result of bench ingest.
type IngestReport struct {
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

	VerifyResult        // every acknowledged upload is stored, once
	StoreEqualsAck bool `json:"store_equals_ack"` // and nothing else is

	Commits        uint64  `json:"gateway_commits"`
	FramesPerBatch float64 `json:"gateway_frames_per_commit"`
	QueueFullWaits uint64  `json:"gateway_queue_full_waits"`
	GatewayP99Ms   float64 `json:"gateway_ack_p99_ms"`

	SimProcess bool `json:"sim_process"` // the devices ran in a child process

	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	GoVersion  string `json:"go_version"`
}

func printIngest(w io.Writer, r *IngestReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "store\t%s\n", r.DB)
	where := "in this process"
	if r.SimProcess {
		where = "in a child process"
	}
	fmt.Fprintf(tw, "devices\t%d\t(simulated %s)\n", r.Devices, where)
	fmt.Fprintf(tw, "measured\t%.1f s\n", r.Duration)
	fmt.Fprintf(tw, "acknowledged frames/s\t%.0f\t(%d frames)\n", r.FramesPerSec, r.FramesAcked)
	fmt.Fprintf(tw, "values/s\t%.0f\t(%.1f per frame)\n", r.ValuesPerSec, r.ValuesPerFrame)
	fmt.Fprintf(tw, "ack latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	fmt.Fprintf(tw, "peak RSS (VmHWM)\t%.0f MiB\n", r.PeakRSSMiB)
	fmt.Fprintf(tw, "raw insert rate (CommitBatch)\t%.0f uploads/s\t(batches of %d, %d uploads)\n", r.RawUploadsPerSec, r.RawBatch, r.RawUploads)
	fmt.Fprintf(tw, "ratio end-to-end / raw\t%.2f\n", r.Ratio)
	fmt.Fprintf(tw, "gateway commits\t%d\t(%.0f frames each, ack p99 ≤ %.0f ms, queue-full waits %d)\n", r.Commits, r.FramesPerBatch, r.GatewayP99Ms, r.QueueFullWaits)
	fmt.Fprintf(tw, "sent / acked / retransmitted / failed\t%d / %d / %d / %d\n", r.Sent, r.Acked, r.Retransmitted, r.Failed)
	writeCheck(tw, r.VerifyResult, r.NumCPU, r.GOMAXPROCS, r.GoVersion)
	tw.Flush()
}

func sleep(ctx context.Context, d time.Duration) bool {
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
