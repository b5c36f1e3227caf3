package simulator

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// Flags are the command line's simulator options: device selection,
// behaviours and timing. Register defines them on a flag set, Config
// builds the run's configuration from them.
type Flags struct {
	Cfg           Config
	mix           Mix
	devices       int
	registryFile  string
	demoSeed      int64
	gen           GenerateOptions
	quirks, start string
	uploads       string
	Duration      time.Duration
	StatsEvery    time.Duration
	JSON          bool
}

func (f *Flags) Register(fs *flag.FlagSet) {
	c, m := &f.Cfg, &f.mix
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:9212", "gateway `host:port`")
	fs.IntVar(&f.devices, "devices", 0, "simulate `N` generated devices")
	fs.StringVar(&f.registryFile, "registry", "", "simulate the devices of a registry `file` (YAML or CSV)")
	fs.Int64Var(&f.demoSeed, "demo-seed", 0, "simulate the devices of the demo city built with this `seed`")
	fs.StringVar(&f.gen.MNPrefix, "mn-prefix", "SIM", "MN prefix of generated devices (padded with zeros to 24 characters, 14 for 2005)")
	fs.StringVar(&f.gen.Password, "password", "123456", "password (PW) of generated devices")
	fs.StringVar(&f.gen.Protocol, "protocol", "", "protocol `edition`: 2005, 2017 or 2025 (default 2017 for generated devices; given, it overrides the registry's)")
	fs.StringVar(&f.gen.Kind, "kind", "", "kind of generated devices: air, water, airq, waterq (default alternating air and water)")
	fs.StringVar(&f.quirks, "quirks", "", "comma-separated wire `quirks`: "+strings.Join(QuirkNames(), ", "))
	fs.Float64Var(&m.QuirkShare, "quirk-share", 1, "share of the devices (0..1) that have the --quirks")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of the data patterns and of the choice of misbehaving devices")
	fs.Float64Var(&c.Speed, "speed", 1, "time acceleration: simulated seconds per real second (60: an hour a minute)")
	fs.StringVar(&f.start, "start", "", "simulated start `time`: RFC 3339, or relative to now such as -24h (default now)")
	fs.DurationVar(&f.Duration, "duration", 0, "stop after this real `duration` (default: until interrupted)")
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
	fs.DurationVar(&f.StatsEvery, "stats-every", 10*time.Second, "print statistics this often (0: only at the end)")
	fs.BoolVar(&f.JSON, "json", false, "print statistics as JSON lines")
}

// Config builds the configuration from the flags given (set names them).
// An error that is the command line's fault is a usage.Error.
func (f *Flags) Config(set map[string]bool) (Config, error) {
	if n := btoi(set["devices"]) + btoi(set["registry"]) + btoi(set["demo-seed"]); n != 1 {
		return Config{}, usage.Error{Err: errors.New("give exactly one of --devices, --registry and --demo-seed")}
	}
	if !slices.Contains([]string{"", "2005", "2017", "2025"}, f.gen.Protocol) {
		return Config{}, usage.Error{Err: fmt.Errorf("--protocol %q: want 2005, 2017 or 2025", f.gen.Protocol)}
	}
	cfg := f.Cfg
	switch {
	case set["devices"]:
		if f.devices <= 0 {
			return cfg, usage.Error{Err: errors.New("--devices must be positive")}
		}
		cfg.Devices = Generate(f.devices, f.gen)
	case set["registry"]:
		r, _, err := registry.Load(f.registryFile, "")
		if err != nil {
			return cfg, fmt.Errorf("load registry: %w", err)
		}
		cfg.Devices = FromRegistry(r)
	default:
		cfg.Devices = FromRegistry(registry.DemoCity(f.demoSeed))
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
	if f.mix.Quirks, err = ParseQuirks(f.quirks); err != nil {
		return cfg, usage.Error{Err: err}
	}
	if cfg.Uploads, err = ParseUploads(f.uploads); err != nil {
		return cfg, usage.Error{Err: err}
	}
	f.mix.Seed = cfg.Seed
	if err := f.mix.Apply(cfg.Devices); err != nil {
		return cfg, usage.Error{Err: fmt.Errorf("--%w", err)}
	}
	if f.start != "" {
		if d, err := time.ParseDuration(f.start); err == nil {
			cfg.Start = time.Now().Add(d)
		} else if cfg.Start, err = time.Parse(time.RFC3339, f.start); err != nil {
			return cfg, usage.Error{Err: fmt.Errorf("--start %q: want RFC 3339 or a duration such as -24h", f.start)}
		}
	}
	if cfg.Speed <= 0 {
		return cfg, usage.Error{Err: errors.New("--speed must be positive")}
	}
	return cfg, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
