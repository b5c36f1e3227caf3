package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The public tracking page is limited per address like the API's lookup:
// the 31st lookup in ten minutes from one address gets a 429 page in the
// page's language; another address still gets its answer.
func TestTrackingPageRateLimited(t *testing.T) {
	st, _ := caseStore(t, storetest.SQLite, 0)
	au := auth.New(st, auth.Options{Now: func() time.Time { return testNow }, Params: fastParams})
	h, err := New(Config{Now: func() time.Time { return testNow }, Auth: au}, st)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/petition/track?code=AAAA-BBBB-CCCC", nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for i := range 30 {
		if w := lookup("198.51.100.20:5000"); w.Code != http.StatusNotFound {
			t.Fatalf("lookup %d: %d", i+1, w.Code)
		}
	}
	w := lookup("198.51.100.20:5001")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "请求过于频繁") || w.Header().Get("Retry-After") == "" {
		t.Fatalf("31st lookup: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := lookup("198.51.100.21:5000"); w.Code != http.StatusNotFound {
		t.Fatalf("another address: %d", w.Code)
	}
}
