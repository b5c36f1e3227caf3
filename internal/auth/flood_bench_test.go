package auth

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// BenchmarkLoginFlood measures how many passwords are checked (argon2id at
// the production cost) under a flood of concurrent wrong logins, 64 at a
// time: at one user name from ever new addresses (the limit holds it to 5
// a window), and at ever new names from ever new addresses (a botnet: only
// the CPU limits it, and MaxChecks the memory).
//
//	go test -run X -bench LoginFlood -benchtime 20s ./internal/auth
func BenchmarkLoginFlood(b *testing.B) {
	for _, sc := range []struct {
		name string
		user func(i int64) string
	}{
		{"one-user", func(int64) string { return "alice" }},
		{"new-names", func(i int64) string { return fmt.Sprintf("n%d", i) }},
	} {
		b.Run(sc.name, func(b *testing.B) {
			m := newMem()
			h, _ := HashPassword("the-right-password", DefaultParams)
			m.users["alice"] = model.User{ID: "alice", Role: model.RoleCity, PasswordHash: h}
			var checks, seq atomic.Int64
			s := New(m, Options{Verify: func(h, pw string) (bool, error) { checks.Add(1); return VerifyPassword(h, pw) }})
			b.SetParallelism(32)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					_, _, _ = s.Login(context.Background(), sc.user(i), "wrong-password", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
				}
			})
			el := time.Since(start)
			b.ReportMetric(float64(checks.Load()), "checked")
			b.ReportMetric(float64(checks.Load())/el.Minutes(), "checked/min")
			b.ReportMetric(float64(seq.Load())/el.Seconds(), "attempts/s")
		})
	}
}
