package cases

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func cstTime(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, tz)
}

func TestDueAfter(t *testing.T) {
	tests := []struct {
		at   time.Time
		days int
		want time.Time
	}{
		{cstTime(2026, 3, 1, 10, 0, 0), 15, cstTime(2026, 3, 17, 0, 0, 0)},
		{cstTime(2026, 3, 1, 0, 0, 0), 15, cstTime(2026, 3, 17, 0, 0, 0)},   // the first day is never counted
		{cstTime(2026, 3, 1, 23, 59, 59), 1, cstTime(2026, 3, 3, 0, 0, 0)},  // one whole day: 2 March
		{cstTime(2026, 2, 27, 9, 0, 0), 2, cstTime(2026, 3, 2, 0, 0, 0)},    // over the end of February
		{cstTime(2026, 12, 20, 9, 0, 0), 60, cstTime(2027, 2, 19, 0, 0, 0)}, // over the year
		// 16:30 UTC on 28 Feb is 00:30 CST on 1 March: days count in China.
		{time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC), 15, cstTime(2026, 3, 17, 0, 0, 0)},
		{cstTime(2026, 3, 1, 10, 0, 0), 0, time.Time{}},
		{time.Time{}, 15, time.Time{}},
	}
	for _, tt := range tests {
		if got := DueAfter(tt.at, tt.days); !got.Equal(tt.want) {
			t.Errorf("DueAfter(%v, %d) = %v, want %v", tt.at, tt.days, got, tt.want)
		}
	}
}

type overdueCase struct {
	name         string
	c            Case
	now          time.Time
	overdue      bool
	stage, whole bool
	due          time.Time
	by           time.Duration
	wantStageDue time.Time
	wantHasStage bool
}

func TestOverdueBoundaries(t *testing.T) {
	r := DefaultRules()
	p := r.Policies[PolicyDefault] // accept 3, assign 2, close 30, verify 7
	reg, _ := caseIn(t, r, newCase("C1"), StateRegistered)
	acceptBy := cstTime(2026, 3, 5, 0, 0, 0) // registered 1 March 10:00, 3 days
	tests := []overdueCase{
		{"registered, last instant", reg, acceptBy.Add(-time.Nanosecond), false, false, false, acceptBy, 0, acceptBy, true},
		{"registered, deadline instant", reg, acceptBy, true, true, false, acceptBy, 0, acceptBy, true},
		{"registered, a day late", reg, acceptBy.Add(24 * time.Hour), true, true, false, acceptBy, 24 * time.Hour, acceptBy, true},
	}
	acc, _ := caseIn(t, r, newCase("C1"), StateAccepted) // accepted 1 March 11:00
	assignBy := cstTime(2026, 3, 4, 0, 0, 0)
	closeBy := cstTime(2026, 4, 1, 0, 0, 0)
	if !acc.Due.Equal(closeBy) {
		t.Fatalf("due on acceptance %v, want %v", acc.Due, closeBy)
	}
	tests = append(tests,
		overdueCase{"accepted, not assigned in time", acc, assignBy, true, true, false, assignBy, 0, assignBy, true})
	rect, _ := caseIn(t, r, newCase("C1"), StateRectifying)
	tests = append(tests,
		overdueCase{"rectifying, before due", rect, closeBy.Add(-time.Second), false, false, false, closeBy, 0, closeBy, true},
		overdueCase{"rectifying, at due", rect, closeBy, true, true, true, closeBy, 0, closeBy, true},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Overdue(tt.c, p, tt.now)
			if l.Overdue != tt.overdue || l.Stage != tt.stage || l.Case != tt.whole || !l.Due.Equal(tt.due) || l.By != tt.by {
				t.Errorf("Overdue = %+v", l)
			}
			sd, ok := StageDue(tt.c, p)
			if ok != tt.wantHasStage || !sd.Equal(tt.wantStageDue) {
				t.Errorf("StageDue = %v %v", sd, ok)
			}
		})
	}

	// Submitted: the verification deadline (7 days) is the stage's.
	sub, _ := caseIn(t, r, newCase("C1"), StateSubmitted) // submitted 1 March 14:00
	if sd, _ := StageDue(sub, p); !sd.Equal(cstTime(2026, 3, 9, 0, 0, 0)) {
		t.Errorf("verification deadline %v", sd)
	}
	// A closed case is never overdue, even long after its due date.
	cl, _ := caseIn(t, r, newCase("C1"), StateClosed)
	if l := Overdue(cl, p, closeBy.AddDate(1, 0, 0)); l.Overdue {
		t.Errorf("closed case overdue")
	}
}

func TestOnTime(t *testing.T) {
	due := cstTime(2026, 4, 1, 0, 0, 0)
	c := Case{State: StateClosed, Due: due}
	for _, tt := range []struct {
		closed time.Time
		want   bool
	}{
		{due.Add(-time.Nanosecond), true},
		{due, false},
		{due.Add(time.Hour), false},
	} {
		c.ClosedAt = tt.closed
		if got := OnTime(c); got != tt.want {
			t.Errorf("closed %v: OnTime = %v", tt.closed, got)
		}
	}
	if OnTime(Case{State: StateRectifying, Due: due}) {
		t.Errorf("an open case is not closed on time")
	}
}

func TestEscalationsLadder(t *testing.T) {
	r := DefaultRules()
	p := r.Policies[PolicyDefault]
	c, _ := caseIn(t, r, newCase("C1"), StateRectifying)
	due := c.Due // 1 April 00:00
	levels := func(es []Escalation) []Level {
		var out []Level
		for _, e := range es {
			out = append(out, e.Level)
		}
		return out
	}
	tests := []struct {
		now  time.Time
		want []Level
	}{
		{due.AddDate(0, 0, -7).Add(-time.Second), nil},
		{due.AddDate(0, 0, -7), []Level{LevelReminder}},
		{due.Add(-time.Second), []Level{LevelReminder}},
		{due, []Level{LevelReminder, LevelNotice}},
		{due.AddDate(0, 0, 30), []Level{LevelReminder, LevelNotice, LevelListed}},
		{due.AddDate(0, 0, 60), []Level{LevelReminder, LevelNotice, LevelListed, LevelSummons}},
	}
	for _, tt := range tests {
		got := Escalations(c, p, tt.now)
		if !reflect.DeepEqual(levels(got), tt.want) {
			t.Errorf("at %v: %v, want %v", tt.now, levels(got), tt.want)
		}
		// Idempotent: asking again gives the same.
		if again := Escalations(c, p, tt.now); !reflect.DeepEqual(again, got) {
			t.Errorf("second call differs")
		}
	}
	// Record what is due at the deadline; then only later steps come.
	now := due
	for _, e := range Escalations(c, p, now) {
		a := Action{Kind: ActEscalate, Level: e.Level}
		if e.DocPrefix != "" {
			a.Doc, _ = DocNumber(e.DocPrefix, 2026, 12)
		}
		c = must(t, r, c, a, systemAct, now)
	}
	if got := Escalations(c, p, now); len(got) != 0 {
		t.Errorf("after recording: %v", got)
	}
	if got := levels(Escalations(c, p, due.AddDate(0, 0, 30))); !reflect.DeepEqual(got, []Level{LevelListed}) {
		t.Errorf("30 days late: %v", got)
	}
	if c.Escalations[1].Doc != "聊环督〔2026〕12号" {
		t.Errorf("doc %q", c.Escalations[1].Doc)
	}
	// An extension moves the ladder: nothing more is due until the new date.
	c.Extension = &Extension{Due: due.AddDate(0, 0, 30)}
	c = must(t, r, c, Action{Kind: ActApproveExtension}, city, now)
	if got := Escalations(c, p, due.AddDate(0, 0, 30)); len(got) != 0 {
		t.Errorf("after extension: %v", got)
	}
	// A closed case escalates no more; reopening starts a new cycle.
	c, _ = caseIn(t, r, newCase("C2"), StateClosed)
	if got := Escalations(c, p, c.Due.AddDate(1, 0, 0)); got != nil {
		t.Errorf("closed: %v", got)
	}
	c.Escalations = []Issued{{Level: LevelReminder, Cycle: 0}}
	c = must(t, r, c, Action{Kind: ActReopen, Reason: "relapse"}, city, c.UpdatedAt.Add(time.Hour))
	if got := levels(Escalations(c, p, c.Due)); !reflect.DeepEqual(got, []Level{LevelReminder, LevelNotice}) {
		t.Errorf("new cycle: %v", got)
	}
	// Duplicate recording is refused.
	c = must(t, r, c, Action{Kind: ActEscalate, Level: LevelReminder}, systemAct, c.UpdatedAt)
	_, _, err := r.Apply(c, Action{Kind: ActEscalate, Level: LevelReminder}, systemAct, c.UpdatedAt)
	wantErr[*FieldError](t, err, ErrDuplicate)
}

func TestEscalationsBeforeAcceptance(t *testing.T) {
	r := DefaultRules()
	p := r.Policies[Policy12369]
	c, _ := caseIn(t, r, newPetitionCase("P1"), StateRegistered)
	acceptBy := cstTime(2026, 3, 17, 0, 0, 0)
	got := Escalations(c, p, acceptBy)
	if len(got) != 2 || got[1].Level != LevelNotice || !got[1].DueAt.Equal(acceptBy) {
		t.Errorf("unaccepted petition at its acceptance deadline: %+v", got)
	}
}

func TestDocNumber(t *testing.T) {
	got, err := DocNumber("聊环督", 2026, 12)
	if err != nil || got != "聊环督〔2026〕12号" {
		t.Fatalf("DocNumber = %q, %v", got, err)
	}
	pre, y, s, err := ParseDocNumber(got)
	if err != nil || pre != "聊环督" || y != 2026 || s != 12 {
		t.Errorf("ParseDocNumber = %q %d %d %v", pre, y, s, err)
	}
	for _, bad := range []struct {
		p    string
		y, s int
	}{{"", 2026, 1}, {"聊环督", 26, 1}, {"聊环督", 2026, 0}, {"聊〔环督", 2026, 1}} {
		if _, err := DocNumber(bad.p, bad.y, bad.s); !errors.Is(err, ErrInvalid) {
			t.Errorf("DocNumber(%q, %d, %d) = %v", bad.p, bad.y, bad.s, err)
		}
	}
	for _, bad := range []string{"", "聊环督〔2026〕012号", "聊环督〔2026〕12", "聊环督[2026]12号", "〔2026〕12号", "聊环督〔26〕12号", "聊环督〔2026〕号", "聊环督〔2026〕-1号"} {
		if _, _, _, err := ParseDocNumber(bad); err == nil {
			t.Errorf("ParseDocNumber(%q) accepted", bad)
		}
	}
}

func TestRecurrenceWindow(t *testing.T) {
	base := newCase("NEW")
	base.CreatedAt = cstTime(2026, 6, 30, 12, 0, 0)
	old := func(id string, ago time.Duration, mod func(*Case)) Case {
		c := newCase(id)
		c.State = StateClosed
		c.CreatedAt = base.CreatedAt.Add(-ago)
		if mod != nil {
			mod(&c)
		}
		return c
	}
	day := 24 * time.Hour
	tests := []struct {
		name    string
		history []Case
		c       Case
		want    RecurrenceResult
	}{
		{"exactly N days before", []Case{old("A", 90*day, nil)}, base, RecurrenceResult{true, []string{"A"}}},
		{"one second beyond", []Case{old("A", 90*day+time.Second, nil)}, base, RecurrenceResult{}},
		{"same instant", []Case{old("A", 0, nil)}, base, RecurrenceResult{true, []string{"A"}}},
		{"later case ignored", []Case{old("A", -time.Second, nil)}, base, RecurrenceResult{}},
		{"itself ignored", []Case{old("NEW", day, nil)}, base, RecurrenceResult{}},
		{"other enterprise", []Case{old("A", day, func(c *Case) { c.Enterprise = otherEnt })}, base, RecurrenceResult{}},
		{"other problem type", []Case{old("A", day, func(c *Case) { c.ProblemType = "dust" })}, base, RecurrenceResult{}},
		{"rejected ignored", []Case{old("A", day, func(c *Case) { c.State = StateRejected })}, base, RecurrenceResult{}},
		{"open case counts", []Case{old("A", day, func(c *Case) { c.State = StateRectifying })}, base, RecurrenceResult{true, []string{"A"}}},
		{"oldest first", []Case{old("B", day, nil), old("A", 2*day, nil), old("C", 100*day, nil)}, base, RecurrenceResult{true, []string{"A", "B"}}},
		{"no enterprise", []Case{old("A", day, func(c *Case) { c.Enterprise = "" })}, func() Case { c := base; c.Enterprise = ""; return c }(), RecurrenceResult{}},
		{"line when no type", []Case{old("A", day, func(c *Case) { c.ProblemType = "" })}, func() Case { c := base; c.ProblemType = ""; return c }(), RecurrenceResult{true, []string{"A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Recurrence(tt.history, tt.c, 90); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Recurrence = %+v, want %+v", got, tt.want)
			}
		})
	}
}
