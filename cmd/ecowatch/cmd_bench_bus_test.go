package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
)

// TestBenchBus runs bench bus briefly with an embedded JetStream server and
// two writers, after a backlog filled with no writer running: the report
// must account for every frame (acknowledged ones stored, stream drained).
func TestBenchBus(t *testing.T) {
	dsn := os.Getenv("ECOWATCH_TEST_PG")
	if dsn == "" {
		t.Fatal("ECOWATCH_TEST_PG is not set (CI sets it): bench bus needs PostgreSQL")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "bus", "--devices", "20", "--writers", "2", "--partitions", "4",
		"--backlog", "100", "--warmup", "200ms", "--duration", "1s", "--db", dsn, "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	var r busBenchReport
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
}

func TestBenchBusUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "bus", "--devices", "0", "--db", "postgres://x@127.0.0.1/x"},
		{"bench", "bus", "--writers", "0", "--db", "postgres://x@127.0.0.1/x"},
		{"bench", "bus", "--db", "sqlite"},
		{"bench", "bus", "extra", "--db", "postgres://x@127.0.0.1/x"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage): %s", args, code, errb.String())
		}
	}
}
