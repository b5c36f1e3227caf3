package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/store"
)

type nopCommitter struct{}

func (nopCommitter) CommitBatch(context.Context, *store.Batch) error { return nil }

func TestBusInitStatus(t *testing.T) {
	srv, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	url := srv.ClientURL()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("ecowatch %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	out := runOK("bus", "init", "--nats", url, "--partitions", "4", "--max-pending", "5000")
	if !strings.Contains(out, "4 partitions, 1 replicas, at most 5000 frames pending") || !strings.Contains(out, "backlog: 0 frames") {
		t.Errorf("bus init printed:\n%s", out)
	}

	// A writer takes the partitions; status names it. Status, run with
	// the default flags (16 partitions), adopts the stream's 4 and
	// changes nothing.
	b, err := bus.Connect(context.Background(), bus.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := bus.NewWriter(b, nopCommitter{}, bus.WriterConfig{ID: "writer-a", LeaseTTL: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for len(w.Owned()) != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("writer owns %v", w.Owned())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out = runOK("bus", "status", "--nats", url)
	if !strings.Contains(out, "4 partitions") || !strings.Contains(out, "at most 5000 frames pending") || !strings.Contains(out, "partitions [0 1 2 3]: writer-a") {
		t.Errorf("bus status printed:\n%s", out)
	}

	// init refuses another partition count on the existing stream.
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"bus", "init", "--nats", url, "--partitions", "8"}, strings.NewReader(""), &o, &e); code != 1 ||
		!strings.Contains(e.String(), "has 4 partitions") {
		t.Errorf("bus init with 8 partitions: exit %d\n%s%s", code, o.String(), e.String())
	}
}

// The roles need a PostgreSQL DSN (flag or environment) and say so.
func TestRolesNeedDB(t *testing.T) {
	t.Setenv("ECOWATCH_DB", "")
	for _, role := range []string{"gateway", "writer", "web"} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{role}, strings.NewReader(""), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "-db (or $ECOWATCH_DB) is required") {
			t.Errorf("ecowatch %s without --db: exit %d, %q", role, code, errb.String())
		}
		errb.Reset()
		if code := run(context.Background(), []string{role, "--db", "postgres://x", "extra"}, strings.NewReader(""), &out, &errb); code != 2 ||
			!strings.Contains(errb.String(), "unexpected arguments") {
			t.Errorf("ecowatch %s with an argument: exit %d, %q", role, code, errb.String())
		}
	}
}

// A writer's --forward-config is checked before anything is connected:
// every error, with its file and line.
func TestWriterForwardConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "forward.yaml")
	if err := os.WriteFile(bad, []byte("targets:\n  - name: province\n    address: 10.0.0.1:9212\n    protocol: \"2019\"\n    select: {all: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"writer", "--db", "postgres://x", "--forward-config", bad},
		{"writer", "--db", "postgres://x", "--forward-config", bad + ".missing"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), "-forward-config") ||
			(!strings.HasSuffix(args[4], ".missing") && !strings.Contains(errb.String(), "forward.yaml:4: targets[0].protocol")) {
			t.Errorf("ecowatch %v: exit %d, %q", args, code, errb.String())
		}
	}
}

func TestServeBusFlag(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--bus", "amqp://x"}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "-bus: want embedded or a nats:// URL") {
		t.Errorf("serve --bus amqp://x: exit %d, %q", code, errb.String())
	}
}
