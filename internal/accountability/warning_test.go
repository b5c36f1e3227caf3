package accountability

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func at(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, chinatime.Zone) }

func TestAddWarning(t *testing.T) {
	base := []Warning{
		{ID: "W1", Level: Orange, Start: at(1, 12, 0), End: at(3, 12, 0)},
		{ID: "W2", Level: Yellow, Start: at(10, 0, 0), End: at(11, 0, 0), Counties: []string{"371581"}},
	}
	list := []Warning{}
	for _, w := range base {
		var err error
		if list, err = AddWarning(list, w); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		w    Warning
		want string // "" accepted
	}{
		{"adjacent-after", Warning{ID: "W3", Level: Red, Start: at(3, 12, 0), End: at(4, 0, 0)}, ""},
		{"adjacent-before", Warning{ID: "W3", Level: Red, Start: at(1, 0, 0), End: at(1, 12, 0)}, ""},
		{"overlap-one-minute", Warning{ID: "W3", Level: Red, Start: at(3, 11, 59), End: at(4, 0, 0)}, "overlaps W1 (orange 2026-12-01 12:00–2026-12-03 12:00)"},
		{"inside", Warning{ID: "W3", Level: Yellow, Start: at(2, 0, 0), End: at(2, 6, 0), Counties: []string{"371502"}}, "overlaps W1"},
		{"other-county", Warning{ID: "W3", Level: Red, Start: at(10, 6, 0), End: at(10, 18, 0), Counties: []string{"371502"}}, ""},
		{"same-county", Warning{ID: "W3", Level: Red, Start: at(10, 6, 0), End: at(10, 18, 0), Counties: []string{"371502", "371581"}}, "overlaps W2"},
		{"citywide-over-county", Warning{ID: "W3", Level: Red, Start: at(10, 6, 0), End: at(10, 18, 0)}, "overlaps W2"},
		{"end-before-start", Warning{ID: "W3", Level: Red, Start: at(20, 6, 0), End: at(20, 6, 0)}, "end must be after start"},
		{"bad-level", Warning{ID: "W3", Level: 4, Start: at(20, 6, 0), End: at(21, 6, 0)}, "level"},
		{"duplicate-id", Warning{ID: "W1", Level: Red, Start: at(20, 6, 0), End: at(21, 6, 0)}, "duplicate id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddWarning(list, tt.w)
			if tt.want == "" {
				if err != nil || len(got) != 3 {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) || len(got) != 2 {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func entry(grade Grade, m map[WarnLevel]Measure) ReductionEntry {
	return ReductionEntry{Enterprise: "91371500MA3C000001", County: "371581", Grade: grade, Measures: m,
		NormalKW: 1000, NormalRate: 20, StopKW: 50}
}

func TestCheckCompliance(t *testing.T) {
	w := Warning{ID: "W1", Level: Orange, Start: at(1, 0, 0), End: at(2, 0, 0)}
	night := []alerts.DayWindow{{Start: 22 * 60, End: 6 * 60}}
	limit := map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureLimit, LoadPermille: 500}, Red: {Kind: MeasureStop}}
	stop := map[WarnLevel]Measure{Yellow: {Kind: MeasureLimit, LoadPermille: 700}, Orange: {Kind: MeasureStop}, Red: {Kind: MeasureStop}}
	stagger := map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureStagger, Windows: night}, Red: {Kind: MeasureStop}}
	none := map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureNone}, Red: {Kind: MeasureNone}}
	el := []Sample{
		{at(1, 0, 0), 480}, {at(1, 1, 0), 520}, {at(1, 2, 0), 700}, {at(1, 3, 0), 400}, // one run of 2 above 500
		{at(1, 12, 0), 900}, {at(1, 23, 0), 30}, {at(2, 0, 0), 990}, // the last is after the warning
		{at(0, 23, 0), 990}, // before the warning (30 Nov)
	}
	on := []Sample{{at(1, 1, 0), 9}, {at(1, 12, 0), 12}}
	tests := []struct {
		name string
		e    ReductionEntry
		el   []Sample
		on   []Sample
		want []string
	}{
		{"limit", entry(GradeB, limit), el, on,
			[]string{"electricity 01T01:00-01T02:00 n=2 max=700 allowed=500", "electricity 01T12:00-01T12:00 n=1 max=900 allowed=500", "online 01T12:00-01T12:00 n=1 max=12 allowed=10"}},
		{"stop", entry(GradeD, stop), el, nil,
			[]string{"electricity 01T00:00-01T12:00 n=5 max=900 allowed=50"}},
		// Staggering at night: 23:00 at 30 kW is fine; the daytime runs are
		// allowed; 00:00-03:00 is in the window.
		{"stagger", entry(GradeC, stagger), el, nil,
			[]string{"electricity 01T00:00-01T03:00 n=4 max=700 allowed=50"}},
		{"none", entry(GradeA, none), el, on, nil},
		{"exempt", entry(GradeExempt, nil), el, on, nil},
		{"other-county", func() ReductionEntry { e := entry(GradeD, stop); e.County = "371502"; return e }(), el, on, nil},
	}
	wc := w
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wc
			if tt.name == "other-county" {
				w.Counties = []string{"371581"}
			}
			bs, err := CheckCompliance(w, tt.e, tt.el, tt.on)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range bs {
				got = append(got, b.Series+" "+b.From.In(chinatime.Zone).Format("02T15:04")+"-"+b.To.In(chinatime.Zone).Format("02T15:04")+
					" n="+itoa(b.Samples)+" max="+trim(b.Max)+" allowed="+trim(b.Allowed))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	bs, _ := CheckCompliance(w, entry(GradeD, stop), el, nil)
	c := bs[0].Case(w.Level)
	if c.Source != cases.SourceElectric || c.Enterprise != "91371500MA3C000001" || !strings.Contains(c.Title, "橙色预警") {
		t.Fatalf("%+v", c)
	}
	if _, _, err := cases.DefaultRules().Apply(c, cases.Action{Kind: cases.ActRegister}, cases.Actor{ID: "system", Role: cases.RoleSystem}, at(2, 1, 0)); err != nil {
		t.Fatal(err)
	}
}

func trim(f float64) string { return strings.TrimSuffix(strings.TrimRight(ftoa(f), "0"), ".") }

func TestReductionEntryValidate(t *testing.T) {
	tests := []struct {
		name string
		e    ReductionEntry
		want string
	}{
		{"missing-level", entry(GradeB, map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureStop}}), "no measure for the red level"},
		{"bad-share", entry(GradeB, map[WarnLevel]Measure{Yellow: {Kind: MeasureLimit, LoadPermille: 1000}, Orange: {Kind: MeasureStop}, Red: {Kind: MeasureStop}}), "yellow: a limit needs"},
		{"stagger-without-windows", entry(GradeB, map[WarnLevel]Measure{Yellow: {Kind: MeasureStagger}, Orange: {Kind: MeasureStop}, Red: {Kind: MeasureStop}}), "needs windows"},
		{"graded-without-measures", entry(GradeB, nil), "no measure for the yellow level"},
		{"grade", entry("E", map[WarnLevel]Measure{Yellow: {Kind: MeasureNone}, Orange: {Kind: MeasureNone}, Red: {Kind: MeasureNone}}), "grade must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if _, err := CheckCompliance(Warning{ID: "W", Level: Red, Start: at(1, 0, 0), End: at(2, 0, 0)}, tt.e, nil, nil); err == nil {
				t.Fatal("check accepted an invalid entry")
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	m := Measure{Kind: MeasureStagger, Windows: []alerts.DayWindow{{Start: 22 * 60, End: 6 * 60}}}
	ss, err := Schedules("filling-station", "refuelling", at(1, 0, 0), at(31, 0, 0), m)
	if err != nil || len(ss) != 1 || ss[0].Class != "filling-station" || ss[0].Windows[0] != m.Windows[0] {
		t.Fatalf("%+v %v", ss, err)
	}
	if _, err := Schedules("x", "production", at(1, 0, 0), at(2, 0, 0), Measure{Kind: MeasureLimit, LoadPermille: 500}); err == nil {
		t.Fatal("a limit became a schedule")
	}
}
