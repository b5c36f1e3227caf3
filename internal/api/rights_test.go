package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

var rightsNow = time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)

func rightsHandler(t *testing.T, st store.Store) (http.Handler, *rightsvc.Service) {
	t.Helper()
	svc, err := rightsvc.Open(context.Background(), st, rightsvc.Options{Now: func() time.Time { return rightsNow }})
	if err != nil {
		t.Fatalf("rightsvc.Open: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return New(Config{Now: func() time.Time { return rightsNow }, Rights: svc}, st, nil), svc
}

// post sends a command with an Idempotency-Key header (none if key is
// empty).
func post(t *testing.T, h http.Handler, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/rights/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// seedRights posts testdata/rights/script.jsonl, each line under its own
// key, and returns the responses (indented) as one golden document.
func seedRights(t *testing.T, h http.Handler) []byte {
	t.Helper()
	f, err := os.Open("testdata/rights/script.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var k struct{ Key string }
		if err := json.Unmarshal(sc.Bytes(), &k); err != nil {
			t.Fatal(err)
		}
		rec := post(t, h, k.Key, sc.Text())
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", k.Key, rec.Code, rec.Body)
		}
		out.Write(indentJSON(t, rec.Body.Bytes()))
	}
	return out.Bytes()
}

var rightsGets = []struct{ name, target string }{
	{"accounts", "/api/v1/rights/accounts"},
	{"accounts_cod", "/api/v1/rights/accounts?pollutant=COD"},
	{"account", "/api/v1/rights/accounts/ent:91371500MA3C000002"},
	{"account_entries", "/api/v1/rights/accounts/ent:91371500MA3C000001/entries?after=2&limit=3"},
	{"reservoir", "/api/v1/rights/reservoir?year=2025"},
	{"market", "/api/v1/rights/market?pollutant=NOx"},
	{"trades", "/api/v1/rights/trades"},
	{"allocation", "/api/v1/rights/allocations/AL-1"},
	{"credit", "/api/v1/rights/credits/CR-2025-001"},
	{"trace", "/api/v1/rights/trace?pollutant=NOx&serial=2000000"},
}

func TestRights(t *testing.T) { storetest.Run(t, testRights) }

func testRights(t *testing.T, st store.Store) {
	h, svc := rightsHandler(t, st)
	golden.Check(t, "testdata/rights/commands.json.golden", seedRights(t, h))
	for _, g := range rightsGets {
		t.Run(g.name, func(t *testing.T) {
			rec := do(t, h, "GET", g.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			golden.Check(t, "testdata/rights/"+g.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}

	// A retry of a command with the same key and body returns the original
	// result; nothing is written.
	seq, _ := svc.Head()
	ag := `{"cmd":"agreement","doc":"HT-2025-001","contract":"HT-2025-001","seller":"ent:91371500MA3C000001","buyer":"91371500MA3C000002","pollutant":"NOx","quantity":3000000,"price":3000000}`
	if rec := post(t, h, "ag-1", ag); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"first":13`) {
		t.Errorf("retry: %d %s", rec.Code, rec.Body)
	}
	if s2, _ := svc.Head(); s2 != seq {
		t.Errorf("a retry wrote entries %d-%d", seq+1, s2)
	}

	for _, c := range []struct {
		name, key, body, code, field string
		status                       int
	}{
		{"overdraft", "ag-big", `{"cmd":"agreement","contract":"HT-9","seller":"ent:91371500MA3C000002","buyer":"91371500MA3C000001","pollutant":"NOx","quantity":900000000,"price":3000000}`,
			"refused", "quantity", 422},
		{"key reused with another body", "ag-1", strings.Replace(ag, "3000000,", "3000001,", 1), "refused", "key", 422},
		{"unverified credit", "res-2", `{"cmd":"reserve_allocation","allocation":"AL-2","eia":"E-2","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"nonattain","year":2025,"project_type":"power","need":1000,"credits":["CR-NONE"]}`,
			"refused", "credits[0]", 422},
		{"no ratio rule", "res-3", `{"cmd":"reserve_allocation","allocation":"AL-3","eia":"E-3","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"attain","year":2025,"project_type":"power","need":1000,"credits":["CR-2025-001"]}`,
			"refused", "project_type", 422},
		// The city's trading rules in force on the application's date
		// (2025-03-01: the 2023 细则): 10 t of air pollutants must be traded.
		{"must trade", "res-4", `{"cmd":"reserve_allocation","allocation":"AL-4","eia":"E-4","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"nonattain","year":2025,"project_type":"power","need":1000000,"credits":["CR-2025-001"],"additions":{"NOx":1000000,"SO2":9000000}}`,
			"refused", "additions", 422},
		{"application after today", "res-5", `{"cmd":"reserve_allocation","allocation":"AL-5","eia":"E-5","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"nonattain","year":2025,"project_type":"power","need":1000,"credits":["CR-2025-001"],"applied":"2026-06-01T00:00:00+08:00"}`,
			"refused", "applied", 422},
		{"missing key", "", `{"cmd":"expire"}`, "missing_parameter", "Idempotency-Key", 400},
		{"key differs from the header", "k-1", `{"cmd":"expire","key":"k-2"}`, "invalid_body", "key", 400},
		{"unknown command", "k-1", `{"cmd":"mint"}`, "invalid_body", "cmd", 400},
		{"wrong type", "k-1", `{"cmd":"retire","account":"ent:X","pollutant":"NOx","quantity":"5"}`, "invalid_body", "quantity", 400},
		{"not JSON", "k-1", `retire 5`, "invalid_body", "", 400},
		{"too large", "k-1", `{"cmd":"expire","doc":"` + strings.Repeat("x", 1<<20) + `"}`, "too_large", "", 413},
	} {
		rec := post(t, h, c.key, c.body)
		e := decodeError(t, rec)
		if rec.Code != c.status || e.Error.Code != c.code || e.Error.Field != c.field {
			t.Errorf("%s: %d %s (field %q), want %d %s (field %q): %s", c.name, rec.Code, e.Error.Code, e.Error.Field, c.status, c.code, c.field, e.Error.Message)
		}
	}
	if s2, _ := svc.Head(); s2 != seq {
		t.Errorf("refused commands wrote entries %d-%d", seq+1, s2)
	}
	// The refusal names the rule version, the factor sum and the amount.
	if e := decodeError(t, post(t, h, "res-4", `{"cmd":"reserve_allocation","allocation":"AL-4","eia":"E-4","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"nonattain","year":2025,"project_type":"power","need":1000000,"credits":["CR-2025-001"],"additions":{"NOx":1000000,"SO2":9000000}}`)); !strings.Contains(e.Error.Message, "聊城市排污权有偿使用和交易实施细则(试行)") ||
		!strings.Contains(e.Error.Message, "adds 10000000 g/a (10.000000 t/a) ≥ 10000000 g/a") {
		t.Errorf("must-trade refusal: %q", e.Error.Message)
	}
	// A project adding under 0.1 t/a of every factor is exempt: reserved,
	// then on its grant written off by the county; the allocation shows
	// the decision.
	for i, c := range []string{
		`{"cmd":"reserve_allocation","allocation":"AL-6","eia":"E-6","project":"91371500MA3C000005","region":"371502","pollutant":"NOx","attainment":"nonattain","year":2025,"project_type":"power","need":50000,"credits":["CR-2025-001"],"applied":"2025-02-20T09:00:00+08:00","additions":{"NOx":50000,"NH3-N":9999}}`,
		`{"cmd":"lock_allocation","allocation":"AL-6"}`,
		`{"cmd":"grant_allocation","allocation":"AL-6"}`,
	} {
		if rec := post(t, h, fmt.Sprintf("exempt-%d", i), c); rec.Code != http.StatusOK {
			t.Fatalf("exempt allocation, step %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := do(t, h, "GET", "/api/v1/rights/allocations/AL-6")
	var al struct {
		Status  string                `json:"status"`
		Trading rights.Classification `json:"trading"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &al); err != nil {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	if al.Status != rights.AllocWrittenOff || al.Trading.Obligation != rights.ExemptSource || al.Trading.Applied != "2025-02-20" ||
		!al.Trading.Stated || al.Trading.Additions["NH3-N"] != 9999 {
		t.Errorf("exempt allocation: %s", rec.Body)
	}
	for _, c := range []struct{ target, code, field string }{
		{"/api/v1/rights/accounts/ent:NOPE", "not_found", "account"},
		{"/api/v1/rights/accounts/ent:NOPE/entries", "not_found", "account"},
		{"/api/v1/rights/allocations/AL-9", "not_found", "id"},
		{"/api/v1/rights/credits/CR-9", "not_found", "id"},
		{"/api/v1/rights/market?pollutant=CO2", "not_found", "pollutant"},
		{"/api/v1/rights/trades?limit=0", "invalid_parameter", "limit"},
		{"/api/v1/rights/reservoir?yr=2025", "invalid_parameter", "yr"},
		{"/api/v1/rights/trace?pollutant=NOx", "missing_parameter", "serial"},
		{"/api/v1/rights/trace?serial=1", "missing_parameter", "pollutant"},
		{"/api/v1/rights/trace?pollutant=NOx&serial=0", "invalid_parameter", "serial"},
		{"/api/v1/rights/trace?pollutant=NOx&serial=999999999", "not_found", "serial"},
	} {
		rec := do(t, h, "GET", c.target)
		if e := decodeError(t, rec); e.Error.Code != c.code || e.Error.Field != c.field {
			t.Errorf("%s: %d %+v, want %s on %q", c.target, rec.Code, e.Error, c.code, c.field)
		}
	}
}

func TestRightsUnavailable(t *testing.T) {
	h := testHandler(newFixtureStore())
	for _, target := range []string{"/api/v1/rights/accounts", "/api/v1/rights/market"} {
		rec := do(t, h, "GET", target)
		if e := decodeError(t, rec); rec.Code != 503 || e.Error.Code != "unavailable" {
			t.Errorf("%s without a rights service: %d %+v", target, rec.Code, e.Error)
		}
	}
	if rec := post(t, h, "k", `{"cmd":"expire"}`); rec.Code != 503 {
		t.Errorf("POST without a rights service: %d", rec.Code)
	}
}

// TestRightsHTTPConcurrent has 64 HTTP clients sell the same enterprises'
// rights at once: no invariant breaks, every 200 is in the ledger, and the
// balances equal a replay of the store.
func TestRightsHTTPConcurrent(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite)
	h, svc := rightsHandler(t, st)
	srv := httptest.NewServer(h)
	defer srv.Close()
	const ents = 4
	send := func(key, body string) (int, []byte) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/rights/commands", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := send("cfg", `{"cmd":"configure","pollutants":[{"code":"NOx","name":"氮氧化物","medium":"air"}]}`); code != 200 {
		t.Fatalf("configure: %d %s", code, b)
	}
	for i := range ents {
		body := fmt.Sprintf(`{"cmd":"allocate_permit","permit":"PW-%d","enterprise":"91371500000000000%d","county":"371502","pollutant":"NOx","quantity":3000000,"valid_from":"2025-01-01T00:00:00Z"}`, i, i)
		if code, b := send(fmt.Sprintf("p-%d", i), body); code != 200 {
			t.Fatalf("permit: %d %s", code, b)
		}
	}
	var (
		mu   sync.Mutex
		oks  = map[string]rights.Result{}
		refs int
		wg   sync.WaitGroup
	)
	for c := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				key := fmt.Sprintf("c%d-%d", c, i)
				// Every seller sells to one buyer outside the group: the
				// group's rights run out and later sales overdraw.
				s, b := (c+i)%ents, 9
				code, body := send(key, fmt.Sprintf(`{"cmd":"agreement","contract":"HT-%s","seller":"ent:91371500000000000%d","buyer":"91371500000000000%d","pollutant":"NOx","quantity":%d,"price":3000000}`,
					key, s, b, 400000+c*1000))
				mu.Lock()
				switch code {
				case 200:
					var r rights.Result
					json.Unmarshal(body, &r)
					oks[key] = r
				case 422:
					refs++
				default:
					t.Errorf("%s: %d %s", key, code, body)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	es, err := rightsvc.LoadEntries(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if err := rights.Verify(es); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	replayed, err := rights.Replay(es)
	if err != nil {
		t.Fatal(err)
	}
	if replayed.Fingerprint() != svc.Fingerprint() {
		t.Fatal("live state differs from a replay of the store")
	}
	stored := map[string]bool{}
	for _, e := range es {
		stored[e.Key] = true
	}
	for k := range oks {
		if !stored[k] {
			t.Errorf("%s answered 200 but is not in the ledger", k)
		}
	}
	var total int64
	for _, hd := range svc.Balances("", "NOx") {
		total += hd.Balance
	}
	if total != ents*3000000 {
		t.Errorf("enterprises hold %d, %d was issued", total, ents*3000000)
	}
	if refs == 0 || len(oks) == 0 {
		t.Fatalf("no conflicts exercised: %d ok, %d refused", len(oks), refs)
	}
}

// TestRightsRowScope checks who may see which account and issue which
// command once users are authenticated (Config.Auth).
func TestRightsRowScope(t *testing.T) {
	const entA, entB = "91371500MA3C000001", "91371500MA3C000002"
	var st rights.State
	now := rightsNow
	for _, c := range []rights.Command{
		rights.Configure{Meta: rights.Meta{Key: "cfg"}, Pollutants: []rights.Pollutant{{Code: "NOx", Name: "氮氧化物", Medium: "air"}}},
		rights.AllocatePermit{Meta: rights.Meta{Key: "p"}, Permit: "PW", Enterprise: entA, County: "371502", Pollutant: "NOx", Quantity: 5000000, ValidFrom: now},
		rights.PlaceOrder{Meta: rights.Meta{Key: "o"}, Order: "S-1", Side: rights.Sell, Owner: rights.Enterprise(entA), Pollutant: "NOx", Quantity: 1000, Price: 3000000},
		rights.DeclareReduction{Meta: rights.Meta{Key: "d"}, Credit: "CR", Enterprise: entB, County: "371502", Pollutant: "NOx", Quantity: 1000, Measure: rights.MeasureClosure, Effective: now, Evidence: []string{"x"}},
	} {
		if _, _, err := rights.Apply(&st, c, now); err != nil {
			t.Fatal(err)
		}
	}
	city := auth.Scope{All: true}
	a := auth.Scope{Enterprise: entA}
	b := auth.Scope{Enterprise: entB}
	county := auth.Scope{County: "371502"}
	other := auth.Scope{County: "371523"}
	sell := rights.Agreement{Seller: rights.Enterprise(entA), Buyer: entB, Pollutant: "NOx", Quantity: 1, Price: 1}
	cases := []struct {
		name string
		sc   auth.Scope
		cmd  rights.Command
		want bool
	}{
		{"city configures", city, rights.Configure{}, true},
		{"enterprise configures", a, rights.Configure{}, false},
		{"seller sells its own", a, sell, true},
		{"another enterprise sells A's", b, sell, false},
		{"county sells A's", county, sell, false},
		{"A cancels its listing", a, rights.CancelOrder{Order: "S-1"}, true},
		{"B cancels A's listing", b, rights.CancelOrder{Order: "S-1"}, false},
		{"B bids in an auction as itself", b, rights.BidAuction{Bidder: entB}, true},
		{"B bids as A", b, rights.BidAuction{Bidder: entA}, false},
		{"county reviews its credit", county, rights.ReviewReduction{Credit: "CR"}, true},
		{"other county reviews it", other, rights.ReviewReduction{Credit: "CR"}, false},
		{"county confirms (the city's step)", county, rights.ConfirmReduction{Credit: "CR"}, false},
		{"county transfers out of its reservoir", county, rights.Transfer{From: rights.CountyReservoir("371502"), To: rights.City}, true},
		{"county transfers out of the city's", county, rights.Transfer{From: rights.City, To: rights.CountyReservoir("371502")}, false},
	}
	for _, c := range cases {
		if got := mayIssue(c.sc, &st, c.cmd); got != c.want {
			t.Errorf("%s: mayIssue = %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		sc   auth.Scope
		acct rights.Account
		want bool
	}{
		{a, rights.Enterprise(entA), true},
		{a, rights.Enterprise(entB), false},
		{a, rights.CountyReservoir("371502"), false},
		{county, rights.CountyReservoir("371502"), true},
		{county, rights.City, false},
		{county, rights.Enterprise(entA), false},
		{auth.Scope{}, rights.City, false},
		{city, rights.Reserve, true},
	} {
		if got := visible(c.sc, c.acct); got != c.want {
			t.Errorf("visible(%+v, %s) = %v, want %v", c.sc, c.acct, got, c.want)
		}
	}
}

func isRightsRoute(pattern string) bool {
	for _, rt := range rightsRouteTable() {
		if rt.pattern == pattern {
			return true
		}
	}
	return false
}

// rightsSamples gives a request for every rights route (POST bodies for
// commands); TestRightsAuth fails for a route without one.
var rightsSamples = map[string]string{
	"GET /api/v1/rights/accounts":                   "/api/v1/rights/accounts",
	"GET /api/v1/rights/accounts/{account}":         "/api/v1/rights/accounts/ent:91371500MA3C000001",
	"GET /api/v1/rights/accounts/{account}/entries": "/api/v1/rights/accounts/ent:91371500MA3C000001/entries",
	"GET /api/v1/rights/reservoir":                  "/api/v1/rights/reservoir",
	"GET /api/v1/rights/market":                     "/api/v1/rights/market",
	"GET /api/v1/rights/trades":                     "/api/v1/rights/trades",
	"GET /api/v1/rights/allocations/{id}":           "/api/v1/rights/allocations/AL-1",
	"GET /api/v1/rights/credits/{id}":               "/api/v1/rights/credits/CR-2025-001",
	"POST /api/v1/rights/commands":                  "/api/v1/rights/commands",
	"GET /api/v1/rights/trace":                      "/api/v1/rights/trace?pollutant=NOx&serial=1",
}

// TestRightsAuth: with static tokens, every rights route needs one.
func TestRightsAuth(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite)
	open, svc := rightsHandler(t, st)
	seedRights(t, open)
	secured := New(Config{Now: func() time.Time { return rightsNow }, Rights: svc, Tokens: map[string]string{"tok-1": "clerk"}}, st, nil)
	for _, rt := range rightsRouteTable() {
		target, ok := rightsSamples[rt.pattern]
		if !ok {
			t.Errorf("route %s has no sample in rightsSamples", rt.pattern)
			continue
		}
		method, _, _ := strings.Cut(rt.pattern, " ")
		for _, c := range []struct {
			hdr    []string
			status int
		}{{nil, 401}, {[]string{"Authorization", "Bearer tok-2"}, 401}, {[]string{"Authorization", "Bearer tok-1"}, 200}} {
			req := httptest.NewRequest(method, target, strings.NewReader(`{"cmd":"expire"}`))
			req.Header.Set("Idempotency-Key", "auth-expire")
			if c.hdr != nil {
				req.Header.Set(c.hdr[0], c.hdr[1])
			}
			rec := httptest.NewRecorder()
			secured.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("%s with %v: %d, want %d: %s", rt.pattern, c.hdr, rec.Code, c.status, rec.Body)
			}
		}
	}
}
