package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/app"
)

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]\n\nRuns the HJ 212 device gateway and the HTTP API until interrupted (SIGINT/SIGTERM),\nthen drains: pending frames are committed and acknowledged before exit.", stderr)
	var f app.ServeFlags
	f.Register(fs, ":9212", ":8080")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := f.Config(stderr, version)
	if err != nil {
		return err
	}
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch serving: devices on %s", a.GatewayAddr())
	if h := a.HTTPAddr(); h != "" {
		fmt.Fprintf(stdout, ", HTTP on %s://%s/", cfg.HTTP.Scheme(), h)
	}
	fmt.Fprintln(stdout)
	return app.UntilDone(ctx, a.Shutdown)
}
