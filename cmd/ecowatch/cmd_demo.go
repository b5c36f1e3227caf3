package main

import (
	"context"
	"io"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/demo"
)

func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [flags]  (a whole demo city: data directory, registry, gateway, HTTP API and simulated devices;\nre-running reuses the data directory; stop with Ctrl-C)", stderr)
	var f app.ServeFlags
	f.Register(fs, "127.0.0.1:9212", "127.0.0.1:8080")
	var o demo.Options
	fs.Int64Var(&o.Seed, "seed", 1, "demo city seed (same seed, same city and data)")
	fs.Float64Var(&o.Speed, "speed", 1, "simulated seconds per real second (1: real time)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	fs.BoolVar(&o.NoSimulator, "no-simulator", false, "start the city without simulated devices")
	fs.Lookup("data-dir").DefValue = "ecowatch-demo"
	// All simulated devices connect from the loopback address.
	for name, v := range map[string]string{"data-dir": "ecowatch-demo", "log-level": "warn", "max-conns-per-ip": "100000"} {
		if err := fs.Set(name, v); err != nil {
			return err
		}
	}
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := f.Config(stderr, version)
	if err != nil {
		return err
	}
	cfg.Web.Open = true // the demo is open; log in as a demo user to see a role's view
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	return demo.Run(ctx, cfg, o, stdout, stderr)
}
