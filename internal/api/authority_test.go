package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Authority comes from the session: the ledger's actor is the logged-in
// caller, a body naming another actor is refused, and every applied
// command has its audit record.

// rightsFixture is the role fixture with a ledger behind the API.
func rightsFixture(t *testing.T) (*roleFixture, http.Handler, *rightsvc.Service) {
	t.Helper()
	fx := newRoleFixture(t, seed(t, openSQLite(t)))
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
