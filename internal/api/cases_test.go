package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The closed loop's API: every route of the route table (including routes
// other files append) for every role, plus CSRF, the login rate limit,
// optimistic concurrency, audit records, evidence limits and a petition's
// whole life.

const (
	countyX = "371502" // 东昌府区: enterprise A (usccPlant)
	countyY = "371581" // 临清市: enterprise B (usccBear)
)

// cheap keeps the argon2id cost of test users low; the production cost is
// checked in internal/auth.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 200)...)

type roleFixture struct {
	h      http.Handler
	st     store.Store
	svc    *casesvc.Service
	au     *auth.Service
	tokens map[string]string // role → bearer token
	caseX  cases.Case
	caseY  cases.Case
	petX   string // tracking code of a petition in county X
	keyX   string // its rating key (the petitioner's)
	evX    string // evidence hash attached to caseX
	marks  *marksvc.Service
	n      atomic.Int64
}

var roleNames = []string{"anonymous", "public", "enterpriseA", "enterpriseB", "countyX", "countyY", "city", "machine", "display"}

var roleUsers = map[string]model.User{
	"enterpriseA": {ID: "ent-a", Name: "A", Role: model.RoleEnterprise, Enterprise: usccPlant, County: countyX},
	"enterpriseB": {ID: "ent-b", Name: "B", Role: model.RoleEnterprise, Enterprise: usccBear, County: countyY},
	"countyX":     {ID: "county-x", Name: "X", Role: model.RoleCounty, County: countyX},
	"countyY":     {ID: "county-y", Name: "Y", Role: model.RoleCounty, County: countyY},
	"city":        {ID: "city", Name: "city", Role: model.RoleCity},
	"machine":     {ID: "bot", Name: "alert rules", Role: model.RoleMachine},
	"display":     {ID: "wall", Name: "指挥中心大屏", Role: model.RoleDisplay},
}

func principalFor(role string) auth.Principal {
	u, ok := roleUsers[role]
	if !ok {
		return auth.Anonymous
	}
	return auth.Principal{User: u.ID, Role: u.Role, County: u.County, Enterprise: u.Enterprise, Via: "token"}
}

func newRoleFixture(t *testing.T, st store.Store) *roleFixture {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return testNow }
	fx := &roleFixture{st: st, tokens: map[string]string{}}
	fx.au = auth.New(st, auth.Options{Now: now, Params: cheap})
	fx.svc = &casesvc.Service{St: st, DataDir: t.TempDir(), Now: now}
	fx.marks = &marksvc.Service{St: st, Cases: fx.svc, Now: now}
	fx.h = New(Config{Now: now, Auth: fx.au, Cases: fx.svc, Marks: fx.marks}, st, nil)
	for _, role := range roleNames {
		u, ok := roleUsers[role]
		if !ok {
			continue
		}
		h, err := auth.HashPassword("password-"+u.ID, cheap)
		if err != nil {
			t.Fatal(err)
		}
		u.PasswordHash, u.CreatedAt = h, testNow
		if err := st.PutUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		tok, err := fx.au.NewToken(ctx, u.ID, "test", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		fx.tokens[role] = tok
	}
	city := principalFor("city")
	// Bytes of its own: a party that uploads the same bytes has them,
	// and may attach and read them (casesvc.UploadedBy).
	a, err := fx.svc.PutEvidence(ctx, bytes.NewReader(append(append([]byte{}, pngBytes...), "X-MARK evidence"...)), "x.png", "someone")
	if err != nil {
		t.Fatal(err)
	}
	fx.evX = a.Hash
	fx.caseX, err = fx.svc.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "air-industry", County: countyX,
		Enterprise: usccPlant, Severity: cases.SeverityGeneral, Title: "X-MARK boiler bypass", Evidence: []string{a.Hash}}, city)
	if err != nil {
		t.Fatal(err)
	}
	fx.caseY, err = fx.svc.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "water", County: countyY,
		Enterprise: usccBear, Severity: cases.SeverityMajor, Title: "Y-MARK effluent"}, city)
	if err != nil {
		t.Fatal(err)
	}
	sp, _, err := fx.svc.Intake(ctx, cases.Petition{Category: cases.CategoryAir, County: countyX, Location: "X-MARK road",
		Description: "X-MARK smoke at night", Contact: "13800000000"})
	if err != nil {
		t.Fatal(err)
	}
	fx.petX, fx.keyX = sp.Code, sp.RatingKey
	for _, c := range []string{countyX, countyY} {
		mark := map[string]string{countyX: "X-MARK", countyY: "Y-MARK"}[c]
		if _, err := fx.svc.Patrol(ctx, store.Patrol{County: c, Area: mark + " river reach", StartedAt: testNow.Add(-2 * time.Hour), EndedAt: testNow.Add(-time.Hour)}, city); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// foreign lists strings that must never appear in an answer to a role:
// the other county's and enterprise's identifiers and marked titles.
func (fx *roleFixture) foreign(role string) []string {
	switch role {
	case "countyX", "enterpriseA":
		return []string{usccBear, mnBearing, "Y-MARK", fx.caseY.ID}
	case "countyY", "enterpriseB":
		return []string{usccPlant, mnPlant, "X-MARK", fx.caseX.ID, fx.petX}
	}
	return nil
}

// roleRequest is one request of the matrix.
type roleRequest struct {
	method, path string
	body         []byte
	owner        string         // "X": the item belongs to county X / enterprise A
	ok           int            // status when allowed (default 200)
	want         map[string]int // explicit statuses by role
}

func jsonBody(v any) []byte { b, _ := json.Marshal(v); return b }

// roleSamples builds a request for a route; it may create what the
// request needs (a fresh case), so it is called once per role.
var roleSamples = map[string]func(fx *roleFixture) roleRequest{
	"GET /api/v1/health":      func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/health"} },
	"GET /metrics":            func(fx *roleFixture) roleRequest { return roleRequest{path: "/metrics"} },
	"GET /api/v1/counties":    func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/counties"} },
	"GET /api/v1/enterprises": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/enterprises"} },
	"GET /api/v1/enterprises/{uscc}": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/enterprises/" + usccPlant, owner: "X"}
	},
	"GET /api/v1/outlets":      func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/outlets"} },
	"GET /api/v1/devices":      func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/devices"} },
	"GET /api/v1/devices/{mn}": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/devices/" + mnPlant, owner: "X"} },
	"GET /api/v1/measurements": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/measurements?mn=" + mnPlant + "&period=min&from=2026-03-15T10:00:00%2B08:00&to=2026-03-15T11:00:00%2B08:00", owner: "X"}
	},
	"GET /api/v1/devices/{mn}/frames": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/devices/" + mnPlant + "/frames", owner: "X"}
	},
	"GET /api/v1/quarantine": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/quarantine"} },
	"POST /api/v1/login": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/login", body: jsonBody(map[string]string{"user": "city", "password": "password-city"})}
	},
	"POST /api/v1/logout": func(fx *roleFixture) roleRequest { return roleRequest{method: "POST", path: "/api/v1/logout"} },
	"GET /api/v1/me":      func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/me"} },
	"GET /api/v1/inbox":   func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/inbox"} },
	"GET /api/v1/users":   func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/users"} },
	"POST /api/v1/users": func(fx *roleFixture) roleRequest {
		id := fmt.Sprintf("new-user-%d", fx.n.Add(1))
		return roleRequest{method: "POST", path: "/api/v1/users", ok: 201,
			body: jsonBody(map[string]string{"id": id, "name": "n", "role": "county", "county": countyX, "password": "long-enough-1"})}
	},
	"POST /api/v1/users/{id}": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/users/county-y", body: jsonBody(map[string]string{"name": "临清市环保分局"})}
	},
	"GET /api/v1/audit":    func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/audit"} },
	"GET /api/v1/displays": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/displays"} },
	"POST /api/v1/displays": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/displays", ok: 201, body: jsonBody(map[string]any{"name": "指挥中心大屏", "days": 7})}
	},
	"POST /api/v1/displays/{id}/revoke": func(fx *roleFixture) roleRequest {
		_, c, err := fx.au.NewDisplayCode(context.Background(), "会商室", 0, nil)
		if err != nil {
			panic(err)
		}
		return roleRequest{method: "POST", path: "/api/v1/displays/" + c.ID + "/revoke"}
	},
	"GET /api/v1/cases": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/cases"} },
	"POST /api/v1/cases": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/cases", ok: 201, owner: "X",
			body: jsonBody(cases.Case{Source: cases.SourceInspection, Line: "air-dust", County: countyX, Enterprise: usccPlant, Severity: 1, Title: "X-MARK dust"}),
			// County Y may not register in X, enterprises never register.
			want: map[string]int{"countyY": 403, "enterpriseA": 403, "enterpriseB": 403}}
	},
	"GET /api/v1/cases/{id}": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/cases/" + fx.caseX.ID, owner: "X"}
	},
	"POST /api/v1/cases/{id}/actions": func(fx *roleFixture) roleRequest {
		c := fx.freshCase()
		return roleRequest{method: "POST", path: "/api/v1/cases/" + c.ID + "/actions", owner: "X",
			body: jsonBody(map[string]any{"kind": "accept", "seq": c.Seq}),
			// Acceptance is the bureau's: the enterprise and the alert
			// rules (system) may not.
			want: map[string]int{"enterpriseA": 403, "machine": 403}}
	},
	"GET /api/v1/stats/cases": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/stats/cases"} },
	"POST /api/v1/evidence": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/evidence?name=p.png", body: pngBytes, ok: 201}
	},
	"GET /api/v1/evidence/{hash}": func(fx *roleFixture) roleRequest {
		// Machines read case lists, not evidence files: the same answer
		// as a file that does not exist.
		return roleRequest{path: "/api/v1/evidence/" + fx.evX + "?case=" + fx.caseX.ID, owner: "X", want: map[string]int{"machine": 404}}
	},
	"POST /api/v1/public/evidence": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/public/evidence", body: pngBytes, ok: 201}
	},
	"POST /api/v1/public/petitions": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/public/petitions", ok: 201,
			body: jsonBody(map[string]any{"category": "noise", "county": countyX, "location": "X-MARK square", "description": "X-MARK loud", "anonymous": true})}
	},
	"GET /api/v1/public/petitions/{code}": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/public/petitions/" + cases.FormatTrackingCode(fx.petX), owner: "public"}
	},
	"POST /api/v1/public/petitions/{code}/callback": func(fx *roleFixture) roleRequest {
		// Not closed yet: the rules refuse the rating, for everyone alike
		// (with the petitioner's key; without it, 400 or 403).
		return roleRequest{method: "POST", path: "/api/v1/public/petitions/" + fx.petX + "/callback", ok: 409, owner: "public",
			body: jsonBody(map[string]string{"satisfaction": "satisfied", "rating_key": fx.keyX})}
	},
	"GET /api/v1/petitions": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/petitions"} },
	"POST /api/v1/petitions/{code}/reply": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/petitions/" + fx.petX + "/reply", owner: "X",
			body: jsonBody(map[string]string{"reply": "已责令停工整改"})}
	},
	"GET /api/v1/stats/patrols": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/stats/patrols"} },
	"POST /api/v1/patrols": func(fx *roleFixture) roleRequest {
		return roleRequest{method: "POST", path: "/api/v1/patrols", ok: 201,
			body: jsonBody(map[string]any{"county": countyX, "area": "X-MARK canal", "started_at": testNow.Add(-time.Hour), "ended_at": testNow,
				"findings": []map[string]any{{"description": "X-MARK oil film", "line": "water"}}}),
			want: map[string]int{"countyY": 403}}
	},
	"GET /api/v1/patrols": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/patrols"} },
	"GET /api/v1/marks":   func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/marks"} },
	"POST /api/v1/marks": func(fx *roleFixture) roleRequest {
		// Only the enterprise marks, and only its own devices.
		return roleRequest{method: "POST", path: "/api/v1/marks", ok: 201, owner: "X", body: jsonBody(markInput()),
			want: map[string]int{"countyX": 403, "countyY": 403, "city": 403, "machine": 403}}
	},
	"GET /api/v1/marks/{id}": func(fx *roleFixture) roleRequest {
		return roleRequest{path: "/api/v1/marks/" + fx.freshMark().ID, owner: "X"}
	},
	"POST /api/v1/marks/{id}": func(fx *roleFixture) roleRequest {
		m := fx.freshMark()
		in := markInput()
		in.Reason = "X-MARK 更正"
		return roleRequest{method: "POST", path: "/api/v1/marks/" + m.ID, owner: "X", body: jsonBody(map[string]any{"version": m.Version, "mn": in.MN,
			"type": in.Type, "from": in.From, "to": in.To, "reason": in.Reason}),
			want: map[string]int{"countyX": 403, "city": 403, "machine": 403}}
	},
	"POST /api/v1/marks/{id}/review": func(fx *roleFixture) roleRequest {
		m := fx.freshMark()
		// The bureau reviews; enterprises and machines never do.
		return roleRequest{method: "POST", path: "/api/v1/marks/" + m.ID + "/review", owner: "X",
			body: jsonBody(map[string]any{"version": m.Version, "accept": true}),
			want: map[string]int{"enterpriseA": 403, "enterpriseB": 403, "machine": 403}}
	},
	"GET /api/v1/marks-rules":    func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/marks-rules"} },
	"GET /api/v1/mark-decisions": func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/mark-decisions"} },
	"GET /api/v1/rates":          func(fx *roleFixture) roleRequest { return roleRequest{path: "/api/v1/rates?day=2026-03-15"} },
}

func markInput() marksvc.Input {
	return marksvc.Input{MN: mnPlant, Type: "eq-maintenance", From: testNow.Add(-time.Hour), To: testNow.Add(time.Hour), Reason: "X-MARK 例行维护"}
}

// freshMark records a new mark of enterprise A.
func (fx *roleFixture) freshMark() marking.Mark {
	m, err := fx.marks.Create(context.Background(), markInput(), principalFor("enterpriseA"))
	if err != nil {
		panic(err)
	}
	return m
}

// freshCase registers a new case in county X for enterprise A.
func (fx *roleFixture) freshCase() cases.Case {
	c, err := fx.svc.Register(context.Background(), cases.Case{Source: cases.SourcePatrol, Line: "air-dust", County: countyX,
		Enterprise: usccPlant, Severity: 1, Title: "X-MARK fresh"}, principalFor("city"))
	if err != nil {
		panic(err)
	}
	return c
}

func effectiveScope(rt route) string {
	if o, ok := scopeOverrides[rt.pattern]; ok {
		return o
	}
	return rt.scope
}

// expected is the status a role must get: 401 anonymous / 403 without
// the scope, 404 for an item outside the row scope, else the sample's.
func (rr roleRequest) expected(role string, rt route) int {
	if w, ok := rr.want[role]; ok {
		return w
	}
	p := principalFor(role)
	if !auth.Allowed(p, effectiveScope(rt)) {
		if !p.Authenticated() {
			return 401
		}
		return 403
	}
	if rr.owner == "X" && (role == "countyY" || role == "enterpriseB") {
		return 404
	}
	if rr.ok != 0 {
		return rr.ok
	}
	return 200
}

var pathVar = regexp.MustCompile(`\{[^}]+\}`)

func (fx *roleFixture) do(t *testing.T, role string, rr roleRequest) *httptest.ResponseRecorder {
	t.Helper()
	method := rr.method
	if method == "" {
		method = "GET"
	}
	var body io.Reader
	if rr.body != nil {
		body = bytes.NewReader(rr.body)
	}
	req := httptest.NewRequest(method, rr.path, body)
	if tok, ok := fx.tokens[role]; ok {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	return rec
}

func TestRoleMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st store.Store) { testRoleMatrix(t, seed(t, st)) })
}

// testRoleMatrix runs every route of the route table for every role. Routes
// without a sample (added by other files) still run: with their path
// variables filled with a dummy, each role must be refused exactly when
// its scope does not cover the route, and no answer may carry foreign rows.
func testRoleMatrix(t *testing.T, st store.Store) {
	fx := newRoleFixture(t, st)
	for _, rt := range routeTable() {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		for _, role := range roleNames {
			t.Run(rt.pattern+"/"+role, func(t *testing.T) {
				sample, known := roleSamples[rt.pattern]
				var rr roleRequest
				if known {
					rr = sample(fx)
				} else {
					rr = roleRequest{method: method, path: pathVar.ReplaceAllString(pattern, "zzz")}
					if method == "POST" {
						rr.body = []byte("{}")
					}
				}
				rec := fx.do(t, role, rr)
				want := rr.expected(role, rt)
				switch {
				case known && rec.Code != want:
					t.Fatalf("%s %s as %s: status %d, want %d: %s", rr.method, rr.path, role, rec.Code, want, rec.Body)
				case !known && (want == 401 || want == 403) && rec.Code != want:
					t.Fatalf("%s as %s: status %d, want %d: %s", rr.path, role, rec.Code, want, rec.Body)
				case !known && want != 401 && want != 403 && (rec.Code == 401 || rec.Code == 403 && method == "GET"):
					// A write may still be refused by the handler's own
					// rules (403); a read of a foreign item is a 404.
					t.Fatalf("%s as %s: refused with %d, the role's scope covers it: %s", rr.path, role, rec.Code, rec.Body)
				}
				// The public tracking page echoes its code: the code is the
				// credential, whoever holds it may read its petition.
				if rec.Code/100 == 2 && rr.owner != "public" {
					for _, m := range fx.foreign(role) {
						if strings.Contains(rec.Body.String(), m) {
							t.Errorf("%s as %s: answer contains foreign %q: %s", rr.path, role, m, rec.Body)
						}
					}
				}
			})
		}
	}
}

// A county user's case list holds exactly their county's cases, and a
// filter naming the other county gives none.
func TestCaseListScope(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	type list struct {
		Cases []caseView `json:"cases"`
	}
	get := func(role, path string) list {
		rec := fx.do(t, role, roleRequest{path: path})
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		var l list
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	all := get("city", "/api/v1/cases")
	counts := map[string]int{}
	for _, c := range all.Cases {
		counts[c.County]++
	}
	// X: its case and the petition's; Y: its case (the patrols found nothing).
	if len(all.Cases) != 3 || counts[countyX] != 2 || counts[countyY] != 1 {
		t.Fatalf("city sees %d cases by county %v, want 3: X 2, Y 1", len(all.Cases), counts)
	}
	x := get("countyX", "/api/v1/cases")
	for _, c := range x.Cases {
		if c.County != countyX {
			t.Errorf("county X sees a case of %s", c.County)
		}
	}
	if len(x.Cases) != 2 {
		t.Errorf("county X sees %d cases, want 2 (its case and its petition's)", len(x.Cases))
	}
	if l := get("countyX", "/api/v1/cases?county="+countyY); len(l.Cases) != 0 {
		t.Errorf("county X filtering on Y sees %d cases", len(l.Cases))
	}
	a := get("enterpriseA", "/api/v1/cases")
	if len(a.Cases) != 1 || a.Cases[0].ID != fx.caseX.ID {
		t.Errorf("enterprise A sees %+v", a.Cases)
	}
	var sum cases.Summary
	rec := fx.do(t, "countyY", roleRequest{path: "/api/v1/stats/cases"})
	if err := json.Unmarshal(rec.Body.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Total != 1 || sum.ByCounty[countyY] != 1 || sum.ByCounty[countyX] != 0 {
		t.Errorf("county Y statistics %+v", sum)
	}
}

// login returns the session cookie and CSRF token of a password login.
func login(t *testing.T, h http.Handler, user, pw string) (*http.Cookie, string, int) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(fmt.Sprintf(`{"user":%q,"password":%q}`, user, pw)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		return nil, "", rec.Code
	}
	var body struct {
		CSRF string `json:"csrf"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	var sess *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.SessionCookie {
			sess = c
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax", c)
			}
		}
	}
	if sess == nil || body.CSRF == "" {
		t.Fatalf("login: no session cookie or csrf: %v %s", rec.Result().Cookies(), rec.Body)
	}
	return sess, body.CSRF, rec.Code
}

func TestSessionCSRF(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	sess, csrf, _ := login(t, fx.h, "county-x", "password-county-x")
	act := func(hdr string) *httptest.ResponseRecorder {
		c := fx.freshCase()
		req := httptest.NewRequest("POST", "/api/v1/cases/"+c.ID+"/actions", strings.NewReader(`{"kind":"accept"}`))
		req.AddCookie(sess)
		if hdr != "" {
			req.Header.Set(auth.CSRFHeader, hdr)
		}
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		return rec
	}
	if rec := act(""); rec.Code != 403 || decodeError(t, rec).Error.Field != auth.CSRFHeader {
		t.Errorf("cookie write without CSRF header: %d %s", rec.Code, rec.Body)
	}
	if rec := act("wrong-" + csrf); rec.Code != 403 {
		t.Errorf("cookie write with a wrong CSRF header: %d %s", rec.Code, rec.Body)
	}
	if rec := act(csrf); rec.Code != 200 {
		t.Errorf("cookie write with the CSRF header: %d %s", rec.Code, rec.Body)
	}
	// Reads need no CSRF token; the session knows who it is.
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.AddCookie(sess)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"county":"`+countyX+`"`) {
		t.Errorf("me: %d %s", rec.Code, rec.Body)
	}
	// After logout the cookie is worthless.
	req = httptest.NewRequest("POST", "/api/v1/logout", nil)
	req.AddCookie(sess)
	req.Header.Set(auth.CSRFHeader, csrf)
	rec = httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("GET", "/api/v1/me", nil)
	req.AddCookie(sess)
	rec = httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("me after logout: %d", rec.Code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	for i := range 5 {
		if _, _, code := login(t, fx.h, "county-x", "wrong"); code != 401 {
			t.Fatalf("attempt %d: %d, want 401", i+1, code)
		}
	}
	// The sixth attempt is refused even with the right password.
	if _, _, code := login(t, fx.h, "county-x", "password-county-x"); code != 429 {
		t.Fatalf("after 5 failures: %d, want 429", code)
	}
	// Another user from the same address is not yet limited (20 per IP).
	if _, _, code := login(t, fx.h, "county-y", "password-county-y"); code != 200 {
		t.Fatalf("other user: %d, want 200", code)
	}
	// Logins are audited, failures too, never with the password: the
	// first failure at once, the others of the window in one row.
	if err := fx.au.FlushLoginAudit(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	as, err := fx.st.Audit(context.Background(), "user/county-x", 20)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, a := range as {
		if a.Action == "user.login-failed" {
			failed = append(failed, a.After)
		}
		if strings.Contains(a.Before+a.After, "password") {
			t.Errorf("audit record holds a password: %+v", a)
		}
	}
	if len(failed) != 2 || !strings.Contains(failed[0], `"attempts":4`) || !strings.Contains(failed[1], `"attempts":1`) {
		t.Errorf("failed logins audited as %q, want the first and then 4 more", failed)
	}
	refused, err := fx.st.Audit(context.Background(), "login", 20)
	if err != nil || len(refused) != 1 || refused[0].Action != "user.login-refused" || !strings.Contains(refused[0].After, `"attempts":1`) {
		t.Errorf("the limited attempt audited as %+v (%v)", refused, err)
	}
}

func TestCaseActions(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	c := fx.freshCase()
	post := func(role string, body any) *httptest.ResponseRecorder {
		return fx.do(t, role, roleRequest{method: "POST", path: "/api/v1/cases/" + c.ID + "/actions", body: jsonBody(body)})
	}
	// An invalid transition names the allowed moves.
	rec := post("city", map[string]any{"kind": "close"})
	var e struct {
		Error struct {
			Code    string       `json:"code"`
			Allowed []cases.Move `json:"allowed"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != 409 || e.Error.Code != "invalid_transition" || len(e.Error.Allowed) == 0 {
		t.Fatalf("close a registered case: %d %s", rec.Code, rec.Body)
	}
	var next []cases.State
	for _, m := range e.Error.Allowed {
		next = append(next, m.To)
	}
	if !strings.Contains(fmt.Sprint(next), "accepted") || !strings.Contains(fmt.Sprint(next), "rejected") {
		t.Errorf("allowed moves %v lack accept/reject", e.Error.Allowed)
	}
	// A stale seq is refused and writes nothing.
	if rec := post("city", map[string]any{"kind": "accept", "seq": c.Seq}); rec.Code != 200 {
		t.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	if rec := post("countyX", map[string]any{"kind": "reject", "seq": c.Seq, "reason": "late"}); rec.Code != 409 || decodeError(t, rec).Error.Code != "conflict" {
		t.Fatalf("stale seq: %d %s", rec.Code, rec.Body)
	}
	got, err := fx.st.Case(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := fx.st.CaseEvents(context.Background(), c.ID)
	if got.State != cases.StateAccepted || got.Seq != c.Seq+1 || len(evs) != got.Seq {
		t.Errorf("after a refused stale write: state %s seq %d, %d events", got.State, got.Seq, len(evs))
	}
	// Every write has an audit record with before and after.
	rec = fx.do(t, "city", roleRequest{path: "/api/v1/audit?target=case/" + c.ID})
	var au struct {
		Audit []model.AuditRecord `json:"audit"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &au)
	if len(au.Audit) != 2 {
		t.Fatalf("audit of %s: %d records (want register and accept): %s", c.ID, len(au.Audit), rec.Body)
	}
	last := au.Audit[0]
	if last.Action != "case.accept" || last.Actor != "city" || !strings.Contains(last.Before, `"state":"registered"`) || !strings.Contains(last.After, `"state":"accepted"`) {
		t.Errorf("audit record %+v", last)
	}
	// The store refuses to change the audit log.
	if err := fx.st.AppendAudit(context.Background(), model.AuditRecord{Actor: "x", Action: "t", Target: "t"}); err != nil {
		t.Fatal(err)
	}
}

func TestEvidenceLimits(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	up := func(body []byte) *httptest.ResponseRecorder {
		return fx.do(t, "countyX", roleRequest{method: "POST", path: "/api/v1/evidence", body: body})
	}
	if rec := up([]byte("just some text, not evidence")); rec.Code != 415 {
		t.Errorf("text: %d %s", rec.Code, rec.Body)
	}
	big := append(append([]byte{}, pngBytes...), make([]byte, casesvc.MaxEvidence)...)
	if rec := up(big); rec.Code != 413 {
		t.Errorf("over the limit: %d %s", rec.Code, rec.Body)
	}
	mine := append(append([]byte{}, pngBytes...), "county X's own photo"...)
	r1, r2 := up(mine), up(mine)
	if r1.Code != 201 || r2.Code != 201 {
		t.Fatalf("png: %d %d", r1.Code, r2.Code)
	}
	var a1, a2 store.Attachment
	_ = json.Unmarshal(r1.Body.Bytes(), &a1)
	_ = json.Unmarshal(r2.Body.Bytes(), &a2)
	if a1.Hash != a2.Hash || a1.Type != "image/png" || a1.Size != int64(len(mine)) {
		t.Errorf("attachments %+v %+v", a1, a2)
	}
	// The uploader may read it back; county Y may not.
	if rec := fx.do(t, "countyX", roleRequest{path: "/api/v1/evidence/" + a1.Hash}); rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), mine) {
		t.Errorf("download: %d", rec.Code)
	}
	if rec := fx.do(t, "countyY", roleRequest{path: "/api/v1/evidence/" + a1.Hash}); rec.Code != 404 {
		t.Errorf("download by county Y: %d", rec.Code)
	}
}

// A petition's life: intake, tracking, handling, callback, statistics; and
// the public intake rate limit.
func TestPetitionFlow(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	rec := fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions",
		body: jsonBody(map[string]any{"category": "water", "county": countyY, "location": "bridge", "description": "black water\nsince Monday", "contact": "13900000000"})})
	if rec.Code != 201 {
		t.Fatalf("intake: %d %s", rec.Code, rec.Body)
	}
	var in struct {
		Code      string `json:"code"`
		RatingKey string `json:"rating_key"`
		Case      string
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &in)
	if in.RatingKey == "" || strings.Contains(rec.Body.String(), `"case"`) {
		t.Errorf("intake answer: want a rating key and no case number: %s", rec.Body)
	}
	sp, err := fx.st.Petition(context.Background(), in.Code)
	if err != nil {
		t.Fatal(err)
	}
	in.Case = sp.Case
	track := func() publicPetition {
		rec := fx.do(t, "anonymous", roleRequest{path: "/api/v1/public/petitions/" + strings.ToLower(in.Code)})
		if rec.Code != 200 {
			t.Fatalf("track: %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "13900000000") {
			t.Errorf("tracking shows the contact: %s", rec.Body)
		}
		var p publicPetition
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		return p
	}
	if p := track(); p.State != cases.StateRegistered || p.Deadlines.AcceptBy.IsZero() {
		t.Errorf("tracking %+v", p)
	}
	up := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/evidence?name=done.png", body: append(append([]byte{}, pngBytes...), "county Y's photo"...)})
	var ev store.Attachment
	if err := json.Unmarshal(up.Body.Bytes(), &ev); err != nil || up.Code != 201 {
		t.Fatalf("upload: %d %s", up.Code, up.Body)
	}
	for _, a := range []map[string]any{
		{"kind": "accept"}, {"kind": "assign", "assignees": []string{"county-y"}}, {"kind": "start"},
		{"kind": "submit", "evidence": []string{ev.Hash}}, {"kind": "verify"}, {"kind": "close"},
	} {
		if rec := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/cases/" + in.Case + "/actions", body: jsonBody(a)}); rec.Code != 200 {
			t.Fatalf("%v: %d %s", a, rec.Code, rec.Body)
		}
	}
	rec = fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions/" + in.Code + "/callback", body: jsonBody(map[string]string{"satisfaction": "basically-satisfied", "rating_key": in.RatingKey})})
	if rec.Code != 200 {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "countyX", roleRequest{method: "POST", path: "/api/v1/petitions/" + in.Code + "/reply", body: jsonBody(map[string]string{"reply": "x"})}); rec.Code != 404 {
		t.Errorf("county X replies to a county Y petition: %d", rec.Code)
	}
	if rec := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/petitions/" + in.Code + "/reply", body: jsonBody(map[string]string{"reply": "排污口已封堵"})}); rec.Code != 200 {
		t.Errorf("reply: %d %s", rec.Code, rec.Body)
	}
	if p := track(); p.State != cases.StateClosed || p.Rated != cases.BasicallySatisfied || p.Reply != "排污口已封堵" {
		t.Errorf("after callback %+v", p)
	}
	var sum cases.Summary
	_ = json.Unmarshal(fx.do(t, "countyY", roleRequest{path: "/api/v1/stats/cases"}).Body.Bytes(), &sum)
	if sum.Petitions != 1 || sum.Rated != 1 || sum.SatisfactionRate != 1 || sum.Closed != 1 || sum.ClosedOnTime != 1 {
		t.Errorf("statistics %+v", sum)
	}
	// The county's inbox heard of it; county X's did not.
	if body := fx.do(t, "countyY", roleRequest{path: "/api/v1/inbox"}).Body.String(); !strings.Contains(body, in.Case) {
		t.Errorf("county Y inbox lacks %s: %s", in.Case, body)
	}
	if body := fx.do(t, "countyX", roleRequest{path: "/api/v1/inbox"}).Body.String(); strings.Contains(body, in.Case) {
		t.Errorf("county X inbox has %s", in.Case)
	}
	// Public intake is limited per IP: 10 an hour, one used above.
	codes := []int{}
	for range 10 {
		rec := fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions",
			body: jsonBody(map[string]any{"category": "other", "county": countyY, "location": "l", "description": "d", "anonymous": true})})
		codes = append(codes, rec.Code)
	}
	if codes[8] != 201 || codes[9] != 429 {
		t.Errorf("intake statuses %v: want 9 × 201 then 429", codes)
	}
}

func TestOpenModeOnlyWhenConfigured(t *testing.T) {
	st := seed(t, storetest.Open(t, storetest.SQLite))
	au := auth.New(st, auth.Options{Params: cheap})
	svc := &casesvc.Service{St: st, DataDir: t.TempDir()}
	closed := New(Config{Auth: au, Cases: svc}, st, nil)
	open := New(Config{Auth: au, Cases: svc, Open: true}, st, nil)
	if rec := do(t, closed, "GET", "/api/v1/counties"); rec.Code != 401 {
		t.Errorf("closed: %d", rec.Code)
	}
	if rec := do(t, open, "GET", "/api/v1/cases"); rec.Code != 200 {
		t.Errorf("open: %d %s", rec.Code, rec.Body)
	}
	// A wrong credential is refused even in open mode, not made anonymous.
	if rec := do(t, open, "GET", "/api/v1/cases", "Authorization", "Bearer ewt_nope"); rec.Code != 401 {
		t.Errorf("open with a bad token: %d", rec.Code)
	}
	// Static tokens of the configuration act as machines: data yes,
	// user administration no.
	static := New(Config{Auth: au, Cases: svc, Tokens: map[string]string{"static-tok-1": "dashboard"}}, st, nil)
	for _, tc := range []struct {
		path string
		want int
	}{{"/api/v1/devices", 200}, {"/metrics", 200}, {"/api/v1/users", 403}, {"/api/v1/quarantine", 403}} {
		if rec := do(t, static, "GET", tc.path, "Authorization", "Bearer static-tok-1"); rec.Code != tc.want {
			t.Errorf("static token %s: %d, want %d", tc.path, rec.Code, tc.want)
		}
	}
	if rec := do(t, static, "GET", "/api/v1/devices", "Authorization", "Bearer static-tok-2"); rec.Code != 401 {
		t.Errorf("unknown static token: %d", rec.Code)
	}
}

// Disabling a user through the API ends their access at once, and the
// audit shows the change without the password hash.
func TestUserDisable(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	if rec := fx.do(t, "countyY", roleRequest{path: "/api/v1/me"}); rec.Code != 200 {
		t.Fatalf("before: %d", rec.Code)
	}
	rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users/county-y", body: jsonBody(map[string]any{"disabled": true, "password": "a-new-password"})})
	if rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "countyY", roleRequest{path: "/api/v1/me"}); rec.Code != 401 {
		t.Errorf("disabled user's token: %d", rec.Code)
	}
	if rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users/county-y", body: jsonBody(map[string]any{"role": "enterprise"})}); rec.Code != 400 {
		t.Errorf("enterprise role without an enterprise: %d", rec.Code)
	}
	// The update, then what it ended (the user's token), newest first.
	as, _ := fx.st.Audit(context.Background(), "user/county-y", 10)
	if len(as) < 2 || as[1].Action != "user.update" || !strings.Contains(as[1].After, `"disabled":true`) || strings.Contains(as[1].Before+as[1].After, "argon2") ||
		as[0].Action != "user.credentials-ended" || as[0].After != `{"sessions":0,"tokens":1,"why":"user disabled"}` {
		t.Errorf("audit %+v", as)
	}
}

// A POST-only route answers other methods with 405 and Allow: POST.
func TestMethodNotAllowedOnWrites(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	for _, tc := range []struct{ method, path, allow string }{
		{"GET", "/api/v1/login", "POST"},
		{"DELETE", "/api/v1/cases/" + fx.caseX.ID + "/actions", "POST"},
		{"PUT", "/api/v1/cases", "GET, HEAD, POST"},
		{"POST", "/api/v1/counties", "GET, HEAD"},
	} {
		rec := fx.do(t, "city", roleRequest{method: tc.method, path: tc.path})
		if rec.Code != 405 || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 %q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.allow)
		}
	}
}
