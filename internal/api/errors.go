package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Code is a stable, machine-readable error code. Clients switch on it, so a
// code is never renamed or given another meaning; new codes may be added.
type Code string

// The error codes. Each has exactly one HTTP status (see catalogue).
const (
	CodeInvalidParameter Code = "invalid_parameter"
	CodeMissingParameter Code = "missing_parameter"
	CodeRangeTooLarge    Code = "range_too_large"
	CodeUnauthorized     Code = "unauthorized"
	CodeForbidden        Code = "forbidden"
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeTimeout          Code = "timeout"
	CodeUnavailable      Code = "unavailable"
	CodeInternal         Code = "internal"
	// Closed loop.
	CodeInvalidBody       Code = "invalid_body"
	CodeConflict          Code = "conflict"
	CodeInvalidTransition Code = "invalid_transition"
	CodeRateLimited       Code = "rate_limited"
	CodeTooLarge          Code = "too_large"
	CodeUnsupportedType   Code = "unsupported_type"
)

// catalogueEntry documents one error code.
type catalogueEntry struct {
	Code   Code
	Status int
	Doc    string
}

// catalogue is the error code table: the single source of truth for the
// status of each code. API.md documents the same table and a test checks
// that they agree.
var catalogue = []catalogueEntry{
	{CodeInvalidParameter, http.StatusBadRequest, "a query parameter is malformed, out of range, unknown, or repeated; `field` names it"},
	{CodeMissingParameter, http.StatusBadRequest, "a required query parameter is absent; `field` names it"},
	{CodeRangeTooLarge, http.StatusBadRequest, "the time range is longer than allowed for the period; `field` is `to`"},
	{CodeUnauthorized, http.StatusUnauthorized, "tokens are configured and the request has no valid `Authorization: Bearer` token"},
	{CodeForbidden, http.StatusForbidden, "the token is valid but lacks the scope (today: `unredacted=true` without a token)"},
	{CodeNotFound, http.StatusNotFound, "the route, or the item named in the path or a filter (device, enterprise, outlet, county), does not exist"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "the route exists but not for this method; `Allow` lists those it has (reads: GET and HEAD; the closed loop's writes: POST)"},
	{CodeTimeout, http.StatusServiceUnavailable, "the request took longer than the server's request timeout (`Config.RequestTimeout`, 60 s by default)"},
	{CodeUnavailable, http.StatusServiceUnavailable, "the store cannot be reached (health check)"},
	{CodeInternal, http.StatusInternalServerError, "an unexpected server error; details are logged, never sent"},
	{CodeInvalidBody, http.StatusBadRequest, "the JSON or form body is malformed or a field is invalid; `field` names it"},
	{CodeConflict, http.StatusConflict, "the item changed since you read it (stale `seq`) or already exists"},
	{CodeInvalidTransition, http.StatusConflict, "the case's state does not allow the action; `allowed` lists the moves that are"},
	{CodeRateLimited, http.StatusTooManyRequests, "too many login attempts or public submissions; retry later"},
	{CodeTooLarge, http.StatusRequestEntityTooLarge, "an attachment or body over the size limit"},
	{CodeUnsupportedType, http.StatusUnsupportedMediaType, "an attachment of a type that is not accepted"},
	{CodeRefused, http.StatusUnprocessableEntity, "a rights command was refused by the ledger's rules (overdraft, unverified or expired credit, no ratio rule, idempotency key reused with another body); `field` names the command field at fault and nothing was written"},
}

// statusOf returns the HTTP status of a code.
func statusOf(c Code) int {
	for _, e := range catalogue {
		if e.Code == c {
			return e.Status
		}
	}
	return http.StatusInternalServerError
}

// Error is an API error: what the client receives as
// {"error": {"code": …, "message": …, "field": …}}.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Reason names the kind of refusal behind the error when the engine
	// gave one (e.g. rights.overdraft, cases.transition, acc.formula): a
	// stable key a page maps to a message in its own language.
	Reason string `json:"reason,omitempty"`
	// Allowed lists the moves a case allows (invalid_transition only).
	Allowed []Move `json:"allowed,omitempty"`
	err     error  // cause, for logs only
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }
func (e *Error) Unwrap() error { return e.err }

// paramError reports a bad query parameter. The message starts with the
// parameter's name so that it reads well on its own.
func paramError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameter, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

func missingError(field, why string) *Error {
	return &Error{Code: CodeMissingParameter, Field: field, Message: field + ": " + why}
}

func notFound(field, format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

// toAPIError maps any handler error to an API error. Store and unexpected
// errors become "internal" with a generic message: their text may name
// tables, files or hosts, which a client has no business seeing.
func toAPIError(err error) (apiErr *Error, unexpected bool) {
	if errors.As(err, &apiErr) {
		return apiErr, false
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: "not found", err: err}, false
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeTimeout, Message: "the request took too long; narrow the time range or the selection", err: err}, false
	}
	return &Error{Code: CodeInternal, Message: "internal error", err: err}, true
}

// writeError writes err as the JSON error body. It does nothing when the
// client has gone away, and logs unexpected errors with their cause.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client left; nobody to answer
	}
	apiErr, unexpected := toAPIError(err)
	if unexpected {
		log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if apiErr.Reason == "" && apiErr.err != nil {
		apiErr.Reason = reasonOf(apiErr.err)
	}
	if apiErr.Code == CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ecowatch"`)
	}
	writeJSON(w, statusOf(apiErr.Code), struct {
		Error *Error `json:"error"`
	}{apiErr})
}

// reasons are the engines' sentinel errors and their stable keys, the
// most specific first (a cases.FieldError wraps ErrInvalid, a TransitionError
// ErrTransition).
var reasons = []struct {
	err error
	key string
}{
	{rights.ErrOverdraft, "rights.overdraft"}, {rights.ErrState, "rights.state"}, {rights.ErrExpired, "rights.expired"},
	{rights.ErrUnverified, "rights.unverified"}, {rights.ErrNotYetValid, "rights.not_yet_valid"}, {rights.ErrNoRatioRule, "rights.no_ratio_rule"}, {rights.ErrNoPrice, "rights.no_price"},
	{rights.ErrKeyReused, "rights.key_reused"}, {rights.ErrClock, "rights.clock"}, {rights.ErrDuplicate, "rights.duplicate"},
	{rights.ErrNotFound, "rights.not_found"}, {rights.ErrInvalid, "rights.invalid"},
	{cases.ErrTransition, "cases.transition"}, {cases.ErrPermission, "cases.permission"}, {cases.ErrDuplicate, "cases.duplicate"},
	{casesvc.ErrRatingKey, "cases.rating_key"}, {casesvc.ErrEvidence, "cases.evidence"}, {cases.ErrInvalid, "cases.invalid"},
	{store.ErrConflict, "conflict"},
}

// reasonOf is the key of the engine's refusal behind err: an
// accountability refusal by what it concerns (acc.formula, acc.value…),
// otherwise the first sentinel err wraps; "" when none is known.
func reasonOf(err error) string {
	var ae *acc.Error
	if errors.As(err, &ae) {
		return "acc." + strings.ReplaceAll(ae.What, " ", "_")
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.key
		}
	}
	return ""
}

// writeJSON writes v with status. Encoding errors can only be write errors
// at this point (our types always marshal), which the client caused.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Raw frames are full of "&&"; escaping them as \u0026 helps no one:
	// the body is served as JSON with nosniff, never as HTML.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
