package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// A login with a 900 KB user name is refused as bad input naming the field,
// and writes no row holding the name.
func TestLoginUserNameCapped(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
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
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
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

// A password change through the API ends the user's sessions and API
// tokens; so does disabling the user.
func TestPasswordChangeEndsSessionsAndTokens(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	ctx := context.Background()
	me := func(set func(r *http.Request)) int {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		set(req)
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, change := range []map[string]any{{"password": "a-new-password-1"}, {"disabled": true}} {
		if _, err := fx.st.User(ctx, "county-x"); err != nil {
			t.Fatal(err)
		}
		pw := "password-county-x"
		if change["disabled"] != nil {
			pw = "a-new-password-1"
		}
		sess, _, code := login(t, fx.h, "county-x", pw)
		if code != 200 {
			t.Fatalf("login: %d", code)
		}
		tok, err := fx.au.NewToken(ctx, "county-x", "script", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		withCookie := func(r *http.Request) { r.AddCookie(sess) }
		withToken := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
		if me(withCookie) != 200 || me(withToken) != 200 {
			t.Fatal("credentials do not work before the change")
		}
		rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users/county-x", body: jsonBody(change)})
		if rec.Code != 200 {
			t.Fatalf("change %v: %d %s", change, rec.Code, rec.Body)
		}
		if c := me(withCookie); c != 401 {
			t.Errorf("session after %v: %d, want 401", change, c)
		}
		if c := me(withToken); c != 401 {
			t.Errorf("token after %v: %d, want 401", change, c)
		}
	}
}

// A login whose password check overlaps a password change opens no
// session: the store opens it only while the checked hash is current.
func TestLoginRacingPasswordChangeOpensNothing(t *testing.T) {
	st := seed(t, storetest.Open(t, storetest.SQLite))
	newRoleFixture(t, st) // the role users, county-x among them
	ctx := context.Background()
	au := auth.New(st, auth.Options{Params: cheap, Verify: func(h, pw string) (bool, error) {
		ok, err := auth.VerifyPassword(h, pw)
		// The administrator changes the password while this one is
		// being checked.
		u, _ := st.User(ctx, "county-x")
		u.PasswordHash, _ = auth.HashPassword("changed-meanwhile-1", cheap)
		if perr := st.PutUser(ctx, u, nil); perr != nil {
			t.Error(perr)
		}
		return ok, err
	}})
	if _, _, err := au.Login(ctx, "county-x", "password-county-x", "10.8.0.1"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("login racing a password change: %v", err)
	}
}
