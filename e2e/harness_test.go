// Package e2e holds black-box tests that drive the built ecowatch binary
// (and whole-system tests through internal/app): crash recovery with
// SIGKILL, store outages and the demo.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// binPath is the ecowatch binary built once for all tests of the package.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecowatch-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ecowatch")
	cmd := exec.Command("go", "build", "-o", binPath, "../cmd/ecowatch")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build ecowatch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testRegistry returns a small registry of n devices with password 123456.
func testRegistry(n int) *model.Registry {
	max := 100.0
	r := &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"}},
		Enterprises: []model.Enterprise{{USCC: "91371500MA3C000001", Name: "测试热电有限公司", County: "371502", Industry: "热电"}},
	}
	for i := range n {
		oid := fmt.Sprintf("91371500MA3C000001-DA%03d", i)
		r.Outlets = append(r.Outlets, model.Outlet{ID: oid, Enterprise: "91371500MA3C000001", Name: fmt.Sprintf("%d号排口", i), Kind: model.OutletAir,
			Limits: []model.Limit{{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: &max}}})
		r.Devices = append(r.Devices, model.Device{MN: deviceMN(i), Password: "123456", Protocol: "2017", Outlet: oid, ST: "31"})
	}
	return r
}

func deviceMN(i int) string { return fmt.Sprintf("E2E0A890%016d", i) }

// server is a running ecowatch serve process.
type server struct {
	cmd     *exec.Cmd
	gateway string
	http    string
	done    chan error
	stderr  *lockedWriter
}

// startServer starts `ecowatch serve` on dataDir with ephemeral ports and
// waits until it listens.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	ready := filepath.Join(dataDir, "ready.json")
	os.Remove(ready)
	args := append([]string{"serve", "--data-dir", dataDir, "--gateway-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0", "--ready-file", ready, "--log-level", "warn"}, extra...)
	cmd := exec.Command(binPath, args...)
	stderr := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1), stderr: stderr}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(120 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			var r struct{ Gateway, HTTP string }
			if err := json.Unmarshal(b, &r); err == nil {
				s.gateway, s.http = r.Gateway, r.HTTP
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve exited before ready: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("serve not ready after 120s\n%s", stderr.String())
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	s.cmd.Process.Kill()
	<-s.done
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

// String returns what was written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// device is a minimal HJ 212 device for tests: it sends one upload at a
// time with Flag=5 and waits for the 9014 with the same QN, ignoring the
// platform's own requests (1012, history). It is deliberately independent
// of the simulator so that the tests check the gateway against the
// standard, not against our own client.
type device struct {
	mn, pw string
	addr   func() string // current gateway address
	conn   net.Conn
	rd     *bufio.Reader
	qn     int64
}

var errNoAck = errors.New("no ack")

// send sends the upload and waits for its 9014; it returns errNoAck or a
// network error when the upload was not acknowledged.
func (d *device) send(cn string, dataTime time.Time, values []hj212.KV, timeout time.Duration) error {
	if d.conn == nil {
		c, err := net.DialTimeout("tcp", d.addr(), timeout)
		if err != nil {
			return err
		}
		d.conn, d.rd = c, bufio.NewReader(c)
	}
	d.qn++
	qn := string(hj212.FormatQN(nil, time.Date(2026, 1, 1, 0, 0, 0, 0, hj212.CST()).Add(time.Duration(d.qn)*time.Millisecond)))
	cp := append([]hj212.KV{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dataTime))}}, values...)
	m := hj212.Message{QN: qn, ST: "31", CN: cn, PW: d.pw, MN: d.mn, Flag: 5, CP: cp}
	d.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := d.conn.Write(m.AppendFrame(nil)); err != nil {
		d.close()
		return err
	}
	for {
		line, err := d.rd.ReadBytes('\n')
		if err != nil {
			d.close()
			return fmt.Errorf("%w: %v", errNoAck, err)
		}
		var f hj212.Frame
		if err := hj212.Decode(bytes.TrimRight(line, "\r\n"), &f, hj212.Options{Mode: hj212.Strict}); err != nil {
			d.close()
			return fmt.Errorf("undecodable reply %q: %w", line, err)
		}
		if string(f.CN) == "9014" && string(f.QN) == qn {
			return nil
		}
		// Requests from the platform (1012 time calibration, 2051/2061
		// history) are not answered by this device; the gateway must cope.
	}
}

func (d *device) close() {
	if d.conn != nil {
		d.conn.Close()
		d.conn, d.rd = nil, nil
	}
}

// minuteValues returns the CP values of minute upload number k of a device,
// distinct per (device, k) so that a stored value proves which frame it came from.
func minuteValues(dev, k int) []hj212.KV {
	v := fmt.Sprintf("%d.%03d", dev, k%1000)
	return []hj212.KV{
		{Key: "a21026-Avg", Value: v}, {Key: "a21026-Flag", Value: "N"},
		{Key: "a21002-Avg", Value: fmt.Sprintf("%d", k)}, {Key: "a21002-Flag", Value: "N"},
	}
}

func kvString(kvs []hj212.KV) string {
	var b strings.Builder
	for _, kv := range kvs {
		fmt.Fprintf(&b, "%s=%s;", kv.Key, kv.Value)
	}
	return b.String()
}

// uploadKey identifies an upload of the test devices.
type uploadKey struct {
	dev int
	t   time.Time
}

// ackLog records what the gateway acknowledged.
type ackLog struct {
	mu    sync.Mutex
	acked map[uploadKey]string // expected values of each acknowledged upload
	count atomic.Int64
	sent  atomic.Int64
}

// streamDevices runs n test devices until stop is closed: each sends
// minute uploads one after the other from base, waiting for its 9014, and
// retransmits an upload that was not acknowledged (HJ 212-2017 §6.2).
// onAck, when set, is called after each acknowledgement.
func streamDevices(n int, addr func() string, base time.Time, timeout time.Duration, stop <-chan struct{}, onAck func()) (*ackLog, *sync.WaitGroup) {
	log := &ackLog{acked: map[uploadKey]string{}}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &device{mn: deviceMN(i), pw: "123456", addr: addr}
			defer d.close()
			for k := 0; ; {
				select {
				case <-stop:
					return
				default:
				}
				dt := base.Add(time.Duration(k) * time.Minute)
				vals := minuteValues(i, k)
				log.sent.Add(1)
				if err := d.send("2051", dt, vals, timeout); err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if onAck != nil {
					onAck()
				}
				log.mu.Lock()
				log.acked[uploadKey{i, dt.UTC()}] = kvString(vals)
				log.mu.Unlock()
				log.count.Add(1)
				k++
			}
		}()
	}
	return log, &wg
}

// verifyAcked checks that every acknowledged upload of n test devices is
// in the store exactly once, with the values sent. It returns the number
// of uploads stored.
func verifyAcked(t *testing.T, st store.Store, n int, log *ackLog) int {
	t.Helper()
	ups, err := st.Uploads(context.Background(), store.UploadQuery{CN: "2051", Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	mnIndex := map[string]int{}
	for i := range n {
		mnIndex[deviceMN(i)] = i
	}
	stored := map[uploadKey]string{}
	for _, u := range ups {
		k := uploadKey{mnIndex[u.MN], u.DataTime.UTC()}
		if _, dup := stored[k]; dup {
			t.Errorf("upload %s %s stored twice", u.MN, u.DataTime)
		}
		stored[k] = sortedValues(u)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	lost := 0
	for k, want := range log.acked {
		got, ok := stored[k]
		if !ok {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged upload of device %d at %s is lost", k.dev, k.t)
			}
			continue
		}
		if got != sortKV(want) {
			t.Errorf("device %d at %s: stored %q, acknowledged %q", k.dev, k.t, got, want)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged uploads lost", lost, len(log.acked))
	}
	return len(stored)
}

// seedRegistry imports the registry of n test devices into the store at
// dsn (created when it is a new SQLite file), as every crash test starts.
func seedRegistry(t *testing.T, dsn string, n int) {
	t.Helper()
	storetest.Seed(t, dsn, testRegistry(n))
}

// fleet is n test devices streaming minute uploads from 2026-11-01 (China
// time) to whichever gateway they were last pointed at (aim), with the log
// of what was acknowledged: the devices of the SIGKILL crash cycles.
type fleet struct {
	n    int
	addr atomic.Value
	acks *ackLog
	stop chan struct{}
	wg   *sync.WaitGroup
	once sync.Once
}

// startFleet starts the devices; until aimed they reach nothing (a
// closed port) and retransmit. stop ends them.
func startFleet(t *testing.T, n int) *fleet {
	f := &fleet{n: n, stop: make(chan struct{})}
	f.addr.Store("127.0.0.1:1")
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, hj212.CST())
	f.acks, f.wg = streamDevices(n, func() string { return f.addr.Load().(string) }, base, 2*time.Second, f.stop, nil)
	t.Cleanup(f.halt)
	return f
}

// aim points the devices at s's gateway.
func (f *fleet) aim(s *server) { f.addr.Store(s.gateway) }

// serve starts `ecowatch serve` on dataDir (startServer) and aims the
// devices at it.
func (f *fleet) serve(t *testing.T, dataDir string, extra ...string) *server {
	s := startServer(t, dataDir, extra...)
	f.aim(s)
	return s
}

// halt stops the devices and waits until each has returned (once).
func (f *fleet) halt() {
	f.once.Do(func() {
		close(f.stop)
		f.wg.Wait()
	})
}

// exercised fails the test when fewer uploads than one a device a cycle
// were acknowledged: the cycles then tested nothing.
func (f *fleet) exercised(t *testing.T, cycles int, what string) {
	t.Helper()
	if got := f.acks.count.Load(); got < int64(f.n*cycles) {
		t.Fatalf("only %d uploads acknowledged in %d cycles: the test did not exercise %s", got, cycles, what)
	}
}

// verifyStore is verifyAcked on the store at dsn, opened for it.
func verifyStore(t *testing.T, dsn string, n int, log *ackLog) int {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return verifyAcked(t, st, n, log)
}

func sortedValues(u model.Upload) string {
	parts := make([]string, 0, len(u.Values))
	for _, v := range u.Values {
		parts = append(parts, v.Factor+"-"+v.Field+"="+v.Value)
	}
	sort.Strings(parts)
	return fmt.Sprint(parts)
}

func sortKV(s string) string {
	parts := splitSemi(s)
	sort.Strings(parts)
	return fmt.Sprint(parts)
}

func splitSemi(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ';' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
