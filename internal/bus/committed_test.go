package bus

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The committed feed carries a batch's uploads and contacts (in chunks
// under NATS's payload limit) to every subscriber; an undecodable message
// is reported as a gap, not passed on.
func TestCommittedFeed(t *testing.T) {
	_, url := startServer(t)
	pub := connect(t, Config{URL: url, Partitions: 2})
	sub := connect(t, Config{URL: url, Partitions: 2})
	var mu sync.Mutex
	var got []*store.Batch
	gaps := 0
	unsub, err := sub.SubscribeCommitted(func(b *store.Batch) { mu.Lock(); got = append(got, b); mu.Unlock() },
		func() { mu.Lock(); gaps++; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	defer unsub()
	sub.nc.Flush()

	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	var batch store.Batch
	for i := range 600 {
		batch.Uploads = append(batch.Uploads, model.Upload{MN: fmt.Sprintf("MN%022d", i), CN: "2051", DataTime: t0,
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: fmt.Sprint(i)}}})
	}
	batch.Contacts = []model.Contact{{MN: "MN0000000000000000000000", At: t0, Remote: "10.0.0.1:1", CN: "2051"}}
	batch.Raw = []model.RawFrame{{ReceivedAt: t0, Status: model.RawAccepted, Raw: []byte("##")}}
	if err := pub.PublishCommitted(&batch); err != nil {
		t.Fatal(err)
	}
	if err := pub.nc.Publish(pub.CommittedSubject(), []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	pub.nc.Flush()
	eventually(t, "the feed delivered", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3 && gaps == 1
	})
	mu.Lock()
	defer mu.Unlock()
	var ups []model.Upload
	var contacts []model.Contact
	for _, b := range got {
		ups = append(ups, b.Uploads...)
		contacts = append(contacts, b.Contacts...)
		if len(b.Raw) != 0 {
			t.Error("raw frames travel on the feed")
		}
	}
	if len(got[0].Uploads) != committedChunk || len(ups) != 600 || len(contacts) != 1 || contacts[0] != batch.Contacts[0] {
		t.Fatalf("received %d messages, %d uploads (first %d), contacts %+v", len(got), len(ups), len(got[0].Uploads), contacts)
	}
	for i, u := range ups {
		w := batch.Uploads[i]
		if u.MN != w.MN || !u.DataTime.Equal(w.DataTime) || len(u.Values) != 1 || u.Values[0] != w.Values[0] {
			t.Fatalf("upload %d: %+v, want %+v", i, u, w)
		}
	}
}

func FuzzDecodeCommitted(f *testing.F) {
	var b []byte
	m := Message{Upload: &model.Upload{MN: "A", CN: "2051", Values: []model.Value{{Factor: "a", Field: "Avg", Value: "1"}}}}
	enc := AppendMessage(nil, &m)
	b = append(b, byte(len(enc)))
	b = append(b, enc...)
	f.Add(b)
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeCommitted(data) // must not panic
	})
}

// PublishCommitted reuses its buffers: a 600-upload batch (three feed
// messages) costs a handful of allocations, not two per upload.
func TestPublishCommittedAllocs(t *testing.T) {
	_, url := startServer(t)
	pub := connect(t, Config{URL: url, Partitions: 2})
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	var batch store.Batch
	for i := range 600 {
		batch.Uploads = append(batch.Uploads, model.Upload{MN: fmt.Sprintf("MN%022d", i), CN: "2051", DataTime: t0,
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: fmt.Sprint(i)}}})
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := pub.PublishCommitted(&batch); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 40 {
		t.Errorf("PublishCommitted of 600 uploads: %.0f allocations, want at most 40 (buffers reused)", allocs)
	}
}
