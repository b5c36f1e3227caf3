// Package bench holds the benchmark harnesses of `ecowatch bench`: each
// runs the real components in one process (store, gateway, simulated
// devices, or the scaled-out roles on NATS JetStream and PostgreSQL),
// measures, checks that nothing acknowledged was lost and prints a report
// as a table or JSON. The command only parses flags into a Config.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// storeHandle is a fresh store for one benchmark run, removed at close.
type storeHandle struct {
	st      store.Store
	kind    string // "sqlite" or "postgres"
	cleanup func()
}

// openStore opens a fresh store: SQLite in a temporary directory, or,
// given a PostgreSQL DSN, a new database on that server dropped at close.
func openStore(ctx context.Context, db, sync string) (*storeHandle, error) {
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
		return &storeHandle{st: st, kind: "sqlite", cleanup: func() { st.Close(); os.RemoveAll(dir) }}, nil
	}
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return nil, usage.Error{Err: fmt.Errorf("--db %q: want sqlite or a postgres:// DSN", db)}
	}
	u, err := url.Parse(db)
	if err != nil {
		return nil, usage.Error{Err: fmt.Errorf("--db: %w", err)}
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
	return &storeHandle{st: st, kind: "postgres", cleanup: func() { st.Close(); drop() }}, nil
}

// procStatus returns a /proc/self/status field in KiB (VmHWM, VmRSS).
func procStatus(field string) int64 {
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

func mib(kib int64) float64 { return float64(kib) / 1024 }

// RaiseNoFile raises the soft RLIMIT_NOFILE towards n, as far as the
// hard limit allows (raising the hard limit too when privileged), and
// returns the resulting soft limit.
func RaiseNoFile(n uint64) (uint64, error) {
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
			// What the gateway commits for the frame; the batch keeps
			// the bytes, so each frame gets its own copy.
			r, err := gateway.RecordOf(bytes.Clone(buf), now, "127.0.0.1:1")
			if err != nil {
				return 0, n, fmt.Errorf("raw insert: %w", err)
			}
			b.Uploads = append(b.Uploads, r.Upload)
			b.Raw = append(b.Raw, r.Raw)
			contacts[r.Contact.MN] = r.Contact
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

// --- the load generator, shared by the end-to-end benchmarks ---

// loadConfig configures runLoad: simulated devices in flat-out
// mode (2051 minute frames back to back, or at Rate per device) against
// one or more gateways.
type loadConfig struct {
	Addrs    []string // devices are spread over them (device i → Addrs[i%len])
	Devices  []simulator.Device
	Seed     int64
	Rate     float64
	Start    time.Time // first DataTime
	OverTime time.Duration
	Warmup   time.Duration
	Duration time.Duration
	Progress func(string)
	// SimProcess: the devices in a child process (bench ... --sim-process).
	SimProcess bool
	// AtStart and AtEnd run at the start and end of the measured window
	// (e.g. to read the store's count).
	AtStart, AtEnd func()
}

// loadResult is what the devices saw.
type loadResult struct {
	Before, After, Final simulator.Stats // window start, window end, after the drain
	WindowStart          time.Time
	Elapsed              time.Duration       // window
	Acked                []int               // acknowledged 2051 uploads per device
	Failed               map[int][]time.Time // DataTimes given up on, per device
}

// runLoad connects the devices, warms up, measures for Duration
// (the latency histogram covers the window), then lets every device
// finish its pending frame and stops them. With SimProcess the devices
// run in a child process (ecowatch bench ingest-client), so that the
// measured process holds only what a deployment runs.
func runLoad(ctx context.Context, cfg loadConfig) (*loadResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	res := &loadResult{}
	var sim loadSim
	var err error
	if cfg.SimProcess {
		sim, err = newProcSim(procSimConfig{Addrs: cfg.Addrs, Devices: len(cfg.Devices), Seed: cfg.Seed, Rate: cfg.Rate,
			OverTime: cfg.OverTime}, cfg.Start)
	} else {
		sim, err = newInprocSim(ctx, simulator.Config{
			Addrs: cfg.Addrs, Devices: cfg.Devices, Seed: cfg.Seed, FlatOut: true, Rate: cfg.Rate,
			MinInterval: time.Minute, FlatOutStart: cfg.Start, OverTime: cfg.OverTime, ReCount: 3,
			ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
		})
	}
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			sim.Stop()
		}
	}()
	stats := func() (simulator.Stats, error) {
		st, err := sim.Stats()
		if err != nil {
			return st, fmt.Errorf("devices: %w", err)
		}
		return st, nil
	}
	n := len(cfg.Devices)
	connectBy := time.Now().Add(60*time.Second + time.Duration(n)*time.Millisecond)
	for {
		st, err := stats()
		if err != nil {
			return nil, err
		}
		if st.Connected >= n {
			break
		}
		if time.Now().After(connectBy) {
			return nil, fmt.Errorf("only %d of %d devices connected", st.Connected, n)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	progress(fmt.Sprintf("all connected; warming up for %v, then measuring for %v...", cfg.Warmup, cfg.Duration))
	sleep(ctx, cfg.Warmup)
	if err := sim.ResetLatency(); err != nil {
		return nil, err
	}
	if cfg.AtStart != nil {
		cfg.AtStart()
	}
	if res.Before, err = stats(); err != nil {
		return nil, err
	}
	res.WindowStart = time.Now()
	sleep(ctx, cfg.Duration)
	if res.After, err = stats(); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(res.WindowStart)
	if cfg.AtEnd != nil {
		cfg.AtEnd()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.OverTime*5+30*time.Second)
	defer cancel()
	res.Acked, res.Failed, err = sim.Drain(dctx)
	if err != nil {
		return nil, fmt.Errorf("draining the devices: %w", err)
	}
	if res.Final, err = stats(); err != nil {
		return nil, err
	}
	sim.Stop()
	stopped = true
	return res, nil
}

// VerifyResult is the no-loss check of an end-to-end benchmark.
type VerifyResult struct {
	StoredUploads int  `json:"stored_uploads"`
	AckedDistinct int  `json:"acked_distinct"`
	LostAcked     int  `json:"lost_acked"`     // acknowledged but not in the store: must be 0
	StoredUnacked int  `json:"stored_unacked"` // in the store, never acknowledged (given up after they were stored)
	NoLoss        bool `json:"no_loss"`
}

// writeCheck writes the no-loss check's and the machine's rows of a
// report table.
func writeCheck(tw io.Writer, v VerifyResult, cpus, procs int, goVersion string) {
	check := "PASS"
	if !v.NoLoss {
		check = "FAIL"
	}
	fmt.Fprintf(tw, "no-loss check\t%s\t(stored %d, acknowledged %d, lost %d, stored unacknowledged %d)\n", check, v.StoredUploads, v.AckedDistinct, v.LostAcked, v.StoredUnacked)
	fmt.Fprintf(tw, "machine\t%d CPUs, GOMAXPROCS %d, %s\n", cpus, procs, goVersion)
}

// writeReport prints a bench report as JSON or as a table, then fails
// if the loss check did.
func writeReport(stdout io.Writer, asJSON bool, rep any, table func(), v VerifyResult) error {
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

// verifyAcked checks per device that the stored minute uploads from
// `from` on are the acknowledged ones, plus possibly some given up on
// after they were stored.
func verifyAcked(ctx context.Context, st store.Store, devs []simulator.Device, acked []int, failed map[int][]time.Time, from time.Time) (VerifyResult, error) {
	var r VerifyResult
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
