package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

var fastParams = auth.Params{Memory: 64, Time: 1, Threads: 1}

// staffUsers puts users with passwords and tokens into the fixture
// store; it returns their bearer tokens by id.
func staffUsers(t *testing.T, st store.Store, au *auth.Service, users ...model.User) map[string]string {
	t.Helper()
	ctx := context.Background()
	toks := map[string]string{}
	for _, u := range users {
		h, err := auth.HashPassword("pw-"+u.ID, fastParams)
		if err != nil {
			t.Fatal(err)
		}
		u.Name, u.PasswordHash, u.CreatedAt = "N-"+u.ID, h, testNow
		if err := st.PutUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		tok, err := au.NewToken(ctx, u.ID, "test", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		toks[u.ID] = tok
	}
	return toks
}

// staffHandler is a handler with sessions (no per-user token limit) over
// the backend's fixture, and a bearer token for each of the users.
func staffHandler(t *testing.T, b storetest.Backend, users ...model.User) (*Handler, map[string]string) {
	t.Helper()
	st, _ := fixture(t, b)
	au := newAuth(t, st, 0)
	h, _ := newTestHandler(t, b, Config{Auth: au})
	return h, staffUsers(t, st, au, users...)
}

func newAuth(t *testing.T, st store.Store, perUser int) *auth.Service {
	return auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: fastParams, PerUser: perUser})
}

func do(t *testing.T, h http.Handler, method, path, token string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestLogin: the login page opens the API's session (cookies), a wrong
// password and the rate limit answer with their messages, the header then
// shows the user, and logout needs the session's CSRF token.
func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := fixture(t, b)
		au := newAuth(t, st, 3)
		h, _ := newTestHandler(t, b, Config{Auth: au})
		staffUsers(t, st, au, model.User{ID: "l-county", Role: model.RoleCounty, County: "371502"}, model.User{ID: "l-limited", Role: model.RoleCity})

		if w := do(t, h, "GET", "/login?next=/cases", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `id="login-form"`) || !strings.Contains(w.Body.String(), `name="next" value="/cases"`) {
			t.Fatalf("login page: %d %s", w.Code, w.Body.String())
		}
		w := do(t, h, "POST", "/login", "", url.Values{"user": {"l-county"}, "password": {"wrong"}})
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "用户名或密码错误") || len(w.Result().Cookies()) != 0 {
			t.Errorf("wrong password: %d, cookies %v", w.Code, w.Result().Cookies())
		}
		for range 3 {
			do(t, h, "POST", "/login", "", url.Values{"user": {"l-limited"}, "password": {"wrong"}})
		}
		// Limited: even the right password is refused, with the message.
		w = do(t, h, "POST", "/login", "", url.Values{"user": {"l-limited"}, "password": {"pw-l-limited"}})
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "登录失败次数过多") {
			t.Errorf("rate limit: %d", w.Code)
		}

		w = do(t, h, "POST", "/login", "", url.Values{"user": {"l-county"}, "password": {"pw-l-county"}, "next": {"//evil.example/x"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Fatalf("login: %d to %q (an off-site next must not be followed)", w.Code, w.Header().Get("Location"))
		}
		// Both attempts are in the audit log, as the API's logins are.
		as, err := st.Audit(context.Background(), "user/l-county", 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range as {
			actions = append(actions, a.Action)
		}
		if !slices.Contains(actions, "user.login") || !slices.Contains(actions, "user.login-failed") {
			t.Errorf("audit of l-county: %v", actions)
		}
		var session, csrf *http.Cookie
		for _, c := range w.Result().Cookies() {
			switch c.Name {
			case auth.SessionCookie:
				session = c
			case auth.CSRFCookie:
				csrf = c
			}
		}
		if session == nil || csrf == nil || !session.HttpOnly {
			t.Fatalf("cookies %v", w.Result().Cookies())
		}
		body := do(t, h, "GET", "/cases", "", nil, session).Body.String()
		if !strings.Contains(body, `id="current-user">N-l-county · 区县`) || !strings.Contains(body, `name="csrf" value="`+csrf.Value+`"`) {
			t.Errorf("header lacks the user or the CSRF token")
		}

		if w := do(t, h, "POST", "/logout", "", url.Values{"csrf": {"forged"}}, session); w.Code != http.StatusForbidden {
			t.Errorf("logout without the token: %d", w.Code)
		}
		if w := do(t, h, "POST", "/logout", "", url.Values{"csrf": {csrf.Value}}, session); w.Code != http.StatusSeeOther {
			t.Errorf("logout: %d", w.Code)
		}
		if w := do(t, h, "GET", "/cases", "", nil, session); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `id="login-link"`) {
			t.Errorf("after logout: %d (the old session must be gone, the page offer the login)", w.Code)
		}
	})
}

// TestNav: each role's header shows the entries of the pages it may use
// and no others.
func TestNav(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, toks := staffHandler(t, b,
			model.User{ID: "n-city", Role: model.RoleCity},
			model.User{ID: "n-county", Role: model.RoleCounty, County: "371502"},
			model.User{ID: "n-ent", Role: model.RoleEnterprise, Enterprise: "X"})
		tests := []struct {
			who  string
			want []string // nav hrefs shown; the others of all are not
		}{
			{"", []string{"/", "/air", "/water", "/petition", "/reports/monthly"}},
			{"n-city", []string{"/", "/screen", "/displays", "/air", "/monitoring", "/water", "/water/trace", "/cases", "/notices", "/patrols/stats", "/petitions", "/petition", "/rights", "/accountability", "/desk", "/rates", "/reports/monthly"}},
			{"n-county", []string{"/", "/air", "/monitoring", "/water", "/cases", "/notices", "/patrols/stats", "/petitions", "/petition", "/accountability", "/desk", "/rates", "/reports/monthly"}},
			{"n-ent", []string{"/", "/air", "/monitoring", "/water", "/cases", "/notices", "/petition", "/desk", "/rates", "/reports/monthly"}},
		}
		navRE := regexp.MustCompile(`(?s)<nav>(.*?)</nav>`)
		hrefRE := regexp.MustCompile(`href="([^"]*)"`)
		for _, tc := range tests {
			body := do(t, h, "GET", "/air", toks[tc.who], nil).Body.String()
			var got []string
			for _, m := range hrefRE.FindAllStringSubmatch(navRE.FindStringSubmatch(body)[1], -1) {
				got = append(got, m[1])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q: nav %v, want %v", tc.who, got, tc.want)
			}
			// Each page of the menu opens for the role.
			for _, href := range got {
				if w := do(t, h, "GET", href, toks[tc.who], nil); w.Code != http.StatusOK {
					t.Errorf("%q: the menu's %s answers %d", tc.who, href, w.Code)
				}
			}
		}
	})
}

// offerKinds is the action kinds the case page offers.
func offerKinds(os []offer) []cases.ActionKind {
	var out []cases.ActionKind
	for _, o := range os {
		out = append(out, o.Action)
	}
	return out
}

// TestCaseOffers: the page offers exactly what the state machine allows
// from the state and the role may do, in the role's scope.
func TestCaseOffers(t *testing.T) {
	city := &page{User: auth.Principal{Role: model.RoleCity}}
	county := &page{User: auth.Principal{Role: model.RoleCounty, County: "C1"}}
	other := &page{User: auth.Principal{Role: model.RoleCounty, County: "C2"}}
	ent := &page{User: auth.Principal{Role: model.RoleEnterprise, Enterprise: "E1"}}
	machine := &page{User: auth.Principal{Role: model.RoleMachine}}
	c := func(st cases.State, ext bool) cases.Case {
		x := cases.Case{ID: "K", County: "C1", Enterprise: "E1", State: st}
		if ext {
			x.Extension = &cases.Extension{Reason: "r"}
		}
		return x
	}
	A := func(a ...cases.ActionKind) []cases.ActionKind { return a }
	tests := []struct {
		name string
		c    cases.Case
		p    *page
		want []cases.ActionKind
	}{
		{"registered city", c(cases.StateRegistered, false), city, A(cases.ActAccept, cases.ActReject)},
		{"registered county", c(cases.StateRegistered, false), county, A(cases.ActAccept, cases.ActReject)},
		{"registered other county", c(cases.StateRegistered, false), other, nil},
		{"registered enterprise", c(cases.StateRegistered, false), ent, nil},
		{"accepted county", c(cases.StateAccepted, false), county, A(cases.ActAssign)},
		{"assigned enterprise", c(cases.StateAssigned, false), ent, A(cases.ActStart, cases.ActRequestExtension)},
		{"assigned city", c(cases.StateAssigned, false), city, nil},
		{"rectifying county", c(cases.StateRectifying, false), county, A(cases.ActSubmit, cases.ActRequestExtension)},
		{"rectifying pending county", c(cases.StateRectifying, true), county, A(cases.ActSubmit)},
		{"rectifying pending city", c(cases.StateRectifying, true), city, A(cases.ActApproveExtension, cases.ActDenyExtension)},
		{"submitted city", c(cases.StateSubmitted, false), city, A(cases.ActVerify)},
		{"verifying county", c(cases.StateVerifying, false), county, A(cases.ActClose, cases.ActReturn)},
		{"verifying enterprise", c(cases.StateVerifying, false), ent, nil},
		{"closed city", c(cases.StateClosed, false), city, A(cases.ActReopen)},
		{"rejected city", c(cases.StateRejected, false), city, nil},
		{"machine", c(cases.StateRegistered, false), machine, nil},
	}
	for _, tc := range tests {
		if got := offerKinds(caseOffers(tc.c, tc.p)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: offers %v, want %v", tc.name, got, tc.want)
		}
	}
	// The forms carry the fields their action needs.
	for _, o := range caseOffers(c(cases.StateVerifying, false), city) {
		if o.Action == cases.ActReturn && !o.Reason {
			t.Error("return without a reason field")
		}
	}
}

// TestCasePageActions: the rendered case page has a form for each
// offered action with the case's Seq, and none for the others.
func TestCasePageActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, s := fixture(t, b)
		h, toks := staffHandler(t, b,
			model.User{ID: "c-county", Role: model.RoleCounty, County: "371502"},
			model.User{ID: "c-other", Role: model.RoleCounty, County: "371521"},
			model.User{ID: "c-ent", Role: model.RoleEnterprise, Enterprise: s.Outlet.Enterprise})
		c, err := st.Case(context.Background(), s.OverdueCase)
		if err != nil {
			t.Fatal(err)
		}
		w := do(t, h, "GET", "/cases/"+s.OverdueCase, toks["c-county"], nil)
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, `id="act-assign"`) || !strings.Contains(body, `data-seq="`+itoa(c.Seq)+`"`) || !strings.Contains(body, "/static/case.js") {
			t.Errorf("county: %d, assign form or seq missing", w.Code)
		}
		for _, not := range []string{"act-accept", "act-close", "act-verify", "act-submit"} {
			if strings.Contains(body, `id="`+not+`"`) {
				t.Errorf("county: %s offered on an accepted case", not)
			}
		}
		if w := do(t, h, "GET", "/cases/"+s.OverdueCase, toks["c-other"], nil); w.Code != http.StatusNotFound {
			t.Errorf("another county's user: %d, want 404", w.Code)
		}
		if w := do(t, h, "GET", "/cases/"+s.OverdueCase, toks["c-ent"], nil); w.Code != http.StatusNotFound {
			t.Errorf("an enterprise not in the case: %d, want 404", w.Code)
		}
		if w := do(t, h, "GET", "/cases/"+s.OverdueCase, "", nil); w.Code != http.StatusForbidden {
			t.Errorf("the public: %d, want 403", w.Code)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestNotices: the numbered notice on the overdue case is listed with its
// case, county and state for those who see the case, and printable.
func TestNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		_, s := fixture(t, b)
		h, toks := staffHandler(t, b,
			model.User{ID: "t-city", Role: model.RoleCity},
			model.User{ID: "t-county", Role: model.RoleCounty, County: "371502"},
			model.User{ID: "t-other", Role: model.RoleCounty, County: "371521"})
		for who, shown := range map[string]bool{"t-city": true, "t-county": true, "t-other": false} {
			w := do(t, h, "GET", "/notices", toks[who], nil)
			body := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("%s: %d", who, w.Code)
			}
			if got := strings.Contains(body, NoticeDoc); got != shown {
				t.Errorf("%s: notice shown=%v, want %v", who, got, shown)
			}
			if shown && (!strings.Contains(body, "/cases/"+s.OverdueCase) || !strings.Contains(body, "东昌府区") || !strings.Contains(body, "督办") || !strings.Contains(body, "受理")) {
				t.Errorf("%s: the notice row lacks its case, county, level or state", who)
			}
			pw := do(t, h, "GET", "/notices/"+s.OverdueCase+"/0", toks[who], nil)
			want := http.StatusOK
			if !shown {
				want = http.StatusNotFound
			}
			if pw.Code != want {
				t.Errorf("%s: print page %d, want %d", who, pw.Code, want)
			}
			if shown && (!strings.Contains(pw.Body.String(), `id="notice"`) || !strings.Contains(pw.Body.String(), NoticeDoc)) {
				t.Errorf("%s: print page lacks the notice", who)
			}
		}
		if w := do(t, h, "GET", "/notices?level=summons", toks["t-city"], nil); strings.Contains(w.Body.String(), NoticeDoc) {
			t.Error("the level filter kept a 督办 notice among 约谈")
		}
		if w := do(t, h, "GET", "/notices/"+s.OverdueCase+"/9", toks["t-city"], nil); w.Code != http.StatusNotFound {
			t.Errorf("no such notice: %d", w.Code)
		}
		if w := do(t, h, "GET", "/notices", "", nil); w.Code != http.StatusForbidden {
			t.Errorf("public: %d", w.Code)
		}
	})
}

// ratedStore answers a case with a given state and satisfaction, for the
// desk's rate without walking a case through the loop.
type ratedStore struct {
	store.Store
	sat   cases.Satisfaction
	state cases.State
}

func (r ratedStore) Case(ctx context.Context, id string) (cases.Case, error) {
	c, err := r.Store.Case(ctx, id)
	if err == nil && r.state != "" {
		c.State, c.Satisfaction = r.state, r.sat
	}
	return c, err
}

// TestPetitionsDesk: petitions by county with deadlines, the reply and
// callback forms to those who may write, and the satisfaction rate.
func TestPetitionsDesk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, s := fixture(t, b)
		h, toks := staffHandler(t, b,
			model.User{ID: "p-city", Role: model.RoleCity},
			model.User{ID: "p-county", Role: model.RoleCounty, County: "371521"},
			model.User{ID: "p-other", Role: model.RoleCounty, County: "371502"},
			model.User{ID: "p-ent", Role: model.RoleEnterprise, Enterprise: s.Outlet.Enterprise})
		for who, shown := range map[string]bool{"p-city": true, "p-county": true, "p-other": false} {
			w := do(t, h, "GET", "/petitions", toks[who], nil)
			body := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("%s: %d", who, w.Code)
			}
			if got := strings.Contains(body, s.PetitionCode); got != shown {
				t.Errorf("%s: petition shown=%v, want %v", who, got, shown)
			}
			if shown && !strings.Contains(body, `data-url="/api/v1/petitions/`+s.PetitionCode+`/reply"`) {
				t.Errorf("%s: no reply form", who)
			}
		}
		// The petition arrived 40 days before testNow and was never
		// accepted: past its 15-day acceptance deadline.
		body := do(t, h, "GET", "/petitions", toks["p-city"], nil).Body.String()
		if !strings.Contains(body, `class="exceed" data-code="`+s.PetitionCode+`"`) {
			t.Error("the petition past its acceptance deadline is not marked")
		}
		if !strings.Contains(body, `id="sat-rate">—<`) {
			t.Error("a rate shown with nothing rated")
		}
		if w := do(t, h, "GET", "/petitions?county=371521", toks["p-other"], nil); strings.Contains(w.Body.String(), s.PetitionCode) {
			t.Error("a county's filter showed another county's petition")
		}
		if w := do(t, h, "GET", "/petitions?state=closed", toks["p-city"], nil); strings.Contains(w.Body.String(), `data-code="`+s.PetitionCode) {
			t.Error("the state filter kept a registered petition")
		}
		for _, who := range []string{"", "p-ent"} {
			if w := do(t, h, "GET", "/petitions", toks[who], nil); w.Code != http.StatusForbidden {
				t.Errorf("%q: %d, want 403", who, w.Code)
			}
		}

		for _, tc := range []struct {
			sat  cases.Satisfaction
			want string
		}{
			{cases.Satisfied, `id="sat-rate">100.0%<`},
			{cases.BasicallySatisfied, `id="sat-rate">100.0%<`},
			{cases.Dissatisfied, `id="sat-rate">0.0%<`},
			// Closed, not rated: only the petitioner rates (with the rating key
			// given at intake), so the desk offers staff no rating form: it
			// says the rating is awaited.
			{"", `待群众评价`},
		} {
			// A service of its own over the same store knows the tokens.
			hr, err := New(Config{Auth: newAuth(t, st, 0), Now: func() time.Time { return testNow }}, ratedStore{st, tc.sat, cases.StateClosed})
			if err != nil {
				t.Fatal(err)
			}
			body := do(t, hr, "GET", "/petitions", toks["p-county"], nil).Body.String()
			if !strings.Contains(body, tc.want) {
				t.Errorf("satisfaction %q: page lacks %s", tc.sat, tc.want)
			}
			if strings.Contains(body, `name="kind" value="rate"`) {
				t.Errorf("satisfaction %q: the desk offers staff a rating form", tc.sat)
			}
		}
	})
}

// TestTracePage: the city traces a section and sees the network graph,
// the section and the candidates; other roles may not trace.
func TestTracePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := fixture(t, b)
		h, toks := staffHandler(t, b,
			model.User{ID: "w-city", Role: model.RoleCity},
			model.User{ID: "w-county", Role: model.RoleCounty, County: "371502"})
		wr, err := st.WaterRegistry(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sec := wr.Sections[5] // 劣Ⅴ on NH3-N in May (seedWater)
		w := do(t, h, "GET", "/water/trace?section="+sec.Code+"&time=2025-05-10T10:00&factor=NH3-N", toks["w-city"], nil)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `id="trace-report"`) {
			t.Fatalf("trace: %d %s", w.Code, regexp.MustCompile(`(?s)<p class="bad"[^>]*>.*?</p>`).FindString(body))
		}
		if !strings.Contains(body, `id="network"`) || !strings.Contains(body, "/static/trace.js") {
			t.Errorf("no network chart")
		}
		var charts traceCharts
		m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-data">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil || json.Unmarshal([]byte(m[1]), &charts) != nil {
			t.Fatal("no chart data")
		}
		kinds := map[string]int{}
		target, first, onPath := false, false, 0
		for _, n := range charts.Network.Nodes {
			kinds[n.Kind]++
			target = target || (n.ID == "s:"+sec.Code && n.Role == "target")
			first = first || (n.Kind == "outfall" && n.Rank == 1)
		}
		for _, l := range charts.Network.Links {
			if l.OnPath {
				onPath++
			}
		}
		if !first || onPath == 0 || !strings.Contains(body, `id="trace-path"`) {
			t.Errorf("graph: top candidate marked %v, %d reaches on the upstream path", first, onPath)
		}
		if kinds["node"] != len(wr.Nodes) || kinds["section"] != len(wr.Sections) || len(charts.Network.Links) != len(wr.Reaches) || !target {
			t.Errorf("graph: %v nodes, %d links, target marked %v", kinds, len(charts.Network.Links), target)
		}
		if w := do(t, h, "GET", "/water/trace", toks["w-county"], nil); w.Code != http.StatusForbidden {
			t.Errorf("county: %d, want 403 (tracing is the city's)", w.Code)
		}
		if w := do(t, h, "GET", "/water/trace?section=NOPE&time=2025-05-10T10:00", toks["w-city"], nil); w.Code != http.StatusNotFound {
			t.Errorf("unknown section: %d", w.Code)
		}
		if w := do(t, h, "GET", "/water/trace?section="+sec.Code+"&time=yesterday", toks["w-city"], nil); w.Code != http.StatusBadRequest {
			t.Errorf("bad time: %d", w.Code)
		}
	})
}

// traceSection is a section the seeded data lets the tracer run on.
func traceSection(t testing.TB, s *seeded) string {
	wr, err := s.St.WaterRegistry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return wr.Sections[5].Code
}
