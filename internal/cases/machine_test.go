package cases

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantMoves is the state machine written out by hand, independent of the
// table in machine.go: a change to one without the other fails.
var wantMoves = map[State][]Move{
	StateNone:       {{ActRegister, StateRegistered}},
	StateRegistered: {{ActAccept, StateAccepted}, {ActReject, StateRejected}, {ActEscalate, StateRegistered}, {ActFlagReview, StateRegistered}, {ActAddFinding, StateRegistered}, {ActNote, StateRegistered}},
	StateAccepted:   {{ActAssign, StateAssigned}, {ActEscalate, StateAccepted}, {ActFlagReview, StateAccepted}, {ActAddFinding, StateAccepted}, {ActNote, StateAccepted}},
	StateRejected:   nil,
	StateAssigned: {{ActStart, StateRectifying}, {ActRequestExtension, StateAssigned}, {ActApproveExtension, StateAssigned},
		{ActDenyExtension, StateAssigned}, {ActEscalate, StateAssigned}, {ActFlagReview, StateAssigned}, {ActAddFinding, StateAssigned}, {ActNote, StateAssigned}},
	StateRectifying: {{ActSubmit, StateSubmitted}, {ActRequestExtension, StateRectifying}, {ActApproveExtension, StateRectifying},
		{ActDenyExtension, StateRectifying}, {ActEscalate, StateRectifying}, {ActFlagReview, StateRectifying}, {ActAddFinding, StateRectifying}, {ActNote, StateRectifying}},
	StateSubmitted: {{ActVerify, StateVerifying}, {ActApproveExtension, StateSubmitted}, {ActDenyExtension, StateSubmitted},
		{ActEscalate, StateSubmitted}, {ActFlagReview, StateSubmitted}, {ActAddFinding, StateSubmitted}, {ActNote, StateSubmitted}},
	StateVerifying: {{ActClose, StateClosed}, {ActReturn, StateRectifying}, {ActApproveExtension, StateVerifying},
		{ActDenyExtension, StateVerifying}, {ActEscalate, StateVerifying}, {ActFlagReview, StateVerifying}, {ActAddFinding, StateVerifying}, {ActNote, StateVerifying}},
	StateClosed: {{ActReopen, StateRectifying}, {ActRate, StateClosed}, {ActFlagReview, StateClosed}},
}

func sortedMoves(ms []Move) []Move {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b Move) int {
		if a.Action < b.Action {
			return -1
		}
		if a.Action > b.Action {
			return 1
		}
		return 0
	})
	return out
}

// TestTransitions tries every action in every state, as an actor allowed to
// take it, with a valid payload: it must succeed exactly when the hand table
// allows it, reach the state it names, and otherwise be refused with a
// TransitionError listing the allowed moves.
func TestTransitions(t *testing.T) {
	r := DefaultRules()
	for _, s := range append([]State{StateNone}, States()...) {
		if got, want := sortedMoves(Allowed(s)), sortedMoves(wantMoves[s]); !reflect.DeepEqual(got, want) {
			t.Errorf("Allowed(%q) = %v, want %v", s, got, want)
		}
		for _, k := range Actions() {
			t.Run(string(s)+"/"+string(k), func(t *testing.T) {
				c, now := caseIn(t, r, newPetitionCase("C1"), s)
				now = now.Add(time.Minute)
				if k == ActApproveExtension || k == ActDenyExtension {
					if s == StateSubmitted || s == StateVerifying {
						c.Extension = &Extension{RequestedAt: now, By: "x", Due: c.Due.AddDate(0, 0, 5), Reason: "r"}
					} else if s == StateAssigned || s == StateRectifying {
						c = must(t, r, c, validAction(ActRequestExtension, c, r), entA, now)
					}
				}
				a := validAction(k, c, r)
				n, evs, err := r.Apply(c, a, actorFor(k), now)
				var want *Move
				for _, m := range wantMoves[s] {
					if m.Action == k {
						want = &m
					}
				}
				if want == nil {
					te := wantErr[*TransitionError](t, err, ErrTransition)
					if got := sortedMoves(te.Allowed); !reflect.DeepEqual(got, sortedMoves(wantMoves[s])) {
						t.Errorf("allowed in error = %v, want %v", got, wantMoves[s])
					}
					if te.State != s || te.Action != k {
						t.Errorf("error names %s/%s", te.State, te.Action)
					}
					if !reflect.DeepEqual(n, c) || evs != nil {
						t.Errorf("refused action changed the case or returned events")
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if n.State != want.To {
					t.Errorf("state %s, want %s", n.State, want.To)
				}
				if len(evs) != 1 || evs[0].From != s || evs[0].To != want.To || evs[0].Seq != c.Seq+1 || evs[0].Action != k || !evs[0].At.Equal(now) {
					t.Errorf("event %+v", evs)
				}
			})
		}
	}
}

func TestTransitionErrorNextStates(t *testing.T) {
	r := DefaultRules()
	c, now := caseIn(t, r, newCase("C1"), StateVerifying)
	_, _, err := r.Apply(c, Action{Kind: ActSubmit, Evidence: []string{hash("x")}}, countyA, now)
	te := wantErr[*TransitionError](t, err, ErrTransition)
	if got, want := te.NextStates(), []State{StateClosed, StateRectifying, StateVerifying}; !reflect.DeepEqual(got, want) {
		t.Errorf("NextStates = %v, want %v", got, want)
	}
	if msg := te.Error(); !strings.Contains(msg, "close→closed") || !strings.Contains(msg, "return→rectifying") {
		t.Errorf("message %q lacks the allowed moves", msg)
	}
}

// TestRoleMatrix checks the permission table against a hand-written one and
// that scope is enforced for every role that is bound to one.
func TestRoleMatrix(t *testing.T) {
	C, Y, E, P, S := RoleCity, RoleCounty, RoleEnterprise, RolePublic, RoleSystem
	want := map[ActionKind][]Role{
		ActRegister: {C, Y, S}, ActAccept: {C, Y}, ActReject: {C, Y}, ActAssign: {C, Y},
		ActStart: {Y, E}, ActSubmit: {Y, E}, ActVerify: {C, Y}, ActClose: {C, Y}, ActReturn: {C, Y}, ActReopen: {C, Y},
		ActRequestExtension: {Y, E}, ActApproveExtension: {C}, ActDenyExtension: {C},
		ActEscalate: {C, S}, ActRate: {P}, ActFlagReview: {C, Y, S}, ActAddFinding: {S}, ActNote: {S},
	}
	if len(want) != len(Actions()) {
		t.Fatalf("matrix has %d actions, machine %d", len(want), len(Actions()))
	}
	for _, k := range Actions() {
		for _, role := range Roles() {
			if got := Permitted(role, k); got != slices.Contains(want[k], role) {
				t.Errorf("Permitted(%s, %s) = %v", role, k, got)
			}
		}
	}

	r := DefaultRules()
	inScope := map[Role]Actor{C: city, Y: countyA, E: entA, P: publicA, S: systemAct}
	outScope := map[Role]Actor{Y: countyB, E: entB, P: publicB}
	for _, k := range Actions() {
		// A state where k is allowed.
		var s State = StateNone
		for st, ms := range wantMoves {
			for _, m := range ms {
				if m.Action == k {
					s = st
				}
			}
		}
		for _, role := range Roles() {
			t.Run(string(k)+"/"+string(role), func(t *testing.T) {
				c, now := caseIn(t, r, newPetitionCase("C1"), s)
				now = now.Add(time.Minute)
				if k == ActApproveExtension || k == ActDenyExtension {
					c.Extension = &Extension{RequestedAt: now, Due: c.Due.AddDate(0, 0, 5), Reason: "r"}
				}
				a := validAction(k, c, r)
				_, _, err := r.Apply(c, a, inScope[role], now)
				if slices.Contains(want[k], role) {
					if err != nil {
						t.Fatalf("in scope: %v", err)
					}
					if out, ok := outScope[role]; ok {
						_, _, err := r.Apply(c, a, out, now)
						pe := wantErr[*PermissionError](t, err, ErrPermission)
						if pe.Role != role || pe.Action != k {
							t.Errorf("error names %s/%s", pe.Role, pe.Action)
						}
					}
				} else {
					wantErr[*PermissionError](t, err, ErrPermission)
				}
			})
		}
	}
}

func TestScopeNoEnterpriseOrPetition(t *testing.T) {
	r := DefaultRules()
	c := newCase("C1")
	c.Enterprise = "" // e.g. a dust case on a road
	c, now := caseIn(t, r, c, StateAssigned)
	if _, _, err := r.Apply(c, Action{Kind: ActStart}, Actor{Role: RoleEnterprise}, now); !errors.Is(err, ErrPermission) {
		t.Errorf("enterprise with empty USCC on a case without enterprise: %v", err)
	}
	if _, _, err := r.Apply(c, Action{Kind: ActStart}, Actor{Role: RoleCounty}, now); !errors.Is(err, ErrPermission) {
		t.Errorf("county staff with no county: %v", err)
	}
	if _, _, err := r.Apply(c, Action{Kind: ActStart}, Actor{Role: "admin"}, now); !errors.Is(err, ErrPermission) {
		t.Errorf("unknown role: %v", err)
	}
}

func TestPayloadRefusals(t *testing.T) {
	r := DefaultRules()
	bad := newCase("C1")
	bad.Line = "air-nonsense"
	noTitle := newCase("C1")
	noTitle.Title = ""
	badEv := newCase("C1")
	badEv.Evidence = []string{"ABC"}
	pet := newCase("C1")
	pet.Source = SourcePetition
	unkPolicy := newCase("C1")
	unkPolicy.Policy = "nope"
	tests := []struct {
		name  string
		state State
		base  Case
		a     Action
		who   Actor
		field string
		err   error
	}{
		{"unknown line", StateNone, bad, Action{Kind: ActRegister}, city, "line", ErrInvalid},
		{"no title", StateNone, noTitle, Action{Kind: ActRegister}, city, "title", ErrInvalid},
		{"bad evidence hash", StateNone, badEv, Action{Kind: ActRegister}, city, "evidence[0]", ErrInvalid},
		{"petition without code", StateNone, pet, Action{Kind: ActRegister}, systemAct, "petition", ErrInvalid},
		{"unknown policy", StateNone, unkPolicy, Action{Kind: ActRegister}, city, "policy", ErrInvalid},
		{"reject without reason", StateRegistered, newCase("C1"), Action{Kind: ActReject}, countyA, "reason", ErrInvalid},
		{"accept with past due", StateRegistered, newCase("C1"), Action{Kind: ActAccept, Due: t0}, countyA, "due", ErrInvalid},
		{"assign nobody", StateAccepted, newCase("C1"), Action{Kind: ActAssign}, countyA, "assignees", ErrInvalid},
		{"assign twice the same", StateAccepted, newCase("C1"), Action{Kind: ActAssign, Assignees: []string{"a", "a"}}, countyA, "assignees", ErrInvalid},
		{"submit without evidence", StateRectifying, newCase("C1"), Action{Kind: ActSubmit}, entA, "evidence", ErrInvalid},
		{"submit uppercase hash", StateRectifying, newCase("C1"), Action{Kind: ActSubmit, Evidence: []string{"AB" + hash("x")[2:]}}, entA, "evidence[0]", ErrInvalid},
		{"return without reason", StateVerifying, newCase("C1"), Action{Kind: ActReturn}, countyA, "reason", ErrInvalid},
		{"reopen without reason", StateClosed, newCase("C1"), Action{Kind: ActReopen}, countyA, "reason", ErrInvalid},
		{"extension without reason", StateRectifying, newCase("C1"), Action{Kind: ActRequestExtension}, entA, "reason", ErrInvalid},
		{"extension earlier due", StateRectifying, newCase("C1"), Action{Kind: ActRequestExtension, Reason: "r", Due: t0}, entA, "due", ErrInvalid},
		{"escalate off-ladder level", StateRectifying, newCase("C1"), Action{Kind: ActEscalate, Level: "jail"}, city, "level", ErrInvalid},
		{"notice without number", StateRectifying, newCase("C1"), Action{Kind: ActEscalate, Level: LevelNotice}, city, "doc", ErrInvalid},
		{"notice with other prefix", StateRectifying, newCase("C1"), Action{Kind: ActEscalate, Level: LevelNotice, Doc: "济环督〔2026〕1号"}, city, "doc", ErrInvalid},
		{"rate with nonsense", StateClosed, newPetitionCase("C1"), Action{Kind: ActRate, Satisfaction: "meh"}, publicA, "satisfaction", ErrInvalid},
		{"flag without reason", StateClosed, newCase("C1"), Action{Kind: ActFlagReview}, city, "reason", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.base
			now := t0
			if tt.state != StateNone {
				c, now = caseIn(t, r, tt.base, tt.state)
			}
			n, evs, err := r.Apply(c, tt.a, tt.who, now.Add(time.Minute))
			fe := wantErr[*FieldError](t, err, tt.err)
			if fe.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if !reflect.DeepEqual(n, c) || evs != nil {
				t.Errorf("refused action changed the case")
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	r := DefaultRules()
	c, now := caseIn(t, r, newPetitionCase("C1"), StateClosed)
	c = must(t, r, c, Action{Kind: ActRate, Satisfaction: BasicallySatisfied}, publicA, now)
	_, _, err := r.Apply(c, Action{Kind: ActRate, Satisfaction: Dissatisfied}, publicA, now)
	wantErr[*FieldError](t, err, ErrDuplicate)
	c = must(t, r, c, Action{Kind: ActFlagReview, Reason: "recurs"}, city, now)
	_, _, err = r.Apply(c, Action{Kind: ActFlagReview, Reason: "again"}, city, now)
	wantErr[*FieldError](t, err, ErrDuplicate)

	// After reopening, the petitioner may rate the new outcome.
	c = must(t, r, c, Action{Kind: ActReopen, Reason: "复查: still smells"}, countyA, now)
	if c.Satisfaction != "" || c.Cycle != 1 {
		t.Fatalf("reopen kept satisfaction %q, cycle %d", c.Satisfaction, c.Cycle)
	}
}

func TestEventLog(t *testing.T) {
	r := DefaultRules()
	c := newPetitionCase("C1")
	steps := []struct {
		a   Action
		who Actor
	}{
		{Action{Kind: ActRegister}, systemAct},
		{Action{Kind: ActAccept}, countyA},
		{Action{Kind: ActAssign, Assignees: []string{"team-1", "team-2"}}, countyA},
		{Action{Kind: ActStart}, entA},
		{Action{Kind: ActRequestExtension, Reason: "equipment on order"}, entA},
		{Action{Kind: ActApproveExtension}, city},
		{Action{Kind: ActSubmit, Evidence: []string{hash("photo")}}, entA},
		{Action{Kind: ActVerify}, countyA},
		{Action{Kind: ActReturn, Reason: "seal still leaking"}, countyA},
		{Action{Kind: ActSubmit, Evidence: []string{hash("photo2")}}, entA},
		{Action{Kind: ActVerify}, countyA},
		{Action{Kind: ActClose}, countyA},
		{Action{Kind: ActRate, Satisfaction: Satisfied}, publicA},
		{Action{Kind: ActReopen, Reason: "回头看: relapse"}, city},
	}
	var log []Event
	now := t0
	for i, st := range steps {
		if st.a.Kind == ActRequestExtension {
			st.a.Due = c.Due.AddDate(0, 0, 20)
		}
		n, evs, err := r.Apply(c, st.a, st.who, now)
		if err != nil {
			t.Fatalf("step %d %s: %v", i, st.a.Kind, err)
		}
		log = append(log, evs...)
		c = n
		now = now.Add(26 * time.Hour)
	}
	for i, e := range log {
		if e.Seq != i+1 || e.Case != "C1" {
			t.Errorf("event %d: seq %d case %q", i, e.Seq, e.Case)
		}
		if i > 0 && (e.From != log[i-1].To || e.At.Before(log[i-1].At)) {
			t.Errorf("event %d does not follow event %d: %+v after %+v", i, i-1, e, log[i-1])
		}
		if e.Actor == "" || e.Role == "" {
			t.Errorf("event %d has no actor", i)
		}
	}
	if c.Seq != len(log) || c.State != StateRectifying || c.Cycle != 1 || c.Returned != 1 {
		t.Errorf("final case %+v", c)
	}
	if got := log[4]; got.Reason != "equipment on order" || got.Due.IsZero() {
		t.Errorf("extension request event %+v", got)
	}
	if got := log[5]; c.ExtendedDays != 0 || got.Due.IsZero() {
		t.Errorf("approval event %+v (extended days must reset on reopen, got %d)", got, c.ExtendedDays)
	}
	if got := log[2].Assignees; !reflect.DeepEqual(got, []string{"team-1", "team-2"}) {
		t.Errorf("assign payload %v", got)
	}
	if len(c.Evidence) != 2 {
		t.Errorf("evidence %v", c.Evidence)
	}
	// The log is in time order: an action dated before the last event is refused.
	_, _, err := r.Apply(c, Action{Kind: ActEscalate, Level: LevelReminder}, city, c.UpdatedAt.Add(-time.Second))
	wantErr[*FieldError](t, err, ErrInvalid)
}

func TestApplyDoesNotAlias(t *testing.T) {
	r := DefaultRules()
	c, now := caseIn(t, r, newCase("C1"), StateRectifying)
	before := clone(c)
	n := must(t, r, c, Action{Kind: ActSubmit, Evidence: []string{hash("a")}}, entA, now)
	n.Evidence[0] = "mutated"
	n.Assignees[0] = "mutated"
	if !reflect.DeepEqual(c, before) {
		t.Errorf("input case changed")
	}
}

func TestExtensionLimits(t *testing.T) {
	r := DefaultRules()
	c, now := caseIn(t, r, newPetitionCase("C1"), StateRectifying) // 12369: 30 days at most
	due := c.Due
	_, _, err := r.Apply(c, Action{Kind: ActRequestExtension, Reason: "r", Due: due.AddDate(0, 0, 31)}, entA, now)
	wantErr[*FieldError](t, err, ErrInvalid)
	c = must(t, r, c, Action{Kind: ActRequestExtension, Reason: "r", Due: due.AddDate(0, 0, 20)}, entA, now)
	_, _, err = r.Apply(c, Action{Kind: ActRequestExtension, Reason: "r", Due: due.AddDate(0, 0, 25)}, entA, now)
	wantErr[*FieldError](t, err, ErrDuplicate)
	c = must(t, r, c, Action{Kind: ActApproveExtension}, city, now)
	if c.ExtendedDays != 20 || !c.Due.Equal(due.AddDate(0, 0, 20)) || c.Extension != nil {
		t.Fatalf("after approval: extended %d due %v", c.ExtendedDays, c.Due)
	}
	// 10 days are left of the 30.
	_, _, err = r.Apply(c, Action{Kind: ActRequestExtension, Reason: "r", Due: c.Due.AddDate(0, 0, 11)}, entA, now)
	wantErr[*FieldError](t, err, ErrInvalid)
	c = must(t, r, c, Action{Kind: ActRequestExtension, Reason: "r", Due: c.Due.AddDate(0, 0, 10)}, entA, now)
	c = must(t, r, c, Action{Kind: ActDenyExtension, Reason: "no grounds"}, city, now)
	if c.Extension != nil || c.ExtendedDays != 20 {
		t.Fatalf("after denial: %+v", c)
	}
	// Listed supervision: a request must come 30 days before the deadline.
	lc := newCase("L1")
	lc.Policy = PolicyListed
	lc, now = caseIn(t, r, lc, StateRectifying)
	lead := lc.Due.AddDate(0, 0, -30)
	if _, _, err := r.Apply(lc, Action{Kind: ActRequestExtension, Reason: "r", Due: lc.Due.AddDate(0, 0, 30)}, entA, lead); err != nil {
		t.Errorf("request exactly 30 days before: %v", err)
	}
	_, _, err = r.Apply(lc, Action{Kind: ActRequestExtension, Reason: "r", Due: lc.Due.AddDate(0, 0, 30)}, entA, lead.Add(time.Second))
	wantErr[*FieldError](t, err, ErrInvalid)
}

// TestRandomSequences applies random actions by random actors and checks
// the invariants: a refused action changes nothing, events chain, Seq counts
// them, the state is always a known one, accepted cases have a Due.
func TestRandomSequences(t *testing.T) {
	r := DefaultRules()
	rng := rand.New(rand.NewPCG(1, 2))
	actors := []Actor{city, countyA, countyB, entA, entB, publicA, publicB, systemAct}
	acts := Actions()
	for run := 0; run < 200; run++ {
		c := newPetitionCase("R")
		now := t0
		var log []Event
		for step := 0; step < 60; step++ {
			now = now.Add(time.Duration(rng.IntN(72)) * time.Hour)
			k := acts[rng.IntN(len(acts))]
			a := validAction(k, c, r)
			if rng.IntN(5) == 0 {
				a.Reason = ""
			}
			if k == ActRequestExtension && rng.IntN(2) == 0 {
				a.Due = c.Due.AddDate(0, 0, rng.IntN(40))
			}
			n, evs, err := r.Apply(c, a, actors[rng.IntN(len(actors))], now)
			if err != nil {
				if !reflect.DeepEqual(n, c) || evs != nil {
					t.Fatalf("refusal changed the case: %v", err)
				}
				if !errors.Is(err, ErrTransition) && !errors.Is(err, ErrPermission) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDuplicate) {
					t.Fatalf("unclassified error %v", err)
				}
				continue
			}
			if len(log) > 0 && evs[0].From != log[len(log)-1].To {
				t.Fatalf("event chain broken")
			}
			log = append(log, evs...)
			c = n
			if c.Seq != len(log) || !slices.Contains(States(), c.State) {
				t.Fatalf("seq %d events %d state %q", c.Seq, len(log), c.State)
			}
			if c.State != StateRegistered && c.State != StateRejected && c.Due.IsZero() {
				t.Fatalf("state %s without due", c.State)
			}
			if c.ExtendedDays > r.Policy(c).MaxExtensionDays {
				t.Fatalf("extended %d days", c.ExtendedDays)
			}
		}
	}
}
