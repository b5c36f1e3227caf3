package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// benchStore is a month of 10-minute data (MinInterval=10, common in the
// field) of one flue-gas device with 8 factors of 5 fields each, and a
// registry of 500 devices.
func benchStore() (*fakeStore, int) {
	st := newFixtureStore()
	factors := []string{"a21026", "a21002", "a34013", "a19001", "a01011", "a01012", "a01013", "a01014"}
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, chinaTime)
	n := 31 * 24 * 6
	st.uploads = st.uploads[:0]
	for i := range n {
		u := model.Upload{MN: mnPlant, CN: "2051", DataTime: start.Add(time.Duration(i) * 10 * time.Minute).UTC()}
		for j, f := range factors {
			v := strconv.FormatFloat(float64(20+j+i%17)+0.25, 'f', 2, 64)
			u.Values = append(u.Values,
				model.Value{Factor: f, Field: "Min", Value: v}, model.Value{Factor: f, Field: "Avg", Value: v},
				model.Value{Factor: f, Field: "Max", Value: v}, model.Value{Factor: f, Field: "ZsAvg", Value: v},
				model.Value{Factor: f, Field: "Flag", Value: "N"})
		}
		st.uploads = append(st.uploads, u)
	}
	for i := range 500 {
		st.reg.Devices = append(st.reg.Devices, model.Device{MN: fmt.Sprintf("BENCH%09d", i), Outlet: outPlant, Protocol: "2017"})
		st.contacts = append(st.contacts, model.Contact{MN: fmt.Sprintf("BENCH%09d", i), At: testNow.Add(-time.Duration(i) * time.Minute)})
	}
	return st, n * len(factors)
}

func benchServe(b *testing.B, h http.Handler, target string, points int) {
	b.Helper()
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		rec := &discardWriter{h: http.Header{}}
		h.ServeHTTP(rec, req)
		if rec.status != 0 && rec.status != 200 {
			b.Fatalf("status %d", rec.status)
		}
		bytes = rec.n
	}
	b.SetBytes(bytes)
	if points > 0 {
		b.ReportMetric(float64(points)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	}
}

// discardWriter is a ResponseWriter that counts and drops the body, so the
// benchmark measures the API, not a growing buffer.
type discardWriter struct {
	h      http.Header
	status int
	n      int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}

func BenchmarkMeasurementsMonthJSON(b *testing.B) {
	st, points := benchStore()
	h := testHandler(st)
	benchServe(b, h, "/api/v1/measurements?mn="+mnPlant+"&period=min&from=2026-02-01&to=2026-03-03", points)
}

func BenchmarkMeasurementsMonthCSV(b *testing.B) {
	st, points := benchStore()
	h := testHandler(st)
	benchServe(b, h, "/api/v1/measurements?mn="+mnPlant+"&period=min&from=2026-02-01&to=2026-03-03&format=csv", points)
}

func BenchmarkDevices500(b *testing.B) {
	st, _ := benchStore()
	h := testHandler(st)
	benchServe(b, h, "/api/v1/devices", 0)
}
