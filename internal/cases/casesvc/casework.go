// Package casework runs the closed loop on the store: it applies the pure
// rules of internal/cases to stored cases (optimistic concurrency on Seq,
// the event and the audit record in one transaction), takes petitions from
// the public, records patrols whose findings open cases, keeps evidence
// files content-addressed on disk, and notifies the in-app inbox and
// webhooks. The HTTP API and the CLI both go through it.
package casesvc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Evidence limits: files over MaxEvidence bytes, or whose sniffed type is
// not in EvidenceTypes, are refused.
const MaxEvidence = 10 << 20

// EvidenceTypes are the accepted evidence content types (sniffed from the
// bytes with http.DetectContentType, never taken from the client).
var EvidenceTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "video/mp4"}

// ErrEvidence refuses an attachment over the limits or of a wrong type.
var ErrEvidence = errors.New("evidence refused")

// Service is the closed loop on a store.
type Service struct {
	St       store.CasesStore
	Rules    *cases.Rules
	DataDir  string   // evidence goes under DataDir/evidence
	Webhooks []string // URLs receiving each notification as POSTed JSON
	// RecurrenceDays is the 建章立制 window (0: DefaultRecurrenceDays;
	// negative: no recurrence check).
	RecurrenceDays int
	// Mailer, when set, also mails each notification to the addresses
	// configured for its recipients (SMTP).
	Mailer *Mailer
	Client *http.Client
	Now    func() time.Time
	Log    *slog.Logger
	// Retries of a webhook POST after the first attempt, with doubling
	// delays from RetryDelay (default 3 and 1 s).
	Retries    int
	RetryDelay time.Duration
	// Public bounds public intake (petitions, photos, callbacks) per
	// client IP; nil means 10 an hour (see PublicLimit).
	Public *auth.Limiter

	once sync.Once
}

// PublicLimit returns the public intake limiter, creating the default one.
func (s *Service) PublicLimit() *auth.Limiter {
	s.once.Do(func() {
		if s.Public == nil {
			s.Public = auth.NewLimiter(10, time.Hour)
		}
	})
	return s.Public
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) rules() *cases.Rules {
	if s.Rules == nil {
		s.Rules = cases.DefaultRules()
	}
	return s.Rules
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// ActorOf maps an authenticated principal to a case actor. Machines act as
// the system (alert rules).
func ActorOf(p auth.Principal) cases.Actor {
	a := cases.Actor{ID: p.User, Role: cases.Role(p.Role), County: p.County, Enterprise: p.Enterprise, Petition: p.Petition}
	switch p.Role {
	case model.RoleMachine:
		a.Role = cases.RoleSystem
	case model.RolePublic:
		a.ID = "public:" + p.Petition
	}
	return a
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func audit(p auth.Principal, action, target string, before, after any, at time.Time) *model.AuditRecord {
	a := &model.AuditRecord{At: at, Actor: p.User, Role: p.Role, Action: action, Target: target, After: jsonText(after)}
	if a.Actor == "" {
		a.Actor = "public:" + p.Petition
	}
	if before != nil {
		a.Before = jsonText(before)
	}
	return a
}

// NewCaseID allocates the next case number of the year: C2026-000001.
func (s *Service) NewCaseID(ctx context.Context, now time.Time) (string, error) {
	y := now.In(chinatime.Zone).Year()
	n, err := s.St.NextNumber(ctx, fmt.Sprintf("case:%d", y))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("C%d-%06d", y, n), nil
}

// Register files a new case (state registered) as p.
func (s *Service) Register(ctx context.Context, c cases.Case, p auth.Principal) (cases.Case, error) {
	now := s.now()
	if c.Source == cases.SourcePetition || c.Petition != "" {
		// The tracking code is the petitioner's credential: only the
		// public intake creates a petition's case.
		return c, &cases.FieldError{Action: cases.ActRegister, Field: "source", Reason: "petitions come in through the public intake", Err: cases.ErrInvalid}
	}
	if err := s.checkEvidence(ctx, c.Evidence); err != nil {
		return c, err
	}
	// Only what an intake may say; history, dates and answers come from
	// the rules.
	in := cases.Case{Source: c.Source, Ref: c.Ref, Line: c.Line, ProblemType: c.ProblemType, County: c.County, Enterprise: c.Enterprise,
		Location: c.Location, Lat: c.Lat, Lon: c.Lon, Severity: c.Severity, Title: c.Title, Description: c.Description, Policy: c.Policy}
	if p.Role == model.RoleMachine && c.Alert != nil {
		// The alert rules' facts (outlet, findings) from which the title is
		// written in each language; people describe their cases in words.
		a := *c.Alert
		a.Findings = slices.Clone(a.Findings)
		in.Alert = &a
	}
	id, err := s.NewCaseID(ctx, now)
	if err != nil {
		return c, err
	}
	in.ID = id
	n, evs, err := s.rules().Apply(in, cases.Action{Kind: cases.ActRegister, Evidence: c.Evidence}, ActorOf(p), now)
	if err != nil {
		return c, err
	}
	if err := s.St.CreateCase(ctx, n, evs, audit(p, "case.register", "case/"+id, nil, n, now)); err != nil {
		return c, err
	}
	s.notify(ctx, n, "case.registered", "new case "+n.ID+": "+n.Title)
	return s.flagRecurrence(ctx, n), nil
}

// DefaultRecurrenceDays is the 建章立制 window when Service.RecurrenceDays
// is 0: the same enterprise and problem type again within it flags the
// case for a rule-making review.
const DefaultRecurrenceDays = 90

// flagRecurrence flags a new case for a rule-making review (建章立制) when
// its enterprise had a case of the same problem type within the window
// (cases.Recurrence). A failure here is logged: it must not undo the
// registration, and the review can still be flagged by hand.
func (s *Service) flagRecurrence(ctx context.Context, c cases.Case) cases.Case {
	days := s.RecurrenceDays
	if days == 0 {
		days = DefaultRecurrenceDays
	}
	if days < 0 || c.Enterprise == "" {
		return c
	}
	history, err := s.St.Cases(ctx, store.CaseQuery{Enterprise: c.Enterprise, Limit: 1000})
	if err != nil {
		s.log().Warn("recurrence check failed", "case", c.ID, "err", err)
		return c
	}
	r := cases.Recurrence(history, c, days)
	if !r.Recurring {
		return c
	}
	reason := fmt.Sprintf("同一企业同类问题%d日内再次发生：%s", days, strings.Join(r.Prior, "、"))
	n, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActFlagReview, Reason: reason}, System)
	if err != nil {
		s.log().Warn("recurrence flag failed", "case", c.ID, "err", err)
		return c
	}
	return n
}

// Act applies an action to a stored case. seq, when not 0, is the Seq the
// client last saw: a different stored Seq is refused with store.ErrConflict
// before anything is applied. An escalation to a rung with a document
// prefix gets its numbered document from the per-prefix, per-year counter.
func (s *Service) Act(ctx context.Context, id string, seq int, a cases.Action, p auth.Principal) (cases.Case, []cases.Event, error) {
	c, err := s.St.Case(ctx, id)
	if err != nil {
		return c, nil, err
	}
	if seq != 0 && seq != c.Seq {
		return c, nil, fmt.Errorf("case %s: you saw seq %d, it is now %d: %w", id, seq, c.Seq, store.ErrConflict)
	}
	now := s.now()
	if a.Kind == cases.ActEscalate && a.Doc == "" && cases.Permitted(ActorOf(p).Role, a.Kind) && cases.InScope(ActorOf(p), c) {
		for _, r := range s.rules().Policy(c).Ladder {
			if r.Level == a.Level && r.DocPrefix != "" {
				y := now.In(chinatime.Zone).Year()
				// A refused escalation after this leaves a gap in the
				// numbering; documents are never renumbered.
				n, err := s.St.NextNumber(ctx, fmt.Sprintf("doc:%s:%d", r.DocPrefix, y))
				if err != nil {
					return c, nil, err
				}
				if a.Doc, err = cases.DocNumber(r.DocPrefix, y, int(n)); err != nil {
					return c, nil, err
				}
			}
		}
	}
	if err := s.checkEvidence(ctx, a.Evidence); err != nil {
		return c, nil, err
	}
	if a.Kind == cases.ActAssign {
		// The history records who by name, from the users table, never
		// from the request; an id that is no user (a team's name) stands
		// as its own name.
		a.AssigneeNames = make([]string, len(a.Assignees))
		for i, id := range a.Assignees {
			a.AssigneeNames[i] = id
			if u, err := s.St.User(ctx, id); err == nil && u.Name != "" {
				a.AssigneeNames[i] = u.Name
			}
		}
	}
	n, evs, err := s.rules().Apply(c, a, ActorOf(p), now)
	if err != nil {
		return c, nil, err
	}
	if err := s.St.UpdateCase(ctx, n, evs, audit(p, "case."+string(a.Kind), "case/"+id, c, n, now)); err != nil {
		return c, nil, err
	}
	s.notify(ctx, n, "case."+string(a.Kind), fmt.Sprintf("case %s: %s → %s", n.ID, a.Kind, n.State))
	return n, evs, nil
}

// checkEvidence refuses hashes of files that were never uploaded.
func (s *Service) checkEvidence(ctx context.Context, hs []string) error {
	for _, h := range hs {
		if _, err := s.St.Attachment(ctx, h); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return &cases.FieldError{Action: cases.ActSubmit, Field: "evidence", Reason: "no uploaded file " + h + ": upload it first", Err: cases.ErrInvalid}
			}
			return err
		}
	}
	return nil
}

// notify writes the inbox of the case's county, its enterprise and the
// city, and posts the webhooks in the background. Notification failures
// are logged, never fail the action that caused them.
func (s *Service) notify(ctx context.Context, c cases.Case, kind, msg string) {
	now := s.now()
	recips := []string{"city", "county:" + c.County}
	if c.Enterprise != "" {
		recips = append(recips, "enterprise:"+c.Enterprise)
	}
	recips = append(recips, c.Assignees...)
	for _, r := range recips {
		if err := s.St.Notify(ctx, store.Notification{Recipient: r, At: now, Kind: kind, Case: c.ID, Message: msg}); err != nil {
			s.log().Warn("notification not stored", "case", c.ID, "err", err)
		}
	}
	if s.Mailer != nil {
		subject := fmt.Sprintf("[ecowatch] %s %s", kind, c.ID)
		text := fmt.Sprintf("%s\n\n案件 Case: %s\n区县 County: %s\n状态 State: %s\n时间 At: %s\n", msg, c.ID, c.County, c.State, now.Format(time.RFC3339))
		go func() {
			if err := s.Mailer.Send(recips, subject, text, now); err != nil {
				s.log().Warn("notification mail not sent", "case", c.ID, "err", err)
			}
		}()
	}
	if len(s.Webhooks) == 0 {
		return
	}
	body, _ := json.Marshal(map[string]any{"kind": kind, "case": c.ID, "county": c.County, "state": c.State, "message": msg, "at": now})
	for _, u := range s.Webhooks {
		go s.post(u, body)
	}
}

// post delivers one webhook with retries (doubling delay), giving up after
// s.Retries more attempts; a 2xx answer is delivery.
func (s *Service) post(url string, body []byte) {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	retries, delay := s.Retries, s.RetryDelay
	if retries <= 0 {
		retries = 3
	}
	if delay <= 0 {
		delay = time.Second
	}
	for attempt := 0; ; attempt++ {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if attempt >= retries {
			s.log().Warn("webhook not delivered", "url", url, "err", err)
			return
		}
		time.Sleep(delay << attempt)
	}
}

// Intake takes a petition from the public: it gives it a tracking code,
// validates it and opens its case under the 12369 policy, all in one
// transaction. Rate limiting is the caller's (per IP).
func (s *Service) Intake(ctx context.Context, pet cases.Petition) (store.StoredPetition, cases.Case, error) {
	now := s.now()
	code, err := cases.TrackingCode(rand.Reader)
	if err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	pet.Code, pet.ReceivedAt = code, now
	if err := pet.Validate(); err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	if err := s.checkEvidence(ctx, pet.Photos); err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	id, err := s.NewCaseID(ctx, now)
	if err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	oc := pet.OpenCase(id)
	oc.Evidence = nil // added by the registration's action, once
	c, evs, err := s.rules().Apply(oc, cases.Action{Kind: cases.ActRegister, Evidence: pet.Photos},
		cases.Actor{ID: "intake", Role: cases.RoleSystem}, now)
	if err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	sp := store.StoredPetition{Petition: pet, Case: id}
	p := auth.Principal{Role: model.RolePublic, Petition: code}
	if err := s.St.PutPetition(ctx, sp, c, evs, audit(p, "petition.intake", "petition/"+code, nil, sp, now)); err != nil {
		return sp, c, err
	}
	s.notify(ctx, c, "petition.received", "new petition "+code+" ("+string(pet.Category)+")")
	return sp, c, nil
}

// Patrol records a patrol; each finding opens a case (source patrol) in
// the same transaction.
func (s *Service) Patrol(ctx context.Context, pt store.Patrol, p auth.Principal) (store.Patrol, error) {
	now := s.now()
	if pt.County == "" || pt.Area == "" || pt.StartedAt.IsZero() || pt.EndedAt.Before(pt.StartedAt) {
		return pt, fmt.Errorf("patrol: county, area and start required, end not before start: %w", cases.ErrInvalid)
	}
	n, err := s.St.NextNumber(ctx, "patrol")
	if err != nil {
		return pt, err
	}
	pt.ID, pt.By = fmt.Sprintf("P%06d", n), p.User
	var opened []cases.Case
	var evs [][]cases.Event
	for i := range pt.Findings {
		f := &pt.Findings[i]
		id, err := s.NewCaseID(ctx, now)
		if err != nil {
			return pt, err
		}
		c := cases.Case{ID: id, Source: cases.SourcePatrol, Ref: pt.ID, Line: f.Line, County: pt.County, Enterprise: f.Enterprise,
			Location: f.Location, Severity: cases.SeverityGeneral, Title: firstLine(f.Description), Description: f.Description}
		if err := s.checkEvidence(ctx, f.Photos); err != nil {
			return pt, fmt.Errorf("finding %d: %w", i+1, err)
		}
		nc, ev, err := s.rules().Apply(c, cases.Action{Kind: cases.ActRegister, Evidence: f.Photos}, ActorOf(p), now)
		if err != nil {
			return pt, fmt.Errorf("finding %d: %w", i+1, err)
		}
		f.Case = id
		opened, evs = append(opened, nc), append(evs, ev)
	}
	if err := s.St.PutPatrol(ctx, pt, opened, evs, audit(p, "patrol.record", "patrol/"+pt.ID, nil, pt, now)); err != nil {
		return pt, err
	}
	for _, c := range opened {
		s.notify(ctx, c, "case.registered", "patrol finding: "+c.Title)
	}
	return pt, nil
}

func firstLine(s string) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' {
			r = r[:i]
			break
		}
	}
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return string(r)
}

// PutEvidence stores an evidence file content-addressed under
// DataDir/evidence/<aa>/<sha256>, refusing more than MaxEvidence bytes or a
// type outside EvidenceTypes (sniffed). Storing the same bytes twice keeps
// one file.
func (s *Service) PutEvidence(ctx context.Context, r io.Reader, name, by string) (store.Attachment, error) {
	if s.DataDir == "" {
		return store.Attachment{}, errors.New("evidence: no data directory configured")
	}
	dir := filepath.Join(s.DataDir, "evidence")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	tmp, err := atomicfile.New(dir, "upload-")
	if err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	defer tmp.Abort()
	h := sha256.New()
	var head [512]byte
	hn, _ := io.ReadFull(r, head[:])
	ctype := http.DetectContentType(head[:hn])
	if !slices.Contains(EvidenceTypes, ctype) {
		return store.Attachment{}, fmt.Errorf("type %s is not one of %v: %w", ctype, EvidenceTypes, ErrEvidence)
	}
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head[:hn]); err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	n, err := io.Copy(w, io.LimitReader(r, MaxEvidence-int64(hn)+1))
	if err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	size := int64(hn) + n
	if size > MaxEvidence {
		return store.Attachment{}, fmt.Errorf("over %d bytes: %w", MaxEvidence, ErrEvidence)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := s.evidencePath(sum)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	if err := tmp.Commit(final, 0o600); err != nil {
		return store.Attachment{}, fmt.Errorf("evidence: %w", err)
	}
	a := store.Attachment{Hash: sum, Type: ctype, Size: size, Name: name, CreatedBy: by, CreatedAt: s.now()}
	if err := s.St.PutAttachment(ctx, a); err != nil {
		return a, err
	}
	return s.St.Attachment(ctx, sum)
}

func (s *Service) evidencePath(sum string) string {
	return filepath.Join(s.DataDir, "evidence", sum[:2], sum)
}

// OpenEvidence opens a stored evidence file.
func (s *Service) OpenEvidence(ctx context.Context, sum string) (*os.File, store.Attachment, error) {
	a, err := s.St.Attachment(ctx, sum)
	if err != nil {
		return nil, a, err
	}
	f, err := os.Open(s.evidencePath(a.Hash))
	if err != nil {
		return nil, a, fmt.Errorf("evidence %s: %w", sum, err)
	}
	return f, a, nil
}

// ladderLead is how far ahead of a deadline the ladder may start (the
// longest negative rung offset of the policies, in days).
func (s *Service) ladderLead() time.Duration {
	lead := 0
	for _, p := range s.rules().Policies {
		for _, r := range p.Ladder {
			lead = max(lead, -r.OffsetDays)
		}
	}
	return time.Duration(lead+1) * 24 * time.Hour
}

// System is the principal of the platform's own jobs (the escalation
// timer); it acts as cases.RoleSystem.
var System = auth.Principal{User: "system:ladder", Role: model.RoleMachine, Via: "timer"}

// Sweep issues every escalation step that is due (cases.Escalations): a
// reminder, a numbered supervision notice (督办), listed supervision,
// summons, each notified to the inbox and webhooks. It is idempotent: a
// step is issued once per cycle, so the timer may run it as often as it
// likes. A case changed meanwhile (stale seq) is left for the next sweep.
func (s *Service) Sweep(ctx context.Context) (issued int, err error) {
	now := s.now()
	q := store.CaseQuery{DueBefore: now.Add(s.ladderLead()), Limit: 1000}
	for {
		page, err := s.St.Cases(ctx, q)
		if err != nil {
			return issued, err
		}
		for _, c := range page {
			for _, e := range cases.Escalations(c, s.rules().Policy(c), now) {
				_, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActEscalate, Level: e.Level}, System)
				switch {
				case err == nil:
					issued++
				case errors.Is(err, store.ErrConflict), errors.Is(err, cases.ErrDuplicate):
				default:
					s.log().Warn("escalation not issued", "case", c.ID, "level", e.Level, "err", err)
				}
			}
		}
		if len(page) < q.Limit {
			return issued, nil
		}
		q.Offset += len(page)
	}
}

// RunLadder sweeps (and purges expired sessions) every interval until
// stop is closed.
func (s *Service) RunLadder(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	base, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	go func() {
		select {
		case <-stop:
			cancelAll() // a sweep in progress stops with the system
		case <-base.Done():
		}
	}()
	for {
		ctx, cancel := context.WithTimeout(base, every)
		if n, err := s.Sweep(ctx); err != nil && base.Err() == nil {
			s.log().Warn("escalation sweep failed", "err", err)
		} else if n > 0 {
			s.log().Info("escalations issued", "n", n)
		}
		if _, err := s.St.PurgeSessions(ctx, s.now()); err != nil && base.Err() == nil {
			s.log().Warn("expired sessions not purged", "err", err)
		}
		cancel()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
