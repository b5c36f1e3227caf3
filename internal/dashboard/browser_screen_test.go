package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

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
var viewports = []struct {
	name          string
	width, height int64
	phone         bool
}{
	{"1920x1080", 1920, 1080, false},
	{"1366x768", 1366, 768, false},
	{"390x844", 390, 844, true},
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
	for _, e := range consoleErrors() {
		t.Errorf("browser: %s", e)
	}
}

// The big screen fills 1920×1080 without scrolling, draws its map and
// refreshes its figures in place (no reload: the page's own marker
// survives the refresh).
func TestBrowserScreen(t *testing.T) {
	exe := chromium(t)
	base, _ := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	if err := chromedp.Do(ctx,
		emulate(1920, 1080, false),
		chromedp.Navigate(base+"/screen"),
		chromedp.WaitVisible(`body[data-drawn="true"]`),
	); err != nil {
		t.Fatal(err)
	}
	waitInk(ctx, t, "#s-map", 20000)
	waitInk(ctx, t, "#s-ranking", 2000)
	waitInk(ctx, t, "#s-cases", 2000)
	// Every county of the map is named, and no station marker lies on a
	// name (the city centre's stations sit on 东昌府区's label point).
	namesClear := `(() => {
	  const c = echarts.getInstanceByDom(document.getElementById('s-map')), o = c.getOption();
	  const names = o.series.find(s => s.id === 'county-names'), st = o.series.find(s => s.type === 'effectScatter');
	  if (!names || !st) return 'no names or no stations';
	  const l = names.label, r = st.symbolSize / 2, g = document.createElement('canvas').getContext('2d');
	  g.font = 'bold ' + l.fontSize + 'px sans-serif';
	  const bad = [];
	  for (const n of names.data) {
	    const p = c.convertToPixel({ geoIndex: 0 }, n.value);
	    const half = g.measureText(n.name).width / 2 + l.padding[1], top = p[1] + l.distance, bottom = top + l.fontSize + 2 * l.padding[0];
	    for (const s of st.data) {
	      const q = c.convertToPixel({ geoIndex: 0 }, s.value.slice(0, 2));
	      if (Math.abs(q[0] - p[0]) < half + r && q[1] + r > top && q[1] - r < bottom) bad.push(n.name + ' under ' + s.name);
	    }
	  }
	  return names.data.length + '/' + echarts.getMap('聊城').geoJSON.features.length + ' ' + (names.data.some(n => n.name === '东昌府区') ? '东昌府区 ' : '') + bad.join('; ');
	})()`
	if got := eval[string](ctx, t, namesClear); got != "8/8 东昌府区 " {
		t.Errorf("county names: %q (want all 8 named, 东昌府区 among them, none under a marker)", got)
	}
	if h1 := text(ctx, t, "h1"); h1 != "聊城市生态环境监管指挥中心" {
		t.Errorf("h1 %q", h1)
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
	// The figures are large enough to read across a room: the key
	// numbers at least 40 px at 1920.
	if small := eval[string](ctx, t, `Array.from(document.querySelectorAll('.s-big, .s-nums b, .s-mid, .s-aqi b')).filter(n => parseFloat(getComputedStyle(n).fontSize) < 36).map(n => n.dataset.t || n.textContent).join(', ')`); small != "" {
		t.Errorf("figures smaller than 36 px: %s", small)
	}
	// A refresh replaces the figures without reloading the page.
	eval[bool](ctx, t, `(window.__marker = 1, document.querySelector('[data-t="case-open"]').textContent = '?', true)`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.ecowatchScreenRefresh()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](ctx, t, `String(window.__marker) + ' ' + document.body.dataset.refreshed + ' ' + document.querySelector('[data-t="case-open"]').textContent`); strings.HasPrefix(got, "1 1 ?") || !strings.HasPrefix(got, "1 1 ") {
		t.Errorf("after a refresh: %q (want the page kept, one refresh, the figure back)", got)
	}
	if got := eval[string](ctx, t, namesClear); got != "8/8 东昌府区 " {
		t.Errorf("county names after a refresh: %q", got)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), "screen-1920x1080.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range consoleErrors() {
		t.Errorf("browser: %s", e)
	}
}
