package casesvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

var (
	t0   = time.Date(2026, 3, 2, 10, 0, 0, 0, chinatime.Zone)
	city = auth.Principal{User: "city", Role: model.RoleCity}
	cx   = auth.Principal{User: "cx", Role: model.RoleCounty, County: "371502"}
)

func newService(t *testing.T, be storetest.Backend) (*Service, *time.Time) {
	t.Helper()
	st := storetest.Open(t, be)
	now := t0
	return &Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return now }}, &now
}

func register(t *testing.T, s *Service) cases.Case {
	t.Helper()
	c, err := s.Register(context.Background(), cases.Case{Source: cases.SourceInspection, Line: "air-vocs", County: "371502",
		Enterprise: "E1", Severity: 1, Title: "leak"}, city)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Case numbers run per year; escalations to a rung with a prefix get the
// next document number of that prefix and year.
func TestNumbering(t *testing.T) { storetest.Each(t, testNumbering) }

func testNumbering(t *testing.T, be storetest.Backend) {
	s, now := newService(t, be)
	ctx := context.Background()
	a, b := register(t, s), register(t, s)
	if a.ID != "C2026-000001" || b.ID != "C2026-000002" {
		t.Fatalf("ids %s %s", a.ID, b.ID)
	}
	var docs []string
	for _, c := range []cases.Case{a, b} {
		if _, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, city); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(40 * 24 * time.Hour) // past the closure deadline
		n, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActEscalate, Level: cases.LevelNotice}, city)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n.Escalations[len(n.Escalations)-1].Doc)
	}
	if docs[0] != "聊环督〔2026〕1号" || docs[1] != "聊环督〔2026〕2号" {
		t.Errorf("documents %q", docs)
	}
}

func TestScopeAndSeq(t *testing.T) { storetest.Each(t, testScopeAndSeq) }

func testScopeAndSeq(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	c := register(t, s)
	other := auth.Principal{User: "cy", Role: model.RoleCounty, County: "371581"}
	if _, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, other); !errors.Is(err, cases.ErrPermission) {
		t.Errorf("other county: %v", err)
	}
	if _, _, err := s.Act(ctx, c.ID, c.Seq+1, cases.Action{Kind: cases.ActAccept}, cx); !errors.Is(err, store.ErrConflict) {
		t.Errorf("wrong seq: %v", err)
	}
	n, evs, err := s.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActAccept}, cx)
	if err != nil || n.State != cases.StateAccepted || len(evs) != 1 || evs[0].Actor != "cx" {
		t.Fatalf("accept: %+v %+v %v", n, evs, err)
	}
	as, _ := s.St.Audit(ctx, "case/"+c.ID, 10)
	if len(as) != 2 || as[0].Action != "case.accept" || as[0].Before == "" || as[0].After == "" {
		t.Errorf("audit %+v", as)
	}
	// The inbox of the county and of the enterprise heard of it.
	for _, r := range []string{"county:371502", "enterprise:E1", "city"} {
		ns, _ := s.St.Notifications(ctx, []string{r}, 10)
		if len(ns) != 2 {
			t.Errorf("inbox %s: %d notifications, want 2", r, len(ns))
		}
	}
}

// Webhooks are POSTed as JSON and retried until a 2xx answer.
func TestWebhookRetries(t *testing.T) { storetest.Each(t, testWebhookRetries) }

func testWebhookRetries(t *testing.T, be storetest.Backend) {
	var mu sync.Mutex
	var bodies []map[string]any
	attempts := 0
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		bodies = append(bodies, m)
		w.WriteHeader(http.StatusNoContent)
		close(done)
	}))
	defer srv.Close()
	s, _ := newService(t, be)
	s.Webhooks, s.RetryDelay, s.Retries = []string{srv.URL}, time.Millisecond, 3
	c := register(t, s)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not delivered")
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts != 3 || bodies[0]["case"] != c.ID || bodies[0]["kind"] != "case.registered" {
		t.Errorf("attempts %d, body %v", attempts, bodies)
	}
}

func TestEvidence(t *testing.T) { storetest.Each(t, testEvidence) }

func testEvidence(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	a, err := s.PutEvidence(ctx, bytes.NewReader(png), "p.png", "cx")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.DataDir, "evidence", a.Hash[:2], a.Hash)
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, png) {
		t.Fatalf("stored file: %v", err)
	}
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"html", strings.NewReader("<html><script>alert(1)</script></html>")},
		{"exe", bytes.NewReader([]byte("MZ\x90\x00\x03"))},
		{"too big", io.MultiReader(bytes.NewReader(png), bytes.NewReader(make([]byte, MaxEvidence)))},
	} {
		if _, err := s.PutEvidence(ctx, tc.r, "x", "cx"); !errors.Is(err, ErrEvidence) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Refused uploads leave no file behind.
	entries, _ := os.ReadDir(filepath.Join(s.DataDir, "evidence"))
	if len(entries) != 1 {
		t.Errorf("evidence dir has %d entries, want only the one prefix directory", len(entries))
	}
	f, got, err := s.OpenEvidence(ctx, a.Hash)
	if err != nil || got.Type != "image/png" {
		t.Fatalf("OpenEvidence: %+v %v", got, err)
	}
	f.Close()
}

func TestPatrolAndIntake(t *testing.T) { storetest.Each(t, testPatrolAndIntake) }

func testPatrolAndIntake(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	p, err := s.Patrol(ctx, store.Patrol{County: "371502", Area: "徒骇河 3 段", StartedAt: t0, EndedAt: t0.Add(2 * time.Hour),
		Findings: []store.PatrolFinding{{Description: "排污口冒黑水", Line: "water"}, {Description: "河岸垃圾", Line: "waste"}}}, cx)
	if err != nil {
		t.Fatal(err)
	}
	if p.By != "cx" || p.Findings[0].Case == "" || p.Findings[1].Case == "" {
		t.Fatalf("patrol %+v", p)
	}
	c, err := s.St.Case(ctx, p.Findings[0].Case)
	if err != nil || c.Source != cases.SourcePatrol || c.Ref != p.ID || c.State != cases.StateRegistered {
		t.Errorf("finding's case %+v %v", c, err)
	}
	if _, err := s.Patrol(ctx, store.Patrol{County: "371502", Area: "x", StartedAt: t0, EndedAt: t0.Add(-time.Hour)}, cx); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("end before start: %v", err)
	}
	// A photo must have been uploaded first.
	if _, _, err := s.Intake(ctx, cases.Petition{Category: cases.CategoryAir, County: "371502", Location: "l", Description: "d", Anonymous: true,
		Photos: []string{strings.Repeat("ab", 32)}}); err == nil {
		t.Error("petition with an unknown photo accepted")
	}
	sp, pc, err := s.Intake(ctx, cases.Petition{Category: cases.CategoryAir, County: "371502", Location: "l", Description: "d", Anonymous: true})
	if err != nil || !cases.ValidTrackingCode(sp.Code) || pc.Petition != sp.Code || pc.Policy != cases.Policy12369 {
		t.Errorf("intake %+v %+v %v", sp, pc, err)
	}
}

// Registration takes only intake fields: a staff member cannot attach a
// tracking code (the public's credential), preset answers or history; and
// evidence must have been uploaded, and is recorded once.
func TestRegisterSanitises(t *testing.T) { storetest.Each(t, testRegisterSanitises) }

func testRegisterSanitises(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	base := cases.Case{Source: cases.SourceInspection, Line: "air-vocs", County: "371502", Severity: 1, Title: "t"}
	withCode := base
	withCode.Petition = "7KQ2-M9XD-4RTB"
	if _, err := s.Register(ctx, withCode, cx); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("case with a tracking code: %v", err)
	}
	ghost := base
	ghost.Evidence = []string{strings.Repeat("cd", 32)}
	if _, err := s.Register(ctx, ghost, cx); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("evidence never uploaded: %v", err)
	}
	a, err := s.PutEvidence(ctx, bytes.NewReader(append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 64)...)), "r.pdf", "cx")
	if err != nil {
		t.Fatal(err)
	}
	preset := base
	preset.Evidence = []string{a.Hash}
	preset.Satisfaction, preset.State, preset.ClosedAt, preset.RuleReview = cases.Satisfied, cases.StateClosed, t0, true
	c, err := s.Register(ctx, preset, cx)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != cases.StateRegistered || c.Satisfaction != "" || !c.ClosedAt.IsZero() || c.RuleReview || len(c.Evidence) != 1 {
		t.Errorf("registered %+v", c)
	}
}

// The timer issues each due step once: a reminder a week before the
// deadline, the numbered notice when it passes, nothing twice.
func TestSweep(t *testing.T) { storetest.Each(t, testSweep) }

func testSweep(t *testing.T, be storetest.Backend) {
	s, now := newService(t, be)
	ctx := context.Background()
	c := register(t, s)
	c, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, city)
	if err != nil {
		t.Fatal(err)
	}
	register(t, s) // registered, not accepted: its stage deadline is 3 days away
	// The second's reminder (7 days before a deadline 3 days away) is due
	// at once; the first's deadline is a month away.
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep at acceptance: %d %v", n, err)
	}
	*now = c.Due.Add(-6 * 24 * time.Hour) // inside the reminder week; the other case is long late
	n, err := s.Sweep(ctx)
	if err != nil || n != 2 { // the first's reminder; the second's notice
		t.Fatalf("sweep in the reminder week: %d %v", n, err)
	}
	if n, _ := s.Sweep(ctx); n != 0 {
		t.Errorf("second sweep issued %d", n)
	}
	*now = c.Due.Add(time.Hour)
	if n, _ := s.Sweep(ctx); n != 1 {
		t.Errorf("sweep past the deadline issued %d, want the notice", n)
	}
	got, _ := s.St.Case(ctx, c.ID)
	if len(got.Escalations) != 2 || got.Escalations[1].Level != cases.LevelNotice || !strings.HasPrefix(got.Escalations[1].Doc, "聊环督〔2026〕") {
		t.Errorf("escalations %+v", got.Escalations)
	}
}

// 建章立制: a second case of the same enterprise and work line within the
// window is flagged for a rule-making review, naming the earlier case; a
// case of another enterprise is not.
func TestRecurrenceFlagsReview(t *testing.T) { storetest.Each(t, testRecurrenceFlagsReview) }

func testRecurrenceFlagsReview(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	first := register(t, s)
	if first.RuleReview {
		t.Fatal("a first case is flagged for review")
	}
	second := register(t, s)
	if !second.RuleReview {
		t.Fatal("a recurring case is not flagged for review")
	}
	stored, err := s.St.Case(context.Background(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.RuleReview {
		t.Error("the review flag is not stored")
	}
	evs, err := s.St.CaseEvents(context.Background(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Action != cases.ActFlagReview || !strings.Contains(last.Reason, first.ID) {
		t.Errorf("last event %s %q, want a flag-review naming %s", last.Action, last.Reason, first.ID)
	}
	// The platform's note carries its English, stored on both stores.
	if !strings.HasPrefix(last.ReasonEN, "the same kind of problem recurred at the same enterprise within ") || !strings.Contains(last.ReasonEN, first.ID) {
		t.Errorf("last event's English %q, want the recurrence naming %s", last.ReasonEN, first.ID)
	}
	other, err := s.Register(context.Background(), cases.Case{Source: cases.SourceInspection, Line: "air-vocs", County: "371502",
		Enterprise: "E2", Severity: 1, Title: "leak"}, city)
	if err != nil {
		t.Fatal(err)
	}
	if other.RuleReview {
		t.Error("another enterprise's case is flagged")
	}
}

// A case's notices are written in words in both languages at the source,
// so the API, mail and webhooks carry them, not the service's log text
// ("case C…: accept → accepted").
func TestNoticesInWords(t *testing.T) { storetest.Each(t, testNoticesInWords) }

func testNoticesInWords(t *testing.T, be storetest.Backend) {
	s, _ := newService(t, be)
	ctx := context.Background()
	c := register(t, s)
	if _, _, err := s.Act(ctx, c.ID, c.Seq, cases.Action{Kind: cases.ActAccept}, cx); err != nil {
		t.Fatal(err)
	}
	ns, err := s.St.Notifications(ctx, []string{"city"}, 10)
	if err != nil || len(ns) != 2 {
		t.Fatalf("city inbox: %+v %v", ns, err)
	}
	want := map[string][2]string{
		"case.registered": {"新案件 " + c.ID + "：leak", "New case " + c.ID + ": leak"},
		"case.accept":     {"案件 " + c.ID + "：受理", "Case " + c.ID + ": Accept"},
	}
	for _, n := range ns {
		w, ok := want[n.Kind]
		if !ok || n.Message != w[0] || n.MessageEN != w[1] {
			t.Errorf("%s: %q / %q, want %q / %q", n.Kind, n.Message, n.MessageEN, w[0], w[1])
		}
	}
}
