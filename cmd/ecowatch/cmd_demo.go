package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/demo"
	"github.com/ecowatch/ecowatch/internal/simulator"
)

// runDemo runs the whole demo city in one process: a data directory with
// SQLite, the demo registry (11 county-level units of 聊城, about 300
// enterprises, 500 outlets and devices), the gateway, the HTTP API and the
// simulated devices, some of which exceed limits, go offline, send
// malformed frames, use a wrong password or are not registered at all.
func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [flags]\n\nStarts a whole demo city: data directory, registry, gateway, HTTP API and simulated devices.\nRe-running reuses the data directory. Stop with Ctrl-C.", stderr)
	var f serveFlags
	f.register(fs, "127.0.0.1:9212", "127.0.0.1:8080")
	seed := fs.Int64("seed", 1, "demo city seed (same seed, same city and data)")
	speed := fs.Float64("speed", 1, "simulated seconds per real second (1: real time)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	noSim := fs.Bool("no-simulator", false, "start the city without simulated devices")
	fs.Lookup("data-dir").DefValue = "ecowatch-demo"
	if err := fs.Set("data-dir", "ecowatch-demo"); err != nil {
		return err
	}
	if err := fs.Set("log-level", "warn"); err != nil {
		return err
	}
	// All simulated devices connect from the loopback address.
	if err := fs.Set("max-conns-per-ip", "100000"); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	// The demo's fixed ports may be taken (a second demo, another
	// program): fall back to ephemeral ones rather than fail.
	f.gatewayAddr = freeOr(f.gatewayAddr)
	if f.httpAddr != "" {
		f.httpAddr = freeOr(f.httpAddr)
	}
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	cfg.Web.Open = true // the demo is open; log in as a demo user to see a role's view
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	// The ready file says the demo city is there to look at: written
	// after the import, not when the servers listen.
	readyFile := cfg.ReadyFile
	cfg.ReadyFile = ""
	c := demo.NewCity(*seed)
	city := c.Registry
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a.Shutdown(sctx)
	}()
	existing, err := a.Store.Registry(ctx)
	if err != nil {
		return err
	}
	if len(existing.Devices) == 0 {
		if err := demo.Import(ctx, a.Store, c); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "demo city imported into %s: %d counties, %d enterprises, %d outlets, %d devices\n",
			filepath.Join(f.dataDir, "ecowatch.db"), len(city.Counties), len(city.Enterprises), len(city.Outlets), len(city.Devices))
		if err := demo.Seed(ctx, a.Store, c, *seed, time.Now(), stdout); err != nil {
			return err
		}
		if err := demo.SeedWork(ctx, a.Store, a.Rights, f.dataDir, c, time.Now(), stdout); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "reusing %s (%d devices registered)\n", filepath.Join(f.dataDir, "ecowatch.db"), len(existing.Devices))
	}
	if err := a.ReloadDevices(ctx); err != nil {
		return err
	}
	if err := auth.SeedDemo(ctx, a.Store, city, stdout); err != nil {
		return err
	}

	go demo.Sync(ctx, a.Store, cfg.Logger)
	if readyFile != "" {
		if err := a.WriteReady(readyFile); err != nil {
			return err
		}
	}

	base := cfg.HTTP.Scheme() + "://" + a.HTTPAddr()
	fmt.Fprintf(stdout, `
ecowatch demo is running.
  dashboard (大屏/工作台): %s/   (English: %s/?lang=en; log in at %s/login)
  devices (HJ 212 over TCP): %s
  API health:          %s/api/v1/health
  counties:            %s/api/v1/counties
  devices and state:   %s/api/v1/devices
  measurements:        %s/api/v1/measurements?mn=<MN>&period=min
  quarantined frames:  %s/api/v1/quarantine
  metrics:             %s/metrics
Press Ctrl-C to stop.
`, base, base, base, a.GatewayAddr(), base, base, base, base, base, base)

	if *noSim {
		<-ctx.Done()
		return nil
	}
	sim, err := simulator.New(simulator.Config{
		Addr:           a.GatewayAddr(),
		Devices:        demo.Devices(city, *seed),
		Seed:           *seed,
		Speed:          *speed,
		ReconnectDelay: 2 * time.Second,
	})
	if err != nil {
		return err
	}
	sim.Start(ctx)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			sim.Stop()
			st := sim.Stats()
			fmt.Fprintf(stdout, "simulator: %d frames sent, %d acknowledged, %d back-filled, %d retransmitted, %d malformed sent on purpose\n",
				st.Sent, st.Acked, st.Backfilled, st.Retransmitted, st.Malformed)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil
			}
			return nil
		case <-tick.C:
			st := sim.Stats()
			gs := a.Gateway.Stats()
			fmt.Fprintf(stdout, "%s  devices connected %d/%d  frames acked %d  back-filled %d  quarantined %d  rejected %d\n",
				time.Now().Format("15:04:05"), st.Connected, st.Devices, st.Acked, st.Backfilled, gs.FramesQuarantined, gs.FramesRejected)
		}
	}
}

// freeOr returns addr when it can be listened on now, else the same host
// with an ephemeral port.
func freeOr(addr string) string {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return addr
	}
	host, _, _ := net.SplitHostPort(addr)
	fmt.Fprintf(os.Stderr, "ecowatch demo: %s is busy, using an ephemeral port\n", addr)
	return net.JoinHostPort(host, "0")
}
