package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// benchFactors are the eight factors of a typical flue-gas minute frame.
var benchFactors = []string{"a21026", "a21002", "a34013", "a19001", "a01012", "a01013", "a01014", "a00000"}

// BenchmarkGatewayIngest runs in-process TCP devices against the gateway
// with a real SQLite store (synchronous=full) in a temporary directory.
// Each device behaves like a real one: it sends a 2051 minute frame
// (8 factors × Avg/Min/Max/Flag = 32 values, Flag=5) and waits for the
// 9014 before sending the next. It reports acknowledged frames/s, values/s
// and the p99 ack latency (bucket bound) seen by the gateway.
func BenchmarkGatewayIngest(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) { benchIngest(b, n, storetest.Open(b, storetest.SQLite)) })
	}
	// The gateway's own cost: a store that commits instantly.
	b.Run("devices=1000/store=null", func(b *testing.B) { benchIngest(b, 1000, nullStore{}) })
}

// nullStore commits nothing, instantly.
type nullStore struct{}

func (nullStore) CommitBatch(context.Context, *store.Batch) error { return nil }
func (nullStore) UploadTimes(context.Context, string, string, time.Time, time.Time) ([]time.Time, error) {
	return nil, nil
}

func benchIngest(b *testing.B, ndev int, st Store) {
	devs := make([]model.Device, ndev)
	for i := range devs {
		devs[i] = model.Device{MN: fmt.Sprintf("BENCH%019d", i), Password: "123456", Protocol: "2017", ST: "31"}
	}
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.BackfillWindow = -1
	cfg.DisableTimeCalibration = true
	cfg.MaxConnsPerIP = ndev + 10
	s := New(cfg, st, NewDeviceTable(devs), nil)
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	per := (b.N + ndev - 1) / ndev
	frames := make([][][]byte, ndev)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	values := 0
	for d := range devs {
		frames[d] = make([][]byte, per)
		for i := range per {
			m := hj212.Message{QN: string(hj212.FormatQN(nil, base.Add(time.Duration(i)*time.Millisecond))),
				ST: "31", CN: "2051", PW: "123456", MN: devs[d].MN, Flag: 5}
			m.CP = append(m.CP, hj212.KV{Key: "DataTime", Value: string(hj212.FormatTime(nil, base.Add(time.Duration(i)*time.Minute)))})
			for k, f := range benchFactors {
				v := fmt.Sprintf("%d.%02d", 10+k+i%7, (d+i)%100)
				m.CP = append(m.CP, hj212.KV{Key: f + "-Avg", Value: v}, hj212.KV{Key: f + "-Min", Value: v},
					hj212.KV{Key: f + "-Max", Value: v}, hj212.KV{Key: f + "-Flag", Value: "N"})
			}
			values = len(m.CP) - 1
			frames[d][i] = m.AppendFrame(nil)
		}
	}
	conns := make([]net.Conn, ndev)
	for d := range conns {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[d] = c
	}

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for d := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sp hj212.Splitter
			sc := bufio.NewScanner(conns[d])
			sc.Split(sp.Split)
			for _, f := range frames[d] {
				if _, err := conns[d].Write(f); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				if !sc.Scan() {
					mu.Lock()
					firstErr = fmt.Errorf("no ack: %v", sc.Err())
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	total := per * ndev
	stats := s.Stats()
	if stats.AcksSent < uint64(total) {
		b.Fatalf("acks sent %d, want %d", stats.AcksSent, total)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "frames/s")
	b.ReportMetric(float64(total*values)/elapsed.Seconds(), "values/s")
	b.ReportMetric(float64(stats.AckLatency.Quantile(0.99).Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(float64(stats.CommitFrames)/float64(max(stats.Commits, 1)), "frames/commit")
}

// BenchmarkStoreCommitDirect is the reference for BenchmarkGatewayIngest:
// the same frames committed straight to the same kind of store in batches
// of 500, with no network, decoding or acks.
func BenchmarkStoreCommitDirect(b *testing.B) {
	st := storetest.Open(b, storetest.SQLite)
	const batch = 500
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var f hj212.Frame
	mk := func(i int) (model.Upload, model.RawFrame) {
		mn := fmt.Sprintf("BENCH%019d", i%1000)
		m := hj212.Message{QN: string(hj212.FormatQN(nil, base)), ST: "31", CN: "2051", PW: "123456", MN: mn, Flag: 5}
		dt := base.Add(time.Duration(i/1000) * time.Minute)
		m.CP = append(m.CP, hj212.KV{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))})
		for k, fc := range benchFactors {
			v := fmt.Sprintf("%d.%02d", 10+k, i%100)
			m.CP = append(m.CP, hj212.KV{Key: fc + "-Avg", Value: v}, hj212.KV{Key: fc + "-Min", Value: v},
				hj212.KV{Key: fc + "-Max", Value: v}, hj212.KV{Key: fc + "-Flag", Value: "N"})
		}
		raw := m.AppendFrame(nil)
		if err := hj212.Decode(raw, &f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
			b.Fatal(err)
		}
		u := model.Upload{MN: mn, CN: "2051", DataTime: dt}
		for _, p := range f.CP[1:] {
			fa, fi := hj212.SplitKey(p.Key)
			u.Values = append(u.Values, model.Value{Factor: string(fa), Field: string(fi), Value: string(p.Value)})
		}
		return u, model.RawFrame{ReceivedAt: base, Remote: "127.0.0.1:1", MN: mn, CN: "2051", QN: m.QN, Status: model.RawAccepted, Raw: raw}
	}
	batches := make([]*store.Batch, (b.N+batch-1)/batch)
	for i := range b.N {
		bt := batches[i/batch]
		if bt == nil {
			bt = &store.Batch{}
			batches[i/batch] = bt
		}
		u, r := mk(i)
		bt.Uploads = append(bt.Uploads, u)
		bt.Raw = append(bt.Raw, r)
		bt.Contacts = append(bt.Contacts, model.Contact{MN: u.MN, At: base, Remote: r.Remote, CN: "2051"})
	}
	b.ResetTimer()
	start := time.Now()
	for _, bt := range batches {
		if err := st.CommitBatch(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
}

// BenchmarkIdleConnMemory measures what an idle device connection costs
// the gateway's process (heap and goroutine stacks, not kernel socket
// buffers): 2000 devices connect, each sends one acked frame, then idles.
// The target is 100,000 idle connections in 2 GiB, about 20 KiB each.
func BenchmarkIdleConnMemory(b *testing.B) {
	const n = 2000
	devs := make([]model.Device, n)
	for i := range devs {
		devs[i] = model.Device{MN: fmt.Sprintf("IDLE%020d", i), Password: "123456", Protocol: "2017"}
	}
	for range b.N {
		st := newFakeStore()
		cfg := DefaultConfig()
		cfg.Addr = "127.0.0.1:0"
		cfg.BackfillWindow = -1
		cfg.MaxConnsPerIP = n + 1
		s := New(cfg, st, NewDeviceTable(devs), nil)
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		before := memInUse()
		conns := make([]net.Conn, n)
		buf := make([]byte, 4096)
		for i := range conns {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			conns[i] = c
			m := hj212.Message{QN: "20260101000000000", ST: "31", CN: "2051", PW: "123456", MN: devs[i].MN, Flag: 5,
				CP: []hj212.KV{{Key: "DataTime", Value: "20260101000000"}, {Key: "a21026-Avg", Value: "1"}}}
			c.Write(m.AppendFrame(nil))
		}
		// Wait for every ack (and the 1012), so each connection went
		// through a full frame before idling.
		for _, c := range conns {
			var sp hj212.Splitter
			got := 0
			for data := []byte(nil); got < 2; {
				k, err := c.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				data = append(data, buf[:k]...)
				for {
					adv, tok, _ := sp.Split(data, false)
					if adv == 0 {
						break
					}
					data = data[adv:]
					if tok != nil {
						got++
					}
				}
			}
		}
		time.Sleep(activeHold + 200*time.Millisecond) // the read buffers go back to the pool
		after := memInUse()
		b.ReportMetric(float64(after-before)/n/1024, "KiB/conn")
		for _, c := range conns {
			c.Close()
		}
		s.Shutdown(context.Background())
	}
}

// memInUse is the heap and stack memory in use after a full collection.
// It includes the client ends of the connections in this process, so the
// figure is an upper bound for the gateway's share.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

// BenchmarkHandleFrame is the per-frame cost of the connection goroutine:
// decode, authenticate, copy what the batch keeps, and queue.
func BenchmarkHandleFrame(b *testing.B) {
	dev := model.Device{MN: "BENCH0000000000000000001", Password: "123456", Protocol: "2017"}
	cfg := DefaultConfig()
	cfg.DisableTimeCalibration = true
	s := New(cfg, nullStore{}, NewDeviceTable([]model.Device{dev}), nil)
	cli, srv := net.Pipe()
	defer cli.Close()
	c := s.newConn(srv, netip.Addr{})
	c.rb = readBufPool.Get().(*readBuf)
	m := hj212.Message{QN: "20260101000000000", ST: "31", CN: "2051", PW: "123456", MN: dev.MN, Flag: 4}
	m.CP = append(m.CP, hj212.KV{Key: "DataTime", Value: "20260101000000"})
	for k, f := range benchFactors {
		v := fmt.Sprintf("%d.25", 10+k)
		m.CP = append(m.CP, hj212.KV{Key: f + "-Avg", Value: v}, hj212.KV{Key: f + "-Min", Value: v},
			hj212.KV{Key: f + "-Max", Value: v}, hj212.KV{Key: f + "-Flag", Value: "N"})
	}
	frame := m.AppendFrame(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for it := range s.items {
			putItem(it)
		}
	}()
	c.sessions = []*session{{s: s, c: c, mn: dev.MN}} // not the first frame: no 1012
	now := time.Now()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		c.handleFrame(frame, now)
	}
	b.StopTimer()
	close(s.items)
	<-done
}
