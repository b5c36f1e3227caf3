package store

import (
	"context"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// runForwardSuite checks the outbound queue of forwarding to upper
// platforms on both stores.
func runForwardSuite(t *testing.T, tg target) {
	t.Run("NoRoutesNoQueue", func(t *testing.T) {
		s := openStore(t, tg.dsn(t))
		mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("A", "2051", t0, "a21026-Avg", "1")}})
		stats, err := s.ForwardQueueStats(context.Background())
		if err != nil || len(stats) != 0 {
			t.Fatalf("stats = %v, %v; want none", stats, err)
		}
	})
	t.Run("EnqueuedWithTheCommit", func(t *testing.T) {
		ctx := context.Background()
		s := openStore(t, tg.dsn(t))
		if err := s.SetForwardRoutes(ctx, []ForwardRoute{
			{MN: "A", Target: "prov", CNs: []string{"2051"}},
			{MN: "A", Target: "nat", CNs: []string{"2011", "2051"}},
			{MN: "C", Target: "nat", CNs: nil}, // nothing chosen: no route
		}); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, s, &Batch{Uploads: []model.Upload{
			upload("A", "2051", t0, "a21026-Avg", "1.5", "a21026-Flag", "N"),
			upload("A", "2011", t0.Add(time.Second), "a21026-Rtd", "2"),
			upload("A", "2061", t0, "a21026-Avg", "3"), // CN not routed
			upload("B", "2051", t0, "a21026-Avg", "4"), // device not routed
			upload("C", "2051", t0, "a21026-Avg", "5"),
		}})
		prov, err := s.ForwardPending(ctx, "prov", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(prov) != 1 || prov[0].Upload.MN != "A" || prov[0].Upload.CN != "2051" || len(prov[0].Upload.Values) != 2 ||
			!prov[0].Upload.DataTime.Equal(t0) || prov[0].Missing {
			t.Fatalf("prov queue = %+v", prov)
		}
		nat, err := s.ForwardPending(ctx, "nat", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		// Within one commit the order is the store's (PostgreSQL: by key).
		if len(nat) != 2 || nat[0].Upload.CN == nat[1].Upload.CN || nat[0].ID >= nat[1].ID {
			t.Fatalf("nat queue = %+v", nat)
		}
		if after, _ := s.ForwardPending(ctx, "nat", nat[0].ID, 10); len(after) != 1 || after[0].ID != nat[1].ID {
			t.Fatalf("after %d: %+v", nat[0].ID, after)
		}
		stats, err := s.ForwardQueueStats(ctx)
		if err != nil || len(stats) != 2 || stats[0].Target != "nat" || stats[0].Depth != 2 || stats[1].Depth != 1 ||
			stats[0].Oldest.IsZero() {
			t.Fatalf("stats = %+v, %v", stats, err)
		}
		// Acknowledged entries leave the queue.
		n, err := s.ForwardAcked(ctx, "nat", []ForwardDone{{nat[0].ID, nat[0].Gen}, {nat[1].ID, nat[1].Gen}})
		if err != nil || n != 2 {
			t.Fatalf("ForwardAcked = %d, %v", n, err)
		}
		if left, _ := s.ForwardPending(ctx, "nat", 0, 10); len(left) != 0 {
			t.Fatalf("left %+v", left)
		}
		if left, _ := s.ForwardPending(ctx, "prov", 0, 10); len(left) != 1 {
			t.Fatalf("prov lost its entry: %+v", left)
		}
	})
	t.Run("MergeRaisesGeneration", func(t *testing.T) {
		ctx := context.Background()
		s := openStore(t, tg.dsn(t))
		if err := s.SetForwardRoutes(ctx, []ForwardRoute{{MN: "A", Target: "prov", CNs: []string{"2061"}}}); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("A", "2061", t0, "a21026-Avg", "1")}})
		first, _ := s.ForwardPending(ctx, "prov", 0, 10)
		// The second packet of a split upload arrives while the first
		// is on its way: the acknowledgement of the first keeps the entry.
		mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("A", "2061", t0, "a21002-Avg", "2")}})
		n, err := s.ForwardAcked(ctx, "prov", []ForwardDone{{first[0].ID, first[0].Gen}})
		if err != nil || n != 0 {
			t.Fatalf("ForwardAcked of an older generation = %d, %v; want 0", n, err)
		}
		again, _ := s.ForwardPending(ctx, "prov", 0, 10)
		if len(again) != 1 || again[0].ID != first[0].ID || again[0].Gen != first[0].Gen+1 || len(again[0].Upload.Values) != 2 {
			t.Fatalf("after merge: %+v", again)
		}
		if n, _ := s.ForwardAcked(ctx, "prov", []ForwardDone{{again[0].ID, again[0].Gen}}); n != 1 {
			t.Fatalf("ForwardAcked = %d; want 1", n)
		}
	})
	t.Run("TrimKeepsNewest", func(t *testing.T) {
		ctx := context.Background()
		s := openStore(t, tg.dsn(t))
		if err := s.SetForwardRoutes(ctx, []ForwardRoute{{MN: "A", Target: "prov", CNs: []string{"2051"}}}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("A", "2051", t0.Add(time.Duration(i)*time.Minute), "a21026-Avg", "1")}})
		}
		n, err := s.ForwardTrim(ctx, "prov", 2)
		if err != nil || n != 3 {
			t.Fatalf("ForwardTrim = %d, %v; want 3", n, err)
		}
		left, _ := s.ForwardPending(ctx, "prov", 0, 10)
		if len(left) != 2 || !left[0].Upload.DataTime.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("left %+v", left)
		}
		if n, _ := s.ForwardTrim(ctx, "prov", 2); n != 0 {
			t.Fatalf("second trim removed %d", n)
		}
	})
	t.Run("State", func(t *testing.T) {
		ctx := context.Background()
		s := openStore(t, tg.dsn(t))
		at := t0.Add(time.Hour)
		want := ForwardState{Target: "prov", Address: "127.0.0.1:9000", Connected: true, Sent: 5, Acked: 4, Resent: 1,
			Errors: 2, Evicted: 3, LastAckAt: at, LastError: "连接被拒绝", UpdatedAt: at}
		if err := s.SaveForwardState(ctx, want); err != nil {
			t.Fatal(err)
		}
		want.Acked = 5
		if err := s.SaveForwardState(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.ForwardStates(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("ForwardStates = %+v, %v", got, err)
		}
		g := got[0]
		if g.Target != want.Target || g.Acked != 5 || !g.Connected || !g.LastAckAt.Equal(at) || !g.LastErrorAt.IsZero() ||
			g.LastError != want.LastError || g.Evicted != 3 {
			t.Fatalf("state = %+v; want %+v", g, want)
		}
	})
	t.Run("MissingUpload", func(t *testing.T) {
		ctx := context.Background()
		s := openStore(t, tg.dsn(t))
		if err := s.SetForwardRoutes(ctx, []ForwardRoute{{MN: "A", Target: "prov", CNs: []string{"2051"}}}); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, s, &Batch{Uploads: []model.Upload{upload("A", "2051", t0, "a21026-Avg", "1")}})
		// PostgreSQL purges whole months.
		if _, err := s.PurgeUploadsBefore(ctx, t0.AddDate(0, 2, 0)); err != nil {
			t.Fatal(err)
		}
		left, _ := s.ForwardPending(ctx, "prov", 0, 10)
		if len(left) != 1 || !left[0].Missing {
			t.Fatalf("after purge: %+v", left)
		}
	})
}
