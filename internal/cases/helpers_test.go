package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

var tz = chinatime.Zone

// t0 is 2026-03-01 10:00 CST.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, tz)

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const (
	county    = "371502"
	otherCty  = "371521"
	ent       = "91371500MA3C000001"
	otherEnt  = "91371500MA3C000002"
	petCode   = "7KQ2-M9XD-4RTB"
	otherCode = "0000-0000-0000"
)

func newCase(id string) Case {
	return Case{
		ID: id, Source: SourcePatrol, Line: "air-vocs", ProblemType: "vocs-leak",
		County: county, Enterprise: ent, Severity: SeverityGeneral, Title: "VOCs leak at tank farm",
	}
}

func newPetitionCase(id string) Case {
	c := newCase(id)
	c.Source, c.Petition = SourcePetition, petCode
	return c
}

var (
	city      = Actor{ID: "u-city", Role: RoleCity}
	countyA   = Actor{ID: "u-county", Role: RoleCounty, County: county}
	countyB   = Actor{ID: "u-county-b", Role: RoleCounty, County: otherCty}
	entA      = Actor{ID: "u-ent", Role: RoleEnterprise, Enterprise: ent}
	entB      = Actor{ID: "u-ent-b", Role: RoleEnterprise, Enterprise: otherEnt}
	publicA   = Actor{ID: petCode, Role: RolePublic, Petition: petCode}
	publicB   = Actor{ID: otherCode, Role: RolePublic, Petition: otherCode}
	systemAct = Actor{ID: "sys", Role: RoleSystem}
)

// actorFor returns an in-scope actor allowed to take the action.
func actorFor(a ActionKind) Actor {
	for _, who := range []Actor{city, countyA, entA, publicA, systemAct} {
		if Permitted(who.Role, a) {
			return who
		}
	}
	panic("no role may " + string(a))
}

// validAction returns an action of kind k with a valid payload for c.
func validAction(k ActionKind, c Case, r *Rules) Action {
	a := Action{Kind: k, Reason: "because"}
	switch k {
	case ActAssign:
		a.Assignees = []string{"county-team-1"}
	case ActSubmit:
		a.Evidence = []string{hash("report " + c.ID)}
	case ActRequestExtension:
		a.Due = c.Due.AddDate(0, 0, 10)
	case ActEscalate:
		p := r.Policy(c)
		for _, rung := range p.Ladder {
			if !issued(c, rung.Level) {
				a.Level = rung.Level
				if rung.DocPrefix != "" {
					a.Doc, _ = DocNumber(rung.DocPrefix, 2026, 1)
				}
				break
			}
		}
	case ActRate:
		a.Satisfaction = Satisfied
	case ActAddFinding:
		a.Finding = &Finding{Rule: "exceedance", Factor: "a21002", Field: "ZsAvg", Period: "hour", Value: 245, Limit: 150, Unit: "mg/m3"}
	}
	return a
}

// must applies an action that has to succeed.
func must(t *testing.T, r *Rules, c Case, a Action, who Actor, now time.Time) Case {
	t.Helper()
	n, evs, err := r.Apply(c, a, who, now)
	if err != nil {
		t.Fatalf("%s from %s: %v", a.Kind, c.State, err)
	}
	if len(evs) != 1 {
		t.Fatalf("%s: %d events", a.Kind, len(evs))
	}
	return n
}

// path is the main line of the loop; caseIn walks it up to a state.
var path = []ActionKind{ActRegister, ActAccept, ActAssign, ActStart, ActSubmit, ActVerify, ActClose}

// caseIn returns a case in state s, with an hour between steps, and the time
// of its last event. Rejected goes register → reject.
func caseIn(t *testing.T, r *Rules, base Case, s State) (Case, time.Time) {
	t.Helper()
	c, now := base, t0
	if s == StateNone {
		return c, now
	}
	if s == StateRejected {
		c = must(t, r, c, validAction(ActRegister, c, r), actorFor(ActRegister), now)
		now = now.Add(time.Hour)
		return must(t, r, c, validAction(ActReject, c, r), actorFor(ActReject), now), now
	}
	for _, k := range path {
		c = must(t, r, c, validAction(k, c, r), actorFor(k), now)
		if c.State == s {
			return c, now
		}
		now = now.Add(time.Hour)
	}
	t.Fatalf("state %s not on the path", s)
	return c, now
}

func wantErr[T error](t *testing.T, err error, sentinel error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T), want %T", err, err, target)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	return target
}
