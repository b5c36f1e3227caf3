package dashboard

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"

	"github.com/xuri/excelize/v2"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The seeded stores are shared by the package's tests, one per backend:
// seeding a year of 15 stations takes seconds (tens of them on
// PostgreSQL), too long to repeat per test.
type sharedFixture struct {
	once sync.Once
	st   store.Store
	seed *seeded
	rts  *rightsvc.Service
	drop func(context.Context) error // removes the PostgreSQL database
	dir  string                      // holds the SQLite database
	err  error
}

var fixtures = map[storetest.Backend]*sharedFixture{storetest.SQLite: {}, storetest.Postgres: {}}

// afterTests is what TestMain runs after the tests (AfterTests).
var (
	afterMu    sync.Mutex
	afterTests []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	afterMu.Lock()
	for _, f := range afterTests {
		f()
	}
	afterMu.Unlock()
	for _, f := range fixtures {
		if f.rts != nil {
			f.rts.Close()
		}
		if f.st != nil {
			f.st.Close()
		}
		if f.drop != nil {
			if err := f.drop(context.Background()); err != nil {
				fmt.Fprintln(os.Stderr, "dashboard tests:", err)
			}
		}
		if f.dir != "" {
			os.RemoveAll(f.dir)
		}
	}
	os.Exit(code)
}

// fixture is b's shared seeded store, seeded by the first test asking.
// It outlives that test, so it is not storetest.Open's (closed when the
// test ends): TestMain closes and removes it.
func fixture(t testing.TB, b storetest.Backend) (store.Store, *seeded) {
	t.Helper()
	f := fixtures[b]
	f.once.Do(func() {
		ctx := context.Background()
		var dsn string
		switch b {
		case storetest.SQLite:
			if f.dir, f.err = os.MkdirTemp("", "dashboard-test-"); f.err != nil {
				return
			}
			dsn = storetest.SQLiteDSN(f.dir)
		case storetest.Postgres:
			if dsn, f.drop, f.err = pgtest.Create(ctx, os.Getenv(pgtest.Env), "ecowatch_dashboard"); f.err != nil {
				return
			}
		}
		if f.st, f.err = store.Open(ctx, dsn, storetest.Options); f.err != nil {
			return
		}
		f.seed = seed(t, f.st)
		if f.rts, f.err = rightsvc.Open(ctx, f.st, rightsvc.Options{Now: func() time.Time { return testNow }}); f.err != nil {
			return
		}
		seedRights(t, f.rts)
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	if f.seed == nil {
		t.Fatal("fixture seeding failed in an earlier test")
	}
	return f.st, f.seed
}

// newTestHandler is a handler over b's shared fixture.
func newTestHandler(t testing.TB, b storetest.Backend, cfg Config) (*Handler, *seeded) {
	st, s := fixture(t, b)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.Rights == nil {
		cfg.Rights = fixtures[b].rts
	}
	if cfg.Marks == nil {
		cfg.Marks = &marksvc.Service{St: st, Now: cfg.Now}
	}
	h, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	return h, s
}

func get(t testing.TB, h http.Handler, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// expectedNow is the engine's latest publishable hour of a station.
func expectedNow(t *testing.T, st store.Store, code string) (int, string) {
	hours, err := airreport.Hourly(context.Background(), st, code, testNow.Add(-6*time.Hour), testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(hours) - 1; i >= 0; i-- {
		if hours[i].AQI.AQI != nil {
			return *hours[i].AQI.AQI, *hours[i].Colour
		}
	}
	t.Fatalf("no hour with an AQI at %s", code)
	return 0, ""
}

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		st, _ := fixture(t, b)
		aqi, colour := expectedNow(t, st, "371501A")
		cell := `data-aqi="` + strconv.Itoa(aqi) + `" style="background:` + colour
		ent := s.Reg.Enterprises[0]
		for _, e := range s.Reg.Enterprises {
			if e.USCC == s.Outlet.Enterprise {
				ent = e
			}
		}
		tests := []struct {
			path string
			want []string
		}{
			{"/", []string{"城市总览", `<div class="chart map" id="map">`, "市环境监测站", cell, `id="chart-data"`, "/static/echarts.min.js", "/static/liaocheng.js", `id="year-pm25"`, `id="calendar"`}},
			{"/?lang=en", []string{"City overview", "AQI now at every station", cell, "中文"}},
			{"/air", []string{"年度目标完成情况与剩余预算", "综合指数排名", "聊城大学", `data-area="city"`, "东昌府区", cell}},
			{"/air?period=2025-05", []string{"2025-05"}},
			{"/air/stations/371501A", []string{"市环境监测站", "371501A", `id="station-hourly"`, `id="hours"`, "2025-06-15 14:00", `id="days"`, "2025-06-14"}},
			{"/monitoring", []string{"重点排污单位", ent.Name, `id="n-online">1<`, `id="n-quarantined">1<`}},
			{"/monitoring?county=" + ent.County, []string{ent.Name}},
			{"/monitoring/enterprises/" + ent.USCC, []string{ent.Name, s.Device.MN, `class="exceed"`, "当前超标: 1", "在线"}},
			{"/monitoring/devices/" + s.Device.MN, []string{s.Device.MN, `id="frames"`, "PW=" + strings.Repeat("*", len(s.Password)) + ";", `class="exceed"`, "10.1.2.3:5000",
				`id="device-trend"`, `<tr><td>06-14</td><td>15</td></tr>`, `"trend":{"dates":`,
				// The analysers (registry, migration 0013) with their units.
				"分析仪量程与检出限", `id="analysers"`, analyserCell(s.Device.Factors[0], "zh")}},
			{"/monitoring/devices/" + s.Device.MN + "?lang=en", []string{"Analysers: measuring range and detection limit", "2 % of the range", analyserCell(s.Device.Factors[0], "en")}},
			{"/monitoring/quarantine", []string{s.QuarantMN, "unknown MN", "PW=******"}},
			{"/reports/monthly?month=2025-05", []string{"环境质量月报", "2025-05-01", "2025-05-31", "全市AQI有效天数", `id="report-counties"`, "/reports/monthly.xlsx?month=2025-05", "@media print"[:0],
				`id="water-summary"`, `id="report-sections"`, "劣Ⅴ", "Ⅰ-Ⅲ类比例"}},
			{"/reports/monthly?month=2025-06", []string{"本月无水质监测数据"}},
			{"/reports/monthly", []string{"2025-05"}},
			{"/water?period=2025-05", []string{"水环境质量", `id="sections"`, `class="class" style="background:#FF0000`, "劣Ⅴ", `id="cwqi-counties"`, `id="drinking"`, "未达标"}},
			{"/water", []string{"2025-05", `id="city-cwqi"`}},
			{"/rights", []string{"排污权", `id="holdings"`, "东昌府区储备库", "挂牌托管 S-1", `id="trades"`, "90000.00", "32000.00"}},
			{"/rights?year=2025&lang=en", []string{"Emission rights", "Reservoir receipts and spending", "Dongchangfu District reservoir"}},
			{"/cases", []string{"按状态和区县", `id="board"`, s.OverdueCase, "扬尘未覆盖", `class="exceed"`, "超期", `id="n-overdue"`}},
			{"/cases?county=371521", []string{"河水发黑有异味"[:0], "阳谷县"}},
			{"/cases/" + s.OverdueCase, []string{"扬尘未覆盖", `id="timeline"`, "登记", "受理", "超期"}},
			{"/petition", []string{"环境问题举报", `id="petition-form"`, `name="photos"`, "/static/petition.js", "阳谷县"}},
			{"/petition/track?code=" + s.PetitionCode, []string{`id="petition-status"`, s.PetitionCode, "水"}},
			{"/water?lang=en", []string{"Sections against their target classes", "Drinking-water sources"}},
			{"/reports/monthly?month=2025-05&lang=en", []string{"Monthly environmental quality report", "The city had"}},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				w := get(t, h, tc.path)
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body.String()[:min(400, w.Body.Len())])
				}
				if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				body := w.Body.String()
				for _, s := range tc.want {
					if !strings.Contains(body, s) {
						t.Errorf("page lacks %q", s)
					}
				}
				// html/template's marker of a value it refused in a context.
				if strings.Contains(body, "ZgotmplZ") {
					t.Error("page contains ZgotmplZ (an unsafe value was filtered)")
				}
				if s.Password != "" && strings.Contains(body, "PW="+s.Password) {
					t.Error("page shows a device password")
				}
			})
		}
	})
}

// Every label comes from the message table: a key that is missing
// renders as itself ("col.xxx") and is caught here, in both languages.
func TestNoMissingMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, s := newTestHandler(t, b, Config{})
		key := regexp.MustCompile(`\b(app|nav|lang|overview|air|col|mon|state|status|report|err|unit|login|act|notices|level|pets|sat|trace|role|case)\.[a-z_-]+[a-z]\b`)
		for _, path := range []string{"/", "/air", "/air/stations/371511A", "/monitoring", "/monitoring/devices/" + s.Device.MN, "/monitoring/enterprises/" + s.Outlet.Enterprise, "/monitoring/quarantine", "/reports/monthly", "/water", "/rights", "/cases", "/cases/" + s.OverdueCase, "/petition", "/petition/track?code=" + s.PetitionCode, "/nope",
			"/notices", "/notices/" + s.OverdueCase + "/0", "/petitions", "/water/trace?section=" + traceSection(t, s) + "&time=2025-05-10T10:00&factor=NH3-N"} {
			for _, lang := range []string{"zh", "en"} {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				w := get(t, h, path+sep+"lang="+lang)
				body := w.Body.String()
				// Drop the chart JSON and file names: not labels.
				body = regexp.MustCompile(`(?s)<script.*?</script>|/static/[a-z.]+|monthly\.xlsx`).ReplaceAllString(body, "")
				if m := key.FindString(body); m != "" {
					t.Errorf("%s (%s): untranslated key %q", path, lang, m)
				}
			}
		}
		for k, v := range messages {
			if v[0] == "" || v[1] == "" {
				t.Errorf("message %q lacks a translation", k)
			}
		}
	})
}

func TestLanguageSwitch(t *testing.T) {
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	w := get(t, h, "/air?lang=en")
	var c *http.Cookie
	for _, x := range w.Result().Cookies() {
		if x.Name == langCookie {
			c = x
		}
	}
	if c == nil || c.Value != "en" {
		t.Fatalf("no language cookie set: %v", w.Result().Cookies())
	}
	if !strings.Contains(w.Body.String(), `href="/air?lang=zh"`) {
		t.Error("switch link does not lead back to Chinese")
	}
	// The cookie keeps English on the next page.
	w = get(t, h, "/monitoring", c)
	if b := w.Body.String(); !strings.Contains(b, "Online monitoring") || strings.Contains(b, "重点排污单位") {
		t.Error("cookie did not keep English")
	}
	if got := w.Header().Get("Content-Language"); got != "en" {
		t.Errorf("Content-Language %q", got)
	}
	// Default is Chinese.
	if b := get(t, h, "/monitoring").Body.String(); !strings.Contains(b, "重点排污单位") || !strings.Contains(b, `lang="zh-CN"`) {
		t.Error("default is not Chinese")
	}
}

func TestSwitchURL(t *testing.T) {
	for _, tc := range []struct{ path, lang, want string }{
		{"/", "zh", "/?lang=en"},
		{"/air?period=2025", "zh", "/air?period=2025&lang=en"},
		{"/air?lang=en&period=2025", "en", "/air?period=2025&lang=zh"},
		{"/air?period=2025&lang=en", "en", "/air?period=2025&lang=zh"},
	} {
		p := &page{Path: tc.path, Lang: tc.lang}
		if got := p.SwitchURL(); got != tc.want {
			t.Errorf("SwitchURL(%q, %s) = %q, want %q", tc.path, tc.lang, got, tc.want)
		}
	}
}

func TestErrorPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, _ := newTestHandler(t, b, Config{})
		for _, tc := range []struct {
			path   string
			status int
			want   string
		}{
			{"/nope", 404, "页面不存在"},
			{"/nope?lang=en", 404, "Page not found"},
			{"/air/stations/XXXX", 404, "页面不存在"},
			{"/monitoring/devices/NOPE", 404, "页面不存在"},
			{"/monitoring/enterprises/NOPE", 404, "页面不存在"},
			{"/static/nope.js", 404, "页面不存在"},
			{"/reports/monthly?month=2025-13", 400, "请求有误"},
			{"/air?period=someday", 400, "请求有误"},
			{"/water?period=2025-14", 400, "请求有误"},
			{"/rights?year=x", 400, "请求有误"},
			{"/cases/C2025-999999", 404, "页面不存在"},
			{"/petition/track?code=ABCD-EFGH-JKLM", 404, "没有找到"},
		} {
			w := get(t, h, tc.path)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%s: status %d, want %d with %q", tc.path, w.Code, tc.status, tc.want)
			}
		}
	})
}

func TestMonthlyXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h, _ := newTestHandler(t, b, Config{})
		w := get(t, h, "/reports/monthly.xlsx?month=2025-05")
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
			t.Errorf("Content-Type %q", ct)
		}
		if !bytes.HasPrefix(w.Body.Bytes(), []byte("PK\x03\x04")) {
			t.Error("not a zip (xlsx) file")
		}
		if !strings.Contains(w.Header().Get("Content-Disposition"), "2025-05") {
			t.Errorf("Content-Disposition %q", w.Header().Get("Content-Disposition"))
		}
		// The water report's sheets follow the air sheets, with the section
		// classes of the month.
		f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var water []string
		for _, name := range f.GetSheetList() {
			if strings.HasPrefix(name, "水质 ") {
				water = append(water, name)
			}
		}
		if len(water) == 0 {
			t.Fatalf("no water sheets in %v", f.GetSheetList())
		}
		found := false
		for _, name := range water {
			rows, _ := f.GetRows(name)
			for _, row := range rows {
				if strings.Contains(strings.Join(row, "|"), "劣Ⅴ") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("the water sheets %v hold no section of class 劣Ⅴ (seeded)", water)
		}
		if rows, _ := f.GetRows("评价表"); len(rows) < 3 || rows[1][0] != "类别" {
			t.Errorf("Chinese air sheet %v: rows %q", f.GetSheetList(), rows)
		}
		// In English the air sheets speak English.
		en, err := excelize.OpenReader(bytes.NewReader(get(t, h, "/reports/monthly.xlsx?month=2025-05&lang=en").Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer en.Close()
		if rows, _ := en.GetRows("evaluation"); len(rows) < 3 || rows[1][0] != "kind" {
			t.Errorf("English air sheet %v: rows %q", en.GetSheetList(), rows)
		}
		if rows, _ := en.GetRows("water sections"); len(rows) < 3 || rows[1][0] != "code" {
			t.Errorf("English water sheet %v: rows %q", en.GetSheetList(), rows)
		}
	})
}

func TestStaticGzip(t *testing.T) {
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	want, err := staticFS.ReadFile("static/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/static/echarts.min.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, encoding %q", w.Code, w.Header().Get("Content-Encoding"))
	}
	// The overview's budget is 1.5 MB in total; ECharts must travel
	// compressed.
	if w.Body.Len() > 500_000 {
		t.Errorf("compressed ECharts is %d bytes", w.Body.Len())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("decompressed asset differs (err %v)", err)
	}
	// Without gzip, the plain bytes; the map registers 聊城.
	w = get(t, h, "/static/liaocheng.js")
	if w.Header().Get("Content-Encoding") != "" || !strings.Contains(w.Body.String(), "registerMap('聊城'") {
		t.Error("map asset not served plain or does not register 聊城")
	}
	if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q", ct)
	}
}

// With users (internal/auth), the staff pages need a role that may read
// frames; the published air pages stay open; the demo's open mode lets
// anyone in.
func TestStaffAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, _ := fixture(t, b)
		a := auth.New(st, auth.Options{})
		closed, _ := newTestHandler(t, b, Config{Auth: a})
		open, _ := newTestHandler(t, b, Config{Auth: a, Open: true})
		for _, path := range []string{"/monitoring", "/monitoring/quarantine", "/rights", "/cases"} {
			if w := get(t, closed, path); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "无权访问") {
				t.Errorf("anonymous %s: status %d", path, w.Code)
			}
			if w := get(t, open, path); w.Code != 200 {
				t.Errorf("open mode %s: status %d", path, w.Code)
			}
		}
		for _, path := range []string{"/", "/air", "/water", "/reports/monthly", "/petition"} {
			if w := get(t, closed, path); w.Code != 200 {
				t.Errorf("anonymous %s: status %d, want the public page", path, w.Code)
			}
		}
	})
}

func TestLegendGolden(t *testing.T) {
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	body := get(t, h, "/").Body.String()
	m := regexp.MustCompile(`<ul class="legend">.*?</ul>`).FindString(body)
	if m == "" {
		t.Fatal("no legend")
	}
	golden.CheckString(t, "testdata/legend.golden", m+"\n")
	// The colours are the engine's (HJ 633).
	for _, aqi := range []int{25, 75, 125, 175, 250, 400} {
		if !strings.Contains(m, air.LevelOf(aqi).HexColour) {
			t.Errorf("legend lacks %s", air.LevelOf(aqi).HexColour)
		}
	}
}

func BenchmarkPages(b *testing.B) {
	h, s := newTestHandler(b, storetest.SQLite, Config{})
	for _, path := range []string{"/", "/air", "/air/stations/371501A", "/monitoring", "/monitoring/devices/" + s.Device.MN, "/reports/monthly?month=2025-05", "/water?period=2025-05",
		"/cases/" + s.OverdueCase, "/notices", "/petitions", "/water/trace?section=" + traceSection(b, s) + "&time=2025-05-10T10:00&factor=NH3-N"} {
		b.Run(strings.ReplaceAll(path, "/", "_"), func(b *testing.B) {
			for b.Loop() {
				if w := get(b, h, path); w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

// The overview's total transfer (HTML, styles, scripts, the map) stays
// under the 1.5 MB with gzip, as a browser fetches it.
func TestOverviewTransfer(t *testing.T) {
	h, _ := newTestHandler(t, storetest.SQLite, Config{})
	fetch := func(path string) int {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		return w.Body.Len()
	}
	total := fetch("/")
	body := get(t, h, "/").Body.String()
	refs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) < 5 {
		t.Fatalf("only %d assets referenced", len(refs))
	}
	for _, m := range refs {
		total += fetch(m[1])
	}
	t.Logf("overview transfer: %d bytes", total)
	if total > 1_500_000 {
		t.Errorf("overview transfer %d bytes, budget 1.5 MB", total)
	}
}

// analyserCell is the measuring-range cell the device page shows for an
// analyser, e.g. <td>0–500 mg/m³</td>.
func analyserCell(f model.DeviceFactor, lang string) string {
	u := strings.ReplaceAll(f.Unit, "m3", "m³")
	if f.Unit == "无量纲" {
		u = tr(lang, "unit.none")
	}
	return "<td>" + cases.Num(f.RangeMin) + "–" + cases.Num(*f.RangeMax) + " " + u + "</td>"
}
