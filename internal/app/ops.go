package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Operations endpoints of the gateway and writer roles.
// The web role serves the same three paths beside its API.
//
//	GET /healthz  200 while the process runs (liveness: restart me if not)
//	GET /readyz   200 when the role can do its work (store and bus reachable,
//	              partitions owned), else 503 with the reason (readiness:
//	              send me no traffic if not)
//	GET /metrics  Prometheus text format; needs a token with metrics:read
//	              (ecowatch users token), like the web role's /metrics
//
// Probes carry no data and need no token, so that load balancers and
// orchestrators can call them.

// readyFunc reports why the role is not ready (nil: ready).
type readyFunc func(ctx context.Context) error

// authenticator is what the ops endpoints need of auth.Service.
type authenticator interface {
	Authenticate(r *http.Request) (auth.Principal, error)
}

func opsHandler(reg prometheus.Gatherer, ready readyFunc, az authenticator, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeProbe(w, http.StatusOK, "ok", "")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			writeProbe(w, http.StatusServiceUnavailable, "not ready", err.Error())
			return
		}
		writeProbe(w, http.StatusOK, "ready", "")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		p, err := az.Authenticate(r)
		if err != nil || !p.Authenticated() {
			if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
				log.Warn("metrics: authentication failed", "err", err)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="ecowatch"`)
			http.Error(w, "send Authorization: Bearer <token with metrics:read>", http.StatusUnauthorized)
			return
		}
		if !auth.Allowed(p, auth.ScopeMetrics) {
			http.Error(w, "the token lacks metrics:read", http.StatusForbidden)
			return
		}
		metrics.Handler(reg).ServeHTTP(w, r)
	})
	return mux
}

func writeProbe(w http.ResponseWriter, code int, status, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(struct {
		Status string `json:"status"`
		Reason string `json:"reason,omitempty"`
	}{status, reason})
}

// opsServer serves h on addr until closed.
type opsServer struct {
	srv *http.Server
	ln  net.Listener
}

func startOps(addr string, sec HTTPSecurity, h http.Handler, log *slog.Logger) (*opsServer, error) {
	ln, err := sec.listen(addr)
	if err != nil {
		return nil, err
	}
	o := &opsServer{ln: ln, srv: &http.Server{Handler: sec.wrap(h), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("ops http server stopped", "err", err)
		}
	}()
	return o, nil
}

func (o *opsServer) addr() string { return o.ln.Addr().String() }

func (o *opsServer) shutdown(ctx context.Context) error {
	if o == nil {
		return nil
	}
	return o.srv.Shutdown(ctx)
}
