package dashboard

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// TestAirPageYearOnYearBases: March 2026 against March 2025 crosses the
// AQI rules' cutover (2026-03-01). County 371502's station holds PM2.5 70
// µg/m³ in March 2025 (a good day under HJ 633-2012, not under
// HJ 633-2026) and 20 in March 2026 (good under both): by date the
// good-day ratio does not change (100 → 100), on the same basis it rises
// 100 points (0 → 100); PM2.5 falls (20 − 70) / 70 = −71.4 % both ways.
// County 371581 has only March 2026: no change either way.
func TestAirPageYearOnYearBases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := storetest.Open(t, b)
		reg := &model.Registry{
			Counties: []model.County{{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"}, {Code: "371581", Name: "临清市", NameEN: "Linqing"}},
			Stations: []model.Station{
				{Code: "A", Name: "站A", County: "371502", Level: model.StationNational, Lat: 36.4, Lon: 115.9, CityEval: true, CountyEval: true},
				{Code: "C", Name: "站C", County: "371581", Level: model.StationProvincial, Lat: 36.8, Lon: 115.7, CountyEval: true},
			},
		}
		if err := st.ImportRegistry(ctx, reg); err != nil {
			t.Fatal(err)
		}
		hours := func(station string, start time.Time, c [6]float64) []model.AirHour {
			var out []model.AirHour
			for h := 1; h <= 31*24; h++ {
				hr := model.AirHour{Station: station, End: start.Add(time.Duration(h) * time.Hour)}
				for p, v := range c {
					hr.C[p] = int64(air.FromFloat(v))
				}
				out = append(out, hr)
			}
			return out
		}
		mar25, mar26 := time.Date(2025, 3, 1, 0, 0, 0, 0, air.CST), time.Date(2026, 3, 1, 0, 0, 0, 0, air.CST)
		for _, hs := range [][]model.AirHour{
			hours("A", mar25, [6]float64{5, 10, 0.5, 50, 40, 70}),
			hours("A", mar26, [6]float64{5, 10, 0.5, 50, 40, 20}),
			hours("C", mar26, [6]float64{5, 10, 0.5, 50, 40, 20}),
		} {
			if _, err := st.PutAirHours(ctx, hs, store.AirPut{Source: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		h, err := New(Config{Now: func() time.Time { return time.Date(2026, 4, 2, 10, 0, 0, 0, air.CST) }}, st)
		if err != nil {
			t.Fatal(err)
		}
		cell := func(body, county, col string) string {
			row := regexp.MustCompile(`(?s)<tr data-county="` + county + `">.*?</tr>`).FindString(body)
			m := regexp.MustCompile(`data-yoy="` + col + `">([^<]*)<`).FindStringSubmatch(row)
			if m == nil {
				t.Fatalf("no %s cell for %s in %q", col, county, row)
			}
			return html.UnescapeString(m[1])
		}
		for _, c := range []struct {
			lang  string
			heads []string
		}{
			{"zh", []string{"PM2.5同比(%)", "优良天数比例同比(百分点)", ">按日期<", ">同口径<", "上年同期每日按本期对应日施行的规则评价", "生态补偿按同口径计算"}},
			{"en", []string{"PM2.5 year on year (%)", "Good-day ratio year on year (points)", ">By date<", ">Same basis<", "rules of this period&#39;s corresponding day", "compensation uses the same basis"}},
		} {
			w := get(t, h, "/air?period=2026-03&lang="+c.lang)
			body := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("%s: %d %s", c.lang, w.Code, body)
			}
			for _, s := range c.heads {
				if !strings.Contains(body, s) {
					t.Errorf("%s: the page lacks %q", c.lang, s)
				}
			}
			for _, x := range []struct{ county, col, want string }{
				{"371502", "good-by-date", "0.0"},
				{"371502", "good-same", "+100.0"},
				{"371502", "pm25-by-date", "-71.4"},
				{"371502", "pm25-same", "-71.4"},
				{"371581", "good-by-date", "—"},
				{"371581", "good-same", "—"},
			} {
				if got := cell(body, x.county, x.col); got != x.want {
					t.Errorf("%s: %s %s = %q, want %q", c.lang, x.county, x.col, got, x.want)
				}
			}
		}
	})
}
