package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/model"
)

// clippedCells is a script naming the cells of the case list's county,
// state and deadline columns that do not show their whole text: content
// wider or taller than the cell (cut, or an ellipsis), or a cell reaching
// past the window's right edge.
const clippedCells = `(() => {
  const bad = [], vw = document.documentElement.clientWidth;
  for (const tr of document.querySelectorAll('#cases tbody tr')) {
    for (const i of [2, 4, 5]) {
      const td = tr.cells[i];
      const r = td.getBoundingClientRect();
      const cut = td.scrollWidth > td.clientWidth + 1 || td.scrollHeight > td.clientHeight + 1 ||
        Array.from(td.querySelectorAll('*')).some(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible');
      if (cut || r.right > vw + 1 || r.width < 8) bad.push(i + ':' + td.textContent.trim() + ' (' + td.scrollWidth + '>' + td.clientWidth + ', right ' + Math.round(r.right) + ')');
    }
  }
  return bad;
})()`

// The case list's county, state and deadline columns are readable on the
// three screens in both languages: long county names (聊城高新技术产业开发区,
// Liaocheng Economic and Technological Development Zone) and overdue
// badges are neither cut nor pushed off the window.
func TestBrowserCaseColumns(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserApp(t)
	ctx := context.Background()
	// Cases in the counties with the longest names, one overdue (every
	// deadline badge it can carry), one fresh.
	then := dashboard.TestNow.Add(-40 * 24 * time.Hour)
	city := auth.Principal{User: "city-admin", Role: model.RoleCity, Via: "test"}
	for i, county := range []string{"371591", "371592", "371593"} {
		at := then
		if i == 1 {
			at = dashboard.TestNow.Add(-time.Hour)
		}
		svc := &casesvc.Service{St: s.St, DataDir: t.TempDir(), Now: func() time.Time { return at }}
		c, err := svc.Register(ctx, cases.Case{Source: cases.SourcePatrol, Line: "water", County: county, Severity: cases.SeverityGeneral,
			Title: "河道排污口夜间偷排黑臭废水，群众多次反映", Description: "夜间偷排"}, city)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, _, err := svc.Act(ctx, c.ID, 0, cases.Action{Kind: cases.ActAccept}, city); err != nil {
				t.Fatal(err)
			}
		}
	}
	bctx, consoleErrors := browser(t, exe)
	shots := screenshotDir(t)
	forEachViewport(bctx, t, base+"/cases", "#cases tbody tr", func(ctx context.Context, t *testing.T, lang string, v viewport) {
		if n := eval[int](ctx, t, `document.querySelectorAll('#cases tbody tr').length`); n < 4 {
			t.Fatalf("%d cases listed", n)
		}
		for _, c := range eval[[]string](ctx, t, clippedCells) {
			t.Errorf("cell cut: %s", c)
		}
		saveScreenshot(ctx, t, shots, "cases-columns-"+lang+"-"+v.name, true)
	})
	for _, e := range consoleErrors() {
		t.Errorf("browser: %s", e)
	}
}
