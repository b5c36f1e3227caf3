package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Data marking (自动监测数据标记) and the effective transmission rates.
// They need Config.Auth, Config.Cases and Config.Marks. An enterprise marks
// its own devices (the device's outlet, enterprise and county come from the
// registry, never from the body); the bureau (county, city) reviews.
var marksRoutes = []route{
	{"GET /api/v1/marks", ScopeCasesRead, (*server).marksList},
	{"POST /api/v1/marks", ScopeCasesWrite, (*server).marksCreate},
	{"GET /api/v1/marks/{id}", ScopeCasesRead, (*server).markHistory},
	{"POST /api/v1/marks/{id}", ScopeCasesWrite, (*server).markCorrect},
	{"POST /api/v1/marks/{id}/review", ScopeCasesWrite, (*server).markReview},
	{"GET /api/v1/marks-rules", ScopeCasesRead, (*server).markRules},
	{"GET /api/v1/mark-decisions", ScopeCasesRead, (*server).markDecisions},
	{"GET /api/v1/rates", auth.ScopeData, (*server).rates},
}

func (s *server) markSvc() (*marksvc.Service, error) {
	if s.cfg.Marks == nil || s.cfg.Auth == nil {
		return nil, &Error{Code: CodeUnavailable, Message: "data marking is not configured on this server"}
	}
	return s.cfg.Marks, nil
}

func markError(err error) error {
	switch {
	case errors.Is(err, marking.ErrInvalid):
		return &Error{Code: CodeInvalidBody, Message: err.Error(), err: err}
	case errors.Is(err, marksvc.ErrForbidden):
		return &Error{Code: CodeForbidden, Message: err.Error(), err: err}
	case errors.Is(err, marksvc.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error(), err: err}
	case errors.Is(err, marksvc.ErrConflict):
		return &Error{Code: CodeConflict, Message: err.Error(), err: err}
	}
	return err
}

func (s *server) marksList(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	q := store.MarkQuery{Limit: 500}
	if mn := r.URL.Query().Get("mn"); mn != "" {
		q.MNs = []string{mn}
	}
	out, err := ms.List(r.Context(), q, principal(r.Context()))
	if err != nil {
		return err
	}
	if out == nil {
		out = []marking.Mark{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"marks": out})
	return nil
}

func (s *server) marksCreate(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	var in marksvc.Input
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	m, err := ms.Create(r.Context(), in, principal(r.Context()))
	if err != nil {
		return markError(err)
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *server) markHistory(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	vs, err := ms.History(r.Context(), r.PathValue("id"), principal(r.Context()))
	if err != nil {
		return markError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

func (s *server) markCorrect(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	var body struct {
		Version int `json:"version"`
		marksvc.Input
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	m, err := ms.Correct(r.Context(), r.PathValue("id"), body.Version, body.Input, principal(r.Context()))
	if err != nil {
		return markError(err)
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) markReview(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	var body struct {
		Version int    `json:"version"`
		Accept  bool   `json:"accept"`
		Reason  string `json:"reason"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	m, err := ms.Review(r.Context(), r.PathValue("id"), body.Version, body.Accept, body.Reason, principal(r.Context()))
	if err != nil {
		return markError(err)
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) markRules(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": ms.RuleSet(), "signs": marking.Signs()})
	return nil
}

func (s *server) markDecisions(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	ds, err := ms.Decisions(r.Context(), store.DecisionQuery{MN: r.URL.Query().Get("mn")}, principal(r.Context()))
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []marking.Decision{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": ds})
	return nil
}

// rates answers ?day=2026-03-15 (default yesterday) or ?month=2026-03.
func (s *server) rates(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.markSvc()
	if err != nil {
		return err
	}
	from, to, err := ratePeriod(r, s.cfg.Now())
	if err != nil {
		return err
	}
	rep, err := ms.Rates(r.Context(), from, to, principal(r.Context()))
	if err != nil {
		return err
	}
	type row struct {
		marking.Row
		Transmission float64 `json:"transmission"`
		Validity     float64 `json:"validity"`
		Effective    float64 `json:"effective"`
		Arithmetic   string  `json:"arithmetic"`
	}
	conv := func(rs []marking.Row) []row {
		out := make([]row, 0, len(rs))
		for _, x := range rs {
			out = append(out, row{x, x.Count.Transmission(), x.Count.Validity(), x.Count.Effective(), x.Count.Arithmetic("en")})
		}
		return out
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": rep.From, "to": rep.To, "threshold": rep.Threshold, "rules": rep.Rules,
		"outlets": conv(rep.Outlets), "enterprises": conv(rep.Enterprises), "counties": conv(rep.Counties), "city": conv([]marking.Row{rep.City})[0]})
	return nil
}

var cstZone = time.FixedZone("CST", 8*3600)

// ratePeriod reads ?day= or ?month= (China Standard Time).
func ratePeriod(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	q := r.URL.Query()
	if m := q.Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, cstZone)
		if err != nil {
			return t, t, &Error{Code: CodeInvalidParameter, Field: "month", Message: "month must be YYYY-MM"}
		}
		return t, t.AddDate(0, 1, 0), nil
	}
	if d := q.Get("day"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, cstZone)
		if err != nil {
			return t, t, &Error{Code: CodeInvalidParameter, Field: "day", Message: "day must be YYYY-MM-DD"}
		}
		return t, t.AddDate(0, 0, 1), nil
	}
	n := now.In(cstZone)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cstZone)
	return today.AddDate(0, 0, -1), today, nil
}
