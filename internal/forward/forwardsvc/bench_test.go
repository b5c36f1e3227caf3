package forwardsvc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
)

// BenchmarkForward measures the forwarding rate against the ingest rate
// of the same store in the same run: b.N minute uploads of 24 devices are
// committed in batches of 200 (as the gateway's group commit does) while
// the target forwards them to an upper platform on loopback that answers
// each with 9014 at once. Reported: the ingest rate, the forwarding rate
// (uploads acknowledged per second, from the first commit to the last
// acknowledgement), their ratio, and the mean time from commit to
// acknowledgement (the lag under this load).
//
//	go test -run X -bench Forward -benchtime 20000x ./internal/forward/forwardsvc
func BenchmarkForward(b *testing.B) {
	for _, window := range []int{1, 32} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			up := newUpper(b)
			st, cfg := setup(b, `targets:
  - name: prov
    address: `+up.ln.Addr().String()+`
    select: {all: true}
    data: [minute]
    window: `+fmt.Sprint(window)+`
`)
			ctx := context.Background()
			svc := New(st, cfg, Options{Poll: 5 * time.Millisecond, StatsEvery: time.Hour})
			if err := svc.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer svc.Stop()
			t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
			ups := minutes(mn1, t0, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < len(ups); i += 200 {
				if err := st.CommitBatch(ctx, &store.Batch{Uploads: ups[i:min(i+200, len(ups))]}); err != nil {
					b.Fatal(err)
				}
			}
			ingest := time.Since(start)
			for svc.Status()[0].Acked < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			fwd := time.Since(start)
			b.StopTimer()
			s := svc.Status()[0]
			b.ReportMetric(float64(b.N)/ingest.Seconds(), "ingest/s")
			b.ReportMetric(float64(b.N)/fwd.Seconds(), "forwarded/s")
			b.ReportMetric(ingest.Seconds()/fwd.Seconds(), "forward/ingest")
			b.ReportMetric(s.AckLagSum.Seconds()/float64(max(1, s.AckLagCount)), "lag-s")
		})
	}
}
