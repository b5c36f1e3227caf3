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
	"crypto/subtle"
	"encoding/base32"
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

// newCaseID draws the next case number of the year in tx: C2026-000001.
// Numbers have no gaps: one drawn in a transaction that does not commit
// is drawn again by the next.
func newCaseID(tx store.CaseTx, now time.Time) (string, error) {
	y := now.In(chinatime.Zone).Year()
	n, err := tx.NextNumber(fmt.Sprintf("case:%d", y))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("C%d-%06d", y, n), nil
}

// Register files a new case (state registered) as p. The case number is
// drawn in the transaction that stores the case, so a refused
// registration uses up no number.
func (s *Service) Register(ctx context.Context, c cases.Case, p auth.Principal) (cases.Case, error) {
	now := s.now()
	if c.Source == cases.SourcePetition || c.Petition != "" {
		// The tracking code is the petitioner's credential: only the
		// public intake creates a petition's case.
		return c, &cases.FieldError{Action: cases.ActRegister, Field: "source", Reason: "petitions come in through the public intake", Err: cases.ErrInvalid}
	}
	if err := s.checkEvidence(ctx, c.Evidence, p, p.User, nil); err != nil {
		return c, err
	}
	// Only what an intake may say; history, dates and answers come from
	// the rules.
	in := cases.Case{Source: c.Source, Ref: c.Ref, Line: c.Line, ProblemType: c.ProblemType, County: c.County, Enterprise: c.Enterprise,
		Location: c.Location, Lat: c.Lat, Lon: c.Lon, Severity: c.Severity, Title: c.Title, Description: c.Description, Policy: c.Policy}
	if p.Role == model.RoleMachine {
		// The English of a title the platform's engines wrote; a person's
		// words are theirs, in the language they wrote them.
		in.TitleEN, in.DescriptionEN = c.TitleEN, c.DescriptionEN
	}
	if p.Role == model.RoleMachine && c.Alert != nil {
		// The alert rules' facts (outlet, findings) from which the title is
		// written in each language; people describe their cases in words.
		a := *c.Alert
		a.Findings = slices.Clone(a.Findings)
		in.Alert = &a
	}
	// The rules judge the case before a number exists: a refusal then
	// costs no transaction at all.
	probe := in
	probe.ID = "C0" // numbered below, once the rules accept it
	if _, _, err := s.rules().Apply(probe, cases.Action{Kind: cases.ActRegister, Evidence: c.Evidence}, ActorOf(p), now); err != nil {
		return c, err
	}
	var n cases.Case
	err := s.St.InCaseTx(ctx, func(tx store.CaseTx) error {
		id, err := newCaseID(tx, now)
		if err != nil {
			return err
		}
		in.ID = id
		var evs []cases.Event
		if n, evs, err = s.rules().Apply(in, cases.Action{Kind: cases.ActRegister, Evidence: c.Evidence}, ActorOf(p), now); err != nil {
			return err
		}
		return tx.CreateCase(n, evs, audit(p, "case.register", "case/"+id, nil, n, now))
	})
	if err != nil {
		return c, err
	}
	zh, en := cases.NewCaseNotice(n)
	s.notify(ctx, n, "case.registered", zh, en)
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
	zh, en := cases.RecurrenceNote(days, r.Prior)
	n, _, err := s.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActFlagReview, Reason: zh, ReasonEN: en}, System)
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
	if err := s.checkEvidence(ctx, a.Evidence, p, p.User, c.Evidence); err != nil {
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
	zh, en := cases.ActionNotice(n, a.Kind)
	s.notify(ctx, n, "case."+string(a.Kind), zh, en)
	return n, evs, nil
}

// ErrNoEvidence refuses an evidence hash the caller may not attach: a
// file never uploaded and a file of another party get the same answer,
// so that the refusal tells nothing about other parties' files.
var ErrNoEvidence = fmt.Errorf("no such evidence: %w", cases.ErrInvalid)

// checkEvidence refuses hashes the caller may not attach: a case takes
// only files its caller uploaded (as uploader), files the caller may
// already read (the city reads all), or files already on the case.
func (s *Service) checkEvidence(ctx context.Context, hs []string, p auth.Principal, uploader string, onCase []string) error {
	for _, h := range hs {
		ok, err := s.mayAttach(ctx, h, p, uploader, onCase)
		if err != nil {
			return err
		}
		if !ok {
			return &cases.FieldError{Action: cases.ActSubmit, Field: "evidence", Reason: "no uploaded file " + h + " of yours: upload it first (POST /api/v1/evidence)", Err: ErrNoEvidence}
		}
	}
	return nil
}

func (s *Service) mayAttach(ctx context.Context, h string, p auth.Principal, uploader string, onCase []string) (bool, error) {
	a, err := s.St.Attachment(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if p.Role == model.RoleCity || slices.Contains(onCase, h) {
		return true, nil
	}
	return s.UploadedBy(ctx, a, uploader)
}

// UploadedBy reports whether who uploaded the file a: its first upload,
// or a later upload of the same bytes (stored once, each upload audited
// as evidence.upload). Bringing the bytes proves having them.
func (s *Service) UploadedBy(ctx context.Context, a store.Attachment, who string) (bool, error) {
	if who == "" {
		return false, nil
	}
	if a.CreatedBy == who {
		return true, nil
	}
	as, err := s.St.Audit(ctx, "evidence/"+a.Hash, 1000)
	if err != nil {
		return false, err
	}
	for _, r := range as {
		if r.Action == "evidence.upload" && r.Actor == who {
			return true, nil
		}
	}
	return false, nil
}

// notify writes the inbox of the case's county, its enterprise and the
// city, and posts the webhooks in the background, with the notice in
// words in Chinese (msg) and English (msgEN). Notification failures are
// logged, never fail the action that caused them.
func (s *Service) notify(ctx context.Context, c cases.Case, kind, msg, msgEN string) {
	now := s.now()
	recips := []string{"city", "county:" + c.County}
	if c.Enterprise != "" {
		recips = append(recips, "enterprise:"+c.Enterprise)
	}
	recips = append(recips, c.Assignees...)
	for _, r := range recips {
		if err := s.St.Notify(ctx, store.Notification{Recipient: r, At: now, Kind: kind, Case: c.ID, Message: msg, MessageEN: msgEN}); err != nil {
			s.log().Warn("notification not stored", "case", c.ID, "err", err)
		}
	}
	if s.Mailer != nil {
		subject := "[ecowatch] " + msg + " / " + msgEN
		text := fmt.Sprintf("%s\n%s\n\n案件 Case: %s\n区县 County: %s\n时间 At: %s\n", msg, msgEN, c.ID, c.County, now.Format(time.RFC3339))
		go func() {
			if err := s.Mailer.Send(recips, subject, text, now); err != nil {
				s.log().Warn("notification mail not sent", "case", c.ID, "err", err)
			}
		}()
	}
	if len(s.Webhooks) == 0 {
		return
	}
	body, _ := json.Marshal(map[string]any{"kind": kind, "case": c.ID, "county": c.County, "state": c.State, "message": msg, "message_en": msgEN, "at": now})
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

// Intake takes a petition from the public: it gives it a tracking code
// and a rating key, validates it and opens its case under the 12369
// policy, all in one transaction (the case number too). Rate limiting is
// the caller's (per IP). The returned petition's RatingKey is the only
// copy of the key: the store keeps its hash.
func (s *Service) Intake(ctx context.Context, pet cases.Petition) (store.StoredPetition, cases.Case, error) {
	now := s.now()
	code, err := cases.TrackingCode(rand.Reader)
	if err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	key, err := newRatingKey()
	if err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	pet.Code, pet.ReceivedAt = code, now
	if err := pet.Validate(); err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	p := auth.Principal{Role: model.RolePublic, Petition: code}
	// Photos come from the public upload (POST /api/v1/public/evidence):
	// a petition cannot pull in staff's files by their hash.
	if err := s.checkEvidence(ctx, pet.Photos, p, PublicUploader, nil); err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	intake := cases.Actor{ID: "intake", Role: cases.RoleSystem}
	if _, _, err := s.rules().Apply(pet.OpenCase("C0"), cases.Action{Kind: cases.ActRegister, Evidence: pet.Photos}, intake, now); err != nil {
		return store.StoredPetition{}, cases.Case{}, err
	}
	var sp store.StoredPetition
	var c cases.Case
	err = s.St.InCaseTx(ctx, func(tx store.CaseTx) error {
		id, err := newCaseID(tx, now)
		if err != nil {
			return err
		}
		oc := pet.OpenCase(id)
		oc.Evidence = nil // added by the registration's action, once
		var evs []cases.Event
		if c, evs, err = s.rules().Apply(oc, cases.Action{Kind: cases.ActRegister, Evidence: pet.Photos}, intake, now); err != nil {
			return err
		}
		sp = store.StoredPetition{Petition: pet, Case: id, RatingKeyHash: hashRatingKey(key)}
		return tx.PutPetition(sp, c, evs, audit(p, "petition.intake", "petition/"+code, nil, sp, now))
	})
	if err != nil {
		return sp, c, err
	}
	sp.RatingKey = key
	zh, en := cases.PetitionNotice(code, pet.Category)
	s.notify(ctx, c, "petition.received", zh, en)
	return sp, c, nil
}

// PublicUploader is who public uploads (petition photos) are recorded as.
const PublicUploader = "public"

// ErrRatingKey refuses a satisfaction rating without the petition's
// rating key.
var ErrRatingKey = errors.New("rating key does not match")

// newRatingKey returns a petitioner's rating key: 120 random bits in
// base32, grouped by four (XXXX-XXXX-XXXX-XXXX-XXXX-XXXX).
func newRatingKey() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("rating key: %w", err)
	}
	k := base32.StdEncoding.EncodeToString(b[:])
	var out strings.Builder
	for i := 0; i < len(k); i += 4 {
		if i > 0 {
			out.WriteByte('-')
		}
		out.WriteString(k[i:min(i+4, len(k))])
	}
	return out.String(), nil
}

// hashRatingKey is what the store keeps of a rating key: SHA-256 of its
// normalised form (upper case, without separators), in hex.
func hashRatingKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(k) {
		if r != '-' && r != ' ' {
			b.WriteRune(r)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Rate records the petitioner's satisfaction (回访) with the petition's
// case. key is the rating key given at intake, which only the petitioner
// has (staff see the tracking code, never the key): without it the
// rating is refused with ErrRatingKey.
func (s *Service) Rate(ctx context.Context, code, key string, sat cases.Satisfaction, comment string) (cases.Case, error) {
	sp, err := s.St.Petition(ctx, code)
	if err != nil {
		return cases.Case{}, err
	}
	if sp.RatingKeyHash == "" || subtle.ConstantTimeCompare([]byte(hashRatingKey(key)), []byte(sp.RatingKeyHash)) != 1 {
		return cases.Case{}, ErrRatingKey
	}
	pub := auth.Principal{Role: model.RolePublic, Petition: sp.Code, Via: "rating-key"}
	n, _, err := s.Act(ctx, sp.Case, 0, cases.Action{Kind: cases.ActRate, Satisfaction: sat, Reason: comment}, pub)
	return n, err
}

// Patrol records a patrol; each finding opens a case (source patrol) in
// the same transaction, which also draws the patrol's and the cases'
// numbers.
func (s *Service) Patrol(ctx context.Context, pt store.Patrol, p auth.Principal) (store.Patrol, error) {
	now := s.now()
	if pt.County == "" || pt.Area == "" || pt.StartedAt.IsZero() || pt.EndedAt.Before(pt.StartedAt) {
		return pt, fmt.Errorf("patrol: county, area and start required, end not before start: %w", cases.ErrInvalid)
	}
	for i, f := range pt.Findings {
		if err := s.checkEvidence(ctx, f.Photos, p, p.User, nil); err != nil {
			return pt, fmt.Errorf("finding %d: %w", i+1, err)
		}
	}
	var opened []cases.Case
	err := s.St.InCaseTx(ctx, func(tx store.CaseTx) error {
		n, err := tx.NextNumber("patrol")
		if err != nil {
			return err
		}
		out := pt
		out.Findings = slices.Clone(pt.Findings)
		out.ID, out.By = fmt.Sprintf("P%06d", n), p.User
		var evs [][]cases.Event
		opened = opened[:0]
		for i := range out.Findings {
			f := &out.Findings[i]
			id, err := newCaseID(tx, now)
			if err != nil {
				return err
			}
			c := cases.Case{ID: id, Source: cases.SourcePatrol, Ref: out.ID, Line: f.Line, County: out.County, Enterprise: f.Enterprise,
				Location: f.Location, Severity: cases.SeverityGeneral, Title: firstLine(f.Description), Description: f.Description}
			nc, ev, err := s.rules().Apply(c, cases.Action{Kind: cases.ActRegister, Evidence: f.Photos}, ActorOf(p), now)
			if err != nil {
				return fmt.Errorf("finding %d: %w", i+1, err)
			}
			f.Case = id
			opened, evs = append(opened, nc), append(evs, ev)
		}
		if err := tx.PutPatrol(out, opened, evs, audit(p, "patrol.record", "patrol/"+out.ID, nil, out, now)); err != nil {
			return err
		}
		pt = out
		return nil
	})
	if err != nil {
		return pt, err
	}
	for _, c := range opened {
		zh, en := cases.PatrolNotice(c)
		s.notify(ctx, c, "case.registered", zh, en)
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
