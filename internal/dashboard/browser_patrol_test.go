package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/store"
)

// patrolOnPhone walks a river patrol at 390×844 with the browser's
// geolocation emulated: start, two positions, a problem recorded there
// (its case opens), end; the store then holds the track, the finding and
// the measured length.
func patrolOnPhone(t *testing.T, ctx context.Context, base string, s *dashboard.Seeded, shot func(string)) {
	pos := func(lat, lon float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			acc := 5.0
			_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
			return err
		})
	}
	grant := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		c := chromedp.FromContext(ctx)
		_, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: base, BrowserContextID: c.BrowserContextID})
		return err
	})
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(pctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		grant, pos(36.4500, 115.9800),
		chromedp.Navigate(base+"/patrol"),
		chromedp.WaitVisible("#start-form"),
		chromedp.SendKeys(`#start-form input[name=area]`, "徒骇河东昌府段"),
		chromedp.Click(`#start-form button[type=submit]`),
		chromedp.WaitVisible("#patrol-live"),
		chromedp.WaitReady(`#patrol[data-fixes="1"]`),
		pos(36.4600, 115.9800),
		chromedp.WaitReady(`#patrol[data-fixes="2"]`),
		chromedp.SendKeys(`#finding-form textarea[name=description]`, "排污口冒黑水"),
		chromedp.Click(`#finding-form button[type=submit]`),
		chromedp.WaitVisible("#finding-list li a"),
	); err != nil {
		t.Fatal(err)
	}
	if w, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`); w > iw {
		t.Errorf("patrol page is %d px wide in a %d px viewport", w, iw)
	}
	shot("patrol-phone")
	if err := chromedp.Do(pctx, chromedp.Click("#end"), chromedp.WaitVisible("#patrol-done")); err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, "#done-summary"); !strings.HasPrefix(got, "1.11 km") {
		t.Errorf("summary %q, want 1.11 km (0.01° of latitude)", got)
	}
	ps, err := s.St.Patrols(context.Background(), store.PatrolQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range ps {
		if p.Area == "徒骇河东昌府段" {
			found = true
			if len(p.Track) < 2 || len(p.Findings) != 1 || p.Findings[0].Case == "" || p.EndedAt.IsZero() || p.Km < 1.1 || p.Km > 1.12 {
				t.Errorf("stored patrol: %d positions, findings %+v, ended %v, %.3f km", len(p.Track), p.Findings, p.EndedAt, p.Km)
			}
		}
	}
	if !found {
		t.Error("the patrol was not stored")
	}
	// The portal's pages fit the phone too.
	for _, path := range []string{"/public", "/petition", "/petition/track?code=" + s.PetitionCode, "/patrols/stats"} {
		if err := chromedp.Do(pctx, chromedp.Navigate(base+path), chromedp.WaitReady("footer")); err != nil {
			t.Fatal(err)
		}
		if path != "/patrols/stats" { // a staff page: wide tables scroll in their panel
			if w, iw := eval[int](ctx, t, `document.documentElement.scrollWidth`), eval[int](ctx, t, `window.innerWidth`); w > iw {
				t.Errorf("%s is %d px wide in a %d px viewport", path, w, iw)
			}
		}
	}
}
