package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"
)

// The wall display's sign-in: a browser that cannot send a token header
// enters a display code (created by city staff, POST /api/v1/displays)
// here, or opens /screen/login?code=…, and gets a session of the display
// role, which opens the big screen and nothing else.

type screenLoginData struct {
	Error string // message key
	Next  string // where to go once signed in: the big screen, with its query
}

// screenLoginURL is the sign-in for a request to /screen: the query the
// screen was opened with (its language, a chosen view) is kept as next.
func screenLoginURL(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return "/screen/login"
	}
	return "/screen/login?next=" + url.QueryEscape(r.URL.RequestURI())
}

// screenNext keeps a sign-in's return path on the big screen: a display
// session opens nothing else, and anything else would be an open
// redirect. Empty when next is not the screen.
func screenNext(next string) string {
	if next == "/screen" || strings.HasPrefix(next, "/screen?") {
		return safeNext(next)
	}
	return ""
}

// displayRoutes are the pages a display session may open besides those of
// the screen's scope: its own sign-in and logging out.
var displayRoutes = map[string]bool{
	"GET /screen/login": true, "POST /screen/login": true, "POST /logout": true,
}

// displayRefused reports whether a display session is refused a page.
func displayRefused(p *page, rt pageRoute) bool {
	return p.User.Role == model.RoleDisplay && !displayRoutes[rt.pattern] && !auth.Allowed(p.User, rt.access)
}

func (h *Handler) screenLoginPage(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	if code := r.URL.Query().Get("code"); code != "" {
		return h.screenSignIn(w, r, p, code)
	}
	p.Nav, p.Title, p.Data = "screen", p.T("screenlogin.title"), &screenLoginData{Next: screenNext(r.URL.Query().Get("next"))}
	return h.render(w, http.StatusOK, "screenlogin", p)
}

func (h *Handler) screenLoginPost(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest)
	}
	return h.screenSignIn(w, r, p, r.PostForm.Get("code"))
}

// screenNextOf is the return path a sign-in carries: the form's hidden
// field, or the address's next with ?code=.
func screenNextOf(r *http.Request) string {
	if n := r.PostFormValue("next"); n != "" {
		return screenNext(n)
	}
	return screenNext(r.URL.Query().Get("next"))
}

func (h *Handler) screenSignIn(w http.ResponseWriter, r *http.Request, p *page, code string) error {
	ip := auth.ClientIP(r)
	tok, pr, exp, err := h.cfg.Auth.DisplayLogin(r.Context(), code, ip)
	if aerr := h.cfg.Auth.RecordLogin(r.Context(), "display-code", ip, pr, err); aerr != nil {
		h.log.Warn("display sign-in not audited", "err", aerr)
	}
	d := &screenLoginData{Next: screenNextOf(r)}
	status := http.StatusOK
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		d.Error, status = "login.limited", http.StatusTooManyRequests
		w.Header().Set("Retry-After", "900")
	case errors.Is(err, auth.ErrUnauthenticated):
		d.Error, status = "screenlogin.wrong", http.StatusUnauthorized
	case err != nil:
		return err
	}
	if d.Error != "" {
		p.Nav, p.Title, p.Data = "screen", p.T("screenlogin.title"), d
		return h.render(w, status, "screenlogin", p)
	}
	h.cfg.Auth.SetDisplayCookies(w, r, tok, pr, exp)
	next := d.Next
	if next == "" {
		next = "/screen"
		if p.Lang == langEN {
			next += "?lang=en"
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
