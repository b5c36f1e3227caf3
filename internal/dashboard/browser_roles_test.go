package dashboard_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// roleDetails are the pages one click below a list, as a user reaches
// them: the list and the selector of the first link to follow on it.
var roleDetails = []struct{ list, link string }{
	{"/cases", `#cases tbody a[href^="/cases/C"]`},
	{"/notices", `#notices a[href^="/notices/"]`},
	{"/monitoring", `#enterprises a[href^="/monitoring/enterprises/"]`},
	{"/air", `a[href^="/air/stations/"]`},
	{"/petitions", `#petitions a[href^="/cases/"]`},
}

// pageReady waits until the page has loaded and its charts have drawn
// (app.js marks each chart's container data-drawn once ECharts has it;
// a hidden container is not waited for). Generous: a busy machine draws
// slowly.
func pageReady(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	const ready = `document.readyState === 'complete' && Array.from(document.querySelectorAll('.chart[id]')).every(n => n.dataset.drawn === 'true' || !n.offsetParent)`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		undrawn := eval[string](ctx, t, `Array.from(document.querySelectorAll('.chart[id]')).filter(n => n.dataset.drawn !== 'true' && n.offsetParent).map(n => n.id).join(', ')`)
		t.Errorf("%s: not ready (charts not drawn: %s): %v", name, undrawn, err)
	}
	// Two frames: the layout the last script change asked for is painted.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
}

// brokenLinks is a script that fetches every distinct link of the page
// (same site, not the language switch) and names those answering an
// error or JSON — a person following a link must land on a page or a
// download.
const brokenLinks = `(async () => {
  const seen = new Set(), bad = [];
  for (const a of document.querySelectorAll('a[href]')) {
    const u = new URL(a.getAttribute('href'), location.href);
    if (u.origin !== location.origin || u.searchParams.has('lang') || u.pathname === '/logout' || seen.has(u.href)) continue;
    seen.add(u.href);
    const r = await fetch(u.href, {credentials: 'same-origin'});
    const ct = r.headers.get('content-type') || '';
    if (r.status >= 400 || ct.includes('json')) bad.push(u.pathname + u.search + ' → ' + r.status + ' ' + ct);
  }
  return bad;
})()`

// TestBrowserRoles opens every page the demo's county user and its
// enterprise user can reach — their menu and the first entry of each
// list — in Chinese and English on the three screens, as the demo's
// users (auth.SeedDemo) through the login page. Each page as drawn must
// pass the language check of TestLanguage (no English on a Chinese page,
// no catalogue label in Chinese on an English one, no raw key), must not
// be wider than the window, and must throw no console error; every link
// on it must lead to a page, not to an error or JSON. Screenshots go to
// $ECOWATCH_SCREENSHOTS when set (role-page-lang-screen.png).
func TestBrowserRoles(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserAppMode(t, storetest.Postgres, false)
	if err := auth.SeedDemo(context.Background(), s.St, s.Reg, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Screenshots only when someone will look at them: 174 full-page
	// shots (phone pages at twice the scale) are a third of the test's
	// time.
	shots := os.Getenv("ECOWATCH_SCREENSHOTS")
	if shots != "" {
		shots = screenshotDir(t) // made when missing
		t.Cleanup(func() { t.Logf("screenshots in %s", shots) })
	}
	// The two users and the two languages are independent (a login of
	// their own, nothing else written): each user's pages in one language
	// are swept in a browser context of its own, at the same time as the
	// others, so the longest sweep (the county's 17 pages on three
	// screens) is halved and no longer the package's last test alone.
	// The app stops after all four (the parent's cleanup).
	for _, sweep := range []struct{ role, lang string }{{"county", "zh"}, {"county", "en"}, {"enterprise", "zh"}, {"enterprise", "en"}} {
		role, lang := sweep.role, sweep.lang
		t.Run(role+"-"+lang, func(t *testing.T) {
			t.Parallel()
			ctx, consoleErrors := browser(t, exe)
			if err := chromedp.Do(ctx, emulate(1366, 768, false), login(base, role, auth.DemoPassword),
				chromedp.Navigate(base+"/?lang=zh"), chromedp.WaitReady("body")); err != nil {
				t.Fatal(err)
			}
			paths := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('header.top nav a')).map(a => a.getAttribute('href'))`)
			if len(paths) == 0 {
				t.Fatal("no menu")
			}
			for _, d := range roleDetails {
				if !contains(paths, d.list) {
					continue
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(base+d.list), chromedp.WaitReady("body")); err != nil {
					t.Fatal(err)
				}
				if p := eval[string](ctx, t, `(document.querySelector(`+jsQuote(d.link)+`) || {getAttribute: () => ''}).getAttribute('href')`); p != "" {
					paths = append(paths, p)
				}
			}
			t.Logf("%s opens %d pages in %s: %s", role, len(paths), lang, strings.Join(paths, " "))
			for _, path := range paths {
				for _, v := range viewports {
					name := role + " " + path + " (" + lang + ", " + v.name + ")"
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					if err := chromedp.Do(ctx, emulate(v.width, v.height, v.phone)); err != nil {
						t.Fatal(err)
					}
					resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+path+sep+"lang="+lang))
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if resp.Status != 200 {
						t.Errorf("%s: status %d", name, resp.Status)
					}
					pageReady(ctx, t, name)
					dashboard.CheckText(t, name, lang, eval[string](ctx, t, `document.documentElement.outerHTML`))
					if sw, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`); sw > iw {
						t.Errorf("%s: the page is %d px wide in a %d px window", name, sw, iw)
					}
					if shots != "" {
						file := role + "-" + strings.NewReplacer("/", "_", "?", "_", "=", "_", "&", "_").Replace(strings.Trim(path, "/")) + "-" + lang + "-" + v.name
						saveScreenshot(ctx, t, shots, file, true)
					}
					if lang == "zh" && v.name == "1366x768" {
						bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](brokenLinks, chromedp.EvalAwaitPromise))
						if err != nil {
							t.Fatal(err)
						}
						for _, b := range bad {
							t.Errorf("%s: link %s", name, b)
						}
					}
				}
			}
			if err := chromedp.Do(ctx, emulate(1366, 768, false), chromedp.Navigate(base+"/"), chromedp.Click("#logout"), chromedp.WaitVisible("#login-form, #login-link")); err != nil {
				t.Fatal(err)
			}
			for _, e := range consoleErrors() {
				t.Errorf("browser: %s", e)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func jsQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
