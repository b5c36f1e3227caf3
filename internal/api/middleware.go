package api

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// responseWriter records what the handlers did, for the access log, the
// metrics and the panic handler.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	route       string // the matched route pattern, "" for fallback
	client      string // the authenticated client's name
}

func (w *responseWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: method, path, status, duration.
// It logs neither headers nor the query string's secrets (there are none:
// tokens only travel in the Authorization header, which is never logged).
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			d := time.Since(start)
			s.stats.observe(rw.route, rw.status, d)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rw.status),
				slog.Duration("duration", d),
				slog.Int64("bytes", rw.bytes),
				slog.String("remote", r.RemoteAddr),
			}
			if rw.client != "" {
				attrs = append(attrs, slog.String("client", rw.client))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
		}()
		next.ServeHTTP(rw, r)
	})
}

// recoverPanics turns a handler panic into a logged 500 with the JSON error
// body, so one bad request cannot take the server down or leave the client
// with a reset connection. http.ErrAbortHandler is passed on: it is how a
// handler deliberately aborts a response it has started.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if rw, ok := w.(*responseWriter); ok && rw.wroteHeader {
				panic(http.ErrAbortHandler) // too late for a clean error
			}
			if rw, ok := w.(*responseWriter); ok {
				rw.status = http.StatusInternalServerError
			}
			writeError(w, r, s.log, &Error{Code: CodeInternal, Message: "internal error", err: fmt.Errorf("panic: %v", v)})
		}()
		next.ServeHTTP(w, r)
	})
}

// tokenAuth checks static bearer tokens. It keeps only SHA-256 digests of
// the tokens, so the lookup time does not depend on how much of a guessed
// token is right, and no token sits in memory in the clear longer than New.
type tokenAuth struct {
	required bool
	clients  map[[sha256.Size]byte]string
}

func newTokenAuth(tokens map[string]string) *tokenAuth {
	// required depends on the map, not on its usable entries: a
	// configuration whose only token is empty (an unset environment
	// variable, say) must fail closed, not open.
	a := &tokenAuth{required: len(tokens) > 0, clients: make(map[[sha256.Size]byte]string, len(tokens))}
	for tok, name := range tokens {
		if tok == "" {
			continue // never a valid token
		}
		if name == "" {
			name = "token"
		}
		a.clients[sha256.Sum256([]byte(tok))] = name
	}
	return a
}

// authenticate returns the client's name. With no tokens configured every
// request is anonymous and allowed (the demo).
func (a *tokenAuth) authenticate(r *http.Request) (string, error) {
	if !a.required {
		return "", nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", &Error{Code: CodeUnauthorized, Message: "missing Authorization: Bearer token"}
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", &Error{Code: CodeUnauthorized, Message: "Authorization header must be \"Bearer <token>\""}
	}
	name, ok := a.clients[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	if !ok {
		return "", &Error{Code: CodeUnauthorized, Message: "invalid token"}
	}
	return name, nil
}

// authorize checks that client may use a route of the given scope. Static
// tokens grant every scope; users and scopes come with a later issue.
func authorize(client, scope string) error {
	_ = client
	_ = scope
	return nil
}
