package rights

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkApplyTransfer measures Apply of one administrative transfer
// (one rights entry: body digest, planning, hashing, fold with undo log).
func BenchmarkApplyTransfer(b *testing.B) {
	l := newLedger(b)
	l.credit("CR", dongchangfu, "NOx", 1_000_000*t1)
	cmd := Transfer{Pollutant: "NOx", Quantity: t1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		cmd.Key = "tr-" + strconv.Itoa(i)
		cmd.From, cmd.To = CountyReservoir(dongchangfu), City
		if i%2 == 1 {
			cmd.From, cmd.To = City, CountyReservoir(dongchangfu)
		}
		l.now = l.now.Add(time.Millisecond)
		if _, _, err := Apply(&l.s, cmd, l.now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// BenchmarkApplyAgreement measures a full settlement between enterprises:
// contract event, delivery, payment record and two permit-change records
// (five entries) in one Apply, across 1,000 enterprises.
func BenchmarkApplyAgreement(b *testing.B) {
	const n = 1000
	l := newLedger(b)
	for i := range n {
		l.apply(AllocatePermit{Meta: Meta{Key: "p" + strconv.Itoa(i)}, Permit: "PW" + strconv.Itoa(i), Enterprise: uscc(i),
			County: dongchangfu, Pollutant: "NOx", Quantity: 100_000 * t1, ValidFrom: l.now})
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s, t := r.IntN(n), r.IntN(n-1)
		if t >= s {
			t++
		}
		l.now = l.now.Add(time.Millisecond)
		cmd := Agreement{Meta: Meta{Key: "ag" + strconv.Itoa(i)}, Contract: "HT" + strconv.Itoa(i), Seller: Enterprise(uscc(s)),
			Buyer: uscc(t), Pollutant: "NOx", Quantity: 1 + r.Int64N(10*t1), Price: 3_000_000}
		if _, _, err := Apply(&l.s, cmd, l.now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "settlements/s")
}

func uscc(i int) string { return fmt.Sprintf("913715000000%06d", i) }

var (
	millionOnce    sync.Once
	millionEntries []Entry
)

// million builds a ledger of at least 1,000,000 entries: permits for 1,000
// enterprises, then agreements between random pairs (five entries each).
func million(b *testing.B) []Entry {
	millionOnce.Do(func() {
		const n = 1000
		l := newLedger(b)
		for i := range n {
			l.apply(AllocatePermit{Meta: Meta{Key: "p" + strconv.Itoa(i)}, Permit: "PW" + strconv.Itoa(i), Enterprise: uscc(i),
				County: dongchangfu, Pollutant: "NOx", Quantity: 100_000 * t1, ValidFrom: l.now, Paid: true})
		}
		r := rand.New(rand.NewPCG(3, 4))
		for i := 0; len(l.entries) < 1_000_000; i++ {
			s, t := r.IntN(n), r.IntN(n-1)
			if t >= s {
				t++
			}
			l.now = l.now.Add(time.Millisecond)
			es, _, err := Apply(&l.s, Agreement{Meta: Meta{Key: "ag" + strconv.Itoa(i)}, Contract: "HT" + strconv.Itoa(i),
				Seller: Enterprise(uscc(s)), Buyer: uscc(t), Pollutant: "NOx", Quantity: 1 + r.Int64N(10*t1), Price: 3_000_000}, l.now)
			if err != nil {
				b.Fatal(err)
			}
			l.entries = append(l.entries, es...)
		}
		millionEntries = l.entries
	})
	return millionEntries
}

// BenchmarkVerify1M runs Verify (hash chain, fold, final audit) over a
// ledger of one million entries.
func BenchmarkVerify1M(b *testing.B) {
	es := million(b)
	b.ResetTimer()
	for range b.N {
		if err := Verify(es); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(es))*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
