package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The closed loop's endpoints: login, users, cases, evidence,
// petitions, patrols, statistics, the inbox and the audit log. They need
// Config.Auth and Config.Cases.

// Scopes of the closed-loop routes (auth.Allowed decides who has them).
const (
	ScopeSelf           = auth.ScopeSelf
	ScopeCasesRead      = auth.ScopeCasesRead
	ScopeCasesWrite     = auth.ScopeCasesWrite
	ScopePetitionsRead  = auth.ScopePetitionsRead
	ScopePetitionsReply = auth.ScopePetitionsReply
	ScopePatrols        = auth.ScopePatrols
	ScopeUsersAdmin     = auth.ScopeUsersAdmin
	ScopeAudit          = auth.ScopeAudit
)

var casesRoutes = []route{
	{"POST /api/v1/login", ScopePublic, (*server).login},
	{"POST /api/v1/logout", ScopeSelf, (*server).logout},
	{"GET /api/v1/me", ScopeSelf, (*server).me},
	{"GET /api/v1/inbox", ScopeSelf, (*server).inbox},
	{"GET /api/v1/users", ScopeUsersAdmin, (*server).usersList},
	{"POST /api/v1/users", ScopeUsersAdmin, (*server).usersAdd},
	{"POST /api/v1/users/{id}", ScopeUsersAdmin, (*server).usersUpdate},
	{"GET /api/v1/audit", ScopeAudit, (*server).auditList},
	{"GET /api/v1/cases", ScopeCasesRead, (*server).casesList},
	{"POST /api/v1/cases", ScopeCasesWrite, (*server).casesCreate},
	{"GET /api/v1/cases/{id}", ScopeCasesRead, (*server).caseDetail},
	{"POST /api/v1/cases/{id}/actions", ScopeCasesWrite, (*server).caseAct},
	{"GET /api/v1/stats/cases", ScopeCasesRead, (*server).caseStats},
	{"POST /api/v1/evidence", ScopeCasesWrite, (*server).evidenceUpload},
	{"GET /api/v1/evidence/{hash}", ScopeCasesRead, (*server).evidenceDownload},
	{"POST /api/v1/public/evidence", ScopePublic, (*server).publicEvidence},
	{"POST /api/v1/public/petitions", ScopePublic, (*server).petitionIntake},
	{"GET /api/v1/public/petitions/{code}", ScopePublic, (*server).petitionTrack},
	{"POST /api/v1/public/petitions/{code}/callback", ScopePublic, (*server).petitionCallback},
	{"GET /api/v1/petitions", ScopePetitionsRead, (*server).petitionsList},
	{"POST /api/v1/petitions/{code}/reply", ScopePetitionsReply, (*server).petitionReply},
	{"GET /api/v1/stats/patrols", ScopePatrols, (*server).patrolStats},
	{"POST /api/v1/patrols", ScopePatrols, (*server).patrolAdd},
	{"GET /api/v1/patrols", ScopePatrols, (*server).patrolsList},
}

const maxBody = 1 << 20

func (s *server) caseSvc() (*casesvc.Service, error) {
	if s.cfg.Cases == nil || s.cfg.Auth == nil {
		return nil, &Error{Code: CodeUnavailable, Message: "cases are not configured on this server"}
	}
	return s.cfg.Cases, nil
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Code: CodeInvalidBody, Message: "body: " + err.Error(), err: err}
	}
	return nil
}

// caseError maps the rules' and the store's refusals to API errors.
func caseError(err error) error {
	var te *cases.TransitionError
	var fe *cases.FieldError
	var pe *cases.PermissionError
	switch {
	case errors.As(err, &te):
		return &Error{Code: CodeInvalidTransition, Message: te.Error(), Allowed: te.Allowed, err: err}
	case errors.As(err, &fe):
		return &Error{Code: CodeInvalidBody, Field: fe.Field, Message: fe.Error(), err: err}
	case errors.As(err, &pe):
		return &Error{Code: CodeForbidden, Message: pe.Error(), err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Code: CodeConflict, Message: err.Error(), err: err}
	case errors.Is(err, casesvc.ErrEvidence):
		if strings.Contains(err.Error(), "over ") {
			return &Error{Code: CodeTooLarge, Message: err.Error(), err: err}
		}
		return &Error{Code: CodeUnsupportedType, Message: err.Error(), err: err}
	case errors.Is(err, cases.ErrInvalid):
		return &Error{Code: CodeInvalidBody, Message: err.Error(), err: err}
	}
	return err
}

func (s *server) audit(r *http.Request, action, target string, before, after any) *model.AuditRecord {
	p := principal(r.Context())
	a := &model.AuditRecord{At: s.cfg.Now(), Actor: p.User, Role: p.Role, Action: action, Target: target, Remote: auth.ClientIP(r)}
	if before != nil {
		b, _ := json.Marshal(before)
		a.Before = string(b)
	}
	if after != nil {
		b, _ := json.Marshal(after)
		a.After = string(b)
	}
	return a
}

func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Auth == nil {
		return &Error{Code: CodeUnavailable, Message: "users are not configured on this server"}
	}
	var body struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ip := auth.ClientIP(r)
	tok, p, err := s.cfg.Auth.Login(r.Context(), body.User, body.Password, ip)
	// Logins are security events: audited, success or not (never the
	// password); failures are gathered so that a flood writes little.
	if aerr := s.cfg.Auth.RecordLogin(r.Context(), body.User, ip, p, err); aerr != nil {
		s.log.Warn("login not audited", "err", aerr)
	}
	switch {
	case errors.Is(err, auth.ErrInvalid):
		field := "user"
		if len(body.User) <= auth.MaxUserName {
			field = "password"
		}
		return &Error{Code: CodeInvalidBody, Field: field, Message: err.Error(), err: err}
	case errors.Is(err, auth.ErrRateLimited):
		return &Error{Code: CodeRateLimited, Message: "too many failed logins; wait and retry", err: err}
	case errors.Is(err, auth.ErrUnauthenticated):
		return &Error{Code: CodeUnauthorized, Message: "wrong user or password", err: err}
	case err != nil:
		return err
	}
	s.cfg.Auth.SetSessionCookies(w, r, tok, p)
	writeJSON(w, http.StatusOK, struct {
		auth.Principal
		CSRF string `json:"csrf"`
	}{p, p.CSRF})
	return nil
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(auth.SessionCookie); err == nil && c.Value != "" {
		if err := s.cfg.Auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	auth.ClearSessionCookies(w, r)
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
	return nil
}

func (s *server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, principal(r.Context()))
	return nil
}

func (s *server) inbox(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	p := principal(r.Context())
	recips := []string{p.User}
	switch p.Role {
	case model.RoleCity:
		recips = append(recips, "city")
	case model.RoleCounty:
		recips = append(recips, "county:"+p.County)
	case model.RoleEnterprise:
		recips = append(recips, "enterprise:"+p.Enterprise)
	}
	ns, err := cs.St.Notifications(r.Context(), recips, 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
	return nil
}

func (s *server) usersList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	us, err := cs.St.Users(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []model.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
	return nil
}

func (s *server) usersAdd(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var body struct {
		model.User
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	u := body.User
	if err := auth.ValidateUser(u); err != nil {
		return &Error{Code: CodeInvalidBody, Message: err.Error()}
	}
	if err := s.checkUserScope(r, u); err != nil {
		return err
	}
	if _, err := cs.St.User(r.Context(), u.ID); err == nil {
		return &Error{Code: CodeConflict, Message: "user " + u.ID + " exists"}
	}
	if u.PasswordHash, err = auth.HashPassword(body.Password, s.cfg.Auth.Params); err != nil {
		return &Error{Code: CodeInvalidBody, Field: "password", Message: err.Error()}
	}
	u.CreatedAt = s.cfg.Now()
	if err := cs.St.PutUser(r.Context(), u, s.audit(r, "user.add", "user/"+u.ID, nil, u)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// usersUpdate changes a user's name, role, scope, disabled flag or
// password (fields left out stay as they are).
func (s *server) usersUpdate(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	old, err := cs.St.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFound("id", "no user %q", r.PathValue("id"))
	}
	var body struct {
		Name       *string `json:"name"`
		Role       *string `json:"role"`
		County     *string `json:"county"`
		Enterprise *string `json:"enterprise"`
		Disabled   *bool   `json:"disabled"`
		Password   *string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	u := old
	for dst, src := range map[*string]*string{&u.Name: body.Name, &u.Role: body.Role, &u.County: body.County, &u.Enterprise: body.Enterprise} {
		if src != nil {
			*dst = *src
		}
	}
	if body.Disabled != nil {
		u.Disabled = *body.Disabled
	}
	if err := auth.ValidateUser(u); err != nil {
		return &Error{Code: CodeInvalidBody, Message: err.Error()}
	}
	if err := s.checkUserScope(r, u); err != nil {
		return err
	}
	if body.Password != nil {
		if u.PasswordHash, err = auth.HashPassword(*body.Password, s.cfg.Auth.Params); err != nil {
			return &Error{Code: CodeInvalidBody, Field: "password", Message: err.Error()}
		}
	}
	// The audit keeps the change, never the hash (model.User hides it).
	if err := cs.St.PutUser(r.Context(), u, s.audit(r, "user.update", "user/"+u.ID, old, u)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// checkUserScope refuses a user of a county or enterprise that is not in
// the registry.
func (s *server) checkUserScope(r *http.Request, u model.User) error {
	err := casesvc.CheckUserScope(r.Context(), s.st, u)
	var se *casesvc.UserScopeError
	if errors.As(err, &se) {
		return &Error{Code: CodeInvalidBody, Field: se.Field, Message: se.Error(), err: err}
	}
	return err
}

func (s *server) auditList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	q, err := query(r, "target")
	if err != nil {
		return err
	}
	as, err := cs.St.Audit(r.Context(), q.Get("target"), 500)
	if err != nil {
		return err
	}
	if as == nil {
		as = []model.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": as})
	return nil
}

// caseQuery reads the list filters and applies the caller's row scope: a
// county or enterprise user's filter is forced to their own; asking for
// another's gives an empty list, never foreign rows.
func (s *server) caseQuery(r *http.Request) (store.CaseQuery, bool, error) {
	q, err := query(r, "state", "county", "enterprise", "line", "source", "overdue_first", "limit", "offset")
	if err != nil {
		return store.CaseQuery{}, false, err
	}
	cq := store.CaseQuery{County: q.Get("county"), Enterprise: q.Get("enterprise"), Line: q.Get("line"),
		Source: cases.Source(q.Get("source")), OverdueFirst: q.Get("overdue_first") != "false", Now: s.cfg.Now()}
	if st := q.Get("state"); st != "" {
		for x := range strings.SplitSeq(st, ",") {
			cq.States = append(cq.States, cases.State(x))
		}
	}
	for name, dst := range map[string]*int{"limit": &cq.Limit, "offset": &cq.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || name == "limit" && n > 1000 {
				return cq, false, paramError(name, "%q: want a number (limit 1-1000)", v)
			}
			*dst = n
		}
	}
	sc := scopeOf(r.Context())
	empty := false
	if !sc.All {
		if sc.County != "" {
			empty = cq.County != "" && cq.County != sc.County
			cq.County = sc.County
		}
		if sc.Enterprise != "" {
			empty = empty || cq.Enterprise != "" && cq.Enterprise != sc.Enterprise
			cq.Enterprise = sc.Enterprise
		}
	}
	return cq, empty, nil
}

// caseView is a case with its derived lateness.
type caseView struct {
	cases.Case
	Lateness cases.Lateness `json:"lateness"`
}

func (s *server) view(cs *casesvc.Service, c cases.Case) caseView {
	rules := cs.Rules
	if rules == nil {
		rules = cases.DefaultRules()
	}
	return caseView{c, cases.Overdue(c, rules.Policy(c), s.cfg.Now())}
}

func (s *server) casesList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	cq, empty, err := s.caseQuery(r)
	if err != nil {
		return err
	}
	out := []caseView{}
	if !empty {
		list, err := cs.St.Cases(r.Context(), cq)
		if err != nil {
			return err
		}
		for _, c := range list {
			out = append(out, s.view(cs, c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out})
	return nil
}

func (s *server) caseStats(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	cq, empty, err := s.caseQuery(r)
	if err != nil {
		return err
	}
	if empty {
		cq.County, cq.Enterprise = "\x00none", "\x00none"
	}
	sum, err := cs.St.CaseStats(r.Context(), cq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// loadCase reads a case the caller may see; others' cases are not found
// (not forbidden: their existence is not told).
func (s *server) loadCase(r *http.Request, cs *casesvc.Service, id string) (cases.Case, error) {
	c, err := cs.St.Case(r.Context(), id)
	if err != nil {
		return c, err
	}
	if !scopeOf(r.Context()).Sees(c.County, c.Enterprise) {
		return c, notFound("id", "no case %q", id)
	}
	return c, nil
}

func (s *server) caseDetail(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	c, err := s.loadCase(r, cs, r.PathValue("id"))
	if err != nil {
		return err
	}
	evs, err := cs.St.CaseEvents(r.Context(), c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": s.view(cs, c), "timeline": evs, "allowed": cases.Allowed(c.State)})
	return nil
}

func (s *server) casesCreate(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var c cases.Case
	if err := decodeBody(r, &c); err != nil {
		return err
	}
	n, err := cs.Register(r.Context(), c, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusCreated, s.view(cs, n))
	return nil
}

func (s *server) caseAct(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	if _, err := s.loadCase(r, cs, r.PathValue("id")); err != nil {
		return err
	}
	var body struct {
		Seq int `json:"seq"`
		cases.Action
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	n, evs, err := cs.Act(r.Context(), r.PathValue("id"), body.Seq, body.Action, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": s.view(cs, n), "events": evs})
	return nil
}

func (s *server) evidenceUpload(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	a, err := cs.PutEvidence(r.Context(), http.MaxBytesReader(w, r.Body, casesvc.MaxEvidence+1), r.URL.Query().Get("name"), principal(r.Context()).User)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Code: CodeTooLarge, Message: "evidence over the size limit", err: err}
		}
		return caseError(err)
	}
	if err := cs.St.AppendAudit(r.Context(), *s.audit(r, "evidence.upload", "evidence/"+a.Hash, nil, a)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// publicEvidence takes a petition photo from the public, rate-limited per
// IP like the petitions themselves.
func (s *server) publicEvidence(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	if !cs.PublicLimit().Take("ev:"+auth.ClientIP(r), s.cfg.Now()) {
		return &Error{Code: CodeRateLimited, Message: "too many submissions from your address; retry later"}
	}
	a, err := cs.PutEvidence(r.Context(), http.MaxBytesReader(w, r.Body, casesvc.MaxEvidence+1), "", casesvc.PublicUploader)
	if err != nil {
		return caseError(err)
	}
	// Recorded like staff uploads: bytes stored once are attachable by
	// each party that uploaded them (casesvc.UploadedBy).
	au := s.audit(r, "evidence.upload", "evidence/"+a.Hash, nil, a)
	au.Actor, au.Role = casesvc.PublicUploader, model.RolePublic
	if err := cs.St.AppendAudit(r.Context(), *au); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"hash": a.Hash, "type": a.Type})
	return nil
}

// evidenceDownload serves an attachment to the city, to whoever uploaded
// it, or to a caller whose visible case references it (checked on the
// case named by ?case=). Machines read only what they uploaded: they hold
// no evidence-export right. An unknown hash and a file the caller may not
// read get the same answer.
func (s *server) evidenceDownload(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	hash := r.PathValue("hash")
	missing := notFound("hash", "no evidence %q", hash)
	p := principal(r.Context())
	a, err := cs.St.Attachment(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return missing
	}
	if err != nil {
		return err
	}
	ok, err := cs.UploadedBy(r.Context(), a, p.User)
	if err != nil {
		return err
	}
	if !ok && p.Role != model.RoleMachine {
		ok = scopeOf(r.Context()).All
		if !ok && r.URL.Query().Get("case") != "" {
			if c, err := s.loadCase(r, cs, r.URL.Query().Get("case")); err == nil {
				ok = slices.Contains(c.Evidence, hash)
			}
		}
	}
	if !ok {
		return missing
	}
	f, a, err := cs.OpenEvidence(r.Context(), hash)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", a.Type)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment")
	http.ServeContent(w, r, "", a.CreatedAt, f)
	return nil
}

func (s *server) petitionIntake(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	if !cs.PublicLimit().Take("pet:"+auth.ClientIP(r), s.cfg.Now()) {
		return &Error{Code: CodeRateLimited, Message: "too many submissions from your address; retry later"}
	}
	var p cases.Petition
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	sp, c, err := cs.Intake(r.Context(), p)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Code: CodeInvalidBody, Field: "photos", Message: err.Error()}
		}
		return caseError(err)
	}
	rules := cs.Rules
	if rules == nil {
		rules = cases.DefaultRules()
	}
	// The rating key is shown here once and never again: the satisfaction
	// callback needs it, staff never see it. The case's internal number
	// is not the petitioner's business: the tracking code is.
	writeJSON(w, http.StatusCreated, map[string]any{"code": cases.FormatTrackingCode(sp.Code), "rating_key": sp.RatingKey,
		"deadlines": cases.Deadlines(c, rules.Policy(c))})
	return nil
}

// publicPetition is what the petitioner sees: no staff names, no contact.
type publicPetition struct {
	Code      string                  `json:"code"`
	Category  cases.Category          `json:"category"`
	Received  time.Time               `json:"received_at"`
	State     cases.State             `json:"state"`
	Reply     string                  `json:"reply,omitempty"`
	Deadlines cases.PetitionDeadlines `json:"deadlines"`
	Rated     cases.Satisfaction      `json:"satisfaction,omitempty"`
}

func (s *server) petitionOf(r *http.Request, cs *casesvc.Service) (store.StoredPetition, cases.Case, error) {
	code, ok := cases.NormaliseTrackingCode(r.PathValue("code"))
	if !ok {
		return store.StoredPetition{}, cases.Case{}, notFound("code", "no petition with this tracking code")
	}
	sp, err := cs.St.Petition(r.Context(), cases.FormatTrackingCode(code))
	if err != nil {
		return sp, cases.Case{}, notFound("code", "no petition with this tracking code")
	}
	c, err := cs.St.Case(r.Context(), sp.Case)
	return sp, c, err
}

func (s *server) petitionTrack(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	sp, c, err := s.petitionOf(r, cs)
	if err != nil {
		return err
	}
	rules := cs.Rules
	if rules == nil {
		rules = cases.DefaultRules()
	}
	writeJSON(w, http.StatusOK, publicPetition{cases.FormatTrackingCode(sp.Code), sp.Category, sp.ReceivedAt, c.State, sp.Reply,
		cases.Deadlines(c, rules.Policy(c)), c.Satisfaction})
	return nil
}

// petitionCallback is the petitioner's satisfaction answer (回访). The
// tracking code names the petition; the rating key given only to the
// petitioner at submission is the credential, so staff who read the code
// on the desk cannot rate. The caller is anonymous: no answer names the
// case's internal number or lists staff moves.
func (s *server) petitionCallback(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	if !cs.PublicLimit().Take("cb:"+auth.ClientIP(r), s.cfg.Now()) {
		return &Error{Code: CodeRateLimited, Message: "too many submissions from your address; retry later"}
	}
	sp, _, err := s.petitionOf(r, cs)
	if err != nil {
		return err
	}
	var body struct {
		RatingKey    string             `json:"rating_key"`
		Satisfaction cases.Satisfaction `json:"satisfaction"`
		Comment      string             `json:"comment,omitempty"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.RatingKey == "" {
		return &Error{Code: CodeInvalidBody, Field: "rating_key", Message: "rating_key: required: the key shown when the petition was submitted (提交时显示的评价码)"}
	}
	n, err := cs.Rate(r.Context(), sp.Code, body.RatingKey, body.Satisfaction, body.Comment)
	if err != nil {
		return publicCaseError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": n.State, "satisfaction": n.Satisfaction})
	return nil
}

// publicCaseError is caseError for anonymous callers: the same codes, with
// messages that carry no internal identifier (case number, staff moves).
func publicCaseError(err error) error {
	var te *cases.TransitionError
	var fe *cases.FieldError
	var pe *cases.PermissionError
	switch {
	case errors.Is(err, casesvc.ErrRatingKey):
		return &Error{Code: CodeForbidden, Field: "rating_key", Message: "rating_key: does not match this petition's key (提交时显示的评价码)", err: err}
	case errors.As(err, &te):
		return &Error{Code: CodeInvalidTransition, Message: "the petition can be rated once its handling is closed; it is now " + string(te.State), err: err}
	case errors.As(err, &fe):
		return &Error{Code: CodeInvalidBody, Field: fe.Field, Message: fe.Field + ": " + fe.Reason, err: err}
	case errors.As(err, &pe):
		return &Error{Code: CodeForbidden, Message: "not permitted", err: err}
	case errors.Is(err, store.ErrNotFound):
		return notFound("code", "no petition with this tracking code")
	}
	return err
}

func (s *server) petitionsList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	q, err := query(r, "county")
	if err != nil {
		return err
	}
	county := q.Get("county")
	sc := scopeOf(r.Context())
	if !sc.All {
		if county != "" && county != sc.County {
			writeJSON(w, http.StatusOK, map[string]any{"petitions": []store.StoredPetition{}})
			return nil
		}
		county = sc.County
	}
	ps, err := cs.St.Petitions(r.Context(), store.PetitionQuery{County: county, Limit: 500})
	if err != nil {
		return err
	}
	if principal(r.Context()).Via == openPrincipal.Via {
		// The demo's open mode shows the desk to anyone, but a
		// petitioner's contact is for staff whose scope holds the
		// petition, which an anonymous visitor is not.
		for i := range ps {
			ps[i].Contact = ""
		}
	}
	for i := range ps {
		ps[i].RatingKeyHash = "" // the petitioner's credential, even hashed
	}
	writeJSON(w, http.StatusOK, map[string]any{"petitions": ps})
	return nil
}

func (s *server) patrolAdd(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	var pt store.Patrol
	if err := decodeBody(r, &pt); err != nil {
		return err
	}
	if sc := scopeOf(r.Context()); !sc.All && pt.County != sc.County {
		return &Error{Code: CodeForbidden, Field: "county", Message: "a patrol of another county"}
	}
	pt, err = cs.Patrol(r.Context(), pt, principal(r.Context()))
	if err != nil {
		return caseError(err)
	}
	writeJSON(w, http.StatusCreated, pt)
	return nil
}

func (s *server) patrolsList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	q, err := query(r, "county")
	if err != nil {
		return err
	}
	pq := store.PatrolQuery{County: q.Get("county"), Limit: 500}
	if sc := scopeOf(r.Context()); !sc.All {
		if pq.County != "" && pq.County != sc.County {
			writeJSON(w, http.StatusOK, map[string]any{"patrols": []store.Patrol{}})
			return nil
		}
		pq.County = sc.County
	}
	ps, err := cs.St.Patrols(r.Context(), pq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"patrols": ps})
	return nil
}

// petitionReply records the reply to the petitioner (答复), shown on the
// public tracking page. County staff reply to their county's petitions.
func (s *server) petitionReply(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	sp, _, err := s.petitionOf(r, cs)
	if err != nil {
		return err
	}
	if sc := scopeOf(r.Context()); !sc.Sees(sp.County, "") {
		return notFound("code", "no petition with this tracking code")
	}
	var body struct {
		Reply string `json:"reply"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Reply) == "" || len([]rune(body.Reply)) > cases.MaxDescription {
		return &Error{Code: CodeInvalidBody, Field: "reply", Message: "reply: required, at most 4000 characters"}
	}
	if err := cs.St.SetPetitionReply(r.Context(), sp.Code, body.Reply, s.audit(r, "petition.reply", "petition/"+sp.Code, sp.Reply, body.Reply)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": sp.Code, "reply": body.Reply})
	return nil
}

// patrolStats counts patrols per county and month, in the caller's scope.
func (s *server) patrolStats(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.caseSvc()
	if err != nil {
		return err
	}
	q, err := query(r, "county")
	if err != nil {
		return err
	}
	pq := store.PatrolQuery{County: q.Get("county")}
	if sc := scopeOf(r.Context()); !sc.All {
		if pq.County != "" && pq.County != sc.County {
			writeJSON(w, http.StatusOK, map[string]any{"counts": []store.PatrolCount{}})
			return nil
		}
		pq.County = sc.County
	}
	counts, err := cs.St.PatrolCounts(r.Context(), pq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts})
	return nil
}
