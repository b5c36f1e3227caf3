package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// users passwd, disable and token revoke end what they should: a session
// and a token of the user stop working after `users passwd`; `users token
// list` shows each token's last use and why it was revoked; `users token
// revoke` takes the listed id; a disabled user's new credentials fail.
func TestUsersPasswdAndTokensEndCredentials(t *testing.T) {
	dir := t.TempDir()
	dd := "--data-dir=" + dir
	ctx := context.Background()
	if _, errs, code := runIn(t, "first-password-1\n", "users", "add", "--role", "machine", "--password-stdin", dd, "ops"); code != 0 {
		t.Fatalf("users add: %d %s", code, errs)
	}
	tokOut, errs, code := runIn(t, "", "users", "token", "add", "--name", "prometheus", dd, "ops")
	if code != 0 {
		t.Fatalf("users token add: %d %s", code, errs)
	}
	tok := strings.TrimSpace(tokOut)
	// withAuth runs f against the store the commands use, then closes it
	// (the commands open it themselves).
	withAuth := func(f func(a *auth.Service)) {
		t.Helper()
		st, err := store.Open(ctx, storetest.SQLiteDSN(dir), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f(auth.New(st, auth.Options{Params: auth.Params{Memory: 64, Time: 1, Threads: 1}}))
	}
	bearer := func(tok string) *http.Request {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = "10.7.0.9:40000"
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	var cookie string
	withAuth(func(a *auth.Service) {
		c, _, err := a.Login(ctx, "ops", "first-password-1", "10.7.0.1")
		if err != nil {
			t.Fatal(err)
		}
		cookie = c
		if _, err := a.Authenticate(bearer(tok)); err != nil {
			t.Fatal(err)
		}
	})
	out, _, code := runIn(t, "", "users", "token", "list", dd, "ops")
	if code != 0 || !strings.Contains(out, "prometheus") || !strings.Contains(out, "10.7.0.9") || !strings.Contains(out, "active") {
		t.Fatalf("token list after a use: %d\n%s", code, out)
	}
	if out, errs, code := runIn(t, "second-password-2\n", "users", "passwd", "--password-stdin", dd, "ops"); code != 0 || !strings.Contains(out, "sessions ended") {
		t.Fatalf("passwd: %d %q %s", code, out, errs)
	}
	withAuth(func(a *auth.Service) {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: cookie})
		if _, err := a.Authenticate(r); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("session after users passwd: %v", err)
		}
		if _, err := a.Authenticate(bearer(tok)); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("token after users passwd: %v", err)
		}
	})
	out, _, _ = runIn(t, "", "users", "token", "list", dd)
	if !strings.Contains(out, "revoked") || !strings.Contains(out, "(password changed)") {
		t.Errorf("token list after passwd:\n%s", out)
	}
	// Revocation by hand, by the listed id.
	tokOut, _, _ = runIn(t, "", "users", "token", "--name", "backup", dd, "ops")
	tok2 := strings.TrimSpace(tokOut)
	out, _, _ = runIn(t, "", "users", "token", "list", dd, "ops")
	m := regexp.MustCompile(`(?m)^([0-9a-f]{12})\s+ops\s+backup\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no id of the backup token in\n%s", out)
	}
	if out, errs, code := runIn(t, "", "users", "token", "revoke", dd, m[1]); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %d %q %s", code, out, errs)
	}
	if _, errs, code := runIn(t, "", "users", "token", "revoke", dd, m[1]); code != 1 || !strings.Contains(errs, "revoked already") {
		t.Errorf("second revoke: %d %s", code, errs)
	}
	if _, errs, code := runIn(t, "", "users", "token", "revoke", dd, "0123456789ab"); code != 1 || !strings.Contains(errs, "no such token") {
		t.Errorf("unknown token id: %d %s", code, errs)
	}
	withAuth(func(a *auth.Service) {
		if _, err := a.Authenticate(bearer(tok2)); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("token after users token revoke: %v", err)
		}
	})
	out, _, _ = runIn(t, "", "users", "token", "list", dd, "ops")
	if !strings.Contains(out, "(revoked by cli)") {
		t.Errorf("token list after revoke:\n%s", out)
	}
	// Disabling ends a fresh session too.
	withAuth(func(a *auth.Service) {
		c, _, err := a.Login(ctx, "ops", "second-password-2", "10.7.0.1")
		if err != nil {
			t.Fatal(err)
		}
		cookie = c
	})
	if _, errs, code := runIn(t, "", "users", "disable", dd, "ops"); code != 0 {
		t.Fatalf("disable: %d %s", code, errs)
	}
	withAuth(func(a *auth.Service) {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: cookie})
		if _, err := a.Authenticate(r); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("session after users disable: %v", err)
		}
	})
	if _, errs, code := runIn(t, "", "users", "enable", dd, "ops"); code != 0 {
		t.Fatalf("enable: %d %s", code, errs)
	}
	withAuth(func(a *auth.Service) {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: cookie})
		if _, err := a.Authenticate(r); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("an ended session came back with enable: %v", err)
		}
	})
}
