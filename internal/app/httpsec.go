package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"

	"github.com/ecowatch/ecowatch/internal/auth"
)

// HTTPSecurity is the transport of an HTTP listener, the same for every
// role (serve, web, demo, and the gateway's and writer's ops endpoints):
// TLS from a certificate and key file, and which reverse proxies'
// forwarded headers are believed (auth.Transport).
type HTTPSecurity struct {
	// CertFile and KeyFile (PEM) turn TLS on; both or neither. The
	// certificate file may hold the chain after the leaf.
	CertFile, KeyFile string
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; empty believes nobody's.
	TrustedProxies []netip.Prefix
}

// TLS reports whether the listener serves HTTPS.
func (h HTTPSecurity) TLS() bool { return h.CertFile != "" }

// Scheme is "https" or "http".
func (h HTTPSecurity) Scheme() string {
	if h.TLS() {
		return "https"
	}
	return "http"
}

func (h HTTPSecurity) tlsConfig() (*tls.Config, error) {
	switch {
	case h.CertFile == "" && h.KeyFile == "":
		return nil, nil
	case h.CertFile == "" || h.KeyFile == "":
		return nil, errors.New("TLS needs both --tls-cert and --tls-key")
	}
	cert, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s / key %s: %w", h.CertFile, h.KeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// listen opens addr, with TLS when configured.
func (h HTTPSecurity) listen(addr string) (net.Listener, error) {
	tc, err := h.tlsConfig()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		// HTTP/2 over TLS as net/http would offer it by itself.
		tc.NextProtos = []string{"h2", "http/1.1"}
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}

// wrap puts the transport rules (client address, HTTPS, HSTS) in front
// of a handler.
func (h HTTPSecurity) wrap(next http.Handler) http.Handler {
	return auth.Transport{Proxies: h.TrustedProxies}.Wrap(next)
}
