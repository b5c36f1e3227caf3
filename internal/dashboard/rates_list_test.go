package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// manyRatesStore is a registry of n enterprises (one outlet, one device
// each) over two counties — even ones in 东昌府区, odd ones in 阳谷县 —
// whose devices sent every hour of the day before testNow.
func manyRatesStore(t *testing.T, b storetest.Backend, n int) store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, b)
	reg := &model.Registry{Counties: []model.County{{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"}, {Code: "371521", Name: "阳谷县", NameEN: "Yanggu"}}}
	for i := range n {
		county := "371502"
		if i%2 == 1 {
			county = "371521"
		}
		uscc, o, mn := ratesUSCC(i), fmt.Sprintf("O%02d", i), fmt.Sprintf("M%02d", i)
		reg.Enterprises = append(reg.Enterprises, model.Enterprise{USCC: uscc, Name: fmt.Sprintf("聊城企业%02d有限公司", i), County: county, Industry: "power"})
		reg.Outlets = append(reg.Outlets, model.Outlet{ID: o, Enterprise: uscc, Name: "1号排口", Kind: model.OutletAir})
		reg.Devices = append(reg.Devices, model.Device{MN: mn, Password: "p", Protocol: "2017", Outlet: o})
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	day := time.Date(testNow.Year(), testNow.Month(), testNow.Day()-1, 0, 0, 0, 0, cst)
	var batch store.Batch
	for h := range 24 {
		for i := range n {
			if h < i%12 { // rates spread from 100 % down to 54 %
				continue
			}
			batch.Uploads = append(batch.Uploads, model.Upload{MN: fmt.Sprintf("M%02d", i), CN: "2061", DataTime: day.Add(time.Duration(h) * time.Hour).UTC(),
				Values: []model.Value{{Factor: "a34013", Field: "Avg", Value: "5"}, {Factor: "a34013", Field: "Flag", Value: "N"}}})
		}
	}
	if err := st.CommitBatch(ctx, &batch); err != nil {
		t.Fatal(err)
	}
	return st
}

// ratesUSCC is enterprise i's unified social credit code (18 characters,
// letters in it, as real ones have).
func ratesUSCC(i int) string { return fmt.Sprintf("91371500MA%07dX", i) }

// enterpriseRows is the names in the enterprises table of /rates.
func enterpriseRows(t *testing.T, body string) []string {
	t.Helper()
	_, tbl, ok := strings.Cut(body, `<table id="rates-enterprises">`)
	if !ok {
		return nil
	}
	tbl, _, _ = strings.Cut(tbl, "</table>")
	_, tbl, _ = strings.Cut(tbl, "<tbody>")
	var names []string
	for _, tr := range strings.Split(tbl, "<tr")[1:] {
		cells := strings.Split(tr, "<td>")
		if len(cells) < 3 {
			t.Fatalf("row %q", tr)
		}
		names = append(names, html.UnescapeString(strings.TrimSuffix(cells[2], "</td>")))
	}
	return names
}

// TestRatesSearchAndPaging: /rates lists the enterprises 20 to a page
// with the case list's pager, narrowed by name, by credit code (in
// either case) and by county; the filter and the period survive paging;
// a search that finds nothing says so and what to try, in both languages.
func TestRatesSearchAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ms := &marksvc.Service{St: manyRatesStore(t, b, 45), Now: func() time.Time { return testNow }}
		h, _ := newTestHandler(t, b, Config{Marks: ms})
		yesterday := testNow.AddDate(0, 0, -1).Format("2006-01-02")
		for _, tc := range []struct {
			q                 string
			rows              int
			first             string // first row's name ("" : not checked)
			prev, next, found string // "" : must be absent
		}{
			{"", 20, "聊城企业00有限公司", "", "/rates?page=2", "共 45 家企业，第 1–20 家"},
			{"page=3", 5, "", "/rates?page=2", "", "共 45 家企业，第 41–45 家"},
			{"page=9", 0, "", "/rates?page=8", "", ""}, // past the end: empty, a way back
			{"q=企业07", 1, "聊城企业07有限公司", "", "", "共 1 家企业，第 1–1 家"},
			{"q=" + strings.ToLower(ratesUSCC(31)), 1, "聊城企业31有限公司", "", "", "共 1 家企业"},
			{"q=MA000000", 10, "", "", "", "共 10 家企业"}, // codes 0–9
			{"county=371521", 20, "", "", "/rates?county=371521&page=2", "共 22 家企业"},
			{"county=371521&page=2", 2, "", "/rates?county=371521", "", "共 22 家企业，第 21–22 家"},
			{"county=371502&q=企业07", 0, "", "", "", ""},
			{"day=" + yesterday + "&county=371502", 20, "", "", "/rates?county=371502&day=" + yesterday + "&page=2", "共 23 家企业"},
			{"lang=en&county=371502&page=2", 3, "", "/rates?county=371502", "", "23 enterprises, 21–23 shown"},
		} {
			w := get(t, h, "/rates?"+tc.q)
			if w.Code != http.StatusOK {
				t.Fatalf("/rates?%s: %d", tc.q, w.Code)
			}
			body := w.Body.String()
			rows := enterpriseRows(t, body)
			if len(rows) != tc.rows {
				t.Errorf("/rates?%s: %d enterprises, want %d", tc.q, len(rows), tc.rows)
			}
			if tc.first != "" && (len(rows) == 0 || rows[0] != tc.first) {
				t.Errorf("/rates?%s: first row %q, want %q", tc.q, rows, tc.first)
			}
			for _, l := range []struct{ id, want string }{{"prev-page", tc.prev}, {"next-page", tc.next}} {
				link := `href="` + html.EscapeString(l.want) + `" id="` + l.id + `"`
				switch has := strings.Contains(body, `id="`+l.id+`"`); {
				case l.want == "" && has:
					t.Errorf("/rates?%s: has %s", tc.q, l.id)
				case l.want != "" && !strings.Contains(body, link):
					t.Errorf("/rates?%s: lacks %s", tc.q, link)
				}
			}
			if tc.found != "" && !strings.Contains(body, tc.found) {
				t.Errorf("/rates?%s: lacks %q", tc.q, tc.found)
			}
			if tc.rows == 0 && !strings.Contains(body, `id="rates-none"`) {
				t.Errorf("/rates?%s: no rows and no word on what to do", tc.q)
			}
		}
		// A day nothing was due says so and what to do, not 0/0 = 100 %.
		for _, tc := range []struct{ q, want string }{
			{"day=2020-01-01", "该时段无应传输数据"},
			{"day=2020-01-01&lang=en", "Nothing was due in this period"},
		} {
			body := get(t, h, "/rates?"+tc.q).Body.String()
			if !strings.Contains(body, `id="rates-empty"`) || !strings.Contains(body, tc.want) || strings.Contains(body, "100.00%") || strings.Contains(body, `id="rates-enterprises"`) {
				t.Errorf("/rates?%s: no empty state", tc.q)
			}
		}
		// The county filter offers the counties ranked, in the page's
		// language; the empty result speaks it too.
		en := get(t, h, "/rates?lang=en&q=nothing-like-this").Body.String()
		for _, w := range []string{`<option value="371521" >Yanggu</option>`, "No enterprise matches. Try another name, credit code or county."} {
			if !strings.Contains(en, w) {
				t.Errorf("English /rates lacks %q", w)
			}
		}
		zh := get(t, h, "/rates?q=没有这家").Body.String()
		for _, w := range []string{`<option value="371521" >阳谷县</option>`, "没有符合条件的企业。请换一个名称、信用代码或区县再查。"} {
			if !strings.Contains(zh, w) {
				t.Errorf("Chinese /rates lacks %q", w)
			}
		}
	})
}
