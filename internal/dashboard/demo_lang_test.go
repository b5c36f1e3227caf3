package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/dashboard"
	"github.com/ecowatch/ecowatch/internal/demo"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The test lives outside the package: internal/demo imports internal/app,
// which imports the dashboard.

// The demo's own data (what a new user meets) in both languages: every
// page, with the demo's enterprises, devices, cases, petitions, ledger,
// assessments and its tracing episode.
func TestLanguageDemo(t *testing.T) {
	ctx := context.Background()
	// SQLite only: seeding the demo takes tens of seconds on PostgreSQL;
	// internal/demo's tests seed it on both stores, and TestLanguage checks
	// every page's language over the PostgreSQL fixture.
	st := storetest.Open(t, storetest.SQLite)
	cst := chinatime.Zone
	now := time.Date(2026, 11, 15, 10, 0, 0, 0, cst)
	c := demo.NewCity(1)
	if err := demo.Import(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, st, c, 1, now, io.Discard); err != nil {
		t.Fatal(err)
	}
	rs, err := rightsvc.Open(ctx, st, rightsvc.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if err := demo.SeedWork(ctx, st, rs, t.TempDir(), c, now, io.Discard); err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Now: func() time.Time { return now }, Rights: rs}, st)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := demo.SeedWaterHours(ctx, st, c, 1, now, io.Discard) // already seeded: returns the episode
	if err != nil {
		t.Fatal(err)
	}
	reg := c.Registry
	paths := []string{"/", "/air", "/air/stations/" + reg.Stations[0].Code, "/monitoring", "/monitoring/enterprises/" + reg.Enterprises[0].USCC,
		"/monitoring/devices/" + reg.Devices[0].MN, "/water", "/reports/monthly", "/rights", "/cases", "/notices", "/petitions", "/accountability",
		"/water/trace?section=" + ev.Section + "&time=" + ev.Arrive.Add(2*time.Hour).In(cst).Format("2006-01-02T15:04") + "&factor=NH3-N"}
	// A wastewater enterprise's page too (its outlets' limits and units).
	for _, o := range reg.Outlets {
		if o.Kind == model.OutletWater {
			paths = append(paths, "/monitoring/enterprises/"+o.Enterprise)
			break
		}
	}
	// Every case and notice the lists link to.
	for _, list := range []string{"/cases", "/notices"} {
		for _, m := range regexp.MustCompile(`href="(/(?:cases/C|notices/C)[^"?]*)"`).FindAllStringSubmatch(dashboard.Get(t, h, list).Body.String(), 20) {
			paths = append(paths, m[1])
		}
	}
	dashboard.CheckLanguage(t, h, paths)
	checkAccountabilityCases(t, h, c)
	checkPersonsWords(t, h)
}

// checkPersonsWords: on English pages a person's words recorded in
// Chinese (a petition's text, the case titled from it, a reason given on
// the timeline) are marked "(recorded in Chinese only)", never passed off
// as the page's language.
func checkPersonsWords(t *testing.T, h http.Handler) {
	t.Helper()
	const mark = " (recorded in Chinese only)"
	han := regexp.MustCompile(`\p{Han}`)
	row := regexp.MustCompile(`(?s)<tr[^>]*><td><a href="(/cases/C[^"]*)">[^<]*</a></td><td class="title"><a [^>]*>(.*?)</a></td>.*?<td class="src"[^>]*>(.*?)</td>`)
	var petitionTitles []string
	rows := row.FindAllStringSubmatch(dashboard.Get(t, h, "/cases?lang=en").Body.String(), -1)
	for _, m := range rows {
		if m[3] != "petition" {
			continue
		}
		if han.MatchString(m[2]) && !strings.HasSuffix(m[2], mark) {
			t.Errorf("/cases (en): petition case %s titled %q without the mark", m[1], m[2])
		}
		petitionTitles = append(petitionTitles, strings.TrimSuffix(m[2], mark))
	}
	if len(petitionTitles) == 0 {
		t.Fatalf("the demo's English case list has no petition case (%d rows)", len(rows))
	}
	pets := dashboard.Get(t, h, "/petitions?lang=en").Body.String()
	for _, title := range petitionTitles {
		if strings.Contains(pets, title) && !strings.Contains(pets, title+mark) {
			t.Errorf("/petitions (en): %q without the mark", title)
		}
	}
	// The demo's rejected petition carries the bureau's reason in Chinese.
	const reason = "不属于生态环境部门职责"
	seen := false
	for _, m := range rows {
		body := dashboard.Get(t, h, m[1]+"?lang=en").Body.String()
		if i := strings.Index(body, reason); i >= 0 {
			seen = true
			if rest := body[i:]; !strings.Contains(rest[:strings.Index(rest, "<")], mark) {
				t.Errorf("%s (en): the reason %q without the mark", m[1], rest[:strings.Index(rest, "<")])
			}
		}
	}
	if !seen {
		t.Error("no English case page shows the demo's rejected petition's reason")
	}
}

// The demo's accountability cases (a summons and warnings fired by the
// engine) read in the page's language: the English case page and list
// give the English title and description the engine wrote (no Han
// character: the county by its English name), the Chinese ones no
// English word.
func checkAccountabilityCases(t *testing.T, h http.Handler, c demo.City) {
	t.Helper()
	var counties []string
	for _, co := range c.Registry.Counties {
		counties = append(counties, co.Name)
	}
	links := regexp.MustCompile(`href="(/cases/C[^"?]*)"`).FindAllStringSubmatch(dashboard.Get(t, h, "/cases?q=accountability-").Body.String(), -1)
	if len(links) == 0 {
		t.Fatal("the demo has no accountability case")
	}
	title := regexp.MustCompile(`(?s)<h1 id="case-title">(.*?)</h1>`)
	han := regexp.MustCompile(`\p{Han}`)
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, l := range links {
		for _, lang := range []string{"zh", "en"} {
			m := title.FindStringSubmatch(dashboard.Get(t, h, l[1]+"?lang="+lang).Body.String())
			if m == nil {
				t.Fatalf("%s (%s): no title", l[1], lang)
			}
			rest := m[1]
			// The English title names the county in English too (the
			// registry's NameEN), so nothing of it may stay Chinese.
			if lang == "en" && (han.MatchString(rest) || !strings.Contains(rest, ": ")) {
				t.Errorf("%s (en): title %q is not English", l[1], m[1])
			}
			for _, n := range counties {
				rest = strings.ReplaceAll(rest, n, "")
			}
			if lang == "zh" && latin.MatchString(rest) {
				t.Errorf("%s (zh): title %q has English", l[1], m[1])
			}
		}
	}
}
