package main

import (
	"context"
	"encoding/json"
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

Simulates HJ 212 data loggers against a gateway: each device keeps one TCP
connection, sends real-time (2011), minute (2051), hourly (2061) and daily
(2031) uploads with seed-deterministic diurnal patterns, waits for the
gateway's 9014 and retransmits after --overtime up to --recount times, and
answers the gateway's requests (1012 time calibration, 1000/1062/1064
settings, 2051/2061/2031 history for back-fill).

Devices come from one of:
  --devices N          N generated devices (MN <prefix>000…N, alternately air and water)
  --registry FILE      a registry file (YAML, or CSV file/directory)
  --demo-seed S        the demo city of seed S (the same one 'ecowatch demo' builds)

Behaviours are given to a share of the devices (0..1), chosen by --seed:
  --exceed 0.05 --offline 0.02 --malformed 0.02 --wrong-password 0.01 --split 0.05

Quirks (applied to --quirk-share of the devices): ` + "lowercase-crc, lf-only,\nspace-after-semicolon, epoch-qn, modbus-crc, stray-semicolon." + `

Examples:
  ecowatch simulate --addr 127.0.0.1:9212 --devices 100 --speed 60 --duration 10m
  ecowatch simulate --demo-seed 1 --exceed 0.05 --offline 0.02 --speed 60
  ecowatch simulate --devices 10 --protocol 2005 --quirks lowercase-crc,lf-only

Flags:`

// simulateFlags are the flags shared by simulate (and reused by demo-like
// callers): device selection, behaviours and timing.
type simulateFlags struct {
	addr                       string
	devices                    int
	registryFile               string
	demoSeed                   int64
	mnPrefix, password         string
	protocol, kind             string
	quirks                     string
	quirkShare                 float64
	seed                       int64
	speed                      float64
	start                      string
	duration                   time.Duration
	uploads                    string
	rtdInterval, minInterval   time.Duration
	overTime                   time.Duration
	reCount                    int
	noAck                      bool
	flatOut                    bool
	rate                       float64
	frames                     int
	exceed, offline, malformed float64
	wrongPW, split             float64
	exceedEvery, exceedFor     time.Duration
	offlineEvery, offlineFor   time.Duration
	malformedRate              float64
	statsEvery                 time.Duration
	jsonOut                    bool
}

func (f *simulateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:9212", "gateway `host:port`")
	fs.IntVar(&f.devices, "devices", 0, "simulate `N` generated devices")
	fs.StringVar(&f.registryFile, "registry", "", "simulate the devices of a registry `file` (YAML or CSV)")
	fs.Int64Var(&f.demoSeed, "demo-seed", 0, "simulate the devices of the demo city built with this `seed`")
	fs.StringVar(&f.mnPrefix, "mn-prefix", "SIM", "MN prefix of generated devices (padded with zeros to 24 characters, 14 for 2005)")
	fs.StringVar(&f.password, "password", "123456", "password (PW) of generated devices")
	fs.StringVar(&f.protocol, "protocol", "", "protocol `edition`: 2005, 2017 or 2025 (default 2017 for generated devices; given, it overrides the registry's)")
	fs.StringVar(&f.kind, "kind", "", "kind of generated devices: air, water, airq, waterq (default alternating air and water)")
	fs.StringVar(&f.quirks, "quirks", "", "comma-separated wire `quirks`: "+strings.Join(simulator.QuirkNames(), ", "))
	fs.Float64Var(&f.quirkShare, "quirk-share", 1, "share of the devices (0..1) that have the --quirks")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the data patterns and of the choice of misbehaving devices")
	fs.Float64Var(&f.speed, "speed", 1, "time acceleration: simulated seconds per real second (60: an hour a minute)")
	fs.StringVar(&f.start, "start", "", "simulated start `time`: RFC 3339, or relative to now such as -24h (default now)")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this real `duration` (default: until interrupted)")
	fs.StringVar(&f.uploads, "uploads", "all", "periodic uploads: comma-separated rtd (2011), min (2051), hour (2061), day (2031), all or none")
	fs.DurationVar(&f.rtdInterval, "rtd-interval", 30*time.Second, "real-time upload interval (simulated time; the gateway may change it with 1062)")
	fs.DurationVar(&f.minInterval, "min-interval", 10*time.Minute, "minute-data interval (simulated time; the gateway may change it with 1064)")
	fs.DurationVar(&f.overTime, "overtime", 10*time.Second, "OverTime: wait for the 9014 this long before retransmitting (HJ 212-2017 §6.2)")
	fs.IntVar(&f.reCount, "recount", 3, "ReCount: retransmissions before giving up and reconnecting")
	fs.BoolVar(&f.noAck, "no-ack", false, "send uploads without the Flag A bit (no 9014 expected)")
	fs.BoolVar(&f.flatOut, "flat-out", false, "benchmark mode: 2051 frames back to back, each after the previous one's 9014")
	fs.Float64Var(&f.rate, "rate", 0, "with --flat-out: frames per second per device instead of back to back")
	fs.IntVar(&f.frames, "frames", 0, "with --flat-out: stop each device after `N` frames")
	fs.Float64Var(&f.exceed, "exceed", 0, "share of devices that exceed their limits now and then")
	fs.DurationVar(&f.exceedEvery, "exceed-every", 24*time.Hour, "exceeding devices exceed once per this period (simulated time)")
	fs.DurationVar(&f.exceedFor, "exceed-for", 2*time.Hour, "for this long (simulated time)")
	fs.Float64Var(&f.offline, "offline", 0, "share of devices that go offline now and then (and answer back-fill when back)")
	fs.DurationVar(&f.offlineEvery, "offline-every", 12*time.Hour, "offline devices disconnect once per this period (simulated time)")
	fs.DurationVar(&f.offlineFor, "offline-for", time.Hour, "for this long (simulated time)")
	fs.Float64Var(&f.malformed, "malformed", 0, "share of devices that send malformed frames (bad CRC, garbage, truncated)")
	fs.Float64Var(&f.malformedRate, "malformed-rate", 0.05, "share of a malformed device's frames preceded by a malformed one")
	fs.Float64Var(&f.wrongPW, "wrong-password", 0, "share of devices that send a wrong password")
	fs.Float64Var(&f.split, "split", 0, "share of devices that split minute/hour/day uploads into two packets (PNUM/PNO)")
	fs.DurationVar(&f.statsEvery, "stats-every", 10*time.Second, "print statistics this often (0: only at the end)")
	fs.BoolVar(&f.jsonOut, "json", false, "print statistics as JSON lines")
}

// config builds the simulator configuration from the flags.
func (f *simulateFlags) config(set map[string]bool) (simulator.Config, error) {
	sources := 0
	for _, n := range []string{"devices", "registry", "demo-seed"} {
		if set[n] {
			sources++
		}
	}
	if sources != 1 {
		return simulator.Config{}, usageError{errors.New("give exactly one of --devices, --registry and --demo-seed")}
	}
	var devs []simulator.Device
	switch {
	case set["devices"]:
		if f.devices <= 0 {
			return simulator.Config{}, usageError{errors.New("--devices must be positive")}
		}
		devs = simulator.Generate(f.devices, simulator.GenerateOptions{MNPrefix: f.mnPrefix, Password: f.password, Protocol: f.protocol, Kind: f.kind})
	case set["registry"]:
		r, _, err := registry.Load(f.registryFile, "")
		if err != nil {
			return simulator.Config{}, fmt.Errorf("load registry: %w", err)
		}
		devs = simulator.FromRegistry(r)
	default:
		devs = simulator.FromRegistry(registry.DemoCity(f.demoSeed))
	}
	if len(devs) == 0 {
		return simulator.Config{}, errors.New("no devices to simulate")
	}
	switch f.protocol {
	case "", "2005", "2017", "2025":
	default:
		return simulator.Config{}, usageError{fmt.Errorf("--protocol %q: want 2005, 2017 or 2025", f.protocol)}
	}
	if f.protocol != "" && !set["devices"] {
		for i := range devs {
			devs[i].Protocol = f.protocol
		}
	}
	quirks, err := simulator.ParseQuirks(f.quirks)
	if err != nil {
		return simulator.Config{}, usageError{err}
	}
	uploads, err := simulator.ParseUploads(f.uploads)
	if err != nil {
		return simulator.Config{}, usageError{err}
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"quirk-share", f.quirkShare}, {"exceed", f.exceed}, {"offline", f.offline}, {"malformed", f.malformed},
		{"malformed-rate", f.malformedRate}, {"wrong-password", f.wrongPW}, {"split", f.split}} {
		if v.v < 0 || v.v > 1 {
			return simulator.Config{}, usageError{fmt.Errorf("--%s %g: want a share between 0 and 1", v.name, v.v)}
		}
	}
	for i := range devs {
		b := &devs[i].Behaviour
		if simulator.Pick(f.seed, i, "quirks", f.quirkShare) {
			b.Quirks = quirks
		}
		if simulator.Pick(f.seed, i, "exceed", f.exceed) {
			b.ExceedEvery, b.ExceedFor = f.exceedEvery, f.exceedFor
		}
		if simulator.Pick(f.seed, i, "offline", f.offline) {
			b.OfflineEvery, b.OfflineFor = f.offlineEvery, f.offlineFor
		}
		if simulator.Pick(f.seed, i, "malformed", f.malformed) {
			b.Malformed = f.malformedRate
		}
		b.WrongPassword = simulator.Pick(f.seed, i, "wrong-password", f.wrongPW)
		b.Split = simulator.Pick(f.seed, i, "split", f.split)
	}
	var start time.Time
	if f.start != "" {
		if d, err := time.ParseDuration(f.start); err == nil {
			start = time.Now().Add(d)
		} else if t, err := time.Parse(time.RFC3339, f.start); err == nil {
			start = t
		} else {
			return simulator.Config{}, usageError{fmt.Errorf("--start %q: want RFC 3339 or a duration such as -24h", f.start)}
		}
	}
	if f.speed <= 0 {
		return simulator.Config{}, usageError{errors.New("--speed must be positive")}
	}
	return simulator.Config{
		Addr: f.addr, Devices: devs, Seed: f.seed, Speed: f.speed, Start: start, Uploads: uploads,
		RtdInterval: f.rtdInterval, MinInterval: f.minInterval, OverTime: f.overTime, ReCount: f.reCount, NoAck: f.noAck,
		FlatOut: f.flatOut, Rate: f.rate, FlatOutFrames: f.frames,
	}, nil
}

func runSimulate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulate", simulateSynopsis, stderr)
	var f simulateFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
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
	began := time.Now()
	if !f.jsonOut {
		fmt.Fprintf(stdout, "simulating %d devices against %s (speed %g×, seed %d)\n", len(cfg.Devices), cfg.Addr, f.speed, f.seed)
	}
	sim.Start(ctx)
	done := make(chan struct{})
	go func() {
		sim.Wait()
		close(done)
	}()
	var tick <-chan time.Time
	if f.statsEvery > 0 {
		t := time.NewTicker(f.statsEvery)
		defer t.Stop()
		tick = t.C
	}
	var prev simulator.Stats
	prevAt := began
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-done:
			break loop
		case now := <-tick:
			st := sim.Stats()
			printSimStats(stdout, f.jsonOut, now.Sub(began), sim.Now(), st, prev, now.Sub(prevAt), false)
			prev, prevAt = st, now
		}
	}
	sim.Stop()
	now := time.Now()
	printSimStats(stdout, f.jsonOut, now.Sub(began), sim.Now(), sim.Stats(), simulator.Stats{}, now.Sub(began), true)
	return nil
}

// printSimStats prints one statistics line: rates over the interval since
// prev, or over the whole run for the final line.
func printSimStats(w io.Writer, asJSON bool, elapsed time.Duration, simNow time.Time, st, prev simulator.Stats, interval time.Duration, final bool) {
	secs := interval.Seconds()
	if secs <= 0 {
		secs = 1
	}
	ackRate := float64(st.Acked-prev.Acked) / secs
	if asJSON {
		out := struct {
			Elapsed  string          `json:"elapsed"`
			SimTime  time.Time       `json:"sim_time"`
			Final    bool            `json:"final,omitempty"`
			AckPerS  float64         `json:"acked_per_s"`
			P50ms    float64         `json:"latency_p50_ms"`
			P99ms    float64         `json:"latency_p99_ms"`
			Stats    simulator.Stats `json:"stats"`
			TopError []string        `json:"top_error_devices,omitempty"`
		}{elapsed.Round(time.Millisecond).String(), simNow, final, ackRate, simMS(st.LatencyP50), simMS(st.LatencyP99), st, st.TopErrors(5)}
		out.Stats.Errors = nil
		b, _ := json.Marshal(out)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	label := "  "
	if final {
		label = "total"
	}
	fmt.Fprintf(w, "%s %6s sim %s  conn %d  sent %d  acked %d (%.0f/s)  retx %d  failed %d  malformed %d  backfill %d  cmds %d  p50 %.1fms p99 %.1fms\n",
		label, elapsed.Round(time.Second), simNow.Format("01-02 15:04"), st.Connected, st.Sent, st.Acked, ackRate,
		st.Retransmitted, st.Failed, st.Malformed, st.Backfilled, st.Commands, simMS(st.LatencyP50), simMS(st.LatencyP99))
	if final && len(st.Errors) > 0 {
		fmt.Fprintf(w, "devices with errors: %d; most:\n", len(st.Errors))
		for _, mn := range st.TopErrors(5) {
			e := st.Errors[mn]
			fmt.Fprintf(w, "  %s  %d× last: %s\n", mn, e.Count, e.Last)
		}
	}
}

func simMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
