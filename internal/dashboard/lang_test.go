package dashboard

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// langPages are every page of the dashboard over the seeded store, as a
// user reaches them.
func langPages(t *testing.T, s *seeded) []string {
	return []string{"/", "/air", "/air/stations/371511A", "/monitoring", "/monitoring?county=" + s.Reg.Counties[0].Code,
		"/monitoring/devices/" + s.Device.MN, "/monitoring/enterprises/" + s.Outlet.Enterprise, "/monitoring/quarantine", "/monitoring/forwarding",
		"/reports/monthly", "/reports/monthly?month=2025-05", "/water", "/water?period=2025-05", "/rights", "/cases", "/cases/" + s.OverdueCase,
		"/petition", "/petition/track?code=" + s.PetitionCode, "/nope", "/notices", "/notices/" + s.OverdueCase + "/0", "/petitions",
		"/accountability", "/screen", "/water/trace", "/water/trace?section=" + traceSection(t, s) + "&time=2025-05-10T10:00&factor=NH3-N",
		"/water/trace?section=" + traceSection(t, s) + "&time=2025-05-10T10:00&factor=NH3-N&whatif=1",
		"/public", "/patrol", "/patrols/stats", "/cases?county=371502&overdue=1&q=%E6%89%AC%E5%B0%98",
		"/desk", "/desk?enterprise=" + s.Outlet.Enterprise, "/rates", "/rates?month=2026-03"}
}

var (
	// Not visible text: scripts, styles, and evidence shown as it was
	// received (a raw HJ 212 frame is the device's bytes, not a label).
	invisible = regexp.MustCompile(`(?is)<script.*?</script>|<style.*?</style>|<code>.*?</code>|<title>.*?</title>|<(\w+)[^>]*\btranslate="no"[^>]*>[^<]*</\w+>`)
	tag       = regexp.MustCompile(`(?s)<[^>]*>`)
	// An English word: three or more ASCII letters standing alone (codes
	// such as a21026, MN numbers or PM2.5 mix in digits and do not count).
	asciiWord = regexp.MustCompile(`\b[A-Za-z]{3,}\b`)
	// English words too short for asciiWord that a form writes.
	shortEnglish = regexp.MustCompile(`\b(OK|Ok|Go)\b`)
	// A message key that was not found renders as itself.
	msgKey = regexp.MustCompile(`\b(fwd|app|nav|lang|overview|air|col|mon|state|status|report|err|unit|login|act|notices|level|pets|sat|trace|role|case|cases|acc|rights|water|pet|frame|reason|dev|industry|factor|screen|desk|mark|rates)\.[a-z_-]+[a-z]\b`)
)

// allowedASCII are the words a Chinese page writes in Latin letters
// because Chinese readers do: index names, units, standard numbers,
// product names, file extensions of evidence files and the switch to
// English.
var allowedASCII = []string{"AQI", "CWQI", "VOCs", "English", "Excel", "COD", "BOD", "MN", "png", "jpg", "jpeg", "pdf"}

// visibleText is the text a reader sees on a page.
func visibleText(body string) string {
	body = invisible.ReplaceAllString(body, " ")
	return html.UnescapeString(tag.ReplaceAllString(body, " "))
}

// A Chinese page shows no English words and no message keys; an English
// page shows no message keys and is mostly English.
func TestLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
		seedAccount(t, st, s)
		checkLanguage(t, h, langPages(t, s))
	})
}

// checkLanguage renders every path in Chinese and English and reports
// message keys, English words on a Chinese page and Chinese labels on an
// English one.
func checkLanguage(t *testing.T, h http.Handler, paths []string) {
	t.Helper()
	for _, path := range paths {
		for _, lang := range []string{"zh", "en"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			w := get(t, h, path+sep+"lang="+lang)
			if w.Code != http.StatusOK && path != "/nope" {
				t.Errorf("%s (%s): status %d", path, lang, w.Code)
				continue
			}
			checkText(t, path, lang, w.Body.String())
		}
	}
}

// checkText reports, for a page's HTML in lang (zh or en), message keys,
// formatting errors, English words on a Chinese page and the catalogue's
// Chinese labels on an English one. The browser tests run it on the
// pages as drawn (scripts run) for each role.
func checkText(t *testing.T, path, lang, body string) {
	t.Helper()
	text := visibleText(body)
	if m := msgKey.FindString(text); m != "" {
		t.Errorf("%s (%s): untranslated key %q", path, lang, m)
	}
	// A value formatted with the wrong verb (fmt's "%!f(*float64=…)").
	if i := strings.Index(text, "%!"); i >= 0 {
		t.Errorf("%s (%s): formatting error %q", path, lang, text[i:min(len(text), i+40)])
	}
	if lang == "zh" {
		var bad []string
		for _, m := range asciiWord.FindAllString(text, -1) {
			if !slices.Contains(allowedASCII, m) && !slices.Contains(bad, m) {
				bad = append(bad, m)
			}
		}
		// Two-letter English a button may carry (the OK of a form).
		bad = append(bad, shortEnglish.FindAllString(text, -1)...)
		if len(bad) > 0 {
			t.Errorf("%s (zh): English words %q", path, bad)
		}
		return
	}
	// A unit is a symbol or an English word (pH's 无量纲: dimensionless).
	if strings.Contains(text, "无量纲") {
		t.Errorf("%s (en): unit 无量纲 in Chinese", path)
	}
	// Place, enterprise and people's names may stay Chinese; a label of
	// the catalogue may not.
	if m := regexp.MustCompile(`(优|良|轻度污染|中度污染|重度污染|严重污染)</`).FindString(body); m != "" {
		t.Errorf("%s (en): AQI category %q in Chinese", path, m)
	}
	for k, m := range messages {
		if m[0] != m[1] && strings.Contains(body, ">"+m[0]+"<") && !strings.HasPrefix(k, "lang.") {
			t.Errorf("%s (en): Chinese label %q (%s)", path, m[0], k)
		}
	}
}

// Tracing names suspects only when the section exceeds, or when asked
// what-if; suspects are named by enterprise and outfall, never by code.
func TestTraceSuspects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
		wr, err := st.WaterRegistry(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		clean := wr.Sections[0].Code // NH3-N class Ⅰ in May (seedWater)
		base := "/water/trace?section=" + clean + "&time=2025-05-10T10:00&factor=NH3-N"
		body := get(t, h, base).Body.String()
		if !strings.Contains(body, `id="trace-noexceed"`) || strings.Contains(body, `id="candidates"`) || !strings.Contains(body, `id="trace-whatif"`) {
			t.Errorf("a section that does not exceed: want no suspects and a what-if link")
		}
		body = get(t, h, base+"&whatif=1").Body.String()
		if !strings.Contains(body, `id="candidates"`) || !strings.Contains(body, `id="trace-whatif-note"`) {
			t.Errorf("what-if: want the ranking with its caveat")
		}
		body = get(t, h, "/water/trace?section="+traceSection(t, s)+"&time=2025-05-10T10:00&factor=NH3-N").Body.String()
		rows := regexp.MustCompile(`(?s)<table id="candidates".*?</table>`).FindString(body)
		if rows == "" || strings.Contains(body, `id="trace-noexceed"`) {
			t.Fatal("an exceeding section: no candidates")
		}
		named := 0
		for _, e := range s.Reg.Enterprises {
			if strings.Contains(rows, ">"+e.USCC+"<") {
				t.Errorf("candidate shown by credit code %s", e.USCC)
			}
			if strings.Contains(rows, "<b>"+e.Name+"</b>") {
				named++
			}
		}
		if named == 0 {
			t.Error("no candidate named by its enterprise")
		}
		if n := strings.Count(rows, "<tr>") - 1; n > maxSuspects {
			t.Errorf("%d candidate rows, want at most %d", n, maxSuspects)
		}
		if !strings.Contains(body, "mg/L") {
			t.Error("no unit beside the peak")
		}
	})
}

// The rights page lists the reductions and allocations with the next
// step staff may take; every action button carries a ledger command the
// service decodes as it is (the page posts it to the API unchanged).
func TestRightsActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, _ := newTestHandler(t, b, Config{})
		body := get(t, h, "/rights").Body.String()
		for _, want := range []string{`id="credits"`, "CR-2025-001", "已核定入库", `id="allocations"`, "AL-1", "已出让", `id="declare-form"`, "/static/rights.js"} {
			if !strings.Contains(body, want) {
				t.Errorf("rights page lacks %q", want)
			}
		}
		cmds := regexp.MustCompile(`data-cmd='([^']*)'`).FindAllStringSubmatch(body, -1)
		if !strings.Contains(body, `"cmd":"review_reduction","credit":"CR-2025-002","approve":true`) {
			t.Error("the declared credit CR-2025-002 offers no county review")
		}
		for _, m := range cmds {
			js := html.UnescapeString(m[1])
			if strings.Contains(js, "declare_reduction") {
				continue // completed by the form's fields
			}
			if _, err := rightsvc.DecodeCommand([]byte(js), "k"); err != nil {
				t.Errorf("command %s: %v", js, err)
			}
		}
		// Without a user (the demo's open mode) there are no forms: the API
		// would refuse an anonymous command.
		st, _ := fixture(t, b)
		ho, _ := newTestHandler(t, b, Config{Auth: newAuth(t, st, 0), Open: true})
		if b := get(t, ho, "/rights").Body.String(); strings.Contains(b, "data-cmd=") || !strings.Contains(b, `id="credits"`) || !strings.Contains(b, `id="rights-login"`) {
			t.Error("open mode, anonymous: want the tables without the forms, and the way to log in")
		}
	})
}

// TestRightsTradingClassification: the allocations table shows each
// allocation's classification under the city's trading rules (the
// fixture's AL-1: 4 t of NOx applied on 2025-06-01 under the 2023 rules,
// only its own pollutant stated) in the page's language.
func TestRightsTradingClassification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, _ := newTestHandler(t, b, Config{})
		for _, c := range []struct{ lang, obligation, rules string }{
			{"zh", "执行总量制度（可自愿交易）（仅按本污染物认定）", "2023年实施细则(试行) · 2025-06-01"},
			{"en", "total-quantity system (trading voluntary) (on this pollutant only)", "2023 implementing rules (trial) · 2025-06-01"},
		} {
			body := get(t, h, "/rights?lang="+c.lang).Body.String()
			row := regexp.MustCompile(`(?s)<tr data-allocation="AL-1">.*?</tr>`).FindString(body)
			cell := regexp.MustCompile(`(?s)<td data-trading="total-system">(.*?)</td>`).FindStringSubmatch(row)
			if cell == nil || !strings.Contains(cell[1], c.obligation) || !strings.Contains(cell[1], c.rules) {
				t.Errorf("%s: AL-1's trading cell %q, want %q and %q", c.lang, cell, c.obligation, c.rules)
			}
		}
	})
}

// TestDeskNoticesLanguage: a self-check notice on the enterprise's desk
// is shown in the page's language — the platform's English wording on an
// English page, a notice stored before it had one in Chinese marked as
// such, and the Chinese on a Chinese page.
func TestDeskNoticesLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		ctx := context.Background()
		recip := "enterprise:" + s.Outlet.Enterprise
		at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
		for _, n := range []store.Notification{
			{Recipient: recip, At: at, Kind: "alert.self-check", Message: "请自查：旧的通知", MessageEN: ""},
			{Recipient: recip, At: at.Add(time.Hour), Kind: "alert.self-check", Message: "请自查：二氧化硫小时均值", MessageEN: "Please check: SO₂ hourly mean"},
			// The case service's notices: its log wording, codes and all.
			{Recipient: recip, At: at.Add(2 * time.Hour), Kind: "case.escalate", Case: "C2026-000244", Message: "case C2026-000244: escalate → registered"},
			{Recipient: recip, At: at.Add(3 * time.Hour), Kind: "case.registered", Case: "C2026-000245", Message: "new case C2026-000245: 某厂超标"},
		} {
			if err := s.St.Notify(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		notices := func(lang string) string {
			body := get(t, h, "/desk?enterprise="+s.Outlet.Enterprise+"&lang="+lang).Body.String()
			i := strings.Index(body, `id="desk-notices"`)
			if i < 0 {
				t.Fatalf("%s: no notices on the desk", lang)
			}
			return body[i : i+strings.Index(body[i:], "</ul>")]
		}
		en := notices("en")
		for _, want := range []string{"Please check: SO₂ hourly mean", "请自查：旧的通知 (recorded in Chinese only)"} {
			if !strings.Contains(en, want) {
				t.Errorf("English desk notices lack %q:\n%s", want, en)
			}
		}
		// A case's notice names its action in the page's language, never by code.
		for _, want := range []string{`Case <a href="/cases/C2026-000244">C2026-000244</a>: Escalate`, `Case <a href="/cases/C2026-000245">C2026-000245</a>: Register`} {
			if !strings.Contains(en, want) {
				t.Errorf("English desk notices lack %q:\n%s", want, en)
			}
		}
		if strings.Contains(en, "escalate →") || strings.Contains(en, "某厂超标") {
			t.Errorf("English desk shows a case notice's stored wording:\n%s", en)
		}
		if strings.Contains(en, "二氧化硫小时均值") {
			t.Errorf("English desk shows the Chinese of a notice that has its English:\n%s", en)
		}
		zh := notices("zh")
		if !strings.Contains(zh, "请自查：二氧化硫小时均值") || strings.Contains(zh, "Please check") || strings.Contains(zh, "recorded in Chinese") ||
			!strings.Contains(zh, `案件 <a href="/cases/C2026-000244">C2026-000244</a>：督办升级`) || !strings.Contains(zh, `C2026-000245</a>：登记`) ||
			strings.Contains(zh, "escalate") || strings.Contains(zh, "new case") {
			t.Errorf("Chinese desk notices:\n%s", zh)
		}
	})
}
