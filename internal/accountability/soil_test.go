package accountability

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func dutyKeys(ds []Duty) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Due.Format("2006-01-02")+" "+string(d.Kind)+"#"+itoa(d.Seq))
	}
	return out
}

func TestDuties(t *testing.T) {
	r := DefaultSoilRules()
	u := SoilUnit{ID: "U1", Enterprise: "E1", County: "371581", Listed: day0(2024, 6, 15), GroundwaterClass: 1}
	sensitive := u
	sensitive.Sensitive = true
	class2 := u
	class2.GroundwaterClass = 2
	screened := u
	screened.Screenings = []time.Time{day0(2025, 5, 20)}
	project := screened
	project.ProjectsStarted = []time.Time{day0(2025, 9, 1)}
	tests := []struct {
		name string
		u    SoilUnit
		year int
		want []string
	}{
		{"listing-year", u, 2024, nil},
		{"first-year", u, 2025, []string{
			"2025-03-31 toxic_report#1", "2025-06-15 hazard_screening#1", "2025-06-30 self_monitoring_groundwater#1",
			"2025-12-31 disclosure#1", "2025-12-31 self_monitoring_deep#1", "2025-12-31 self_monitoring_groundwater#2", "2025-12-31 self_monitoring_surface#1"}},
		// Never screened: the first screening stays outstanding in 2026.
		{"screening-outstanding", u, 2026, []string{
			"2025-06-15 hazard_screening#1", "2026-03-31 toxic_report#1", "2026-06-30 self_monitoring_groundwater#1",
			"2026-12-31 disclosure#1", "2026-12-31 self_monitoring_groundwater#2", "2026-12-31 self_monitoring_surface#1"}},
		// Screened 2025-05-20: next due 2028-05-20; deep soil again in 2028.
		{"screened-2026", screened, 2026, []string{
			"2026-03-31 toxic_report#1", "2026-06-30 self_monitoring_groundwater#1",
			"2026-12-31 disclosure#1", "2026-12-31 self_monitoring_groundwater#2", "2026-12-31 self_monitoring_surface#1"}},
		{"screened-2028", screened, 2028, []string{
			"2028-03-31 toxic_report#1", "2028-05-20 hazard_screening#1", "2028-06-30 self_monitoring_groundwater#1",
			"2028-12-31 disclosure#1", "2028-12-31 self_monitoring_deep#1", "2028-12-31 self_monitoring_groundwater#2", "2028-12-31 self_monitoring_surface#1"}},
		{"project-supplementary", project, 2026, []string{
			"2026-03-31 toxic_report#1", "2026-06-30 self_monitoring_groundwater#1", "2026-09-01 supplementary_screening#1",
			"2026-12-31 disclosure#1", "2026-12-31 self_monitoring_groundwater#2", "2026-12-31 self_monitoring_surface#1"}},
		{"sensitive-quarterly", func() SoilUnit { s := sensitive; s.Screenings = screened.Screenings; return s }(), 2026, []string{
			"2026-03-31 self_monitoring_groundwater#1", "2026-03-31 toxic_report#1", "2026-06-30 self_monitoring_groundwater#2",
			"2026-09-30 self_monitoring_groundwater#3", "2026-12-31 disclosure#1", "2026-12-31 self_monitoring_groundwater#4", "2026-12-31 self_monitoring_surface#1"}},
		{"class-2-yearly", func() SoilUnit { s := class2; s.Screenings = screened.Screenings; return s }(), 2026, []string{
			"2026-03-31 toxic_report#1", "2026-12-31 disclosure#1", "2026-12-31 self_monitoring_groundwater#1", "2026-12-31 self_monitoring_surface#1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := Duties(tt.u, tt.year, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := dutyKeys(ds); !slices.Equal(got, tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	if _, err := Duties(SoilUnit{ID: "U2"}, 2026, r); !errors.Is(err, ErrRefused) {
		t.Fatalf("unit without listing day: %v", err)
	}
}

func TestDutyStatusAndReminders(t *testing.T) {
	d := Duty{Unit: "U1", Enterprise: "E1", County: "371581", Kind: DutyToxicReport, Year: 2026, Seq: 1, Due: day0(2026, 3, 31), Basis: "2025年度有毒有害物质排放情况报告"}
	done := d
	done.Done = time.Date(2026, 3, 31, 23, 59, 0, 0, chinatime.Zone)
	late := d
	late.Done = day0(2026, 4, 1)
	tests := []struct {
		name string
		d    Duty
		now  time.Time
		want DutyStatus
	}{
		{"pending", d, day0(2026, 3, 1), StatusPending},
		{"due-soon-lead-start", d, day0(2026, 3, 17), StatusDueSoon},
		{"last-minute-of-due-day", d, time.Date(2026, 3, 31, 23, 59, 59, 0, chinatime.Zone), StatusDueSoon},
		{"overdue-at-midnight", d, day0(2026, 4, 1), StatusOverdue},
		{"done-on-due-day", done, day0(2026, 5, 1), StatusDone},
		{"done-late", late, day0(2026, 5, 1), StatusLate},
	}
	for _, tt := range tests {
		if got := tt.d.Status(tt.now, 14); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	soon := d
	soon.Kind, soon.Due = DutyDisclosure, day0(2026, 4, 10)
	rs := Reminders([]Duty{soon, d, done}, day0(2026, 4, 3), 14)
	if len(rs) != 2 || rs[0].Status != StatusOverdue || rs[0].DaysLeft != -3 || rs[1].DaysLeft != 8 || rs[1].Case != nil {
		t.Fatalf("%+v", rs)
	}
	c := rs[0].Case
	if c == nil || c.Line != "soil" || c.Enterprise != "E1" || !strings.Contains(c.Title, "2025年度") {
		t.Fatalf("%+v", c)
	}
	if _, _, err := cases.DefaultRules().Apply(*c, cases.Action{Kind: cases.ActRegister}, cases.Actor{ID: "system", Role: cases.RoleSystem}, day0(2026, 4, 3)); err != nil {
		t.Fatal(err)
	}
}

func TestReview(t *testing.T) {
	base := Review{ID: "R1", Plot: "P1", Stage: StageConfirmation, Submitted: day0(2026, 3, 1), Meeting: day0(2026, 3, 20),
		Experts: []string{"甲", "乙", "丙"}, Outcome: OutcomePass}
	with := func(f func(*Review)) Review { r := base; f(&r); return r }
	tests := []struct {
		name    string
		r       Review
		sources bool
		want    Next
		err     string
	}{
		{"pass-clean", base, false, NextNone, ""},
		{"pass-above-risk", with(func(r *Review) { r.AboveRisk = true }), false, NextRiskAssess, ""},
		{"stage1-sources", with(func(r *Review) { r.Stage = StageIdentification }), true, NextStage2, ""},
		{"stage1-clean", with(func(r *Review) { r.Stage = StageIdentification }), false, NextNone, ""},
		{"pending", with(func(r *Review) { r.Outcome = OutcomePending; r.Meeting = time.Time{}; r.Experts = nil }), false, NextWaitReview, ""},
		{"revise", with(func(r *Review) {
			r.Outcome, r.Conditions, r.RevisionDue = OutcomeRevision, []string{"补充地下水采样"}, day0(2026, 4, 20)
		}), false, NextRevise, ""},
		{"revised-above", with(func(r *Review) {
			r.Outcome, r.Conditions, r.RevisionDue, r.Revised, r.AboveRisk = OutcomeRevision, []string{"x"}, day0(2026, 4, 20), day0(2026, 4, 18), true
		}), false, NextRiskAssess, ""},
		{"fail", with(func(r *Review) { r.Outcome = OutcomeFail }), false, NextResubmit, ""},
		{"revision-without-conditions", with(func(r *Review) { r.Outcome = OutcomeRevision }), false, "", "needs the conditions"},
		{"conclusion-without-meeting", with(func(r *Review) { r.Meeting = time.Time{} }), false, "", "meeting day"},
		{"stage1-cannot-exceed", with(func(r *Review) { r.Stage, r.AboveRisk = StageIdentification, true }), false, "", "stage 1 takes no samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.NextStep(tt.sources)
			if tt.err != "" {
				if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %s %v, want %s", got, err, tt.want)
			}
		})
	}
	rv := tests[5].r
	if rv.RevisionOverdue(time.Date(2026, 4, 20, 23, 0, 0, 0, chinatime.Zone)) || !rv.RevisionOverdue(day0(2026, 4, 21)) {
		t.Fatal("revision deadline: due day included, overdue from the next day")
	}
}

func TestPlotSafeUse(t *testing.T) {
	p := Plot{ID: "P1", PlannedUse: "住宅", ControlListed: day0(2025, 1, 1), ControlRemoved: day0(2026, 6, 1)}
	if p.SafeUse(day0(2025, 6, 1)) || !p.SafeUse(day0(2026, 6, 1)) || !p.SafeUse(day0(2024, 6, 1)) {
		t.Fatal("a listed plot may not be used for housing, before listing and after removal it may")
	}
	p.PlannedUse = "工业用地"
	if !p.SafeUse(day0(2025, 6, 1)) {
		t.Fatal("industrial use of a listed plot is not a sensitive use")
	}
}

func TestGovernanceCompletion(t *testing.T) {
	ps := []Project{
		{ID: "1", County: "a", Kind: UltraLow, Target: 1, Progress: 1, Due: day0(2026, 3, 31), Completed: day0(2026, 3, 31)},
		{ID: "2", County: "a", Kind: VOCsSubstitute, Target: 100, Progress: 100, Due: day0(2026, 3, 31), Completed: day0(2026, 4, 2)}, // late
		{ID: "3", County: "a", Kind: VOCsSubstitute, Target: 100, Progress: 65, Due: day0(2026, 6, 30)},                               // not due in Q1
		{ID: "4", County: "b", Kind: VOCsSubstitute, Target: 100, Progress: 80, Due: day0(2026, 2, 28), Completed: day0(2026, 2, 1)},  // accepted below target
		{ID: "5", County: "b", Kind: UltraLow, Target: 2, Progress: 2, Due: day0(2026, 1, 31), Completed: day0(2026, 1, 5)},
		{ID: "6", County: "b", Kind: UltraLow, Target: 2, Progress: 2, Due: day0(2026, 1, 31), Completed: day0(2026, 1, 5)},
	}
	got := Completion(ps, chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1})
	if len(got) != 2 || got["a"] != 50 || got["b"] != 66.7 {
		t.Fatalf("%v", got)
	}
	if r := ps[2].Ratio(); r != 0.65 {
		t.Fatalf("ratio %v", r)
	}
	// The rate feeds the assessment as the Governance indicator.
	s := []Scheme{{Version: "g", Title: "t", From: day0(2026, 1, 1), Kinds: []chinatime.Kind{chinatime.Quarter}, Rules: []Rule{{Indicator: Governance, Method: ByTarget, Points: 10, DeductPerUnit: 0.1}}}}
	var vs []CountyValues
	for _, c := range []string{"a", "b"} {
		vs = append(vs, CountyValues{County: c, Name: c, Values: map[Indicator]float64{Governance: got[c]}})
	}
	a, err := Assess(s, chinatime.Period{Kind: chinatime.Quarter, Year: 2026, N: 1}, vs, []Target{{"a", Governance, 100}, {"b", Governance, 100}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Counties[0].County != "b" || a.Counties[0].Total != 6.67 || a.Counties[1].Total != 5 {
		t.Fatalf("%+v", a.Counties)
	}
}
