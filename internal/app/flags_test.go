package app

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/gateway"
)

// TestDeviceFlags: serve's device abuse limits reach the gateway's
// configuration, unset ones keep the gateway's defaults, and a value the
// gateway would silently replace by its default is a usage error naming
// the flag.
func TestDeviceFlags(t *testing.T) {
	serve := func(args ...string) (gateway.Config, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f ServeFlags
		f.Register(fs, ":9212", ":8080")
		if err := fs.Parse(args); err != nil {
			t.Fatalf("parse %q: %v", args, err)
		}
		cfg, err := f.Config(io.Discard, "test")
		return cfg.Gateway, err
	}
	d := gateway.DefaultConfig()
	got, err := serve()
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxConns != d.MaxConns || got.MaxConnsPerIP != d.MaxConnsPerIP || got.MaxSegment != d.MaxSegment || got.FrameTimeout != d.FrameTimeout ||
		got.AuthDelay != d.AuthDelay || got.AuthDelayMax != d.AuthDelayMax || got.AuthLockoutAfter != d.AuthLockoutAfter ||
		got.AuthLockout != d.AuthLockout || got.AuthLockoutMax != d.AuthLockoutMax || got.AuthForget != d.AuthForget ||
		got.AuthDeviceDelayMax != d.AuthDeviceDelayMax || got.ArchivePerSource != d.ArchivePerSource || got.ArchiveDaily != d.ArchiveDaily {
		t.Errorf("no flags: %+v, want the defaults %+v", got, d)
	}

	got, err = serve("--max-conns", "5000", "--max-conns-per-ip", "20", "--max-segment", "4096", "--frame-timeout", "7s",
		"--auth-delay", "2s", "--auth-delay-max", "30s", "--auth-lockout-after", "4", "--auth-lockout", "10m",
		"--auth-lockout-max", "2h", "--auth-forget", "3h", "--auth-device-delay-max", "20m",
		"--archive-per-source", "1000", "--archive-daily", "2000000")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"MaxConns", got.MaxConns, 5000}, {"MaxConnsPerIP", got.MaxConnsPerIP, 20}, {"MaxSegment", got.MaxSegment, 4096},
		{"FrameTimeout", got.FrameTimeout, 7 * time.Second}, {"AuthDelay", got.AuthDelay, 2 * time.Second},
		{"AuthDelayMax", got.AuthDelayMax, 30 * time.Second}, {"AuthLockoutAfter", got.AuthLockoutAfter, 4},
		{"AuthLockout", got.AuthLockout, 10 * time.Minute}, {"AuthLockoutMax", got.AuthLockoutMax, 2 * time.Hour},
		{"AuthForget", got.AuthForget, 3 * time.Hour}, {"AuthDeviceDelayMax", got.AuthDeviceDelayMax, 20 * time.Minute},
		{"ArchivePerSource", got.ArchivePerSource, int64(1000)}, {"ArchiveDaily", got.ArchiveDaily, int64(2000000)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	for _, tc := range []struct {
		args []string
		flag string // named in the error
	}{
		{[]string{"--auth-lockout-after", "0"}, "-auth-lockout-after"},
		{[]string{"--max-conns-per-ip", "-1"}, "-max-conns-per-ip"},
		{[]string{"--max-conns", "10", "--max-conns-per-ip", "20"}, "-max-conns-per-ip"},
		{[]string{"--max-segment", "10000"}, "-max-segment"},
		{[]string{"--frame-timeout", "-1s"}, "-frame-timeout"},
		{[]string{"--auth-lockout", "0s"}, "-auth-lockout"},
		{[]string{"--auth-delay", "2m"}, "-auth-delay-max"}, // above the 1 min default cap
		{[]string{"--auth-lockout-max", "30m"}, "-auth-lockout-max"},
		{[]string{"--auth-forget", "0s"}, "-auth-forget"},
		{[]string{"--auth-device-delay-max", "-1h"}, "-auth-device-delay-max"},
		{[]string{"--archive-daily", "0"}, "-archive-daily"},
	} {
		_, err := serve(tc.args...)
		var u interface{ IsUsage() bool }
		if err == nil || !errors.As(err, &u) || !strings.Contains(err.Error(), tc.flag+":") {
			t.Errorf("%q: err = %v, want a usage error naming %s", tc.args, err, tc.flag)
		}
	}
}
