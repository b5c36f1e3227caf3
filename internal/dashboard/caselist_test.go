package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// caseStore is a store of its own (the shared fixture's case counts are
// asserted elsewhere) with the demo registry and n cases spread over two
// counties, work lines and sources; every third is accepted long ago and
// so overdue at testNow.
func caseStore(t *testing.T, b storetest.Backend, n int) (store.Store, *casesvc.Service) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, b)
	if err := registry.Import(ctx, st, registry.DemoCity(1), nil); err != nil {
		t.Fatal(err)
	}
	then := testNow.Add(-60 * 24 * time.Hour)
	old := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return then }}
	// Fresh cases: registered an hour ago, within their acceptance time.
	svc := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return testNow.Add(-time.Hour) }}
	city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
	for i := range n {
		county, line, src := "371502", "air-dust", cases.SourceInspection
		if i%2 == 1 {
			county, line, src = "371521", "water", cases.SourcePatrol
		}
		reg := svc
		if i%3 == 0 {
			reg = old
		}
		c, err := reg.Register(ctx, cases.Case{Source: src, Line: line, County: county, Severity: cases.SeverityGeneral,
			Title: fmt.Sprintf("案件%02d 扬尘未覆盖", i), Description: "工地裸土"}, city)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, _, err := old.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, city); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, svc
}

var caseLink = regexp.MustCompile(`<td><a href="/cases/(C[0-9-]+)">`)

func listed(body string) []string {
	var ids []string
	for _, m := range caseLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestCaseListFilters: each filter narrows the list as the store would,
// paging shows 20 at a time with links to the neighbours, and a county
// user sees only their county whatever the request asks.
func TestCaseListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := caseStore(t, b, 45)
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		count := func(path string) (int, string) {
			t.Helper()
			w := get(t, h, path)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d", path, w.Code)
			}
			return len(listed(w.Body.String())), w.Body.String()
		}
		n, body := count("/cases")
		if n != casePageSize || !strings.Contains(body, `id="next-page"`) || strings.Contains(body, `id="prev-page"`) {
			t.Errorf("first page: %d rows, pager wrong", n)
		}
		if n, body = count("/cases?page=3"); n != 5 || strings.Contains(body, `id="next-page"`) || !strings.Contains(body, `href="/cases?page=2"`) {
			t.Errorf("last page: %d rows", n)
		}
		// Overdue first: the accepted ones (every third, 15) lead the list.
		_, body = count("/cases")
		first := listed(body)[0]
		if c, _ := st.Case(context.Background(), first); c.State != cases.StateAccepted {
			t.Errorf("first row %s is %s, want an overdue accepted case", first, c.State)
		}
		for _, tc := range []struct {
			q    string
			want int
		}{
			{"county=371502", 20}, // 23 in the county, first page
			{"county=371502&page=2", 3},
			{"line=water", 20},
			{"line=water&page=2", 2},
			{"source=patrol&county=371502", 0},
			{"state=accepted", 15},
			{"overdue=1", 15},
			{"overdue=1&county=371521", 7},
			{"q=" + "案件07", 1},
			{"q=" + "扬尘&state=registered&county=371521", 15},
		} {
			if n, _ := count("/cases?" + tc.q); n != tc.want {
				t.Errorf("/cases?%s: %d rows, want %d", tc.q, n, tc.want)
			}
		}
		// The filter survives paging.
		if _, body := count("/cases?line=water"); !strings.Contains(body, `href="/cases?line=water&amp;page=2"`) {
			t.Error("next page link lost the filter")
		}
		if _, body := count("/cases?q=%E6%B2%A1%E6%9C%89"); !strings.Contains(body, `id="no-cases"`) {
			t.Error("an empty result says nothing")
		}

		// A county user: only their county, even when asking for another.
		au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: fastParams})
		hash, _ := auth.HashPassword("pw", fastParams)
		if err := st.PutUser(context.Background(), model.User{ID: "yg", Name: "阳谷县局", Role: model.RoleCounty, County: "371521", PasswordHash: hash, CreatedAt: testNow}, nil); err != nil {
			t.Fatal(err)
		}
		tok, err := au.NewToken(context.Background(), "yg", "t", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		ha, err := New(Config{Now: func() time.Time { return testNow }, Auth: au}, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"", "?county=371502", "?page=2"} {
			w := do(t, ha, http.MethodGet, "/cases"+q, tok, nil)
			for _, id := range listed(w.Body.String()) {
				if c, _ := st.Case(context.Background(), id); c.County != "371521" {
					t.Errorf("/cases%s shows %s of county %s to a 阳谷县 user", q, id, c.County)
				}
			}
			if q == "" && len(listed(w.Body.String())) != 20 {
				t.Errorf("county user sees %d rows", len(listed(w.Body.String())))
			}
		}
	})
}

// TestCasePageAssign: the assign form offers the users whose scope holds
// the case (by name), and the history shows who was assigned by name.
func TestCasePageAssign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 1)
		ctx := context.Background()
		for _, u := range []model.User{
			{ID: "dcf-zhang", Name: "张伟", Role: model.RoleCounty, County: "371502"},
			{ID: "yg-li", Name: "李娜", Role: model.RoleCounty, County: "371521"},
			{ID: "city-wang", Name: "王强", Role: model.RoleCity},
		} {
			u.CreatedAt = testNow
			if err := st.PutUser(ctx, u, nil); err != nil {
				t.Fatal(err)
			}
		}
		all, _ := st.Cases(ctx, store.CaseQuery{})
		id := all[0].ID
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		body := get(t, h, "/cases/"+id).Body.String()
		if !strings.Contains(body, `<select name="assignees"`) || !strings.Contains(body, `value="dcf-zhang">张伟`) || !strings.Contains(body, `value="city-wang">王强`) {
			t.Errorf("assign select lacks the county's and city's users")
		}
		if strings.Contains(body, "李娜") {
			t.Error("a user of another county is offered")
		}
		city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
		if _, _, err := svc.Act(ctx, id, 0, cases.Action{Kind: cases.ActAssign, Assignees: []string{"dcf-zhang"}}, city); err != nil {
			t.Fatal(err)
		}
		body = get(t, h, "/cases/"+id).Body.String()
		if !strings.Contains(body, "张伟（dcf-zhang）") {
			t.Error("the history does not name the assignee")
		}
	})
}

// TestCaseListDeadlines: the overdue badge names the deadline missed —
// acceptance for a registered case, assignment for an accepted one, the
// closure deadline — from the engine's policy, not the closure deadline
// alone; a case within its times shows its next deadline by name.
func TestCaseListDeadlines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 1) // one case accepted 60 days ago
		ctx := context.Background()
		city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
		then := testNow.Add(-20 * 24 * time.Hour)
		old := &casesvc.Service{St: st, DataDir: t.TempDir(), Now: func() time.Time { return then }}
		late, err := old.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "air-dust", County: "371502", Severity: cases.SeverityGeneral,
			Title: "未受理的案件", Description: "x"}, city)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := svc.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "air-dust", County: "371502", Severity: cases.SeverityGeneral,
			Title: "新案件", Description: "x"}, city)
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		row := func(body, id string) string {
			i := strings.Index(body, `<td><a href="/cases/`+id+`">`)
			if i < 0 {
				t.Fatalf("%s not listed", id)
			}
			return body[i : i+strings.Index(body[i:], "</tr>")]
		}
		body := get(t, h, "/cases?lang=zh").Body.String()
		if r := row(body, late.ID); !strings.Contains(r, "超期未受理") || !strings.Contains(r, "受理期限") {
			t.Errorf("registered 20 days ago: %s", r)
		}
		if r := row(body, fresh.ID); strings.Contains(r, "超期") || !strings.Contains(r, "受理期限") {
			t.Errorf("registered an hour ago: %s", r)
		}
		var accepted string
		for _, id := range listed(body) {
			if id != late.ID && id != fresh.ID {
				accepted = id
			}
		}
		if r := row(body, accepted); !strings.Contains(r, "超期未交办") {
			t.Errorf("accepted 60 days ago: %s", r)
		}
		// The overdue filter (the store's) and the badges agree.
		ov := listed(get(t, h, "/cases?overdue=1").Body.String())
		if len(ov) != 2 || !slices.Contains(ov, late.ID) || !slices.Contains(ov, accepted) {
			t.Errorf("overdue filter lists %v", ov)
		}
		if b := get(t, h, "/cases?lang=en").Body.String(); !strings.Contains(row(b, late.ID), "acceptance overdue") {
			t.Errorf("English: %s", row(b, late.ID))
		}
	})
}

// A case's timeline shows a judgement note stored again by each extension
// of its alert episode (before the platform wrote it once) only the first
// time; a note in other words still shows. A stored note's space after
// 依据 before a Chinese document number is not shown.
func TestCasePageRepeatedNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, svc := caseStore(t, b, 1)
		ctx := context.Background()
		all, _ := st.Cases(ctx, store.CaseQuery{})
		id := all[0].ID
		first := "超标判定：12-06 18:00 至 12-06 20:00 的超标数据无有效数据标记（规则：未标记，依据 生态环境部公告2022年第21号）"
		later := "超标判定：12-07 06:00 至 12-07 08:00 的超标数据无有效数据标记（规则：未标记，依据 生态环境部公告2022年第21号）"
		for _, r := range []string{first, first, first, later, later} {
			cur, err := st.Case(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.Act(ctx, id, cur.Seq, cases.Action{Kind: cases.ActNote, Reason: r}, casesvc.AlertSystem); err != nil {
				t.Fatal(err)
			}
		}
		h, err := New(Config{Now: func() time.Time { return testNow }}, st)
		if err != nil {
			t.Fatal(err)
		}
		body := get(t, h, "/cases/"+id).Body.String()
		for _, span := range []string{"12-06 18:00 至 12-06 20:00", "12-07 06:00 至 12-07 08:00"} {
			if n := strings.Count(body, span); n != 1 {
				t.Errorf("the note on %s shown %d times, want once", span, n)
			}
		}
		if strings.Contains(body, "依据 生态环境部") || !strings.Contains(body, "依据生态环境部公告2022年第21号") {
			t.Error("the note keeps the space after 依据")
		}
	})
}
