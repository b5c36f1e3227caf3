package simulator

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

var t0 = time.Date(2025, 3, 12, 9, 0, 0, 0, hj212.CST())

// buildOne builds one upload of device d without a network.
func buildOne(t *testing.T, d Device, it item) []byte {
	t.Helper()
	s, err := New(Config{Addr: "127.0.0.1:1", Devices: []Device{d}, Seed: 7, Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	dv := s.devs[0]
	dv.buildData(t0, it)
	return append([]byte(nil), dv.out...)
}

func TestFramesPerProtocolAndQuirk(t *testing.T) {
	tests := []struct {
		protocol string
		quirks   Quirk
		want     hj212.Deviation // deviations tolerant decoding must report
		strictOK bool            // the frame also passes Strict decoding
		flag     int
		version  hj212.Version
	}{
		{"2017", 0, 0, true, 5, hj212.V2017},
		{"2025", 0, 0, true, 9, hj212.V2025},
		{"2005", 0, 0, false, -1, hj212.V2005},
		{"2017", QuirkLowercaseCRC, hj212.DevLowercaseCRC, false, 5, hj212.V2017},
		{"2017", QuirkLFOnly, hj212.DevLFOnly, false, 5, hj212.V2017},
		{"2017", QuirkSpaceAfterSemi, hj212.DevSpaceAfterSemicolon, false, 5, hj212.V2017},
		{"2017", QuirkEpochQN, hj212.DevEpochQN, false, 5, hj212.V2017},
		{"2017", QuirkModbusCRC, hj212.DevModbusCRC, false, 5, hj212.V2017},
		{"2017", QuirkStraySemi, hj212.DevStraySemicolon, false, 5, hj212.V2017},
		{"2025", QuirkLowercaseCRC | QuirkLFOnly | QuirkStraySemi, hj212.DevLowercaseCRC | hj212.DevLFOnly | hj212.DevStraySemicolon, false, 9, hj212.V2025},
	}
	for _, tt := range tests {
		for _, cn := range []string{"2011", "2051", "2061", "2031"} {
			name := fmt.Sprintf("%s/%s/%s", tt.protocol, tt.quirks, cn)
			t.Run(name, func(t *testing.T) {
				d := Generate(2, GenerateOptions{Protocol: tt.protocol})[1] // a water device
				d.Behaviour.Quirks = tt.quirks
				at := t0
				if cn != "2011" {
					at = periodStart(t0, periodOf(cn, 10*time.Minute))
				}
				raw := buildOne(t, d, item{kind: itemData, cn: cn, at: at})
				var fr hj212.Frame
				err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Tolerant, AcceptModbusCRC: tt.quirks&QuirkModbusCRC != 0})
				if err != nil {
					t.Fatalf("decode %q: %v", raw, err)
				}
				if !fr.CRCOK {
					t.Fatalf("CRC not OK: %q", raw)
				}
				if !fr.Deviations.Has(tt.want) {
					t.Errorf("deviations %v, want at least %v", fr.Deviations, tt.want)
				}
				if tt.quirks&QuirkModbusCRC != 0 {
					// Without the device's tolerance the CRC must not pass.
					var f2 hj212.Frame
					if err := hj212.Decode(raw, &f2, hj212.Options{Mode: hj212.Tolerant}); err != nil || f2.CRCOK {
						t.Errorf("Modbus CRC accepted without AcceptModbusCRC (err %v)", err)
					}
				}
				if tt.strictOK {
					var f3 hj212.Frame
					if err := hj212.Decode(raw, &f3, hj212.Options{Mode: hj212.Strict}); err != nil {
						t.Errorf("strict decode: %v\n%s", err, raw)
					}
				}
				if fr.Flag != tt.flag || fr.Version != tt.version {
					t.Errorf("Flag %d version %v, want %d %v", fr.Flag, fr.Version, tt.flag, tt.version)
				}
				if string(fr.CN) != cn || string(fr.MN) != d.MN || string(fr.PW) != d.Password || string(fr.ST) != "32" {
					t.Errorf("header CN=%s MN=%s PW=%s ST=%s", fr.CN, fr.MN, fr.PW, fr.ST)
				}
				if tt.protocol == "2005" {
					if len(fr.QN) != 0 || len(fr.MN) != 14 {
						t.Errorf("2005 frame: QN %q, MN %q (want no QN, 14 characters)", fr.QN, fr.MN)
					}
				} else if len(fr.MN) != 24 {
					t.Errorf("MN %q: want 24 characters", fr.MN)
				}
				dt, err := fr.DataTime()
				if err != nil || !dt.Equal(at) {
					t.Errorf("DataTime %v (%v), want %v", dt, err, at)
				}
				field := "Avg"
				if cn == "2011" {
					field = "Rtd"
				}
				if _, ok := fr.Get("w01018-" + field); !ok {
					t.Errorf("no w01018-%s in %s", field, raw)
				}
			})
		}
	}
}

// TestEncoderMatchesHJ212 checks the simulator's own encoder against the
// hj212 package's for a plain frame.
func TestEncoderMatchesHJ212(t *testing.T) {
	d := Generate(1, GenerateOptions{})[0]
	raw := buildOne(t, d, item{kind: itemData, cn: "2051", at: t0})
	var fr hj212.Frame
	if err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Strict}); err != nil {
		t.Fatal(err)
	}
	m := hj212.Message{QN: string(fr.QN), ST: string(fr.ST), CN: string(fr.CN), PW: string(fr.PW), MN: string(fr.MN), Flag: fr.Flag}
	for _, p := range fr.CP {
		m.CP = append(m.CP, hj212.KV{Key: string(p.Key), Value: string(p.Value)})
	}
	if want := m.AppendFrame(nil); string(want) != string(raw) {
		t.Errorf("simulator frame\n%s\nhj212.Message frame\n%s", raw, want)
	}
}

func TestSplitPackets(t *testing.T) {
	d := Generate(1, GenerateOptions{})[0]
	d.Behaviour.Split = true
	var keys = map[string]bool{}
	for pno := 1; pno <= 2; pno++ {
		raw := buildOne(t, d, item{kind: itemData, cn: "2061", at: t0, pno: pno})
		var fr hj212.Frame
		if err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Strict}); err != nil {
			t.Fatalf("packet %d: %v", pno, err)
		}
		if fr.Flag != 7 || fr.PNUM != 2 || fr.PNO != pno {
			t.Errorf("packet %d: Flag=%d PNUM=%d PNO=%d, want 7, 2, %d", pno, fr.Flag, fr.PNUM, fr.PNO, pno)
		}
		for _, p := range fr.CP {
			if keys[string(p.Key)] && string(p.Key) != "DataTime" {
				t.Errorf("key %s in both packets", p.Key)
			}
			keys[string(p.Key)] = true
		}
	}
	for _, code := range NewGenerator(7, d).Factors() {
		if !keys[code+"-Avg"] {
			t.Errorf("%s-Avg in neither packet", code)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	d := Generate(1, GenerateOptions{Password: "123456"})[0]
	d.Behaviour.WrongPassword = true
	raw := buildOne(t, d, item{kind: itemData, cn: "2051", at: t0})
	var fr hj212.Frame
	if err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Strict}); err != nil {
		t.Fatal(err)
	}
	if string(fr.PW) == "123456" || len(fr.PW) != 6 {
		t.Errorf("PW %q: want a different six-character password", fr.PW)
	}
}

func TestAckAndLatency(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(3, GenerateOptions{})
	var mu sync.Mutex
	acked := map[string][]time.Time{}
	cfg := Config{Addr: gw.addr(), Devices: devs, Seed: 1, FlatOut: true, FlatOutFrames: 20, MinInterval: time.Minute,
		FlatOutStart: t0, OnAck: func(e AckEvent) {
			mu.Lock()
			acked[e.MN] = append(acked[e.MN], e.DataTime)
			mu.Unlock()
		}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	s.Wait()
	st := s.Stats()
	if st.Sent != 60 || st.Acked != 60 || st.Failed != 0 || st.Retransmitted != 0 {
		t.Errorf("sent %d acked %d failed %d retransmitted %d, want 60 60 0 0", st.Sent, st.Acked, st.Failed, st.Retransmitted)
	}
	if st.LatencyP50 <= 0 || st.LatencyP99 < st.LatencyP50 {
		t.Errorf("latency p50 %v p99 %v", st.LatencyP50, st.LatencyP99)
	}
	var values uint64
	for _, f := range gw.byCN("2051") {
		values += uint64(len(f.fr.CP) - 1) // DataTime is not a value
	}
	if st.Values != values {
		t.Errorf("values %d, want %d (CP items of the frames, DataTime excluded)", st.Values, values)
	}
	for _, d := range devs {
		ts := acked[d.MN]
		if len(ts) != 20 {
			t.Fatalf("%s: %d acks, want 20", d.MN, len(ts))
		}
		for i, dt := range ts {
			if want := t0.Add(time.Duration(i) * time.Minute); !dt.Equal(want) {
				t.Errorf("%s ack %d: DataTime %v, want %v", d.MN, i, dt, want)
			}
		}
	}
	if n := len(gw.byCN("2051")); n != 60 {
		t.Errorf("gateway got %d 2051 frames, want 60", n)
	}
}

func TestRetransmitExactlyReCount(t *testing.T) {
	gw := newFakeGW(t)
	gw.setSilent(true)
	devs := Generate(1, GenerateOptions{})
	var failed []AckEvent
	cfg := Config{Addr: gw.addr(), Devices: devs, FlatOut: true, FlatOutFrames: 1, OverTime: 30 * time.Millisecond, ReCount: 3,
		ReconnectDelay: 10 * time.Millisecond, OnFail: func(e AckEvent) { failed = append(failed, e) }}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	s.Wait()
	frames := gw.byCN("2051")
	if len(frames) != 4 {
		t.Fatalf("gateway got %d frames, want 1 + ReCount = 4", len(frames))
	}
	for _, f := range frames[1:] {
		if string(f.raw) != string(frames[0].raw) {
			t.Errorf("retransmission differs:\n%s\n%s", f.raw, frames[0].raw)
		}
	}
	st := s.Stats()
	if st.Sent != 1 || st.Retransmitted != 3 || st.Failed != 1 || st.Acked != 0 || len(failed) != 1 {
		t.Errorf("sent %d retransmitted %d failed %d acked %d (OnFail %d), want 1 3 1 0 (1)", st.Sent, st.Retransmitted, st.Failed, st.Acked, len(failed))
	}
	if st.Errors[devs[0].MN].Count == 0 {
		t.Errorf("no per-device error recorded: %+v", st.Errors)
	}
}

// TestRetransmitThenAck: an ack that comes for a retransmission ends the
// retries; the frame counts once.
func TestRetransmitThenAck(t *testing.T) {
	gw := newFakeGW(t)
	gw.setSilent(true)
	devs := Generate(1, GenerateOptions{})
	cfg := Config{Addr: gw.addr(), Devices: devs, FlatOut: true, FlatOutFrames: 1, OverTime: 30 * time.Millisecond, ReCount: 3}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, "a retransmission", func() bool { return len(gw.byCN("2051")) >= 2 })
	gw.setSilent(false)
	s.Wait()
	st := s.Stats()
	if st.Acked != 1 || st.Failed != 0 || st.Sent != 1 {
		t.Errorf("acked %d failed %d sent %d, want 1 0 1", st.Acked, st.Failed, st.Sent)
	}
	if st.LatencyP50 < 30*time.Millisecond {
		t.Errorf("latency %v counts from the first transmission: want ≥ OverTime", st.LatencyP50)
	}
}

func TestTimeCalibrationAnswered(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(1, GenerateOptions{Password: "654321"})
	gw.setOnConnect(func(c netConn) {
		c.Write(request("20250312090000123", "1012", devs[0].MN, "654321", hj212.KV{Key: "SystemTime", Value: "20250312090001"}))
		c.Write(request("20250312090000124", "1000", devs[0].MN, "654321", hj212.KV{Key: "OverTime", Value: "7"}, hj212.KV{Key: "ReCount", Value: "2"}))
		c.Write(request("20250312090000125", "1063", devs[0].MN, "654321"))
	})
	s, err := New(Config{Addr: gw.addr(), Devices: devs, Uploads: UploadNone, NoBootFrame: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, "9012 answers", func() bool { return len(gw.byCN("9012")) >= 3 })
	r1 := gw.byCN("9011")
	r2 := gw.byCN("9012")
	want := map[string]bool{"20250312090000123": true, "20250312090000124": true, "20250312090000125": true}
	for _, r := range append(r1, r2...) {
		if !want[string(r.fr.QN)] {
			t.Errorf("reply with QN %s", r.fr.QN)
		}
		if string(r.fr.ST) != "91" || r.fr.Flag != 4 || string(r.fr.PW) != "654321" || string(r.fr.MN) != devs[0].MN {
			t.Errorf("reply header: %s", r.raw)
		}
	}
	for _, r := range r1 {
		if cpValue(r.fr, "QnRtn") != "1" {
			t.Errorf("9011: %s", r.raw)
		}
	}
	for _, r := range r2 {
		if cpValue(r.fr, "ExeRtn") != "1" {
			t.Errorf("9012: %s", r.raw)
		}
	}
	// The 9011 precedes the 9012 of the same request.
	all := gw.snapshot()
	pos := map[string]int{}
	for i, f := range all {
		pos[string(f.fr.CN)+string(f.fr.QN)] = i
	}
	for qn := range want {
		if pos["9011"+qn] > pos["9012"+qn] {
			t.Errorf("QN %s: 9012 before 9011", qn)
		}
	}
	mi := gw.byCN("1063")
	if len(mi) != 1 || cpValue(mi[0].fr, "MinInterval") != "10" {
		t.Errorf("1063 answer: %v", mi)
	}
	dv := s.devs[0]
	waitFor(t, "settings", func() bool { return s.Stats().Commands == 3 })
	if dv.overTime != 7*time.Second || dv.reCount != 2 {
		t.Errorf("after 1000: OverTime %v ReCount %d, want 7s 2", dv.overTime, dv.reCount)
	}
}

func TestBackfillAnswersFromHistory(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(2, GenerateOptions{})
	dev := devs[1] // water
	start := time.Now()
	begin := periodStart(start.Add(-2*time.Hour), 10*time.Minute)
	end := begin.Add(50 * time.Minute)
	gw.setOnConnect(func(c netConn) {
		c.Write(request("20250312090000200", "2051", dev.MN, dev.Password,
			hj212.KV{Key: "BeginTime", Value: string(hj212.FormatTime(nil, begin))}, hj212.KV{Key: "EndTime", Value: string(hj212.FormatTime(nil, end))}))
		// Before the device's history: no data.
		old := start.Add(-30 * 24 * time.Hour)
		c.Write(request("20250312090000201", "2061", dev.MN, dev.Password,
			hj212.KV{Key: "BeginTime", Value: string(hj212.FormatTime(nil, old))}, hj212.KV{Key: "EndTime", Value: string(hj212.FormatTime(nil, old.Add(time.Hour)))}))
	})
	s, err := New(Config{Addr: gw.addr(), Devices: []Device{dev}, Seed: 42, Start: start, Uploads: UploadNone, NoBootFrame: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, "both 9012", func() bool { return len(gw.byCN("9012")) == 2 })

	exe := map[string]string{}
	for _, r := range gw.byCN("9012") {
		exe[string(r.fr.QN)] = cpValue(r.fr, "ExeRtn")
	}
	if exe["20250312090000200"] != "1" || exe["20250312090000201"] != "100" {
		t.Errorf("ExeRtn %v, want 1 for the recent range and 100 (no data) for the old one", exe)
	}
	frames := gw.byCN("2051")
	if len(frames) != 6 {
		t.Fatalf("got %d history frames, want 6 (10-min periods %v..%v)", len(frames), begin, end)
	}
	gen := NewGenerator(42, dev)
	for i, f := range frames {
		want := begin.Add(time.Duration(i) * 10 * time.Minute)
		dt, err := f.fr.DataTime()
		if err != nil || !dt.Equal(want) {
			t.Errorf("frame %d DataTime %v, want %v", i, dt, want)
		}
		if f.fr.Flag != 5 {
			t.Errorf("history frame Flag %d, want 5 (ack requested)", f.fr.Flag)
		}
		for _, a := range gen.Period(want, 10*time.Minute) {
			if got, want := cpValue(f.fr, a.Code+"-Avg"), strconv.FormatFloat(a.Avg, 'f', precOf(a.Code), 64); got != want {
				t.Errorf("frame %d %s-Avg = %s, want %s", i, a.Code, got, want)
			}
		}
	}
	// The 9012 comes after the last history frame.
	all := gw.snapshot()
	last2051, exePos := -1, -1
	for i, f := range all {
		switch {
		case string(f.fr.CN) == "2051":
			last2051 = i
		case string(f.fr.CN) == "9012" && string(f.fr.QN) == "20250312090000200":
			exePos = i
		}
	}
	if exePos < last2051 {
		t.Errorf("9012 at %d before the last history frame at %d", exePos, last2051)
	}
	if st := s.Stats(); st.Backfilled != 6 || st.Acked != 6 {
		t.Errorf("backfilled %d acked %d, want 6 6", st.Backfilled, st.Acked)
	}
}

func precOf(code string) int {
	for _, defs := range kindFactors {
		for _, f := range defs {
			if f.Code == code {
				return f.Prec
			}
		}
	}
	return 2
}

func TestOfflineAndReconnect(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(1, GenerateOptions{})
	devs[0].Behaviour.OfflineEvery = time.Hour
	devs[0].Behaviour.OfflineFor = 20 * time.Minute
	// Three simulated hours per real second.
	s, err := New(Config{Addr: gw.addr(), Devices: devs, Speed: 10800, Uploads: UploadMinute, ReconnectDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, "three connections", func() bool {
		gw.mu.Lock()
		defer gw.mu.Unlock()
		return gw.conns >= 3
	})
	s.Stop()
	st := s.Stats()
	if st.Offline < 2 {
		t.Errorf("offline periods %d, want ≥ 2", st.Offline)
	}
	// No minute upload has a DataTime inside an offline window: those
	// periods are left for back-fill.
	dv := s.devs[0]
	for _, f := range gw.byCN("2051") {
		dt, _ := f.fr.DataTime()
		if _, off := dv.offlineUntil(dt.Add(10 * time.Minute)); off {
			if _, off2 := dv.offlineUntil(dt.Add(10*time.Minute + dv.sendDelay)); off2 {
				t.Errorf("period %v was due while offline but was sent live", dt)
			}
		}
	}
}

func TestMalformedFrames(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(1, GenerateOptions{})
	devs[0].Behaviour.Malformed = 1 // before every frame
	s, err := New(Config{Addr: gw.addr(), Devices: devs, FlatOut: true, FlatOutFrames: 12, OverTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	s.Wait()
	st := s.Stats()
	if st.Malformed < 12 {
		t.Errorf("malformed %d, want ≥ 12", st.Malformed)
	}
	gw.mu.Lock()
	bad, garbage := gw.bad, gw.garbage
	gw.mu.Unlock()
	if bad == 0 || garbage == 0 {
		t.Errorf("gateway saw %d bad frames and %d garbage bytes, want both > 0", bad, garbage)
	}
	// Every good frame still got through, some after a retransmission
	// (a truncated frame can swallow the next one).
	if st.Acked+st.Failed != 12 {
		t.Errorf("acked %d + failed %d, want 12", st.Acked, st.Failed)
	}
}

func TestRealtimeSchedule(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(1, GenerateOptions{Protocol: "2025"})
	// 10 simulated minutes per real second: 2011 every 30 s sim.
	s, err := New(Config{Addr: gw.addr(), Devices: devs, Speed: 600, Uploads: UploadRealtime | UploadMinute})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, "realtime and minute uploads", func() bool { return len(gw.byCN("2011")) >= 5 && len(gw.byCN("2051")) >= 1 })
	boot := gw.byCN("2081")
	if len(boot) == 0 || cpValue(boot[0].fr, "RestartTime") == "" {
		t.Errorf("no 2081 with RestartTime on connect")
	}
	rt := gw.byCN("2011")
	for i := 1; i < len(rt); i++ {
		a, _ := rt[i-1].fr.DataTime()
		b, _ := rt[i].fr.DataTime()
		if b.Sub(a) != 30*time.Second {
			t.Errorf("2011 DataTimes %v then %v: want 30 s apart", a, b)
		}
	}
	for _, f := range gw.byCN("2051") {
		dt, _ := f.fr.DataTime()
		if dt.Unix()%600 != 0 {
			t.Errorf("2051 DataTime %v is not a 10-minute period start", dt)
		}
		if f.fr.Flag != 9 {
			t.Errorf("2025 Flag %d, want 9", f.fr.Flag)
		}
	}
}

func TestDrainLeavesNothingUnacknowledged(t *testing.T) {
	gw := newFakeGW(t)
	devs := Generate(5, GenerateOptions{})
	s, err := New(Config{Addr: gw.addr(), Devices: devs, FlatOut: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	waitFor(t, "some acks", func() bool { return s.Stats().Acked >= 100 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Sent != st.Acked+st.Failed {
		t.Errorf("after drain: sent %d, acked %d, failed %d", st.Sent, st.Acked, st.Failed)
	}
	if got := uint64(len(gw.byCN("2051"))); got != st.Sent+st.Retransmitted {
		t.Errorf("gateway got %d frames, simulator sent %d + %d", got, st.Sent, st.Retransmitted)
	}
}

func TestAppendUploadIsWhatDevicesSend(t *testing.T) {
	devs := Generate(1, GenerateOptions{})
	s, err := New(Config{Addr: "x:1", Devices: devs, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	raw := s.AppendUpload(nil, 0, "2051", t0, t0)
	var fr hj212.Frame
	if err := hj212.Decode(raw, &fr, hj212.Options{Mode: hj212.Strict}); err != nil {
		t.Fatal(err)
	}
	want := NewGenerator(3, devs[0]).Period(t0, 10*time.Minute)
	if got := cpValue(&fr, "a21026-Max"); got != strconv.FormatFloat(want[1].Max, 'f', 2, 64) {
		t.Errorf("a21026-Max %s, want %.2f", got, want[1].Max)
	}
}
