package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestForwardCrash runs two ecowatch processes: the city's, which devices
// upload to and which forwards every device's minute data to the
// province's (an upper platform, itself an ecowatch gateway) as an HJ 212
// client. Either process is killed with SIGKILL at random moments, over
// several cycles, and restarted. Then every upload the city acknowledged
// to its devices must be in the province's store exactly once, with the
// values sent: the city's outbound queue is written in the transaction
// that stores the upload, and an entry leaves it only after the
// province's 9014, which the province sends only after its own commit.
func TestForwardCrash(t *testing.T) {
	const (
		devices = 12
		cycles  = 8
	)
	ctx := context.Background()
	cityDir, provDir := t.TempDir(), t.TempDir()
	for _, dir := range []string{cityDir, provDir} {
		seedRegistry(t, storetest.SQLiteDSN(dir), devices)
	}
	// The province listens on a fixed port, so that the city's
	// configuration can name it across restarts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	provAddr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(cityDir, "forward.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`targets:
  - name: province
    address: %s
    protocol: "2017"
    select: {counties: ["371502"]}
    data: [minute]
    ack_timeout: 2s
    retries: 3
    window: 16
`, provAddr)), 0o644); err != nil {
		t.Fatal(err)
	}
	startProv := func() *server { return startServer(t, provDir, "--gateway-addr", provAddr, "--batch-interval", "2ms") }
	startCity := func() *server { return startServer(t, cityDir, "--forward-config", cfg, "--batch-interval", "2ms") }

	prov := startProv()
	city := startCity()
	f := startFleet(t, devices)
	f.aim(city)
	acks := f.acks

	rng := rand.New(rand.NewPCG(16, 1))
	for c := range cycles {
		before := acks.count.Load()
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		if rng.IntN(2) == 0 {
			city.kill(t)
			city = startCity()
			f.aim(city)
			t.Logf("cycle %d: killed the city after %d new acks", c, acks.count.Load()-before)
		} else {
			prov.kill(t)
			// The province stays down a while: the city's queue grows.
			time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
			prov = startProv()
			t.Logf("cycle %d: killed the province after %d new acks", c, acks.count.Load()-before)
		}
	}
	f.halt()
	f.exercised(t, cycles, "forwarding")

	// Wait until the province holds every upload the city acknowledged;
	// fail only when nothing arrives for 90 s.
	pst, err := store.Open(ctx, storetest.SQLiteDSN(provDir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()
	last, lastAt := -1, time.Now()
	for {
		ups, err := pst.Uploads(ctx, store.UploadQuery{CN: "2051", Limit: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups) >= int(acks.count.Load()) {
			break
		}
		if len(ups) != last {
			last, lastAt = len(ups), time.Now()
		} else if time.Since(lastAt) > 90*time.Second {
			t.Fatalf("the province holds %d of %d acknowledged uploads and nothing arrived for 90 s\ncity:\n%s", len(ups),
				acks.count.Load(), tail(city.stderr.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	stored := verifyAcked(t, pst, devices, acks)
	city.kill(t)
	prov.kill(t)
	t.Logf("%d uploads acknowledged by the city, %d in the province's store, each exactly once with the values sent",
		acks.count.Load(), stored)
}
