package auth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// HSTS is the Strict-Transport-Security value sent over HTTPS: browsers
// then use HTTPS only for this host for a year, so a cookie is never
// offered over plain HTTP after the first visit.
const HSTS = "max-age=31536000"

// ParseProxies reads --trusted-proxies: comma-separated CIDRs or single
// addresses of the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto headers are believed. An empty string trusts none.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Transport is the HTTP front of every role: it decides each request's
// client address and whether it came over HTTPS, before anything else
// reads them.
//
//   - The client address is the TCP peer, unless the peer is one of
//     Proxies: then X-Forwarded-For is read from the right, skipping the
//     trusted proxies' own entries, and the first other address is the
//     client. From any other peer the forwarded headers are removed, so a
//     forged X-Forwarded-For is never seen. The address is written to
//     r.RemoteAddr, which ClientIP, the rate limits, the audit log and the
//     access log read.
//   - A request is HTTPS if it came over TLS, or from a trusted proxy with
//     X-Forwarded-Proto: https. HTTPS answers carry HSTS, and the session
//     cookies are then Secure (SetSessionCookies asks IsHTTPS).
type Transport struct {
	Proxies []netip.Prefix
}

type httpsKey struct{}

// IsHTTPS reports whether r came over HTTPS (directly or, per Transport,
// through a trusted proxy).
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}

func (t Transport) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.Proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the client address of r and whether r is HTTPS, by the
// rules above.
func (t Transport) Client(r *http.Request) (string, bool) {
	https := r.TLS != nil
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !t.trusted(peer) {
		return host, https
	}
	client := peer.Unmap()
	hops := r.Header.Values("X-Forwarded-For")
	var all []string
	for _, h := range hops {
		all = append(all, strings.Split(h, ",")...)
	}
	for i := len(all) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(all[i]))
		if err != nil {
			break // a malformed hop: stop at the last address we could read
		}
		client = a.Unmap()
		if !t.trusted(client) {
			break
		}
	}
	if p := r.Header.Get("X-Forwarded-Proto"); strings.EqualFold(strings.TrimSpace(p), "https") {
		https = true
	}
	return client.String(), https
}

// Wrap applies the rules to every request before next sees it.
func (t Transport) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, https := t.Client(r)
		r2 := r.Clone(r.Context())
		r2.Header.Del("X-Forwarded-For")
		r2.Header.Del("X-Forwarded-Proto")
		r2.Header.Del("Forwarded")
		_, port, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			port = "0"
		}
		r2.RemoteAddr = net.JoinHostPort(client, port)
		if https {
			w.Header().Set("Strict-Transport-Security", HSTS)
			r2 = r2.WithContext(context.WithValue(r2.Context(), httpsKey{}, true))
		}
		next.ServeHTTP(w, r2)
	})
}
