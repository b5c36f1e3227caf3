package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestEndToEnd(t *testing.T) { storetest.Run(t, testEndToEnd) }

// testEndToEnd runs devices against the gateway on a real store: every
// acknowledged value is stored exactly once, retransmissions and split
// packets merge, quarantined and rejected frames are archived, and the
// back-fill reads the real store's upload times.
func testEndToEnd(t *testing.T, st store.Store) {
	clk := newClock(t0)
	cfg := testConfig(clk)
	cfg.BackfillWindow = 3 * time.Hour
	s := startServer(t, cfg, st)
	addr := s.Addr().String()
	ctx := context.Background()

	dev := testDevices[0]
	d := dialDevice(t, addr, dev.MN, dev.Password)
	// Two hourly uploads three hours apart leave a gap to back-fill.
	d.write(d.dataFrame("20261128120000001", "2061", t0.Add(-3*time.Hour), "w01018-Avg", "20.5", "w01018-Cou", "3.1"))
	d.next("9014")
	d.write(d.dataFrame("20261128120000002", "2061", t0.Add(-time.Hour), "w01018-Avg", "21.5", "w01018-Cou", "3.3"))
	d.next("9014")
	// A 1012 came on connect: answer it.
	cal := d.next("1012")
	d.answer(cal, "9011", "QnRtn=1")
	d.answer(cal, "9012", "ExeRtn=1")

	// A retransmission of the same minute frame.
	m := d.dataFrame("20261128120000003", "2051", t0.Add(-10*time.Minute), minuteVals...)
	d.write(m)
	d.next("9014")
	d.write(m)
	d.next("9014")

	// Unknown device and a bad CRC on a second connection.
	bad := dialDevice(t, addr, "FFFF00000000000000000000", "123456")
	bad.write(bad.dataFrame("20261128120000004", "2051", t0, minuteVals...))
	broken := d.dataFrame("20261128120000005", "2051", t0, minuteVals...)
	broken[len(broken)-3] ^= 1 // flips a CRC digit
	bad.write(broken)
	good := &testDevice{t: t, mn: testDevices[1].MN, pw: testDevices[1].Password}
	bad.write(good.dataFrame("20261128120000006", "2011", t0, "a21026-Rtd", "35.2", "a21026-Flag", "N"))
	if ack := bad.next("9014"); string(ack.QN) != "20261128120000006" {
		t.Fatalf("ack for %s; only the good frame may be acked", ack.QN)
	}

	ups, err := st.Uploads(ctx, store.UploadQuery{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		mn, cn string
		dt     time.Time
	}
	got := map[key]int{}
	for _, u := range ups {
		got[key{u.MN, u.CN, u.DataTime}] = len(u.Values)
	}
	want := map[key]int{
		{dev.MN, "2061", t0.Add(-3 * time.Hour)}:    2,
		{dev.MN, "2061", t0.Add(-time.Hour)}:        2,
		{dev.MN, "2051", t0.Add(-10 * time.Minute)}: 8,
		{good.mn, "2011", t0}:                       2,
	}
	if len(got) != len(want) {
		t.Errorf("uploads = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("upload %v has %d values, want %d", k, got[k], n)
		}
	}

	raws, err := st.RawFrames(ctx, store.RawQuery{})
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	for _, r := range raws {
		byStatus[r.Status]++
		if len(r.Raw) == 0 || !strings.HasPrefix(string(r.Raw), "##") {
			t.Errorf("raw frame %d has bytes %q", r.ID, r.Raw)
		}
	}
	if byStatus[model.RawQuarantined] != 1 || byStatus[model.RawRejected] != 1 || byStatus[model.RawDuplicate] != 1 {
		t.Errorf("raw frames by status = %v", byStatus)
	}

	// Back-fill against the real store: reconnect; the gap at t0-2h is
	// requested.
	d2 := dialDevice(t, addr, dev.MN, dev.Password)
	d2.write(d2.dataFrame("20261128120000007", "2011", t0, "w01018-Rtd", "1"))
	req := d2.next("2061")
	b, _ := req.Get("BeginTime")
	e, _ := req.Get("EndTime")
	if string(b) != "20261128100000" || string(e) != "20261128100000" {
		t.Errorf("back-fill request %s..%s, want 20261128100000 (10:00 China time)", b, e)
	}
	d2.answer(req, "9011", "QnRtn=1")
	d2.write(d2.dataFrame(d2.qn(), "2061", t0.Add(-2*time.Hour), "w01018-Avg", "22", "w01018-Cou", "3"))
	d2.next("9014")
	d2.answer(req, "9012", "ExeRtn=1")
	waitFor(t, "back-fill done", func() bool { return s.Stats().BackfillDone == 1 })
	// The 9014 read above may be the live 2011 upload's (acks of one
	// batch arrive in any order): wait for the back-filled hour's commit.
	var times []time.Time
	waitFor(t, "the back-filled hour stored", func() bool {
		times, err = st.UploadTimes(ctx, dev.MN, "2061", t0.Add(-4*time.Hour), t0)
		return err == nil && len(times) == 3
	})
	if err != nil {
		t.Fatal(err)
	}
	contacts, err := st.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(contacts) != 2 {
		t.Errorf("contacts = %+v, want the two authenticated devices", contacts)
	}
}

// TestRawRetentionPurge checks the background purge on a real store.
func TestRawRetentionPurge(t *testing.T) { storetest.Run(t, testRawRetentionPurge) }

func testRawRetentionPurge(t *testing.T, st store.Store) {
	ctx := context.Background()
	old := model.RawFrame{ReceivedAt: t0.Add(-48 * time.Hour), Remote: "x", Status: model.RawRejected, Raw: []byte("##")}
	recent := old
	recent.ReceivedAt = t0.Add(-time.Hour)
	if err := st.CommitBatch(ctx, &store.Batch{Raw: []model.RawFrame{old, recent}}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(newClock(t0))
	cfg.RawRetention = 24 * time.Hour
	s := startServer(t, cfg, st)
	waitFor(t, "the purge", func() bool { return s.Stats().RawPurged == 1 })
	raws, err := st.RawFrames(ctx, store.RawQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) != 1 || !raws[0].ReceivedAt.Equal(recent.ReceivedAt) {
		t.Errorf("raw frames after purge = %+v, want only the recent one", raws)
	}
}
