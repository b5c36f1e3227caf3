package simulator

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Upload kinds a device sends on its own (HJ 212-2017 §6.6.5, table 9).
type Uploads uint8

const (
	UploadRealtime Uploads = 1 << iota // 2011, every RtdInterval
	UploadMinute                       // 2051, every MinInterval
	UploadHour                         // 2061
	UploadDay                          // 2031
	UploadAll              = UploadRealtime | UploadMinute | UploadHour | UploadDay
	// UploadNone sends no periodic uploads: the device only answers the
	// gateway (tests, back-fill).
	UploadNone Uploads = 1 << 7
)

// ParseUploads parses a comma-separated list of rtd, min, hour, day (or
// the CNs 2011, 2051, 2061, 2031; "all" for all of them).
func ParseUploads(s string) (Uploads, error) {
	var u Uploads
	for _, p := range strings.Split(s, ",") {
		switch strings.TrimSpace(p) {
		case "rtd", "2011", "realtime":
			u |= UploadRealtime
		case "min", "2051", "minute":
			u |= UploadMinute
		case "hour", "2061":
			u |= UploadHour
		case "day", "2031":
			u |= UploadDay
		case "all":
			u |= UploadAll
		case "none":
			u |= UploadNone
		case "":
		default:
			return 0, fmt.Errorf("unknown upload kind %q (want rtd, min, hour, day or all)", p)
		}
	}
	return u, nil
}

// Quirk is a bitset of the deviations from the standard a device makes on
// the wire, as seen in real devices (see hj212.md §4).
type Quirk uint16

const (
	QuirkLowercaseCRC   Quirk = 1 << iota // CRC as lowercase hex
	QuirkLFOnly                           // frames end with LF instead of CR LF
	QuirkSpaceAfterSemi                   // "; " between CP items (standard C.25)
	QuirkEpochQN                          // QN as a 13-digit Unix epoch in ms
	QuirkModbusCRC                        // CRC-16/MODBUS with swapped bytes
	QuirkStraySemi                        // a ';' before the closing "&&"
)

var quirkNames = []struct {
	q    Quirk
	name string
}{
	{QuirkLowercaseCRC, "lowercase-crc"},
	{QuirkLFOnly, "lf-only"},
	{QuirkSpaceAfterSemi, "space-after-semicolon"},
	{QuirkEpochQN, "epoch-qn"},
	{QuirkModbusCRC, "modbus-crc"},
	{QuirkStraySemi, "stray-semicolon"},
}

// QuirkNames lists the names ParseQuirks accepts.
func QuirkNames() []string {
	var s []string
	for _, q := range quirkNames {
		s = append(s, q.name)
	}
	return s
}

// ParseQuirks parses a comma-separated list of quirk names.
func ParseQuirks(s string) (Quirk, error) {
	var q Quirk
outer:
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || p == "none" {
			continue
		}
		for _, n := range quirkNames {
			if n.name == p {
				q |= n.q
				continue outer
			}
		}
		return 0, fmt.Errorf("unknown quirk %q (want one of %s)", p, strings.Join(QuirkNames(), ", "))
	}
	return q, nil
}

// String returns the quirk names joined by commas.
func (q Quirk) String() string {
	var s []string
	for _, n := range quirkNames {
		if q&n.q != 0 {
			s = append(s, n.name)
		}
	}
	return strings.Join(s, ",")
}

// Behaviour is what a device does besides reporting normally. Durations
// are in simulated time.
type Behaviour struct {
	// ExceedEvery and ExceedFor: every ExceedEvery, for ExceedFor, the
	// primary pollutants run above their limit (pH below it).
	ExceedEvery, ExceedFor time.Duration
	// Episodes are exceedances at fixed times (a boiler's start-up, say),
	// besides the periodic ones.
	Episodes []Episode
	// OfflineEvery and OfflineFor: every OfflineEvery, for OfflineFor,
	// the device is disconnected. It keeps recording, and answers the
	// gateway's back-fill requests after it reconnects.
	OfflineEvery, OfflineFor time.Duration
	// Malformed is the fraction of data frames preceded by a malformed
	// frame (bad CRC, garbage or a truncated frame, in turn).
	Malformed float64
	// WrongPassword sends a password that is not the registered one.
	WrongPassword bool
	// Split sends minute, hourly and daily uploads as two packets
	// (Flag D bit, PNUM/PNO; HJ 212-2017 §6.3.2 and Appendix C.49).
	Split bool
	// Quirks are the device's deviations from the standard on the wire.
	Quirks Quirk
}

// Episode is one exceedance at a fixed time: [From, From+For).
type Episode struct {
	From time.Time
	For  time.Duration
}

// Device is a simulated data logger.
type Device struct {
	model.Device
	// Kind is KindAir, KindWater, KindAirQuality or KindWaterQuality. It
	// selects the factors. Empty: derived from ST (31 air, 32 water,
	// 22 air quality, 21 water quality; default air).
	Kind string
	// Limits are the outlet's emission limits: they set the levels, and
	// exceedances happen only with Behaviour.ExceedEvery.
	Limits    []model.Limit
	Behaviour Behaviour
}

// Config configures a simulator run.
type Config struct {
	// Addr is the gateway's host:port.
	Addr string
	// Addrs, when set, spread the devices over several gateway addresses
	// (device i uses Addrs[i%len]); it overrides Addr.
	Addrs   []string
	Devices []Device
	// Seed makes the data deterministic: the same seed, MN and time give
	// the same values.
	Seed int64

	// Speed is the time acceleration: simulated seconds per real second
	// (0 or 1: real time). Start is the simulated time at the start
	// (zero: now).
	Speed float64
	Start time.Time

	// Uploads selects what devices send on their own (0: all).
	Uploads Uploads
	// RtdInterval (default 30 s) and MinInterval (default 10 min) are the
	// initial real-time and minute intervals (simulated time); the
	// gateway may change them with 1062/1064.
	RtdInterval, MinInterval time.Duration
	// HistoryDepth is how far before Start a device has recorded data to
	// answer history requests with (default 7 days).
	HistoryDepth time.Duration

	// OverTime (default 10 s, real time) and ReCount (default 3) govern
	// retransmission of uploads that request an acknowledgement
	// (HJ 212-2017 §6.2, table 1, and §6.5).
	OverTime time.Duration
	ReCount  int
	// NoAck sends uploads with the A bit clear (Flag 4 or 8 instead of 5
	// or 9): the gateway sends nothing back.
	NoAck bool

	// FlatOut is the benchmark mode: each device sends minute uploads
	// (2051, DataTime advancing by MinInterval from FlatOutStart) back to
	// back, each as soon as the previous one is acknowledged, or at Rate
	// frames per second per device when Rate > 0. No realtime, hourly or
	// daily uploads, no 2081 on connect.
	FlatOut      bool
	Rate         float64
	FlatOutStart time.Time // zero: 30 days before now, on a minute
	// FlatOutFrames stops each device after that many frames (0: no
	// bound).
	FlatOutFrames int

	// BootFrame sends 2081 (RestartTime) on each connect. Default on
	// outside flat-out mode; set NoBootFrame to disable.
	NoBootFrame bool

	// ReconnectDelay is the wait before redialling after a failure
	// (default 2 s real time, with jitter). DialTimeout defaults to 5 s.
	ReconnectDelay time.Duration
	DialTimeout    time.Duration
	// Dial replaces net.Dialer.DialContext (tests, source-address
	// spreading).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// OnAck, when set, is called (from the device's goroutine) for each
	// upload frame acknowledged for the first time.
	OnAck func(AckEvent)
	// OnFail, when set, is called for each upload frame given up after
	// ReCount retransmissions.
	OnFail func(AckEvent)

	Logger *slog.Logger
}

// AckEvent identifies an acknowledged (or failed) upload frame.
type AckEvent struct {
	Device   int // index in Config.Devices
	MN       string
	CN       string
	DataTime time.Time
	PNO      int // packet number of a split upload, 0 when not split
	Values   int // CP values in the frame, DataTime excluded
	Backfill bool
}

func (c *Config) setDefaults() {
	if c.Speed <= 0 {
		c.Speed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	if c.Uploads == 0 {
		c.Uploads = UploadAll
	}
	if c.RtdInterval <= 0 {
		c.RtdInterval = 30 * time.Second
	}
	if c.MinInterval <= 0 {
		c.MinInterval = 10 * time.Minute
	}
	if c.HistoryDepth <= 0 {
		c.HistoryDepth = 7 * 24 * time.Hour
	}
	if c.OverTime <= 0 {
		c.OverTime = 10 * time.Second
	}
	if c.ReCount <= 0 {
		c.ReCount = 3
	}
	if c.ReconnectDelay <= 0 {
		c.ReconnectDelay = 2 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.FlatOutStart.IsZero() {
		c.FlatOutStart = time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Dial == nil {
		d := &net.Dialer{Timeout: c.DialTimeout}
		c.Dial = d.DialContext
	}
}

// kindOf derives the device kind from its ST when not given.
func kindOf(d *Device) string {
	if d.Kind != "" {
		return d.Kind
	}
	switch d.ST {
	case "32", "33", "34":
		return KindWater
	case "22", "27":
		return KindAirQuality
	case "21", "24", "26":
		return KindWaterQuality
	}
	return KindAir
}

// stOf is the system code a device sends.
func stOf(d *Device) string {
	if d.ST != "" {
		return d.ST
	}
	switch d.Kind {
	case KindWater:
		return "32"
	case KindAirQuality:
		return "22"
	case KindWaterQuality:
		return "21"
	}
	return "31"
}

// FromRegistry returns the registry's devices with their outlets' limits,
// in registry order. The kind follows the outlet (air or water); devices
// without an outlet (stations) follow their ST.
func FromRegistry(r *model.Registry) []Device {
	outlets := make(map[string]*model.Outlet, len(r.Outlets))
	for i := range r.Outlets {
		outlets[r.Outlets[i].ID] = &r.Outlets[i]
	}
	out := make([]Device, 0, len(r.Devices))
	for _, md := range r.Devices {
		d := Device{Device: md}
		if o := outlets[md.Outlet]; o != nil {
			d.Limits = o.Limits
			if o.Kind == model.OutletWater {
				d.Kind = KindWater
			} else {
				d.Kind = KindAir
			}
		}
		d.Kind = kindOf(&d)
		out = append(out, d)
	}
	return out
}

// GenerateOptions configures Generate.
type GenerateOptions struct {
	MNPrefix string // default "SIM"
	Password string // default "123456"
	Protocol string // "2005", "2017" (default) or "2025"
	Kind     string // KindAir, KindWater, or "" for alternating air and water
	// Limits per kind; nil uses DefaultLimits.
	Limits map[string][]model.Limit
}

// DefaultLimits are typical hourly limits of GB 13271-2014 (boilers,
// measured concentration for simplicity) and GB 8978-1996 grade 1 (water).
func DefaultLimits() map[string][]model.Limit {
	f := func(v float64) *float64 { return &v }
	h := func(code, unit string, max float64) model.Limit {
		return model.Limit{Pollutant: code, Unit: unit, Kind: model.LimitMeasured, Period: model.PeriodHour, Max: f(max)}
	}
	return map[string][]model.Limit{
		KindAir: {h("a21026", "mg/m3", 200), h("a21002", "mg/m3", 200), h("a34013", "mg/m3", 30)},
		KindWater: {h("w01018", "mg/L", 100), h("w21003", "mg/L", 15),
			{Pollutant: "w01001", Kind: model.LimitMeasured, Period: model.PeriodHour, Min: f(6), Max: f(9)}},
	}
}

// Generate returns n devices with MNs made of the prefix and a zero-padded
// number: 24 characters for 2017 and 2025, 14 for 2005 (HJ 212-2017
// §6.3.2, table 3).
func Generate(n int, o GenerateOptions) []Device {
	if o.MNPrefix == "" {
		o.MNPrefix = "SIM"
	}
	if o.Password == "" {
		o.Password = "123456"
	}
	if o.Protocol == "" {
		o.Protocol = "2017"
	}
	if o.Limits == nil {
		o.Limits = DefaultLimits()
	}
	width := 24
	if o.Protocol == "2005" {
		width = 14
	}
	out := make([]Device, n)
	for i := range out {
		kind := o.Kind
		if kind == "" {
			kind = KindAir
			if i%2 == 1 {
				kind = KindWater
			}
		}
		num := fmt.Sprintf("%d", i+1)
		pad := width - len(o.MNPrefix) - len(num)
		if pad < 0 {
			pad = 0
		}
		d := Device{Kind: kind, Limits: o.Limits[kind]}
		d.MN = o.MNPrefix + strings.Repeat("0", pad) + num
		d.Password = o.Password
		d.Protocol = o.Protocol
		d.ST = stOf(&d)
		out[i] = d
	}
	return out
}

// Pick reports whether device i is among the given share (0..1) of
// devices for a behaviour named tag: deterministic per seed, and
// independent between tags.
func Pick(seed int64, i int, tag string, share float64) bool {
	if share <= 0 {
		return false
	}
	return unit(mix(mix(uint64(seed), hashString(tag)), uint64(i))) < share
}
