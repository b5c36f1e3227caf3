package demo

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/simulator"
)

// Options of Run.
type Options struct {
	Seed        int64   // the city and its data: the same seed, the same city
	Speed       float64 // simulated seconds per real second
	NoSimulator bool    // the city without simulated devices
}

// Run runs the whole demo city in one process until ctx ends: the app on
// cfg (a data directory with SQLite, the gateway, the HTTP API), the demo
// registry (11 county-level units of 聊城, about 300 enterprises, 500
// outlets and devices) imported and seeded on the first run and reused
// after, and the simulated devices, some of which exceed limits, go
// offline, send malformed frames, use a wrong password or are not
// registered at all. The ready file is written once the city is there to
// look at, after the import. A fixed port that is taken (a second demo,
// another program) falls back to an ephemeral one.
func Run(ctx context.Context, cfg app.Config, o Options, out, errs io.Writer) error {
	cfg.Gateway.Addr = freeOr(cfg.Gateway.Addr, errs)
	if cfg.HTTPAddr != "" {
		cfg.HTTPAddr = freeOr(cfg.HTTPAddr, errs)
	}
	readyFile := cfg.ReadyFile
	cfg.ReadyFile = ""
	c := NewCity(o.Seed)
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
	db := filepath.Join(cfg.DataDir, "ecowatch.db")
	if len(existing.Devices) == 0 {
		if err := Import(ctx, a.Store, c); err != nil {
			return err
		}
		fmt.Fprintf(out, "demo city imported into %s: %d counties, %d enterprises, %d outlets, %d devices\n",
			db, len(city.Counties), len(city.Enterprises), len(city.Outlets), len(city.Devices))
		if err := Seed(ctx, a.Store, c, o.Seed, time.Now(), out); err != nil {
			return err
		}
		if err := SeedWork(ctx, a.Store, a.Rights, cfg.DataDir, c, time.Now(), out); err != nil {
			return err
		}
		if err := SeedStartUp(ctx, a.Store, c.Registry, time.Now(), out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "reusing %s (%d devices registered)\n", db, len(existing.Devices))
	}
	if err := a.ReloadDevices(ctx); err != nil {
		return err
	}
	if err := auth.SeedDemo(ctx, a.Store, city, out); err != nil {
		return err
	}
	go Sync(ctx, a.Store, cfg.Logger)
	if readyFile != "" {
		if err := a.WriteReady(readyFile); err != nil {
			return err
		}
	}
	base := cfg.HTTP.Scheme() + "://" + a.HTTPAddr()
	fmt.Fprintf(out, `
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

	if o.NoSimulator {
		<-ctx.Done()
		return nil
	}
	sim, err := simulator.New(simulator.Config{Addr: a.GatewayAddr(), Devices: WithStartUp(Devices(city, o.Seed), city, time.Now()), Seed: o.Seed,
		Speed: o.Speed, ReconnectDelay: 2 * time.Second})
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
			fmt.Fprintf(out, "simulator: %d frames sent, %d acknowledged, %d back-filled, %d retransmitted, %d malformed sent on purpose\n",
				st.Sent, st.Acked, st.Backfilled, st.Retransmitted, st.Malformed)
			return nil
		case <-tick.C:
			st := sim.Stats()
			gs := a.Gateway.Stats()
			fmt.Fprintf(out, "%s  devices connected %d/%d  frames acked %d  back-filled %d  quarantined %d  rejected %d\n",
				time.Now().Format("15:04:05"), st.Connected, st.Devices, st.Acked, st.Backfilled, gs.FramesQuarantined, gs.FramesRejected)
		}
	}
}

// freeOr returns addr when it can be listened on now, else the same host
// with an ephemeral port.
func freeOr(addr string, errs io.Writer) string {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return addr
	}
	host, _, _ := net.SplitHostPort(addr)
	fmt.Fprintf(errs, "ecowatch demo: %s is busy, using an ephemeral port\n", addr)
	return net.JoinHostPort(host, "0")
}
