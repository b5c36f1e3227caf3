package gateway

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// badFrame is a frame of about size bytes whose CRC does not match: what
// an anonymous connection can send without any credential.
func badFrame(i, size int) []byte {
	m := hj212.Message{QN: fmt.Sprintf("20261128120000%03d", i%1000), ST: "32", CN: "2051", PW: "000000",
		MN: fmt.Sprintf("BAD%021d", i), Flag: 5,
		CP: []hj212.KV{{Key: "DataTime", Value: "20261128120000"}, {Key: "a21026-Avg", Value: strings.Repeat("9", size-200)}}}
	b := m.AppendFrame(nil)
	b[len(b)-3] ^= 1 // flips a CRC digit
	return b
}

// flood sends n bad frames of size bytes on one connection and waits
// until the gateway has seen them all, and the good device's round trip
// after them shows they were committed.
func flood(t *testing.T, s *Server, n, size int, good *testDevice) {
	t.Helper()
	d := dialDevice(t, s.Addr().String(), "", "")
	before := s.Stats().RejectedReceived
	go func() {
		for i := range n {
			if _, err := d.nc.Write(badFrame(i, size)); err != nil {
				return
			}
		}
	}()
	waitFor(t, "the flood to be received", func() bool { return s.Stats().RejectedReceived-before == uint64(n) })
	roundTrip(t, good, n)
}

// TestArchiveBoundedUnderFlood: 10,000 distinct bad 9 KB frames and 1,000
// copies of one from one anonymous connection archive at most the
// source's hourly budget plus one sample; the rest is counted by why.
func TestArchiveBoundedUnderFlood(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	s := startServer(t, cfg, st)
	good := dialDevice(t, s.Addr().String(), testDevices[2].MN, testDevices[2].Password)
	roundTrip(t, good, 1)
	n := 10000
	if raceEnabled {
		n = 2000 // still 70 times the source's budget
	}
	flood(t, s, n, 9000, good)

	var bytes int
	for _, r := range st.rawByStatus(model.RawRejected) {
		bytes += len(r.Raw)
	}
	budget := int(DefaultConfig().ArchivePerSource) + 9000
	if bytes > budget {
		t.Errorf("archived %d bytes of the flood, budget %d", bytes, budget)
	}
	got := s.Stats()
	if got.ArchiveFrames+got.ArchiveSkippedSource+got.ArchiveSkippedDuplicate+got.ArchiveSkippedTotal != uint64(n) {
		t.Errorf("archive counters %+v do not add up to the %d frames", got, n)
	}
	t.Logf("flood of %d × 9 KB: %d frames (%d bytes) archived, %d skipped over the source budget",
		n, got.ArchiveFrames, bytes, got.ArchiveSkippedSource)

	// An hour later the source has a fresh budget; identical copies of
	// one frame are archived once.
	clk.Advance(time.Hour)
	d := dialDevice(t, s.Addr().String(), "", "")
	one := badFrame(123456, 500)
	before := s.Stats()
	for range 1000 {
		d.write(one)
	}
	waitFor(t, "the copies to be received", func() bool { return s.Stats().RejectedReceived-before.RejectedReceived == 1000 })
	after := s.Stats()
	if n := after.ArchiveFrames - before.ArchiveFrames; n != 1 {
		t.Errorf("1000 copies archived %d times, want once", n)
	}
	if n := after.ArchiveSkippedDuplicate - before.ArchiveSkippedDuplicate; n != 999 {
		t.Errorf("%d copies counted as duplicates, want 999", n)
	}
}

// TestArchiveBudgetUnit: sampling once over a source's budget, the daily
// cap of all sources, and a bounded table under cycled addresses.
func TestArchiveBudgetUnit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ArchivePerSource, cfg.ArchiveDaily, cfg.AuthSources = 1000, 5000, 10
	cfg = cfg.withDefaults()
	a := newArchiveBudget(&cfg)
	src := sourceKey(netip.MustParseAddr("192.0.2.1"))
	now := t0
	frame := func(i int) []byte { return fmt.Appendf(nil, "%0100d", i) }
	admitted := 0
	for i := range 100 {
		if a.admit(src, frame(i), now) == "" {
			admitted++
		}
	}
	if admitted != 11 { // 10 within the budget, then one sample
		t.Errorf("%d of 100 admitted, want 10 and one sample", admitted)
	}
	if why := a.admit(src, frame(1000), now.Add(30*time.Second)); why != skipSource {
		t.Errorf("within the sample interval: %q", why)
	}
	if why := a.admit(src, frame(1001), now.Add(time.Minute)); why != "" {
		t.Errorf("a minute later: %q, want one more sample", why)
	}
	// Other sources fill the day's cap.
	total := 0
	for i := range 1000 {
		s := sourceKey(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		if a.admit(s, frame(2000+i), now) == skipTotal {
			total++
		}
	}
	if total == 0 || a.size() > cfg.AuthSources {
		t.Errorf("daily cap hit %d times, %d sources tracked (bound %d)", total, a.size(), cfg.AuthSources)
	}
	if why := a.admit(src, frame(5000), now.Add(25*time.Hour)); why != "" {
		t.Errorf("next day: %q", why)
	}
}

// TestArchiveGrowthSQLite measures the store growth that 10,000 bad 9 KB
// frames from one anonymous connection cause (README, "Abuse limits").
func TestArchiveGrowthSQLite(t *testing.T) {
	dir := t.TempDir()
	dsn := storetest.SQLiteDSN(dir)
	size := func() int64 {
		var n int64
		for _, f := range []string{"ecowatch.db", "ecowatch.db-wal"} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := size()
	st, err = store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(newClock(t0))
	cfg.Now = time.Now // the flood's own pace decides the sampling
	s := New(cfg, st, NewDeviceTable(testDevices), nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	good := dialDevice(t, s.Addr().String(), testDevices[2].MN, testDevices[2].Password)
	roundTrip(t, good, 1)
	start := time.Now()
	n := 10000
	if raceEnabled {
		n = 2000
	}
	flood(t, s, n, 9000, good)
	took := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	growth := size() - before
	got := s.Stats()
	t.Logf("%d bad 9 KB frames in %v: store grew %d bytes (%.2f MiB); %d archived, %d over the source budget",
		n, took.Round(time.Millisecond), growth, float64(growth)/(1<<20), got.ArchiveFrames, got.ArchiveSkippedSource)
	if growth > 2<<20 {
		t.Errorf("store grew %d bytes, want under 2 MiB", growth)
	}
}
