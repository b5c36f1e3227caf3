package dashboard

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// Bad input in every page's query form answers with the page (or the error
// page) in the reader's language: no English words, no keys, on a Chinese
// page.
func TestLanguageBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		paths := []string{
			"/water?period=2025-13", "/water?period=bogus", "/reports/monthly?month=bogus", "/reports/monthly.xlsx?month=2025-13",
			"/monitoring?county=nope", "/cases?state=bogus&county=nope&page=-3&line=bogus&source=bogus", "/cases?page=99999",
			"/air?period=bogus", "/air/stations/nope", "/monitoring/devices/nope", "/monitoring/enterprises/nope",
			"/water/trace?section=nope&time=2025-05-10T10:00&factor=NH3-N", "/water/trace?section=" + traceSection(t, s) + "&time=bogus&factor=NH3-N",
			"/water/trace?section=" + traceSection(t, s) + "&time=2025-05-10T10:00&factor=bogus",
			"/petition/track?code=bogus", "/patrols/stats?month=bogus", "/accountability?period=bogus", "/notices/" + s.OverdueCase + "/99",
			"/cases/nope", "/screen?lang=zh&x=1",
		}
		for _, path := range paths {
			for _, lang := range []string{"zh", "en"} {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				w := get(t, h, path+sep+"lang="+lang)
				if w.Code >= 500 {
					t.Errorf("%s (%s): status %d", path, lang, w.Code)
					continue
				}
				if !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
					continue // a workbook or JSON
				}
				text := visibleText(w.Body.String())
				if m := msgKey.FindString(text); m != "" {
					t.Errorf("%s (%s): untranslated key %q", path, lang, m)
				}
				if lang != "zh" {
					continue
				}
				var bad []string
				for _, m := range asciiWord.FindAllString(text, -1) {
					if !slices.Contains(allowedASCII, m) && !slices.Contains(bad, m) && m != "bogus" && m != "nope" {
						bad = append(bad, m)
					}
				}
				if len(bad) > 0 {
					t.Errorf("%s (zh, %d): English words %q", path, w.Code, bad)
				}
			}
		}
	})
}

// The API's refusals read in Chinese on a Chinese page: every reason and
// code the forms meet has a catalogue message, and the field is named.
func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		e      apiError
		zh, en string
	}{
		{apiError{Code: "refused", Reason: "rights.overdraft", Field: "quantity", Message: "insufficient rights: holds 2 t"}, "可用排污权不足（数量）", "insufficient rights: holds 2 t"},
		{apiError{Code: "invalid_transition", Reason: "cases.transition", Message: "cases: x: cannot close"}, "案件当前状态不允许此操作", "cases: x: cannot close"},
		{apiError{Code: "invalid_body", Field: "credits[1].quantity", Message: "bad"}, "填写的内容有误（减排量）", "bad"},
		{apiError{Code: "refused", Reason: "acc.formula", Field: "formula", Message: "formula 2026Q1: no version"}, "没有适用于本期的生态补偿办法版本", "formula 2026Q1: no version"},
		{apiError{Code: "teapot", Field: "zzz", Message: "odd"}, "操作未成功，请稍后重试。", "odd"},
		{apiError{}, "操作未成功，请稍后重试。", "The action did not succeed; try again later."},
	} {
		if got := errorText(langZH, c.e); got != c.zh {
			t.Errorf("%+v (zh): %q, want %q", c.e, got, c.zh)
		}
		if got := errorText(langEN, c.e); got != c.en {
			t.Errorf("%+v (en): %q, want %q", c.e, got, c.en)
		}
	}
	// Every message is Chinese in Chinese.
	for k, m := range errorMessages {
		if asciiWord.MatchString(m[0]) {
			t.Errorf("%s: %q", k, m[0])
		}
	}
	// The page carries them for ui.js in Chinese only.
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	if b := get(t, h, "/rights?lang=zh").Body.String(); !strings.Contains(b, `id="ew-msgs"`) || !strings.Contains(b, "可用排污权不足") {
		t.Error("the Chinese rights page lacks the error messages")
	}
	if b := get(t, h, "/rights?lang=en").Body.String(); strings.Contains(b, `id="ew-msgs"`) {
		t.Error("the English page carries the Chinese error messages")
	}
	if w := get(t, h, "/public?lang=zh"); !strings.Contains(w.Body.String(), `id="ew-msgs"`) || w.Code != http.StatusOK {
		t.Error("the portal lacks the error messages")
	}
}
