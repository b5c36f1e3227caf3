package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/xuri/excelize/v2"
)

// The monthly report's third part is the month's effective transmission
// rates: the city's with its arithmetic, the counties ranked, the lowest
// outlets; its workbook has the same rows as a sheet with due, received
// and valid. Both languages.
func TestMonthlyReportRates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		month := time.Date(testNow.Year(), testNow.Month(), 1, 0, 0, 0, 0, cst)
		ms := &marksvc.Service{St: ratesStore(t, b, month), Now: func() time.Time { return testNow }}
		h, _ := newTestHandler(t, b, Config{Marks: ms})
		rep, err := ms.Rates(ctx, month, month.AddDate(0, 1, 0), auth.Principal{User: "t", Role: model.RoleCity})
		if err != nil {
			t.Fatal(err)
		}
		c := rep.City.Count
		m := month.Format("2006-01")
		for _, tc := range []struct {
			lang         string
			want         []string
			sheet, level string
		}{
			{"", []string{"三、污染源自动监控数据传输有效率", c.Arithmetic("zh"), "阳谷县", "乙水泥 窑尾排口", "50.00%"}, "传输有效率", "全市"},
			{"&lang=en", []string{"3. Effective transmission rates", c.Arithmetic("en"), "Outlets with the lowest rates"}, "transmission rates", "city"},
		} {
			page := get(t, h, "/reports/monthly?month="+m+tc.lang).Body.String()
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("report%s lacks %q", tc.lang, w)
				}
			}
			f, err := excelize.OpenReader(bytes.NewReader(get(t, h, "/reports/monthly.xlsx?month="+m+tc.lang).Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := f.GetRows(tc.sheet)
			f.Close()
			if err != nil {
				t.Fatalf("sheet %q: %v", tc.sheet, err)
			}
			// Header, city, two counties, three outlets.
			if len(rows) != 7 || rows[1][0] != tc.level {
				t.Fatalf("sheet %q rows %q", tc.sheet, rows)
			}
			if got, want := rows[1][2:5], []string{fmt.Sprint(c.Due), fmt.Sprint(c.Received), fmt.Sprint(c.Valid)}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("city due/received/valid %v, want %v", got, want)
			}
			if rows[4][1] != "乙水泥 窑尾排口" || rows[4][7] != "0.5" { // lowest first
				t.Errorf("lowest outlet row %q", rows[4])
			}
		}
	})
}
