package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// The closed loop's part of the shared suite (migration 0005).

func runCasesSuite(t *testing.T, tg target) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, tg target)
	}{
		{"Users", testUsers},
		{"CredentialsEnd", testCredentialsEnd},
		{"AppendOnly", testAppendOnly},
		{"CaseConcurrency", testCaseConcurrency},
		{"CaseQueries", testCaseQueries},
		{"CaseStatsMatchSummarize", testCaseStatsMatchSummarize},
		{"Counters", testCounters},
		{"PetitionAtomic", testPetitionAtomic},
		{"PatrolOpensCases", testPatrolOpensCases},
		{"PatrolTracking", testPatrolTracking},
		{"Notifications", testNotifications},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, tg) })
	}
}

func testUsers(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	u := model.User{ID: "county-x", Name: "东昌府区", Role: model.RoleCounty, County: "371502", PasswordHash: "$argon2id$x", CreatedAt: t0}
	if err := s.PutUser(ctx, u, &model.AuditRecord{At: t0, Actor: "admin", Role: "city", Action: "user.add", Target: "user/county-x", After: `{"id":"county-x"}`}); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, "county-x")
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Fatalf("User = %+v, %v; want %+v", got, err, u)
	}
	u.Disabled, u.Name = true, "renamed"
	if err := s.PutUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "county-x"); !got.Disabled || got.Name != "renamed" {
		t.Errorf("after update %+v", got)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	u.Disabled = false
	if err := s.PutUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	ss := model.Session{Hash: "h1", User: "county-x", CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), PasswordHash: u.PasswordHash}
	if err := s.PutSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	ss.PasswordHash = "" // not stored
	if got, err := s.Session(ctx, "h1"); err != nil || !reflect.DeepEqual(got, ss) {
		t.Errorf("Session = %+v, %v", got, err)
	}
	if n, err := s.PurgeSessions(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("purge at the expiry instant: %d %v", n, err)
	}
	if err := s.PutSession(ctx, model.Session{Hash: "h0", User: "county-x", CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute), PasswordHash: u.PasswordHash}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeSessions(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("purge: %d %v", n, err)
	}
	if _, err := s.Session(ctx, "h1"); err != nil {
		t.Errorf("live session purged: %v", err)
	}
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "h1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	tok := model.APIToken{Hash: "th", Name: "rules", User: "county-x", CreatedAt: t0}
	if err := s.PutAPIToken(ctx, tok, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.APIToken(ctx, "th"); err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("APIToken = %+v, %v", got, err)
	}
	as, err := s.Audit(ctx, "user/county-x", 10)
	if err != nil || len(as) != 1 || as[0].Actor != "admin" || as[0].After != `{"id":"county-x"}` || !as[0].At.Equal(t0) {
		t.Errorf("Audit = %+v, %v", as, err)
	}
}

// A password change or a disable ends the user's sessions and revokes
// their tokens in the same transaction, audited; a login checked against
// the old password opens no session; tokens are listed, revoked by hand
// and record their last use.
func testCredentialsEnd(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	u := model.User{ID: "ops", Name: "运维", Role: model.RoleMachine, PasswordHash: "$argon2id$old", CreatedAt: t0}
	other := model.User{ID: "other", Name: "其他", Role: model.RoleCity, PasswordHash: "$argon2id$o", CreatedAt: t0}
	for _, x := range []model.User{u, other} {
		if err := s.PutUser(ctx, x, nil); err != nil {
			t.Fatal(err)
		}
	}
	open := func(hash, user, pw string) error {
		return s.PutSession(ctx, model.Session{Hash: hash, User: user, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), PasswordHash: pw})
	}
	for _, h := range []string{"s1", "s2"} {
		if err := open(h, "ops", u.PasswordHash); err != nil {
			t.Fatal(err)
		}
	}
	if err := open("s3", "other", other.PasswordHash); err != nil {
		t.Fatal(err)
	}
	for i, h := range []string{"aaaaaaaaaaaa01", "aaaaaaaaaaaa02"} {
		if err := s.PutAPIToken(ctx, model.APIToken{Hash: h, Name: fmt.Sprint("t", i), User: "ops", CreatedAt: t0}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutAPIToken(ctx, model.APIToken{Hash: "bbbb", Name: "o", User: "other", CreatedAt: t0}, nil); err != nil {
		t.Fatal(err)
	}
	// Last use: recorded, never moved back.
	t1 := t0.Add(time.Minute)
	if err := s.TouchAPIToken(ctx, "aaaaaaaaaaaa01", t1, "10.0.0.5"); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAPIToken(ctx, "aaaaaaaaaaaa01", t0, "10.0.0.6"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.APIToken(ctx, "aaaaaaaaaaaa01"); !got.LastUsedAt.Equal(t1) || got.LastUsedFrom != "10.0.0.5" {
		t.Errorf("last use %v from %q", got.LastUsedAt, got.LastUsedFrom)
	}
	// A rename ends nothing.
	u.Name = "运维组"
	if err := s.PutUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "s1"); err != nil {
		t.Fatalf("a rename ended a session: %v", err)
	}
	// The password changes: both sessions gone, both tokens revoked, one
	// audit row of it; the other user's untouched.
	t2 := t0.Add(2 * time.Minute)
	u.PasswordHash = "$argon2id$new"
	if err := s.PutUser(ctx, u, &model.AuditRecord{At: t2, Actor: "admin", Role: "city", Action: "user.passwd", Target: "user/ops"}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"s1", "s2"} {
		if _, err := s.Session(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("session %s after the password change: %v", h, err)
		}
	}
	if _, err := s.Session(ctx, "s3"); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	ts, err := s.APITokens(ctx, "ops")
	if err != nil || len(ts) != 2 {
		t.Fatalf("APITokens = %+v, %v", ts, err)
	}
	for _, tk := range ts {
		if !tk.RevokedAt.Equal(t2) || tk.RevokedWhy != "password changed" {
			t.Errorf("token %s after the password change: revoked %v %q", tk.ID(), tk.RevokedAt, tk.RevokedWhy)
		}
	}
	if all, _ := s.APITokens(ctx, ""); len(all) != 3 || !all[2].RevokedAt.IsZero() {
		t.Errorf("all tokens: %+v", all)
	}
	as, _ := s.Audit(ctx, "user/ops", 10)
	if len(as) != 2 || as[0].Action != "user.credentials-ended" || as[0].Actor != "admin" ||
		as[0].After != `{"sessions":2,"tokens":2,"why":"password changed"}` {
		t.Errorf("audit after the change: %+v", as)
	}
	// A login checked against the old hash opens nothing.
	if err := open("s4", "ops", "$argon2id$old"); !errors.Is(err, ErrConflict) {
		t.Errorf("session of the old password: %v", err)
	}
	if err := open("s5", "ops", u.PasswordHash); err != nil {
		t.Fatal(err)
	}
	// Disabling ends the new session; a disabled user gets none.
	u.Disabled = true
	if err := s.PutUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "s5"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session after disable: %v", err)
	}
	if err := open("s6", "ops", u.PasswordHash); !errors.Is(err, ErrConflict) {
		t.Errorf("session of a disabled user: %v", err)
	}
	// Revocation by hand.
	if err := s.RevokeAPIToken(ctx, "bbbb", t2, "revoked by cli", &model.AuditRecord{At: t2, Actor: "cli", Role: "system", Action: "token.revoke", Target: "user/other"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.APIToken(ctx, "bbbb"); got.RevokedWhy != "revoked by cli" {
		t.Errorf("revoked token %+v", got)
	}
	if err := s.RevokeAPIToken(ctx, "bbbb", t2, "again", nil); !errors.Is(err, ErrConflict) {
		t.Errorf("second revocation: %v", err)
	}
	if err := s.RevokeAPIToken(ctx, "nope", t2, "x", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
}

// The audit log and the case events refuse updates and deletes.
func testAppendOnly(t *testing.T, tg target) {
	dsn := tg.dsn(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	if err := s.AppendAudit(ctx, model.AuditRecord{At: t0, Actor: "a", Role: "city", Action: "x", Target: "t"}); err != nil {
		t.Fatal(err)
	}
	c := newCase("C1", "371502", cases.StateRegistered)
	if err := s.CreateCase(ctx, c, []cases.Event{{Case: "C1", Seq: 1, At: t0, Action: cases.ActRegister}}, nil); err != nil {
		t.Fatal(err)
	}
	db := tg.raw(t, dsn)
	for _, q := range []string{
		"UPDATE audit_log SET actor = 'forged'",
		"DELETE FROM audit_log",
		"UPDATE case_events SET at = 0",
		"DELETE FROM case_events",
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	if as, _ := s.Audit(ctx, "", 10); len(as) != 1 || as[0].Actor != "a" {
		t.Errorf("audit after tampering attempts: %+v", as)
	}
}

func newCase(id, county string, st cases.State) cases.Case {
	return cases.Case{ID: id, Source: cases.SourceInspection, Line: "air-dust", County: county, Severity: 1, Title: "t " + id,
		Policy: cases.PolicyDefault, State: st, CreatedAt: t0, UpdatedAt: t0, Seq: 1}
}

// A write from a stale Seq is refused and writes nothing: neither the row
// nor the events nor the audit record.
func testCaseConcurrency(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	r := cases.DefaultRules()
	city := cases.Actor{ID: "city", Role: cases.RoleCity}
	c := newCase("C1", "371502", cases.StateNone)
	c.Seq = 0
	c, evs, err := r.Apply(c, cases.Action{Kind: cases.ActRegister}, city, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCase(ctx, c, evs, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCase(ctx, c, evs, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	// Two clients read seq 1; both act.
	a, evA, err := r.Apply(c, cases.Action{Kind: cases.ActAccept}, city, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, evB, err := r.Apply(c, cases.Action{Kind: cases.ActReject, Reason: "not ours"}, city, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateCase(ctx, a, evA, &model.AuditRecord{Actor: "a", Action: "case.accept", Target: "case/C1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateCase(ctx, b, evB, &model.AuditRecord{Actor: "b", Action: "case.reject", Target: "case/C1"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	got, err := s.Case(ctx, "C1")
	if err != nil || got.State != cases.StateAccepted || got.Seq != 2 {
		t.Fatalf("case after race: %+v %v", got, err)
	}
	all, _ := s.CaseEvents(ctx, "C1")
	if len(all) != 2 || all[1].Action != cases.ActAccept {
		t.Errorf("events %+v", all)
	}
	if as, _ := s.Audit(ctx, "case/C1", 10); len(as) != 1 || as[0].Actor != "a" {
		t.Errorf("audit %+v: the loser's record must not be written", as)
	}
	// Events must continue the sequence.
	bad := evA
	if err := s.UpdateCase(ctx, a, bad, nil); err == nil {
		t.Error("replayed events accepted")
	}
	if _, err := s.Case(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
}

func testCaseQueries(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	now := t0.Add(40 * 24 * time.Hour)
	mk := func(id, county, ent string, st cases.State, created time.Time, due time.Time) {
		c := newCase(id, county, st)
		c.Enterprise, c.CreatedAt, c.UpdatedAt, c.Due = ent, created, created, due
		c.Title = map[string]string{"C1": "聊城甲化工 1号锅炉废气排放口 氮氧化物小时均值超标", "C3": "乙公司 废水总排口 化学需氧量 100% 超标", "C4": "甲化工 Boiler_2"}[id] + " " + id
		if st != cases.StateRegistered {
			c.AcceptedAt = created
		}
		if err := s.CreateCase(ctx, c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	mk("C1", "X", "A", cases.StateRectifying, t0, t0.Add(10*24*time.Hour))                  // overdue by 30 days
	mk("C2", "X", "", cases.StateRectifying, t0.Add(time.Hour), now.Add(time.Hour))         // due later
	mk("C3", "Y", "B", cases.StateRectifying, t0.Add(2*time.Hour), t0.Add(20*24*time.Hour)) // overdue by 20 days
	mk("C4", "X", "A", cases.StateAssigned, t0.Add(3*time.Hour), now.Add(48*time.Hour))
	ids := func(q CaseQuery) []string {
		cs, err := s.Cases(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		q    CaseQuery
		want []string
	}{
		{CaseQuery{}, []string{"C4", "C3", "C2", "C1"}},
		{CaseQuery{OverdueFirst: true, Now: now}, []string{"C1", "C3", "C4", "C2"}},
		{CaseQuery{County: "X", OverdueFirst: true, Now: now}, []string{"C1", "C4", "C2"}},
		{CaseQuery{Enterprise: "A"}, []string{"C4", "C1"}},
		{CaseQuery{States: []cases.State{cases.StateAssigned, cases.StateClosed}}, []string{"C4"}},
		{CaseQuery{County: "X", Limit: 1, Offset: 1}, []string{"C2"}},
		{CaseQuery{County: "Z"}, []string{}},
		{CaseQuery{Overdue: true, Now: now}, []string{"C3", "C1"}},
		{CaseQuery{Overdue: true, County: "X", Now: now}, []string{"C1"}},
		{CaseQuery{Search: "甲化工"}, []string{"C4", "C1"}},
		{CaseQuery{Search: "氮氧化物", County: "X"}, []string{"C1"}},
		{CaseQuery{Search: "boiler_2"}, []string{"C4"}}, // ASCII case ignored, _ literal
		{CaseQuery{Search: "boiler%2"}, []string{}},     // % literal, not a wildcard
		{CaseQuery{Search: "100%"}, []string{"C3"}},
		{CaseQuery{Search: "甲化工", Limit: 1, Offset: 1}, []string{"C1"}},
	} {
		if got := ids(tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Cases(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// randomCases makes cases in every state with deadlines, closures and
// answers spread around now.
func randomCases(rng *rand.Rand, n int, now time.Time) []cases.Case {
	states := cases.States()
	counties := []string{"371502", "371581", "371521"}
	lines := []string{"air-dust", "water", "soil", "air-vocs"}
	sats := []cases.Satisfaction{"", cases.Satisfied, cases.BasicallySatisfied, cases.Dissatisfied}
	out := make([]cases.Case, n)
	for i := range out {
		st := states[rng.IntN(len(states))]
		created := now.Add(-time.Duration(rng.IntN(700*24)) * time.Hour).Truncate(time.Second)
		c := cases.Case{ID: fmt.Sprintf("C%07d", i), Source: cases.Sources()[rng.IntN(len(cases.Sources()))], Line: lines[rng.IntN(len(lines))],
			County: counties[rng.IntN(len(counties))], Severity: cases.Severity(1 + rng.IntN(3)), Title: "t", State: st,
			CreatedAt: created, UpdatedAt: created, Seq: 1}
		if rng.IntN(3) == 0 {
			c.Enterprise = fmt.Sprintf("E%d", rng.IntN(50))
		}
		if c.Source == cases.SourcePetition {
			c.Petition, c.Policy = fmt.Sprintf("P%d", i), cases.Policy12369
		}
		if st != cases.StateRegistered && st != cases.StateRejected {
			c.AcceptedAt = created.Add(time.Duration(rng.IntN(72)) * time.Hour)
			c.Due = cases.DueAfter(c.AcceptedAt, 30)
		}
		if st == cases.StateSubmitted || st == cases.StateVerifying || st == cases.StateClosed {
			c.SubmittedAt = c.AcceptedAt.Add(time.Duration(rng.IntN(40*24)) * time.Hour)
		}
		if st == cases.StateClosed {
			c.ClosedAt = c.SubmittedAt.Add(time.Duration(rng.IntN(10*24)) * time.Hour)
			if c.Petition != "" {
				c.Satisfaction = sats[rng.IntN(len(sats))]
			}
		}
		out[i] = c
	}
	return out
}

// CaseStats in the database equals cases.Summarize over the same cases.
func testCaseStatsMatchSummarize(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cs := randomCases(rand.New(rand.NewPCG(5, 5)), 600, now)
	for _, c := range cs {
		if err := s.CreateCase(ctx, c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Move some cases on through the rules, so the tallies see updates
	// (-1 under the old key, +1 under the new) and not only inserts.
	r := cases.DefaultRules()
	city := cases.Actor{ID: "city", Role: cases.RoleCity}
	moved := 0
	for i, c := range cs {
		var a cases.Action
		switch c.State {
		case cases.StateRegistered:
			a = cases.Action{Kind: cases.ActAccept}
		case cases.StateVerifying:
			a = cases.Action{Kind: cases.ActClose}
		case cases.StateClosed:
			if c.Petition == "" || c.Satisfaction != "" {
				continue
			}
			a = cases.Action{Kind: cases.ActRate, Satisfaction: cases.Dissatisfied}
		default:
			continue
		}
		who := city
		if a.Kind == cases.ActRate {
			who = cases.Actor{ID: "public:" + c.Petition, Role: cases.RolePublic, Petition: c.Petition}
		}
		n, evs, err := r.Apply(c, a, who, now.Add(-time.Hour))
		if err != nil {
			t.Fatalf("%s %s: %v", c.ID, a.Kind, err)
		}
		for j := range evs {
			evs[j].Seq = c.Seq + 1 + j
		}
		if err := s.UpdateCase(ctx, n, evs, nil); err != nil {
			t.Fatal(err)
		}
		cs[i] = n
		moved++
	}
	if moved < 100 {
		t.Fatalf("only %d cases moved", moved)
	}
	for i, q := range []CaseQuery{{Now: now}, {Now: now, County: "371581"}, {Now: now, Line: "water", States: []cases.State{cases.StateClosed}},
		{Now: now, Enterprise: "E7"}} {
		got, err := s.CaseStats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var sel []cases.Case
		for _, c := range cs {
			if (q.County == "" || c.County == q.County) && (q.Line == "" || c.Line == q.Line) && (len(q.States) == 0 || c.State == q.States[0]) &&
				(q.Enterprise == "" || c.Enterprise == q.Enterprise) {
				sel = append(sel, c)
			}
		}
		want := cases.Summarize(sel, cases.DefaultRules(), now)
		if d := got.MeanTimeToClose - want.MeanTimeToClose; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%+v: mean time to close %v, want %v", q, got.MeanTimeToClose, want.MeanTimeToClose)
		}
		got.MeanTimeToClose = want.MeanTimeToClose
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v:\n got %+v\nwant %+v", q, got, want)
		}
		if i == 0 && (want.Overdue == 0 || want.Closed == 0 || want.Rated == 0) {
			t.Errorf("%+v: the sample has no overdue or closed cases; the check is weak", q)
		}
	}
}

func testCounters(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	for i, name := range []string{"doc:聊环督:2026", "doc:聊环督:2026", "doc:聊环督:2027", "doc:聊环督:2026"} {
		n, err := s.NextNumber(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{1, 2, 1, 3}[i]; n != want {
			t.Errorf("NextNumber(%s) #%d = %d, want %d", name, i, n, want)
		}
	}
}

// A petition whose case cannot be written is not stored either.
func testPetitionAtomic(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	if err := s.CreateCase(ctx, newCase("C1", "X", cases.StateRegistered), nil, nil); err != nil {
		t.Fatal(err)
	}
	p := StoredPetition{Petition: cases.Petition{Code: "AAAA-BBBB-CCCC", Category: cases.CategoryAir, County: "X", Location: "l", Description: "d", ReceivedAt: t0}, Case: "C1"}
	if err := s.PutPetition(ctx, p, newCase("C1", "X", cases.StateRegistered), nil, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("petition with an existing case id: %v", err)
	}
	if _, err := s.Petition(ctx, p.Code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half-written petition: %v", err)
	}
	p.Case = "C2"
	if err := s.PutPetition(ctx, p, newCase("C2", "X", cases.StateRegistered), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPetitionReply(ctx, p.Code, "handled", nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Petition(ctx, p.Code)
	if err != nil || got.Reply != "handled" || got.Case != "C2" || !got.ReceivedAt.Equal(t0) {
		t.Errorf("Petition = %+v, %v", got, err)
	}
	if ps, _ := s.Petitions(ctx, PetitionQuery{County: "Y"}); len(ps) != 0 {
		t.Errorf("petitions of Y: %+v", ps)
	}
	if ps, _ := s.Petitions(ctx, PetitionQuery{County: "X"}); len(ps) != 1 {
		t.Errorf("petitions of X: %+v", ps)
	}
}

func testPatrolOpensCases(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	p := Patrol{ID: "P1", County: "X", By: "u", Area: "reach 3", StartedAt: t0, EndedAt: t0.Add(time.Hour),
		Findings: []PatrolFinding{{Description: "oil", Line: "water", Case: "C9"}}}
	c := newCase("C9", "X", cases.StateRegistered)
	c.Source = cases.SourcePatrol
	if err := s.PutPatrol(ctx, p, []cases.Case{c}, [][]cases.Event{{{Case: "C9", Seq: 1, At: t0, Action: cases.ActRegister}}}, nil); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Patrols(ctx, PatrolQuery{County: "X"})
	if err != nil || len(ps) != 1 || !reflect.DeepEqual(ps[0].Findings, p.Findings) {
		t.Fatalf("Patrols = %+v, %v", ps, err)
	}
	if got, err := s.Case(ctx, "C9"); err != nil || got.Source != cases.SourcePatrol {
		t.Errorf("case of the finding: %+v %v", got, err)
	}
	// The states of many cases in one read: unknown ids are left out, and
	// more ids than one query takes are read in several.
	ids := []string{"C9", "nope"}
	for i := range 2500 {
		ids = append(ids, fmt.Sprintf("Z%d", i))
	}
	if st, err := s.CaseStates(ctx, ids); err != nil || len(st) != 1 || st["C9"] != cases.StateRegistered {
		t.Errorf("CaseStates = %v, %v", st, err)
	}
	if st, err := s.CaseStates(ctx, nil); err != nil || len(st) != 0 {
		t.Errorf("CaseStates(nil) = %v, %v", st, err)
	}
	if ps, _ := s.Patrols(ctx, PatrolQuery{From: t0.Add(time.Minute)}); len(ps) != 0 {
		t.Errorf("patrols from a later start: %d", len(ps))
	}
	// 31 March 16:30 UTC is 1 April in China: counted in April.
	late := Patrol{ID: "P2", County: "X", By: "u", Area: "a", StartedAt: time.Date(2026, 3, 31, 16, 30, 0, 0, time.UTC), EndedAt: time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC)}
	if err := s.PutPatrol(ctx, late, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPatrol(ctx, Patrol{ID: "P3", County: "Y", By: "u", Area: "a", StartedAt: t0, EndedAt: t0}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	counts, err := s.PatrolCounts(ctx, PatrolQuery{})
	want := []PatrolCount{{"X", "2026-03", 1}, {"X", "2026-04", 1}, {"Y", "2026-03", 1}}
	if err != nil || !reflect.DeepEqual(counts, want) {
		t.Errorf("PatrolCounts = %+v, %v; want %+v", counts, err, want)
	}
}

func testNotifications(t *testing.T, tg target) {
	s := openStore(t, tg.dsn(t))
	ctx := context.Background()
	for i, r := range []string{"county:X", "county:Y", "u1", "county:X"} {
		if err := s.Notify(ctx, Notification{Recipient: r, At: t0.Add(time.Duration(i) * time.Minute), Kind: "k", Case: "C1", Message: fmt.Sprint(i), MessageEN: fmt.Sprint("en ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := s.Notifications(ctx, []string{"county:X", "u1"}, 10)
	if err != nil || len(ns) != 3 || ns[0].Message != "3" || ns[2].Message != "0" || ns[0].MessageEN != "en 3" {
		t.Fatalf("Notifications = %+v, %v", ns, err)
	}
	if ns, _ := s.Notifications(ctx, nil, 10); len(ns) != 0 {
		t.Errorf("no recipients: %+v", ns)
	}
}
