package accountability

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The testdata files hold the same scheme and rules as the Go fixtures the
// other tests use: the data form and the code form must agree.
func TestParseConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/schemes.json")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := ParseSchemes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := testSchemes()
	if ss[0].Version != want[0].Version || !ss[0].From.Equal(want[0].From) || !ss[0].To.Equal(want[0].To) ||
		!reflect.DeepEqual(ss[0].Rules, want[0].Rules) || !reflect.DeepEqual(ss[0].Kinds, want[0].Kinds) {
		t.Fatalf("%+v", ss)
	}
	b, err = os.ReadFile("testdata/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseTriggerRules(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rs, testRules()) {
		t.Fatalf("%+v\n%+v", rs, testRules())
	}
}

func TestParseConfigRefused(t *testing.T) {
	tests := []struct {
		name, json, want string
		schemes          bool
	}{
		{"scheme-unknown-indicator", `[{"version":"v","from":"2026-01-01T00:00:00+08:00","kinds":["year"],"rules":[{"indicator":"o3","method":"rank","points":1}]}]`, "unknown or repeated indicator", true},
		{"scheme-no-points", `[{"version":"v","from":"2026-01-01T00:00:00+08:00","kinds":["year"],"rules":[{"indicator":"pm25","method":"rank"}]}]`, "points must be positive", true},
		{"scheme-overlap", `[{"version":"a","from":"2026-01-01T00:00:00+08:00","kinds":["year"],"rules":[{"indicator":"pm25","method":"rank","points":1}]},
			{"version":"b","from":"2026-06-01T00:00:00+08:00","kinds":["year","month"],"rules":[{"indicator":"pm25","method":"rank","points":1}]}]`, "overlaps version a", true},
		{"rule-step-name", `[{"id":"x","title":"t","predicate":"bottom","indicator":"pm25","n":1,"kinds":["year"],"step":"scold","line":"x"}]`, "want bulletin", false},
		{"rule-no-indicator", `[{"id":"x","title":"t","predicate":"target-missed","kinds":["year"],"step":"summons","line":"x"}]`, "needs an indicator", false},
		{"rule-duplicate", `[{"id":"x","title":"t","predicate":"bottom-both","n":1,"kinds":["year"],"step":"summons","line":"x"},{"id":"x","title":"t","predicate":"bottom-both","n":1,"kinds":["year"],"step":"summons","line":"x"}]`, "duplicate id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.schemes {
				_, err = ParseSchemes([]byte(tt.json))
			} else {
				_, err = ParseTriggerRules([]byte(tt.json))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReductionEntryJSON(t *testing.T) {
	e := entry(GradeB, map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureLimit, LoadPermille: 700}, Red: {Kind: MeasureStop}})
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"orange":{"kind":"limit","load_permille":700}`) {
		t.Fatalf("%s", b)
	}
	var back ReductionEntry
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, e) {
		t.Fatalf("%v %+v", err, back)
	}
}
