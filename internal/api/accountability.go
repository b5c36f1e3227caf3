package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// County accountability: assessment, ecological compensation,
// summons triggers, the bulletin, heavy-pollution warnings, soil duties
// and governance projects, as JSON or (tables) an Excel workbook. GETs read
// what was computed and stored; POSTs compute a period and store it. The
// city sees every county; a county user its own county's rows (ranks stay
// those of the whole assessment).

// Scopes of the accountability endpoints.
const (
	ScopeAccountRead  = auth.ScopeAccountRead
	ScopeAccountWrite = auth.ScopeAccountWrite
)

var accountRoutes = []route{
	{"GET /api/v1/accountability/assessment", ScopeAccountRead, (*server).accountAssessment},
	{"POST /api/v1/accountability/assessment", ScopeAccountWrite, (*server).accountAssess},
	{"GET /api/v1/accountability/compensation", ScopeAccountRead, (*server).accountCompensation},
	{"POST /api/v1/accountability/compensation", ScopeAccountWrite, (*server).accountCompensate},
	{"GET /api/v1/accountability/triggers", ScopeAccountRead, (*server).accountTriggers},
	{"POST /api/v1/accountability/triggers", ScopeAccountWrite, (*server).accountEvaluate},
	{"GET /api/v1/accountability/bulletin", ScopeAccountRead, (*server).accountBulletin},
	{"GET /api/v1/accountability/warnings", ScopeAccountRead, (*server).accountWarnings},
	{"POST /api/v1/accountability/warnings", ScopeAccountWrite, (*server).accountAddWarning},
	{"POST /api/v1/accountability/warnings/{id}/check", ScopeAccountWrite, (*server).accountCheckWarning},
	{"GET /api/v1/accountability/soil", ScopeAccountRead, (*server).accountSoil},
	{"POST /api/v1/accountability/soil", ScopeAccountWrite, (*server).accountSoilCases},
	{"GET /api/v1/accountability/projects", ScopeAccountRead, (*server).accountProjects},
	{"GET /api/v1/accountability/reduction", ScopeAccountRead, (*server).accountReduction},
	{"GET /api/v1/accountability/soil/plots", ScopeAccountRead, (*server).accountPlots},
	{"GET /api/v1/accountability/soil/reviews", ScopeAccountRead, (*server).accountReviews},
	{"GET /api/v1/accountability/formulas", ScopeAccountRead, (*server).accountFormulas},
	{"POST /api/v1/accountability/formulas", ScopeAccountWrite, (*server).accountAddFormula},
}

func (s *server) accountSvc() *accountsvc.Service {
	return &accountsvc.Service{St: s.st, Cases: s.cfg.Cases, Now: s.cfg.Now}
}

// accountScope is the caller's row scope (everything without Config.Auth).
func (s *server) accountScope(r *http.Request) auth.Scope {
	if s.cfg.Auth == nil {
		return auth.Scope{All: true}
	}
	return auth.ScopeOf(principal(r.Context()))
}

// accountError maps the core's refusals (no scheme or formula version, a
// missing value or target, an overlapping warning) to "refused".
func accountError(err error) error {
	var ae *acc.Error
	if errors.As(err, &ae) {
		return &Error{Code: CodeRefused, Field: ae.What, Message: err.Error(), err: err}
	}
	return err
}

// accountPeriodRequest reads the ?period=&format= of the period tables
// (assessment, compensation, triggers) and the service that serves them.
func (s *server) accountPeriodRequest(r *http.Request) (chinatime.Period, string, *accountsvc.Service, error) {
	q, err := query(r, "period", "format", "lang")
	if err != nil {
		return chinatime.Period{}, "", nil, err
	}
	p, err := periodParam(q)
	if err != nil {
		return chinatime.Period{}, "", nil, err
	}
	format, err := reportFormat(q)
	if err != nil {
		return chinatime.Period{}, "", nil, err
	}
	svc := s.accountSvc()
	return p, format, svc, nil
}

func periodParam(q url.Values) (chinatime.Period, error) {
	v := q.Get("period")
	if v == "" {
		return chinatime.Period{}, missingError("period", "required: 2026, 2026Q3, 2026-07 or 2026H1")
	}
	p, err := chinatime.ParsePeriod(v)
	if err != nil {
		return chinatime.Period{}, paramError("period", "%q: want 2026, 2026Q3, 2026-07 or 2026H1", v)
	}
	return p, nil
}

// writeAccount answers with v as JSON or the tables as a workbook.
// The workbook speaks the language of ?lang= (zh, the default, or en).
func writeAccount(w http.ResponseWriter, r *http.Request, status int, format, name string, v any, tables ...accountsvc.Table) error {
	lang, err := workbook.ParseLang(r.URL.Query().Get("lang"))
	if err != nil {
		return paramError("lang", "%q: want zh or en", r.URL.Query().Get("lang"))
	}
	if format != "xlsx" {
		writeJSON(w, status, v)
		return nil
	}
	for i := range tables {
		tables[i] = tables[i].In(lang)
	}
	var buf bytes.Buffer
	if err := accountsvc.WriteXLSX(&buf, tables...); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func scopeAssessment(sc auth.Scope, a acc.Assessment) acc.Assessment {
	if !sc.All {
		a.Counties = slices.DeleteFunc(slices.Clone(a.Counties), func(c acc.CountyScore) bool { return !sc.Sees(c.County, "") })
	}
	return a
}

func scopeSettlement(sc auth.Scope, st acc.Settlement) acc.Settlement {
	if sc.All {
		return st
	}
	st.Lines = slices.DeleteFunc(slices.Clone(st.Lines), func(l acc.CompLine) bool { return !sc.Sees(l.County, "") })
	st.Receivable, st.Payable = 0, 0
	for _, l := range st.Lines {
		st.Receivable += l.Receivable
		st.Payable += l.Payable
	}
	return st
}

func scopeFirings(sc auth.Scope, fs []store.StoredFiring) []store.StoredFiring {
	fs = slices.DeleteFunc(fs, func(f store.StoredFiring) bool { return !sc.Sees(f.County, "") })
	if fs == nil {
		fs = []store.StoredFiring{}
	}
	return fs
}

func (s *server) accountAssessment(w http.ResponseWriter, r *http.Request) error {
	return s.accountAssessmentDo(w, r, false)
}

func (s *server) accountAssess(w http.ResponseWriter, r *http.Request) error {
	return s.accountAssessmentDo(w, r, true)
}

func (s *server) accountAssessmentDo(w http.ResponseWriter, r *http.Request, compute bool) error {
	p, format, svc, err := s.accountPeriodRequest(r)
	if err != nil {
		return err
	}
	var a acc.Assessment
	status := http.StatusOK
	if compute {
		a, err = svc.Assess(r.Context(), p)
		status = http.StatusCreated
	} else {
		a, err = svc.St.Assessment(r.Context(), p)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound("period", "no assessment of %s stored (POST to compute it)", p)
	}
	if err != nil {
		return accountError(err)
	}
	a = scopeAssessment(s.accountScope(r), a)
	return writeAccount(w, r, status, format, "assessment-"+p.String(), a, accountsvc.AssessmentTable(a))
}

func (s *server) accountCompensation(w http.ResponseWriter, r *http.Request) error {
	return s.accountCompensationDo(w, r, false)
}

func (s *server) accountCompensate(w http.ResponseWriter, r *http.Request) error {
	return s.accountCompensationDo(w, r, true)
}

func (s *server) accountCompensationDo(w http.ResponseWriter, r *http.Request, compute bool) error {
	p, format, svc, err := s.accountPeriodRequest(r)
	if err != nil {
		return err
	}
	var st acc.Settlement
	status := http.StatusOK
	if compute {
		st, err = svc.Compensate(r.Context(), p)
		status = http.StatusCreated
	} else {
		st, err = svc.St.Settlement(r.Context(), p)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound("period", "no settlement of %s stored (POST to compute it)", p)
	}
	if err != nil {
		return accountError(err)
	}
	st = scopeSettlement(s.accountScope(r), st)
	return writeAccount(w, r, status, format, "compensation-"+p.String(), st, accountsvc.SettlementTable(st))
}

func (s *server) accountTriggers(w http.ResponseWriter, r *http.Request) error {
	p, format, svc, err := s.accountPeriodRequest(r)
	if err != nil {
		return err
	}
	fs, err := svc.St.Firings(r.Context(), p)
	if err != nil {
		return err
	}
	fs = scopeFirings(s.accountScope(r), fs)
	return writeAccount(w, r, http.StatusOK, format, "triggers-"+p.String(), fs, accountsvc.FiringsTable(p, fs))
}

// accountEvaluate evaluates the triggers of a period; open_cases=true
// opens a case per firing without one (idempotent).
func (s *server) accountEvaluate(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "open_cases")
	if err != nil {
		return err
	}
	p, err := periodParam(q)
	if err != nil {
		return err
	}
	open := false
	switch v := q.Get("open_cases"); v {
	case "", "false":
	case "true":
		open = true
	default:
		return paramError("open_cases", "%q: want true or false", v)
	}
	svc := s.accountSvc()
	if open && svc.Cases == nil {
		return &Error{Code: CodeUnavailable, Message: "cases are not configured on this server"}
	}
	fs, err := svc.Triggers(r.Context(), p, open)
	if err != nil {
		return accountError(err)
	}
	writeJSON(w, http.StatusOK, scopeFirings(s.accountScope(r), fs))
	return nil
}

// accountBulletin is the bulletin of a stored assessment as Markdown. It
// is addressed to every county, so county users read it whole.
func (s *server) accountBulletin(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "period", "number", "lang")
	if err != nil {
		return err
	}
	lang, err := workbook.ParseLang(q.Get("lang"))
	if err != nil {
		return paramError("lang", "%q: want zh or en", q.Get("lang"))
	}
	p, err := periodParam(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	if _, err := svc.St.Assessment(r.Context(), p); errors.Is(err, store.ErrNotFound) {
		return notFound("period", "no assessment of %s stored (POST /api/v1/accountability/assessment first)", p)
	} else if err != nil {
		return err
	}
	md, err := svc.Bulletin(r.Context(), p, q.Get("number"), lang)
	if err != nil {
		return accountError(err)
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(md))
	return nil
}

func (s *server) accountWarnings(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "format", "lang")
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	ws, err := svc.St.Warnings(r.Context())
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []acc.Warning{}
	}
	return writeAccount(w, r, http.StatusOK, format, "warnings", ws, accountsvc.WarningsTable(ws))
}

// accountAddWarning issues a warning; one overlapping another in a shared
// area is refused with nothing written.
func (s *server) accountAddWarning(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	var wa acc.Warning
	if err := decodeBody(r, &wa); err != nil {
		return err
	}
	svc := s.accountSvc()
	if err := svc.St.AddWarning(r.Context(), wa); err != nil {
		return accountError(err)
	}
	writeJSON(w, http.StatusCreated, wa)
	return nil
}

func (s *server) accountSoil(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "format", "lang")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 2000, 2100)
	if err != nil {
		return err
	}
	if year == 0 {
		return missingError("year", "required")
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	ds, err := svc.SoilDuties(r.Context(), int(year))
	if err != nil {
		return accountError(err)
	}
	sc := s.accountScope(r)
	ds = slices.DeleteFunc(ds, func(d accountsvc.DutyRow) bool { return !sc.Sees(d.County, d.Enterprise) })
	if ds == nil {
		ds = []accountsvc.DutyRow{}
	}
	return writeAccount(w, r, http.StatusOK, format, fmt.Sprintf("soil-duties-%d", year), ds, accountsvc.DutiesTable(int(year), ds))
}

func (s *server) accountProjects(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "format", "lang")
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	ps, err := svc.Projects(r.Context())
	if err != nil {
		return err
	}
	sc := s.accountScope(r)
	ps = slices.DeleteFunc(ps, func(p accountsvc.ProjectRow) bool { return !sc.Sees(p.County, p.Enterprise) })
	if ps == nil {
		ps = []accountsvc.ProjectRow{}
	}
	return writeAccount(w, r, http.StatusOK, format, "projects", ps, accountsvc.ProjectsTable(ps))
}

// accountSoilCases opens a case for each of the year's soil duties overdue
// now, once per duty, and answers the cases opened by this call.
func (s *server) accountSoilCases(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 2000, 2100)
	if err != nil {
		return err
	}
	if year == 0 {
		return missingError("year", "required")
	}
	svc := s.accountSvc()
	if svc.Cases == nil {
		return &Error{Code: CodeUnavailable, Message: "cases are not configured on this server"}
	}
	opened, err := svc.SoilCases(r.Context(), int(year))
	if err != nil {
		return accountError(err)
	}
	if opened == nil {
		opened = []cases.Case{}
	}
	writeJSON(w, http.StatusOK, opened)
	return nil
}

// accountReduction is a year's emergency reduction list (a county: its
// enterprises).
func (s *server) accountReduction(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "format", "lang")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 2000, 2100)
	if err != nil {
		return err
	}
	if year == 0 {
		return missingError("year", "required")
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	es, err := svc.St.ReductionEntries(r.Context(), int(year))
	if err != nil {
		return err
	}
	sc := s.accountScope(r)
	es = slices.DeleteFunc(es, func(e acc.ReductionEntry) bool { return !sc.Sees(e.County, e.Enterprise) })
	if es == nil {
		es = []acc.ReductionEntry{}
	}
	return writeAccount(w, r, http.StatusOK, format, fmt.Sprintf("reduction-%d", year), es, accountsvc.ReductionTable(int(year), es))
}

// visiblePlots are the plots in the caller's scope, by id.
func (s *server) visiblePlots(r *http.Request, svc *accountsvc.Service) ([]acc.Plot, map[string]bool, error) {
	ps, err := svc.St.Plots(r.Context())
	if err != nil {
		return nil, nil, err
	}
	sc := s.accountScope(r)
	ps = slices.DeleteFunc(ps, func(p acc.Plot) bool { return !sc.Sees(p.County, "") })
	ids := make(map[string]bool, len(ps))
	for _, p := range ps {
		ids[p.ID] = true
	}
	if ps == nil {
		ps = []acc.Plot{}
	}
	return ps, ids, nil
}

func (s *server) accountPlots(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "format", "lang")
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	ps, _, err := s.visiblePlots(r, svc)
	if err != nil {
		return err
	}
	return writeAccount(w, r, http.StatusOK, format, "soil-plots", ps, accountsvc.PlotsTable(ps))
}

// accountReviews lists survey report reviews (a county: of its plots).
func (s *server) accountReviews(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "format", "lang")
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	svc := s.accountSvc()
	_, ids, err := s.visiblePlots(r, svc)
	if err != nil {
		return err
	}
	rs, err := svc.St.Reviews(r.Context())
	if err != nil {
		return err
	}
	rs = slices.DeleteFunc(rs, func(x acc.Review) bool { return !ids[x.Plot] })
	if rs == nil {
		rs = []acc.Review{}
	}
	return writeAccount(w, r, http.StatusOK, format, "soil-reviews", rs, accountsvc.ReviewsTable(rs))
}

// accountCheckWarning checks the year's reduction list during warning id
// from the posted series ({"series": {"<enterprise>": {"electricity":
// [{"at", "value"}], "online": [...]}}}); open_cases=true opens a case per
// breach, once.
func (s *server) accountCheckWarning(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "open_cases")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 2000, 2100)
	if err != nil {
		return err
	}
	if year == 0 {
		return missingError("year", "required: the reduction list's year")
	}
	open := false
	switch v := q.Get("open_cases"); v {
	case "", "false":
	case "true":
		open = true
	default:
		return paramError("open_cases", "%q: want true or false", v)
	}
	var body struct {
		Series map[string]accountsvc.Series `json:"series"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	svc := s.accountSvc()
	if open && svc.Cases == nil {
		return &Error{Code: CodeUnavailable, Message: "cases are not configured on this server"}
	}
	bs, opened, err := svc.CheckWarning(r.Context(), r.PathValue("id"), int(year), body.Series, open)
	if err != nil {
		return accountError(err)
	}
	if bs == nil {
		bs = []acc.Breach{}
	}
	ids := []string{}
	for _, c := range opened {
		ids = append(ids, c.ID)
	}
	writeJSON(w, http.StatusOK, struct {
		Breaches []acc.Breach `json:"breaches"`
		Opened   []string     `json:"opened"`
	}{bs, ids})
	return nil
}

// accountFormulas lists the stored compensation formula versions.
func (s *server) accountFormulas(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	fs, err := s.accountSvc().Formulas(r.Context())
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []acc.Formula{}
	}
	writeJSON(w, http.StatusOK, fs)
	return nil
}

// accountAddFormula adds a compensation formula version (a new provincial
// notice) from its JSON: the city's act only — a county's account:write
// covers its own rows, not the province's scheme. A refusal names the
// field (acc.ValidateFormula).
func (s *server) accountAddFormula(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	if !s.accountScope(r).All {
		return &Error{Code: CodeForbidden, Message: "only the city adds a compensation formula version"}
	}
	var f acc.Formula
	if err := decodeBody(r, &f); err != nil {
		return err
	}
	fs, err := s.accountSvc().AddFormula(r.Context(), f)
	if err != nil {
		return accountError(err)
	}
	writeJSON(w, http.StatusCreated, fs)
	return nil
}
