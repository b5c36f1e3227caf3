package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/dashboard"
)

// browserPage is a page the browser test opens on every viewport: sel
// must match on it, ink names a chart that must draw.
type browserPage struct {
	name, path, sel string
	ink             string
}

// browserPages is every page of the dashboard over the seeded store. A
// new page gets a row here.
func browserPages(s *dashboard.Seeded) []browserPage {
	return []browserPage{
		{"overview", "/", "table.stations tbody tr", "#map"},
		{"screen", "/screen", "#alarm-list li", "#s-map"},
		{"air", "/air", "#rankings tbody tr", ""},
		{"station", "/air/stations/371501A", "#hours tbody tr", "#station-hourly"},
		{"monitoring", "/monitoring", "#enterprises tbody tr", ""},
		{"enterprise", "/monitoring/enterprises/" + s.Outlet.Enterprise, "tr.exceed", ""},
		{"device", "/monitoring/devices/" + s.Device.MN, "#frames tr.frame", ""},
		{"quarantine", "/monitoring/quarantine", "#frames tr.frame-quarantined", ""},
		{"report", "/reports/monthly?month=2025-05", "#report-counties tbody tr", ""},
		{"water", "/water?period=2025-05", "#sections td.class", ""},
		{"rights", "/rights?year=2025", "#holdings tbody tr", ""},
		{"cases", "/cases", "#cases tbody tr.exceed", ""},
		{"case", "/cases/" + s.OverdueCase, "#timeline li", ""},
		{"notices", "/notices", "#notices tbody tr", ""},
		{"notice", "/notices/" + s.OverdueCase + "/0", "#notice .doc-no", ""},
		{"petitions", "/petitions", "#petitions tbody tr", ""},
		{"accountability", "/accountability?period=2025Q1", "#firings a[href^='/cases/']", ""},
		{"login", "/login", "#login-form", ""},
		{"cases-filtered", "/cases?county=371502&overdue=1", "#case-filter", ""},
		{"public", "/public", "#public-air li", ""},
		{"petition-form", "/petition", "#petition-form", ""},
		{"petition-track", "/petition/track?code=" + s.PetitionCode, "#petition-timeline li", ""},
		{"patrol", "/patrol", "#start-form", ""},
		{"patrol-stats", "/patrols/stats", "#patrol-total", ""},
	}
}

// viewports are the screens every page is drawn on: the command centre's
// 1920×1080, a laptop's 1366×768 and a phone's 390×844.
var viewports = []viewport{
	{"1920x1080", 1920, 1080, false},
	{"1366x768", 1366, 768, false},
	{"390x844", 390, 844, true},
}

type viewport struct {
	name          string
	width, height int64
	phone         bool
}

// forEachViewport opens url (without its language) in each language and
// on each viewport, and runs check on the page once ready matches, as the
// subtest LANG-VIEWPORT (zh-1920x1080 … en-390x844); each page gets a
// minute.
func forEachViewport(ctx context.Context, t *testing.T, url, ready string, check func(ctx context.Context, t *testing.T, lang string, v viewport)) {
	t.Helper()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, lang := range []string{"zh", "en"} {
		for _, v := range viewports {
			t.Run(lang+"-"+v.name, func(t *testing.T) {
				pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				if err := chromedp.Do(pctx,
					emulate(v.width, v.height, v.phone),
					chromedp.Navigate(url+sep+"lang="+lang),
					chromedp.WaitVisible(ready),
				); err != nil {
					t.Fatal(err)
				}
				check(pctx, t, lang, v)
			})
		}
	}
}

func emulate(w, h int64, phone bool) chromedp.Action[chromedp.Void] {
	if phone {
		return chromedp.EmulateViewport(w, h, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(w, h)
}

// The overview loaded 20 times in a row, on changing viewports (each
// change fires the charts' resize while they may still be drawing),
// throws nothing.
func TestBrowserOverviewRepeated(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, _ := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	// A slow machine (the error showed when the machine was busy): the
	// charts draw while layout and resizes are still under way.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 2})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		v := viewports[i%len(viewports)]
		if err := chromedp.Do(ctx,
			emulate(v.width, v.height, v.phone),
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(`#calendar[data-drawn="true"]`),
			chromedp.WaitVisible(`#map[data-drawn="true"]`),
		); err != nil {
			t.Fatalf("load %d: %v", i+1, err)
		}
		// Resize while the page is live, as a window or a rotating phone
		// does.
		next := viewports[(i+1)%len(viewports)]
		if err := chromedp.Do(ctx, emulate(next.width, next.height, next.phone)); err != nil {
			t.Fatal(err)
		}
		// The resize runs in the next animation frame: wait for one.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatal(err)
		}
	}
	overviewFollowsWindow(ctx, t)
	for _, e := range consoleErrors() {
		t.Errorf("browser: %s", e)
	}
}

// chartsOff names, for the page's window of width w, the drawn charts
// whose canvas is not their container's width (more than 3 px off) or
// height, with both sizes, and the charts in ids not drawn at all; ""
// when every chart fills its box. While the window is not yet w wide it
// says so: a chart that fits a window not yet resized proves nothing.
func chartsOff(w int64, ids ...string) string {
	q, _ := json.Marshal(ids)
	return fmt.Sprintf(`(() => {
  if (document.documentElement.clientWidth > %d || window.innerWidth !== %d) return 'window ' + window.innerWidth + ' px wide';
  const off = Array.from(document.querySelectorAll('[_echarts_instance_]')).map(n => {
    const c = echarts.getInstanceByDom(n);
    if (!c) return n.id + ' disposed';
    const cv = n.querySelector('canvas');
    const cw = cv ? cv.getBoundingClientRect().width : 0;
    return Math.abs(cw - n.clientWidth) <= 3 && Math.abs(c.getHeight() - n.clientHeight) <= 3 ? '' :
      n.id + ' ' + Math.round(cw) + '×' + c.getHeight() + ' in ' + n.clientWidth + '×' + n.clientHeight;
  });
  const missing = %s.filter(id => !document.querySelector('#' + id + '[data-drawn="true"]')).map(id => id + ' not drawn');
  return off.concat(missing).filter(Boolean).join('; ');
})()`, w, w, q)
}

// waitChartsFit polls, a frame at a time for up to a minute (a resize's
// event may come many frames late on a busy machine), until chartsOff
// is "", and fails the test with what is off if it never is.
func waitChartsFit(ctx context.Context, t *testing.T, when string, w int64, ids ...string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](chartsOff(w, ids...)+` === ''`, chromedp.WithPollingTimeout(55*time.Second))); err != nil {
		t.Errorf("%s: charts not their containers' size: %s (%v)", when, eval[string](ctx, t, chartsOff(w, ids...)), err)
	}
}

// overviewFollowsWindow: every chart of the overview takes its
// container's size when the window shrinks from 1920×1080 to 1366×768 and
// grows back (the 24-hour chart stayed 348 px wide in its 625 px box: it
// was resized while its neighbour, not yet resized, held their row
// open), and so does a chart whose box had no size when the page drew
// (hidden longer than the second the charts used to wait) once it is
// shown, through the same resizes.
func overviewFollowsWindow(ctx context.Context, t *testing.T) {
	base := strings.TrimSuffix(eval[string](ctx, t, `location.origin`), "/")
	ids := []string{"map", "trend24", "trend30", "calendar"}
	shots := screenshotDir(t)
	big, laptop := viewports[0], viewports[1]
	resize := func(v viewport) {
		t.Helper()
		if err := chromedp.Do(ctx, emulate(v.width, v.height, v.phone)); err != nil {
			t.Fatal(err)
		}
	}
	// The viewport only, the two charts side by side in view: a full-page
	// screenshot lays the page out again at its full height, which
	// resizes the window and with it the charts.
	shot := func(name string) {
		t.Helper()
		eval[bool](ctx, t, `document.getElementById('trend24').scrollIntoView(), true`)
		saveScreenshot(ctx, t, shots, name, false)
	}
	if err := chromedp.Do(ctx,
		emulate(big.width, big.height, false),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#calendar[data-drawn="true"]`),
	); err != nil {
		t.Fatal(err)
	}
	waitChartsFit(ctx, t, "loaded at 1920×1080", big.width, ids...)
	shot("overview-resize-1920x1080")
	resize(laptop)
	waitChartsFit(ctx, t, "1920×1080 → 1366×768", laptop.width, ids...)
	shot("overview-resize-1366x768")
	resize(big)
	waitChartsFit(ctx, t, "1366×768 → 1920×1080", big.width, ids...)
	shot("overview-resize-back-1920x1080")

	// The 24-hour chart's box hidden from the page's first script on.
	hide := `document.adoptedStyleSheets = [(() => { const s = new CSSStyleSheet(); s.replaceSync('#trend24 { display: none }'); return s; })()]`
	var script cdppage.ScriptIdentifier
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: hide})
		script = r.Identifier
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#calendar[data-drawn="true"]`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, cdppage.RemoveScriptToEvaluateOnNewDocument, cdppage.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: script})
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	// Hidden for 90 frames (more than the 60 the charts waited for a
	// size), through a resize, then shown.
	if got := evalAwait[bool](ctx, t, `new Promise(r => { let n = 0; const f = () => ++n >= 90 ? r(document.getElementById('trend24').clientWidth === 0) : requestAnimationFrame(f); f(); })`); !got {
		t.Fatal("#trend24 was not hidden")
	}
	resize(laptop)
	eval[bool](ctx, t, `document.adoptedStyleSheets = [], true`)
	waitChartsFit(ctx, t, "a chart hidden at first, shown at 1366×768", laptop.width, ids...)
	resize(big)
	waitChartsFit(ctx, t, "a chart hidden at first, 1366×768 → 1920×1080", big.width, ids...)
	resize(laptop)
	waitChartsFit(ctx, t, "a chart hidden at first, 1920×1080 → 1366×768", laptop.width, ids...)
}

// chartsUnsized waits, a frame at a time (up to 300), for each drawn chart
// of the page to be its container's size (a resized window's event may
// come frames after the change on a busy machine), then names those that
// are not, with both sizes.
const chartsUnsized = `new Promise(done => {
  const unsized = () => Array.from(document.querySelectorAll('[_echarts_instance_]')).map(n => {
    const c = echarts.getInstanceByDom(n);
    return !c || !n.clientWidth || (c.getWidth() === n.clientWidth && c.getHeight() === n.clientHeight) ? '' : n.id + ' ' + c.getWidth() + '×' + c.getHeight() + ' in ' + n.clientWidth + '×' + n.clientHeight;
  }).filter(Boolean).join('; ');
  let frames = 0;
  const check = () => { const u = unsized(); if (!u || ++frames > 300) done(u); else requestAnimationFrame(check); };
  check();
})`

// evalAwait is eval of a promise: its value once it settles.
func evalAwait[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// The big screen fills 1920×1080 (and a laptop's 1366×768) without
// scrolling in both languages, draws its map and refreshes its figures in
// place (no reload: the page's own marker survives the refresh). Every
// county is named just above its own station marker, on no other marker
// and no other name; the ranking's bars keep most of the chart's width
// whatever the length of the names (Liaocheng Economic and Technological
// Development Zone), and no name lies on a bar.
func TestBrowserScreen(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, s := browserApp(t)
	alarmsToday(t, s)
	ctx, consoleErrors := browser(t, exe)
	dir := screenshotDir(t)
	for _, lang := range []string{"zh", "en"} {
		for _, v := range viewports[:2] {
			t.Run(lang+"-"+v.name, func(t *testing.T) {
				checkScreen(ctx, t, base+"/screen?lang="+lang, lang, v.width, v.height)
				saveScreenshot(ctx, t, dir, "screen-"+lang+"-"+v.name, true)
			})
		}
	}
	// A window resized under the screen (a laptop's to the wall's): the
	// charts follow it and their names stay placed.
	if err := chromedp.Do(ctx, emulate(1920, 1080, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	if got := evalAwait[string](ctx, t, chartsUnsized); got != "" {
		t.Errorf("the screen resized to 1920×1080: charts not resized: %s", got)
	}
	if got := eval[string](ctx, t, screenNamesClear); got != "8/8 centre " {
		t.Errorf("county names after a resize: %q", got)
	}
	for _, e := range consoleErrors() {
		t.Errorf("browser: %s", e)
	}
}

// alarmsToday files six online-monitoring alarms' cases on the test's
// day, as many as the screen's alarm list shows, in the counties with the
// longest names of each language (Liaocheng Economic and Technological
// Development Zone, 聊城高新技术产业开发区, Dongchangfu District).
func alarmsToday(t *testing.T, s *dashboard.Seeded) {
	t.Helper()
	ctx := context.Background()
	for i, county := range []string{"371591", "371592", "371502", "371503", "371524", "371526"} {
		at := dashboard.TestNow.Add(-time.Duration(10*i) * time.Minute)
		svc := &casesvc.Service{St: s.St, DataDir: t.TempDir(), Now: func() time.Time { return at }}
		if _, err := svc.Register(ctx, cases.Case{Source: cases.SourceOnline, Line: "air-industry", ProblemType: "exceedance", County: county,
			Severity: cases.SeverityMajor, Title: "某化工有限公司 1号锅炉废气排放口：二氧化硫小时均值超标 1.2 倍",
			TitleEN: "1号锅炉废气排放口 of a chemical plant: SO₂ hourly mean 1.2 times over the limit"}, casesvc.AlertSystem); err != nil {
			t.Fatal(err)
		}
	}
}

// screenNamesClear says what is wrong with the map's county names: the
// count named of the map's counties, whether 东昌府区 (or Dongchangfu
// District) is among them, and each name on a marker, not just above its
// own marker (the one the page placed it on, nearest the county's label
// point) or on another name.
const screenNamesClear = `(() => {
  const c = echarts.getInstanceByDom(document.getElementById('s-map')), o = c.getOption();
  const names = o.series.find(s => s.id === 'county-names'), st = o.series.find(s => s.type === 'effectScatter');
  if (!names || !st) return 'no names or no stations';
  const l = names.label, r = st.symbolSize / 2, g = document.createElement('canvas').getContext('2d');
  g.font = 'bold ' + l.fontSize + 'px sans-serif';
  const px = v => c.convertToPixel({ geoIndex: 0 }, v);
  const boxes = names.data.map(n => {
    const p = px(n.value), half = g.measureText(n.name).width / 2 + l.padding[1], bottom = p[1] - l.distance;
    return { n, x0: p[0] - half, x1: p[0] + half, top: bottom - l.fontSize - 2 * l.padding[0], bottom };
  });
  const bad = [];
  for (const b of boxes) {
    for (const s of st.data) {
      const q = px(s.value.slice(0, 2));
      if (q[0] + r > b.x0 && q[0] - r < b.x1 && q[1] + r > b.top && q[1] - r < b.bottom) bad.push(b.n.name + ' on ' + s.name);
    }
    const q = b.n.own && px(b.n.own), h = b.bottom - b.top;
    if (!q) bad.push(b.n.name + ' without its marker');
    else if (q[0] < b.x0 || q[0] > b.x1 || b.bottom > q[1] - r + 1 || b.bottom < q[1] - r - 3 * h)
      bad.push(b.n.name + ' not just above its marker (name ' + Math.round(b.x0) + '–' + Math.round(b.x1) + ' bottom ' + Math.round(b.bottom) + ', marker ' + q.map(Math.round) + ')');
    for (const b2 of boxes)
      if (b.n.name < b2.n.name && b.x0 < b2.x1 && b2.x0 < b.x1 && b.top < b2.bottom && b2.top < b.bottom) bad.push(b.n.name + ' on ' + b2.n.name);
  }
  const centre = names.data.some(n => n.name === '东昌府区' || n.name === 'Dongchangfu District') ? 'centre ' : '';
  return names.data.length + '/' + echarts.getMap('聊城').geoJSON.features.length + ' ' + centre + bad.join('; ');
})()`

// screenBarsClear says what is wrong with the PM₂.₅ ranking: the longest
// bar under 40% of the chart's width, or a county's name on a bar.
const screenBarsClear = `(() => {
  const c = echarts.getInstanceByDom(document.getElementById('s-ranking')), o = c.getOption();
  const names = o.yAxis[0].data, els = c.getZr().storage.getDisplayList();
  const box = e => { const b = e.getBoundingRect().clone(); if (e.transform) b.applyTransform(e.transform); return b; };
  // Each bar's final place from the chart's axes (the drawn one may still be growing).
  const bw = o.series[0].barWidth, bars = o.series[0].data.map((d, i) => {
    const a = c.convertToPixel({ seriesIndex: 0 }, [0, i]), z = c.convertToPixel({ seriesIndex: 0 }, [d.value, i]);
    return new echarts.graphic.BoundingRect(a[0], a[1] - bw / 2, z[0] - a[0], bw);
  });
  const texts = els.filter(e => e.style && names.includes(e.style.text)).map(e => ({ t: e.style.text, b: box(e) }));
  const bad = [];
  if (bars.length !== names.length) bad.push(bars.length + ' bars for ' + names.length + ' names');
  if (texts.length !== names.length) bad.push(texts.length + ' names drawn of ' + names.length);
  const longest = Math.max(...bars.map(b => b.width));
  if (longest < 0.4 * c.getWidth()) bad.push('longest bar ' + Math.round(longest) + ' px of ' + c.getWidth());
  for (const t of texts) for (const b of bars) if (t.b.intersect(b)) bad.push(t.t + ' on a bar');
  return bad.join('; ');
})()`

// screenAlarmCounties says which county names of the alarm list are cut
// (their text wider or taller than the box that shows it, as an ellipsis
// or a clipped line leaves it) or lie outside their row; "ok N" when none
// of its N names is.
const screenAlarmCounties = `(() => {
  const ns = Array.from(document.querySelectorAll('#alarm-list li .s-county'));
  if (!ns.length) return 'no alarm with a county';
  const bad = ns.filter(n => {
    const b = n.getBoundingClientRect(), li = n.closest('li').getBoundingClientRect();
    return n.scrollWidth > n.clientWidth || n.scrollHeight > n.clientHeight + 1 || b.right > li.right + 0.5 || b.bottom > li.bottom + 0.5;
  }).map(n => n.textContent + ' (text ' + n.scrollWidth + '×' + n.scrollHeight + ' in ' + n.clientWidth + '×' + n.clientHeight + ')');
  return bad.length ? 'cut: ' + bad.join('; ') : 'ok ' + ns.length + ' ' + ns.map(n => n.textContent).join(', ');
})()`

// checkScreen opens the big screen at url in a w×h window and checks it.
func checkScreen(ctx context.Context, t *testing.T, url, lang string, w, h int64) {
	if err := chromedp.Do(ctx,
		emulate(w, h, false),
		chromedp.Navigate(url),
		chromedp.WaitVisible(`body[data-drawn="true"]`),
	); err != nil {
		t.Fatal(err)
	}
	waitInk(ctx, t, "#s-map", 20000)
	waitInk(ctx, t, "#s-ranking", 2000)
	waitInk(ctx, t, "#s-cases", 2000)
	if got := eval[string](ctx, t, screenNamesClear); got != "8/8 centre " {
		t.Errorf("county names: %q (want all 8 named, the city centre's among them, each just above its marker, on no marker or name)", got)
	}
	if got := eval[string](ctx, t, screenBarsClear); got != "" {
		t.Errorf("ranking: %s", got)
	}
	want := map[string]string{"zh": "聊城市生态环境监管指挥中心", "en": "Liaocheng Ecology and Environment Command Centre"}[lang]
	if h1 := text(ctx, t, "h1"); h1 != want {
		t.Errorf("h1 %q, want %q", h1, want)
	}
	sh, ih := eval[int](ctx, t, `document.documentElement.scrollHeight`), eval[int](ctx, t, `window.innerHeight`)
	sw, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`)
	if sh > ih || sw > iw {
		t.Errorf("the screen scrolls: content %d×%d in a %d×%d window", sw, sh, iw, ih)
	}
	// Nothing is cut off inside its panel either.
	if over := eval[string](ctx, t, `Array.from(document.querySelectorAll('.s-panel, .s-tile')).filter(p => p.scrollHeight > p.clientHeight + 2).map(p => p.querySelector('h2,h3').textContent).join('; ')`); over != "" {
		t.Errorf("panels overflow: %s", over)
	}
	// Every county of the alarm list is named in full (Chiping District,
	// 聊城经济技术开发区), wrapped if need be, never cut to "Chiping Di…".
	if got := eval[string](ctx, t, screenAlarmCounties); !strings.HasPrefix(got, "ok ") {
		t.Errorf("alarm list's counties: %s", got)
	}
	// The figures are large enough to read across a room: the key
	// numbers at least 40 px at 1920.
	if small := eval[string](ctx, t, `Array.from(document.querySelectorAll('.s-big, .s-nums b, .s-mid, .s-aqi b')).filter(n => parseFloat(getComputedStyle(n).fontSize) < 36 * window.innerWidth / 1920).map(n => n.dataset.t || n.textContent).join(', ')`); small != "" {
		t.Errorf("figures smaller than 36 px at 1920: %s", small)
	}
	// A refresh replaces the figures without reloading the page.
	eval[bool](ctx, t, `(window.__marker = 1, document.querySelector('[data-t="case-open"]').textContent = '?', true)`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.ecowatchScreenRefresh()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](ctx, t, `String(window.__marker) + ' ' + document.body.dataset.refreshed + ' ' + document.querySelector('[data-t="case-open"]').textContent`); strings.HasPrefix(got, "1 1 ?") || !strings.HasPrefix(got, "1 1 ") {
		t.Errorf("after a refresh: %q (want the page kept, one refresh, the figure back)", got)
	}
	if got := eval[string](ctx, t, screenNamesClear); got != "8/8 centre " {
		t.Errorf("county names after a refresh: %q", got)
	}
	if got := eval[string](ctx, t, screenBarsClear); got != "" {
		t.Errorf("ranking after a refresh: %s", got)
	}
	// The refresh draws the list anew (screen.js): its names in full too.
	if got := eval[string](ctx, t, screenAlarmCounties); !strings.HasPrefix(got, "ok ") {
		t.Errorf("alarm list's counties after a refresh: %s", got)
	}
}
