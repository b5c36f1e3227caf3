package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// accPeriod is the seeded period: the last quarter ended at testNow, the
// page's default.
var accPeriod = chinatime.Period{Kind: chinatime.Quarter, Year: 2025, N: 1}

// accReason is the seeded firing's reason for a county: a row of that
// county only (the role matrix looks for it). It is in the engine's
// words, stored without its English as an older binary did: the English
// page shows accReasonEN, read back from it.
func accReason(county string) string {
	return "PM2.5浓度(μg/m³)为" + county + ",未完成目标42"
}

func accReasonEN(county string) string {
	return "PM2.5 " + county + " µg/m³, target 42 µg/m³ not met"
}

// accProject is the seeded governance project's name of a county.
func accProject(county string) string { return "VOCs源头替代项目-" + county }

// seedAccount stores, through the store's own methods, an assessment of
// accPeriod over every county of the registry with a tie at rank 2, a
// settlement with one payer and receivers, a trigger firing per county
// (the first county's linked to the overdue case), a warning in force at
// testNow, a soil key unit with overdue duties and a project per county.
// It is idempotent per store (the fixture store is shared).
func seedAccount(t testing.TB, st store.Store, s *seeded) {
	t.Helper()
	ctx := context.Background()
	as, ok := st.(store.AccountabilityStore)
	if !ok {
		t.Fatal("store holds no accountability data")
	}
	if _, err := as.Assessment(ctx, accPeriod); err == nil {
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	cs := s.Reg.Counties
	a := acc.Assessment{Period: accPeriod, Scheme: "test-2025", Title: "测试考核办法", TitleEN: "Test assessment scheme",
		Rules: []acc.Rule{{Indicator: acc.PM25, Method: acc.ByTarget, Points: 60, DeductPerUnit: 5}, {Indicator: acc.GoodDays, Method: acc.ByRank, Points: 40}}}
	st2 := acc.Settlement{Period: accPeriod, Formula: "sd-2025"}
	var fs []acc.Firing
	var ps []acc.Project
	for i, c := range cs {
		// Ranks 1, 2, 2, 4, ...: the second and third tie.
		rank, total := i+1, 90.0-float64(i)
		if i == 2 {
			rank, total = 2, 89
		}
		a.Counties = append(a.Counties, acc.CountyScore{County: c.Code, Name: c.Name, Total: total, Rank: rank, Items: []acc.Item{
			{Indicator: acc.PM25, Value: float64(40 + i), Target: 42, HasTarget: true, Met: 40+i <= 42, Rank: i + 1, Score: 55},
			{Indicator: acc.GoodDays, Value: 70.5 - float64(i), Rank: i + 1, Score: 35}}})
		l := acc.CompLine{County: c.Code, Name: c.Name, Score: 1.5, Factor: 1000, GoodDaysPP: 2}
		if i == 0 {
			l.Amount, l.Payable = -1234567, 1234567
		} else {
			l.Amount, l.Receivable = 200000+int64(i), 200000+int64(i)
		}
		st2.Lines = append(st2.Lines, l)
		st2.Receivable += l.Receivable
		st2.Payable += l.Payable
		fs = append(fs, acc.Firing{Rule: "last-twice", Period: accPeriod, County: c.Code, Step: acc.StepSummons, Reason: accReason(c.Code),
			ReportDue: time.Date(2025, 5, 10, 0, 0, 0, 0, cst)})
		ps = append(ps, acc.Project{ID: "P-" + c.Code, County: c.Code, Kind: acc.VOCsSubstitute, Name: accProject(c.Code), Unit: "%", Target: 100, Progress: 65,
			Due: time.Date(2025, 12, 31, 0, 0, 0, 0, cst)})
	}
	at := testNow.Add(-24 * time.Hour)
	if err := as.SaveAssessment(ctx, a, at); err != nil {
		t.Fatal(err)
	}
	if err := as.SaveSettlement(ctx, st2, at); err != nil {
		t.Fatal(err)
	}
	if _, err := as.RecordFirings(ctx, accPeriod, fs); err != nil {
		t.Fatal(err)
	}
	if err := as.SetFiringCase(ctx, "last-twice", accPeriod, cs[0].Code, s.OverdueCase); err != nil {
		t.Fatal(err)
	}
	if err := as.AddWarning(ctx, acc.Warning{ID: "W-2025-06", Level: acc.Orange, Start: testNow.Add(-6 * time.Hour), End: testNow.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Listed in 2023: the 2024 toxic-substance report and screening are due
	// and never done, so overdue at testNow.
	if err := as.PutSoilUnits(ctx, []acc.SoilUnit{{ID: "SU-1", Enterprise: s.Outlet.Enterprise, County: cs[0].Code, Name: "土壤重点监管单位甲",
		Listed: time.Date(2023, 3, 1, 0, 0, 0, 0, cst)}}); err != nil {
		t.Fatal(err)
	}
	if err := as.PutProjects(ctx, ps); err != nil {
		t.Fatal(err)
	}
}

func TestAccountabilityPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
		seedAccount(t, st, s)
		first, third := s.Reg.Counties[0], s.Reg.Counties[2]
		tests := []struct {
			path   string
			status int
			want   []string
			not    []string
		}{
			{"/accountability?period=2025Q1", 200, []string{
				"区县考核与问责", "2025年第一季度", `id="assessment"`, "测试考核办法",
				// The tie: the third county shares rank 2.
				`<tr data-county="` + third.Code + `"><td class="rank">2</td>`,
				"PM2.5浓度(μg/m³)", "优良天数比例(%)",
				// Amounts in yuan with separators; the city's totals.
				`id="settlement"`, "1,234,567", `id="payable">1,234,567<`,
				// The firing's ladder step and its case.
				`id="firings"`, "约谈", accReason(first.Code), `href="/cases/` + s.OverdueCase + `"`, "2025-05-10",
				`id="warnings"`, "橙色预警", `style="background:#FF7E00;color:#000"`, "生效中", "全市",
				`id="overdue"`, "土壤重点监管单位甲", "有毒有害物质排放年度报告",
				`id="projects"`, accProject(first.Code), "VOCs源头替代", `value="65"`,
				`href="/api/v1/accountability/bulletin?period=2025-Q1"`, `href="/api/v1/accountability/assessment?period=2025-Q1&amp;format=xlsx"`,
				`href="/accountability?period=2024-Q4"`, `href="/accountability?period=2025-Q2"`,
			}, []string{`id="acc-none"`}},
			// The default is the last ended quarter.
			{"/accountability", 200, []string{"2025年第一季度", `id="assessment"`}, nil},
			{"/accountability?period=2025Q1&lang=en", 200, []string{"County assessment and accountability", "2025-Q1", "summons", "orange", "in force", "Whole city", "Toxic-substance annual report", "Test assessment scheme", `href="/api/v1/accountability/bulletin?period=2025-Q1&amp;lang=en"`, `href="/api/v1/accountability/assessment?period=2025-Q1&amp;format=xlsx&amp;lang=en"`,
				accReasonEN(first.Code)}, []string{"约谈", accReason(first.Code), "recorded in Chinese only"}},
			// Nothing stored: said so, with the CLI and the API to compute it.
			{"/accountability?period=2024-07", 200, []string{`id="acc-none"`, `<form id="acc-run" class="toolbar" data-period="2024-07">`, "/static/account.js", "本期无考核结果"},
				[]string{`id="assessment"`, `id="firings"`}},
			{"/accountability?period=2025Q5", 400, nil, nil},
		}
		// A key shown as text; not one inside a longer key (the error
		// catalogue the page gives its script names err.reason.acc.*).
		key := regexp.MustCompile(`(?:^|[^.\w])(acc\.[a-z_.-]+[a-z])\b`)
		for _, tc := range tests {
			w := get(t, h, tc.path)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Errorf("%s: status %d, want %d", tc.path, w.Code, tc.status)
				continue
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("%s: missing %q", tc.path, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("%s: shows %q", tc.path, s)
				}
			}
			if m := key.FindStringSubmatch(body); m != nil && tc.status == 200 {
				t.Errorf("%s: message key %q shown untranslated", tc.path, m[1])
			}
		}

		// The reason column speaks the page's language, every row of it.
		cell, han := regexp.MustCompile(`<td class="reason">(.*?)</td>`), regexp.MustCompile(`\p{Han}`)
		for _, lang := range []string{"zh", "en"} {
			cells := cell.FindAllStringSubmatch(get(t, h, "/accountability?period=2025Q1&lang="+lang).Body.String(), -1)
			if len(cells) != len(s.Reg.Counties) {
				t.Fatalf("%s: %d reasons, want one per county (%d)", lang, len(cells), len(s.Reg.Counties))
			}
			for _, c := range cells {
				if han.MatchString(c[1]) != (lang == "zh") {
					t.Errorf("%s page: reason %q", lang, c[1])
				}
			}
		}
	})
}

// A page view computes nothing and stores nothing: the soil duties it
// derives for units without stored duties stay in memory.
func TestAccountabilityPageWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
		seedAccount(t, st, s)
		if w := get(t, h, "/accountability?period=2025Q1"); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		as := st.(store.AccountabilityStore)
		ds, err := as.Duties(context.Background(), 2024)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 0 {
			t.Errorf("viewing the page stored %d duties", len(ds))
		}
		if _, err := as.Assessment(context.Background(), chinatime.Period{Kind: chinatime.Month, Year: 2024, N: 7}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an assessment of 2024-07 exists after viewing: %v", err)
		}
	})
}

func TestWholeYuan(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {-1234567, "-1,234,567"}, {100000, "100,000"}} {
		if got := wholeYuan(tc.v); got != tc.want {
			t.Errorf("wholeYuan(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// A county's user sees its own rows with its rank among all counties
// (here the tied second place), its own compensation totals, and no hint
// to compute (only the city computes).
func TestAccountabilityCountyView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, s := fixture(t, b)
		seedAccount(t, st, s)
		ctx := context.Background()
		au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
		h, _ := newTestHandler(t, b, Config{Auth: au})
		third, first := s.Reg.Counties[2], s.Reg.Counties[0]
		u := model.User{ID: "acc-county", Name: "acc-county", Role: model.RoleCounty, County: third.Code, CreatedAt: testNow}
		if err := st.PutUser(ctx, u, nil); err != nil && !strings.Contains(err.Error(), "exist") {
			t.Fatal(err)
		}
		tok, err := au.NewToken(ctx, u.ID, "test", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		do := func(path string) string {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", path, w.Code)
			}
			return w.Body.String()
		}
		body := do("/accountability?period=2025Q1")
		for _, want := range []string{`<tr data-county="` + third.Code + `"><td class="rank">2</td>`, accReason(third.Code),
			`id="receivable">200,002<`, `id="payable">0<`, `id="nav-accountability"`} {
			if !strings.Contains(body, want) {
				t.Errorf("county view: missing %q", want)
			}
		}
		for _, not := range []string{`data-county="` + first.Code + `"`, "1,234,567", s.OverdueCase} {
			if strings.Contains(body, not) {
				t.Errorf("county view shows another county's %q", not)
			}
		}
		body = do("/accountability?period=2024-07")
		if !strings.Contains(body, `id="acc-none"`) || strings.Contains(body, `id="acc-run"`) {
			t.Error("county view of an empty period: want the notice without the city's assess button")
		}
		// A period not over yet cannot be assessed: no button, and the page
		// says why.
		if h, _ := newTestHandler(t, b, Config{}); true {
			body := get(t, h, "/accountability?period=2025Q3").Body.String()
			if strings.Contains(body, `id="acc-run"`) || !strings.Contains(body, "本期尚未结束") {
				t.Error("a period not over: want no assess button and the reason")
			}
		}
	})
}
