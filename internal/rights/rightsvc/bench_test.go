package rightsvc

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// BenchmarkTransferSQLite and BenchmarkTransferPostgres measure
// administrative transfers (one rights entry each) through the service
// from 64 concurrent clients: Apply, group commit to the store, answer.
// The store is opened as in production (SQLite synchronous=FULL).
func BenchmarkTransferSQLite(b *testing.B) {
	st := storetest.Open(b, storetest.SQLite)
	benchTransfers(b, st)
}

func BenchmarkTransferPostgres(b *testing.B) {
	st := storetest.Open(b, storetest.Postgres)
	benchTransfers(b, st)
}

func benchTransfers(b *testing.B, st store.RightsStore) {
	c := newClock()
	svc := open(b, st, c)
	mustApply(b, svc, config())
	mustApply(b, svc, rights.DeclareReduction{Meta: rights.Meta{Key: "decl"}, Credit: "CR-1", Enterprise: uscc(0), County: "371502",
		Pollutant: "NOx", Quantity: 1_000_000 * t1, Measure: rights.MeasureClosure, Effective: c.Now(), Evidence: []string{"关停验收"}})
	mustApply(b, svc, rights.ReviewReduction{Meta: rights.Meta{Key: "rev"}, Credit: "CR-1", Approve: true})
	mustApply(b, svc, rights.ConfirmReduction{Meta: rights.Meta{Key: "conf"}, Credit: "CR-1", Approve: true})
	var n atomic.Int64
	b.SetParallelism(32) // 64 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			cmd := rights.Transfer{Meta: rights.Meta{Key: "tr-" + strconv.FormatInt(i, 10)}, Pollutant: "NOx", Quantity: 1,
				From: rights.CountyReservoir("371502"), To: rights.City}
			if i%2 == 0 {
				cmd.From, cmd.To = rights.City, rights.CountyReservoir("371502")
			}
			if _, err := svc.Apply(context.Background(), cmd); err != nil {
				// An even transfer may find the city empty: that is a
				// refusal, still a full round through the writer.
				if _, ok := err.(*rights.Refusal); !ok {
					b.Fatal(err)
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// BenchmarkOpen100k measures opening the service on a stored ledger of
// about 100,000 entries (20,000 settlements): read every row, Replay with
// the full verification, build the indexes. It is also the cost of the
// reload after a failed write.
func BenchmarkOpen100k(b *testing.B) {
	st := storetest.Open(b, storetest.SQLite)
	c := newClock()
	svc := open(b, st, c)
	seedEnterprises(b, svc, 100, 1_000_000*t1)
	var waits []func(context.Context) (rights.Result, error)
	for i := range 20_000 {
		w, err := svc.Submit(context.Background(), rights.Agreement{Meta: rights.Meta{Key: "ag-" + strconv.Itoa(i)},
			Contract: "HT-" + strconv.Itoa(i), Seller: rights.Enterprise(uscc(i % 100)), Buyer: uscc((i*7 + 1) % 100),
			Pollutant: "NOx", Quantity: 1 + int64(i%1000)*1000, Price: 3_000_000})
		if err != nil {
			b.Fatal(err)
		}
		waits = append(waits, w)
	}
	for _, w := range waits {
		if _, err := w(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	seq, _ := svc.Head()
	svc.Close()
	b.ResetTimer()
	for b.Loop() {
		s, err := Open(context.Background(), st, Options{Now: c.Now})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(float64(seq)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
