package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestBenchIngestTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a gateway and a store for a few seconds")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "ingest", "--devices", "20", "--duration", "2s", "--raw-duration", "500ms", "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	var r ingestReport
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
	dsn := os.Getenv("ECOWATCH_TEST_PG")
	if dsn == "" {
		t.Skip("ECOWATCH_TEST_PG not set")
	}
	if testing.Short() {
		t.Skip("runs a gateway and a store for a few seconds")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "ingest", "--devices", "10", "--duration", "1s", "--raw-duration", "500ms", "--db", dsn, "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	var r ingestReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.DB != "postgres" || !r.NoLoss || r.FramesAcked == 0 {
		t.Errorf("report: %+v", r)
	}
}

func TestBenchConnsInProcess(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "conns", "--n", "300", "--per-listener", "100", "--clients", "inproc", "--hold", "10ms", "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r connsReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Conns != 300 || r.GatewayOpen != 300 || r.Listeners != 3 || r.RSSAfterMiB <= 0 {
		t.Errorf("report: %+v", r)
	}
}

func TestBenchDecode(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "decode", "--duration", "100ms", "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
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

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{{"bench"}, {"bench", "nope"}, {"bench", "ingest", "--devices", "0"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--help"}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "ingest") {
		t.Errorf("bench --help: exit %d, %q", code, out.String())
	}
}
