package water

import "testing"

func tally(counts [7]int) Tally {
	var t Tally
	for c, n := range counts {
		for i := 0; i < n; i++ {
			t.Add(Class(c))
		}
	}
	return t
}

func TestTallyStatus(t *testing.T) {
	tests := []struct {
		name   string
		counts [7]int // index = class
		want   Status
	}{
		{"90% exactly is excellent", [7]int{0, 3, 3, 3, 1, 0, 0}, StatusExcellent},
		{"just under 90%", [7]int{0, 0, 0, 89, 11, 0, 0}, StatusGood},
		{"75% exactly is good", [7]int{0, 0, 5, 10, 5, 0, 0}, StatusGood},
		{"just under 75%, no 劣V", [7]int{0, 0, 0, 74, 26, 0, 0}, StatusLight},
		{"劣V just under 20%", [7]int{0, 0, 0, 70, 11, 0, 19}, StatusLight},
		{"劣V 20% exactly is moderate", [7]int{0, 0, 0, 70, 10, 0, 20}, StatusModerate},
		{"劣V just under 40%", [7]int{0, 0, 0, 60, 0, 1, 39}, StatusModerate},
		{"劣V 40% exactly is heavy", [7]int{0, 0, 0, 60, 0, 0, 40}, StatusHeavy},
		{"unclassified not counted", [7]int{5, 9, 0, 0, 1, 0, 0}, StatusExcellent},
		{"empty", [7]int{}, StatusNone},
	}
	for _, tt := range tests {
		tl := tally(tt.counts)
		if got := tl.Status(); got != tt.want {
			t.Errorf("%s: %v (Ⅰ-Ⅲ %.2f%%, 劣Ⅴ %.2f%%), want %v", tt.name, got, tl.GoodShare(), tl.WorseVShare(), tt.want)
		}
	}
}

func TestSectionStatus(t *testing.T) {
	want := []Status{StatusNone, StatusExcellent, StatusExcellent, StatusGood, StatusLight, StatusModerate, StatusHeavy}
	for c, w := range want {
		if got := SectionStatus(Class(c)); got != w {
			t.Errorf("SectionStatus(%v) = %v, want %v", Class(c), got, w)
		}
	}
}

func sections(body WaterBody, nh3n ...string) []Sample {
	out := make([]Sample, len(nh3n))
	for i, v := range nh3n {
		out[i] = *sample(body, "pH", "7", "DO", "8", "CODMn", "1", "TP", "0.01", "NH3-N", v)
	}
	return out
}

func TestEvaluateRiver(t *testing.T) {
	o := Options{Rounding: RoundAssessment}
	// 4 sections: averaging. NH3-N 0.2, 0.4, 0.6, 3.0 -> mean 1.05 (Ⅳ),
	// although 3 of 4 sections are Ⅲ or better.
	r := EvaluateRiver(sections(River, "0.2", "0.4", "0.6", "3.0"), o)
	if r.Method != ByAverage || r.Mean.Class != ClassIV || r.Status != StatusLight {
		t.Errorf("4 sections: method %v class %v status %v, want average Ⅳ 轻度污染", r.Method, r.Mean.Class, r.Status)
	}
	if len(r.MainPollutants) != 1 || r.MainPollutants[0].Item != NH3N || r.MainPollutants[0].Rate != 25 {
		t.Errorf("river main pollutants %+v", r.MainPollutants)
	}
	// 5 sections: proportions. 4 of 5 good = 80% -> 良好, whatever the mean.
	r = EvaluateRiver(sections(River, "0.2", "0.4", "0.6", "0.9", "3.0"), o)
	if r.Method != ByProportion || r.Status != StatusGood {
		t.Errorf("5 sections: method %v status %v, want proportion 良好", r.Method, r.Status)
	}
	// 1 section: its own class.
	r = EvaluateRiver(sections(River, "2.1"), o)
	if r.Status != StatusHeavy {
		t.Errorf("1 section 劣Ⅴ: %v", r.Status)
	}
	r = EvaluateRiver(nil, o)
	if r.Status != StatusNone {
		t.Errorf("no sections: %v", r.Status)
	}
}

func TestClassChange(t *testing.T) {
	tests := []struct {
		before, after Class
		want          Change
	}{
		{ClassII, ClassII, NoChange},
		{ClassII, ClassIII, Worse},
		{ClassIII, ClassII, Better},
		{ClassIII, ClassI, MuchBetter},
		{ClassII, ClassV, MuchWorse},
		{ClassV, ClassWorseV, Worse},
		{ClassWorseV, ClassIV, MuchBetter},
	}
	for _, tt := range tests {
		if got, ok := ClassChange(tt.before, tt.after); !ok || got != tt.want {
			t.Errorf("ClassChange(%v, %v) = %v, want %v", tt.before, tt.after, got, tt.want)
		}
	}
	if _, ok := ClassChange(ClassNone, ClassI); ok {
		t.Error("unclassified period ok")
	}
}

func TestTallyChange(t *testing.T) {
	tests := []struct {
		name          string
		before, after [7]int
		want          Change
	}{
		// 10 sections each; ΔG - ΔD in percentage points.
		{"+10 exactly: no obvious change", [7]int{0, 0, 0, 5, 5}, [7]int{0, 0, 0, 6, 4}, NoChange},
		{"+20 exactly: better", [7]int{0, 0, 0, 5, 5}, [7]int{0, 0, 0, 7, 3}, Better},
		{"+30: significantly better", [7]int{0, 0, 0, 5, 5}, [7]int{0, 0, 0, 8, 2}, MuchBetter},
		{"ΔG 0, ΔD +20: worse", [7]int{0, 0, 0, 5, 5}, [7]int{0, 0, 0, 5, 3, 0, 2}, Worse},
		{"ΔG +10, ΔD -10: better", [7]int{0, 0, 0, 5, 4, 0, 1}, [7]int{0, 0, 0, 6, 4}, Better},
		{"-21 with different totals", [7]int{0, 0, 0, 10}, [7]int{0, 0, 0, 79, 21}, MuchWorse},
		{"-10.x just over 10 (3 vs 7 sections)", [7]int{0, 0, 3}, [7]int{0, 0, 6, 0, 1}, Worse}, // 100 -> 85.7: -14.3
	}
	for _, tt := range tests {
		got, ok := TallyChange(tally(tt.before), tally(tt.after))
		if !ok || got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRiverChange(t *testing.T) {
	// Same status grade (良好 both) but ΔG-ΔD = -14: the larger change wins.
	before := RiverResult{Method: ByProportion, Status: StatusGood, Tally: tally([7]int{0, 0, 0, 88, 12})}
	after := RiverResult{Method: ByProportion, Status: StatusGood, Tally: tally([7]int{0, 0, 0, 76, 22, 0, 2})}
	if got, _ := RiverChange(before, after); got != Worse {
		t.Errorf("RiverChange = %v, want 有所变差", got)
	}
	// Averaging method: status grades only.
	a := RiverResult{Method: ByAverage, Status: StatusHeavy}
	b := RiverResult{Method: ByAverage, Status: StatusGood}
	if got, _ := RiverChange(a, b); got != MuchBetter {
		t.Errorf("RiverChange = %v, want 明显好转", got)
	}
}
