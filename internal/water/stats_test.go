package water

import (
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func decs(ss ...string) []Dec {
	out := make([]Dec, len(ss))
	for i, s := range ss {
		out[i] = mustDec(s)
	}
	return out
}

func TestMeanPH(t *testing.T) {
	tests := []struct {
		in   []Dec
		want string // rounded to 2 decimals
	}{
		// Vector of sm1lewc/Journey.SurfaceWater's PHAverageService test;
		// the arithmetic mean would be 7.98.
		{decs("6.5", "7.9", "8.8", "9", "6.78", "8.87"), "7.08"},
		{decs("7", "7"), "7"},
		{decs("6", "8"), "6.3"}, // -lg((1e-6+1e-8)/2) = 6.2967
		{decs("7.6", "6.8"), "7.04"},
	}
	for _, tt := range tests {
		got, ok := MeanPH(tt.in)
		if !ok || got.Round(2).String() != tt.want {
			t.Errorf("MeanPH(%v) = %s, want %s", tt.in, got, tt.want)
		}
		// Mean(PH, …) must agree.
		vs := make([]Value, len(tt.in))
		for i, d := range tt.in {
			vs[i] = Value{V: d}
		}
		if m, _ := Mean(PH, vs); m != got {
			t.Errorf("Mean(PH) = %s, MeanPH = %s", m, got)
		}
	}
	if _, ok := MeanPH(nil); ok {
		t.Error("MeanPH(nil) ok")
	}
}

func TestMeanBelowDL(t *testing.T) {
	tests := []struct {
		name string
		vs   []Value
		want string
	}{
		{"half the detection limit", []Value{{V: mustDec("0.5")}, {V: mustDec("0.025"), BelowDL: true}}, "0.25625"},
		{"all below", []Value{{V: mustDec("0.01"), BelowDL: true}, {V: mustDec("0.01"), BelowDL: true}}, "0.005"},
		{"exact decimal mean", []Value{{V: mustDec("0.1")}, {V: mustDec("0.2")}}, "0.15"},
		{"thirds rounded half-even at 1e-9", []Value{{V: mustDec("1")}, {V: 0}, {V: 0}}, "0.333333333"},
	}
	for _, tt := range tests {
		got, ok := Mean(NH3N, tt.vs)
		if !ok || got.String() != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

var cst = chinatime.Zone

func TestPeriodMeans(t *testing.T) {
	at := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 10, 0, 0, 0, cst) }
	rs := []Reading{
		{at(time.January, 3), Value{V: mustDec("1.0")}},
		{at(time.January, 20), Value{V: mustDec("2.0")}},
		{at(time.February, 5), Value{V: mustDec("0.3")}},
		{at(time.March, 1), Value{V: mustDec("0.2"), BelowDL: true}}, // counts 0.1
		{at(time.March, 15), Value{V: mustDec("0.5")}},
		{at(time.March, 28), Value{V: mustDec("0.6")}},
		{at(time.April, 2), Value{V: mustDec("4")}},
		// 2025-03-31 23:30 in UTC is 2025-04-01 07:30 in CST: April.
		{time.Date(2025, time.March, 31, 23, 30, 0, 0, time.UTC).In(cst), Value{V: mustDec("2")}},
	}
	ms := MonthlyMeans(NH3N, rs)
	want := []string{"2025-1 1.5 2", "2025-2 0.3 1", "2025-3 0.4 3", "2025-4 3 2"}
	if len(ms) != len(want) {
		t.Fatalf("%d months, want %d", len(ms), len(want))
	}
	for i, m := range ms {
		got := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, cst).Format("2006-1") + " " + m.Mean.String() + " " + string(rune('0'+m.N))
		if got != want[i] {
			t.Errorf("month %d: %s, want %s", i, got, want[i])
		}
	}
	// Quarter 1: mean of monthly means (1.5+0.3+0.4)/3 = 0.733…, not the
	// mean of the 6 samples (3.9/6 = 0.65).
	q1, ok := QuarterMean(NH3N, ms, 2025, 1)
	if !ok || q1.Round(2).String() != "0.73" {
		t.Errorf("Q1 = %s, want 0.733…", q1)
	}
	if _, ok := QuarterMean(NH3N, ms, 2025, 3); ok {
		t.Error("Q3 without data ok")
	}
	y, _ := AnnualMean(NH3N, ms, 2025)
	if y.String() != "1.3" { // (1.5+0.3+0.4+3)/4
		t.Errorf("annual = %s, want 1.3", y)
	}
	if _, ok := QuarterMean(NH3N, ms, 2025, 5); ok {
		t.Error("quarter 5 ok")
	}
}

// TestPeriodEvaluation runs the whole period path: readings -> monthly means
// -> quarterly mean of monthly means -> assessment rounding -> class.
func TestPeriodEvaluation(t *testing.T) {
	at := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 8, 0, 0, 0, cst) }
	nh3n := []Reading{
		{at(time.January, 5), Value{V: mustDec("0.98")}},
		{at(time.February, 5), Value{V: mustDec("1.02")}},
		{at(time.March, 5), Value{V: mustDec("1.015")}},
	}
	ph := []Reading{
		{at(time.January, 5), Value{V: mustDec("9.6")}},
		{at(time.February, 5), Value{V: mustDec("8.9")}},
		{at(time.March, 5), Value{V: mustDec("8.8")}},
	}
	var s Sample
	q, _ := QuarterMean(NH3N, MonthlyMeans(NH3N, nh3n), 2025, 1) // 1.005
	_ = s.Set(NH3N, q)
	p, _ := QuarterMean(PH, MonthlyMeans(PH, ph), 2025, 1) // [H+] mean 8.986 (arithmetic 9.1)
	_ = s.Set(PH, p)
	var r Result
	Classify(&s, Options{Items: SetOf(NH3N, PH), Rounding: RoundAssessment}, &r)
	if q.String() != "1.005" || r.Values[NH3N].String() != "1" || r.Items[NH3N] != ClassIII {
		t.Errorf("NH3-N quarter %s -> %s class %v, want 1.005 -> 1 (half to even) Ⅲ", q, r.Values[NH3N], r.Items[NH3N])
	}
	if p.Round(2).String() != "8.99" || r.Items[PH] != ClassI {
		t.Errorf("pH quarter %s class %v, want 8.99 -> 9 Ⅰ", p, r.Items[PH])
	}
}
