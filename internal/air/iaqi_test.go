package air

import (
	"fmt"
	"math/big"
	"testing"
)

var versions = []Version{V2012, V2026}

// TestBreakpointsExact checks every breakpoint of both tables and its
// neighbours one Conc unit (0.001 µg/m³) either side: exactly at a breakpoint
// the IAQI is the row's value (no float error can push it up), just above it
// is one more (进位取整), just below it is the row's value.
func TestBreakpointsExact(t *testing.T) {
	for _, v := range versions {
		for ind := Indicator(0); ind < NumIndicators; ind++ {
			tb := tablesFor(v)[ind]
			for i := 0; i < tb.n; i++ {
				bp := Conc(tb.bp[i])
				want := int(iaqiSteps[i])
				t.Run(fmt.Sprintf("%v/%v/%v", v, ind, bp), func(t *testing.T) {
					if got, ok := IAQI(v, ind, bp); !ok || got != want {
						t.Errorf("IAQI(%v)=%d,%v want %d", bp, got, ok, want)
					}
					if i > 0 {
						if got, _ := IAQI(v, ind, bp-1); got != want {
							t.Errorf("IAQI(%v−0.001)=%d want %d", bp, got, want)
						}
					}
					if i < tb.n-1 {
						if got, _ := IAQI(v, ind, bp+1); got != want+1 {
							t.Errorf("IAQI(%v+0.001)=%d want %d", bp, got, want+1)
						}
					}
				})
			}
		}
	}
}

// TestBreakpointTables pins the tables to the standards' text (HJ 633-2012
// table 1; HJ 633-2026 table 3 differs in PM10 and PM2.5 only).
func TestBreakpointTables(t *testing.T) {
	want := map[Indicator][]float64{
		SO2_24h: {0, 50, 150, 475, 800, 1600, 2100, 2620}, SO2_1h: {0, 150, 500, 650, 800},
		NO2_24h: {0, 40, 80, 180, 280, 565, 750, 940}, NO2_1h: {0, 100, 200, 700, 1200, 2340, 3090, 3840},
		PM10_24h: {0, 50, 150, 250, 350, 420, 500, 600}, CO_24h: {0, 2, 4, 14, 24, 36, 48, 60},
		CO_1h: {0, 5, 10, 35, 60, 90, 120, 150}, O3_1h: {0, 160, 200, 300, 400, 800, 1000, 1200},
		O3_8h: {0, 100, 160, 215, 265, 800}, PM25_24h: {0, 35, 75, 115, 150, 250, 350, 500},
	}
	for ind, w := range want {
		if got := Breakpoints(V2012, ind); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("2012 %v = %v want %v", ind, got, w)
		}
		w26 := w
		switch ind {
		case PM10_24h:
			w26 = []float64{0, 50, 120, 250, 350, 420, 500, 600}
		case PM25_24h:
			w26 = []float64{0, 35, 60, 115, 150, 250, 350, 500}
		}
		if got := Breakpoints(V2026, ind); fmt.Sprint(got) != fmt.Sprint(w26) {
			t.Errorf("2026 %v = %v want %v", ind, got, w26)
		}
	}
}

// TestIAQIOracle compares the integer arithmetic with an independent exact
// rational evaluation of eq. 1 over a sweep of concentrations.
func TestIAQIOracle(t *testing.T) {
	for _, v := range versions {
		for ind := Indicator(0); ind < NumIndicators; ind++ {
			tb := tablesFor(v)[ind]
			top := tb.bp[tb.n-1]
			for c := int64(0); c <= top; c += 1 + top/5000 {
				got, ok := IAQI(v, ind, Conc(c))
				want := oracle(tb, c)
				if !ok || int64(got) != want {
					t.Fatalf("%v %v c=%v: got %d want %d", v, ind, Conc(c), got, want)
				}
			}
		}
	}
}

func oracle(tb table, c int64) int64 {
	for i := 1; i < tb.n; i++ {
		if c <= tb.bp[i] {
			x := new(big.Rat).SetFrac64(c-tb.bp[i-1], tb.bp[i]-tb.bp[i-1])
			x.Mul(x, big.NewRat(iaqiSteps[i]-iaqiSteps[i-1], 1))
			x.Add(x, big.NewRat(iaqiSteps[i-1], 1))
			q := new(big.Int).Quo(x.Num(), x.Denom())
			if new(big.Rat).SetInt(q).Cmp(x) < 0 {
				q.Add(q, big.NewInt(1))
			}
			return q.Int64()
		}
	}
	return -1
}

func TestAboveTable(t *testing.T) {
	cases := []struct {
		v      Version
		ind    Indicator
		c      float64
		want   int
		wantOK bool
	}{
		{V2012, SO2_1h, 800, 200, true},
		{V2012, SO2_1h, 800.001, 0, false},  // note 2: no 1-h IAQI
		{V2026, SO2_1h, 800.001, 200, true}, // footnote b
		{V2026, SO2_1h, 5000, 200, true},
		{V2012, O3_8h, 800, 300, true},
		{V2012, O3_8h, 801, 0, false},  // note 3
		{V2026, O3_8h, 801, 300, true}, // footnote c
		{V2012, PM25_24h, 500.001, 500, true},
		{V2026, PM10_24h, 900, 500, true},
		{V2012, CO_1h, 151, 500, true},
		{V2012, PM25_24h, -1, 0, false},
	}
	for _, c := range cases {
		got, ok := IAQI(c.v, c.ind, FromFloat(c.c))
		if c.c < 0 {
			got, ok = IAQI(c.v, c.ind, NA)
		}
		if got != c.want || ok != c.wantOK {
			t.Errorf("%v %v %v: got %d,%v want %d,%v", c.v, c.ind, c.c, got, ok, c.want, c.wantOK)
		}
	}
}

func TestParseConc(t *testing.T) {
	cases := []struct {
		in   string
		want Conc
		err  bool
	}{
		{"35", 35000, false}, {"0.7", 700, false}, {"1.2345", 1234, false}, {"1.2355", 1236, false},
		{"1.23451", 1235, false}, {"-3", -3000, false}, {".5", 500, false}, {"+2", 2000, false},
		{"", NA, true}, {"abc", NA, true}, {"1.2.3", NA, true}, {"-", NA, true}, {"NaN", NA, true},
	}
	for _, c := range cases {
		got, err := ParseConc(c.in)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("ParseConc(%q) = %v, %v; want %v, err=%v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestRoundGBT8170(t *testing.T) {
	cases := []struct {
		in, step, want Conc
	}{
		{35500, 1000, 36000}, {36500, 1000, 36000}, {36501, 1000, 37000}, {36499, 1000, 36000},
		{1250, 100, 1200}, {1350, 100, 1400}, {1251, 100, 1300},
	}
	for _, c := range cases {
		if got := RoundTo(c.in, int64(c.step)); got != c.want {
			t.Errorf("RoundTo(%v, %d) = %v want %v", c.in, c.step, got, c.want)
		}
	}
}

// TestFastHourlyTables checks the reciprocal-multiplication path of Hourly
// against the exact rational oracle for every hourly column.
func TestFastHourlyTables(t *testing.T) {
	for _, v := range versions {
		for p := range NumPollutants {
			tb := tablesFor(v)[hourlySlots[p].ind]
			ft := &fastHourly[v][p]
			top := tb.bp[tb.n-1]
			for c := int64(0); c <= top+1; c += 1 + top/20000 {
				want := oracle(tb, c)
				if want < 0 {
					want = iaqiAbove
				}
				if got := ft.iaqi(c); got != want {
					t.Fatalf("%v %v c=%d: fast %d oracle %d", v, p, c, got, want)
				}
			}
		}
	}
}
