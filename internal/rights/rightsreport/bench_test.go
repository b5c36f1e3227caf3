package rightsreport

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// benchLedger builds a ledger of about n entries: 100 enterprises with
// permits in four counties, credits banked and allocated to projects, and
// agreements between the enterprises over two years.
func benchLedger(b testing.TB, n int) []rights.Entry {
	b.Helper()
	var st rights.State
	var es []rights.Entry
	now := cstTime(2024, 1, 2, 9)
	k := 0
	apply := func(c rights.Command) {
		out, _, err := rights.Apply(&st, c, now)
		if err != nil {
			b.Fatalf("%T: %v", c, err)
		}
		es = append(es, out...)
	}
	meta := func() rights.Meta { k++; return rights.Meta{Key: fmt.Sprintf("k%d", k)} }
	apply(rights.Configure{Meta: meta(), Pollutants: []rights.Pollutant{{Code: "NOx"}, {Code: "COD"}},
		Ratios: []rights.RatioRule{{Region: "*", Pollutant: "NOx", Attainment: rights.NonAttain, ProjectType: "*", Num: 2, Den: 1}}})
	counties := []string{"371502", "371521", "371522", "371523"}
	ent := func(i int) string { return fmt.Sprintf("9137150000000%05d", i) }
	for i := range 100 {
		apply(rights.AllocatePermit{Meta: meta(), Permit: "PW" + ent(i), Enterprise: ent(i), County: counties[i%4],
			Pollutant: "NOx", Quantity: 1_000_000 * t1, ValidFrom: now})
	}
	for i, c := range counties {
		id := fmt.Sprintf("CR%d", i)
		apply(rights.DeclareReduction{Meta: meta(), Credit: id, Enterprise: ent(i), County: c, Pollutant: "NOx",
			Quantity: 1_000_000 * t1, Measure: rights.MeasureClosure, Effective: now, Evidence: []string{"x"}})
		apply(rights.ReviewReduction{Meta: meta(), Credit: id, Approve: true})
		apply(rights.ConfirmReduction{Meta: meta(), Credit: id, Approve: true})
	}
	// About four entries per command: spread them over two years.
	step := 2 * 365 * 24 * time.Hour / time.Duration(n/4)
	for i := 0; len(es) < n; i++ {
		now = now.Add(step)
		if i%10 == 0 {
			c := i / 10 % 4
			apply(rights.ReserveAllocation{Meta: meta(), Allocation: fmt.Sprintf("AL%d", i), EIA: fmt.Sprintf("E%d", i),
				Project: ent(i % 100), Region: counties[c], Pollutant: "NOx", Attainment: rights.NonAttain, Year: now.In(cst).Year(),
				ProjectType: "power", Need: 3 * t1, Credits: []string{fmt.Sprintf("CR%d", c)}})
			continue
		}
		apply(rights.Agreement{Meta: meta(), Contract: fmt.Sprintf("HT%d", i), Seller: rights.Enterprise(ent(i % 100)),
			Buyer: ent((i*7 + 1) % 100), Pollutant: "NOx", Quantity: int64(1+i%50) * 1000, Price: 2_000_000 + int64(i%1000)*100})
	}
	return es
}

func BenchmarkReports(b *testing.B) {
	es := benchLedger(b, 100_000)
	b.Logf("%d entries", len(es))
	b.Run("reservoir", func(b *testing.B) {
		for b.Loop() {
			Reservoir(es, ReservoirFilter{})
		}
	})
	b.Run("projects", func(b *testing.B) {
		for b.Loop() {
			if _, err := Projects(es, ProjectFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trades", func(b *testing.B) {
		for b.Loop() {
			if _, err := Trades(es, TradeFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	acct := rights.Enterprise("913715000000000007")
	b.Run("statement", func(b *testing.B) {
		for b.Loop() {
			Statement(es, acct, Range{})
		}
	})
	b.Run("xlsx_trades", func(b *testing.B) {
		rep, _ := Trades(es, TradeFilter{})
		for b.Loop() {
			if err := WriteXLSX(io.Discard, workbook.Chinese, rep); err != nil {
				b.Fatal(err)
			}
		}
	})
}
