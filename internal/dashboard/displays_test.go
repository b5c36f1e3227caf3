package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// displaysFixture is a handler whose users and display codes live in a
// store of their own (the shared fixture's codes are other tests'), with
// a bearer token per role.
func displaysFixture(t *testing.T, b storetest.Backend, open bool) (*Handler, *auth.Service, store.Store, map[string]string) {
	t.Helper()
	ctx := context.Background()
	ust := storetest.Open(t, b)
	au := auth.New(ust, auth.Options{Now: func() time.Time { return testNow }, Params: fastParams})
	h, _ := newTestHandler(t, b, Config{Auth: au, Open: open})
	toks := map[string]string{}
	var err error
	for _, u := range []model.User{
		{ID: "d-city", Name: "市局管理员", Role: model.RoleCity},
		{ID: "d-county", Name: "东昌府区分局", Role: model.RoleCounty, County: "371502"},
		{ID: "d-ent", Name: "某某公司", Role: model.RoleEnterprise, Enterprise: "91371500000000000X"},
		{ID: "d-machine", Name: "大屏服务", Role: model.RoleMachine},
	} {
		u.CreatedAt = testNow
		if err := ust.PutUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		if toks[u.Role], err = au.NewToken(ctx, u.ID, "test", 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	return h, au, ust, toks
}

// withToken serves every request with a bearer token (checkLanguage gets
// pages without one).
func withToken(h http.Handler, tok string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(w, r)
	})
}

// TestDisplaysPage: the city sees the display codes page in the menu,
// with the empty state saying what to do, then the codes by state (active
// first, with a revoke form; expired and revoked without), never a code;
// every other role gets no menu entry and 403; both languages are
// complete.
func TestDisplaysPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, au, ust, toks := displaysFixture(t, b, false)
		city := toks[model.RoleCity]

		w := do(t, h, "GET", "/displays", city, nil)
		body := w.Body.String()
		for _, want := range []string{`id="no-displays"`, "还没有发放大屏登录码", `id="display-new"`, `value="30"`, "/static/displays.js", `id="nav-displays"`} {
			if w.Code != 200 || !strings.Contains(body, want) {
				t.Errorf("empty page: %d, lacks %q", w.Code, want)
			}
		}
		checkLanguage(t, withToken(h, city), []string{"/displays"})

		ctx := context.Background()
		old := auth.New(ust, auth.Options{Now: func() time.Time { return testNow.Add(-40 * 24 * time.Hour) }, Params: fastParams})
		_, expired, err := old.NewDisplayCode(ctx, "旧会商室", 24*time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, revoked, err := au.NewDisplayCode(ctx, "临时展厅", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := au.RevokeDisplayCode(ctx, revoked.ID, nil); err != nil {
			t.Fatal(err)
		}
		code, active, err := au.NewDisplayCode(ctx, "指挥中心主屏", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		body = do(t, h, "GET", "/displays", city, nil).Body.String()
		rows := strings.Split(body[strings.Index(body, `id="displays"`):], "<tr data-display=")[1:]
		if len(rows) != 3 {
			t.Fatalf("%d rows, want 3", len(rows))
		}
		for i, want := range []struct {
			c      auth.DisplayCode
			state  string
			revoke bool
		}{{active, "有效", true}, {revoked, "已吊销", false}, {expired, "已过期", false}} {
			r := rows[i]
			if !strings.HasPrefix(r, `"`+want.c.ID+`"`) || !strings.Contains(r, want.c.Name) || !strings.Contains(r, want.state) {
				t.Errorf("row %d: want %s %s %s: %s", i, want.c.ID, want.c.Name, want.state, r)
			}
			if got := strings.Contains(r, `class="display-revoke" data-id="`+want.c.ID+`"`); got != want.revoke {
				t.Errorf("row %d (%s): revoke form %v, want %v", i, want.c.Name, got, want.revoke)
			}
		}
		if !strings.Contains(rows[0], "确定吊销“指挥中心主屏”的登录码吗") {
			t.Error("the revoke form does not ask for confirmation by name")
		}
		if strings.Contains(body, code) || strings.Contains(body, strings.ReplaceAll(code, "-", "")) {
			t.Error("the page shows a display code: it is shown once, when made")
		}
		checkLanguage(t, withToken(h, city), []string{"/displays"})

		// Every other role: no menu entry, 403.
		for role, tok := range toks {
			want := http.StatusForbidden
			if role == model.RoleCity {
				want = http.StatusOK
			}
			if got := do(t, h, "GET", "/displays", tok, nil).Code; got != want {
				t.Errorf("%s: /displays %d, want %d", role, got, want)
			}
			nav := strings.Contains(do(t, h, "GET", "/air", tok, nil).Body.String(), `id="nav-displays"`)
			if nav != (role == model.RoleCity) {
				t.Errorf("%s: menu entry shown=%v", role, nav)
			}
		}
		if got := do(t, h, "GET", "/displays", "", nil).Code; got != http.StatusForbidden {
			t.Errorf("anonymous: /displays %d, want 403", got)
		}

		// The demo's open mode: anonymous callers are not offered the page
		// and are sent to log in if they open it.
		ho, _, _, _ := displaysFixture(t, b, true)
		if strings.Contains(get(t, ho, "/air").Body.String(), `id="nav-displays"`) {
			t.Error("open mode: the menu offers display codes to an anonymous caller")
		}
		w = get(t, ho, "/displays")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=/displays" {
			t.Errorf("open mode, anonymous /displays: %d to %q, want 303 to the login", w.Code, w.Header().Get("Location"))
		}
	})
}

// TestScreenAnonymous: opening the big screen without a session leads to
// the display sign-in (with the screen's query kept as the return path,
// and the sign-in going back to it); a signed-in user without the
// screen's scope gets the 403 page saying so.
func TestScreenAnonymous(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, au, _, toks := displaysFixture(t, b, false)
		for path, want := range map[string]string{
			"/screen":         "/screen/login",
			"/screen?lang=en": "/screen/login?next=" + url.QueryEscape("/screen?lang=en"),
		} {
			w := get(t, h, path)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
				t.Errorf("anonymous %s: %d to %q, want 303 to %q", path, w.Code, w.Header().Get("Location"), want)
			}
		}
		// The screen's data stays refused: a script, not a person, asks.
		if got := get(t, h, "/screen/data.json").Code; got != http.StatusForbidden {
			t.Errorf("anonymous /screen/data.json: %d, want 403", got)
		}
		// The sign-in form carries the return path, and only the screen's.
		next := url.QueryEscape("/screen?lang=en")
		if b := get(t, h, "/screen/login?next="+next).Body.String(); !strings.Contains(b, `name="next" value="/screen?lang=en"`) {
			t.Error("the sign-in form drops the return path")
		}
		if b := get(t, h, "/screen/login?next="+url.QueryEscape("//evil.example/")).Body.String(); strings.Contains(b, `name="next"`) {
			t.Error("the sign-in form keeps a return path off the screen")
		}
		ctx := context.Background()
		for _, c := range []struct{ next, want string }{
			{"/screen?lang=en", "/screen?lang=en"},
			{"https://evil.example/screen", "/screen"},
			{"/cases", "/screen"},
		} {
			code, _, err := au.NewDisplayCode(ctx, "会商室", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := do(t, h, "POST", "/screen/login", "", url.Values{"code": {code}, "next": {c.next}})
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != c.want {
				t.Errorf("sign-in with next %q: %d to %q, want %q", c.next, w.Code, w.Header().Get("Location"), c.want)
			}
		}
		// Signed in without the screen's scope: refused, in words.
		for _, role := range []string{model.RoleCounty, model.RoleEnterprise} {
			w := do(t, h, "GET", "/screen", toks[role], nil)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), tr(langZH, "err.forbidden.body")) {
				t.Errorf("%s /screen: %d, want the 403 page", role, w.Code)
			}
		}
	})
}
