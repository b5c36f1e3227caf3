package accountability

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/golden"
)

func testRules() []TriggerRule {
	return []TriggerRule{
		{ID: "bottom-both", Title: "综合指数及改善幅度均列后位", Predicate: BottomBoth, N: 2, Kinds: []chinatime.Kind{chinatime.Month, chinatime.Quarter}, Step: StepWarning, Line: "air-general"},
		{ID: "annual-worse", Title: "年度环境空气质量恶化", Predicate: Deteriorated, Indicator: AirIndexChange, Kinds: []chinatime.Kind{chinatime.Year}, Step: StepSummons, Line: "air-general"},
		{ID: "tq-missed", Title: "未完成主要污染物总量控制任务", Predicate: TargetMissed, Indicator: TotalQuantity, Kinds: []chinatime.Kind{chinatime.Quarter, chinatime.Year}, Step: StepBulletin, Line: "other"},
	}
}

func firingKeys(fs []Firing) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"/"+f.County+"/"+f.Step.String())
	}
	return out
}

func TestEvaluate(t *testing.T) {
	at := time.Date(2026, 4, 10, 10, 0, 0, 0, chinatime.Zone)
	q := testAssessed(t, chinatime.Quarter, 1)
	y := testAssessed(t, chinatime.Year, 1)
	tests := []struct {
		name  string
		a     Assessment
		rules []TriggerRule
		prior map[string]map[string]Step
		want  []string
	}{
		{"quarter", q, testRules(), nil,
			[]string{"bottom-both/371522/warning", "bottom-both/371581/warning", "tq-missed/371523/bulletin", "tq-missed/371581/bulletin"}},
		{"year", y, testRules(), nil,
			[]string{"annual-worse/371522/summons", "annual-worse/371581/summons", "tq-missed/371523/bulletin", "tq-missed/371581/bulletin"}},
		{"ladder", q, testRules()[:1], map[string]map[string]Step{"bottom-both": {"371581": StepSummons, "371522": StepBulletin}},
			[]string{"bottom-both/371522/warning", "bottom-both/371581/listed"}},
		{"ladder-top", q, testRules()[:1], map[string]map[string]Step{"bottom-both": {"371581": StepListed}},
			[]string{"bottom-both/371522/warning", "bottom-both/371581/listed"}},
		{"last-one-only", q, []TriggerRule{{ID: "b1", Predicate: BottomBoth, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepWarning, Line: "air-general"}}, nil,
			[]string{"b1/371581/warning"}},
		// 莘县 is 4th on the index (one county below it): inside the last 2,
		// outside the last 1; 临清 is last on PM2.5.
		{"bottom-edge", q, []TriggerRule{{ID: "pm", Predicate: Bottom, Indicator: PM25, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin, Line: "air-general"}}, nil,
			[]string{"pm/371581/bulletin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := Evaluate(tt.rules, tt.a, tt.prior, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := firingKeys(fs); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}

	fs, _ := Evaluate(testRules(), q, nil, at)
	f := fs[0]
	if want := time.Date(2026, 5, 11, 0, 0, 0, 0, chinatime.Zone); !f.ReportDue.Equal(want) {
		t.Fatalf("report due %v, want %v (30 days after 10 April, the 10th not counted)", f.ReportDue, want)
	}
	if !strings.Contains(f.Reason, "综合指数排名第4、改善幅度排名第4,均列后2位") {
		t.Fatalf("reason %q", f.Reason)
	}
	// The case is accepted by the closed loop as a new case.
	c, evs, err := cases.DefaultRules().Apply(f.Case, cases.Action{Kind: cases.ActRegister}, cases.Actor{ID: "system", Role: cases.RoleSystem}, at)
	if err != nil || c.State != cases.StateRegistered || len(evs) != 1 {
		t.Fatalf("register: %v %v", c.State, err)
	}
}

func TestEvaluateTies(t *testing.T) {
	// Two counties tied for last on both lists are both "the last one".
	vs := []CountyValues{
		cv("a", "甲", 40, 70, 4.00, -5, 100, 100), cv("b", "乙", 40, 70, 4.50, -3, 100, 100),
		cv("c", "丙", 40, 70, 5.00, 1, 100, 100), cv("d", "丁", 40, 70, 5.00, 1, 100, 100)}
	var ts []Target
	for _, c := range []string{"a", "b", "c", "d"} {
		ts = append(ts, Target{c, PM25, 50}, Target{c, GoodDays, 60}, Target{c, WaterCompliance, 100}, Target{c, TotalQuantity, 100})
	}
	a, err := Assess(testSchemes(), chinatime.Period{Kind: chinatime.Month, Year: 2026, N: 5}, vs, ts)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Evaluate([]TriggerRule{{ID: "b1", Predicate: BottomBoth, N: 1, Kinds: []chinatime.Kind{chinatime.Month}, Step: StepWarning, Line: "air-general"}}, a, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := firingKeys(fs); !slices.Equal(got, []string{"b1/c/warning", "b1/d/warning"}) {
		t.Fatalf("%v", got)
	}
}

func TestEvaluateRefused(t *testing.T) {
	q := testAssessed(t, chinatime.Quarter, 1)
	tests := []struct {
		name string
		r    TriggerRule
		want string
	}{
		{"no-such-indicator", TriggerRule{ID: "x", Predicate: Bottom, Indicator: CWQI, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin}, "has no cwqi"},
		{"bad-n", TriggerRule{ID: "x", Predicate: Bottom, Indicator: PM25, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin}, "n must be positive"},
		{"bad-step", TriggerRule{ID: "x", Predicate: Bottom, Indicator: PM25, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}}, "step"},
		{"no-target", TriggerRule{ID: "x", Predicate: TargetMissed, Indicator: AirIndex, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin}, "no target for air_index"},
		{"predicate", TriggerRule{ID: "x", Predicate: "vibes", Indicator: PM25, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepBulletin}, "unknown predicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate([]TriggerRule{tt.r}, q, nil, time.Now())
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBulletinGolden(t *testing.T) {
	at := time.Date(2026, 4, 10, 10, 0, 0, 0, chinatime.Zone)
	q := testAssessed(t, chinatime.Quarter, 1)
	fs, err := Evaluate(testRules(), q, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	// A county-level settlement on a hypothetical county formula (Tai'an
	// pattern: 40万 per µg/m³, 10万 per point), quarterly.
	f := ShandongFormulas()[2]
	f.Version, f.From, f.To, f.YuanPerUg, f.YuanPerPoint, f.Factors = "LC-BC-2026", day0(2026, 1, 1), time.Time{}, 400_000, 100_000, nil
	s, err := Compensate([]Formula{f}, q.Period, []CompInput{
		{County: "371521", Current: AirValues{Conc: conc(48, 85, 9, 28), GoodDays: ptr(63.3)}, LastYear: AirValues{Conc: conc(52, 90, 10, 30), GoodDays: ptr(58.9)}},
		{County: "371581", Current: AirValues{Conc: conc(58, 99, 12, 33), GoodDays: ptr(52.2)}, LastYear: AirValues{Conc: conc(56, 97, 12, 32), GoodDays: ptr(54.4)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range testValues() {
		names[c.County] = c.Name
	}
	got := Bulletin(BulletinInput{Issuer: "聊城市生态环境局", Number: "聊环通〔2026〕3号", Assessment: q, Firings: fs, Settlement: &s, Names: names})
	golden.CheckString(t, "testdata/bulletin_2026Q1.md", got)
	if again := Bulletin(BulletinInput{Issuer: "聊城市生态环境局", Number: "聊环通〔2026〕3号", Assessment: q, Firings: fs, Settlement: &s, Names: names}); again != got {
		t.Fatal("bulletin not deterministic")
	}
	// The English circular: the same sections and measures, every word in
	// English; the Chinese one has no English word. Names of counties,
	// the issuer, the document number, the scheme's and formula's version
	// codes and the indicators' symbols are what may stay.
	// The English one names every county by the English names given.
	namesEN := map[string]string{}
	for code := range names {
		namesEN[code] = "County " + code
	}
	en := Bulletin(BulletinInput{Issuer: "Liaocheng Ecology and Environment Bureau", Number: "聊环通〔2026〕3号", Assessment: q, Firings: fs, Settlement: &s, Names: namesEN, Lang: "en"})
	golden.CheckString(t, "testdata/bulletin_2026Q1.en.md", en)
	keep := []string{"聊环通〔2026〕3号", q.Scheme, s.Formula, "PM2.5", "CWQI", "μg/m³"}
	for _, n := range names {
		keep = append(keep, n)
	}
	golden.CheckLanguage(t, "zh", got, keep...)
	golden.CheckLanguage(t, "en", en, "聊环通〔2026〕3号") // no Chinese county name left either
	for _, w := range []string{"Circular on the environmental-quality assessment", "## 3. Accountability measures", "early warning", "circular (", "¥1,840,000", "did not meet"} {
		if !strings.Contains(en, w) {
			t.Errorf("English circular has no %q:\n%s", w, en)
		}
	}
	// A firing stored before the English reason existed still reads in
	// English (the engine's wording parsed back).
	old := append([]Firing(nil), fs...)
	for i := range old {
		old[i].ReasonEN = ""
	}
	if again := Bulletin(BulletinInput{Issuer: "Liaocheng Ecology and Environment Bureau", Number: "聊环通〔2026〕3号", Assessment: q, Firings: old, Settlement: &s, Names: namesEN, Lang: "en"}); again != en {
		t.Errorf("an old firing's English differs:\n%s", golden.Diff([]byte(en), []byte(again)))
	}
}

// The cases the engine opens carry their title and description in both
// languages: the Chinese without an English word, the English without a
// Han character but the county's name.
func TestCaseTitlesBothLanguages(t *testing.T) {
	at := time.Date(2026, 4, 10, 10, 0, 0, 0, chinatime.Zone)
	q := testAssessed(t, chinatime.Quarter, 1)
	rules := append(testRules(), TriggerRule{ID: "pm", Title: "细颗粒物浓度排名末位", Predicate: Bottom, Indicator: PM25, N: 1, Kinds: []chinatime.Kind{chinatime.Quarter}, Step: StepSummons, Line: "air-general"})
	fs, err := Evaluate(rules, q, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	var cs []cases.Case
	for _, f := range fs {
		cs = append(cs, f.Case)
	}
	d := Duty{Unit: "U1", Enterprise: "E1", County: "371581", Kind: DutyToxicReport, Year: 2026, Seq: 1, Due: day0(2026, 3, 31), Basis: "2025年度有毒有害物质排放情况报告"}
	for _, r := range Reminders([]Duty{d}, day0(2026, 5, 1), 30) {
		if r.Case != nil {
			cs = append(cs, *r.Case)
		}
	}
	b := Breach{Warning: "W1", Enterprise: "E1", County: "371581", Series: "electricity", Measure: MeasureStop, From: at, To: at.Add(time.Hour), Samples: 4, Max: 80, Allowed: 10}
	cs = append(cs, b.Case(Orange))
	if len(cs) < 4 {
		t.Fatalf("%d cases", len(cs))
	}
	var names []string
	for _, c := range testValues() {
		names = append(names, c.Name)
	}
	keep := append(names, "PM2.5", "U1", "E1", "2026-Q1")
	for _, c := range cs {
		if c.TitleEN == "" || c.DescriptionEN == "" || !c.EngineWritten() {
			t.Errorf("%s: no English: %+v", c.ID, c)
		}
		golden.CheckLanguage(t, "zh", c.Title+"\n"+c.Description, keep...)
		golden.CheckLanguage(t, "en", c.TitleEN+"\n"+c.DescriptionEN, keep...)
		if en, ok := c.TitleLang("en"); !ok || en != c.TitleEN {
			t.Errorf("%s: TitleLang(en) = %q %v", c.ID, en, ok)
		}
		// Stored before the English existed: the Chinese, marked.
		old := c
		old.TitleEN, old.DescriptionEN = "", ""
		if zh, ok := old.TitleLang("en"); ok || zh != c.Title {
			t.Errorf("%s: an old case's English title = %q %v, want the Chinese unmarked-as-English", c.ID, zh, ok)
		}
	}
	if !strings.Contains(cs[len(cs)-1].Title, "停产") || strings.Contains(cs[len(cs)-1].Title, "stop") {
		t.Errorf("breach title names the measure by code: %q", cs[len(cs)-1].Title)
	}
}
