package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// waitLimit only keeps a broken test from hanging; no test asserts timing.
const waitLimit = 60 * time.Second

// t0 is the fake clock's time: 2026-11-28 12:00:00 China time.
var t0 = time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)

type upKey struct {
	mn, cn string
	dt     int64
}

// fakeStore is an in-memory Store with the store contract's merge
// semantics and switches to block or fail commits.
type fakeStore struct {
	mu       sync.Mutex
	uploads  map[upKey]map[[2]string]string
	raw      []model.RawFrame
	contacts map[string]model.Contact
	commits  int
	attempts int

	failing atomic.Bool            // CommitBatch fails while set
	block   chan struct{}          // when non-nil, CommitBatch waits for it to close
	entered chan struct{}          // receives (non-blocking) on every CommitBatch
	refuse  func(model.Value) bool // refuse batches holding such a value
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		uploads:  make(map[upKey]map[[2]string]string),
		contacts: make(map[string]model.Contact),
		entered:  make(chan struct{}, 1),
	}
}

var errStoreDown = errors.New("fake store: down")

func (s *fakeStore) CommitBatch(ctx context.Context, b *store.Batch) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	s.mu.Lock()
	s.attempts++
	blk := s.block
	s.mu.Unlock()
	if blk != nil {
		select {
		case <-blk:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.failing.Load() {
		return errStoreDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil {
		for _, u := range b.Uploads {
			for _, v := range u.Values {
				if s.refuse(v) {
					return errors.New("fake store: value refused")
				}
			}
		}
	}
	for _, u := range b.Uploads {
		k := upKey{u.MN, u.CN, u.DataTime.UnixNano()}
		m := s.uploads[k]
		if m == nil {
			m = make(map[[2]string]string)
			s.uploads[k] = m
		}
		for _, v := range u.Values {
			fk := [2]string{v.Factor, v.Field}
			if _, ok := m[fk]; !ok { // first value wins
				m[fk] = v.Value
			}
		}
	}
	for _, r := range b.Raw {
		r.Raw = slices.Clone(r.Raw)
		r.Deviations = slices.Clone(r.Deviations)
		s.raw = append(s.raw, r)
	}
	for _, c := range b.Contacts {
		if old, ok := s.contacts[c.MN]; !ok || c.At.After(old.At) || c.At.Equal(old.At) {
			s.contacts[c.MN] = c
		}
	}
	s.commits++
	return nil
}

func (s *fakeStore) UploadTimes(_ context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for k := range s.uploads {
		t := time.Unix(0, k.dt).UTC()
		if k.mn == mn && k.cn == cn && !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}

// put stores an upload directly (test set-up).
func (s *fakeStore) put(mn, cn string, dt time.Time, vals map[[2]string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploads[upKey{mn, cn, dt.UnixNano()}] = vals
}

func (s *fakeStore) upload(mn, cn string, dt time.Time) (map[[2]string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.uploads[upKey{mn, cn, dt.UnixNano()}]
	return maps.Clone(m), ok
}

func (s *fakeStore) numUploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

func (s *fakeStore) rawFrames() []model.RawFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.raw)
}

func (s *fakeStore) rawByStatus(status string) []model.RawFrame {
	var out []model.RawFrame
	for _, r := range s.rawFrames() {
		if r.Status == status {
			out = append(out, r)
		}
	}
	return out
}

// pingStore is a fakeStore that also answers Ping (so the gateway can tell
// a down store from a refused batch).
type pingStore struct{ *fakeStore }

func (p pingStore) Ping(context.Context) error {
	if p.failing.Load() {
		return errStoreDown
	}
	return nil
}

// testClock is an adjustable clock.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := new(testClock)
	c.ns.Store(t.UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

var testDevices = []model.Device{
	{MN: "010000A8900016F000169DC0", Password: "123456", Protocol: "2017", ST: "32"},
	{MN: "010000A8900016F000169DC1", Password: "654321", Protocol: "2017", ST: "31"},
	{MN: "GOOD0000000000000000GOOD", Password: "123456", Protocol: "2017", ST: "32"},
	{MN: "MODBUS000000000000000001", Password: "123456", Protocol: "2017", ST: "31", Tolerances: []string{model.ToleranceModbusCRC}},
}

// testConfig is a small, fast configuration for tests.
func testConfig(clk *testClock) Config {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Now = clk.Now
	cfg.BatchInterval = 2 * time.Millisecond
	cfg.CommitRetryMin = time.Millisecond
	cfg.CommitRetryMax = 10 * time.Millisecond
	cfg.BackfillWindow = -1 // tests that need it turn it on
	return cfg
}

func startServer(t *testing.T, cfg Config, st Store) *Server {
	t.Helper()
	// Wired as the app wires a store that purges and answers Ping.
	if p, ok := st.(Purger); ok && cfg.Purger == nil {
		cfg.Purger = p
	}
	if p, ok := st.(Pinger); ok && cfg.Health == nil {
		cfg.Health = p
	}
	s := New(cfg, st, NewDeviceTable(testDevices), nil)
	s.backfillTick = 5 * time.Millisecond
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

// testDevice is a device on the other end of a connection.
type testDevice struct {
	t      *testing.T
	nc     net.Conn
	mn, pw string
	frames chan *hj212.Frame
	eof    chan struct{}
	seq    int
	held   []*hj212.Frame // received, not yet asked for
}

func dialDevice(t *testing.T, addr string, mn, pw string) *testDevice {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newTestDevice(t, nc, mn, pw)
}

func newTestDevice(t *testing.T, nc net.Conn, mn, pw string) *testDevice {
	d := &testDevice{t: t, nc: nc, mn: mn, pw: pw, frames: make(chan *hj212.Frame, 4096), eof: make(chan struct{})}
	t.Cleanup(func() { nc.Close() })
	go d.read()
	return d
}

func (d *testDevice) read() {
	defer close(d.eof)
	sc := bufio.NewScanner(d.nc)
	var sp hj212.Splitter
	sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
	sc.Split(sp.Split)
	var f hj212.Frame
	for sc.Scan() {
		if err := hj212.Decode(sc.Bytes(), &f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
			d.t.Errorf("device %s: gateway sent an undecodable frame %q: %v", d.mn, sc.Bytes(), err)
			continue
		}
		if !f.CRCOK {
			d.t.Errorf("device %s: gateway sent a frame with a bad CRC: %q", d.mn, sc.Bytes())
		}
		d.frames <- f.Clone()
	}
}

// next returns the next frame of command cn; frames of other commands
// are kept for later calls.
func (d *testDevice) next(cn string) *hj212.Frame {
	d.t.Helper()
	for i, f := range d.held {
		if string(f.CN) == cn {
			d.held = append(d.held[:i], d.held[i+1:]...)
			return f
		}
	}
	deadline := time.After(waitLimit)
	for {
		select {
		case f := <-d.frames:
			if string(f.CN) == cn {
				return f
			}
			d.held = append(d.held, f)
		case <-deadline:
			d.t.Fatalf("device %s: no %s frame from the gateway", d.mn, cn)
			return nil
		}
	}
}

// ackOf returns the 9014 answering the frame with the given QN: the
// gateway sends it only once that frame is committed. (A 9014 of another
// frame, say the live upload that started a back-fill, may come first:
// it is kept for later calls.)
func (d *testDevice) ackOf(qn string) *hj212.Frame {
	d.t.Helper()
	match := func(f *hj212.Frame) bool { return string(f.CN) == "9014" && string(f.QN) == qn }
	for i, f := range d.held {
		if match(f) {
			d.held = append(d.held[:i], d.held[i+1:]...)
			return f
		}
	}
	deadline := time.After(waitLimit)
	for {
		select {
		case f := <-d.frames:
			if match(f) {
				return f
			}
			d.held = append(d.held, f)
		case <-deadline:
			d.t.Fatalf("device %s: no 9014 for QN %s from the gateway", d.mn, qn)
			return nil
		}
	}
}

// drained returns the frames received so far without waiting.
func (d *testDevice) drained() []*hj212.Frame {
	out := d.held
	d.held = nil
	for {
		select {
		case f := <-d.frames:
			out = append(out, f)
		default:
			return out
		}
	}
}

func (d *testDevice) write(b []byte) {
	d.t.Helper()
	if _, err := d.nc.Write(b); err != nil {
		d.t.Fatalf("device %s: write: %v", d.mn, err)
	}
}

// qn returns a fresh QN.
func (d *testDevice) qn() string {
	d.seq++
	return fmt.Sprintf("20261128120000%03d", d.seq%1000)
}

// dataFrame builds an upload frame with Flag=5 (2017, ack requested).
func (d *testDevice) dataFrame(qn, cn string, dt time.Time, kv ...string) []byte {
	m := hj212.Message{QN: qn, ST: "32", CN: cn, PW: d.pw, MN: d.mn, Flag: 5}
	m.CP = append(m.CP, hj212.KV{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))})
	for i := 0; i+1 < len(kv); i += 2 {
		m.CP = append(m.CP, hj212.KV{Key: kv[i], Value: kv[i+1]})
	}
	return m.AppendFrame(nil)
}

// answer sends a 9011/9012 answer to a gateway request.
func (d *testDevice) answer(req *hj212.Frame, cn, cp string) {
	d.write(hj212.AppendReply(nil, req, cn, cp))
}

// waitFor polls cond until it holds (no timing is asserted).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var minuteVals = []string{
	"w01018-Avg", "26.5", "w01018-Min", "20.1", "w01018-Max", "30.2", "w01018-Cou", "1.5", "w01018-Flag", "N",
	"w21003-Avg", "1.25", "w21003-Flag", "N", "w00000-Cou", "56.8",
}
