package gateway

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

// readBufSize is the pooled read buffer: a typical minute frame with eight
// factors is about 400 bytes, so a read usually holds several frames.
const readBufSize = 4096

// frameOverhead is "##" + LLLL + CRC + CRLF around a data segment.
const frameOverhead = 2 + 4 + 4 + 2

// readBuf is what a connection needs only while bytes are arriving. Idle
// connections give it back, so 100,000 idle devices cost their goroutine
// and socket, not 100,000 buffers and decoded frames.
type readBuf struct {
	b      []byte
	f      hj212.Frame
	spans  []span // scratch for building an item's strings
	pooled bool
}

var readBufPool = sync.Pool{New: func() any {
	return &readBuf{b: make([]byte, readBufSize), pooled: true}
}}

// conn is one device connection.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
	ip     netip.Addr
	src    netip.Prefix // the unit the authentication guard counts by
	one    [1]byte      // the idle read: wait for one byte without a buffer
	rb     *readBuf     // nil while idle
	split  hj212.Splitter
	// sessions are the devices authenticated on this connection (usually
	// one; a data logger may relay several MNs). Reader goroutine only.
	sessions []*session

	wmu          sync.Mutex // guards the fields below and writes to nc
	closed       bool
	flushing     bool   // a flush goroutine owns the pending bytes
	outq         []byte // bytes waiting to be written
	recent       [16]uint64
	recentN      int
	wr           rawWriter
	splitSkipped uint64    // split.GarbageBytes already counted
	rxMono       time.Time // monotonic receive time of the current read, for the ack latency
}

func (s *Server) newConn(nc net.Conn, ip netip.Addr) *conn {
	c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String(), ip: ip, src: sourceKey(ip)}
	c.split.MaxSegment = s.cfg.MaxSegment
	c.wr = newRawWriter(nc)
	return c
}

// acceptLoop accepts connections until the listener is closed.
func (s *Server) acceptLoop(ln net.Listener) {
	defer s.acceptWG.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.stopping:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off instead of
			// spinning (as net/http does), and keep serving.
			delay = max(min(delay*2, time.Second), 5*time.Millisecond)
			if n, ok := s.rl.allow("accept"); ok {
				s.log.Warn("gateway: accept failed", slog.Int("suppressed", n), slog.Any("err", err))
			}
			select {
			case <-time.After(delay):
			case <-s.stopping:
				return
			}
			continue
		}
		delay = 0
		s.admit(nc)
	}
}

// admit applies the connection limits and starts the connection.
func (s *Server) admit(nc net.Conn) {
	var ip netip.Addr
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr().Unmap()
	}
	s.mu.Lock()
	reason := ""
	select {
	case <-s.stopping:
		reason = "shutting down"
	default:
		if len(s.conns) >= s.cfg.MaxConns {
			reason = "connection limit"
		} else if s.perIP[ip] >= s.cfg.MaxConnsPerIP {
			reason = "per-address connection limit"
		}
	}
	if reason != "" {
		s.mu.Unlock()
		s.stats.connsRefused.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetLinger(0) // reset: no TIME_WAIT left behind per refused attempt
		}
		nc.Close()
		if n, ok := s.rl.allow("refuse"); ok {
			s.log.Warn("gateway: connection refused", slog.String("remote", nc.RemoteAddr().String()),
				slog.String("reason", reason), slog.Int("suppressed", n))
		}
		return
	}
	c := s.newConn(nc, ip)
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.connWG.Add(1)
	s.mu.Unlock()
	s.stats.connsAccepted.Add(1)
	s.stats.connsOpen.Add(1)
	go c.serve()
}

// serve is the connection's reader: it waits for bytes, frames them and
// handles each frame. It owns the read buffer and the decoded frame.
func (c *conn) serve() {
	s := c.s
	defer s.connWG.Done()
	defer c.finish()
	var start, end int       // pending bytes are c.rb.b[start:end]
	var frameStart time.Time // when the pending partial frame began
	lastData := time.Now()
	maxBuf := s.cfg.MaxSegment + frameOverhead + 64
	for {
		select {
		case <-s.stopping:
			return
		default:
		}
		var n int
		var err error
		if c.rb == nil {
			// Idle: wait for the first byte without holding a buffer.
			c.nc.SetReadDeadline(lastData.Add(s.cfg.IdleTimeout))
			n, err = c.nc.Read(c.one[:])
			if n > 0 {
				c.rb = readBufPool.Get().(*readBuf)
				c.rb.b[0] = c.one[0]
				start, end = 0, 0
			}
		} else {
			if end == len(c.rb.b) {
				switch {
				case start > 0:
					end = copy(c.rb.b, c.rb.b[start:end])
					start = 0
				case len(c.rb.b) < maxBuf:
					nb := make([]byte, maxBuf)
					copy(nb, c.rb.b[:end])
					c.releaseBuf()
					c.rb = &readBuf{b: nb}
				default:
					// The splitter holds a full buffer without a frame:
					// it cannot be a frame we accept. Drop it, resync.
					s.stats.bytesSkipped.Add(uint64(end - start))
					start, end = 0, 0
					frameStart = time.Time{}
				}
			}
			var deadline time.Time
			if end > start {
				// A started frame must complete within FrameTimeout, so
				// a device dribbling bytes (slowloris) cannot hold the
				// connection forever.
				deadline = frameStart.Add(s.cfg.FrameTimeout)
			} else {
				// Between frames the buffer is kept for a short while:
				// a busy device's next frame then costs one read, not
				// the idle one-byte read as well.
				deadline = time.Now().Add(activeHold)
			}
			if idle := lastData.Add(s.cfg.IdleTimeout); idle.Before(deadline) {
				deadline = idle
			}
			c.nc.SetReadDeadline(deadline)
			n, err = c.nc.Read(c.rb.b[end:])
		}
		if n > 0 {
			lastData = time.Now()
			c.rxMono = lastData
			s.stats.bytesReceived.Add(uint64(n))
			end += n
			now := s.cfg.Now()
			produced := false
			for start < end {
				adv, tok, _ := c.split.Split(c.rb.b[start:end], false)
				if adv == 0 && tok == nil {
					break
				}
				start += adv
				if tok != nil {
					produced = true
					c.handleFrame(tok, now)
				}
			}
			c.syncSplitStats()
			if start == end {
				start, end = 0, 0
				frameStart = time.Time{}
			} else if produced || frameStart.IsZero() {
				frameStart = time.Now()
			}
		}
		if err != nil {
			if start == end && c.rb != nil && errors.Is(err, os.ErrDeadlineExceeded) &&
				time.Since(lastData) < s.cfg.IdleTimeout {
				// Quiet for activeHold: give the buffer back.
				c.releaseBuf()
				continue
			}
			c.readEnded(err, end-start)
			return
		}
	}
}

// activeHold is how long a connection keeps its read buffer after a frame.
const activeHold = time.Second

// syncSplitStats adds the splitter's skipped-byte count to the server's.
func (c *conn) syncSplitStats() {
	if d := c.split.GarbageBytes - c.splitSkipped; d > 0 {
		c.s.stats.bytesSkipped.Add(d)
		c.splitSkipped = c.split.GarbageBytes
	}
}

func (c *conn) releaseBuf() {
	if c.rb == nil {
		return
	}
	if c.rb.pooled {
		clear(c.rb.f.CP) // drop references into the buffer
		readBufPool.Put(c.rb)
	}
	c.rb = nil
}

// readEnded counts why a connection's reading stopped; partial is the
// number of bytes of an unfinished frame left in the buffer.
func (c *conn) readEnded(err error, partial int) {
	s := c.s
	select {
	case <-s.stopping:
		return
	default:
	}
	s.stats.bytesSkipped.Add(uint64(partial))
	switch {
	case err == nil || errors.Is(err, io.EOF):
	case errors.Is(err, os.ErrDeadlineExceeded):
		if partial > 0 {
			s.stats.frameTimeouts.Add(1)
			if n, ok := s.rl.allow("frame-timeout"); ok {
				s.log.Warn("gateway: frame not completed in time, closing", slog.String("remote", c.remote),
					slog.Int("suppressed", n))
			}
		} else {
			s.stats.idleClosed.Add(1)
		}
	default:
		if n, ok := s.rl.allow("read"); ok {
			s.log.Info("gateway: read ended", slog.String("remote", c.remote), slog.Int("suppressed", n), slog.Any("err", err))
		}
	}
}

// finish releases the connection once its reader stops. During shutdown
// the connection stays open (Shutdown closes it after the last acks).
func (c *conn) finish() {
	s := c.s
	c.releaseBuf()
	select {
	case <-s.stopping:
		return
	default:
	}
	c.close()
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		if s.perIP[c.ip] <= 1 {
			delete(s.perIP, c.ip)
		} else {
			s.perIP[c.ip]--
		}
		s.stats.connsOpen.Add(-1)
	}
	s.mu.Unlock()
	s.smu.Lock()
	for _, ss := range c.sessions {
		if s.sessions[ss.mn] == ss {
			delete(s.sessions, ss.mn)
		}
	}
	s.smu.Unlock()
	for _, ss := range c.sessions {
		ss.mu.Lock()
		ss.gone = true
		ss.mu.Unlock()
	}
}

// close closes the socket; the reader notices and cleans up.
func (c *conn) close() {
	c.wmu.Lock()
	already := c.closed
	c.closed = true
	c.outq = nil
	c.wmu.Unlock()
	if !already {
		c.nc.Close()
	}
}

// send writes b to the device without blocking the caller: the common
// case is one non-blocking write; what the socket does not take is
// written by a short-lived flush goroutine under WriteTimeout. A device
// that does not read its replies is dropped. b is copied if kept.
func (c *conn) send(b []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return false
	}
	if c.flushing {
		if len(c.outq)+len(b) > maxOutq {
			c.dropSlowLocked()
			return false
		}
		c.outq = append(c.outq, b...)
		return true
	}
	n, err := c.wr.tryWrite(b)
	if err != nil {

		c.closed = true
		c.nc.Close()
		return false
	}
	if n < len(b) {
		c.outq = append(c.outq[:0], b[n:]...)
		c.flushing = true
		go c.flush()
	}
	return true
}

// maxOutq bounds the replies queued for a device that is not reading.
const maxOutq = 64 << 10

func (c *conn) dropSlowLocked() {
	c.closed = true
	c.outq = nil
	c.nc.Close()
	c.s.stats.slowClosed.Add(1)
	if n, ok := c.s.rl.allow("slow"); ok {
		c.s.log.Warn("gateway: device does not read its replies, closing", slog.String("remote", c.remote),
			slog.Int("suppressed", n))
	}
}

func (c *conn) flush() {
	for {
		c.wmu.Lock()
		if c.closed || len(c.outq) == 0 {
			c.flushing = false
			c.outq = nil
			// The next reply is tried non-blocking again: a deadline
			// left behind would expire under it and close a device that
			// reads after all.
			c.nc.SetWriteDeadline(time.Time{})
			c.wmu.Unlock()
			return
		}
		buf := c.outq
		c.outq = nil
		c.wmu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		if _, err := c.nc.Write(buf); err != nil {

			c.wmu.Lock()
			c.flushing = false
			if !c.closed {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					c.dropSlowLocked()
				} else {
					c.closed = true
					c.outq = nil
					c.nc.Close()
				}
			}
			c.wmu.Unlock()
			return
		}
	}
}

// remember records a committed frame's key, to tell its retransmissions.
func (c *conn) remember(k uint64) {
	c.wmu.Lock()
	c.recent[c.recentN%len(c.recent)] = k
	c.recentN++
	c.wmu.Unlock()
}

func (c *conn) seen(k uint64) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, r := range c.recent {
		if r == k {
			return true
		}
	}
	return false
}
