package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs `ecowatch demo` as a user would (on a fresh data
// directory) and checks through the HTTP API that the city is there,
// devices come online, history is back-filled, unregistered devices are
// quarantined, and that SIGTERM stops it cleanly.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	cmd := exec.Command(binPath, "demo", "--data-dir", filepath.Join(dir, "demo"),
		"--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--ready-file", ready, "--duration", "5m")
	out := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	}()

	var addr struct{ HTTP string }
	waitUntil(t, 60*time.Second, "ready file", func() bool {
		b, err := os.ReadFile(ready)
		return err == nil && json.Unmarshal(b, &addr) == nil && addr.HTTP != ""
	})
	base := "http://" + addr.HTTP

	var counties struct{ Counties []struct{ Code, Name string } }
	getJSON(t, base+"/api/v1/counties", &counties)
	if len(counties.Counties) != 11 {
		t.Errorf("demo city has %d county-level units, want 11", len(counties.Counties))
	}

	type devList struct {
		Devices []struct{ MN, State string }
	}
	var online int
	var firstOnline string
	waitUntil(t, 90*time.Second, "most devices online", func() bool {
		var d devList
		getJSON(t, base+"/api/v1/devices", &d)
		online = 0
		for _, x := range d.Devices {
			if x.State == "online" {
				online++
				if firstOnline == "" {
					firstOnline = x.MN
				}
			}
		}
		return len(d.Devices) >= 500 && online >= 400
	})

	// History back-filled on connect: a device has hourly data of the
	// last day although the demo has run for seconds only.
	waitUntil(t, 90*time.Second, "back-filled hourly data", func() bool {
		var m struct {
			Series []struct{ Points []json.RawMessage }
		}
		getJSON(t, fmt.Sprintf("%s/api/v1/measurements?mn=%s&period=hour&from=%s", base, firstOnline,
			time.Now().Add(-20*time.Hour).Format(time.RFC3339)), &m)
		n := 0
		for _, s := range m.Series {
			n += len(s.Points)
		}
		return n >= 10
	})

	// The demo's unregistered devices end up in the quarantine.
	waitUntil(t, 120*time.Second, "quarantined frames of unregistered devices", func() bool {
		var q struct {
			Frames []struct{ MN, Status, Reason string }
		}
		getJSON(t, base+"/api/v1/quarantine", &q)
		for _, f := range q.Frames {
			if f.Status == "quarantined" && len(f.MN) > 5 && f.MN[:5] == "UNREG" {
				return true
			}
		}
		return false
	})

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err // for the deferred clean-up
		if err != nil {
			t.Errorf("demo exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop within 60 s of SIGTERM")
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b.String())
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
