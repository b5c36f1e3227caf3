package dashboard_test

import (
	"context"
	"testing"
)

// TestBrowserAirFits: the air page's tables fit a 1366-wide laptop in both
// languages (the English headers and county names are longer: they wrap
// rather than push the table sideways) — neither the page nor a table's
// own container scrolls sideways. On a phone a table may scroll inside its
// container, the page itself not.
func TestBrowserAirFits(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, _ := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	shots := screenshotDir(t)
	forEachViewport(ctx, t, base+"/air", "#rankings tbody tr", func(ctx context.Context, t *testing.T, lang string, v viewport) {
		if w, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`); w > iw {
			t.Errorf("the page is %d px wide in a %d px window", w, iw)
		}
		if !v.phone {
			// Each table's container: its content no wider than itself.
			over := eval[[]string](ctx, t, `Array.prototype.filter.call(document.querySelectorAll('.scroll'), function (d) { return d.scrollWidth > d.clientWidth + 1; })
				.map(function (d) { var tb = d.querySelector('table'); return (tb.id || tb.className) + ': ' + d.scrollWidth + ' > ' + d.clientWidth; })`)
			if len(over) > 0 {
				t.Errorf("tables scroll sideways: %v", over)
			}
		}
		saveScreenshot(ctx, t, shots, "air-"+lang+"-"+v.name, true)
	})
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
