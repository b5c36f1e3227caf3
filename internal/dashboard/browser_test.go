package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/api"
	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// chromium finds Debian's Chromium. Missing, the browser tests fail where
// the CI runs (ECOWATCH_TEST_PG set: .ci/run installs Chromium) and skip
// on a fresh machine.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ECOWATCH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("ECOWATCH_TEST_PG") != "" {
		t.Fatal("browser tests: Chromium not found at /usr/bin/chromium (install it: apt-get install -y chromium; or set ECOWATCH_CHROMIUM); the CI must run these tests")
	}
	t.Skip("browser tests: Chromium not installed (apt-get install -y chromium)")
	return ""
}

// browserApp starts the whole system (internal/app) on a temporary SQLite
// store seeded with the demo registry and synthetic air data, in the
// demo's open mode, and returns its base URL.
func browserApp(t *testing.T) (string, *dashboard.Seeded) {
	t.Helper()
	return browserAppMode(t, storetest.SQLite, true)
}

// browserAppMode is browserApp on a fresh store of b (the browser tests
// take most of the package's time, so each runs on one store; the role
// sweep runs on PostgreSQL, the others on SQLite), in the open mode or not
// (every staff page then needs a login).
//
// Each browser test has an app of its own and a browser context of its
// own (browser): what one writes (a case acted on, a user added, a
// login) no other sees, so they run in parallel (t.Parallel), at most
// chromiumMax in the browser at once and no more than go test's -parallel
// (the cores) in all.
func browserAppMode(t *testing.T, b storetest.Backend, open bool) (string, *dashboard.Seeded) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Start(ctx, app.Config{
		DSN: storetest.DSN(t, b), DataDir: dir, SQLiteSync: "normal",
		HTTPAddr: "127.0.0.1:0",
		Web:      api.Config{Now: func() time.Time { return dashboard.TestNow }, Open: open},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(sctx)
	})
	s := dashboard.Seed(t, a.Store)
	dashboard.SeedRights(t, a.Rights)
	dashboard.SeedAccount(t, a.Store, s)
	return "http://" + a.HTTPAddr(), s
}

// chromiumMax bounds the browser tests that drive the shared Chromium at
// once. Two cores: a third page drawing alongside two keeps them busy
// while one waits on the app; more only make each page slower, and the
// CI's run on a busy machine longer.
const chromiumMax = 3

// sharedChromium is the one headless Chromium of the package's browser
// tests, started by the first test that needs one and closed by TestMain
// after the last (AfterTests). Each test gets a browser context of its
// own in it (browser), so cookies, storage and permissions stay the
// test's, as with a browser of its own, without paying for a browser's
// start and its profile on every test.
var sharedChromium struct {
	once  sync.Once
	ctx   context.Context // the browser's first tab: the browser lives as long as it
	err   error
	slots chan struct{} // chromiumMax tests at a time
}

// chromiumRoot starts the shared Chromium on its first call and returns
// the context its tests' contexts derive from.
func chromiumRoot(exe string) (context.Context, error) {
	c := &sharedChromium
	c.once.Do(func() {
		c.slots = make(chan struct{}, chromiumMax)
		dir, err := os.MkdirTemp("", "dashboard-chromium-")
		if err != nil {
			c.err = fmt.Errorf("chromium profile: %w", err)
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			// Tests run side by side in windows of their own: none may
			// be throttled as a window in the background.
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1366, 900),
		}
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelB := chromedp.NewContext(actx)
		closeAll := func() {
			// Gracefully (the profile is written out), within a bound.
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := chromedp.Cancel(cctx); err != nil {
				fmt.Fprintln(os.Stderr, "dashboard tests: closing Chromium:", err)
			}
			cancel()
			cancelB()
			cancelA()
			os.RemoveAll(dir)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			closeAll()
			c.err = fmt.Errorf("cannot start Chromium: %w", err)
			return
		}
		c.ctx = ctx
		dashboard.AfterTests(closeAll)
	})
	return c.ctx, c.err
}

// browser opens a window of the shared Chromium in a browser context of
// its own (a fresh profile: no cookie or permission of another test),
// waiting for one of the chromiumMax places, and collects every console
// error and uncaught exception of its page. The window and its context
// close when the test ends.
func browser(t *testing.T, exe string) (context.Context, func() []string) {
	t.Helper()
	root, err := chromiumRoot(exe)
	if err != nil {
		t.Fatal(err)
	}
	slots := sharedChromium.slots
	slots <- struct{}{}
	var mu sync.Mutex
	var errs []string
	cur := "" // the page an error happened on, for the report
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		n := len(errs)
		defer func() {
			for i := n; i < len(errs); i++ {
				errs[i] = "[" + cur + "] " + errs[i]
			}
		}()
		switch ev := ev.(type) {
		case *cdppage.EventFrameNavigated:
			if ev.Frame.ParentID == "" {
				cur = ev.Frame.URL
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				errs = append(errs, "console.error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			errs = append(errs, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				errs = append(errs, "log: "+ev.Entry.URL+" "+ev.Entry.Text)
			}
		}
	}
	// The listener sees the target's events from its start (chromedp
	// enables the Runtime and Log domains itself).
	ctx, cancelB := chromedp.NewContext(root, chromedp.WithNewBrowserContext(), chromedp.WithListener(listen))
	ctx, cancelT := context.WithTimeout(ctx, 15*time.Minute) // every page on three screens
	t.Cleanup(func() {
		cancelT()
		cancelB() // closes the window and disposes of its browser context
		<-slots
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("cannot open a Chromium window: %v", err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// canvasInk counts the painted pixels of the canvases inside a chart.
func canvasInk(sel string) string {
	return `(() => { let n = 0; for (const c of document.querySelectorAll(` + strconv.Quote(sel+" canvas") + `)) {
	  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
	  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++; } return n; })()`
}

// waitInk polls until the chart has drawn at least min pixels.
func waitInk(ctx context.Context, t *testing.T, sel string, min int) int {
	t.Helper()
	var n int
	// Generous: a machine busy with other work draws slowly.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		var err error
		if n, err = chromedp.Run(ctx, chromedp.Evaluate[int](canvasInk(sel))); err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		if n >= min {
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s: only %d painted pixels, want at least %d", sel, n, min)
	return n
}

// saveScreenshot writes the page as drawn to dir/name.png: the whole page
// when full, else the viewport.
func saveScreenshot(ctx context.Context, t *testing.T, dir, name string, full bool) {
	t.Helper()
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100) // 100: PNG
	}
	buf, err := chromedp.Run(ctx, act)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func screenshotDir(t *testing.T) string {
	if d := os.Getenv("ECOWATCH_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestBrowser(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	shots := screenshotDir(t)
	shot := func(name string) {
		t.Helper()
		saveScreenshot(ctx, t, shots, name, true)
	}
	t.Run("overview", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`#map[data-drawn="true"]`)); err != nil {
			t.Fatal(err)
		}
		h1 := text(ctx, t, "h1")
		if h1 != "城市总览" {
			t.Errorf("h1 %q", h1)
		}
		// The map (聊城's counties and the station points), the trends and
		// the calendar have drawn.
		waitInk(ctx, t, "#map", 20000)
		waitInk(ctx, t, "#trend24", 2000)
		waitInk(ctx, t, "#trend30", 2000)
		waitInk(ctx, t, "#calendar", 2000)
		mapName := eval[string](ctx, t, `echarts.getInstanceByDom(document.getElementById('map')).getOption().geo[0].map`)
		if mapName != "聊城" {
			t.Errorf("map %q", mapName)
		}
		// A station's AQI and colour are the engine's.
		want, _ := engineNow(t, s)
		text := text(ctx, t, `tr[data-station="371501A"] td.aqi`)
		bg := eval[string](ctx, t, `getComputedStyle(document.querySelector('tr[data-station="371501A"] td.aqi')).backgroundColor`)
		lv := air.LevelOf(want)
		if !strings.HasPrefix(text, strconv.Itoa(want)+" ") {
			t.Errorf("station AQI cell %q, want %d", text, want)
		}
		if wantBG := fmt.Sprintf("rgb(%d, %d, %d)", lv.RGB[0], lv.RGB[1], lv.RGB[2]); bg != wantBG {
			t.Errorf("station AQI colour %s, want %s", bg, wantBG)
		}
		shot("overview")
	})

	t.Run("language switch", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click("#lang-switch"), chromedp.WaitVisible(`#lang-switch[href="/?lang=zh"]`), chromedp.WaitVisible(`#map[data-drawn="true"]`)); err != nil {
			t.Fatal(err)
		}
		h1, nav := text(ctx, t, "h1"), text(ctx, t, "nav")
		if h1 != "City overview" || !strings.Contains(nav, "Online monitoring") {
			t.Errorf("after the switch: h1 %q, nav %q", h1, nav)
		}
		// The choice sticks (cookie) on the next page, then back to Chinese.
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/air")); err != nil {
			t.Fatal(err)
		}
		if h1 = text(ctx, t, "h1"); h1 != "Air quality" {
			t.Errorf("cookie did not keep English: %q", h1)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?lang=zh")); err != nil {
			t.Fatal(err)
		}
		if h1 = text(ctx, t, "h1"); h1 != "城市总览" {
			t.Errorf("back to Chinese: %q", h1)
		}
	})

	// Every page on every screen (browserPages, viewports), failing on
	// any console error at the end of the test.
	for _, v := range viewports {
		if err := chromedp.Do(ctx, emulate(v.width, v.height, v.phone)); err != nil {
			t.Fatal(err)
		}
		for _, p := range browserPages(s) {
			t.Run(p.name+"/"+v.name, func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitReady("body")); err != nil {
					t.Fatal(err)
				}
				n := eval[int](ctx, t, `document.querySelectorAll(`+strconv.Quote(p.sel)+`).length`)
				if n == 0 {
					t.Errorf("%s: no %s", p.path, p.sel)
				}
				if p.ink != "" {
					waitInk(ctx, t, p.ink, 2000)
				}
				shot(p.name + "-" + v.name)
			})
		}
	}
	if err := chromedp.Do(ctx, emulate(1366, 900, false)); err != nil {
		t.Fatal(err)
	}

	t.Run("device frames", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/monitoring/devices/"+s.Device.MN)); err != nil {
			t.Fatal(err)
		}
		frame := text(ctx, t, "#frames tr.frame code")
		if !strings.Contains(frame, "MN="+s.Device.MN) || !strings.Contains(frame, "PW=***") || strings.Contains(frame, "PW="+s.Password) {
			t.Errorf("frame shown as %q", frame)
		}
	})

	t.Run("petition", func(t *testing.T) {
		// A member of the public files a petition with a photo and tracks
		// it by the code the page shows.
		photo := filepath.Join(t.TempDir(), "photo.png")
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(pctx,
			chromedp.Navigate(base+"/petition?lang=zh"),
			chromedp.WaitVisible("#petition-form"),
			chromedp.SetValue(`select[name=category]`, "noise"),
			chromedp.SetValue(`select[name=county]`, "371581"),
			chromedp.SendKeys(`input[name=location]`, "临清市某厂区"),
			chromedp.SendKeys(`textarea[name=description]`, "夜间噪声扰民"),
			chromedp.SendKeys(`input[name=contact]`, "13800000000"),
			chromedp.SetUploadFiles(`input[name=photos]`, []string{photo}),
			chromedp.Click(`#petition-form button[type=submit]`),
			chromedp.WaitVisible("#petition-result"),
		); err != nil {
			if msg, _ := chromedp.Run(ctx, chromedp.TextContent("#petition-error")); msg != "" {
				t.Fatalf("petition: %v: %s", err, msg)
			}
			t.Fatal(err)
		}
		code := text(ctx, t, "#tracking-code")
		if len(code) < 8 {
			t.Fatalf("tracking code %q", code)
		}
		// The rating key, shown this once, is not the tracking code.
		if key := text(ctx, t, "#rating-key"); len(key) < 24 || key == code {
			t.Errorf("rating key %q", key)
		}
		if err := chromedp.Do(pctx, chromedp.Click("#track-link"), chromedp.WaitVisible("#petition-status")); err != nil {
			t.Fatal(err)
		}
		// The public reads plain words, never the bureau's states.
		if st := text(ctx, t, "#petition-state"); st != "已提交，待受理" && st != "已受理" {
			t.Errorf("petition state %q", st)
		}
		if got := text(ctx, t, "#petition-status"); !strings.Contains(got, code) || !strings.Contains(got, "噪声") {
			t.Errorf("tracking page: %q", got)
		}
		shot("petition-tracked")
	})

	t.Run("county case action", func(t *testing.T) {
		// A county's staff member logs in through the login page, opens
		// their county's overdue case and assigns it; the page reloads
		// with the timeline's new entry and the next allowed action.
		addUser(t, s, model.User{ID: "dcf", Name: "东昌府区执法大队", Role: model.RoleCounty, County: "371502"}, "county-pw")
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(actx, login(base, "dcf", "county-pw")); err != nil {
			t.Fatal(err)
		}
		if u := text(ctx, t, "#current-user"); !strings.Contains(u, "东昌府区执法大队") {
			t.Errorf("header shows %q", u)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#nav-trace').length`); n != 0 {
			t.Error("a county user is offered water tracing")
		}
		if err := chromedp.Do(actx, chromedp.Navigate(base+"/cases/"+s.OverdueCase), chromedp.WaitVisible("#act-assign")); err != nil {
			t.Fatal(err)
		}
		before := eval[int](ctx, t, `document.querySelectorAll('#timeline li').length`)
		if n := eval[int](ctx, t, `document.querySelectorAll('#act-close, #act-accept, #act-verify').length`); n != 0 {
			t.Errorf("%d actions offered that the accepted state does not allow", n)
		}
		// Assignees are chosen from the users whose scope holds the case.
		eval[bool](ctx, t, `document.querySelector('#assignees option[value=dcf]').selected = true`)
		if err := chromedp.Do(actx,
			chromedp.Click(`#act-assign button[type=submit]`),
			chromedp.WaitVisible("#act-start"),
		); err != nil {
			if msg, _ := chromedp.Run(ctx, chromedp.TextContent("#action-result")); msg != "" {
				t.Fatalf("assign: %v: %s", err, msg)
			}
			t.Fatal(err)
		}
		if after := eval[int](ctx, t, `document.querySelectorAll('#timeline li').length`); after != before+1 {
			t.Errorf("timeline has %d entries after the action, want %d", after, before+1)
		}
		if last := text(ctx, t, "#timeline li:last-child"); !strings.Contains(last, "受理 → 交办") {
			t.Errorf("last timeline entry %q", last)
		}
		shot("case-assigned")
		// A refused action (the state moved on since the page was drawn,
		// or a hand-made request) shows the reason and what the state
		// allows: turn the start form into a close and send it.
		eval[bool](ctx, t, `(document.getElementById('act-start').setAttribute('data-action', 'close'), true)`)
		if err := chromedp.Do(actx,
			chromedp.Click(`#act-start button[type=submit]`),
			chromedp.WaitVisible("#action-result.bad"),
		); err != nil {
			t.Fatal(err)
		}
		if msg := text(ctx, t, "#action-result"); !strings.Contains(msg, "当前允许") || !strings.Contains(msg, "签收并整改 → 整改中") {
			t.Errorf("refusal shown as %q", msg)
		}
		// Start, then submit with evidence: the photo is uploaded first
		// and the submitted case lists it.
		photo := filepath.Join(t.TempDir(), "rectified.png")
		var pb bytes.Buffer
		if err := png.Encode(&pb, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, pb.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(actx,
			chromedp.Navigate(base+"/cases/"+s.OverdueCase),
			chromedp.WaitVisible("#act-start"),
			chromedp.Click(`#act-start button[type=submit]`),
			chromedp.WaitVisible("#act-submit"),
			chromedp.SetUploadFiles(`#act-submit input[name=evidence]`, []string{photo}),
			// The chosen file's name shows beside the picker's label.
			chromedp.Poll[chromedp.Void](`document.getElementById('ev-submit-names').textContent === 'rectified.png'`, chromedp.WithPollingTimeout(10*time.Second)),
		); err != nil {
			t.Fatalf("choose evidence: %v", err)
		}
		shot("case-evidence-chosen")
		if err := chromedp.Do(actx,
			chromedp.Click(`#act-submit button[type=submit]`),
			chromedp.WaitVisible("#evidence li"),
		); err != nil {
			if msg, _ := chromedp.Run(ctx, chromedp.TextContent("#action-result")); msg != "" {
				t.Fatalf("start and submit: %v: %s", err, msg)
			}
			t.Fatal(err)
		}
		if last := text(ctx, t, "#timeline li:last-child"); !strings.Contains(last, "提交办结报告") {
			t.Errorf("last timeline entry after submitting %q", last)
		}
		// Submitted: the next step is the on-site verification.
		if got := eval[string](ctx, t, `Array.from(document.querySelectorAll('#actions form.case-action')).map(f => f.dataset.action).join(',')`); got != "verify" {
			t.Errorf("actions on the submitted case: %q, want verify", got)
		}
		shot("case-submitted")
		if err := chromedp.Do(actx, chromedp.Click("#logout"), chromedp.WaitVisible("#login-link")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("water trace", func(t *testing.T) {
		wr, err := s.St.WaterRegistry(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx,
			chromedp.Navigate(base+"/water/trace?section="+wr.Sections[5].Code+"&time=2025-05-10T10:00&factor=NH3-N"),
			chromedp.WaitVisible(`#network[data-drawn="true"]`),
		); err != nil {
			t.Fatal(err)
		}
		waitInk(ctx, t, "#network", 3000)
		if n := eval[int](ctx, t, `document.querySelectorAll('#candidates tbody tr').length`); n == 0 {
			t.Error("no candidate outfalls")
		}
		shot("water-trace")
	})

	t.Run("phone", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(`#map[data-drawn="true"]`),
		); err != nil {
			t.Fatal(err)
		}
		scrollW := eval[int](ctx, t, `document.documentElement.scrollWidth`)
		innerW := eval[int](ctx, t, `window.innerWidth`)
		// Wide tables scroll inside their panel; the page itself must not.
		if scrollW > innerW {
			t.Errorf("page is %d px wide in a %d px phone viewport", scrollW, innerW)
		}
		waitInk(ctx, t, "#map", 5000)
		shot("overview-phone")
	})

	t.Run("patrol on a phone", func(t *testing.T) { patrolOnPhone(t, ctx, base, s, shot) })

	for _, e := range consoleErrors() {
		// The refused action's 409 is the one error the test provokes;
		// Chromium logs every failed request.
		if strings.Contains(e, "/cases/"+s.OverdueCase+"] log: ") && strings.HasSuffix(e, "/actions Failed to load resource: the server responded with a status of 409 (Conflict)") {
			continue
		}
		t.Errorf("browser: %s", e)
	}
	t.Logf("screenshots in %s", shots)
}

// engineNow is the engine's latest AQI of 371501A in the browser's store.
func engineNow(t *testing.T, s *dashboard.Seeded) (int, string) {
	return dashboard.ExpectedNow(t, s.St, "371501A")
}

func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// addUser stores a user with a password, as `ecowatch users add` does.
func addUser(t *testing.T, s *dashboard.Seeded, u model.User, password string) {
	t.Helper()
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash, u.CreatedAt = hash, dashboard.TestNow
	if err := s.St.PutUser(context.Background(), u, nil); err != nil {
		t.Fatal(err)
	}
}

// login signs a user in through the login page, as a person does, and
// waits until the header names them.
func login(base, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login?lang=zh"),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#login-user", user),
		chromedp.SendKeys("#login-password", password),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#current-user"),
	)
}
