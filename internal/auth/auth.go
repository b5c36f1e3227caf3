// Package auth is ecowatch's users, roles and scopes:
// argon2id password hashes, web sessions in cookies with a CSRF token, API
// tokens for machines (hashed at rest), login rate limits, the role →
// scope table and the row-level scope of a principal. The store keeps the
// rows (store.CasesStore); the HTTP API asks Authenticate who is calling
// and Allows whether they may use a route.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Errors of authentication. ErrUnauthenticated: no or bad credentials;
// ErrRateLimited: too many attempts; ErrCSRF: a cookie-authenticated write
// without the matching X-CSRF-Token header.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrRateLimited     = errors.New("too many attempts")
	ErrCSRF            = errors.New("missing or wrong CSRF token")
)

// Principal is who is calling, resolved from a session, a token or a
// petition tracking code.
type Principal struct {
	User       string `json:"user"`
	Name       string `json:"name,omitempty"`
	Role       string `json:"role"`
	County     string `json:"county,omitempty"`
	Enterprise string `json:"enterprise,omitempty"`
	Petition   string `json:"petition,omitempty"` // public: the tracking code
	Via        string `json:"via"`                // "session", "token", "open" (demo) or "anonymous"
	CSRF       string `json:"-"`                  // the session's CSRF token
}

// Anonymous is the principal of a request with no credentials.
var Anonymous = Principal{Via: "anonymous"}

// Authenticated reports whether p is a user (not anonymous).
func (p Principal) Authenticated() bool { return p.Role != "" }

// Store is what the service needs of the store.
type Store interface {
	PutUser(ctx context.Context, u model.User, audit *model.AuditRecord) error
	User(ctx context.Context, id string) (model.User, error)
	Users(ctx context.Context) ([]model.User, error)
	PutSession(ctx context.Context, s model.Session) error
	Session(ctx context.Context, hash string) (model.Session, error)
	DeleteSession(ctx context.Context, hash string) error
	PutAPIToken(ctx context.Context, t model.APIToken, audit *model.AuditRecord) error
	APIToken(ctx context.Context, hash string) (model.APIToken, error)
	APITokens(ctx context.Context, user string) ([]model.APIToken, error)
	RevokeAPIToken(ctx context.Context, hash string, at time.Time, why string, audit *model.AuditRecord) error
	TouchAPIToken(ctx context.Context, hash string, at time.Time, from string) error
	AppendAudit(ctx context.Context, a model.AuditRecord) error
}

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is not (the
// page's script reads it and echoes it in X-CSRF-Token: double submit,
// checked against the value stored with the session).
const (
	SessionCookie = "ecowatch_session"
	CSRFCookie    = "ecowatch_csrf"
	CSRFHeader    = "X-CSRF-Token"
	TokenPrefix   = "ewt_"
)

// Service authenticates requests. Build it with New.
type Service struct {
	st         Store
	now        func() time.Time
	sessionTTL time.Duration
	userLimit  *Limiter
	ipLimit    *Limiter
	verify     func(hash, password string) (bool, error)
	checks     chan struct{} // one token per password check in progress
	audit      *loginAudit
	public     publicLimits
	Params     Params
}

// Options configures New. Zero values take the defaults.
type Options struct {
	SessionTTL time.Duration    // default 12 h
	Now        func() time.Time // default time.Now
	// Login attempts: per user name, per client IP, within Window.
	PerUser, PerIP int           // defaults 5 and 20
	Window         time.Duration // default 15 min
	Params         Params        // default DefaultParams
	// Verify checks a password against a stored hash; nil means
	// VerifyPassword. Tests count the (slow) checks through it.
	Verify func(hash, password string) (bool, error)
	// MaxChecks bounds the password checks in progress at once (each
	// argon2id check holds 19 MiB): a flood queues instead of growing
	// memory. Default 2 × GOMAXPROCS.
	MaxChecks int
	// AuditWindow is how long failed logins of one (user name, address)
	// are gathered into one audit row; default Window.
	AuditWindow time.Duration
	// Anonymous callers of public endpoints, per client address:
	// PublicPerMinute requests a minute (default 120), LookupsPer10Min
	// petition tracking-code lookups in ten minutes (default 30).
	PublicPerMinute, LookupsPer10Min int
}

// New returns a Service over st.
func New(st Store, o Options) *Service {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PerUser <= 0 {
		o.PerUser = 5
	}
	if o.PerIP <= 0 {
		o.PerIP = 20
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.Verify == nil {
		o.Verify = VerifyPassword
	}
	if o.MaxChecks <= 0 {
		o.MaxChecks = 2 * runtime.GOMAXPROCS(0)
	}
	if o.AuditWindow <= 0 {
		o.AuditWindow = o.Window
	}
	if o.PublicPerMinute <= 0 {
		o.PublicPerMinute = 120
	}
	if o.LookupsPer10Min <= 0 {
		o.LookupsPer10Min = 30
	}
	return &Service{st: st, now: o.Now, sessionTTL: o.SessionTTL,
		userLimit: NewLimiter(o.PerUser, o.Window), ipLimit: NewLimiter(o.PerIP, o.Window), verify: o.Verify,
		checks: make(chan struct{}, o.MaxChecks),
		audit:  newLoginAudit(st, o.AuditWindow),
		public: publicLimits{read: NewLimiter(o.PublicPerMinute, time.Minute), lookup: NewLimiter(o.LookupsPer10Min, 10*time.Minute)},
		Params: o.Params}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the at-rest form of a session cookie value or API token.
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// ClientIP is the remote address without the port (the rate-limit key).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// MaxUserName is the longest login name, in bytes. Longer names are
// refused before anything else, so a flood of huge names costs nothing to
// check and writes nothing.
const MaxUserName = 64

// ErrInvalid is bad input to Login (a user name over MaxUserName).
var ErrInvalid = errors.New("invalid login")

// Login checks a user's password and opens a session, returning the cookie
// value and the principal. An attempt is reserved against the user name's
// and the client address's limits before the password is checked, as one
// step per limit: however many attempts arrive at once, at most the limit
// reach the (slow) hash, and once either limit is used up Login refuses
// with ErrRateLimited until the window passes. Failures keep their
// reservation; a success gives back the address's and clears the user's.
func (s *Service) Login(ctx context.Context, user, password, ip string) (string, Principal, error) {
	if len(user) > MaxUserName {
		return "", Anonymous, fmt.Errorf("user name: %d bytes, at most %d: %w", len(user), MaxUserName, ErrInvalid)
	}
	if len(password) > 1024 {
		return "", Anonymous, fmt.Errorf("password: at most 1024 bytes: %w", ErrInvalid)
	}
	now := s.now()
	ukey, ikey := "u:"+user, "ip:"+AddressKey(ip)
	if !s.userLimit.Take(ukey, now) {
		return "", Anonymous, ErrRateLimited
	}
	if !s.ipLimit.Take(ikey, now) {
		s.userLimit.Release(ukey, now)
		return "", Anonymous, ErrRateLimited
	}
	u, err := s.st.User(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.userLimit.Release(ukey, now)
		s.ipLimit.Release(ikey, now)
		return "", Anonymous, err
	}
	select {
	case s.checks <- struct{}{}:
	case <-ctx.Done():
		return "", Anonymous, ctx.Err() // the reservation stays: the attempt was made
	}
	ok, verr := false, error(nil)
	if err == nil && !u.Disabled && u.PasswordHash != "" {
		ok, verr = s.verify(u.PasswordHash, password)
	} else {
		// Spend the same time on unknown users, so timing does not tell
		// which names exist.
		_, _ = s.verify(dummyHash(s.Params), password)
	}
	<-s.checks
	if verr != nil {
		return "", Anonymous, verr
	}
	if !ok {
		return "", Anonymous, ErrUnauthenticated
	}
	s.userLimit.Reset(ukey)
	s.ipLimit.Release(ikey, now)
	tok := randomToken(32)
	ss := model.Session{Hash: HashToken(tok), User: u.ID, CSRF: randomToken(24), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL),
		PasswordHash: u.PasswordHash}
	if err := s.st.PutSession(ctx, ss); errors.Is(err, store.ErrConflict) {
		// The password changed (or the user was disabled) while it was
		// being checked: the old password opens nothing.
		return "", Anonymous, fmt.Errorf("user %q changed meanwhile: %w", u.ID, ErrUnauthenticated)
	} else if err != nil {
		return "", Anonymous, err
	}
	p := principalOf(u, "session")
	p.CSRF = ss.CSRF
	return tok, p, nil
}

// Logout ends the session of a cookie value.
func (s *Service) Logout(ctx context.Context, cookie string) error {
	return s.st.DeleteSession(ctx, HashToken(cookie))
}

func principalOf(u model.User, via string) Principal {
	return Principal{User: u.ID, Name: u.Name, Role: u.Role, County: u.County, Enterprise: u.Enterprise, Via: via}
}

// Authenticate resolves the request's principal from an Authorization:
// Bearer API token or the session cookie; with neither it is Anonymous. A
// credential that is present but wrong, expired or of a disabled user is
// ErrUnauthenticated (not silently anonymous).
func (s *Service) Authenticate(r *http.Request) (Principal, error) {
	ctx := r.Context()
	now := s.now()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return Anonymous, fmt.Errorf("authorization header must be \"Bearer <token>\": %w", ErrUnauthenticated)
		}
		t, err := s.st.APIToken(ctx, HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			return Anonymous, fmt.Errorf("invalid token: %w", ErrUnauthenticated)
		}
		if err != nil {
			return Anonymous, err
		}
		if !t.RevokedAt.IsZero() {
			return Anonymous, fmt.Errorf("token revoked (%s): %w", t.RevokedWhy, ErrUnauthenticated)
		}
		if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
			return Anonymous, fmt.Errorf("token expired: %w", ErrUnauthenticated)
		}
		p, err := s.userPrincipal(ctx, t.User, "token")
		if err == nil && now.Sub(t.LastUsedAt) >= TokenUseResolution {
			// Last use to the minute: one write a minute per busy token.
			if terr := s.st.TouchAPIToken(ctx, t.Hash, now, ClientIP(r)); terr != nil {
				return Anonymous, terr
			}
		}
		return p, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Anonymous, nil
	}
	ss, err := s.st.Session(ctx, HashToken(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return Anonymous, fmt.Errorf("unknown session: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Anonymous, err
	}
	if !now.Before(ss.ExpiresAt) {
		return Anonymous, fmt.Errorf("session expired: %w", ErrUnauthenticated)
	}
	p, err := s.userPrincipal(ctx, ss.User, "session")
	p.CSRF = ss.CSRF
	return p, err
}

func (s *Service) userPrincipal(ctx context.Context, id, via string) (Principal, error) {
	u, err := s.st.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Anonymous, fmt.Errorf("user %q gone: %w", id, ErrUnauthenticated)
	}
	if err != nil {
		return Anonymous, err
	}
	if u.Disabled {
		return Anonymous, fmt.Errorf("user %q disabled: %w", id, ErrUnauthenticated)
	}
	return principalOf(u, via), nil
}

// CheckCSRF refuses a state-changing request authenticated by the session
// cookie unless its X-CSRF-Token header equals the session's token (the
// double-submit pattern: a cross-site form can send the cookie but cannot
// read the CSRF cookie to copy it into a header). Token-authenticated and
// safe (GET, HEAD, OPTIONS) requests pass.
func CheckCSRF(r *http.Request, p Principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if p.Via != "session" {
		return nil
	}
	h := r.Header.Get(CSRFHeader)
	if h == "" || p.CSRF == "" || subtle.ConstantTimeCompare([]byte(h), []byte(p.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// SetSessionCookies writes the session and CSRF cookies: HttpOnly (the
// session), SameSite=Lax, Secure when the request came over HTTPS
// (directly, or through a trusted proxy: see Transport).
func (s *Service) SetSessionCookies(w http.ResponseWriter, r *http.Request, tok string, p Principal) {
	s.setCookies(w, r, tok, p, s.now().Add(s.sessionTTL))
}

// SetDisplayCookies writes a display session's cookies, lasting until exp
// (the display code's expiry).
func (s *Service) SetDisplayCookies(w http.ResponseWriter, r *http.Request, tok string, p Principal, exp time.Time) {
	s.setCookies(w, r, tok, p, exp)
}

func (s *Service) setCookies(w http.ResponseWriter, r *http.Request, tok string, p Principal, exp time.Time) {
	secure := IsHTTPS(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", Expires: exp, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: p.CSRF, Path: "/", Expires: exp, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookies expires both cookies.
func ClearSessionCookies(w http.ResponseWriter, r *http.Request) {
	for _, n := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == SessionCookie, Secure: IsHTTPS(r), SameSite: http.SameSiteLaxMode})
	}
}

// TokenUseResolution is how precisely a token's last use is recorded: a
// token used all the time costs one write per this interval.
const TokenUseResolution = time.Minute

// Tokens lists a user's API tokens ("" for everyone's), revoked included.
func (s *Service) Tokens(ctx context.Context, user string) ([]model.APIToken, error) {
	return s.st.APITokens(ctx, user)
}

// RevokeToken revokes the API token whose ID (model.APIToken.ID, or a
// longer prefix of its hash) is id. An ID matching no token or several is
// an error naming it.
func (s *Service) RevokeToken(ctx context.Context, id, why string, audit *model.AuditRecord) (model.APIToken, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 6 {
		return model.APIToken{}, fmt.Errorf("token id %q: at least 6 hex digits (see users token list)", id)
	}
	ts, err := s.st.APITokens(ctx, "")
	if err != nil {
		return model.APIToken{}, err
	}
	var match []model.APIToken
	for _, t := range ts {
		if strings.HasPrefix(t.Hash, id) {
			match = append(match, t)
		}
	}
	switch len(match) {
	case 0:
		return model.APIToken{}, fmt.Errorf("token id %q: no such token: %w", id, store.ErrNotFound)
	case 1:
	default:
		return model.APIToken{}, fmt.Errorf("token id %q: matches %d tokens; give more digits", id, len(match))
	}
	t := match[0]
	if audit != nil {
		audit.Target = "user/" + t.User
		b, _ := json.Marshal(map[string]string{"token": t.ID(), "name": t.Name, "why": why})
		audit.After = string(b)
	}
	if err := s.st.RevokeAPIToken(ctx, t.Hash, s.now(), why, audit); err != nil {
		return t, fmt.Errorf("token %s: %w", t.ID(), err)
	}
	t.RevokedAt, t.RevokedWhy = s.now(), why
	return t, nil
}

// NewToken creates an API token for a user and returns it; only its hash
// is stored, so it is shown once. ttl 0 means no expiry.
func (s *Service) NewToken(ctx context.Context, user, name string, ttl time.Duration, audit *model.AuditRecord) (string, error) {
	if _, err := s.st.User(ctx, user); err != nil {
		return "", err
	}
	tok := TokenPrefix + randomToken(32)
	t := model.APIToken{Hash: HashToken(tok), Name: name, User: user, CreatedAt: s.now()}
	if ttl > 0 {
		t.ExpiresAt = t.CreatedAt.Add(ttl)
	}
	if err := s.st.PutAPIToken(ctx, t, audit); err != nil {
		return "", err
	}
	return tok, nil
}

// ValidateUser checks a user's role and scope fields.
func ValidateUser(u model.User) error {
	switch {
	case u.ID == "" || strings.ContainsAny(u.ID, " \t\r\n/"):
		return fmt.Errorf("user id %q: must be non-empty without spaces or slashes", u.ID)
	case len(u.ID) > MaxUserName:
		return fmt.Errorf("user id: %d bytes, at most %d", len(u.ID), MaxUserName)
	case u.Role == model.RoleCounty && u.County == "":
		return fmt.Errorf("user %s: a county user needs a county", u.ID)
	case u.Role == model.RoleEnterprise && u.Enterprise == "":
		return fmt.Errorf("user %s: an enterprise user needs an enterprise (USCC)", u.ID)
	}
	switch u.Role {
	case model.RoleCity, model.RoleCounty, model.RoleEnterprise, model.RoleMachine:
		return nil
	}
	return fmt.Errorf("user %s: role %q: want city, county, enterprise or machine", u.ID, u.Role)
}
