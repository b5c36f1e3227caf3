package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Display codes sign wall displays in to the big screen (auth.DisplayCode):
// city staff who administer users create, list and revoke them.
var displayRoutes = []route{
	{"GET /api/v1/displays", ScopeUsersAdmin, (*server).displaysList},
	{"POST /api/v1/displays", ScopeUsersAdmin, (*server).displaysAdd},
	{"POST /api/v1/displays/{id}/revoke", ScopeUsersAdmin, (*server).displaysRevoke},
}

func (s *server) needAuth() error {
	if s.cfg.Auth == nil {
		return notFound("", "display codes need users (serve with a user store)")
	}
	return nil
}

func (s *server) displaysList(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAuth(); err != nil {
		return err
	}
	cs, err := s.cfg.Auth.DisplayCodes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

// displaysAdd creates a display code: {"name": "指挥中心大屏", "days": 30}
// (days optional, default 30). The answer holds the code, shown this once.
func (s *server) displaysAdd(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAuth(); err != nil {
		return err
	}
	var body struct {
		Name string `json:"name"`
		Days int    `json:"days"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Days < 0 || body.Days > 366 {
		return &Error{Code: CodeInvalidBody, Field: "days", Message: "days: 1 to 366 (0 or absent: 30)"}
	}
	code, c, err := s.cfg.Auth.NewDisplayCode(r.Context(), body.Name, time.Duration(body.Days)*24*time.Hour,
		s.audit(r, "display.add", "display/"+body.Name, nil, map[string]any{"name": body.Name, "days": body.Days}))
	if errors.Is(err, auth.ErrInvalid) {
		return &Error{Code: CodeInvalidBody, Field: "name", Message: err.Error()}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Code string `json:"code"`
		auth.DisplayCode
	}{code, c})
	return nil
}

func (s *server) displaysRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAuth(); err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := s.cfg.Auth.RevokeDisplayCode(r.Context(), id, s.audit(r, "display.revoke", "display/"+id, nil, nil))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("id", "no display code %q", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
