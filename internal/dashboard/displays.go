package dashboard

import (
	"net/http"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
)

// The display codes page: city staff holding users:admin list, create and
// revoke the codes wall displays sign in to the big screen with
// (auth.DisplayCode). Writes go through the JSON API (POST
// /api/v1/displays, …/{id}/revoke) with the session's CSRF token, as the
// other pages' actions do (static/displays.js), so the API's checks and
// audit apply unchanged.

type displayRow struct {
	auth.DisplayCode
	State string // active, expired or revoked: a message key's last part
}

type displaysData struct {
	Rows []displayRow
	// Days is the default validity the form offers (the API's default).
	Days int
}

// displayDefaultDays is the API's default validity of a display code
// (POST /api/v1/displays without days).
const displayDefaultDays = 30

func (h *Handler) displaysPage(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	if !p.User.Authenticated() {
		// The demo's open mode lets anonymous callers read what the city
		// reads, but codes are made and revoked by a user the API knows:
		// sign in first.
		http.Redirect(w, r, "/login?next="+p.Path, http.StatusSeeOther)
		return nil
	}
	cs, err := h.cfg.Auth.DisplayCodes(r.Context())
	if err != nil {
		return err
	}
	now := h.cfg.Now()
	d := &displaysData{Days: displayDefaultDays}
	for _, c := range cs {
		row := displayRow{DisplayCode: c, State: "active"}
		switch {
		case !c.RevokedAt.IsZero():
			row.State = "revoked"
		case !c.ExpiresAt.After(now):
			row.State = "expired"
		}
		d.Rows = append(d.Rows, row)
	}
	// Codes still in use first, newest first within each group.
	slices.SortStableFunc(d.Rows, func(a, b displayRow) int {
		if (a.State == "active") != (b.State == "active") {
			if a.State == "active" {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	p.Nav, p.Title, p.Data = "displays", p.T("displays.title"), d
	return h.render(w, http.StatusOK, "displays", p)
}

// timeOr formats t as cst does, or "—" when zero (never used, not revoked).
func timeOr(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(cst).Format("2006-01-02 15:04")
}
