package e2e

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestCrashNoAckedValueLost runs `ecowatch serve` as a separate process,
// streams minute data from many devices, kills the server with SIGKILL at
// random moments over many cycles, restarts it, and checks that every
// upload the gateway acknowledged (9014) is stored exactly once with the
// values sent. Devices retransmit what was not acknowledged, as HJ 212-2017
// §6.2 says they must.
func TestCrashNoAckedValueLost(t *testing.T) {
	const (
		devices = 24
		cycles  = 10
	)
	dir := t.TempDir()
	dsn := storetest.SQLiteDSN(dir)
	seedRegistry(t, dsn, devices)
	f := startFleet(t, devices)
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range cycles {
		s := f.serve(t, dir, "--batch-interval", "2ms")
		before := f.acks.count.Load()
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		s.kill(t)
		t.Logf("cycle %d: killed after %d new acks", c, f.acks.count.Load()-before)
	}
	// A last run lets devices finish the frames in flight, then stops cleanly.
	s := f.serve(t, dir)
	time.Sleep(500 * time.Millisecond)
	f.halt()
	s.kill(t)

	f.exercised(t, cycles, "the gateway")
	stored := verifyStore(t, dsn, devices, f.acks)
	t.Logf("%d uploads sent (with retransmissions), %d acknowledged, %d stored, all acknowledged ones present exactly once",
		f.acks.sent.Load(), f.acks.count.Load(), stored)
}
