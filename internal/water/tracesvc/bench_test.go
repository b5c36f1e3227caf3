package tracesvc

import (
	"context"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"testing"
)

// BenchmarkTraceStore: one tracing query through the SQLite store on the
// scenario of TestTraceThroughStore (4 outfalls with hourly uploads, the
// section's hourly series): registry reads, network build, series reads
// and the engine.
func BenchmarkTraceStore(b *testing.B) {
	st, first := scenario(b, storetest.SQLite, 1, 2)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Run(context.Background(), st, Query{Section: "S1", Time: first, Factor: "NH3-N"})
		if err != nil || rep.Candidates[0].Outfall != "O2" {
			b.Fatal(err)
		}
	}
}
