package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// City staff make a display code on the page (through the API, with the
// session's CSRF token): the code and its sign-in link are shown once,
// the link signs a wall display in; revoking it, confirmed, ends it, and a
// wall whose code is revoked goes back to its sign-in by itself. Not in
// the demo's open mode, where anyone may watch the screen.
func TestBrowserDisplays(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserAppMode(t, storetest.SQLite, false)
	ctx, consoleErrors := browser(t, exe)
	addUser(t, s, model.User{ID: "admin", Name: "市局管理员", Role: model.RoleCity}, "city-password")
	actx, cancel := context.WithTimeout(ctx, 3*time.Minute) // generous: -race on a busy machine
	defer cancel()
	if err := chromedp.Do(actx,
		login(base, "admin", "city-password"),
		chromedp.WaitVisible("#nav-displays"),
		chromedp.Click("#nav-displays"),
		chromedp.WaitVisible("#no-displays"),
		chromedp.SendKeys("#display-name", "指挥中心主屏"),
		chromedp.WaitEnabled("#display-create"), // bound by displays.js
		chromedp.Click("#display-create"),
		chromedp.WaitVisible("#display-created"),
	); err != nil {
		if msg, _ := chromedp.Run(ctx, chromedp.TextContent("#action-result")); msg != "" {
			t.Fatalf("%v: %s", err, msg)
		}
		t.Fatal(err)
	}
	code := text(ctx, t, "#display-code")
	link := eval[string](ctx, t, `document.getElementById('display-link').value`)
	if len(code) < 20 || link != base+"/screen/login?code="+code {
		t.Fatalf("code %q, link %q", code, link)
	}
	if row := text(ctx, t, "#displays tbody tr"); !strings.Contains(row, "指挥中心主屏") || !strings.Contains(row, "有效") {
		t.Errorf("new row %q", row)
	}
	shots := screenshotDir(t)
	for _, v := range viewports {
		if err := chromedp.Do(ctx, emulate(v.width, v.height, v.phone)); err != nil {
			t.Fatal(err)
		}
		if sw, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`); sw > iw {
			t.Errorf("%s: page %d px wide in a %d px window", v.name, sw, iw)
		}
		saveScreenshot(ctx, t, shots, "displays-"+v.name, true)
	}
	if err := chromedp.Do(ctx, emulate(1366, 900, false)); err != nil {
		t.Fatal(err)
	}
	// Shown once: a reload no longer has it.
	if err := chromedp.Do(actx, chromedp.Reload(), chromedp.WaitVisible("#displays"),
		chromedp.WaitEnabled("#displays form.display-revoke button")); err != nil {
		t.Fatal(err)
	}
	if shown := eval[bool](ctx, t, `!document.getElementById('display-created').hidden || document.body.innerText.includes(`+"`"+code+"`"+`)`); shown {
		t.Error("the code is shown again after a reload")
	}
	signIn := func() int {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := signIn(); got != http.StatusSeeOther {
		t.Fatalf("the link signs in with %d, want 303 to the screen", got)
	}
	// Revoking asks first, by name; answered no, nothing happens.
	eval[bool](ctx, t, `(window.confirm = m => (window.__asked = m, false), document.querySelector('#displays form.display-revoke button').click(), true)`)
	if asked := eval[string](ctx, t, `window.__asked || ''`); !strings.Contains(asked, "确定吊销“指挥中心主屏”") {
		t.Errorf("revoking asked %q", asked)
	}
	if got := signIn(); got != http.StatusSeeOther {
		t.Errorf("declined, the code signs in with %d, want 303", got)
	}
	eval[bool](ctx, t, `(window.confirm = m => true, true)`)
	if err := chromedp.Do(actx, chromedp.Click("#displays form.display-revoke button"), chromedp.WaitNotPresent("#displays form.display-revoke")); err != nil {
		t.Fatal(err)
	}
	if row := text(ctx, t, "#displays tbody tr"); !strings.Contains(row, "已吊销") {
		t.Errorf("after revoking: %q", row)
	}
	if got := signIn(); got != http.StatusUnauthorized {
		t.Errorf("the revoked link signs in with %d, want 401", got)
	}

	// A wall signed in with a second code: revoked meanwhile, its next
	// refresh takes it back to the sign-in.
	au := auth.New(s.St, auth.Options{})
	code2, c2, err := au.NewDisplayCode(context.Background(), "会商室", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(actx, chromedp.Navigate(base+"/screen/login?code="+code2), chromedp.WaitVisible(`body[data-drawn="true"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := au.RevokeDisplayCode(context.Background(), c2.ID, nil); err != nil {
		t.Fatal(err)
	}
	eval[bool](ctx, t, `(window.ecowatchScreenRefresh(), true)`)
	if err := chromedp.Do(actx, chromedp.WaitVisible("#screenlogin-form")); err != nil {
		t.Fatalf("revoked display: not back at the sign-in: %v", err)
	}
	for _, e := range consoleErrors() {
		// The refused refresh is the one error the test provokes.
		if strings.Contains(e, "/screen/data.json") && strings.Contains(e, "403") {
			continue
		}
		t.Errorf("browser: %s", e)
	}
}
