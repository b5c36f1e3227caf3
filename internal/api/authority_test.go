package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// Authority comes from the session: the ledger's actor is the logged-in
// caller, a body naming another actor is refused, and every applied
// command has its audit record.

// rightsFixture is the role fixture with a ledger behind the API.
func rightsFixture(t *testing.T) (*roleFixture, http.Handler, *rightsvc.Service) {
	t.Helper()
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	svc, err := rightsvc.Open(context.Background(), fx.st, rightsvc.Options{Now: func() time.Time { return rightsNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	h := New(Config{Now: func() time.Time { return testNow }, Auth: fx.au, Cases: fx.svc, Rights: svc}, fx.st, nil)
	return fx, h, svc
}

func postAs(t *testing.T, h http.Handler, tok, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/rights/commands", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestLedgerActorFromSession(t *testing.T) {
	fx, h, _ := rightsFixture(t)
	city, entA := fx.tokens["city"], fx.tokens["enterpriseA"]
	for _, c := range []struct{ key, body string }{
		{"cfg", `{"cmd":"configure","pollutants":[{"code":"NOx","name":"氮氧化物","medium":"air"}]}`},
		{"permit-A", `{"cmd":"allocate_permit","permit":"PW-A","enterprise":"` + usccPlant + `","county":"` + countyX + `","pollutant":"NOx","quantity":20000000,"valid_from":"2025-01-01T00:00:00+08:00"}`},
	} {
		if rec := postAs(t, h, city, c.key, c.body); rec.Code != 200 {
			t.Fatalf("%s as city: %d %s", c.key, rec.Code, rec.Body)
		}
	}
	sale := `"cmd":"agreement","contract":"HT-1","seller":"ent:` + usccPlant + `","buyer":"` + usccBear + `","pollutant":"NOx","quantity":1000000,"price":3000000`
	// Enterprise A signs as the city: refused, naming the field; in any
	// spelling encoding/json would accept.
	for _, forged := range []string{`{` + sale + `,"actor":"city"}`, `{` + sale + `,"Actor":"city"}`} {
		rec := postAs(t, h, entA, "ag-forged", forged)
		if e := decodeError(t, rec); rec.Code != 400 || e.Error.Code != "invalid_body" || e.Error.Field != "actor" {
			t.Fatalf("agreement with an actor in the body: %d %s", rec.Code, rec.Body)
		}
	}
	rec := postAs(t, h, entA, "ag-1", `{`+sale+`}`)
	if rec.Code != 200 {
		t.Fatalf("agreement as enterprise A: %d %s", rec.Code, rec.Body)
	}
	actors := map[string]string{}
	err := fx.st.RightsEntries(context.Background(), store.RightsQuery{}, func(e *rights.Entry) error {
		actors[e.Key] = e.Actor
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if actors["ag-1"] != "ent-a" || actors["cfg"] != "city" || actors["ag-forged"] != "" {
		t.Errorf("actors on the entries: %v (want ag-1 by ent-a, cfg by city, nothing of ag-forged)", actors)
	}
	// Each applied command has one audit record, by the same actor, with
	// the result; the refusals have none.
	for key, who := range map[string]string{"cfg": "city", "permit-A": "city", "ag-1": "ent-a"} {
		as, err := fx.st.Audit(context.Background(), "rights/command/"+key, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || as[0].Actor != who || !strings.HasPrefix(as[0].Action, "rights.") || !strings.Contains(as[0].After, `"key":"`+key+`"`) {
			t.Errorf("audit of %s: %+v", key, as)
		}
	}
	if as, _ := fx.st.Audit(context.Background(), "rights/command/ag-forged", 10); len(as) != 0 {
		t.Errorf("a refused command was audited: %+v", as)
	}
	// A repeat (same key, same body) returns the result and writes no
	// second record.
	if rec := postAs(t, h, entA, "ag-1", `{`+sale+`}`); rec.Code != 200 {
		t.Fatalf("repeat: %d %s", rec.Code, rec.Body)
	}
	if as, _ := fx.st.Audit(context.Background(), "rights/command/ag-1", 10); len(as) != 1 {
		t.Errorf("repeat audited again: %d records", len(as))
	}
}

// Only the petitioner rates: the rating key is given once, at intake;
// county staff who see the tracking code on the desk can neither rate
// with it through the callback nor through a case action; the
// petitioner's own rating is then accepted. No answer to the anonymous
// caller names the case's internal number.
func TestOnlyPetitionerRates(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	rec := fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions",
		body: jsonBody(map[string]any{"category": "water", "county": countyY, "location": "bridge", "description": "black water", "anonymous": true})})
	var in struct {
		Code      string `json:"code"`
		RatingKey string `json:"rating_key"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &in); err != nil || rec.Code != 201 || in.RatingKey == "" {
		t.Fatalf("intake: %d %s", rec.Code, rec.Body)
	}
	sp, err := fx.st.Petition(context.Background(), in.Code)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rec.Body.String(), sp.Case) {
		t.Errorf("the intake answer names the case %s: %s", sp.Case, rec.Body)
	}
	if strings.Contains(sp.RatingKeyHash, in.RatingKey) || sp.RatingKeyHash == "" {
		t.Errorf("stored %q for key %q: want its hash only", sp.RatingKeyHash, in.RatingKey)
	}
	// The desk shows staff the petition, never its key.
	if desk := fx.do(t, "countyY", roleRequest{path: "/api/v1/petitions"}).Body.String(); !strings.Contains(desk, in.Code) || strings.Contains(desk, "rating_key") {
		t.Errorf("petition desk: %s", desk)
	}
	callback := func(who string, body map[string]string) *httptest.ResponseRecorder {
		return fx.do(t, who, roleRequest{method: "POST", path: "/api/v1/public/petitions/" + in.Code + "/callback", body: jsonBody(body)})
	}
	// Early: the petitioner's key is right, the case is not closed; the
	// answer says so without the case's number or staff moves.
	rec = callback("anonymous", map[string]string{"satisfaction": "satisfied", "rating_key": in.RatingKey})
	if rec.Code != 409 || strings.Contains(rec.Body.String(), sp.Case) || strings.Contains(rec.Body.String(), "allowed") {
		t.Errorf("early callback: %d %s", rec.Code, rec.Body)
	}
	up := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/evidence", body: append(append([]byte{}, pngBytes...), "closed"...)})
	var ev struct{ Hash string }
	_ = json.Unmarshal(up.Body.Bytes(), &ev)
	for _, a := range []map[string]any{
		{"kind": "accept"}, {"kind": "assign", "assignees": []string{"county-y"}}, {"kind": "start"},
		{"kind": "submit", "evidence": []string{ev.Hash}}, {"kind": "verify"}, {"kind": "close"},
	} {
		if rec := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/cases/" + sp.Case + "/actions", body: jsonBody(a)}); rec.Code != 200 {
			t.Fatalf("%v: %d %s", a, rec.Code, rec.Body)
		}
	}
	// County staff with the tracking code: no key, a guessed key, the
	// code as key; and the case action.
	for _, body := range []map[string]string{
		{"satisfaction": "satisfied"},
		{"satisfaction": "satisfied", "rating_key": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"},
		{"satisfaction": "satisfied", "rating_key": in.Code},
	} {
		if rec := callback("countyY", body); rec.Code != 400 && rec.Code != 403 {
			t.Errorf("county staff rate with %v: %d %s", body, rec.Code, rec.Body)
		}
	}
	if rec := fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/cases/" + sp.Case + "/actions",
		body: jsonBody(map[string]any{"kind": "rate", "satisfaction": "satisfied"})}); rec.Code != 403 {
		t.Errorf("county staff rate by case action: %d %s", rec.Code, rec.Body)
	}
	if c, _ := fx.st.Case(context.Background(), sp.Case); c.Satisfaction != "" {
		t.Fatalf("staff rated the petition: %s", c.Satisfaction)
	}
	// The petitioner, with the key as shown (any case, no dashes).
	key := strings.ToLower(strings.ReplaceAll(in.RatingKey, "-", ""))
	rec = callback("anonymous", map[string]string{"satisfaction": "dissatisfied", "rating_key": key})
	if rec.Code != 200 {
		t.Fatalf("the petitioner's rating: %d %s", rec.Code, rec.Body)
	}
	if c, _ := fx.st.Case(context.Background(), sp.Case); c.Satisfaction != "dissatisfied" {
		t.Errorf("satisfaction %q", c.Satisfaction)
	}
	if rec := callback("anonymous", map[string]string{"satisfaction": "satisfied", "rating_key": in.RatingKey}); rec.Code != 400 || strings.Contains(rec.Body.String(), sp.Case) {
		t.Errorf("second rating: %d %s", rec.Code, rec.Body)
	}
}

// A case takes only evidence its caller uploaded or may already read; an
// unknown hash and another party's get the same answer, on attaching and
// on downloading.
func TestEvidenceOfAnotherParty(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	up := fx.do(t, "countyX", roleRequest{method: "POST", path: "/api/v1/evidence", body: append(append([]byte{}, pngBytes...), "county X's secret photo"...)})
	var theirs struct{ Hash string }
	if err := json.Unmarshal(up.Body.Bytes(), &theirs); err != nil || up.Code != 201 {
		t.Fatalf("upload: %d %s", up.Code, up.Body)
	}
	unknown := strings.Repeat("ab", 32)
	same := func(what string, a, b *httptest.ResponseRecorder) {
		t.Helper()
		ab := strings.ReplaceAll(a.Body.String(), theirs.Hash, "<hash>")
		bb := strings.ReplaceAll(b.Body.String(), unknown, "<hash>")
		if a.Code != b.Code || ab != bb {
			t.Errorf("%s: another party's file %d %s; unknown file %d %s", what, a.Code, a.Body, b.Code, b.Body)
		}
	}
	register := func(h string) *httptest.ResponseRecorder {
		return fx.do(t, "countyY", roleRequest{method: "POST", path: "/api/v1/cases", body: jsonBody(cases.Case{Source: cases.SourceInspection,
			Line: "water", County: countyY, Enterprise: usccBear, Severity: 1, Title: "Y-MARK", Evidence: []string{h}})})
	}
	r1, r2 := register(theirs.Hash), register(unknown)
	if r1.Code != 400 || decodeError(t, r1).Error.Field != "evidence" {
		t.Errorf("county Y attaches county X's file: %d %s", r1.Code, r1.Body)
	}
	same("register", r1, r2)
	act := func(h string) *httptest.ResponseRecorder {
		return fx.do(t, "enterpriseB", roleRequest{method: "POST", path: "/api/v1/cases/" + fx.caseY.ID + "/actions",
			body: jsonBody(map[string]any{"kind": "request-extension", "reason": "r", "evidence": []string{h}})})
	}
	a1, a2 := act(theirs.Hash), act(unknown)
	if a1.Code != 400 || decodeError(t, a1).Error.Field != "evidence" {
		t.Errorf("enterprise B attaches county X's file: %d %s", a1.Code, a1.Body)
	}
	same("action", a1, a2)
	if c, _ := fx.st.Case(context.Background(), fx.caseY.ID); slices.Contains(c.Evidence, theirs.Hash) {
		t.Fatal("county X's file is on county Y's case")
	}
	same("download", fx.do(t, "countyY", roleRequest{path: "/api/v1/evidence/" + theirs.Hash + "?case=" + fx.caseY.ID}),
		fx.do(t, "countyY", roleRequest{path: "/api/v1/evidence/" + unknown + "?case=" + fx.caseY.ID}))
	// A petition takes only public uploads, not staff files by their hash.
	pet := fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions",
		body: jsonBody(map[string]any{"category": "air", "county": countyY, "location": "l", "description": "d", "anonymous": true, "photos": []string{theirs.Hash}})})
	if pet.Code != 400 || decodeError(t, pet).Error.Field != "evidence" {
		t.Errorf("petition with a staff file: %d %s", pet.Code, pet.Body)
	}
	// The uploader and the city still may.
	if rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/cases", body: jsonBody(cases.Case{Source: cases.SourceInspection,
		Line: "water", County: countyY, Severity: 1, Title: "city", Evidence: []string{theirs.Hash}})}); rec.Code != 201 {
		t.Errorf("the city attaches it: %d %s", rec.Code, rec.Body)
	}
}

// Refused registrations use up no case number.
func TestCaseNumbersGapless(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	register := func(who string, c cases.Case) *httptest.ResponseRecorder {
		return fx.do(t, who, roleRequest{method: "POST", path: "/api/v1/cases", body: jsonBody(c)})
	}
	ok := cases.Case{Source: cases.SourceInspection, Line: "water", County: countyX, Severity: 1, Title: "X-MARK"}
	number := func(rec *httptest.ResponseRecorder) int {
		t.Helper()
		var c cases.Case
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != 201 {
			t.Fatalf("register: %d %s", rec.Code, rec.Body)
		}
		n, err := strconv.Atoi(c.ID[strings.IndexByte(c.ID, '-')+1:])
		if err != nil {
			t.Fatalf("case id %q", c.ID)
		}
		return n
	}
	first := number(register("city", ok))
	noTitle := ok
	noTitle.Title = ""
	for _, r := range []*httptest.ResponseRecorder{
		register("countyY", ok),           // another county's case
		register("city", noTitle),         // the rules refuse it
		register("enterpriseA", ok),       // enterprises do not register
		register("countyX", cases.Case{}), // nothing
	} {
		if r.Code/100 == 2 {
			t.Fatalf("registration accepted: %s", r.Body)
		}
	}
	if next := number(register("countyX", ok)); next != first+1 {
		t.Errorf("after refused registrations the next case is number %d, want %d", next, first+1)
	}
	// Patrol findings and petitions draw from the same numbering, in their
	// transactions.
	pet := fx.do(t, "anonymous", roleRequest{method: "POST", path: "/api/v1/public/petitions",
		body: jsonBody(map[string]any{"category": "air", "county": countyX, "location": "l", "description": "d", "anonymous": true})})
	code := map[string]any{}
	_ = json.Unmarshal(pet.Body.Bytes(), &code)
	sp, err := fx.st.Petition(context.Background(), code["code"].(string))
	if err != nil || sp.Case != fmt.Sprintf("C2026-%06d", first+2) {
		t.Errorf("petition's case %q, want number %d (%v)", sp.Case, first+2, err)
	}
}

// Users only of counties and enterprises in the registry.
func TestUsersOnlyForRegisteredUnits(t *testing.T) {
	fx := newRoleFixture(t, seed(t, storetest.Open(t, storetest.SQLite)))
	for _, tc := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"id": "ghost-county", "name": "n", "role": "county", "county": "999999", "password": "long-enough-1"}, "county"},
		{map[string]string{"id": "ghost-ent", "name": "n", "role": "enterprise", "enterprise": "91370000000000000X", "password": "long-enough-1"}, "enterprise"},
		{map[string]string{"id": "wrong-county", "name": "n", "role": "enterprise", "enterprise": usccPlant, "county": countyY, "password": "long-enough-1"}, "county"},
	} {
		rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users", body: jsonBody(tc.body)})
		if e := decodeError(t, rec); rec.Code != 400 || e.Error.Field != tc.field {
			t.Errorf("%v: %d %s", tc.body, rec.Code, rec.Body)
		}
		if _, err := fx.st.User(context.Background(), tc.body["id"]); err == nil {
			t.Errorf("user %s was stored", tc.body["id"])
		}
	}
	if rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users/county-y", body: jsonBody(map[string]string{"county": "999999"})}); rec.Code != 400 {
		t.Errorf("move a user to a county that does not exist: %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "city", roleRequest{method: "POST", path: "/api/v1/users", body: jsonBody(map[string]string{"id": "real", "name": "n", "role": "enterprise",
		"enterprise": usccPlant, "county": countyX, "password": "long-enough-1"})}); rec.Code != 201 {
		t.Errorf("a user of a registered enterprise: %d %s", rec.Code, rec.Body)
	}
}
