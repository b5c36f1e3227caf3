package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestBackupDuringCrashLoop takes backups with `ecowatch backup` (a
// separate process) while `ecowatch serve` ingests and is killed with
// SIGKILL at random moments, some of them while the backup runs. Each
// backup restores (`ecowatch restore`) to a store holding every upload
// acknowledged before that backup began, with the values sent.
func TestBackupDuringCrashLoop(t *testing.T) {
	const (
		devices = 16
		cycles  = 6
	)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	seedRegistry(t, storetest.SQLiteDSN(data), devices)
	f := startFleet(t, devices)
	acks := f.acks

	type taken struct {
		out    string
		before map[uploadKey]string // acknowledged before the backup began
	}
	var backups []taken
	rng := rand.New(rand.NewPCG(3, 4))
	for c := range cycles {
		s := f.serve(t, data, "--batch-interval", "2ms")
		// Let the devices get acknowledgements in this cycle first.
		from := acks.count.Load()
		for acks.count.Load() < from+int64(devices) {
			select {
			case err := <-s.done:
				t.Fatalf("serve exited: %v\n%s", err, s.stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
		acks.mu.Lock()
		before := make(map[uploadKey]string, len(acks.acked))
		for k, v := range acks.acked {
			before[k] = v
		}
		acks.mu.Unlock()
		out := filepath.Join(dir, fmt.Sprintf("backup-%d", c))
		cmd := exec.Command(binPath, "backup", "--data-dir", data, "--out", out)
		done := make(chan error, 1)
		var output []byte
		go func() {
			var err error
			output, err = cmd.CombinedOutput()
			done <- err
		}()
		// Kill the server while the backup runs, or just after it.
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		s.kill(t)
		if err := <-done; err != nil {
			t.Fatalf("cycle %d: ecowatch backup: %v\n%s", c, err, output)
		}
		backups = append(backups, taken{out, before})
		t.Logf("cycle %d: %s", c, output)
	}
	for i, b := range backups {
		target := filepath.Join(dir, fmt.Sprintf("restored-%d", i))
		if out, err := exec.Command(binPath, "restore", "--from", b.out, "--data-dir", target).CombinedOutput(); err != nil {
			t.Fatalf("ecowatch restore %s: %v\n%s", b.out, err, out)
		}
		n := verifyStore(t, storetest.SQLiteDSN(target), devices, &ackLog{acked: b.before})
		t.Logf("backup %d: %d uploads acknowledged before it began, all present among the %d restored", i, len(b.before), n)
	}
}
