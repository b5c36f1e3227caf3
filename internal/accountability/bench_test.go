package accountability

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// 159 counties: the size of Shandong's county ranking.
func benchInput() ([]CountyValues, []Target, []CompInput) {
	var vs []CountyValues
	var ts []Target
	var cs []CompInput
	for i := range 159 {
		c := fmt.Sprintf("c%03d", i)
		f := float64(i % 37)
		vs = append(vs, cv(c, c, 30+f, 50+f/2, 3+f/10, f-18, 60+f, 80+f/2))
		ts = append(ts, Target{c, PM25, 45}, Target{c, GoodDays, 60}, Target{c, WaterCompliance, 90}, Target{c, TotalQuantity, 100})
		cs = append(cs, CompInput{County: c, Current: AirValues{Conc: conc(40+f, 80, 10, 30), GoodDays: ptr(70)}, LastYear: AirValues{Conc: conc(45, 82+f/3, 11, 30), GoodDays: ptr(68.4)}})
	}
	return vs, ts, cs
}

func BenchmarkAssessAndTrigger159(b *testing.B) {
	vs, ts, _ := benchInput()
	at := time.Date(2026, 4, 10, 0, 0, 0, 0, chinatime.Zone)
	for b.Loop() {
		a, err := Assess(testSchemes(), chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, vs, ts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Evaluate(testRules(), a, nil, at); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompensate159(b *testing.B) {
	_, _, cs := benchInput()
	for b.Loop() {
		if _, err := Compensate(ShandongFormulas(), chinatime.Period{Kind: chinatime.Quarter, Year: 2018, N: 1}, cs); err != nil {
			b.Fatal(err)
		}
	}
}
