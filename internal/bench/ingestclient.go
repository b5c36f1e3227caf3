package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// The simulated devices of bench ingest, in this process or in a child
// (--sim-process): a child has its own scheduler and heap, so the
// gateway's process holds the gateway and the store only, as in
// production where devices are elsewhere.

// loadSim is the simulator as Ingest drives it.
type loadSim interface {
	Stats() (simulator.Stats, error)
	ResetLatency() error
	// Drain lets every device finish its pending frame and returns the
	// acknowledged minute uploads per device and the DataTimes given up.
	Drain(ctx context.Context) (acked []int, failed map[int][]time.Time, err error)
	Stop()
}

// inprocSim runs the simulator in this process.
type inprocSim struct {
	sim    *simulator.Simulator
	acked  []int
	fmu    sync.Mutex
	failed map[int][]time.Time
}

func newInprocSim(ctx context.Context, cfg simulator.Config) (*inprocSim, error) {
	s := &inprocSim{acked: make([]int, len(cfg.Devices)), failed: map[int][]time.Time{}}
	cfg.OnAck = func(e simulator.AckEvent) {
		if e.CN == "2051" {
			s.acked[e.Device]++ // each index written by its device's goroutine only
		}
	}
	cfg.OnFail = func(e simulator.AckEvent) {
		s.fmu.Lock()
		s.failed[e.Device] = append(s.failed[e.Device], e.DataTime)
		s.fmu.Unlock()
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return nil, err
	}
	s.sim = sim
	sim.Start(ctx)
	return s, nil
}

func (s *inprocSim) Stats() (simulator.Stats, error) { return s.sim.Stats(), nil }
func (s *inprocSim) ResetLatency() error             { s.sim.ResetLatency(); return nil }
func (s *inprocSim) Stop()                           { s.sim.Stop() }
func (s *inprocSim) Drain(ctx context.Context) ([]int, map[int][]time.Time, error) {
	if err := s.sim.Drain(ctx); err != nil {
		return nil, nil, err
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.acked, s.failed, nil
}

// IngestClientConfig configures IngestClient, the child process of bench
// ingest --sim-process.
type IngestClientConfig struct {
	Addr     string // gateway address; several, comma-separated: devices spread over them
	Devices  int
	Seed     int64
	Rate     float64
	Start    string // first DataTime, RFC 3339
	OverTime time.Duration
}

// clientReply is one line the child writes for each command it reads.
type clientReply struct {
	Stats  simulator.Stats     `json:"stats"`
	Acked  []int               `json:"acked,omitempty"`
	Failed map[int][]time.Time `json:"failed,omitempty"`
	Err    string              `json:"err,omitempty"`
}

// IngestClient runs the simulated devices of bench ingest and answers
// the commands read from stdin, one per line (stats, reset, drain, stop),
// with one JSON line each.
func IngestClient(ctx context.Context, cfg IngestClientConfig, stdin io.Reader, stdout io.Writer) error {
	start, err := time.Parse(time.RFC3339, cfg.Start)
	if err != nil {
		return usage.Error{Err: fmt.Errorf("--start: %w", err)}
	}
	if _, err := RaiseNoFile(uint64(cfg.Devices + 256)); err != nil {
		return err
	}
	devs := simulator.Generate(cfg.Devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir, Password: "123456"})
	sim, err := newInprocSim(ctx, simulator.Config{
		Addrs: strings.Split(cfg.Addr, ","), Devices: devs, Seed: cfg.Seed, FlatOut: true, Rate: cfg.Rate,
		MinInterval: time.Minute, FlatOutStart: start, OverTime: cfg.OverTime, ReCount: 3,
		ReconnectDelay: time.Second, DialTimeout: 30 * time.Second,
	})
	if err != nil {
		return err
	}
	defer sim.Stop()
	enc := json.NewEncoder(stdout)
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		var r clientReply
		switch sc.Text() {
		case "reset":
			sim.ResetLatency()
		case "drain":
			dctx, cancel := context.WithTimeout(ctx, cfg.OverTime*5+30*time.Second)
			acked, failed, err := sim.Drain(dctx)
			cancel()
			if err != nil {
				r.Err = err.Error()
			}
			r.Acked, r.Failed = acked, failed
		case "stop":
			return nil
		}
		r.Stats, _ = sim.Stats()
		if err := enc.Encode(&r); err != nil {
			return err
		}
	}
	return sc.Err()
}

// procSim is the simulator in a child process (ecowatch bench
// ingest-client).
type procSim struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *json.Decoder
	mu  sync.Mutex
}

// procSimConfig is what the child needs to simulate the same devices
// as the parent registered (simulator.Generate with the bench's prefix).
type procSimConfig struct {
	Addrs    []string // devices spread over them, as in-process
	Devices  int
	Seed     int64
	Rate     float64
	OverTime time.Duration
}

func newProcSim(cfg procSimConfig, start time.Time) (*procSim, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "bench", "ingest-client", "--addr", strings.Join(cfg.Addrs, ","), "--devices", strconv.Itoa(cfg.Devices),
		"--seed", strconv.FormatInt(cfg.Seed, 10), "--rate", strconv.FormatFloat(cfg.Rate, 'g', -1, 64),
		"--start", start.Format(time.RFC3339), "--overtime", cfg.OverTime.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the simulator process: %w", err)
	}
	return &procSim{cmd: cmd, in: in, out: json.NewDecoder(out)}, nil
}

func (p *procSim) call(c string) (clientReply, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var r clientReply
	if _, err := io.WriteString(p.in, c+"\n"); err != nil {
		return r, fmt.Errorf("simulator process: %w", err)
	}
	if err := p.out.Decode(&r); err != nil {
		return r, fmt.Errorf("simulator process: %w", err)
	}
	if r.Err != "" {
		return r, fmt.Errorf("simulator process: %s", r.Err)
	}
	return r, nil
}

func (p *procSim) Stats() (simulator.Stats, error) {
	r, err := p.call("stats")
	return r.Stats, err
}

func (p *procSim) ResetLatency() error { _, err := p.call("reset"); return err }

func (p *procSim) Drain(ctx context.Context) ([]int, map[int][]time.Time, error) {
	r, err := p.call("drain")
	if r.Failed == nil {
		r.Failed = map[int][]time.Time{}
	}
	return r.Acked, r.Failed, err
}

func (p *procSim) Stop() {
	p.mu.Lock()
	io.WriteString(p.in, "stop\n")
	p.in.Close()
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}
