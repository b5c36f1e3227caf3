package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Authorization: with Config.Auth set, every route is checked
// by its scope in the role → scope table (auth.Allowed), and the registry
// the handlers read is cut to the caller's county or enterprise
// (scopeRegistry), so the registry, device, measurement and frame routes
// never show foreign rows. Routes added by other files through the route
// table are covered the same way: a scope the table does not know is
// allowed to the city only.

// Move is an allowed move of a case, in invalid_transition errors.
type Move = cases.Move

type principalKey struct{}

// scopeOverrides narrows routes whose table scope predates row-level
// scoping: the quarantine holds frames of unknown devices from anywhere,
// which no county or enterprise may see.
var scopeOverrides = map[string]string{
	"GET /api/v1/quarantine": auth.ScopeQuarantine,
}

// principal returns the caller of a request (Anonymous if none).
func principal(ctx context.Context) auth.Principal {
	if p, ok := ctx.Value(principalKey{}).(auth.Principal); ok {
		return p
	}
	return auth.Anonymous
}

// openPrincipal is who an anonymous caller is in the explicit open mode.
var openPrincipal = auth.Principal{User: "open", Role: model.RoleCity, Via: "open"}

// authorizeRequest authenticates the request, checks the route's scope,
// and the CSRF token of cookie-authenticated writes. Without Config.Auth it
// keeps the static-token behaviour.
func (s *server) authorizeRequest(w http.ResponseWriter, r *http.Request, rt route) (*http.Request, error) {
	if s.cfg.Auth == nil {
		if rt.scope == ScopePublic {
			return r, nil
		}
		client, err := s.auth.authenticate(r)
		if err != nil {
			return r, err
		}
		if err := authorize(client, rt.scope); err != nil {
			return r, err
		}
		if client != "" {
			if rw, ok := w.(*responseWriter); ok {
				rw.client = client
			}
			r = r.WithContext(context.WithValue(r.Context(), clientKey{}, client))
		}
		return r, nil
	}
	p, err := s.cfg.Auth.Authenticate(r)
	if errors.Is(err, auth.ErrUnauthenticated) && len(s.cfg.Tokens) > 0 {
		// Static tokens of the configuration act as machines.
		if name, terr := s.auth.authenticate(r); terr == nil && name != "" {
			p, err = auth.Principal{User: "token:" + name, Role: model.RoleMachine, Via: "token"}, nil
		}
	}
	if err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return r, &Error{Code: CodeUnauthorized, Message: "not logged in: " + err.Error(), err: err}
		}
		return r, err
	}
	if rt.scope == ScopePublic && !p.Authenticated() {
		if kind, limited := publicLimitOf(rt.pattern); limited && !s.cfg.Auth.AllowPublic(kind, auth.ClientIP(r)) {
			w.Header().Set("Retry-After", "60")
			return r, &Error{Code: CodeRateLimited, Message: "too many requests from your address; retry in a minute"}
		}
	}
	if !p.Authenticated() && s.cfg.Open {
		p = openPrincipal
	}
	scope := rt.scope
	if o, ok := scopeOverrides[rt.pattern]; ok {
		scope = o
	}
	if !auth.Allowed(p, scope) {
		if !p.Authenticated() {
			return r, &Error{Code: CodeUnauthorized, Message: "log in (POST /api/v1/login) or send Authorization: Bearer <token>"}
		}
		return r, &Error{Code: CodeForbidden, Message: "your role (" + p.Role + ") may not use this endpoint"}
	}
	if err := auth.CheckCSRF(r, p); err != nil {
		return r, &Error{Code: CodeForbidden, Field: auth.CSRFHeader, Message: "cookie-authenticated writes need the " + auth.CSRFHeader + " header (the value of the " + auth.CSRFCookie + " cookie)"}
	}
	// Unredacted frames carry device passwords: evidence export only.
	if r.URL.Query().Get("unredacted") == "true" && !auth.Allowed(p, auth.ScopeRawUnredacted) {
		return r, &Error{Code: CodeForbidden, Field: "unredacted", Message: "unredacted: your role may not export device passwords"}
	}
	ctx := context.WithValue(r.Context(), principalKey{}, p)
	if p.User != "" {
		if rw, ok := w.(*responseWriter); ok {
			rw.client = p.User
		}
		ctx = context.WithValue(ctx, clientKey{}, p.User)
	}
	return r.WithContext(ctx), nil
}

// scopeOf is the caller's row scope; without Config.Auth (static tokens or
// the legacy open mode) there is none: everything is visible.
func scopeOf(ctx context.Context) auth.Scope {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	if !ok {
		return auth.Scope{All: true}
	}
	return auth.ScopeOf(p)
}

// scopeRegistry cuts the registry to the caller's scope: a county user sees
// their county, its enterprises, their outlets and devices; an enterprise
// user their enterprise's. Air stations stay (public ambient data).
func scopeRegistry(ctx context.Context, reg *model.Registry) *model.Registry {
	sc := scopeOf(ctx)
	if sc.All {
		return reg
	}
	out := *reg
	out.Counties, out.Enterprises, out.Outlets, out.Devices = nil, nil, nil, nil
	ents := map[string]bool{}
	for _, e := range reg.Enterprises {
		if sc.Sees(e.County, e.USCC) {
			out.Enterprises = append(out.Enterprises, e)
			ents[e.USCC] = true
		}
	}
	for _, c := range reg.Counties {
		if sc.County == c.Code || sc.Enterprise != "" && anyEnterpriseIn(out.Enterprises, c.Code) {
			out.Counties = append(out.Counties, c)
		}
	}
	outlets := map[string]bool{}
	for _, o := range reg.Outlets {
		if ents[o.Enterprise] {
			out.Outlets = append(out.Outlets, o)
			outlets[o.ID] = true
		}
	}
	for _, d := range reg.Devices {
		if outlets[d.Outlet] {
			out.Devices = append(out.Devices, d)
		}
	}
	return &out
}

func anyEnterpriseIn(es []model.Enterprise, county string) bool {
	for _, e := range es {
		if e.County == county {
			return true
		}
	}
	return false
}

// publicLimitOf is the per-address limit of an anonymous call of a public
// route: tracking-code lookups are limited hardest (the code is the
// petitioner's credential); the health check, which load balancers poll,
// is not limited.
func publicLimitOf(pattern string) (auth.PublicKind, bool) {
	switch pattern {
	case "GET /api/v1/health":
		return 0, false
	case "GET /api/v1/public/petitions/{code}", "POST /api/v1/public/petitions/{code}/callback":
		return auth.PublicLookup, true
	}
	return auth.PublicRead, true
}
