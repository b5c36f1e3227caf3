package simulator

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

// fakeGW is a tiny gateway for tests: it frames and decodes what devices
// send, records it, acknowledges uploads that ask for it (unless silent)
// and can send requests on connect.
type fakeGW struct {
	t  *testing.T
	ln net.Listener

	mu      sync.Mutex
	silent  bool // never send 9014
	frames  []got
	bad     int // frames that did not decode or had a bad CRC
	garbage int // bytes skipped between frames
	conns   int
	// onConnect runs for each new connection, before reading.
	onConnect func(c net.Conn)
	wg        sync.WaitGroup
}

type got struct {
	conn int
	raw  []byte
	fr   *hj212.Frame
}

func newFakeGW(t *testing.T) *fakeGW {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGW{t: t, ln: ln}
	g.wg.Add(1)
	go g.accept()
	t.Cleanup(func() {
		ln.Close()
		g.wg.Wait()
	})
	return g
}

func (g *fakeGW) addr() string { return g.ln.Addr().String() }

// setSilent and setOnConnect change the gateway's behaviour under its lock:
// its connections read them concurrently.
func (g *fakeGW) setSilent(v bool) {
	g.mu.Lock()
	g.silent = v
	g.mu.Unlock()
}

func (g *fakeGW) setOnConnect(f func(c net.Conn)) {
	g.mu.Lock()
	g.onConnect = f
	g.mu.Unlock()
}

func (g *fakeGW) accept() {
	defer g.wg.Done()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		open = append(open, c)
		g.mu.Lock()
		g.conns++
		id := g.conns
		hook := g.onConnect
		g.mu.Unlock()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer c.Close()
			if hook != nil {
				hook(c)
			}
			g.serve(id, c)
		}()
	}
}

func (g *fakeGW) serve(id int, c net.Conn) {
	var sp hj212.Splitter
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 16<<10)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			adv, tok, _ := sp.Split(buf, false)
			if adv == 0 {
				break
			}
			if tok != nil {
				g.handle(id, c, tok)
			}
			buf = buf[adv:]
		}
		g.mu.Lock()
		g.garbage += int(sp.GarbageBytes)
		sp.GarbageBytes = 0
		g.mu.Unlock()
		buf = append(buf[:0:0], buf...)
		if err != nil {
			return
		}
	}
}

func (g *fakeGW) handle(id int, c net.Conn, tok []byte) {
	raw := append([]byte(nil), tok...)
	var fr hj212.Frame
	err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Tolerant, AcceptModbusCRC: true})
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil || !fr.CRCOK {
		g.bad++
		return
	}
	g.frames = append(g.frames, got{conn: id, raw: raw, fr: fr.Clone()})
	if fr.NeedsAck() && !g.silent {
		c.Write(hj212.AppendReply(nil, &fr, hj212.CNDataAnswer, ""))
	}
}

// snapshot returns the frames received so far.
func (g *fakeGW) snapshot() []got {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]got(nil), g.frames...)
}

// byCN returns the received frames with command cn.
func (g *fakeGW) byCN(cn string) []got {
	var out []got
	for _, f := range g.snapshot() {
		if string(f.fr.CN) == cn {
			out = append(out, f)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after a generous
// bound (this is not a timing assertion: it only avoids hanging).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// request builds a platform request to a device (Flag=5, ack wanted).
func request(qn, cn, mn, pw string, cp ...hj212.KV) []byte {
	m := hj212.Message{QN: qn, ST: "32", CN: cn, PW: pw, MN: mn, Flag: 5, CP: cp}
	return m.AppendFrame(nil)
}

func cpValue(fr *hj212.Frame, key string) string {
	v, _ := fr.Get(key)
	return string(bytes.TrimSpace(v))
}

type netConn = net.Conn
