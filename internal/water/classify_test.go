package water

import (
	"bufio"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func sample(body WaterBody, kv ...string) *Sample {
	s := &Sample{Body: body}
	for i := 0; i < len(kv); i += 2 {
		it, ok := LookupItem(kv[i])
		if !ok {
			panic(kv[i])
		}
		if err := s.Set(it, mustDec(kv[i+1])); err != nil {
			panic(err)
		}
	}
	return s
}

func TestClassifySection(t *testing.T) {
	tests := []struct {
		name     string
		s        *Sample
		o        Options
		want     Class
		missing  []string
		excluded []string
	}{
		{"auto5 all III or better", sample(River, "pH", "7.2", "DO", "5.1", "CODMn", "4.3", "NH3-N", "0.52", "TP", "0.11"), Options{}, ClassIII, []string{}, []string{}},
		{"worst item decides", sample(River, "pH", "7.2", "DO", "8", "CODMn", "2", "NH3-N", "0.1", "TP", "0.31"), Options{}, ClassV, []string{}, []string{}},
		{"lake TP stricter", sample(Lake, "pH", "7.2", "DO", "8", "CODMn", "2", "NH3-N", "0.1", "TP", "0.11"), Options{}, ClassV, []string{}, []string{}},
		{"pH outside range", sample(River, "pH", "9.2", "DO", "8", "CODMn", "2", "NH3-N", "0.1", "TP", "0.02"), Options{}, ClassWorseV, []string{}, []string{}},
		{"missing items reported", sample(River, "pH", "7", "DO", "6.5", "NH3-N", "0.3"), Options{}, ClassII, []string{"CODMn", "TP"}, []string{}},
		{"TN excluded for rivers", sample(River, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "TN", "5"), Options{}, ClassI, []string{}, []string{"TN"}},
		{"TN excluded for lakes by default", sample(Lake, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "TN", "5"), Options{}, ClassI, []string{}, []string{"TN"}},
		{"TN included for lakes on request", sample(Lake, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "TN", "5"), Options{LakeTN: true}, ClassWorseV, []string{}, []string{}},
		{"fecal coliform excluded", sample(River, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "FC", "100000"), Options{}, ClassI, []string{}, []string{"FC"}},
		{"a 21-set item switches to the 21 items", sample(River, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "COD", "25"), Options{}, ClassIV,
			[]string{"BOD5", "Cu", "Zn", "F", "Se", "As", "Hg", "Cd", "Cr6+", "Pb", "CN", "VP", "Oil", "LAS", "S2-"}, []string{}},
		{"explicit auto5 ignores COD", sample(River, "pH", "7", "DO", "8", "CODMn", "1", "NH3-N", "0.1", "TP", "0.01", "COD", "25"), Options{Items: SetAuto5}, ClassI, []string{}, []string{"COD"}},
		{"nothing evaluable", sample(River, "WT", "12"), Options{}, ClassNone, []string{"pH", "DO", "CODMn", "NH3-N", "TP"}, []string{"WT"}},
		// Rounding before classifying (2020 statistics rules).
		{"assessment: NH3-N 1.005 -> 1.00 (III)", sample(River, "NH3-N", "1.005"), Options{Items: SetOf(NH3N), Rounding: RoundAssessment}, ClassIII, []string{}, []string{}},
		{"no rounding: NH3-N 1.005 is IV", sample(River, "NH3-N", "1.005"), Options{Items: SetOf(NH3N)}, ClassIV, []string{}, []string{}},
		{"assessment: NH3-N 1.015 -> 1.02 (IV)", sample(River, "NH3-N", "1.015"), Options{Items: SetOf(NH3N), Rounding: RoundAssessment}, ClassIV, []string{}, []string{}},
		{"hourly: NH3-N 1.0005 -> 1.000 (III)", sample(River, "NH3-N", "1.0005"), Options{Items: SetOf(NH3N), Rounding: RoundHourly}, ClassIII, []string{}, []string{}},
		{"hourly: NH3-N 1.0015 -> 1.002 (IV)", sample(River, "NH3-N", "1.0015"), Options{Items: SetOf(NH3N), Rounding: RoundHourly}, ClassIV, []string{}, []string{}},
		{"assessment: pH 9.4 -> 9 (I)", sample(River, "pH", "9.4"), Options{Items: SetOf(PH), Rounding: RoundAssessment}, ClassI, []string{}, []string{}},
		{"assessment: pH 9.5 -> 10 (劣V)", sample(River, "pH", "9.5"), Options{Items: SetOf(PH), Rounding: RoundAssessment}, ClassWorseV, []string{}, []string{}},
		{"assessment: pH 5.5 -> 6 (I)", sample(River, "pH", "5.5"), Options{Items: SetOf(PH), Rounding: RoundAssessment}, ClassI, []string{}, []string{}},
		{"hourly: pH 9.005 -> 9.00 (I)", sample(River, "pH", "9.005"), Options{Items: SetOf(PH), Rounding: RoundHourly}, ClassI, []string{}, []string{}},
		{"hourly: pH 9.015 -> 9.02 (劣V)", sample(River, "pH", "9.015"), Options{Items: SetOf(PH), Rounding: RoundHourly}, ClassWorseV, []string{}, []string{}},
		{"assessment: DO 4.95 -> 5.0 (III)", sample(River, "DO", "4.95"), Options{Items: SetOf(DO), Rounding: RoundAssessment}, ClassIII, []string{}, []string{}},
		{"assessment: DO 4.85 -> 4.8 (IV)", sample(River, "DO", "4.85"), Options{Items: SetOf(DO), Rounding: RoundAssessment}, ClassIV, []string{}, []string{}},
		{"assessment: TP 0.2005 -> 0.200 (III)", sample(River, "TP", "0.2005"), Options{Items: SetOf(TP), Rounding: RoundAssessment}, ClassIII, []string{}, []string{}},
		{"assessment: TP 0.2015 -> 0.202 (IV)", sample(River, "TP", "0.2015"), Options{Items: SetOf(TP), Rounding: RoundAssessment}, ClassIV, []string{}, []string{}},
		{"assessment: Hg trace keeps its digit", sample(River, "Hg", "0.0000004"), Options{Items: SetOf(Hg), Rounding: RoundAssessment}, ClassI, []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			Classify(tt.s, tt.o, &r)
			if r.Class != tt.want {
				t.Errorf("class %v, want %v (items %v)", r.Class, tt.want, r.Items)
			}
			if got := r.Missing.Names(); !reflect.DeepEqual(got, tt.missing) {
				t.Errorf("missing %v, want %v", got, tt.missing)
			}
			if got := r.Excluded.Names(); !reflect.DeepEqual(got, tt.excluded) {
				t.Errorf("excluded %v, want %v", got, tt.excluded)
			}
		})
	}
}

func TestExcludedItemsStillClassified(t *testing.T) {
	var r Result
	Classify(sample(Lake, "TN", "1.2", "pH", "7"), Options{}, &r)
	if r.Items[TN] != ClassIV {
		t.Errorf("TN class %v, want Ⅳ", r.Items[TN])
	}
	if r.Class != ClassI {
		t.Errorf("section class %v, want Ⅰ (TN not evaluated)", r.Class)
	}
}

func TestSetRejectsNegative(t *testing.T) {
	var s Sample
	if err := s.Set(NH3N, -1); err == nil {
		t.Fatal("negative concentration accepted")
	}
	if s.Items() != 0 {
		t.Fatal("rejected value stored")
	}
}

func TestSetBelowDL(t *testing.T) {
	var s Sample
	if err := s.SetBelowDL(NH3N, mustDec("0.025")); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(NH3N); v != mustDec("0.0125") {
		t.Errorf("below DL 0.025 stored as %s, want 0.0125", v)
	}
}

func TestExceedanceMultiple(t *testing.T) {
	tests := []struct {
		item Item
		v    string
		body WaterBody
		want string
		ok   bool
	}{
		{NH3N, "2.3", River, "1.3", true},
		{TP, "0.32", River, "0.6", true},
		{COD, "24", River, "0.2", true},
		{TP, "0.1", Lake, "1", true},
		{NH3N, "1.0", River, "0", true},
		{CODMn, "7", River, "0.17", true}, // 0.1666… -> 0.17
		{NH3N, "1.005", River, "0", true}, // 0.005 exactly half: even 0
		{NH3N, "1.015", River, "0.02", true},
		{DO, "1", River, "", false},
		{PH, "10", River, "", false},
		{WaterTemp, "30", River, "", false},
	}
	for _, tt := range tests {
		got, ok := ExceedanceMultiple(tt.item, mustDec(tt.v), tt.body)
		if ok != tt.ok || ok && got.String() != tt.want {
			t.Errorf("ExceedanceMultiple(%s, %s) = %s, %v; want %s, %v", tt.item, tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func pollutantStrings(ps []Pollutant) []string {
	out := []string{}
	for _, p := range ps {
		s := p.Item.String()
		if p.HasMultiple {
			s += "/" + p.Multiple.String()
		}
		out = append(out, s)
	}
	return out
}

func TestMainPollutants(t *testing.T) {
	tests := []struct {
		name string
		s    *Sample
		want []string
	}{
		// Shaped after a Guangdong bulletin line "氨氮/1.3、总磷/0.6、化学需氧量/0.2".
		{"by class then multiple", sample(River, "pH", "7", "DO", "6", "NH3-N", "2.3", "TP", "0.32", "COD", "24", "CODMn", "7"), []string{"NH3-N/1.3", "TP/0.6", "COD/0.2"}},
		{"same class by multiple", sample(River, "pH", "7", "DO", "6", "NH3-N", "1.3", "TP", "0.28", "CODMn", "9"), []string{"CODMn/0.5", "TP/0.4", "NH3-N/0.3"}},
		{"DO without multiple", sample(River, "pH", "7", "DO", "1", "NH3-N", "2.5", "TP", "0.1"), []string{"NH3-N/1.5", "DO"}},
		{"class III section has none", sample(River, "pH", "7", "DO", "5", "NH3-N", "1.0", "TP", "0.2", "CODMn", "6"), []string{}},
		{"excluded items are not pollutants", sample(River, "pH", "7", "DO", "8", "NH3-N", "0.1", "TP", "0.1", "CODMn", "2", "TN", "9"), []string{}},
	}
	for _, tt := range tests {
		var r Result
		Classify(tt.s, Options{}, &r)
		if got := pollutantStrings(r.MainPollutants(nil)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMeets(t *testing.T) {
	tests := []struct {
		c, target Class
		want      bool
	}{
		{ClassII, ClassIII, true}, {ClassIII, ClassIII, true}, {ClassIV, ClassIII, false},
		{ClassWorseV, ClassV, false}, {ClassNone, ClassIII, false}, {ClassI, ClassNone, false},
	}
	for _, tt := range tests {
		if got := Meets(tt.c, tt.target); got != tt.want {
			t.Errorf("Meets(%v, %v) = %v", tt.c, tt.target, got)
		}
	}
}

// TestCNEMCPublished classifies the values of a real CNEMC bulletin and
// compares with the classes it published. The bulletin predates the 2011
// method and the 2020 rounding rules, so values are classified as printed
// (no rounding) on its 4 items.
func TestCNEMCPublished(t *testing.T) {
	f, err := os.Open("testdata/cnemc_2007w02.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		c := strings.Split(line, "\t")
		s := sample(River, "pH", c[1], "DO", c[2], "CODMn", c[3], "NH3-N", c[4])
		var r Result
		Classify(s, Options{Items: SetOf(PH, DO, CODMn, NH3N)}, &r)
		if r.Class.Label() != c[5] {
			t.Errorf("%s: class %s, CNEMC published %s", c[0], r.Class.Label(), c[5])
		}
		// Same pollutants; the order may differ: for 同江 CNEMC printed
		// 氨氮 (multiple 0.77) before 高锰酸盐指数 (1.22), both class Ⅴ,
		// while we rank by multiple as the 2011 method asks.
		var got, want []string
		for _, p := range r.MainPollutants(nil) {
			got = append(got, p.Item.String())
		}
		if c[6] != "" {
			want = strings.Split(c[6], ",")
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: main pollutants %v, published %v", c[0], got, want)
		}
		rows++
	}
	if rows != 6 {
		t.Fatalf("%d rows", rows)
	}
}

func TestClassifyNoAllocs(t *testing.T) {
	s := sample(River, "pH", "7.2", "DO", "5.1", "CODMn", "4.3", "NH3-N", "0.52", "TP", "0.11")
	var r Result
	buf := make([]Pollutant, 0, 3)
	allocs := testing.AllocsPerRun(100, func() {
		Classify(s, Options{Rounding: RoundHourly}, &r)
		buf = r.MainPollutants(buf[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per classification", allocs)
	}
}

func TestDrinking(t *testing.T) {
	tests := []struct {
		name     string
		s        *Sample
		meetsIII bool
		failed   []string
		pass     bool
	}{
		{"clean", sample(River, "pH", "7", "DO", "7", "CODMn", "3", "NH3-N", "0.2", "TP", "0.05", "Fe", "0.3", "Mn", "0.05", "SO4", "250"), true, []string{}, true},
		{"iron over", sample(River, "pH", "7", "DO", "7", "CODMn", "3", "NH3-N", "0.2", "TP", "0.05", "Fe", "0.31"), true, []string{"Fe"}, false},
		{"class IV", sample(River, "pH", "7", "DO", "7", "CODMn", "7", "NH3-N", "0.2", "TP", "0.05", "Fe", "0.1"), false, []string{}, false},
		{"thallium and nitrate over", sample(Lake, "pH", "7", "DO", "7", "CODMn", "3", "NH3-N", "0.2", "TP", "0.02", "NO3-N", "10.1", "Tl", "0.00011"), true, []string{"NO3-N", "Tl"}, false},
	}
	for _, tt := range tests {
		d := EvaluateDrinking(tt.s, Options{})
		if d.MeetsIII != tt.meetsIII || d.Pass != tt.pass || !reflect.DeepEqual(d.Failed.Names(), tt.failed) {
			t.Errorf("%s: meetsIII %v pass %v failed %v; want %v %v %v", tt.name, d.MeetsIII, d.Pass, d.Failed.Names(), tt.meetsIII, tt.pass, tt.failed)
		}
	}
}
