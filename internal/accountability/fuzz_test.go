package accountability

import (
	"testing"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// FuzzCompensate: any numbers either settle with receivable − payable equal
// to the sum of the amounts, or are refused; never a panic.
func FuzzCompensate(f *testing.F) {
	f.Add(50.0, 55.0, 90.0, 90.0, 70.0, 68.4, uint8(2))
	f.Add(-1.0, 1e7, 0.05, 0.15, 0.0, 0.0, uint8(1))
	f.Fuzz(func(t *testing.T, c1, l1, c2, l2, g1, g2 float64, q uint8) {
		in := []CompInput{
			{County: "a", Current: AirValues{Conc: conc(c1, c2, 10, 20), GoodDays: &g1}, LastYear: AirValues{Conc: conc(l1, l2, 11, 20), GoodDays: &g2}},
			{County: "370200", Current: AirValues{Conc: conc(c2, c1, 10, 20), GoodDays: &g2}, LastYear: AirValues{Conc: conc(l2, l1, 10, 21), GoodDays: &g1}},
		}
		s, err := Compensate(ShandongFormulas(), chinatime.Period{Kind: chinatime.Quarter, Year: 2014 + int(q%6), N: 1 + int(q%4)}, in)
		if err != nil {
			return
		}
		var sum int64
		for _, l := range s.Lines {
			sum += l.Amount
			if l.Amount%10_000 != 0 {
				t.Fatalf("amount %d not in whole 万元", l.Amount)
			}
		}
		if sum != s.Receivable-s.Payable {
			t.Fatalf("sum %d, receivable %d, payable %d", sum, s.Receivable, s.Payable)
		}
	})
}
