package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTransportClientAddress(t *testing.T) {
	ps, err := ParseProxies("10.0.0.0/8, 192.0.2.1, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	tr := Transport{Proxies: ps}
	for _, tc := range []struct {
		peer, xff, proto string
		want             string
		https            bool
	}{
		{"203.0.113.5:1000", "1.2.3.4", "https", "203.0.113.5", false},        // untrusted peer: headers ignored
		{"10.1.2.3:1000", "1.2.3.4", "https", "1.2.3.4", true},                // trusted proxy
		{"10.1.2.3:1000", "6.6.6.6, 1.2.3.4, 10.9.9.9", "", "1.2.3.4", false}, // forged left entries, a second proxy on the right
		{"192.0.2.1:1000", "", "", "192.0.2.1", false},                        // a proxy without the header is the client
		{"10.1.2.3:1000", "junk, 1.2.3.4", "", "1.2.3.4", false},              // a malformed hop beyond the client is never reached
		{"10.1.2.3:1000", "1.2.3.4, junk", "", "10.1.2.3", false},             // a malformed hop stops the walk at the proxy
		{"[2001:db8::1]:1000", "2001:db9::7", "HTTPS", "2001:db9::7", true},   // IPv6 proxy
		{"[::ffff:10.0.0.1]:1000", "198.51.100.1", "", "198.51.100.1", false}, // a v4-mapped peer
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		got, https := tr.Client(r)
		if got != tc.want || https != tc.https {
			t.Errorf("peer %s XFF %q: %s https=%v, want %s %v", tc.peer, tc.xff, got, https, tc.want, tc.https)
		}
		// Wrap hands the handler the decided address and no forwarded
		// headers, and sends HSTS over HTTPS only.
		var seen *http.Request
		rec := httptest.NewRecorder()
		tr.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r })).ServeHTTP(rec, r)
		if ClientIP(seen) != tc.want || seen.Header.Get("X-Forwarded-For") != "" || IsHTTPS(seen) != tc.https ||
			(rec.Header().Get("Strict-Transport-Security") != "") != tc.https {
			t.Errorf("peer %s XFF %q: handler saw %s, XFF %q, https %v, HSTS %q", tc.peer, tc.xff, ClientIP(seen),
				seen.Header.Get("X-Forwarded-For"), IsHTTPS(seen), rec.Header().Get("Strict-Transport-Security"))
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}
