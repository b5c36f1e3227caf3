package dashboard_test

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

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
