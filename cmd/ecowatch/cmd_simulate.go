package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/registry"
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

// simulateFlags are the flags of simulate: device selection, behaviours
// and timing.
type simulateFlags struct {
	cfg           simulator.Config
	mix           simulator.Mix
	devices       int
	registryFile  string
	demoSeed      int64
	gen           simulator.GenerateOptions
	quirks, start string
	uploads       string
	duration      time.Duration
	statsEvery    time.Duration
	jsonOut       bool
}

func (f *simulateFlags) register(fs *flag.FlagSet) {
	c, m := &f.cfg, &f.mix
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:9212", "gateway `host:port`")
	fs.IntVar(&f.devices, "devices", 0, "simulate `N` generated devices")
	fs.StringVar(&f.registryFile, "registry", "", "simulate the devices of a registry `file` (YAML or CSV)")
	fs.Int64Var(&f.demoSeed, "demo-seed", 0, "simulate the devices of the demo city built with this `seed`")
	fs.StringVar(&f.gen.MNPrefix, "mn-prefix", "SIM", "MN prefix of generated devices (padded with zeros to 24 characters, 14 for 2005)")
	fs.StringVar(&f.gen.Password, "password", "123456", "password (PW) of generated devices")
	fs.StringVar(&f.gen.Protocol, "protocol", "", "protocol `edition`: 2005, 2017 or 2025 (default 2017 for generated devices; given, it overrides the registry's)")
	fs.StringVar(&f.gen.Kind, "kind", "", "kind of generated devices: air, water, airq, waterq (default alternating air and water)")
	fs.StringVar(&f.quirks, "quirks", "", "comma-separated wire `quirks`: "+strings.Join(simulator.QuirkNames(), ", "))
	fs.Float64Var(&m.QuirkShare, "quirk-share", 1, "share of the devices (0..1) that have the --quirks")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of the data patterns and of the choice of misbehaving devices")
	fs.Float64Var(&c.Speed, "speed", 1, "time acceleration: simulated seconds per real second (60: an hour a minute)")
	fs.StringVar(&f.start, "start", "", "simulated start `time`: RFC 3339, or relative to now such as -24h (default now)")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this real `duration` (default: until interrupted)")
	fs.StringVar(&f.uploads, "uploads", "all", "periodic uploads: comma-separated rtd (2011), min (2051), hour (2061), day (2031), all or none")
	fs.DurationVar(&c.RtdInterval, "rtd-interval", 30*time.Second, "real-time upload interval (simulated time; the gateway may change it with 1062)")
	fs.DurationVar(&c.MinInterval, "min-interval", 10*time.Minute, "minute-data interval (simulated time; the gateway may change it with 1064)")
	fs.DurationVar(&c.OverTime, "overtime", 10*time.Second, "OverTime: wait for the 9014 this long before retransmitting (HJ 212-2017 §6.2)")
	fs.IntVar(&c.ReCount, "recount", 3, "ReCount: retransmissions before giving up and reconnecting")
	fs.BoolVar(&c.NoAck, "no-ack", false, "send uploads without the Flag A bit (no 9014 expected)")
	fs.BoolVar(&c.FlatOut, "flat-out", false, "benchmark mode: 2051 frames back to back, each after the previous one's 9014")
	fs.Float64Var(&c.Rate, "rate", 0, "with --flat-out: frames per second per device instead of back to back")
	fs.IntVar(&c.FlatOutFrames, "frames", 0, "with --flat-out: stop each device after `N` frames")
	fs.Float64Var(&m.Exceed, "exceed", 0, "share of devices that exceed their limits now and then")
	fs.DurationVar(&m.ExceedEvery, "exceed-every", 24*time.Hour, "exceeding devices exceed once per this period (simulated time)")
	fs.DurationVar(&m.ExceedFor, "exceed-for", 2*time.Hour, "for this long (simulated time)")
	fs.Float64Var(&m.Offline, "offline", 0, "share of devices that go offline now and then (and answer back-fill when back)")
	fs.DurationVar(&m.OfflineEvery, "offline-every", 12*time.Hour, "offline devices disconnect once per this period (simulated time)")
	fs.DurationVar(&m.OfflineFor, "offline-for", time.Hour, "for this long (simulated time)")
	fs.Float64Var(&m.Malformed, "malformed", 0, "share of devices that send malformed frames (bad CRC, garbage, truncated)")
	fs.Float64Var(&m.MalformedRate, "malformed-rate", 0.05, "share of a malformed device's frames preceded by a malformed one")
	fs.Float64Var(&m.WrongPassword, "wrong-password", 0, "share of devices that send a wrong password")
	fs.Float64Var(&m.Split, "split", 0, "share of devices that split minute/hour/day uploads into two packets (PNUM/PNO)")
	fs.DurationVar(&f.statsEvery, "stats-every", 10*time.Second, "print statistics this often (0: only at the end)")
	fs.BoolVar(&f.jsonOut, "json", false, "print statistics as JSON lines")
}

// config builds the simulator configuration from the flags given (set).
func (f *simulateFlags) config(set map[string]bool) (simulator.Config, error) {
	if n := btoi(set["devices"]) + btoi(set["registry"]) + btoi(set["demo-seed"]); n != 1 {
		return simulator.Config{}, usageError{errors.New("give exactly one of --devices, --registry and --demo-seed")}
	}
	if err := oneOf("protocol", f.gen.Protocol, "", "2005", "2017", "2025"); err != nil {
		return simulator.Config{}, err
	}
	cfg := f.cfg
	switch {
	case set["devices"]:
		if f.devices <= 0 {
			return cfg, usageError{errors.New("--devices must be positive")}
		}
		cfg.Devices = simulator.Generate(f.devices, f.gen)
	case set["registry"]:
		r, _, err := registry.Load(f.registryFile, "")
		if err != nil {
			return cfg, fmt.Errorf("load registry: %w", err)
		}
		cfg.Devices = simulator.FromRegistry(r)
	default:
		cfg.Devices = simulator.FromRegistry(registry.DemoCity(f.demoSeed))
	}
	if len(cfg.Devices) == 0 {
		return cfg, errors.New("no devices to simulate")
	}
	if f.gen.Protocol != "" && !set["devices"] {
		for i := range cfg.Devices {
			cfg.Devices[i].Protocol = f.gen.Protocol
		}
	}
	var err error
	if f.mix.Quirks, err = simulator.ParseQuirks(f.quirks); err != nil {
		return cfg, usageError{err}
	}
	if cfg.Uploads, err = simulator.ParseUploads(f.uploads); err != nil {
		return cfg, usageError{err}
	}
	f.mix.Seed = cfg.Seed
	if err := f.mix.Apply(cfg.Devices); err != nil {
		return cfg, usageError{fmt.Errorf("--%w", err)}
	}
	if f.start != "" {
		if d, err := time.ParseDuration(f.start); err == nil {
			cfg.Start = time.Now().Add(d)
		} else if cfg.Start, err = time.Parse(time.RFC3339, f.start); err != nil {
			return cfg, usageError{fmt.Errorf("--start %q: want RFC 3339 or a duration such as -24h", f.start)}
		}
	}
	if cfg.Speed <= 0 {
		return cfg, usageError{errors.New("--speed must be positive")}
	}
	return cfg, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runSimulate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulate", simulateSynopsis, stderr)
	var f simulateFlags
	f.register(fs)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := f.config(set)
	if err != nil {
		return err
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return err
	}
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	if !f.jsonOut {
		fmt.Fprintf(stdout, "simulating %d devices against %s (speed %g×, seed %d)\n", len(cfg.Devices), cfg.Addr, cfg.Speed, cfg.Seed)
	}
	sim.Watch(ctx, f.statsEvery, stdout, f.jsonOut)
	return nil
}
