package water

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 5e-5 }

func TestItemIndex(t *testing.T) {
	tests := []struct {
		item Item
		c    string
		body WaterBody
		want float64
		ok   bool
	}{
		{PH, "7", River, 0, true},
		{PH, "6", River, 1, true},
		{PH, "6.5", River, 0.5, true},
		{PH, "9", River, 1, true},
		{PH, "8", River, 0.5, true},
		{DO, "5", River, 1, true},
		{DO, "10", River, 0.5, true},
		{DO, "2.5", Lake, 2, true},
		{DO, "0", River, 0, false},
		{TP, "0.1", River, 0.5, true},
		{TP, "0.1", Lake, 2, true},
		{NH3N, "1.5", River, 1.5, true},
		{CODMn, "3", River, 0.5, true},
		{Hg, "0.00005", River, 0.5, true},
		{TN, "1", Lake, 0, false},             // not one of the 21
		{FecalColiform, "1", River, 0, false}, // not one of the 21
	}
	for _, tt := range tests {
		got, ok := ItemIndex(tt.item, mustDec(tt.c), tt.body)
		if ok != tt.ok || !near(got, tt.want) {
			t.Errorf("ItemIndex(%s, %s, %s) = %v, %v; want %v, %v", tt.item, tt.c, tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

// TestCityCWQI is the worked example of our reference notes, computed by
// hand: river sections A {pH 7.6, DO 6.2, CODMn 4.5, NH3-N 0.80, TP 0.16}
// and B {6.8, 4.0, 7.1, 1.60, 0.27}; lake point L {8.4, 8.0, 3.9, 0.20, 0.06}.
// River means: pH through [H+] 7.0371 (index 0.018569), DO 5.1 (5/5.1 =
// 0.980392), CODMn 5.8 (0.966667), NH3-N 1.2 (1.2), TP 0.215 (1.075) ->
// 4.240628. Lake: 0.7 + 0.625 + 0.65 + 0.2 + 1.2 = 3.375. City:
// (4.240628·2 + 3.375)/3 = 3.952085, the project's value (pH through [H+],
// 环办监测函〔2020〕82号). The notes' 4.0064 averages pH arithmetically (7.2,
// index 0.1, river 4.3221): CityCWQIWith(PHArithmetic) reproduces it.
func TestCityCWQI(t *testing.T) {
	a := *sample(River, "pH", "7.6", "DO", "6.2", "CODMn", "4.5", "NH3-N", "0.80", "TP", "0.16")
	b := *sample(River, "pH", "6.8", "DO", "4.0", "CODMn", "7.1", "NH3-N", "1.60", "TP", "0.27")
	l := *sample(Lake, "pH", "8.4", "DO", "8.0", "CODMn", "3.9", "NH3-N", "0.20", "TP", "0.06")
	c := CityCWQI([]Sample{a, b}, []Sample{l})
	if !near(c.River.Value, 4.240628) {
		t.Errorf("river CWQI %.6f, want 4.240628", c.River.Value)
	}
	if !near(c.River.Items[PH], 0.018569) || !near(c.River.Items[DO], 0.980392) || !near(c.River.Items[TP], 1.075) {
		t.Errorf("river items pH %.6f DO %.6f TP %.6f", c.River.Items[PH], c.River.Items[DO], c.River.Items[TP])
	}
	if !near(c.Lake.Value, 3.375) {
		t.Errorf("lake CWQI %.6f, want 3.375 (TP with the lake limit 0.05)", c.Lake.Value)
	}
	if !near(c.Value, 3.952085) {
		t.Errorf("city CWQI %.6f, want 3.952085", c.Value)
	}
	if c.River.Missing.Len() != 16 || c.River.Evaluated.Len() != 5 {
		t.Errorf("evaluated %v missing %v", c.River.Evaluated.Names(), c.River.Missing.Names())
	}
	rate, ok := ChangeRate(c.Value, 6.0)
	if !ok || !near(rate, -34.131913) {
		t.Errorf("change rate %.6f%%, want -34.131913%% (improvement)", rate)
	}
	if _, ok := ChangeRate(1, 0); ok {
		t.Error("zero base ok")
	}
	ar := CityCWQIWith([]Sample{a, b}, []Sample{l}, PHArithmetic)
	if !near(ar.River.Items[PH], 0.1) || !near(ar.River.Value, 4.322059) || !near(ar.Value, 4.006373) {
		t.Errorf("arithmetic pH: river pH index %.6f river %.6f city %.6f, want 0.1 4.322059 4.006373 (the notes' 4.0064)",
			ar.River.Items[PH], ar.River.Value, ar.Value)
	}
	if ar.Lake.Value != c.Lake.Value {
		t.Error("one lake point: its pH mean is the same either way")
	}
	only := CityCWQI([]Sample{a, b}, nil)
	if !near(only.Value, only.River.Value) {
		t.Error("a city without lakes is its river index")
	}
}

func TestIndexIgnoresExcludedItems(t *testing.T) {
	r := Index(sample(River, "NH3-N", "1", "TN", "5", "FC", "100000"))
	if !near(r.Value, 1) {
		t.Errorf("CWQI %v, want 1 (TN and FC are not among the 21)", r.Value)
	}
}
