package accountability

import (
	"regexp"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

var han = regexp.MustCompile(`\p{Han}`)

// Every firing of every predicate says why in both languages: the same
// figures, Chinese in Reason, no Chinese in ReasonEN.
func TestFiringReasonInBothLanguages(t *testing.T) {
	at := time.Date(2026, 4, 10, 10, 0, 0, 0, chinatime.Zone)
	q := testAssessed(t, chinatime.Quarter, 1)
	y := testAssessed(t, chinatime.Year, 1)
	rules := append(testRules(), TriggerRule{ID: "pm", Predicate: Bottom, Indicator: PM25, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin, Line: "air-general"})
	want := map[string][2]string{
		"bottom-both/371522": {"综合指数排名第4、改善幅度排名第4,均列后2位", "air quality index ranked 4 and its improvement ranked 4, both among the last 2"},
		"pm/371581":          {"PM2.5浓度(μg/m³)排名第5,列后1位", "PM2.5 ranked 5, among the last 1"},
	}
	seen := map[Predicate]bool{}
	for _, a := range []Assessment{q, y} {
		fs, err := Evaluate(rules, a, nil, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			for _, r := range rules {
				if r.ID == f.Rule {
					seen[r.Predicate] = true
				}
			}
			if !han.MatchString(f.Reason) || f.ReasonEN == "" || han.MatchString(f.ReasonEN) {
				t.Errorf("%s/%s: reason %q / %q", f.Rule, f.County, f.Reason, f.ReasonEN)
			}
			if f.Case.Description != f.Reason {
				t.Errorf("%s/%s: case description %q", f.Rule, f.County, f.Case.Description)
			}
			if w, ok := want[f.Rule+"/"+f.County]; ok && (f.Reason != w[0] || f.ReasonEN != w[1]) {
				t.Errorf("%s/%s: reason %q / %q, want %q / %q", f.Rule, f.County, f.Reason, f.ReasonEN, w[0], w[1])
			}
			// A firing stored before ReasonEN existed reads the same English.
			old := f
			old.ReasonEN = ""
			if got, ok := old.ReasonIn("en"); !ok || got != f.ReasonEN {
				t.Errorf("%s/%s: derived %q %v, want %q", f.Rule, f.County, got, ok, f.ReasonEN)
			}
		}
	}
	for _, p := range []Predicate{BottomBoth, Bottom, Deteriorated, TargetMissed} {
		if !seen[p] {
			t.Errorf("no firing of %s: the test does not cover it", p)
		}
	}
}

func TestReasonText(t *testing.T) {
	for _, c := range []struct {
		w      why
		zh, en string
	}{
		{why{Predicate: Deteriorated, Indicator: AirIndexChange, Value: 3.25}, "综合指数变化率(%)为3.2,同比恶化", "air quality index change 3.2%, worse than a year before"},
		{why{Predicate: TargetMissed, Indicator: PM25, Value: 48, Target: 45}, "PM2.5浓度(μg/m³)为48,未完成目标45", "PM2.5 48 µg/m³, target 45 µg/m³ not met"},
		{why{Predicate: TargetMissed, Indicator: CWQI, Value: 5.125, Target: 4.5}, "水质指数CWQI为5.12,未完成目标4.50", "CWQI 5.12, target 4.50 not met"},
		{why{Predicate: TargetMissed, Indicator: GoodDays, Value: -1.5, Target: 70}, "优良天数比例(%)为-1.5,未完成目标70.0", "good-day ratio -1.5%, target 70.0% not met"},
		{why{Predicate: Bottom, Indicator: Governance, Rank: 7, N: 3}, "治理任务完成率(%)排名第7,列后3位", "governance task completion ranked 7, among the last 3"},
	} {
		if zh, en := c.w.text(false), c.w.text(true); zh != c.zh || en != c.en {
			t.Errorf("%+v: %q / %q, want %q / %q", c.w, zh, en, c.zh, c.en)
		}
		if got := EnglishReason(c.zh); got != c.en {
			t.Errorf("EnglishReason(%q) = %q, want %q", c.zh, got, c.en)
		}
	}
	// A reason the engine never wrote is returned as it is, marked.
	f := Firing{Reason: "连续两期排名末位"}
	if got, ok := f.ReasonIn("en"); ok || got != f.Reason {
		t.Errorf("unknown reason: %q %v", got, ok)
	}
	if got, ok := f.ReasonIn("zh"); !ok || got != f.Reason {
		t.Errorf("zh: %q %v", got, ok)
	}
}
