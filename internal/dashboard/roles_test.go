package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestRoles checks every page for every role (internal/auth's role →
// scope table, with row scopes): the published pages are open to all;
// a staff page answers 403 to a role without its scope, and shows a
// county's or an enterprise's user only their own rows.
func TestRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, s := fixture(t, b)
		seedAccount(t, st, s)
		ctx := context.Background()
		au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
		h, _ := newTestHandler(t, b, Config{Auth: au})

		var ent, other model.Enterprise
		for _, e := range s.Reg.Enterprises {
			if e.USCC == s.Outlet.Enterprise {
				ent = e
			}
		}
		for _, e := range s.Reg.Enterprises {
			if e.County != ent.County {
				other = e
				break
			}
		}
		users := []model.User{
			{ID: "r-city", Role: model.RoleCity},
			{ID: "r-county", Role: model.RoleCounty, County: ent.County},
			{ID: "r-county-other", Role: model.RoleCounty, County: other.County},
			{ID: "r-ent", Role: model.RoleEnterprise, Enterprise: ent.USCC},
			{ID: "r-ent-other", Role: model.RoleEnterprise, Enterprise: other.USCC},
			{ID: "r-machine", Role: model.RoleMachine},
			{ID: "r-display", Role: model.RoleDisplay},
		}
		tokens := map[string]string{"anonymous": ""}
		principals := map[string]auth.Principal{"anonymous": auth.Anonymous}
		for _, u := range users {
			u.Name, u.CreatedAt = u.ID, testNow
			if err := st.PutUser(ctx, u, nil); err != nil && !strings.Contains(err.Error(), "exist") {
				t.Fatal(err)
			}
			tok, err := au.NewToken(ctx, u.ID, "test", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			tokens[u.ID] = tok
			principals[u.ID] = auth.Principal{User: u.ID, Role: u.Role, County: u.County, Enterprise: u.Enterprise}
		}

		// The overdue case is in 371502; the petition's in 371521.
		pages := []struct {
			path  string
			scope string // "" for a published page
			// rows names content that is a row of some county/enterprise: shown
			// exactly to those whose scope covers it.
			rows []row
			// all: the page needs an all-seeing scope (city, machine).
			all bool
			// detail: the page is one row's (rows[0]); outside the scope it
			// is not found, its existence not confirmed.
			detail bool
		}{
			{"/", "", nil, false, false},
			{"/air", "", nil, false, false},
			{"/air/stations/371501A", "", nil, false, false},
			{"/water?period=2025-05", "", nil, false, false},
			{"/reports/monthly?month=2025-05", "", nil, false, false},
			{"/petition", "", nil, false, false},
			{"/petition/track?code=" + s.PetitionCode, "", nil, false, false},
			{"/monitoring", auth.ScopeRaw, []row{{ent.Name, ent.County, ent.USCC}, {other.Name, other.County, other.USCC}}, false, false},
			{"/monitoring/enterprises/" + ent.USCC, auth.ScopeRaw, []row{{s.Device.MN, ent.County, ent.USCC}}, false, true},
			{"/monitoring/devices/" + s.Device.MN, auth.ScopeRaw, []row{{"10.1.2.3:5000", ent.County, ent.USCC}}, false, true},
			// The API's scope for the quarantine: the city only, not machines.
			{"/monitoring/quarantine", auth.ScopeQuarantine, nil, true, false},
			// Forwarding: the city's links to upper platforms.
			{"/monitoring/forwarding", auth.ScopeRaw, nil, true, false},
			{"/rights", accessRights, nil, true, false},
			{"/cases", auth.ScopeCasesRead, []row{{s.OverdueCase, "371502", ""}}, false, false},
			{"/cases/" + s.OverdueCase, auth.ScopeCasesRead, []row{{"扬尘未覆盖", "371502", ""}}, false, true},
			{"/notices", auth.ScopeCasesRead, []row{{NoticeDoc, "371502", ""}}, false, false},
			{"/notices/" + s.OverdueCase + "/0", auth.ScopeCasesRead, []row{{NoticeDoc, "371502", ""}}, false, true},
			{"/petitions", auth.ScopePetitionsRead, []row{{s.PetitionCode, "371521", ""}}, false, false},
			{"/water/trace", accessTrace, nil, false, false},
			// Counties see their own rows, with their rank among all counties.
			{"/accountability?period=2025Q1", accessAccount, []row{{accReason(ent.County), ent.County, ""}, {accReason(other.County), other.County, ""},
				{accProject(ent.County), ent.County, ""}, {accProject(other.County), other.County, ""}}, false, false},
			// The big screen: city-wide figures, for the city, machine
			// accounts and wall displays only.
			{"/screen", auth.ScopeScreen, nil, true, false},
			{"/screen/data.json", auth.ScopeScreen, nil, true, false},
			{"/login", "", nil, false, false},
			{"/screen/login", "", nil, false, false},
			// Display codes: whoever administers users (the city).
			{"/displays", auth.ScopeUsersAdmin, nil, true, false},
		}
		for who, tok := range tokens {
			p := principals[who]
			sc := auth.ScopeOf(p)
			for _, pg := range pages {
				req := httptest.NewRequest("GET", pg.path, nil)
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				body := w.Body.String()

				want := http.StatusOK
				switch {
				case pg.path == "/screen" && who == "anonymous":
					// Sent to the wall display's sign-in, not refused.
					want = http.StatusSeeOther
				case pg.scope == "" && p.Role == model.RoleDisplay && pg.path != "/screen/login":
					// A wall display opens the big screen and nothing else.
					want = http.StatusForbidden
				case pg.scope == "":
				case !auth.Allowed(p, pg.scope):
					want = http.StatusForbidden
				case pg.all && !sc.All:
					want = http.StatusForbidden
				}
				if want == http.StatusOK && pg.detail && !sc.Sees(pg.rows[0].county, pg.rows[0].enterprise) {
					want = http.StatusNotFound
				}
				if w.Code != want {
					t.Errorf("%s %s: status %d, want %d", who, pg.path, w.Code, want)
					continue
				}
				if want != http.StatusOK {
					continue
				}
				for _, r := range pg.rows {
					if r.county == "" && r.enterprise == "" {
						continue
					}
					shown := strings.Contains(body, r.text)
					if sees := sc.Sees(r.county, r.enterprise); shown != sees {
						t.Errorf("%s %s: row %q shown=%v, scope sees it=%v", who, pg.path, r.text, shown, sees)
					}
				}
			}
		}
	})
}

type row struct{ text, county, enterprise string }
