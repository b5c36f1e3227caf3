package dashboard_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFilePick: a file input speaks the page's language. Chromium's
// own "Choose File / No file chosen" follow the browser's locale (English
// here), so the native input is visually hidden but focusable, a label in
// the page's language opens it, and the chosen file's name shows beside it;
// the form's reset clears the name again.
func TestBrowserFilePick(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, _ := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	shots := screenshotDir(t)

	photo := filepath.Join(t.TempDir(), "河道照片.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, choose, none string }{
		{"zh", "选择文件", "未选择文件"},
		{"en", "Choose file", "No file chosen"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := chromedp.Do(pctx,
				emulate(390, 844, true),
				chromedp.Navigate(base+"/petition?lang="+c.lang),
				chromedp.WaitVisible("#pet-photos-btn"),
			); err != nil {
				t.Fatal(err)
			}
			if got := text(ctx, t, "#pet-photos-btn"); got != c.choose {
				t.Errorf("button label %q, want %q", got, c.choose)
			}
			if got := text(ctx, t, "#pet-photos-names"); got != c.none {
				t.Errorf("before choosing: %q, want %q", got, c.none)
			}
			// Visually hidden: no larger than a pixel and clipped, yet it
			// takes the keyboard focus (display:none would not).
			hidden := eval[bool](ctx, t, `(function () {
				var i = document.getElementById('pet-photos'), r = i.getBoundingClientRect(), s = getComputedStyle(i);
				return r.width <= 1 && r.height <= 1 && s.clipPath === 'inset(50%)' && s.display !== 'none' && s.visibility !== 'hidden';
			})()`)
			if !hidden {
				t.Error("the native file input is not visually hidden")
			}
			if !eval[bool](ctx, t, `(function () { var i = document.getElementById('pet-photos'); i.focus(); return document.activeElement === i && i.tabIndex >= 0; })()`) {
				t.Error("the hidden file input does not take the keyboard focus")
			}
			if w := eval[float64](ctx, t, `document.getElementById('pet-photos-btn').getBoundingClientRect().width`); w < 40 {
				t.Errorf("the label button is %.0f px wide", w)
			}
			if got := eval[string](ctx, t, `document.getElementById('pet-photos').getAttribute('aria-labelledby').split(' ').map(function (id) { return document.getElementById(id).textContent; }).join(' ')`); got == "" {
				t.Error("the input has no accessible name")
			}
			if err := chromedp.Do(pctx,
				chromedp.SetUploadFiles(`#pet-photos`, []string{photo}),
				chromedp.Poll[chromedp.Void](`document.getElementById('pet-photos-names').textContent === '河道照片.png'`),
			); err != nil {
				t.Fatalf("the chosen file's name does not show (%q): %v", text(ctx, t, "#pet-photos-names"), err)
			}
			saveScreenshot(ctx, t, shots, "filepick-petition-"+c.lang+"-390", true)
			if err := chromedp.Do(pctx,
				chromedp.Evaluate[chromedp.Void](`document.getElementById('petition-form').reset()`),
				chromedp.Poll[chromedp.Void](`document.getElementById('pet-photos-names').textContent === `+jsQuote(c.none)),
			); err != nil {
				t.Fatalf("a reset form still shows %q: %v", text(ctx, t, "#pet-photos-names"), err)
			}
		})
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
