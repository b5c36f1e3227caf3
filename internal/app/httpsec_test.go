package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ecowatch test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startWeb starts a web role on SQLite with one city user "ops".
func startWeb(t *testing.T, sec HTTPSecurity) (*App, store.Store) {
	t.Helper()
	ctx := context.Background()
	a, err := Start(ctx, Config{DSN: storetest.DSN(t, storetest.SQLite), DataDir: t.TempDir(), DisableGateway: true, DisableAlerts: true,
		HTTPAddr: "127.0.0.1:0", HTTP: sec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	h, _ := auth.HashPassword("ops-password-1", auth.Params{Memory: 64, Time: 1, Threads: 1})
	if err := a.Store.PutUser(ctx, model.User{ID: "ops", Role: model.RoleCity, PasswordHash: h, CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	return a, a.Store
}

func postLogin(t *testing.T, c *http.Client, url, user, pw string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"user":%q,"password":%q}`, user, pw)))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// With --tls-cert/--tls-key the HTTP role serves HTTPS only: the session
// cookies are Secure, every answer carries HSTS, plain HTTP gets no page.
func TestHTTPSWithSelfSignedCertificate(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	a, _ := startWeb(t, HTTPSecurity{CertFile: certFile, KeyFile: keyFile})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + a.HTTPAddr()
	resp := postLogin(t, c, base, "ops", "ops-password-1", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("login over HTTPS: %d", resp.StatusCode)
	}
	if resp.TLS == nil {
		t.Fatal("no TLS")
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != auth.HSTS {
		t.Errorf("HSTS %q, want %q", got, auth.HSTS)
	}
	n := 0
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.SessionCookie || ck.Name == auth.CSRFCookie {
			n++
			if !ck.Secure {
				t.Errorf("cookie %s not Secure over HTTPS", ck.Name)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d session cookies", n)
	}
	for _, p := range []string{"/", "/healthz", "/api/v1/health"} {
		r, err := c.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: no HSTS", p)
		}
	}
	if r, err := http.Get("http://" + a.HTTPAddr() + "/api/v1/health"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
	// A key that does not exist is a clear start error.
	_, err := Start(context.Background(), Config{DSN: storetest.DSN(t, storetest.SQLite), DataDir: t.TempDir(), DisableGateway: true, DisableAlerts: true,
		HTTPAddr: "127.0.0.1:0", HTTP: HTTPSecurity{CertFile: certFile, KeyFile: keyFile + ".missing"}})
	if err == nil || !strings.Contains(err.Error(), "key.pem.missing") {
		t.Errorf("missing key: %v", err)
	}
}

// Behind a trusted reverse proxy the forwarded client address is the one
// that the rate limits and the audit log use, and X-Forwarded-Proto https
// makes the cookies Secure and sends HSTS; from an untrusted peer the
// same headers are ignored: rotating a forged X-Forwarded-For does not
// escape the per-address login limit.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	ctx := context.Background()
	t.Run("untrusted peer", func(t *testing.T) {
		a, st := startWeb(t, HTTPSecurity{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		base := "http://" + a.HTTPAddr()
		for i := range 20 {
			resp := postLogin(t, http.DefaultClient, base, fmt.Sprintf("guess%d", i), "wrong-password",
				map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i+1), "X-Forwarded-Proto": "https"})
			if resp.StatusCode != 401 {
				t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
			}
			if resp.Header.Get("Strict-Transport-Security") != "" {
				t.Fatal("HSTS on plain HTTP from an untrusted peer")
			}
		}
		resp := postLogin(t, http.DefaultClient, base, "ops", "ops-password-1", map[string]string{"X-Forwarded-For": "198.51.100.99"})
		if resp.StatusCode != 429 {
			t.Fatalf("21st login from one peer with a new forged address: %d, want 429", resp.StatusCode)
		}
		as, err := st.Audit(ctx, "user/guess0", 5)
		if err != nil || len(as) != 1 || as[0].Remote != "127.0.0.1" {
			t.Fatalf("audit of a forged-address attempt: %+v %v", as, err)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		a, st := startWeb(t, HTTPSecurity{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		base := "http://" + a.HTTPAddr()
		resp := postLogin(t, http.DefaultClient, base, "nobody", "wrong-password",
			map[string]string{"X-Forwarded-For": "192.0.2.50, 203.0.113.7"})
		if resp.StatusCode != 401 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		as, err := st.Audit(ctx, "user/nobody", 5)
		if err != nil || len(as) != 1 || as[0].Remote != "203.0.113.7" {
			t.Fatalf("audit through the proxy: %+v %v (want the address the proxy saw, 203.0.113.7)", as, err)
		}
		resp = postLogin(t, http.DefaultClient, base, "ops", "ops-password-1",
			map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != auth.HSTS {
			t.Fatalf("login through an HTTPS proxy: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == auth.SessionCookie && !ck.Secure {
				t.Error("session cookie not Secure behind an HTTPS proxy")
			}
		}
	})
}
