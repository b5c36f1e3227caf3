package gateway

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// roundTrip sends one upload from a well-behaved device and waits for its
// ack: the assertion is that the ack arrives, not how fast.
func roundTrip(t *testing.T, d *testDevice, i int) {
	t.Helper()
	qn := d.qn()
	d.write(d.dataFrame(qn, "2051", t0.Add(-time.Duration(i)*10*time.Minute), minuteVals...))
	for {
		if ack := d.next("9014"); string(ack.QN) == qn {
			return
		}
	}
}

func TestHostileInput(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.FrameTimeout = 300 * time.Millisecond // keeps the test short; nothing asserts it
	cfg.MaxConnsPerIP = 50
	s := startServer(t, cfg, st)
	addr := s.Addr().String()
	good := dialDevice(t, addr, testDevices[2].MN, testDevices[2].Password)
	n := 0
	check := func() {
		t.Helper()
		n++
		roundTrip(t, good, n)
	}
	check()

	t.Run("random bytes", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := rand.New(rand.NewPCG(1, 2))
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(r.Uint32())
			if i%997 == 0 { // plenty of false starts
				copy(buf[i:], "##0")
			}
		}
		before := s.Stats().BytesSkipped
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write(buf)
		}()
		check()
		wg.Wait()
		waitFor(t, "the random bytes to be skipped", func() bool { return s.Stats().BytesSkipped-before > 1<<19 })
		check()
	})

	t.Run("length 9999 with a short body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A short body that still ends like a frame: framed by its
		// ending, then rejected (the CRC cannot match).
		before := s.Stats().RejectedReceived
		c.Write([]byte("##9999QN=20261128120000001;ST=32;CN=2051;PW=123456;MN=X;Flag=5;CP=&&&&1234\r\n"))
		check()
		waitFor(t, "the short frame to be rejected", func() bool { return s.Stats().RejectedReceived > before })
		// A short body that never ends: the frame deadline closes it.
		c.Write([]byte("##9999QN=20261128120000002;ST=32;CN=2051;PW=123456;MN=X;Flag=5;CP=&&a"))
		check()
		waitForEOF(t, c)
		check()
	})

	t.Run("a frame that never ends", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Write([]byte("##0400QN=2026"))
			chunk := bytes.Repeat([]byte("A"), 4096)
			for range 256 { // 1 MiB without a frame end
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		check()
		<-done
		check()
	})

	t.Run("slowloris", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		d := &testDevice{t: t, mn: testDevices[0].MN, pw: testDevices[0].Password}
		f := d.dataFrame("20261128120000001", "2051", t0, minuteVals...)
		stop := make(chan struct{})
		go func() {
			for _, b := range f {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
		defer close(stop)
		check()
		check()
		waitForEOF(t, c)
		if s.Stats().ConnsFrameTimeout == 0 {
			t.Error("slowloris closed without counting a frame timeout")
		}
		check()
	})

	t.Run("10000 connections from one address", func(t *testing.T) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		before := s.Stats().ConnsRefused
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 10000 {
			c, err := d.Dial("tcp", addr)
			if err != nil {
				// The gateway's reset of a refused connection can
				// arrive before the dial completes.
				if errors.Is(err, syscall.ECONNRESET) {
					continue
				}
				t.Fatalf("dial: %v", err)
			}
			conns = append(conns, c)
		}
		waitFor(t, "refusals", func() bool { return s.Stats().ConnsRefused-before >= uint64(10000-cfg.MaxConnsPerIP) })
		// Another address still gets in, and the old device still works.
		fresh := dialDevice(t, addr, testDevices[1].MN, testDevices[1].Password)
		roundTrip(t, fresh, 1)
		check()
		if got := s.Stats().ConnsRefused - before; got != uint64(10000-cfg.MaxConnsPerIP) {
			t.Errorf("refused %d, want %d", got, 10000-cfg.MaxConnsPerIP)
		}
	})
	check()
}

func waitForEOF(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLimit))
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection not closed by the gateway")
			}
			return
		}
	}
}

// TestSlowReaderDropped: a device that never reads its replies is dropped
// once its queued replies exceed the bound, and others are unaffected.
func TestSlowReaderDropped(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.WriteTimeout = 200 * time.Millisecond
	s := startServer(t, cfg, st)
	addr := s.Addr().String()
	good := dialDevice(t, addr, testDevices[2].MN, testDevices[2].Password)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(4096)
	// Small kernel buffers on both ends, so that the test needs few acks
	// to fill them.
	waitFor(t, "the server side of the connection", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for sc := range s.conns {
			if sc.remote == c.LocalAddr().String() {
				sc.nc.(*net.TCPConn).SetWriteBuffer(4096)
				return true
			}
		}
		return false
	})
	d := &testDevice{t: t, mn: testDevices[0].MN, pw: testDevices[0].Password}
	go func() {
		// Send acked uploads forever and never read.
		for i := 0; ; i++ {
			if _, err := c.Write(d.dataFrame(d.qn(), "2011", t0.Add(-time.Duration(i)*time.Second), "w01018-Rtd", "1")); err != nil {
				return
			}
		}
	}()
	roundTrip(t, good, 1)
	waitFor(t, "the slow reader to be dropped", func() bool { return s.Stats().ConnsSlowClosed == 1 })
	roundTrip(t, good, 2)
}
