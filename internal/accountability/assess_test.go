package accountability

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func TestRank(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		lower    bool
		decimals int
		want     []int
	}{
		{"ascending", []float64{3, 1, 2}, true, 0, []int{3, 1, 2}},
		{"descending", []float64{3, 1, 2}, false, 0, []int{1, 3, 2}},
		{"tie-skips-next", []float64{5.1, 4.2, 4.2, 6}, true, 1, []int{3, 1, 1, 4}},
		{"tie-at-precision", []float64{4.204, 4.196, 4.3}, true, 2, []int{1, 1, 3}},
		{"distinct-at-precision", []float64{4.204, 4.196, 4.3}, true, 3, []int{2, 1, 3}},
		{"all-tied", []float64{1, 1, 1}, false, 0, []int{1, 1, 1}},
		{"empty", nil, true, 0, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Rank(tt.values, tt.lower, tt.decimals); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
		})
	}
}

func day0(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, chinatime.Zone)
}

func testSchemes() []Scheme {
	return []Scheme{{
		Version: "LC-2026-1", Title: "聊城市县(市、区)生态环境质量考核办法(试行)",
		From: day0(2026, 1, 1), To: day0(2027, 1, 1), Kinds: []chinatime.Kind{chinatime.Month, chinatime.Quarter, chinatime.Year},
		Rules: []Rule{
			{Indicator: PM25, Method: ByTarget, Points: 30, DeductPerUnit: 3},
			{Indicator: GoodDays, Method: ByTarget, Points: 20, DeductPerUnit: 2},
			{Indicator: AirIndex, Method: ByRank, Points: 15},
			{Indicator: AirIndexChange, Method: ByRank, Points: 15},
			{Indicator: WaterCompliance, Method: ByTarget, Points: 10, DeductPerUnit: 1},
			{Indicator: TotalQuantity, Method: ByTarget, Points: 10, DeductPerUnit: 0.5},
		},
	}}
}

func cv(code, name string, pm25, gd, idx, chg, water, tq float64) CountyValues {
	return CountyValues{County: code, Name: name, Values: map[Indicator]float64{
		PM25: pm25, GoodDays: gd, AirIndex: idx, AirIndexChange: chg, WaterCompliance: water, TotalQuantity: tq}}
}

func testValues() []CountyValues {
	return []CountyValues{
		cv("371502", "东昌府区", 52, 58.9, 5.12, -3.2, 100, 100),
		cv("371521", "阳谷县", 48, 63.3, 4.87, -6.1, 100, 100),
		cv("371522", "莘县", 55, 55.6, 5.36, 2.4, 80, 100),
		cv("371523", "茌平区", 49, 61.1, 4.87, -1.0, 100, 90),
		cv("371581", "临清市", 58, 52.2, 5.58, 4.1, 75, 85),
	}
}

func testTargets() []Target {
	var ts []Target
	for _, c := range []string{"371502", "371521", "371522", "371523", "371581"} {
		ts = append(ts, Target{c, PM25, 50}, Target{c, GoodDays, 60}, Target{c, WaterCompliance, 100}, Target{c, TotalQuantity, 100})
	}
	return ts
}

// testAssessed is the test scheme's values and targets assessed over the
// period of 2026 of kind k and number n (a quarter, the year).
func testAssessed(t testing.TB, k chinatime.Kind, n int) Assessment {
	t.Helper()
	a, err := Assess(testSchemes(), chinatime.Period{Kind: k, Year: 2026, N: n}, testValues(), testTargets())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAssess(t *testing.T) {
	a := testAssessed(t, chinatime.Quarter, 1)
	var got []string
	for _, c := range a.Counties {
		got = append(got, c.County+":"+strings.TrimRight(strings.TrimRight(ftoa(c.Total), "0"), ".")+"#"+itoa(c.Rank))
	}
	// Hand-computed. Index ranks: 阳谷 and 茌平 tie at 4.87 (1, 1), 东昌府 3,
	// 莘县 4, 临清 5 → 15, 15, 7.5, 3.75, 0. Change ranks: 阳谷 1, 东昌府 2,
	// 茌平 3, 莘县 4, 临清 5 → 15, 11.25, 7.5, 3.75, 0.
	// 阳谷 30+20+15+15+10+10 = 100; 茌平 30+20+15+7.5+10+(10−10×0.5) = 87.5;
	// 东昌府 (30−2×3)+(20−1.1×2)+7.5+11.25+10+10 = 80.55;
	// 莘县 (30−5×3)+(20−4.4×2)+3.75+3.75+max(0,10−20)+10 = 43.7;
	// 临清 (30−8×3)+(20−7.8×2)+0+0+0+(10−15×0.5) = 12.9.
	want := []string{"371521:100#1", "371523:87.5#2", "371502:80.55#3", "371522:43.7#4", "371581:12.9#5"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	c, _ := a.County("371523")
	if it, _ := c.Item(AirIndex); it.Rank != 1 {
		t.Fatalf("茌平 index rank %d, want tie at 1", it.Rank)
	}
	if it, _ := c.Item(TotalQuantity); it.Met || it.Score != 5 {
		t.Fatalf("total quantity %+v", it)
	}
}

func TestAssessTotalTie(t *testing.T) {
	vs := []CountyValues{cv("b", "乙", 40, 70, 4, -1, 100, 100), cv("a", "甲", 40, 70, 4, -1, 100, 100), cv("c", "丙", 60, 50, 6, 3, 50, 50)}
	var ts []Target
	for _, c := range []string{"a", "b", "c"} {
		ts = append(ts, Target{c, PM25, 50}, Target{c, GoodDays, 60}, Target{c, WaterCompliance, 100}, Target{c, TotalQuantity, 100})
	}
	a, err := Assess(testSchemes(), chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 4}, vs, ts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Counties[0].County != "a" || a.Counties[0].Rank != 1 || a.Counties[1].Rank != 1 || a.Counties[2].Rank != 3 {
		t.Fatalf("%+v", a.Counties)
	}
}

func TestAssessRefused(t *testing.T) {
	noTarget := testTargets()[1:] // 371502 has no PM2.5 target
	noValue := testValues()
	delete(noValue[2].Values, WaterCompliance)
	tests := []struct {
		name    string
		p       chinatime.Period
		values  []CountyValues
		targets []Target
		want    string
	}{
		{"target-missing", chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, testValues(), noTarget, "target 371502: no target for pm25"},
		{"value-missing", chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, noValue, testTargets(), "value 371522: no value for water_compliance"},
		{"scheme-missing", chinatime.Period{Kind: chinatime.Quarter, Year: 2027, N: 1}, testValues(), testTargets(), "no assessment scheme version covers"},
		{"kind-not-in-scheme", chinatime.Period{Kind: chinatime.Half, Year: 2026, N: 1}, testValues(), testTargets(), "no assessment scheme version covers"},
		{"no-counties", chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, nil, testTargets(), "no county values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Assess(testSchemes(), tt.p, tt.values, tt.targets)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}
