package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/simulator"
)

const simulateSynopsis = `simulate [flags]

Simulates HJ 212 data loggers against a gateway: each device keeps one TCP connection, sends
real-time (2011), minute (2051), hourly (2061) and daily (2031) uploads, retransmits after
--overtime up to --recount times, and answers the gateway's requests (1012, 1000/1062/1064,
history for back-fill). Devices: --devices N, --registry FILE or --demo-seed S (one of them).
Misbehaviours go to a share of the devices chosen by --seed, for example
  ecowatch simulate --demo-seed 1 --exceed 0.05 --offline 0.02 --malformed 0.02 --speed 60
  ecowatch simulate --devices 10 --protocol 2005 --quirks lowercase-crc,lf-only
`

func runSimulate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulate", simulateSynopsis, stderr)
	var f simulator.Flags
	f.Register(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := f.Config(set)
	if err != nil {
		return err
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return err
	}
	if f.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Duration)
		defer cancel()
	}
	if !f.JSON {
		fmt.Fprintf(stdout, "simulating %d devices against %s (speed %g×, seed %d)\n", len(cfg.Devices), cfg.Addr, cfg.Speed, cfg.Seed)
	}
	sim.Watch(ctx, f.StatsEvery, stdout, f.JSON)
	return nil
}
