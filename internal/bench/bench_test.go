package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/pgtest"
)

// ingestConfig is bench ingest's flags' defaults with a short raw
// measurement and a JSON report.
func ingestConfig(db string) IngestConfig {
	return IngestConfig{DB: db, SQLiteSync: "full", RawDuration: 500 * time.Millisecond, OverTime: 10 * time.Second, Seed: 1, JSON: true}
}

func TestBenchIngestTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a gateway and a store for a few seconds")
	}
	var out, errb bytes.Buffer
	cfg := ingestConfig("sqlite")
	cfg.Devices, cfg.Duration = 20, 2*time.Second
	if err := Ingest(context.Background(), cfg, &out, &errb); err != nil {
		t.Fatalf("%v: %s\n%s", err, errb.String(), out.String())
	}
	var r IngestReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	if r.DB != "sqlite" || r.Devices != 20 {
		t.Errorf("db %q devices %d", r.DB, r.Devices)
	}
	if r.FramesAcked == 0 || r.FramesPerSec <= 0 || r.ValuesPerSec <= 0 {
		t.Errorf("no throughput: %+v", r)
	}
	// Air devices: 8 factors, 36 values per 2051 frame (see simulator).
	if r.ValuesPerFrame != 36 {
		t.Errorf("values per frame %g, want 36 (8 factors)", r.ValuesPerFrame)
	}
	if r.LatencyP50Ms <= 0 || r.LatencyP99Ms < r.LatencyP50Ms || r.LatencyMaxMs < r.LatencyP99Ms {
		t.Errorf("latencies p50 %g p99 %g max %g", r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	}
	if r.PeakRSSMiB <= 0 || r.RawUploadsPerSec <= 0 || r.RawUploads == 0 || r.Ratio <= 0 {
		t.Errorf("RSS %g, raw rate %g (%d uploads), ratio %g", r.PeakRSSMiB, r.RawUploadsPerSec, r.RawUploads, r.Ratio)
	}
	if !r.NoLoss || r.LostAcked != 0 || r.StoredUploads < r.AckedDistinct || r.AckedDistinct == 0 {
		t.Errorf("loss check: %+v", r)
	}
	if uint64(r.AckedDistinct) != r.Acked {
		t.Errorf("acknowledged 2051 uploads %d, simulator acked %d", r.AckedDistinct, r.Acked)
	}
	if r.Sent != r.Acked+r.Failed {
		t.Errorf("after the drain, sent %d ≠ acked %d + failed %d", r.Sent, r.Acked, r.Failed)
	}
}

func TestBenchIngestPostgres(t *testing.T) {
	dsn := os.Getenv(pgtest.Env)
	if dsn == "" {
		t.Fatal("ECOWATCH_TEST_PG is not set (CI sets it): bench ingest --db needs PostgreSQL")
	}
	if testing.Short() {
		t.Skip("runs a gateway and a store for a few seconds")
	}
	var out, errb bytes.Buffer
	cfg := ingestConfig(dsn)
	cfg.Devices, cfg.Duration = 10, time.Second
	if err := Ingest(context.Background(), cfg, &out, &errb); err != nil {
		t.Fatalf("%v: %s\n%s", err, errb.String(), out.String())
	}
	var r IngestReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.DB != "postgres" || !r.NoLoss || r.FramesAcked == 0 {
		t.Errorf("report: %+v", r)
	}
}

func TestBenchConnsInProcess(t *testing.T) {
	var out, errb bytes.Buffer
	cfg := ConnsConfig{N: 300, PerListener: 100, Clients: "inproc", PerClient: 15000, Parallel: 32, Hold: 10 * time.Millisecond, JSON: true}
	if err := Conns(context.Background(), cfg, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var r ConnsReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Conns != 300 || r.GatewayOpen != 300 || r.Listeners != 3 || r.RSSAfterMiB <= 0 {
		t.Errorf("report: %+v", r)
	}
}

func TestBenchDecode(t *testing.T) {
	var out bytes.Buffer
	if err := Decode(DecodeConfig{Duration: 100 * time.Millisecond, JSON: true}, &out); err != nil {
		t.Fatal(err)
	}
	var r struct {
		FrameBytes int     `json:"frame_bytes"`
		Rate       float64 `json:"frames_per_s"`
		Items      int     `json:"cp_items"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Rate <= 0 || r.Items != 37 || r.FrameBytes < 500 {
		t.Errorf("decode report: %+v", r)
	}
}

// TestBenchBus runs bench bus briefly with an embedded JetStream server and
// two writers, after a backlog filled with no writer running: the report
// must account for every frame (acknowledged ones stored, stream drained).
func TestBenchBus(t *testing.T) {
	cfg := smallBus(t)
	cfg.Writers, cfg.Backlog, cfg.CPUProfile = 2, 100, filepath.Join(t.TempDir(), "cpu.prof")
	out := runBus(t, cfg)
	var r BusReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !r.NoLoss || r.LostAcked != 0 || r.FramesAcked == 0 || r.AckedDistinct == 0 {
		t.Errorf("report: %+v", r)
	}
	// The backlog's frames were all acknowledged and waited in the
	// stream (no writer ran), so they add to the main run's.
	if r.BacklogUploads != 100 || r.Backlog < 100 || r.BacklogDrainPerSec <= 0 {
		t.Errorf("backlog of %d uploads (%d messages) written at %.0f/s, want 100 uploads", r.BacklogUploads, r.Backlog, r.BacklogDrainPerSec)
	}
	if uint64(r.AckedDistinct) != r.Acked+r.BacklogUploads {
		t.Errorf("acknowledged 2051 uploads %d, simulator acked %d + backlog %d", r.AckedDistinct, r.Acked, r.BacklogUploads)
	}
	if r.StoredUploads < r.AckedDistinct || r.Writers != 2 || r.NATS != "embedded" {
		t.Errorf("report: %+v", r)
	}
	// The gateway's own figures cover the window: its commits carried
	// the acknowledged frames.
	if r.GatewayCommits == 0 || r.GatewayFramesPerBat < 1 || r.GatewayCommitMeanMs <= 0 || r.GatewayAckMeanMs <= 0 {
		t.Errorf("gateway: %d commits of %.1f frames, commit mean %.2f ms, ack mean %.2f ms", r.GatewayCommits, r.GatewayFramesPerBat, r.GatewayCommitMeanMs, r.GatewayAckMeanMs)
	}
	if fi, err := os.Stat(cfg.CPUProfile); err != nil || fi.Size() == 0 {
		t.Errorf("CPU profile of the window: %v", err)
	}
}

// TestBenchBusSimProcessWritersAfter runs bench bus with the devices in a
// child process and no writer during the window: nothing is committed
// while measuring, the stream holds every frame acknowledged in the
// window, and after the writers start every acknowledged frame is stored.
func TestBenchBusSimProcessWritersAfter(t *testing.T) {
	cfg := smallBus(t)
	cfg.SimProcess, cfg.WritersAfter = true, true
	cfg.MutexProfile, cfg.Trace = filepath.Join(t.TempDir(), "mutex.prof"), filepath.Join(t.TempDir(), "trace.out")
	out := runBus(t, cfg)
	var r BusReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !r.SimProcess || !r.WritersAfter {
		t.Errorf("report does not say how it ran: sim_process %v, writers_after %v", r.SimProcess, r.WritersAfter)
	}
	// The child's devices were the registered ones: acknowledged,
	// then stored once the writers ran.
	if !r.NoLoss || r.FramesAcked == 0 || r.AckedDistinct == 0 || r.StoredUploads < r.AckedDistinct {
		t.Errorf("report: %+v", r)
	}
	// No writer in the window: nothing committed, and the stream held
	// at least what the window acknowledged.
	if r.Committed != 0 || r.BacklogEnd < int64(r.FramesAcked) {
		t.Errorf("window with no writer: %d committed, %d in the stream, %d acknowledged", r.Committed, r.BacklogEnd, r.FramesAcked)
	}
	if fi, err := os.Stat(cfg.MutexProfile); err != nil || fi.Size() == 0 {
		t.Errorf("mutex profile of the window: %v", err)
	}
	if fi, err := os.Stat(cfg.Trace); err != nil || fi.Size() == 0 {
		t.Errorf("execution trace of the window: %v", err)
	}
}

// smallBus is a short bench bus on an embedded server: 20 devices, one
// writer, four partitions, a one-second window.
func smallBus(t *testing.T) BusConfig {
	t.Helper()
	dsn := os.Getenv("ECOWATCH_TEST_PG")
	if dsn == "" {
		t.Fatal("ECOWATCH_TEST_PG is not set (CI sets it): bench bus needs PostgreSQL")
	}
	return BusConfig{NATS: "embedded", DB: dsn, Devices: 20, Writers: 1, Gateways: 1, Partitions: 4, Replicas: 1, WriterBatch: 1000,
		Warmup: 200 * time.Millisecond, Duration: time.Second, RollupEvery: app.RollupEvery, OverTime: 10 * time.Second, Seed: 1, JSON: true}
}

// runBus runs cfg and returns its JSON report's bytes.
func runBus(t *testing.T, cfg BusConfig) *bytes.Buffer {
	t.Helper()
	var out, errb bytes.Buffer
	if err := Bus(context.Background(), cfg, &out, &errb); err != nil {
		t.Fatalf("%v: %s\n%s", err, errb.String(), out.String())
	}
	return &out
}
