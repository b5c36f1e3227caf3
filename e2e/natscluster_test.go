package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
)

// Helpers of the scaled-out tests: a NATS JetStream cluster in
// the test process, a PostgreSQL database of the test's own, and the
// gateway, writer and web roles as processes of the built binary.

// natsNode is one JetStream server of a test cluster. Its ports and
// storage directory stay the same across restarts, as a real node's do.
type natsNode struct {
	cfg bus.EmbeddedConfig
	mu  sync.Mutex
	srv *natsserver.Server // nil while down
}

// natsCluster is a cluster of JetStream servers on loopback ports of its
// own, each with its storage in the test's temporary directory.
type natsCluster struct {
	nodes []*natsNode
}

// startNATSCluster starts n clustered JetStream servers (n = 1: a single
// server without clustering) and waits until JetStream answers. Should a
// node fail to start (a port taken meanwhile by another process), the
// cluster starts again on other ports.
func startNATSCluster(t *testing.T, n int) *natsCluster {
	t.Helper()
	var c *natsCluster
	var err error
	for try := 1; ; try++ {
		if c, err = tryNATSCluster(t.TempDir(), n); err == nil {
			break
		}
		if try == 3 {
			t.Fatalf("NATS cluster: %v", err)
		}
		t.Logf("NATS cluster (try %d): %v; again on other ports", try, err)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	c.waitJetStream(t, 180*time.Second)
	return c
}

func tryNATSCluster(dir string, n int) (*natsCluster, error) {
	ports, err := loopbackPorts(2 * n)
	if err != nil {
		return nil, err
	}
	c := &natsCluster{}
	for i := range n {
		cfg := bus.EmbeddedConfig{
			Dir:        filepath.Join(dir, fmt.Sprintf("n%d", i)),
			Host:       "127.0.0.1",
			Port:       ports[2*i],
			ServerName: fmt.Sprintf("e2e-n%d", i),
		}
		if n > 1 {
			cfg.ClusterName = "e2e"
			cfg.ClusterPort = ports[2*i+1]
			for j := range n {
				if j != i {
					cfg.Routes = append(cfg.Routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[2*j+1]))
				}
			}
		}
		c.nodes = append(c.nodes, &natsNode{cfg: cfg})
	}
	// The nodes start concurrently: a clustered node waits for its routes
	// only to elect a meta leader, not to accept connections, but starting
	// them together gets the election going sooner.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.start(i); err != nil {
				errs[i] = fmt.Errorf("node %d (ports %d, %d): %w", i, ports[2*i], ports[2*i+1], err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for i := range c.nodes {
			c.stop(i)
		}
		return nil, err
	}
	return c, nil
}

// loopbackPorts returns n distinct free ports on 127.0.0.1 below the
// kernel's ephemeral range when there is room: a node's ports must stay
// free while it is down (a restart reuses them), and no outgoing
// connection or listener on port 0 takes a port from outside that range.
func loopbackPorts(n int) ([]int, error) {
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				lo = v
			}
		}
	}
	seen := map[int]bool{}
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no %d free loopback ports found", n)
		}
		var p int
		if lo > 12000 {
			p = 10000 + rand.IntN(lo-10000)
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				continue
			}
			l.Close()
		} else {
			var err error
			if p, err = bus.FreePort("127.0.0.1"); err != nil {
				return nil, err
			}
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func (c *natsCluster) start(i int) error {
	nd := c.nodes[i]
	srv, err := bus.StartEmbedded(nd.cfg)
	if err != nil {
		return err
	}
	nd.mu.Lock()
	nd.srv = srv
	nd.mu.Unlock()
	return nil
}

// stop shuts node i down (what a killed node's peers see: its routes and
// client connections drop); its storage stays for a restart.
func (c *natsCluster) stop(i int) {
	nd := c.nodes[i]
	nd.mu.Lock()
	srv := nd.srv
	nd.srv = nil
	nd.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// restart starts node i again on the same ports and storage.
func (c *natsCluster) restart(t *testing.T, i int) {
	t.Helper()
	if err := c.start(i); err != nil {
		t.Fatalf("restart NATS node %d: %v", i, err)
	}
}

// URLs is the client URL list of all nodes, as the roles' --nats takes it.
func (c *natsCluster) URLs() string {
	var u []string
	for _, nd := range c.nodes {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", nd.cfg.Port))
	}
	return strings.Join(u, ",")
}

// streamLeader returns the node leading the stream's Raft group (-1 when
// none is known).
func (c *natsCluster) streamLeader(stream string) int {
	for i, nd := range c.nodes {
		nd.mu.Lock()
		srv := nd.srv
		nd.mu.Unlock()
		if srv != nil && srv.JetStreamIsStreamLeader(natsserver.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// streamCurrent reports whether every running node holds the stream and
// is current with its leader (a restarted node has caught up).
func (c *natsCluster) streamCurrent(stream string) bool {
	for _, nd := range c.nodes {
		nd.mu.Lock()
		srv := nd.srv
		nd.mu.Unlock()
		if srv == nil {
			return false
		}
		if len(c.nodes) > 1 && !srv.JetStreamIsStreamCurrent(natsserver.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return false
		}
	}
	return true
}

// waitJetStream waits until a client gets JetStream account information
// (in a cluster: the meta leader is elected).
func (c *natsCluster) waitJetStream(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			nc, err := nats.Connect(c.URLs(), nats.Timeout(2*time.Second))
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err = js.AccountInfo(ctx)
			return err
		}()
		if last == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("JetStream not available within %s: %v", within, last)
}

// roleProc is a running role (gateway, writer, web) of the built binary.
type roleProc struct {
	name  string
	cmd   *exec.Cmd
	done  chan struct{}
	err   error // exit status, once done is closed
	out   *lockedWriter
	ready app.Ready
}

// startRole starts `ecowatch <args...>` with --ready-file in dir and waits
// until the role has written it (it listens, and is connected to its
// store and bus).
func startRole(t *testing.T, name, dir string, args ...string) *roleProc {
	t.Helper()
	readyFile := filepath.Join(dir, name+".ready.json")
	os.Remove(readyFile)
	args = append(args, "--ready-file", readyFile)
	cmd := exec.Command(binPath, args...)
	out := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &roleProc{name: name, cmd: cmd, done: make(chan struct{}), out: out}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s (%s):\n%s", name, strings.Join(args, " "), tail(out.String(), 4000))
			// The whole output, for a closer look: ECOWATCH_E2E_LOGDIR=dir.
			if d := os.Getenv("ECOWATCH_E2E_LOGDIR"); d != "" {
				f := filepath.Join(d, fmt.Sprintf("%s-%s-%d.log", t.Name(), name, cmd.Process.Pid))
				if err := os.WriteFile(f, []byte(out.String()), 0o644); err == nil {
					t.Logf("whole output of %s in %s", name, f)
				}
			}
		}
	})
	begun := time.Now()
	deadline := begun.Add(180 * time.Second)
	for {
		if b, err := os.ReadFile(readyFile); err == nil && json.Unmarshal(b, &p.ready) == nil {
			t.Logf("%s ready in %.1f s", name, time.Since(begun).Seconds())
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, tail(out.String(), 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 180 s\n%s", name, tail(out.String(), 4000))
		}
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *roleProc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// terminate sends SIGTERM and waits for a clean exit.
func (p *roleProc) terminate(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exited with %v after SIGTERM\n%s", p.name, p.err, tail(p.out.String(), 4000))
		}
	case <-time.After(60 * time.Second):
		t.Errorf("%s did not stop within 60 s of SIGTERM", p.name)
		p.kill()
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// runCLI runs a short ecowatch command and returns its standard output.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLIErr(args...)
	if err != nil {
		t.Fatalf("ecowatch %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func runCLIErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w\n%s%s", err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

var backlogRe = regexp.MustCompile(`backlog: (\d+) frames`)

// busBacklog asks `ecowatch bus status` for the frames not yet written.
func busBacklog(busArgs []string) (int64, error) {
	out, err := runCLIErr(append([]string{"bus", "status"}, busArgs...)...)
	if err != nil {
		return 0, err
	}
	m := backlogRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("bus status printed no backlog: %q", out)
	}
	return strconv.ParseInt(m[1], 10, 64)
}

// httpStatus returns the status code of GET url (0 and the error when the
// request fails), with an optional bearer token.
func httpStatus(url, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}

// checkOps checks a role's operations endpoints: /healthz answers 200,
// /readyz becomes 200 (a writer is ready once it holds partitions or all
// are held by live writers), and /metrics refuses a caller without a
// token (401).
func checkOps(t *testing.T, p *roleProc) {
	t.Helper()
	base := "http://" + p.ready.HTTP
	if code, body, err := httpStatus(base+"/healthz", ""); err != nil || code != http.StatusOK {
		t.Errorf("%s /healthz: %d %s %v", p.name, code, body, err)
	}
	var code int
	var body string
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if code, body, err = httpStatus(base+"/readyz", ""); err == nil && code == http.StatusOK {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil || code != http.StatusOK {
		t.Errorf("%s /readyz: %d %s %v", p.name, code, body, err)
	}
	if code, body, err := httpStatus(base+"/metrics", ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("%s /metrics without a token: %d %s %v, want 401", p.name, code, body, err)
	}
}

// metricSum adds up the samples of a metric (all label sets) in a
// Prometheus text exposition.
func metricSum(body, name string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				sum += v
			}
		}
	}
	return sum
}

// liveAddrs is the set of gateway addresses devices may dial; pick spreads
// new connections over them in turn.
type liveAddrs struct {
	mu    sync.Mutex
	addrs []string
	next  atomic.Uint64
}

func (l *liveAddrs) add(a string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs = append(l.addrs, a)
}

func (l *liveAddrs) remove(a string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.addrs {
		if x == a {
			l.addrs = append(l.addrs[:i], l.addrs[i+1:]...)
			return
		}
	}
}

func (l *liveAddrs) pick() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.addrs) == 0 {
		return "127.0.0.1:1" // refused: the device retries
	}
	return l.addrs[l.next.Add(1)%uint64(len(l.addrs))]
}
