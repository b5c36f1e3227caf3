package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func init() {
	// TestRightsAuth needs a sample request for every rights route.
	for k, v := range map[string]string{
		"GET /api/v1/rights/reports/reservoir": "/api/v1/rights/reports/reservoir",
		"GET /api/v1/rights/reports/projects":  "/api/v1/rights/reports/projects",
		"GET /api/v1/rights/reports/trades":    "/api/v1/rights/reports/trades",
		"GET /api/v1/rights/reports/statement": "/api/v1/rights/reports/statement?account=ent:91371500MA3C000001",
	} {
		rightsSamples[k] = v
	}
}

var rightsReportGets = []struct{ name, target string }{
	{"report_reservoir", "/api/v1/rights/reports/reservoir?year=2025"},
	{"report_projects", "/api/v1/rights/reports/projects?year=2025&county=371502"},
	{"report_trades", "/api/v1/rights/reports/trades?pollutant=NOx"},
	{"report_statement", "/api/v1/rights/reports/statement?account=ent:91371500MA3C000002&from=2025-01-01&to=2025-12-31"},
}

func TestRightsReports(t *testing.T) { storetest.Run(t, testRightsReports) }

func testRightsReports(t *testing.T, st store.Store) {
	h, _ := rightsHandler(t, st)
	seedRights(t, h)
	for _, g := range rightsReportGets {
		t.Run(g.name, func(t *testing.T) {
			rec := do(t, h, "GET", g.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			golden.Check(t, "testdata/rights/"+g.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}

	t.Run("xlsx", func(t *testing.T) {
		rec := do(t, h, "GET", "/api/v1/rights/reports/trades?year=2025&format=xlsx")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			rec.Header().Get("Content-Disposition") != `attachment; filename="rights-trades-2025.xlsx"` {
			t.Fatalf("%d %v", rec.Code, rec.Header())
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// The agreement (3 t at 30,000 yuan/t) and the fill of B-1 against
		// S-1 (0.5 t at the listing's 32,000): 3.5 t, 106,000 yuan.
		for cell, want := range map[string]string{"A2": "污染物", "B2": "月份", "A3": "氮氧化物", "C3": "2", "G3": "3.5", "K3": "106000"} {
			if got, _ := f.GetCellValue("交易统计", cell, excelize.Options{RawCellValue: true}); got != want {
				t.Errorf("交易统计!%s = %q, want %q", cell, got, want)
			}
		}
		rec = do(t, h, "GET", "/api/v1/rights/reports/trades?year=2025&format=xlsx&lang=en")
		en, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if rec.Code != 200 || err != nil {
			t.Fatalf("English: %d %v", rec.Code, err)
		}
		defer en.Close()
		for cell, want := range map[string]string{"A2": "pollutant", "B2": "month", "A3": "NOx", "K3": "106000"} {
			if got, _ := en.GetCellValue("trades", cell, excelize.Options{RawCellValue: true}); got != want {
				t.Errorf("English trades!%s = %q, want %q (sheets %v)", cell, got, want, en.GetSheetList())
			}
		}
	})

	for _, c := range []struct{ target, code, field string }{
		{"/api/v1/rights/reports/reservoir?format=csv", "invalid_parameter", "format"},
		{"/api/v1/rights/reports/reservoir?format=xlsx&lang=fr", "invalid_parameter", "lang"},
		{"/api/v1/rights/reports/reservoir?year=twenty", "invalid_parameter", "year"},
		{"/api/v1/rights/reports/projects?yr=2025", "invalid_parameter", "yr"},
		{"/api/v1/rights/reports/trades?from=2025/01/01", "invalid_parameter", "from"},
		{"/api/v1/rights/reports/trades?from=2025-02-01&to=2025-01-01", "invalid_parameter", "to"},
		{"/api/v1/rights/reports/trades?year=2025&from=2025-01-01", "invalid_parameter", "year"},
		{"/api/v1/rights/reports/statement", "missing_parameter", "account"},
		{"/api/v1/rights/reports/statement?account=ent:NOPE", "not_found", "account"},
	} {
		rec := do(t, h, "GET", c.target)
		if e := decodeError(t, rec); e.Error.Code != c.code || e.Error.Field != c.field {
			t.Errorf("%s: %d %+v, want %s on %q", c.target, rec.Code, e.Error, c.code, c.field)
		}
	}
}

// TestRightsReportScope runs the reports as stored users of each role:
// an enterprise sees its own account and trades, a county its reservoir
// and the projects in it, the city everything.
func TestRightsReportScope(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite)
	open, svc := rightsHandler(t, st)
	seedRights(t, open)
	ctx := context.Background()
	au := auth.New(st, auth.Options{Now: func() time.Time { return rightsNow }, Params: cheap})
	h := New(Config{Now: func() time.Time { return rightsNow }, Rights: svc, Auth: au}, st, nil)
	users := []model.User{
		{ID: "ent-a", Role: model.RoleEnterprise, Enterprise: "91371500MA3C000001", County: "371502"},
		{ID: "ent-d", Role: model.RoleEnterprise, Enterprise: "91371500MA3C000004", County: "371502"}, // AL-1's builder
		{ID: "dcf", Role: model.RoleCounty, County: "371502"},
		{ID: "cp", Role: model.RoleCounty, County: "371523"},
		{ID: "boss", Role: model.RoleCity},
	}
	tokens := map[string]string{}
	for _, u := range users {
		u.Name, u.CreatedAt = u.ID, rightsNow
		hash, err := auth.HashPassword("password-"+u.ID, cheap)
		if err != nil {
			t.Fatal(err)
		}
		u.PasswordHash = hash
		if err := st.PutUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		if tokens[u.ID], err = au.NewToken(ctx, u.ID, "test", 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	get := func(user, target string) (int, map[string]json.RawMessage) {
		t.Helper()
		rec := do(t, h, "GET", target, "Authorization", "Bearer "+tokens[user])
		var m map[string]json.RawMessage
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}
	count := func(raw json.RawMessage) int {
		var xs []json.RawMessage
		if err := json.Unmarshal(raw, &xs); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return len(xs)
	}
	for _, c := range []struct {
		user, target, field string
		rows                int
	}{
		{"boss", "/api/v1/rights/reports/reservoir", "rows", 1},
		{"dcf", "/api/v1/rights/reports/reservoir", "rows", 1},
		{"cp", "/api/v1/rights/reports/reservoir", "rows", 0},
		{"ent-a", "/api/v1/rights/reports/reservoir", "rows", 0},
		{"boss", "/api/v1/rights/reports/projects", "projects", 1},
		{"dcf", "/api/v1/rights/reports/projects", "projects", 1},
		{"dcf", "/api/v1/rights/reports/projects", "summary", 1},
		{"cp", "/api/v1/rights/reports/projects", "projects", 0},
		{"cp", "/api/v1/rights/reports/projects", "summary", 0},
		{"ent-d", "/api/v1/rights/reports/projects", "projects", 1},
		{"ent-a", "/api/v1/rights/reports/projects", "projects", 0},
		{"ent-a", "/api/v1/rights/reports/projects", "summary", 0},
		{"boss", "/api/v1/rights/reports/trades", "rows", 1},
		{"ent-a", "/api/v1/rights/reports/trades", "rows", 1}, // a party to both trades
		{"ent-d", "/api/v1/rights/reports/trades", "rows", 0}, // its bid is still open
		{"dcf", "/api/v1/rights/reports/trades", "rows", 0},
	} {
		code, m := get(c.user, c.target)
		if code != 200 {
			t.Errorf("%s %s: %d", c.user, c.target, code)
			continue
		}
		if n := count(m[c.field]); n != c.rows {
			t.Errorf("%s %s: %d %s, want %d", c.user, c.target, n, c.field, c.rows)
		}
	}
	for _, c := range []struct {
		user, account string
		status        int
	}{
		{"ent-a", "ent:91371500MA3C000001", 200},
		{"ent-a", "ent:91371500MA3C000002", 404},
		{"ent-a", "county:371502", 404},
		{"dcf", "county:371502", 200},
		{"dcf", "ent:91371500MA3C000001", 404},
		{"cp", "county:371502", 404},
		{"boss", "ent:91371500MA3C000002", 200},
		{"boss", "county:371502", 200},
	} {
		if code, _ := get(c.user, "/api/v1/rights/reports/statement?account="+c.account); code != c.status {
			t.Errorf("%s reads the statement of %s: %d, want %d", c.user, c.account, code, c.status)
		}
	}
	// The trade figures an enterprise sees are its own: ent-a sold 3 t by
	// agreement and 0.5 t on the book.
	_, m := get("ent-a", "/api/v1/rights/reports/trades")
	var rows []struct {
		Count    int    `json:"count"`
		Quantity string `json:"quantity"`
	}
	if err := json.Unmarshal(m["rows"], &rows); err != nil || len(rows) != 1 || rows[0].Count != 2 || rows[0].Quantity != "3.500000" {
		t.Errorf("ent-a trades: %s", m["rows"])
	}
	// Without a login nothing.
	if rec := do(t, h, "GET", "/api/v1/rights/reports/trades"); rec.Code != 401 {
		t.Errorf("anonymous: %d", rec.Code)
	}
}
