package gateway

import (
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// OnCommit sees each committed upload and contact before the device gets
// its acknowledgement, and a copy taken in the hook stays intact after
// the gateway reuses the batch.
func TestOnCommit(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC))
	cfg := testConfig(clk)
	var mu sync.Mutex
	var seen []model.Upload
	var contacts []string
	cfg.OnCommit = func(b *store.Batch) {
		mu.Lock()
		defer mu.Unlock()
		for _, u := range b.Uploads {
			u.Values = append([]model.Value(nil), u.Values...)
			seen = append(seen, u)
		}
		for _, c := range b.Contacts {
			contacts = append(contacts, c.MN)
		}
	}
	st := newFakeStore()
	srv := startServer(t, cfg, st)
	d := dialDevice(t, srv.Addr().String(), testDevices[2].MN, testDevices[2].Password)
	h := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC) // three hours before the clock
	for i, v := range []string{"11.5", "12.5", "13.5"} {
		d.write(d.dataFrame(d.qn(), "2061", h.Add(time.Duration(i)*time.Hour), "w01018-Avg", v, "w01018-Flag", "N"))
		d.next("9014")
		// The ack comes after the hook: the hook has seen this upload.
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n != i+1 {
			t.Fatalf("after ack %d the hook saw %d uploads", i+1, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, u := range seen {
		if u.MN != testDevices[2].MN || u.CN != "2061" || !u.DataTime.Equal(h.Add(time.Duration(i)*time.Hour)) ||
			len(u.Values) != 2 || u.Values[0] != (model.Value{Factor: "w01018", Field: "Avg", Value: []string{"11.5", "12.5", "13.5"}[i]}) {
			t.Errorf("upload %d: %+v", i, u)
		}
	}
	if len(contacts) != 3 || contacts[0] != testDevices[2].MN {
		t.Errorf("contacts %v", contacts)
	}
}
