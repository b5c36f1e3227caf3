package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/model"
)

// What staff could only do from the command line they do on the pages:
// a city user reviews and confirms a declared reduction on the rights
// page (static/rights.js posts the ledger commands to the API), and the
// accountability page's assess button shows the service's refusal when
// no scheme covers the period.
func TestBrowserStaffActions(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	addUser(t, s, model.User{ID: "rights-clerk", Name: "市局排污权科", Role: model.RoleCity}, "city-password")
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	row := `#credits tr[data-credit="CR-2025-002"]`
	if err := chromedp.Do(actx,
		login(base, "rights-clerk", "city-password"),
		chromedp.Navigate(base+"/rights"),
		chromedp.WaitVisible(row+" form.rights-cmd button"),
		chromedp.Click(row+" form.rights-cmd button"), // 分局初审通过
		chromedp.WaitVisible(row+` form[data-cmd*="confirm_reduction"] button`),
	); err != nil {
		t.Fatalf("review: %v (%s)", err, text(ctx, t, "#action-result"))
	}
	if got := text(ctx, t, row); !strings.Contains(got, "分局已初审") {
		t.Errorf("after the review the row reads %q", got)
	}
	if err := chromedp.Do(actx,
		chromedp.Click(row+` form[data-cmd*="confirm_reduction"] button`), // 市局核定入库
		chromedp.WaitNotPresent(row+" form.rights-cmd"),
	); err != nil {
		t.Fatalf("confirm: %v (%s)", err, text(ctx, t, "#action-result"))
	}
	if got := text(ctx, t, row); !strings.Contains(got, "已核定入库") {
		t.Errorf("after the confirmation the row reads %q", got)
	}
	if err := chromedp.Do(actx,
		chromedp.Navigate(base+"/accountability?period=2024-07"),
		chromedp.WaitVisible("#acc-run button"),
		chromedp.Click("#acc-run button"),
		chromedp.WaitVisible("#action-result.bad"),
	); err != nil {
		t.Fatal(err)
	}
	if msg := text(ctx, t, "#action-result"); !strings.Contains(msg, "没有适用于本期的考核办法") {
		t.Errorf("refusal shown as %q", msg)
	}
	for _, e := range consoleErrors() {
		// The refused POST is logged by the browser as a failed resource.
		if !strings.Contains(e, "/api/v1/accountability/assessment") {
			t.Errorf("console: %s", e)
		}
	}
}
