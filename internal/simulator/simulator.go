// Package simulator simulates HJ 212 data loggers (数采仪) over TCP: many
// devices per process, each with one connection and one goroutine, sending
// real-time (2011), minute (2051), hourly (2061) and daily (2031) uploads
// with realistic, seed-deterministic diurnal patterns; waiting for the
// platform's 9014 and retransmitting after OverTime up to ReCount times
// (HJ 212-2017 §6.2, §6.5); answering the platform's requests (1012 time
// calibration, 1000/1062/1064 settings, 2051/2061/2031 history for
// back-fill); and misbehaving on request: exceeding limits, going offline,
// malformed frames, a wrong password, split packets and wire quirks.
//
// The demo, the benchmarks (flat-out mode) and the gateway's tests use it.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Simulator runs a set of simulated devices against a gateway.
type Simulator struct {
	cfg   Config
	clock clock
	c     counters
	devs  []*device

	draining atomic.Bool

	mu      sync.Mutex
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

// New checks cfg and returns a simulator; Start runs it.
func New(cfg Config) (*Simulator, error) {
	if cfg.Addr == "" && len(cfg.Addrs) == 0 {
		return nil, errors.New("simulator: no gateway address")
	}
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("simulator: negative speed %g", cfg.Speed)
	}
	cfg.setDefaults()
	s := &Simulator{cfg: cfg}
	s.devs = make([]*device, len(cfg.Devices))
	for i := range cfg.Devices {
		d := &s.cfg.Devices[i]
		d.Kind = kindOf(d)
		if d.ST == "" {
			d.ST = stOf(d)
		}
		switch d.Protocol {
		case "", "2017", "2025", "2005":
		default:
			return nil, fmt.Errorf("simulator: device %s: unknown protocol %q (want 2005, 2017 or 2025)", d.MN, d.Protocol)
		}
		if d.MN == "" {
			return nil, fmt.Errorf("simulator: device %d has no MN", i)
		}
		s.devs[i] = newDevice(s, i, d)
	}
	return s, nil
}

// Start starts the devices. They run until ctx is done or Stop is called.
func (s *Simulator) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.clock = clock{realStart: time.Now(), simStart: s.cfg.Start, speed: s.cfg.Speed}
	for _, d := range s.devs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			d.run(ctx)
		}()
	}
}

// Stop stops the devices, closing their connections, and waits for them.
func (s *Simulator) Stop() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

// Drain stops the devices from sending anything new, lets each finish the
// upload waiting for its acknowledgement (including its retransmissions),
// and waits for them to stop. If ctx ends first the devices are stopped
// and ctx.Err() is returned. After a drain, every upload sent was either
// acknowledged or counted as failed.
func (s *Simulator) Drain(ctx context.Context) error {
	s.draining.Store(true)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.Stop()
		return nil
	case <-ctx.Done():
		s.Stop()
		return ctx.Err()
	}
}

// ResetLatency clears the ack latency histogram (e.g. after a warm-up).
func (s *Simulator) ResetLatency() {
	for i := range s.c.latency.b {
		s.c.latency.b[i].Store(0)
	}
}

// AppendUpload appends the frame device i would send for the upload cn
// (2011, 2051, 2061 or 2031) of the period starting at (or instant) at,
// with a QN taken from qnTime. It is for benchmarks and tests, and must
// not be called on a started simulator.
func (s *Simulator) AppendUpload(dst []byte, i int, cn string, at, qnTime time.Time) []byte {
	d := s.devs[i]
	d.buildData(qnTime, item{kind: itemData, cn: cn, at: at})
	return append(dst, d.out...)
}

// Wait waits until every device has stopped (ctx done, Stop, or each
// device finished its FlatOutFrames).
func (s *Simulator) Wait() { s.wg.Wait() }

// Stats returns a snapshot of the counters.
func (s *Simulator) Stats() Stats { return s.c.snapshot(len(s.devs)) }

// Now returns the simulated time.
func (s *Simulator) Now() time.Time { return s.clock.sim(time.Now()) }

// Run runs cfg until ctx is done and returns the final counters.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	s, err := New(cfg)
	if err != nil {
		return Stats{}, err
	}
	s.Start(ctx)
	<-ctx.Done()
	s.Stop()
	return s.Stats(), nil
}

// clock maps real time to simulated time.
type clock struct {
	realStart, simStart time.Time
	speed               float64
}

func (c clock) sim(real time.Time) time.Time {
	if c.speed == 1 {
		return c.simStart.Add(real.Sub(c.realStart))
	}
	return c.simStart.Add(time.Duration(float64(real.Sub(c.realStart)) * c.speed))
}

func (c clock) real(sim time.Time) time.Time {
	if c.speed == 1 {
		return c.realStart.Add(sim.Sub(c.simStart))
	}
	return c.realStart.Add(time.Duration(float64(sim.Sub(c.simStart)) / c.speed))
}

// Generator computes a device's data without a network: the demo and the
// tests use it to know what a device sends for a period.
type Generator struct {
	g       *gen
	scratch []sample
}

// NewGenerator returns the generator the simulator uses for d with seed.
func NewGenerator(seed int64, d Device) *Generator {
	d.Kind = kindOf(&d)
	g := newGen(seed, &d)
	return &Generator{g: g, scratch: make([]sample, len(g.factors))}
}

// Factors returns the factor codes, in the order of Period's results.
func (g *Generator) Factors() []string {
	out := make([]string, len(g.g.factors))
	for i, f := range g.g.factors {
		out[i] = f.Code
	}
	return out
}

// Period returns the aggregates of the period [start, start+length),
// rounded to whole minutes.
func (g *Generator) Period(start time.Time, length time.Duration) []Aggregate {
	out := make([]Aggregate, len(g.g.factors))
	n := int64(length / time.Minute)
	if n < 1 {
		n = 1
	}
	g.g.aggregate(floorDiv(start.Unix(), 60), n, out, g.scratch)
	return out
}

// Exceeding reports whether the device is in a configured exceedance
// window at t.
func (g *Generator) Exceeding(t time.Time) bool { return g.g.exceeding(floorDiv(t.Unix(), 60)) }
