package main

import (
	"fmt"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/auth"
)

// httpSecFlags are the HTTP transport flags every role with an HTTP
// listener has: TLS and the trusted reverse proxies.
type httpSecFlags struct {
	cert, key, proxies string
}

func (f *httpSecFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&f.cert, "tls-cert", envOr("ECOWATCH_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain after the leaf); needs --tls-key ($ECOWATCH_TLS_CERT)")
	fs.StringVar(&f.key, "tls-key", envOr("ECOWATCH_TLS_KEY", ""), "the PEM private key of --tls-cert ($ECOWATCH_TLS_KEY)")
	fs.StringVar(&f.proxies, "trusted-proxies", envOr("ECOWATCH_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (empty: none; the TCP peer is the client) ($ECOWATCH_TRUSTED_PROXIES)")
}

func (f *httpSecFlags) config() (app.HTTPSecurity, error) {
	if (f.cert == "") != (f.key == "") {
		return app.HTTPSecurity{}, usageError{fmt.Errorf("-tls-cert and -tls-key go together")}
	}
	ps, err := auth.ParseProxies(f.proxies)
	if err != nil {
		return app.HTTPSecurity{}, usageError{fmt.Errorf("-trusted-proxies: %w", err)}
	}
	return app.HTTPSecurity{CertFile: f.cert, KeyFile: f.key, TrustedProxies: ps}, nil
}
