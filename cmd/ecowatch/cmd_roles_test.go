package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDeviceLimitFlags: serve, demo and the gateway role take the device
// abuse limits, and a wrong one stops them before anything starts, as a
// usage error (exit 2) that names the flag.
func TestDeviceLimitFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--data-dir", t.TempDir(), "--auth-lockout-after", "0"},
		{"demo", "--data-dir", t.TempDir(), "--auth-lockout-after", "0"},
		{"gateway", "--db", "postgres://127.0.0.1:1/none", "--auth-lockout-after", "0"},
		{"gateway", "--db", "postgres://127.0.0.1:1/none", "--max-segment", "10000"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, nil, &out, &errb)
		flag := args[len(args)-2][1:]
		if code != 2 || !strings.Contains(errb.String(), "ecowatch "+args[0]+": "+flag+":") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the flag named", args, code, errb.String())
		}
	}
}
