package dashboard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/ecowatch/ecowatch/internal/dashboard"
)

// The pages' forms post to the JSON API; what the API refuses (bad input
// on each form: the rights declaration and review, a case action, the
// accountability run, the petition form and its rating, the patrol) reads
// in Chinese on a Chinese page: the refusal carries the engine's reason or
// a code the catalogue names, never the API's English sentence.
func TestFormRefusalsInChinese(t *testing.T) {
	t.Parallel() // its own app: see browserAppMode
	base, s := browserApp(t)
	word := regexp.MustCompile(`\b[A-Za-z]{3,}\b`)
	for i, c := range []struct {
		name, path, body string
		reason           string // the engine's reason the API must name ("" when a code suffices)
	}{
		{"rights declaration without a quantity", "/api/v1/rights/commands", `{"cmd":"declare_reduction","credit":"X1","enterprise":"nope","pollutant":"NOx","quantity":0}`, ""},
		{"rights review of an unknown credit", "/api/v1/rights/commands", `{"cmd":"review_reduction","credit":"no-such-credit","approve":true}`, "rights.not_found"},
		{"rights over-allocation", "/api/v1/rights/commands", `{"cmd":"transfer","from":"city","to":"reserve","pollutant":"NOx","quantity":999999999999999,"doc":"x"}`, "rights.overdraft"},
		{"case action out of order", "/api/v1/cases/" + s.OverdueCase + "/actions", `{"kind":"close","seq":1}`, ""},
		{"case action unknown", "/api/v1/cases/" + s.OverdueCase + "/actions", `{"kind":"fly","seq":1}`, ""},
		{"assessment of a period not over", "/api/v1/accountability/assessment?period=2099Q1", ``, "acc.period"},
		{"petition without a description", "/api/v1/public/petitions", `{"description":"","category":"air"}`, ""},
		{"rating with a wrong key", "/api/v1/public/petitions/" + s.PetitionCode + "/callback", `{"satisfaction":"satisfied","rating_key":"WRONG"}`, "cases.rating_key"},
		{"patrol without a county", "/api/v1/patrols/start", `{"county":"","area":""}`, ""},
	} {
		req, _ := http.NewRequest(http.MethodPost, base+c.path, bytes.NewBufferString(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("form-test-%d", i))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Error *struct{ Code, Reason, Field, Message string } `json:"error"`
		}
		err = json.NewDecoder(res.Body).Decode(&b)
		res.Body.Close()
		if err != nil || b.Error == nil || res.StatusCode < 400 {
			t.Errorf("%s: status %d, %v %+v", c.name, res.StatusCode, err, b.Error)
			continue
		}
		e := b.Error
		if c.reason != "" && e.Reason != c.reason {
			t.Errorf("%s: reason %q, want %q (%+v)", c.name, e.Reason, c.reason, e)
		}
		zh := dashboard.ErrorText("zh", e.Code, e.Reason, e.Field, e.Message)
		if word.MatchString(zh) || zh == dashboard.ErrorText("zh", "", "", "", "") {
			t.Errorf("%s: %d %+v reads %q on a Chinese page", c.name, res.StatusCode, e, zh)
		}
		t.Logf("%s: %d %s/%s/%s → %s", c.name, res.StatusCode, e.Code, e.Reason, e.Field, zh)
	}
}
