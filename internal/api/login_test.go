package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// A login with a 900 KB user name is refused as bad input naming the field,
// and writes no row holding the name.
func TestLoginUserNameCapped(t *testing.T) {
	fx := newRoleFixture(t, seed(t, openSQLite(t)))
	huge := strings.Repeat("x", 900<<10) // the body limit is 1 MiB
	req := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"user":"`+huge+`","password":"whatever-1"}`))
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	var e struct {
		Error struct {
			Code, Field, Message string
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != 400 || e.Error.Code != string(CodeInvalidBody) || e.Error.Field != "user" || !strings.Contains(e.Error.Message, "at most 64") {
		t.Fatalf("900 KB user name: %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
	}
	as, err := fx.st.Audit(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if len(a.Actor)+len(a.Target)+len(a.After) > 1000 {
			t.Fatalf("audit row of %d bytes: %s", len(a.Actor)+len(a.Target)+len(a.After), a.Action)
		}
	}
}

// Tracking-code lookups are limited per address: the 31st in ten minutes
// is refused (guessing codes by the thousand is not possible), while
// another address still gets its answers.
func TestTrackingLookupsRateLimited(t *testing.T) {
	fx := newRoleFixture(t, seed(t, openSQLite(t)))
	lookup := func(remote string) int {
		req := httptest.NewRequest("GET", "/api/v1/public/petitions/"+fx.petX, nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 30 {
		if code := lookup("198.51.100.7:4000"); code != 200 {
			t.Fatalf("lookup %d: %d", i+1, code)
		}
	}
	if code := lookup("198.51.100.7:4001"); code != 429 {
		t.Fatalf("31st lookup from one address: %d, want 429", code)
	}
	if code := lookup("198.51.100.8:4000"); code != 200 {
		t.Fatalf("another address: %d, want 200", code)
	}
	// Authenticated callers are not limited by the public limits.
	for range 5 {
		rec := fx.do(t, "city", roleRequest{path: "/api/v1/public/petitions/" + fx.petX})
		if rec.Code != 200 {
			t.Fatalf("city lookup: %d", rec.Code)
		}
	}
}
