// Package web is ecowatch's HTTP JSON query API under /api/v1/: the
// registry, device states, measurements (JSON and CSV), raw frames and the
// quarantine, plus /metrics. It only reads; the gateway writes. API.md in
// this directory documents every endpoint and error code.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is the part of store.Store the API reads.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
	RawFrames(ctx context.Context, q store.RawQuery) ([]model.RawFrame, error)
	Contacts(ctx context.Context) ([]model.Contact, error)
	Ping(ctx context.Context) error

	// What the air, accountability, water and roll-up endpoints read,
	// each declared where it is used.
	accountsvc.Store
	waterStore
	rollupStore
}

// Config configures the API. The zero value is usable: open access, the
// default offline threshold and timeout, the wall clock.
type Config struct {
	// Tokens maps a static API token to the client's name (which is
	// logged; the token never is). Empty means no authentication: every
	// route is open, as in the demo.
	Tokens map[string]string
	// OfflineAfter is how long after its last contact a device still
	// counts as online. Zero means 30 minutes.
	OfflineAfter time.Duration
	// Now is the clock used to derive device states and default time
	// ranges. Nil means time.Now.
	Now func() time.Time
	// RequestTimeout bounds each request's store work. Zero means 60 s.
	RequestTimeout time.Duration
	// Metrics is the process's registry, served at GET /metrics: the API
	// registers its request counters there beside the other components'
	// (the wiring passes the one the gateway counts in). Nil: a registry
	// of the API's own.
	Metrics *prometheus.Registry
	// Rights runs the emission-rights ledger (rights.go); nil answers
	// those routes with "unavailable".
	Rights *rightsvc.Service

	// Auth, when set, authenticates users (sessions, API tokens) and
	// authorizes every route by its scope and the caller's row scope
	// (authz.go); Tokens is then ignored. Nil keeps the static tokens.
	Auth *auth.Service
	// Open, with Auth set, lets anonymous callers act as the city: the
	// demo's open mode, only when explicitly configured.
	Open bool
	// Cases runs cases, petitions, patrols and evidence (cases*.go); nil
	// answers those routes with "unavailable".
	Cases *casesvc.Service
	// Marks runs the data marking and the transmission rates (marks.go);
	// nil answers those routes with 503.
	Marks *marksvc.Service
}

// Default configuration values.
const (
	DefaultOfflineAfter   = 30 * time.Minute
	DefaultRequestTimeout = 60 * time.Second
)

// Scopes a route may require. Authentication today is a static token that
// grants every scope; the users-and-scopes issue will check them per
// client. Registering each route with its scope now means that change
// touches only authorize.
const (
	ScopePublic   = "public" // no token needed, e.g. the health check for load balancers
	ScopeRegistry = "registry:read"
	ScopeData     = "data:read"
	ScopeRaw      = "raw:read" // raw frames, with device passwords redacted
	ScopeMetrics  = "metrics:read"
	// ScopeRawUnredacted is checked inside the frame listings for
	// ?unredacted=true: the exact bytes, device password included, for
	// evidence export. Never granted without a token.
	ScopeRawUnredacted = "raw:unredacted"
)

// clientKey is the context key of the authenticated client's name.
type clientKey struct{}

// clientOf returns the authenticated client's name, and whether the request
// was authenticated at all (false when no tokens are configured).
func clientOf(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(clientKey{}).(string)
	return c, ok
}

// route is one API endpoint.
type route struct {
	pattern string // ServeMux pattern with method
	scope   string
	handle  func(s *server, w http.ResponseWriter, r *http.Request) error
}

// coreRoutes are the registry, data, raw-frame and air routes. Every one
// is GET (ServeMux also serves HEAD for it).
var coreRoutes = []route{
	{"GET /api/v1/health", ScopePublic, (*server).health},
	{"GET /metrics", ScopeMetrics, (*server).metrics},
	{"GET /api/v1/counties", ScopeRegistry, (*server).counties},
	{"GET /api/v1/enterprises", ScopeRegistry, (*server).enterprises},
	{"GET /api/v1/enterprises/{uscc}", ScopeRegistry, (*server).enterprise},
	{"GET /api/v1/outlets", ScopeRegistry, (*server).outlets},
	{"GET /api/v1/devices", ScopeRegistry, (*server).devices},
	{"GET /api/v1/devices/{mn}", ScopeRegistry, (*server).device},
	{"GET /api/v1/measurements", ScopeData, (*server).measurements},
	{"GET /api/v1/devices/{mn}/frames", ScopeRaw, (*server).frames},
	{"GET /api/v1/quarantine", ScopeRaw, (*server).quarantine},
	{"GET /api/v1/air/stations", ScopeRegistry, (*server).airStations},
	{"GET /api/v1/air/hourly", ScopeData, (*server).airHourly},
	{"GET /api/v1/air/daily", ScopeData, (*server).airDaily},
	{"GET /api/v1/air/report", ScopeData, (*server).airReport},
	{"GET /api/v1/air/targets", ScopeData, (*server).airTargets},
	{"GET /api/v1/air/rankings", ScopeData, (*server).airRankings},
}

// routeTable is the API's whole route table, built in one place so that
// what New serves is visible here rather than spread over init functions.
func routeTable() []route {
	return slices.Concat(coreRoutes, waterRoutes, rollupRoutes, accountRoutes,
		casesRouteTable(), rightsRouteTable())
}

// casesRouteTable is every closed-loop route (they need Config.Auth and
// Config.Cases), live patrol tracks included.
func casesRouteTable() []route {
	return slices.Concat(casesRoutes, patrolLiveRoutes, marksRoutes, displayRoutes)
}

// rightsRouteTable is every emission-rights route (they need
// Config.Rights), the reports included.
func rightsRouteTable() []route { return slices.Concat(rightsRoutes, rightsReportRoutes) }

// server holds the handlers' dependencies.
type server struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	auth  *tokenAuth
	mux   *http.ServeMux
	stats *httpMetrics
	reg   prometheus.Gatherer
}

// New returns the API handler. log may be nil (nothing is logged).
func New(cfg Config, st Store, log *slog.Logger) http.Handler {
	if cfg.OfflineAfter <= 0 {
		cfg.OfflineAfter = DefaultOfflineAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := cfg.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	stats, err := newHTTPMetrics(reg)
	if err != nil {
		// Only a registry holding other families of the same names gets
		// here: count in a registry of the API's own rather than fail.
		log.Error("API metrics", "err", err)
		reg = prometheus.NewRegistry()
		stats, _ = newHTTPMetrics(reg) // a fresh registry holds nothing to clash with
	}
	s := &server{
		cfg:   cfg,
		st:    st,
		log:   log,
		auth:  newTokenAuth(cfg.Tokens),
		mux:   http.NewServeMux(),
		stats: stats,
		reg:   reg,
	}
	for _, rt := range routeTable() {
		s.mux.Handle(rt.pattern, s.endpoint(rt))
	}
	// Anything else gets a JSON 404 or 405 rather than ServeMux's text.
	s.mux.HandleFunc("/", s.fallback)
	return s.logRequests(s.recoverPanics(s.mux))
}

// NewServer returns an http.Server for the API handler h with the
// connection-level timeouts New cannot set: a slow or stalled client
// (slowloris) cannot hold a connection open, and a response may take as
// long as the request timeout allows plus a margin to stream it.
func NewServer(addr string, h http.Handler, cfg Config, log *slog.Logger) *http.Server {
	rt := cfg.RequestTimeout
	if rt <= 0 {
		rt = DefaultRequestTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // requests have no body
		WriteTimeout:      rt + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// endpoint wraps a route's handler with authentication, the scope check,
// the request timeout, and error writing.
func (s *server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rw, ok := w.(*responseWriter); ok {
			rw.route = rt.pattern
		}
		r, err := s.authorizeRequest(w, r, rt)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if err := rt.handle(s, w, r); err != nil {
			if rw, ok := w.(*responseWriter); ok && rw.wroteHeader {
				// Streaming (CSV) already sent a 200: abort the connection
				// so the client sees a truncated transfer, not a short file.
				s.log.Warn("response aborted mid-stream", slog.String("path", r.URL.Path), slog.Any("err", err))
				panic(http.ErrAbortHandler)
			}
			writeError(w, r, s.log, err)
		}
	})
}

// fallback answers requests that match no route.
func (s *server) fallback(w http.ResponseWriter, r *http.Request) {
	// Which methods the path has: read routes answer GET and HEAD, the
	// closed loop's writes POST.
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method || r.Method == http.MethodHead && m == http.MethodGet {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	switch {
	case len(allow) == 1 && allow[0] == http.MethodGet:
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, s.log, &Error{Code: CodeMethodNotAllowed, Message: "method " + r.Method + " not allowed; the API is read-only (GET, HEAD)"})
	case len(allow) > 0:
		if allow[0] == http.MethodGet {
			allow = append([]string{http.MethodGet, http.MethodHead}, allow[1:]...)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, s.log, &Error{Code: CodeMethodNotAllowed, Message: "method " + r.Method + " not allowed; use " + strings.Join(allow, ", ")})
	default:
		writeError(w, r, s.log, &Error{Code: CodeNotFound, Message: "no such endpoint: " + r.URL.Path})
	}
}

// health checks the store.
func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	if err := s.st.Ping(r.Context()); err != nil {
		s.log.Warn("health check failed", slog.Any("err", err))
		return &Error{Code: CodeUnavailable, Message: "store unavailable", err: err}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
