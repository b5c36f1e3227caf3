package dashboard

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ecowatch/ecowatch/internal/auth"
)

// The login form posts here rather than to POST /api/v1/login so that it
// works without JavaScript and can answer with a page: the same
// auth.Service does the checking, the rate limiting and the cookies, so
// a session opened here is the API's session (the case page's actions
// then post to the API with its CSRF token).
type loginData struct {
	User  string
	Next  string
	Error string // message key
}

// safeNext keeps a post-login redirect on this site: a path, never
// "//host" or a scheme (an open redirect would let a phishing link bounce
// through the bureau's login).
func safeNext(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	if u, err := url.Parse(s); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return s
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	p.Nav, p.Title, p.Data = "login", p.T("login.title"), &loginData{Next: safeNext(r.URL.Query().Get("next"))}
	return h.render(w, http.StatusOK, "login", p)
}

func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest)
	}
	d := &loginData{User: r.PostForm.Get("user"), Next: safeNext(r.PostForm.Get("next"))}
	ip := auth.ClientIP(r)
	tok, pr, err := h.cfg.Auth.Login(r.Context(), d.User, r.PostForm.Get("password"), ip)
	// Logins are security events, audited as the API's are (failures
	// gathered so that a flood writes little; never the password).
	if aerr := h.cfg.Auth.RecordLogin(r.Context(), d.User, ip, pr, err); aerr != nil {
		h.log.Warn("login not audited", "err", aerr)
	}
	status := http.StatusOK
	switch {
	case errors.Is(err, auth.ErrInvalid):
		d.Error, status = "login.invalid", http.StatusBadRequest
		if len(d.User) > auth.MaxUserName {
			d.User = ""
		}
	case errors.Is(err, auth.ErrRateLimited):
		d.Error, status = "login.limited", http.StatusTooManyRequests
	case errors.Is(err, auth.ErrUnauthenticated):
		d.Error, status = "login.wrong", http.StatusUnauthorized
	case err != nil:
		return err
	}
	if d.Error != "" {
		p.Nav, p.Title, p.Data = "login", p.T("login.title"), d
		return h.render(w, status, "login", p)
	}
	h.cfg.Auth.SetSessionCookies(w, r, tok, pr)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

// logoutPost ends the session. The form carries the session's CSRF token:
// a cross-site form could otherwise log a user out.
func (h *Handler) logoutPost(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.cfg.Auth == nil {
		return errStatus(http.StatusNotFound)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest)
	}
	if p.User.Via == "session" {
		tok := r.PostForm.Get("csrf")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(p.User.CSRF)) != 1 {
			return errStatus(http.StatusForbidden)
		}
		if c, err := r.Cookie(auth.SessionCookie); err == nil && c.Value != "" {
			if err := h.cfg.Auth.Logout(r.Context(), c.Value); err != nil {
				return err
			}
		}
	}
	auth.ClearSessionCookies(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
