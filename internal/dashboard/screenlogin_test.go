package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The wall display's sign-in end to end: the code typed into the form (or
// given in the address) opens a session cookie lasting until the code
// expires; with it /screen and its data answer, every other page 403;
// wrong codes are refused and then rate-limited per address; revoking the
// code ends the session.
func TestScreenLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := fixture(t, b)
		now := testNow
		au := auth.New(st, auth.Options{Now: func() time.Time { return now }, PerIP: 4, Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
		h, _ := newTestHandler(t, b, Config{Auth: au})
		srv := httptest.NewServer(h)
		defer srv.Close()
		ctx := context.Background()
		code, c, err := au.NewDisplayCode(ctx, "指挥中心大屏", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

		// The form.
		res, err := noRedirect.Get(srv.URL + "/screen/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET /screen/login: %d", res.StatusCode)
		}
		// Posted, in lower case.
		res, err = noRedirect.PostForm(srv.URL+"/screen/login", url.Values{"code": {strings.ToLower(code)}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/screen" {
			t.Fatalf("POST /screen/login: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		var sess *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == auth.SessionCookie {
				sess = ck
			}
		}
		if sess == nil || !sess.HttpOnly || sess.Expires.Unix() != c.ExpiresAt.Unix() {
			t.Fatalf("session cookie %+v, want HttpOnly until %s", sess, c.ExpiresAt)
		}
		with := func(path string) int {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.AddCookie(sess)
			res, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		for path, want := range map[string]int{"/screen": 200, "/screen/data.json": 200, "/screen?lang=en": 200,
			"/": 403, "/air": 403, "/monitoring": 403, "/cases": 403, "/petition": 403, "/login": 403, "/water": 403} {
			if got := with(path); got != want {
				t.Errorf("display session, %s: %d, want %d", path, got, want)
			}
		}
		cs, _ := au.DisplayCodes(ctx)
		for _, x := range cs {
			if x.ID == c.ID && (x.LastUsedAt.IsZero() || x.LastUsedBy != "127.0.0.1") {
				t.Errorf("last use not recorded: %+v", x)
			}
		}

		// In the address, English: to the English screen.
		res, err = noRedirect.Get(srv.URL + "/screen/login?lang=en&code=" + url.QueryEscape(code))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/screen?lang=en" {
			t.Fatalf("GET ?code=: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}

		// Revoked: the open session ends; the display is back at its sign-in.
		if _, err := au.RevokeDisplayCode(ctx, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := with("/screen"); got != http.StatusSeeOther {
			t.Errorf("after revocation /screen: %d, want 303 to the sign-in", got)
		}
		if got := with("/screen/data.json"); got != 403 {
			t.Errorf("after revocation /screen/data.json: %d, want 403", got)
		}

		// Wrong codes: 401 with the form again, then 429 from this address.
		for i := 0; i < 4; i++ {
			res, err = noRedirect.PostForm(srv.URL+"/screen/login", url.Values{"code": {"AAAAA-BBBBB-CCCCC-DDDDD"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d", i, res.StatusCode)
			}
		}
		code2, _, err := au.NewDisplayCode(ctx, "会商室", time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err = noRedirect.PostForm(srv.URL+"/screen/login", url.Values{"code": {code2}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after 4 wrong codes: %d, want 429", res.StatusCode)
		}
	})
}

// TestScreenLoginLanguage: the sign-in page (with users, where it exists)
// in both languages, its error included.
func TestScreenLoginLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := fixture(t, b)
		au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
		h, _ := newTestHandler(t, b, Config{Auth: au})
		checkLanguage(t, h, []string{"/screen/login"})
		for _, lang := range []string{"zh", "en"} {
			req := httptest.NewRequest("POST", "/screen/login?lang="+lang, strings.NewReader("code=wrong"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			want := map[string]string{"zh": "登录码无效", "en": "The code is wrong"}[lang]
			if w.Code != 401 || !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s: %d, body lacks %q", lang, w.Code, want)
			}
		}
	})
}
