package waterreport

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
	"github.com/ecowatch/ecowatch/internal/water/waterreg"
)

// BenchmarkReportYear: the demo city's annual report from a year of
// hourly values at its 5 automatic stations (5 items, 219,000 values)
// and monthly laboratory results at its other sections and sources, on
// SQLite; the report also reads the previous year (empty here).
func BenchmarkReportYear(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b, storetest.SQLite)
	city := registry.DemoCity(1)
	w, devs := waterreg.Demo(city)
	city.Devices = append(city.Devices, devs...)
	if err := st.ImportRegistry(ctx, city); err != nil {
		b.Fatal(err)
	}
	if err := st.PutWaterRegistry(ctx, w); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, cst)
	var samples []model.WaterSample
	add := func(point string, t time.Time, item string, v float64) {
		samples = append(samples, model.WaterSample{Point: point, Time: t.UTC(), Item: item, Value: strconv.FormatFloat(v, 'f', 3, 64), Source: "bench"})
	}
	for i, s := range w.Sections {
		f := 1 + float64(i%5)*0.15
		if s.Automatic {
			for h := range 8760 {
				t := start.Add(time.Duration(h) * time.Hour)
				x := float64(h%24) / 24
				add(s.Code, t, "pH", 7.6+0.2*x)
				add(s.Code, t, "DO", 6.5-x)
				add(s.Code, t, "CODMn", 4.1*f+x)
				add(s.Code, t, "NH3-N", 0.6*f+0.2*x)
				add(s.Code, t, "TP", 0.12*f+0.02*x)
			}
			continue
		}
		for m := range 12 {
			t := start.AddDate(0, m, 9)
			for _, it := range []string{"pH", "DO", "CODMn", "COD", "BOD5", "NH3-N", "TP", "Cu", "Zn", "F", "As", "Hg", "Cd", "Cr6+", "Pb", "CN", "VP", "Oil", "LAS", "S2-", "Se"} {
				add(s.Code, t, it, 0.01*f+float64(m)*0.001)
			}
		}
	}
	if _, err := st.PutWaterSamples(ctx, samples, store.WaterPut{}); err != nil {
		b.Fatal(err)
	}
	p, _ := chinatime.ParsePeriod("2026")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Build(ctx, st, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(samples)), "samples")
}
