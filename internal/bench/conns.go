package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// ConnsConfig configures Conns (`ecowatch bench conns`).
type ConnsConfig struct {
	N           int           // connections
	PerListener int           // connections per gateway listener (each on its own 127.0.0.x)
	Clients     string        // "process" (client ends in child processes) or "inproc"
	PerClient   int           // with Clients "process": connections per child process
	Parallel    int           // concurrent dialers
	Hold        time.Duration // held this long before measuring
	JSON        bool
}

// ConnsClientConfig configures ConnsClient, the child side of Conns.
type ConnsClientConfig struct {
	Addrs       string // comma-separated
	From, N     int
	PerListener int
	Parallel    int
}

// --- bench conns ---

type ConnsReport struct {
	Conns        int     `json:"conns"`
	Listeners    int     `json:"listeners"`
	Clients      string  `json:"clients"` // "process": client ends in child processes; "inproc": in this one
	RSSBeforeMiB float64 `json:"rss_before_mib"`
	RSSAfterMiB  float64 `json:"rss_after_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	KiBPerConn   float64 `json:"kib_per_conn"` // (RSS after − before) / N
	GatewayOpen  int64   `json:"gateway_conns_open"`
	DialSeconds  float64 `json:"dial_s"`
	Goroutines   int     `json:"goroutines"`
}

// Conns opens N concurrent idle device connections to an in-process
// gateway and reports its RSS growth per connection.
func Conns(ctx context.Context, cfg ConnsConfig, stdout, stderr io.Writer) error {
	if cfg.N <= 0 || cfg.PerListener <= 0 || cfg.Parallel <= 0 || cfg.PerClient <= 0 {
		return usage.Error{Err: errors.New("--n, --per-listener, --per-client and --parallel must be positive")}
	}
	if cfg.Clients != "process" && cfg.Clients != "inproc" {
		return usage.Error{Err: fmt.Errorf("--clients %q: want process or inproc", cfg.Clients)}
	}
	need := uint64(cfg.N + 256)
	if cfg.Clients == "inproc" {
		need += uint64(cfg.N)
	}
	if lim, err := RaiseNoFile(need); err != nil {
		return err
	} else if lim < need {
		return fmt.Errorf("RLIMIT_NOFILE can only be raised to %d here; %d connections need %d descriptors in this process: use --n %d or less, or raise the hard limit (ulimit -Hn)", lim, cfg.N, need, int(lim-256)*int(cfg.N)/int(need-256))
	}
	gcfg := gateway.DefaultConfig()
	gcfg.Addr = "127.0.0.1:0"
	gcfg.MaxConns = cfg.N + 1024
	gcfg.MaxConnsPerIP = cfg.N + 1024 // raised for the test
	gcfg.IdleTimeout = time.Hour
	gcfg.FrameTimeout = time.Hour
	gcfg.BackfillWindow = -1
	gw := gateway.New(gcfg, nopStore{}, gateway.NewDeviceTable(nil), nil)
	nl := (cfg.N + cfg.PerListener - 1) / cfg.PerListener
	var addrs []string
	for i := range nl {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 1+i))
		if err != nil {
			return fmt.Errorf("listen on 127.0.0.%d: %w", 1+i, err)
		}
		if err := gw.Serve(ln); err != nil {
			return err
		}
		addrs = append(addrs, ln.Addr().String())
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		gw.Shutdown(c)
		cancel()
	}()
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatus("VmRSS")

	start := time.Now()
	if cfg.Clients == "inproc" {
		conns, err := dialConns(ctx, addrs, 0, cfg.N, cfg.PerListener, cfg.Parallel)
		defer func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}()
		if err != nil {
			return err
		}
	} else {
		stop, err := spawnConnClients(ctx, addrs, cfg.N, cfg.PerClient, cfg.PerListener, cfg.Parallel, stderr)
		defer stop()
		if err != nil {
			return err
		}
	}
	dial := time.Since(start)
	waitBy := time.Now().Add(60 * time.Second)
	for gw.Stats().ConnsOpen < int64(cfg.N) && time.Now().Before(waitBy) {
		sleep(ctx, 50*time.Millisecond)
	}
	sleep(ctx, cfg.Hold)
	if err := ctx.Err(); err != nil {
		return err
	}
	runtime.GC()
	after := procStatus("VmRSS")
	rep := ConnsReport{
		Conns: cfg.N, Listeners: nl, Clients: cfg.Clients, RSSBeforeMiB: mib(before), RSSAfterMiB: mib(after), PeakRSSMiB: mib(procStatus("VmHWM")),
		KiBPerConn: float64(after-before) / float64(cfg.N), GatewayOpen: gw.Stats().ConnsOpen, DialSeconds: dial.Seconds(),
		Goroutines: runtime.NumGoroutine(),
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	ends := "the gateway's alone; clients in child processes"
	if cfg.Clients == "inproc" {
		ends = "gateway and client ends together"
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "connections\t%d\t(%d open at the gateway, %d listeners, dialled in %.1f s)\n", rep.Conns, rep.GatewayOpen, rep.Listeners, rep.DialSeconds)
	fmt.Fprintf(tw, "RSS before / after\t%.0f / %.0f MiB\t(peak %.0f MiB)\n", rep.RSSBeforeMiB, rep.RSSAfterMiB, rep.PeakRSSMiB)
	fmt.Fprintf(tw, "per connection\t%.1f KiB\t(%s)\n", rep.KiBPerConn, ends)
	fmt.Fprintf(tw, "goroutines\t%d\n", rep.Goroutines)
	tw.Flush()
	if rep.GatewayOpen < int64(cfg.N) {
		return fmt.Errorf("only %d of %d connections open at the gateway", rep.GatewayOpen, cfg.N)
	}
	return nil
}

// dialConns opens connections [from, from+n) of the benchmark: number i
// goes to addrs[i/perListener].
func dialConns(ctx context.Context, addrs []string, from, n, perListener, parallel int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 30 * time.Second}
			for ctx.Err() == nil && firstErr.Load() == nil {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				addr := addrs[min((from+k)/perListener, len(addrs)-1)]
				var c net.Conn
				var err error
				for try := 0; try < 5; try++ {
					if c, err = d.DialContext(ctx, "tcp", addr); err == nil {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("connection %d to %s: %w", from+k, addr, err))
					return
				}
				conns[k] = c
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return conns, e.(error)
	}
	return conns, ctx.Err()
}

// spawnConnClients starts child processes (this binary, "bench
// conns-client") that hold the client ends, and waits until each has
// dialled its share. stop closes their stdin, which ends them.
func spawnConnClients(ctx context.Context, addrs []string, n, perClient, perListener, parallel int, stderr io.Writer) (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return func() {}, fmt.Errorf("find executable: %w", err)
	}
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	var children []child
	stop = func() {
		for _, c := range children {
			c.stdin.Close()
		}
		for _, c := range children {
			c.cmd.Wait()
		}
	}
	for from := 0; from < n; from += perClient {
		k := min(perClient, n-from)
		cmd := exec.CommandContext(ctx, exe, "bench", "conns-client", "--addrs", strings.Join(addrs, ","),
			"--from", strconv.Itoa(from), "--n", strconv.Itoa(k), "--per-listener", strconv.Itoa(perListener), "--parallel", strconv.Itoa(parallel))
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return stop, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return stop, err
		}
		if err := cmd.Start(); err != nil {
			return stop, fmt.Errorf("start client process: %w", err)
		}
		children = append(children, child{cmd, in, bufio.NewReader(out)})
	}
	for i, c := range children {
		line, err := c.out.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready") {
			return stop, fmt.Errorf("client process %d: %q: %v", i, strings.TrimSpace(line), err)
		}
	}
	return stop, nil
}

// ConnsClient is the child side of bench conns: it dials its share,
// prints "ready", and holds the connections until stdin closes.

func ConnsClient(ctx context.Context, cfg ConnsClientConfig, stdin io.Reader, stdout io.Writer) error {
	if _, err := RaiseNoFile(uint64(cfg.N + 64)); err != nil {
		return err
	}
	conns, err := dialConns(ctx, strings.Split(cfg.Addrs, ","), cfg.From, cfg.N, cfg.PerListener, cfg.Parallel)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		fmt.Fprintf(stdout, "error %v\n", err)
		return err
	}
	fmt.Fprintf(stdout, "ready %d\n", len(conns))
	io.Copy(io.Discard, stdin)
	return nil
}

// nopStore is a store for idle connections, which commit nothing.
type nopStore struct{}

func (nopStore) CommitBatch(context.Context, *store.Batch) error { return nil }
func (nopStore) UploadTimes(context.Context, string, string, time.Time, time.Time) ([]time.Time, error) {
	return nil, nil
}

// --- bench decode ---
