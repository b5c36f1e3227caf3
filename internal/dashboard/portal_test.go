package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestPublicStatusWords(t *testing.T) {
	want := map[cases.State]string{cases.StateRegistered: "submitted", cases.StateAccepted: "received", cases.StateRejected: "rejected",
		cases.StateAssigned: "working", cases.StateRectifying: "working", cases.StateSubmitted: "working", cases.StateVerifying: "working",
		cases.StateClosed: "done"}
	for _, s := range cases.States() {
		if got := PublicStatus(s); got != want[s] {
			t.Errorf("PublicStatus(%s) = %q, want %q", s, got, want[s])
		}
		for _, lang := range []string{langZH, langEN} {
			if w := tr(lang, "pub.status."+PublicStatus(s)); w == "pub.status."+PublicStatus(s) || strings.Contains(w, "销号") {
				t.Errorf("%s: %s reads %q", lang, s, w)
			}
		}
	}
}

// TestPortalTrack walks a petition from intake to closure: the tracking
// page says 已提交，待受理, then 办理中, then 已办结 with the timeline's
// times and deadlines and the rating form, in the portal's layout (no
// staff menu), never the internal words.
func TestPortalTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 0)
		ctx := context.Background()
		sp, c, err := svc.Intake(ctx, cases.Petition{Category: cases.CategoryWater, County: "371521", Location: "金堤河桥下", Description: "河水发黑", Contact: "13800001234"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		page := func() string {
			t.Helper()
			w := get(t, h, "/petition/track?code="+sp.Code)
			if w.Code != http.StatusOK {
				t.Fatalf("track: %d", w.Code)
			}
			b := w.Body.String()
			for _, bad := range []string{"销号", "核查中", "整改中", "nav-cases", `href="/cases"`, "13800001234"} {
				if strings.Contains(b, bad) {
					t.Errorf("the public page shows %q", bad)
				}
			}
			if !strings.Contains(b, `id="portal-nav"`) {
				t.Error("not the portal's layout")
			}
			return b
		}
		body := page()
		if !strings.Contains(body, "已提交，待受理") || !strings.Contains(body, "办理期限") || strings.Contains(body, `id="rate-form"`) {
			t.Error("a new petition: status, deadline or rating wrong")
		}
		city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
		county := auth.Principal{User: "yg", Role: model.RoleCounty, County: "371521", Via: "test"}
		act := func(a cases.Action, p auth.Principal) {
			t.Helper()
			if _, _, err := svc.Act(ctx, c.ID, 0, a, p); err != nil {
				t.Fatalf("%s: %v", a.Kind, err)
			}
		}
		act(cases.Action{Kind: cases.ActAccept}, city)
		if body = page(); !strings.Contains(body, ">已受理<") {
			t.Error("accepted: not 已受理")
		}
		act(cases.Action{Kind: cases.ActAssign, Assignees: []string{"yg"}}, city)
		act(cases.Action{Kind: cases.ActStart}, county)
		if body = page(); !strings.Contains(body, ">办理中<") {
			t.Error("rectifying: not 办理中")
		}
		ev, err := svc.PutEvidence(ctx, strings.NewReader("%PDF-1.4\n%report\n"), "整改报告.pdf", "yg")
		if err != nil {
			t.Fatal(err)
		}
		act(cases.Action{Kind: cases.ActSubmit, Evidence: []string{ev.Hash}, Report: "已封堵排污口"}, county)
		act(cases.Action{Kind: cases.ActVerify}, city)
		act(cases.Action{Kind: cases.ActClose}, city)
		body = page()
		if !strings.Contains(body, ">已办结<") || !strings.Contains(body, `id="rate-form"`) || strings.Count(body, `class="done"`) != 4 {
			t.Errorf("closed: status, rating form or timeline wrong")
		}
		if en := get(t, h, "/petition/track?lang=en&code="+sp.Code).Body.String(); !strings.Contains(en, ">Completed<") {
			t.Error("English status")
		}
		if w := get(t, h, "/petition/track?code=AAAA-BBBB-CCCC"); w.Code != http.StatusNotFound {
			t.Errorf("unknown code: %d", w.Code)
		}
		for _, path := range []string{"/public", "/petition"} {
			if w := get(t, h, path); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="portal-nav"`) || strings.Contains(w.Body.String(), "nav-cases") {
				t.Errorf("%s: %d, not the portal layout", path, w.Code)
			}
		}
	})
}

// TestPetitionContactScope: a petitioner's contact is shown on the desk
// only to staff whose scope holds the petition; not to the demo's
// anonymous open mode, nor to another county.
func TestPetitionContactScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 0)
		ctx := context.Background()
		if _, _, err := svc.Intake(ctx, cases.Petition{Category: cases.CategoryWater, County: "371521", Location: "金堤河", Description: "河水发黑", Contact: "13800001234"}); err != nil {
			t.Fatal(err)
		}
		au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: fastParams})
		toks := map[string]string{}
		for _, u := range []model.User{
			{ID: "yg", Name: "阳谷县局", Role: model.RoleCounty, County: "371521"},
			{ID: "dcf", Name: "东昌府区局", Role: model.RoleCounty, County: "371502"},
			{ID: "city", Name: "市局", Role: model.RoleCity},
		} {
			u.CreatedAt = testNow
			if err := st.PutUser(ctx, u, nil); err != nil {
				t.Fatal(err)
			}
			tok, err := au.NewToken(ctx, u.ID, "t", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			toks[u.ID] = tok
		}
		h, err := New(Config{Now: func() time.Time { return testNow }, Auth: au, Open: true}, st)
		if err != nil {
			t.Fatal(err)
		}
		for who, want := range map[string]bool{"": false, "dcf": false, "yg": true, "city": true} {
			w := do(t, h, http.MethodGet, "/petitions", toks[who], nil)
			if w.Code != http.StatusOK {
				t.Fatalf("%q: %d", who, w.Code)
			}
			if got := strings.Contains(w.Body.String(), "13800001234"); got != want {
				t.Errorf("user %q sees the contact: %v, want %v", who, got, want)
			}
		}
	})
}

// A station without an hour of data says so in the page's language
// instead of a bare dash (a fresh demo's first minutes).
func TestPublicStationNoData(t *testing.T) {
	st, _ := caseStore(t, storetest.SQLite, 0)
	h, err := New(Config{Now: func() time.Time { return testNow }}, st)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"": "暂无数据", "?lang=en": "No data yet"} {
		b := get(t, h, "/public"+lang).Body.String()
		i := strings.Index(b, `id="public-air"`)
		if i < 0 || !strings.Contains(b[i:], ">—<") {
			t.Fatalf("%s: no station without data in the test city", lang)
		}
		if !strings.Contains(b[i:], want) {
			t.Errorf("%s: a station without data does not say %q", lang, want)
		}
	}
}
