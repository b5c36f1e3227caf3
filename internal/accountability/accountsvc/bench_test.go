package accountsvc

import (
	"context"
	"testing"
)

// BenchmarkAssessQuarter: a quarter's assessment of two counties from two
// years of stored hourly air data (three stations), stored each time.
func BenchmarkAssessQuarter(b *testing.B) {
	svc, st := setupB(b)
	ctx := context.Background()
	if err := st.PutAccountConfig(ctx, testConfig()); err != nil {
		b.Fatal(err)
	}
	putTargetsB(b, st)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Assess(ctx, q3); err != nil {
			b.Fatal(err)
		}
	}
}
