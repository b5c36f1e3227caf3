package simulator

import (
	"errors"
	"flag"
	"github.com/ecowatch/ecowatch/internal/usage"
	"io"
	"testing"
)

// TestFlagsUsageErrors: a bad flag value is the command line's fault (a
// usage.Error, exit status 2); a registry file that cannot be read is not.
func TestFlagsUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args  []string
		usage bool
	}{
		{nil, true}, // no device source
		{[]string{"--devices", "2", "--demo-seed", "1"}, true},
		{[]string{"--devices", "0"}, true},
		{[]string{"--devices", "2", "--quirks", "bogus"}, true},
		{[]string{"--devices", "2", "--protocol", "2019"}, true},
		{[]string{"--devices", "2", "--exceed", "2"}, true},
		{[]string{"--devices", "2", "--uploads", "weekly"}, true},
		{[]string{"--devices", "2", "--start", "yesterday"}, true},
		{[]string{"--devices", "2", "--speed", "0"}, true},
		{[]string{"--registry", "testdata/no-such-registry.yaml"}, false},
	} {
		var f Flags
		fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.Register(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		_, err := f.Config(set)
		var ue usage.Error
		if err == nil || errors.As(err, &ue) != c.usage {
			t.Errorf("%q: %v, want an error, usage %v", c.args, err, c.usage)
		}
	}
	var f Flags
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--devices", "3", "--protocol", "2005", "--start", "2026-01-02T03:04:05+08:00"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config(map[string]bool{"devices": true, "protocol": true, "start": true})
	if err != nil || len(cfg.Devices) != 3 {
		t.Fatalf("Config: %d devices, %v", len(cfg.Devices), err)
	}
	if cfg.Devices[0].Protocol != "2005" || cfg.Start.Unix() != 1767294245 {
		t.Errorf("Config: protocol %q, start %v", cfg.Devices[0].Protocol, cfg.Start)
	}
}

func TestSimulateDemoBehaviours(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--demo-seed", "1", "--exceed", "0.5", "--offline", "0.25", "--quirks", "lf-only", "--quirk-share", "0.5"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config(map[string]bool{"demo-seed": true})
	if err != nil {
		t.Fatal(err)
	}
	n := len(cfg.Devices)
	if n < 100 {
		t.Fatalf("demo city has %d devices", n)
	}
	var exceed, offline, quirky int
	for _, d := range cfg.Devices {
		if d.Behaviour.ExceedEvery > 0 {
			exceed++
		}
		if d.Behaviour.OfflineEvery > 0 {
			offline++
		}
		if d.Behaviour.Quirks == QuirkLFOnly {
			quirky++
		}
	}
	// Shares are drawn per device: allow generous slack.
	for name, c := range map[string][2]int{"exceed": {exceed, n / 2}, "offline": {offline, n / 4}, "quirks": {quirky, n / 2}} {
		if c[0] < c[1]*2/3 || c[0] > c[1]*4/3 {
			t.Errorf("%s: %d of %d devices, want about %d", name, c[0], n, c[1])
		}
	}
}
