package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// do serves one request and returns the recorded response.
func do(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func testHandler(st Store) http.Handler {
	return New(Config{Now: func() time.Time { return testNow }}, st, nil)
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, b)
	}
	return buf.Bytes()
}

// happyPaths are the endpoints' successful requests, each with a golden
// response. The JSON tests run them against the fake store and the
// SQLite store, which must give the same answers.
var happyPaths = []struct{ name, target string }{
	{"health", "/api/v1/health"},
	{"counties", "/api/v1/counties"},
	{"enterprises", "/api/v1/enterprises"},
	{"enterprises_county", "/api/v1/enterprises?county=371581"},
	{"enterprises_county_empty", "/api/v1/enterprises?county=371521"},
	{"enterprise", "/api/v1/enterprises/" + usccPlant},
	{"outlets", "/api/v1/outlets"},
	{"outlets_enterprise", "/api/v1/outlets?enterprise=" + usccBear},
	{"devices", "/api/v1/devices"},
	{"devices_online", "/api/v1/devices?state=online"},
	{"devices_never", "/api/v1/devices?state=never"},
	{"devices_county", "/api/v1/devices?county=371502&state=online"},
	{"devices_enterprise", "/api/v1/devices?enterprise=" + usccBear},
	{"device", "/api/v1/devices/" + mnPlant},
	{"measurements_min", "/api/v1/measurements?mn=" + mnPlant + "&factor=a21026,a34013&period=min&from=2026-03-15T10:00&to=2026-03-15T10:30"},
	{"measurements_min_all", "/api/v1/measurements?mn=" + mnPlant + "&period=min&from=2026-03-15T10:00:00%2B08:00&to=2026-03-15T02:30:00Z"},
	{"measurements_outlet_hour", "/api/v1/measurements?outlet=" + outPlant + "&factor=a21026&period=hour&from=2026-03-15"},
	{"measurements_rtd", "/api/v1/measurements?mn=" + mnPlant + "&period=rtd"},
	{"measurements_day", "/api/v1/measurements?mn=" + mnBearing + "&period=day&from=2026-03-01&to=2026-03-14"},
	{"measurements_unknown_factor", "/api/v1/measurements?mn=" + mnBearing + "&period=day&factor=w21003&from=2026-03-01"},
	{"frames", "/api/v1/devices/" + mnPlant + "/frames"},
	{"frames_page", "/api/v1/devices/" + mnPlant + "/frames?limit=2"},
	{"frames_status", "/api/v1/devices/" + mnPlant + "/frames?status=quarantined"},
	{"quarantine", "/api/v1/quarantine"},
	{"quarantine_rejected", "/api/v1/quarantine?status=rejected"},
	{"quarantine_mn", "/api/v1/quarantine?mn=UNKNOWN000001&from=2026-03-15T10:00&to=2026-03-15T11:00"},
}

func TestHappyPathsGolden(t *testing.T) {
	h := testHandler(newFixtureStore())
	for _, tc := range happyPaths {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			golden.Check(t, "testdata/"+tc.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}
}

// A device password must not reach any response: not from the registry,
// and not from raw frames (masked there), not even base64-encoded.
func TestNeverServesPasswords(t *testing.T) {
	h := testHandler(newFixtureStore())
	for _, tc := range happyPaths {
		rec := do(t, h, "GET", tc.target)
		body := rec.Body.String()
		if strings.Contains(body, secretPW) || strings.Contains(strings.ToLower(body), `"password"`) {
			t.Errorf("%s: response shows a password: %s", tc.target, body)
		}
		// Check the base64 of each frame decoded, not substrings, since
		// base64 alignment varies.
		var p framesPage
		if json.Unmarshal(rec.Body.Bytes(), &p) == nil {
			for _, f := range p.Frames {
				raw, err := base64.StdEncoding.DecodeString(f.RawBase64)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(raw, []byte(secretPW)) {
					t.Errorf("%s: frame %d base64 holds the password", tc.target, f.ID)
				}
			}
		}
	}
}

// Unredacted frames need a token: refused in open mode, served exactly with
// a valid token.
func TestUnredactedFrames(t *testing.T) {
	target := "/api/v1/devices/" + mnPlant + "/frames?status=accepted&limit=1&before_id=2&unredacted=true"
	rec := do(t, testHandler(newFixtureStore()), "GET", target)
	if rec.Code != 403 {
		t.Fatalf("open mode: status %d: %s", rec.Code, rec.Body)
	}
	if e := decodeError(t, rec); e.Error.Code != "forbidden" || e.Error.Field != "unredacted" {
		t.Errorf("open mode: error %+v", e.Error)
	}
	h := New(Config{Tokens: map[string]string{"tok": "evidence-clerk"}}, newFixtureStore(), nil)
	rec = do(t, h, "GET", target, "Authorization", "Bearer tok")
	if rec.Code != 200 {
		t.Fatalf("with token: status %d: %s", rec.Code, rec.Body)
	}
	var p framesPage
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Frames) != 1 || p.Frames[0].ID != 1 {
		t.Fatalf("frames %+v", p.Frames)
	}
	raw, _ := base64.StdEncoding.DecodeString(p.Frames[0].RawBase64)
	if !bytes.Equal(raw, testRaw()[0].Raw) || p.Frames[0].Redacted {
		t.Errorf("unredacted frame differs from the archive: %q", raw)
	}
	if rec := do(t, h, "GET", strings.Replace(target, "=true", "=yes", 1), "Authorization", "Bearer tok"); rec.Code != 400 {
		t.Errorf("unredacted=yes: status %d", rec.Code)
	}
}

// errorBody is the JSON error format.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type %q", ct)
	}
	return e
}

func TestErrors(t *testing.T) {
	m := "/api/v1/measurements?mn=" + mnPlant
	tests := []struct {
		method, target string
		status         int
		code, field    string
		message        string // exact when it has no "…"; else a prefix up to it
	}{
		{"GET", m + "&from=2026-13-01", 400, "invalid_parameter", "from", `from: cannot parse "2026-13-01": month out of range`},
		{"GET", m + "&to=2026-02-30", 400, "invalid_parameter", "to", `to: cannot parse "2026-02-30": day out of range`},
		{"GET", m + "&from=yesterday", 400, "invalid_parameter", "from", `from: cannot parse "yesterday": want RFC 3339 (2026-03-01T08:00:00+08:00) or YYYY-MM-DD[THH:MM] in China time`},
		{"GET", m + "&from=2026-03-15T25:00", 400, "invalid_parameter", "from", `from: cannot parse "2026-03-15T25:00": hour out of range`},
		{"GET", m + "&from=2026-03-15&to=2026-03-14", 400, "invalid_parameter", "from", "from: 2026-03-15T00:00:00+08:00 is not before to (2026-03-15T00:00:00+08:00)"},
		{"GET", m + "&period=week", 400, "invalid_parameter", "period", `period: "week" is not one of rtd, min, hour, day`},
		{"GET", m + "&period=min&from=2026-01-01&to=2026-02-15", 400, "range_too_large", "to", "to: range 2026-01-01T00:00:00+08:00 to 2026-02-16T00:00:00+08:00 is longer than the 31 days allowed for period=min; split the request"},
		{"GET", m + "&period=rtd&from=2026-03-13", 400, "range_too_large", "to", "to: range 2026-03-13T00:00:00+08:00 to 2026-03-15T12:00:00+08:00 is longer than the 1 day allowed for period=rtd; split the request"},
		{"GET", m + "&factor=a21026,SO2!", 400, "invalid_parameter", "factor", `factor: "SO2!" is not a pollutant code (letters and digits, e.g. a21026)`},
		{"GET", m + "&factor=a21026,", 400, "invalid_parameter", "factor", `factor: "" is not a pollutant code (letters and digits, e.g. a21026)`},
		{"GET", m + "&format=xlsx", 400, "invalid_parameter", "format", `format: "xlsx" is not one of json, csv`},
		{"GET", m + "&factors=a21026", 400, "invalid_parameter", "factors", "factors: unknown parameter; this endpoint takes mn, outlet, factor, period, from, to, format"},
		{"GET", m + "&period=min&period=hour", 400, "invalid_parameter", "period", "period: given 2 times; give it once"},
		{"GET", "/api/v1/measurements?period=min", 400, "missing_parameter", "mn", "mn: give mn (a device) or outlet"},
		{"GET", m + "&outlet=" + outPlant, 400, "invalid_parameter", "outlet", "outlet: give mn or outlet, not both"},
		{"GET", "/api/v1/measurements?mn=NOPE", 404, "not_found", "mn", `no device with MN "NOPE"`},
		{"GET", "/api/v1/measurements?outlet=NOPE", 404, "not_found", "outlet", `no outlet with ID "NOPE"`},
		{"GET", "/api/v1/measurements?mn=%zz", 400, "invalid_parameter", "", "malformed query string: …"},
		{"GET", "/api/v1/devices/NOPE", 404, "not_found", "mn", `no device with MN "NOPE"`},
		{"GET", "/api/v1/devices/NOPE/frames", 404, "not_found", "mn", `no device with MN "NOPE" (frames of unknown MNs are under /api/v1/quarantine?mn=)`},
		{"GET", "/api/v1/devices/" + mnPlant + "/frames?limit=0", 400, "invalid_parameter", "limit", "limit: 0 is out of range [1, 1000]"},
		{"GET", "/api/v1/devices/" + mnPlant + "/frames?limit=5000", 400, "invalid_parameter", "limit", "limit: 5000 is out of range [1, 1000]"},
		{"GET", "/api/v1/devices/" + mnPlant + "/frames?before_id=x", 400, "invalid_parameter", "before_id", `before_id: cannot parse "x" as an integer`},
		{"GET", "/api/v1/devices/" + mnPlant + "/frames?status=ok", 400, "invalid_parameter", "status", `status: "ok" is not one of accepted, quarantined, rejected, duplicate`},
		{"GET", "/api/v1/quarantine?status=accepted", 400, "invalid_parameter", "status", `status: "accepted" is not one of quarantined, rejected`},
		{"GET", "/api/v1/enterprises/NOPE", 404, "not_found", "uscc", `no enterprise with USCC "NOPE"`},
		{"GET", "/api/v1/enterprises?county=999999", 404, "not_found", "county", `no county with code "999999"`},
		{"GET", "/api/v1/outlets?enterprise=NOPE", 404, "not_found", "enterprise", `no enterprise with USCC "NOPE"`},
		{"GET", "/api/v1/devices?state=sleeping", 400, "invalid_parameter", "state", `state: "sleeping" is not one of online, offline, never`},
		{"GET", "/api/v1/devices?county=999999", 404, "not_found", "county", `no county with code "999999"`},
		{"GET", "/api/v1/devices?enterprise=NOPE", 404, "not_found", "enterprise", `no enterprise with USCC "NOPE"`},
		{"GET", "/api/v1/counties?x=1", 400, "invalid_parameter", "x", "x: unknown parameter; this endpoint takes none"},
		{"GET", "/api/v1/nothing", 404, "not_found", "", "no such endpoint: /api/v1/nothing"},
		{"GET", "/", 404, "not_found", "", "no such endpoint: /"},
		{"POST", "/api/v1/counties", 405, "method_not_allowed", "", "method POST not allowed; the API is read-only (GET, HEAD)"},
		{"DELETE", "/api/v1/devices/" + mnPlant, 405, "method_not_allowed", "", "method DELETE not allowed; the API is read-only (GET, HEAD)"},
	}
	h := testHandler(newFixtureStore())
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			rec := do(t, h, tc.method, tc.target)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			e := decodeError(t, rec)
			if e.Error.Code != tc.code || e.Error.Field != tc.field {
				t.Errorf("code/field %q/%q, want %q/%q", e.Error.Code, e.Error.Field, tc.code, tc.field)
			}
			if prefix, ok := strings.CutSuffix(tc.message, "…"); ok {
				if !strings.HasPrefix(e.Error.Message, prefix) {
					t.Errorf("message %q, want prefix %q", e.Error.Message, prefix)
				}
			} else if e.Error.Message != tc.message {
				t.Errorf("message\n got %q\nwant %q", e.Error.Message, tc.message)
			}
			if statusOf(Code(e.Error.Code)) != rec.Code {
				t.Errorf("status %d disagrees with the catalogue's %d for %s", rec.Code, statusOf(Code(e.Error.Code)), e.Error.Code)
			}
			if tc.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
}

// routeSamples gives a request for every route in the route table; the
// auth matrix test fails for a route without one, so new routes get tested.
var routeSamples = map[string]string{
	"GET /api/v1/health":              "/api/v1/health",
	"GET /metrics":                    "/metrics",
	"GET /api/v1/counties":            "/api/v1/counties",
	"GET /api/v1/enterprises":         "/api/v1/enterprises",
	"GET /api/v1/enterprises/{uscc}":  "/api/v1/enterprises/" + usccPlant,
	"GET /api/v1/outlets":             "/api/v1/outlets",
	"GET /api/v1/devices":             "/api/v1/devices",
	"GET /api/v1/devices/{mn}":        "/api/v1/devices/" + mnPlant,
	"GET /api/v1/measurements":        "/api/v1/measurements?mn=" + mnPlant,
	"GET /api/v1/devices/{mn}/frames": "/api/v1/devices/" + mnPlant + "/frames",
	"GET /api/v1/quarantine":          "/api/v1/quarantine",
}

func TestAuthMatrix(t *testing.T) {
	cfg := Config{Now: func() time.Time { return testNow }, Tokens: map[string]string{"tok-dashboard-1": "dashboard", "tok-ops-2": "ops"}}
	secured := New(cfg, newFixtureStore(), nil)
	open := testHandler(newFixtureStore())
	for _, rt := range routeTable() {
		if isCasesRoute(rt.pattern) {
			continue // needs Config.Auth; TestRoleMatrix covers it for every role
		}
		if isRightsRoute(rt.pattern) {
			continue // needs Config.Rights; TestRightsAuth covers it
		}
		target, ok := routeSamples[rt.pattern]
		if !ok {
			t.Errorf("route %s has no sample request in routeSamples", rt.pattern)
			continue
		}
		public := rt.scope == ScopePublic
		cases := []struct {
			name   string
			h      http.Handler
			hdr    []string
			status int
		}{
			{"no tokens configured", open, nil, 200},
			{"no token", secured, nil, 401},
			{"valid token", secured, []string{"Authorization", "Bearer tok-dashboard-1"}, 200},
			{"other valid token, lowercase scheme", secured, []string{"Authorization", "bearer tok-ops-2"}, 200},
			{"bad token", secured, []string{"Authorization", "Bearer tok-dashboard-2"}, 401},
			{"token prefix", secured, []string{"Authorization", "Bearer tok-dashboard-"}, 401},
			{"basic auth", secured, []string{"Authorization", "Basic dG9rLWRhc2hib2FyZC0xOg=="}, 401},
			{"empty bearer", secured, []string{"Authorization", "Bearer "}, 401},
		}
		for _, c := range cases {
			t.Run(rt.pattern+"/"+c.name, func(t *testing.T) {
				want := c.status
				if public {
					want = 200 // e.g. the health check for load balancers
				}
				rec := do(t, c.h, "GET", target, c.hdr...)
				if rec.Code != want {
					t.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
				}
				if want == 401 {
					if e := decodeError(t, rec); e.Error.Code != "unauthorized" {
						t.Errorf("code %q", e.Error.Code)
					}
					if rec.Header().Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
				}
			})
		}
	}
}

// An empty token in the map is never valid, and a map holding only an
// empty token fails closed rather than opening the API.
func TestEmptyTokenIgnored(t *testing.T) {
	for _, tokens := range []map[string]string{{"": "oops", "real": "x"}, {"": "oops"}} {
		h := New(Config{Tokens: tokens}, newFixtureStore(), nil)
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer "}, {"Authorization", "Bearer"}} {
			if rec := do(t, h, "GET", "/api/v1/counties", hdr...); rec.Code != 401 {
				t.Errorf("tokens %v, header %q: status %d", tokens, hdr, rec.Code)
			}
		}
	}
}

// The state boundary through the API, with a configured threshold and the
// injected clock: the device is online at exactly OfflineAfter and offline
// one second later.
func TestDeviceStateBoundaryHTTP(t *testing.T) {
	st := newFixtureStore()
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{testNow.Add(-5 * time.Minute).Add(10 * time.Minute), model.DeviceOnline},
		{testNow.Add(-5 * time.Minute).Add(10*time.Minute + time.Second), model.DeviceOffline},
	} {
		h := New(Config{Now: func() time.Time { return tc.now }, OfflineAfter: 10 * time.Minute}, st, nil)
		rec := do(t, h, "GET", "/api/v1/devices/"+mnPlant)
		var d struct{ State string }
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if d.State != tc.want {
			t.Errorf("at %s: state %q, want %q", tc.now, d.State, tc.want)
		}
	}
}

// Following next links visits every frame exactly once, newest first, and
// the last page has no next link, also when the total is a multiple of
// the page size.
func TestFramesPaging(t *testing.T) {
	h := testHandler(newFixtureStore())
	var all []int64
	for _, r := range testRaw() {
		if r.MN == mnPlant {
			all = append(all, r.ID)
		}
	}
	// want: IDs descending
	want := make([]int64, len(all))
	for i := range all {
		want[i] = all[len(all)-1-i]
	}
	for limit := 1; limit <= len(want)+1; limit++ {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			var got []int64
			next := fmt.Sprintf("/api/v1/devices/%s/frames?limit=%d", mnPlant, limit)
			for pages := 0; next != ""; pages++ {
				if pages > len(want)+1 {
					t.Fatal("paging does not end")
				}
				rec := do(t, h, "GET", next)
				if rec.Code != 200 {
					t.Fatalf("%s: %d %s", next, rec.Code, rec.Body)
				}
				var p framesPage
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatal(err)
				}
				if len(p.Frames) > limit {
					t.Fatalf("page of %d frames, limit %d", len(p.Frames), limit)
				}
				if pages > 0 && len(p.Frames) == 0 {
					t.Errorf("next led to an empty page: %s", next)
				}
				for _, f := range p.Frames {
					got = append(got, f.ID)
				}
				if p.Next != "" && p.NextBeforeID != p.Frames[len(p.Frames)-1].ID {
					t.Errorf("next_before_id %d, last ID on page %d", p.NextBeforeID, p.Frames[len(p.Frames)-1].ID)
				}
				if p.Next != "" && !strings.Contains(p.Next, fmt.Sprintf("limit=%d", limit)) {
					t.Errorf("next %q lost the limit", p.Next)
				}
				next = p.Next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("visited %v, want %v", got, want)
			}
		})
	}
}

func TestRawFrameEncoding(t *testing.T) {
	h := testHandler(newFixtureStore())
	rec := do(t, h, "GET", "/api/v1/quarantine?status=rejected")
	var p struct {
		Frames []map[string]any `json:"frames"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Frames) != 1 {
		t.Fatalf("%d frames", len(p.Frames))
	}
	f := p.Frames[0]
	if _, ok := f["raw"]; ok {
		t.Errorf("invalid UTF-8 raw served as a string: %v", f["raw"])
	}
	if f["raw_base64"] != "IyP//iBnYXJiYWdlIAA=" {
		t.Errorf("raw_base64 %v", f["raw_base64"])
	}
}

// The store is asked page by page, and the pages join without loss or
// repetition: the API output equals the single-page output.
func TestUploadPaging(t *testing.T) {
	target := "/api/v1/measurements?mn=" + mnPlant + "&period=min&from=2026-03-15&format=csv"
	st := newFixtureStore()
	whole := do(t, testHandler(st), "GET", target).Body.String()
	if n := len(st.queries); n != 1 {
		t.Fatalf("%d store queries for one page", n)
	}
	old := uploadPage
	uploadPage = 2
	defer func() { uploadPage = old }()
	st.queries = nil
	paged := do(t, testHandler(st), "GET", target).Body.String()
	if paged != whole {
		t.Errorf("paged output differs:\n%s\nwant\n%s", paged, whole)
	}
	if n := len(st.queries); n != 3 { // 2 + 2 + 0 uploads (4 minute uploads)
		t.Errorf("%d store queries, want 3", n)
	}
	// A store that rounds the lower bound down to the second returns the
	// previous page's last upload again; it must not appear twice.
	coarse := do(t, testHandler(coarseStore{st}), "GET", target).Body.String()
	if coarse != whole {
		t.Errorf("output with a coarse store differs:\n%s\nwant\n%s", coarse, whole)
	}
}

// coarseStore keeps only whole seconds of UploadQuery.From.
type coarseStore struct{ *fakeStore }

func (c coarseStore) Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error) {
	q.From = q.From.Truncate(time.Second)
	return c.fakeStore.Uploads(ctx, q)
}

func TestMeasurementsCSV(t *testing.T) {
	h := testHandler(newFixtureStore())
	tests := []struct {
		name, target string
		hdr          []string
	}{
		{"min_csv", "/api/v1/measurements?mn=" + mnPlant + "&period=min&from=2026-03-15T10:00&to=2026-03-15T10:30&format=csv", nil},
		{"min_csv", "/api/v1/measurements?mn=" + mnPlant + "&period=min&from=2026-03-15T10:00&to=2026-03-15T10:30", []string{"Accept", "text/csv"}},
		{"outlet_hour_csv", "/api/v1/measurements?outlet=" + outPlant + "&factor=a21026&period=hour&from=2026-03-15&format=csv", nil},
		{"day_factors_csv", "/api/v1/measurements?mn=" + mnBearing + "&factor=w01001,w01018&period=day&from=2026-03-01&format=csv", nil},
		{"empty_csv", "/api/v1/measurements?mn=" + mnStation + "&format=csv", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", tc.target, tc.hdr...)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=measurements-") {
				t.Errorf("Content-Disposition %q", cd)
			}
			body := rec.Body.String()
			if !strings.HasPrefix(body, "\ufefftime,mn,factor,field,value,flag\r\n") {
				t.Errorf("CSV does not start with BOM and header: %q", body[:min(len(body), 60)])
			}
			golden.Check(t, "testdata/"+tc.name+".golden", rec.Body.Bytes())
		})
	}
	// Accept with JSON preferred stays JSON.
	rec := do(t, h, "GET", "/api/v1/measurements?mn="+mnPlant, "Accept", "application/json, text/csv")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Accept json,csv: Content-Type %q", ct)
	}
}

// A store failure before the first CSV row gets a JSON error, not a 200.
func TestCSVStoreErrorBeforeFirstRow(t *testing.T) {
	st := newFixtureStore()
	st.hook = func(op string) {
		if op == "uploads" {
			st.err = errors.New("disk on fire")
		}
	}
	rec := do(t, testHandler(st), "GET", "/api/v1/measurements?mn="+mnPlant+"&format=csv")
	if rec.Code != 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	e := decodeError(t, rec)
	if e.Error.Code != "internal" || e.Error.Message != "internal error" {
		t.Errorf("error %+v", e.Error)
	}
}

func TestStoreErrorsAreNotLeaked(t *testing.T) {
	st := newFixtureStore()
	st.err = errors.New("open /var/lib/ecowatch/ecowatch.db: permission denied")
	var logBuf bytes.Buffer
	h := New(Config{}, st, slog.New(slog.NewTextHandler(&logBuf, nil)))
	rec := do(t, h, "GET", "/api/v1/devices")
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "/var/lib") {
		t.Errorf("store error leaked to the client: %s", rec.Body)
	}
	if !strings.Contains(logBuf.String(), "/var/lib/ecowatch") {
		t.Errorf("store error not logged: %s", logBuf.String())
	}
}

func TestHealth(t *testing.T) {
	st := newFixtureStore()
	st.pingErr = errors.New("connection refused")
	rec := do(t, testHandler(st), "GET", "/api/v1/health")
	if rec.Code != 503 {
		t.Fatalf("status %d", rec.Code)
	}
	if e := decodeError(t, rec); e.Error.Code != "unavailable" {
		t.Errorf("code %q", e.Error.Code)
	}
}

func TestPanicRecovery(t *testing.T) {
	st := newFixtureStore()
	st.hook = func(op string) {
		if op == "contacts" {
			panic("boom")
		}
	}
	var logBuf bytes.Buffer
	h := New(Config{}, st, slog.New(slog.NewTextHandler(&logBuf, nil)))
	rec := do(t, h, "GET", "/api/v1/devices")
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	if e := decodeError(t, rec); e.Error.Code != "internal" {
		t.Errorf("code %q", e.Error.Code)
	}
	if !strings.Contains(logBuf.String(), "panic in handler") || !strings.Contains(logBuf.String(), "status=500") {
		t.Errorf("panic not logged with its status: %s", logBuf.String())
	}
	// The server still serves.
	if rec := do(t, h, "GET", "/api/v1/counties"); rec.Code != 200 {
		t.Errorf("after panic: status %d", rec.Code)
	}
}

// A request that outlives RequestTimeout gets the timeout error: the store
// sees the expired context, as a real store's query would be cut off.
func TestRequestTimeout(t *testing.T) {
	h := New(Config{RequestTimeout: time.Nanosecond}, newFixtureStore(), nil)
	rec := do(t, h, "GET", "/api/v1/counties")
	if rec.Code != 503 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if e := decodeError(t, rec); e.Error.Code != "timeout" {
		t.Errorf("code %q", e.Error.Code)
	}
}

func TestLoggingNeverShowsTokens(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := New(Config{Tokens: map[string]string{"s3cr3t-token-value": "dashboard"}}, newFixtureStore(), log)
	do(t, h, "GET", "/api/v1/counties", "Authorization", "Bearer s3cr3t-token-value")
	do(t, h, "GET", "/api/v1/counties", "Authorization", "Bearer s3cr3t-token-wrong")
	out := logBuf.String()
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "Bearer") {
		t.Errorf("log shows a token: %s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2: %s", len(lines), out)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"method": "GET", "path": "/api/v1/counties", "status": float64(200), "client": "dashboard"} {
		if first[k] != want {
			t.Errorf("log %s = %v, want %v", k, first[k], want)
		}
	}
	if _, ok := first["duration"]; !ok {
		t.Error("log line has no duration")
	}
	if second["status"] != float64(401) {
		t.Errorf("second request logged status %v", second["status"])
	}
}

func TestMetrics(t *testing.T) {
	// The process's registry: another component's family is served too.
	reg := prometheus.NewRegistry()
	frames := prometheus.NewCounter(prometheus.CounterOpts{Name: "ecowatch_gateway_frames_received_total", Help: "Frames."})
	reg.MustRegister(frames)
	frames.Add(42)
	h := New(Config{Metrics: reg}, newFixtureStore(), nil)
	do(t, h, "GET", "/api/v1/counties")
	do(t, h, "GET", "/api/v1/counties")
	do(t, h, "GET", "/api/v1/devices/NOPE")
	do(t, h, "GET", "/nothing")
	rec := do(t, h, "GET", "/metrics")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4; charset=utf-8") {
		t.Errorf("Content-Type %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE ecowatch_http_requests_total counter\n",
		`ecowatch_http_requests_total{code="200",route="GET /api/v1/counties"} 2` + "\n",
		`ecowatch_http_requests_total{code="404",route="GET /api/v1/devices/{mn}"} 1` + "\n",
		`ecowatch_http_requests_total{code="404",route="other"} 1` + "\n",
		"# TYPE ecowatch_http_request_duration_seconds summary\n",
		`ecowatch_http_request_duration_seconds_count{route="GET /api/v1/counties"} 2` + "\n",
		"ecowatch_gateway_frames_received_total 42\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// A second handler on the same registry counts in the same families.
	h2 := New(Config{Metrics: reg}, newFixtureStore(), nil)
	do(t, h2, "GET", "/api/v1/counties")
	if body := do(t, h2, "GET", "/metrics").Body.String(); !strings.Contains(body, `ecowatch_http_requests_total{code="200",route="GET /api/v1/counties"} 3`+"\n") {
		t.Errorf("second handler's metrics:\n%s", body)
	}
}

func TestHead(t *testing.T) {
	rec := do(t, testHandler(newFixtureStore()), "HEAD", "/api/v1/counties")
	if rec.Code != 200 {
		t.Errorf("HEAD status %d", rec.Code)
	}
}

// API.md documents every route and every error code with its status.
func TestAPIDocumentation(t *testing.T) {
	doc, err := os.ReadFile("API.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routeTable() {
		if !bytes.Contains(doc, []byte("`"+rt.pattern)) {
			t.Errorf("API.md does not document %s", rt.pattern)
		}
	}
	for _, e := range catalogue {
		row := fmt.Sprintf("| `%s` | %d |", e.Code, e.Status)
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("API.md lacks the error table row %q", row)
		}
	}
}
