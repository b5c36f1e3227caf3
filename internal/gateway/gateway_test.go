package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/metrics"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/prometheus/client_golang/prometheus"
)

func TestUploadStoredAndAcked(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)

	dt := t0.Add(-10 * time.Minute)
	frame := d.dataFrame("20261128115000123", "2051", dt, minuteVals...)
	d.write(frame)
	ack := d.next("9014")
	if string(ack.QN) != "20261128115000123" || string(ack.ST) != "91" || string(ack.MN) != dev.MN || string(ack.PW) != dev.Password {
		t.Errorf("ack = QN %s ST %s MN %s PW %s; want the upload's QN, ST=91, its MN and PW", ack.QN, ack.ST, ack.MN, ack.PW)
	}
	if ack.Flag&1 != 0 {
		t.Errorf("ack Flag = %d asks for an answer", ack.Flag)
	}

	got, ok := st.upload(dev.MN, "2051", dt.UTC())
	if !ok {
		t.Fatalf("upload (%s, 2051, %s) not stored", dev.MN, dt)
	}
	want := map[[2]string]string{
		{"w01018", "Avg"}: "26.5", {"w01018", "Min"}: "20.1", {"w01018", "Max"}: "30.2", {"w01018", "Cou"}: "1.5",
		{"w01018", "Flag"}: "N", {"w21003", "Avg"}: "1.25", {"w21003", "Flag"}: "N", {"w00000", "Cou"}: "56.8",
	}
	if len(got) != len(want) {
		t.Errorf("stored %d values %v, want %d (DataTime is not a value)", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("value %v = %q, want %q", k, got[k], v)
		}
	}
	raws := st.rawByStatus(model.RawAccepted)
	if len(raws) != 1 || string(raws[0].Raw) != string(frame) {
		t.Fatalf("raw frames = %+v, want the frame's exact bytes, accepted", raws)
	}
	r := raws[0]
	if r.MN != dev.MN || r.CN != "2051" || r.QN != "20261128115000123" || !r.ReceivedAt.Equal(t0) ||
		r.Remote != d.nc.LocalAddr().String() {
		t.Errorf("raw frame = %+v", r)
	}
	st.mu.Lock()
	c := st.contacts[dev.MN]
	st.mu.Unlock()
	if c.CN != "2051" || !c.At.Equal(t0) || c.Remote != d.nc.LocalAddr().String() {
		t.Errorf("contact = %+v", c)
	}
	if got := s.Stats(); got.FramesAccepted != 1 || got.AcksSent != 1 || got.Commits == 0 {
		t.Errorf("stats = %+v", got)
	}
}

func TestNoAckWithoutFlagA(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	// Flag=4: 2017, no ack requested (HJ 212-2017 §6.3.2).
	m := hj212.Message{QN: "20261128120000001", ST: "32", CN: "2011", PW: dev.Password, MN: dev.MN, Flag: 4,
		CP: []hj212.KV{{Key: "DataTime", Value: "20261128120000"}, {Key: "w01018-Rtd", Value: "25.1"}}}
	d.write(m.AppendFrame(nil))
	// Then one that asks; its ack proves the first was processed.
	d.write(d.dataFrame("20261128120000002", "2011", t0.Add(time.Second), "w01018-Rtd", "25.2"))
	ack := d.next("9014")
	if string(ack.QN) != "20261128120000002" {
		t.Fatalf("first ack is for QN %s: a Flag=4 upload was acknowledged", ack.QN)
	}
	if st.numUploads() != 2 {
		t.Errorf("uploads = %d, want 2", st.numUploads())
	}
}

// TestFramingSplitAndCoalesced feeds frames through a synchronous pipe, so
// each write is exactly one read of the gateway: a frame split at every
// byte position, and several frames in one write.
func TestFramingSplitAndCoalesced(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.DisableTimeCalibration = true
	s := startServer(t, cfg, st)
	dev := testDevices[0]
	cli, srv := net.Pipe()
	s.admit(srv)
	d := newTestDevice(t, cli, dev.MN, dev.Password)

	base := t0.Add(-24 * time.Hour)
	n := 0
	one := d.dataFrame("20261128000000000", "2051", base, minuteVals...)
	for i := 1; i < len(one); i++ {
		f := d.dataFrame(d.qn(), "2051", base.Add(time.Duration(n)*time.Minute), minuteVals...)
		n++
		d.write(f[:i])
		d.write(f[i:])
	}
	// Coalesced: five frames and some garbage in one write.
	var many []byte
	for range 5 {
		many = append(many, "garbage#"...)
		many = append(many, d.dataFrame(d.qn(), "2051", base.Add(time.Duration(n)*time.Minute), minuteVals...)...)
		n++
	}
	d.write(many)
	for range n {
		d.next("9014")
	}
	if st.numUploads() != n {
		t.Errorf("uploads = %d, want %d", st.numUploads(), n)
	}
	if got := s.Stats(); got.BytesSkipped < uint64(5*len("garbage#")) {
		t.Errorf("BytesSkipped = %d, want at least %d", got.BytesSkipped, 5*len("garbage#"))
	}
}

func TestQuarantine(t *testing.T) {
	tests := []struct {
		name, mn, pw, reason string
	}{
		{"unknown MN", "FFFF00000000000000000000", "123456", reasonUnknownMN},
		{"wrong password", testDevices[0].MN, "000000", reasonWrongPW},
		{"empty MN", "", "123456", reasonEmptyMN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(t0)
			st := newFakeStore()
			s := startServer(t, testConfig(clk), st)
			good := testDevices[1]
			d := dialDevice(t, s.Addr().String(), tc.mn, tc.pw)
			// A good device on the same connection before and after: its
			// second ack proves the bad frame was processed (the queue is
			// FIFO). It authenticated first: a new session right after a
			// failure from the same address would wait (authguard.go).
			g := &testDevice{t: t, mn: good.MN, pw: good.Password}
			d.write(g.dataFrame("20261128120000000", "2051", t0.Add(-20*time.Minute), minuteVals...))
			if ack := d.next("9014"); string(ack.QN) != "20261128120000000" {
				t.Fatalf("ack for QN %s", ack.QN)
			}
			bad := d.dataFrame("20261128120000001", "2051", t0.Add(-10*time.Minute), minuteVals...)
			if tc.mn == "" {
				// The encoder leaves out an empty field; a data logger
				// never configured sends "MN=;".
				seg := bytes.Replace(bad[6:len(bad)-6], []byte("PW=123456;"), []byte("PW=123456;MN=;"), 1)
				bad = hj212.AppendFrame(nil, seg)
			}
			d.write(bad)
			d.write(g.dataFrame("20261128120000002", "2051", t0.Add(-10*time.Minute), minuteVals...))
			ack := d.next("9014")
			if string(ack.QN) != "20261128120000002" {
				t.Fatalf("ack for QN %s: the quarantined frame was acknowledged", ack.QN)
			}
			if _, ok := st.upload(tc.mn, "2051", t0.Add(-10*time.Minute)); ok && tc.mn != good.MN {
				t.Errorf("quarantined frame became an upload")
			}
			if st.numUploads() != 2 {
				t.Errorf("uploads = %d, want only the good device's two", st.numUploads())
			}
			q := st.rawByStatus(model.RawQuarantined)
			if len(q) != 1 || q[0].Reason != tc.reason || q[0].MN != tc.mn || len(q[0].Raw) == 0 {
				t.Fatalf("quarantined raw frames = %+v, want one with reason %q", q, tc.reason)
			}
			if tc.mn == "" && (!slices.Equal(q[0].Deviations, []string{"missing-mn"}) || !bytes.Contains(q[0].Raw, []byte(";MN=;"))) {
				t.Errorf("quarantined frame: deviations %v, raw %q; want missing-mn and the frame as sent", q[0].Deviations, q[0].Raw)
			}
			st.mu.Lock()
			_, hasContact := st.contacts[tc.mn]
			st.mu.Unlock()
			if hasContact && tc.mn != good.MN {
				t.Errorf("an unauthenticated frame updated the contact")
			}
			if got := s.Stats(); got.FramesQuarantined != 1 || got.QuarantinedReceived != 1 {
				t.Errorf("stats: quarantined %d received %d, want 1, 1", got.FramesQuarantined, got.QuarantinedReceived)
			}
		})
	}
}

func TestQuarantineDisabledDrops(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.QuarantineUnknown = false
	s := startServer(t, cfg, st)
	d := dialDevice(t, s.Addr().String(), "FFFF00000000000000000000", "123456")
	d.write(d.dataFrame("20261128120000001", "2051", t0, minuteVals...))
	good := &testDevice{t: t, mn: testDevices[1].MN, pw: testDevices[1].Password}
	d.write(good.dataFrame("20261128120000002", "2051", t0, minuteVals...))
	d.next("9014")
	if n := len(st.rawByStatus(model.RawQuarantined)); n != 0 {
		t.Errorf("%d quarantined frames archived with QuarantineUnknown off", n)
	}
	if got := s.Stats(); got.QuarantinedReceived != 1 || got.FramesDropped != 1 {
		t.Errorf("stats: quarantined %d dropped %d, want 1, 1", got.QuarantinedReceived, got.FramesDropped)
	}
}

func TestRejectedFrames(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)

	badCRC := d.dataFrame("20261128120000001", "2051", t0, minuteVals...)
	n := len(badCRC)
	copy(badCRC[n-6:n-2], "0000") // wrong CRC
	if strings.HasSuffix(string(d.dataFrame("20261128120000001", "2051", t0, minuteVals...)), "0000\r\n") {
		t.Skip("the frame's real CRC is 0000")
	}
	d.write(badCRC)
	d.write(d.dataFrame("20261128120000002", "2051", t0, minuteVals...))
	if ack := d.next("9014"); string(ack.QN) != "20261128120000002" {
		t.Fatalf("ack for QN %s: a bad-CRC frame was answered (HJ 212-2017 §6.3.1 drops it)", ack.QN)
	}
	rej := st.rawByStatus(model.RawRejected)
	if len(rej) != 1 || string(rej[0].Raw) != string(badCRC) || rej[0].Reason != reasonBadCRC || rej[0].MN != dev.MN {
		t.Fatalf("rejected raw frames = %+v, want the bad-CRC frame with its bytes and MN", rej)
	}
	if st.numUploads() != 1 {
		t.Errorf("uploads = %d, want 1 (the bad-CRC frame is not data)", st.numUploads())
	}
}

func TestModbusCRCOnlyWhereConfigured(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	modbusFrame := func(mn, qn string) []byte {
		m := hj212.Message{QN: qn, ST: "31", CN: "2051", PW: "123456", MN: mn, Flag: 5,
			CP: []hj212.KV{{Key: "DataTime", Value: "20261128114000"}, {Key: "a21026-Avg", Value: "12.5"}}}
		seg := m.AppendSegment(nil)
		crc := hj212.ModbusCRC16(seg)
		crc = crc>>8 | crc<<8 // the quirk: Modbus CRC with its bytes swapped
		return []byte(fmtFrame(seg, crc))
	}
	d := dialDevice(t, s.Addr().String(), testDevices[3].MN, "123456")
	d.write(modbusFrame(testDevices[2].MN, "20261128120000001")) // not allowed for this device
	d.write(modbusFrame(testDevices[3].MN, "20261128120000002")) // allowed
	if ack := d.next("9014"); string(ack.QN) != "20261128120000002" {
		t.Fatalf("ack for QN %s, want only the tolerated device's frame acked", ack.QN)
	}
	acc := st.rawByStatus(model.RawAccepted)
	if len(acc) != 1 || acc[0].MN != testDevices[3].MN || !strings.Contains(strings.Join(acc[0].Deviations, ","), "modbus") {
		t.Errorf("accepted = %+v, want the Modbus device's frame with its deviation recorded", acc)
	}
	if rej := st.rawByStatus(model.RawRejected); len(rej) != 1 || rej[0].MN != testDevices[2].MN {
		t.Errorf("rejected = %+v, want the other device's frame", rej)
	}
}

func fmtFrame(seg []byte, crc uint16) string {
	const hexd = "0123456789ABCDEF"
	l := len(seg)
	return "##" + string([]byte{byte('0' + l/1000), byte('0' + l/100%10), byte('0' + l/10%10), byte('0' + l%10)}) +
		string(seg) + string([]byte{hexd[crc>>12], hexd[crc>>8&15], hexd[crc>>4&15], hexd[crc&15]}) + "\r\n"
}

func TestRetransmissionStoredOnce(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	dt := t0.Add(-time.Hour)
	f := d.dataFrame("20261128110000001", "2061", dt, "w01018-Avg", "26.5", "w01018-Cou", "10.2")
	d.write(f)
	d.next("9014")
	d.write(f) // the device did not get the ack in time and resends
	d.next("9014")
	// A different frame with the same key but a changed value: the
	// stored value is evidence and is never overwritten.
	d.write(d.dataFrame("20261128110000002", "2061", dt, "w01018-Avg", "99.9", "w01018-Max", "30"))
	d.next("9014")
	got, _ := st.upload(dev.MN, "2061", dt)
	if st.numUploads() != 1 || len(got) != 3 || got[[2]string{"w01018", "Avg"}] != "26.5" || got[[2]string{"w01018", "Max"}] != "30" {
		t.Errorf("uploads = %d, values %v; want one upload, first values kept, new field added", st.numUploads(), got)
	}
	if dup := st.rawByStatus(model.RawDuplicate); len(dup) != 1 {
		t.Errorf("duplicate raw frames = %d, want 1 (the identical resend)", len(dup))
	}
	if n := len(st.rawFrames()); n != 3 {
		t.Errorf("raw frames = %d, want 3: every received frame is archived", n)
	}
}

func TestSplitPacketsAckedSeparately(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	dt := t0.Add(-time.Hour)
	// HJ 212-2017 Appendix C.49/C.50: hourly data in two packets, Flag=7,
	// each with its own QN and acked separately.
	for i, kv := range [][]hj212.KV{
		{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))}, {Key: "w01018-Avg", Value: "26.5"}},
		{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))}, {Key: "w21003-Avg", Value: "1.2"}},
	} {
		m := hj212.Message{QN: "2026112811000000" + string(rune('4'+i)), ST: "32", CN: "2061", PW: dev.Password,
			MN: dev.MN, Flag: 7, PNUM: 2, PNO: i + 1, CP: kv}
		d.write(m.AppendFrame(nil))
	}
	a1, a2 := d.next("9014"), d.next("9014")
	if string(a1.QN) != "20261128110000004" || string(a2.QN) != "20261128110000005" {
		t.Errorf("acks for %s, %s; want one per packet with its QN", a1.QN, a2.QN)
	}
	got, _ := st.upload(dev.MN, "2061", dt)
	if st.numUploads() != 1 || len(got) != 2 {
		t.Errorf("uploads = %d values %v; want the packets merged into one upload", st.numUploads(), got)
	}
}

func TestStatusFrames(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	// 2081 without DataTime: keyed by the receive time.
	m := hj212.Message{QN: "20261128120000001", ST: "32", CN: "2081", PW: dev.Password, MN: dev.MN, Flag: 5,
		CP: []hj212.KV{{Key: "RestartTime", Value: "20261128115500"}}}
	d.write(m.AppendFrame(nil))
	d.next("9014")
	got, ok := st.upload(dev.MN, "2081", t0)
	if !ok || got[[2]string{"", "RestartTime"}] != "20261128115500" {
		t.Errorf("2081 upload = %v, %v; want keyed by receive time with RestartTime under an empty factor", got, ok)
	}
	// 2021 run state with SBxxx-RS.
	d.write(d.dataFrame("20261128120000002", "2021", t0, "SB1-RS", "1", "SB2-RS", "0"))
	d.next("9014")
	if got, _ := st.upload(dev.MN, "2021", t0); got[[2]string{"SB1", "RS"}] != "1" || got[[2]string{"SB2", "RS"}] != "0" {
		t.Errorf("2021 upload = %v", got)
	}
	// A bad DataTime cannot be keyed: archived as rejected, not acked.
	bad := hj212.Message{QN: "20261128120000003", ST: "32", CN: "2051", PW: dev.Password, MN: dev.MN, Flag: 5,
		CP: []hj212.KV{{Key: "DataTime", Value: "20261399999999"}, {Key: "w01018-Avg", Value: "1"}}}
	d.write(bad.AppendFrame(nil))
	d.write(d.dataFrame("20261128120000004", "2051", t0, "w01018-Avg", "1"))
	if ack := d.next("9014"); string(ack.QN) != "20261128120000004" {
		t.Errorf("ack for %s: the frame with a bad DataTime was acknowledged", ack.QN)
	}
	if rej := st.rawByStatus(model.RawRejected); len(rej) != 1 || !strings.HasPrefix(rej[0].Reason, reasonBadDataTime) {
		t.Errorf("rejected = %+v", rej)
	}
}

func TestAckOnlyAfterCommit(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	st.block = make(chan struct{})
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-10*time.Minute), minuteVals...))
	<-st.entered // the commit holding the frame is in progress
	// The 1012 is sent after the frame was queued: once it is here, an
	// ack sent on receipt would be here too.
	d.next("1012")
	for _, f := range d.drained() {
		if string(f.CN) == "9014" {
			t.Fatalf("9014 sent before the commit returned")
		}
	}
	if s.Stats().AcksSent != 0 {
		t.Fatalf("ack counted before the commit returned")
	}
	close(st.block)
	if ack := d.next("9014"); string(ack.QN) != "20261128115000001" {
		t.Errorf("ack QN = %s", ack.QN)
	}
}

func TestCommitFailureNoAckThenRetransmissionOnce(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	st.failing.Store(true)
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	dt := t0.Add(-10 * time.Minute)
	f := d.dataFrame("20261128115000001", "2051", dt, minuteVals...)
	d.write(f)
	waitFor(t, "failed commits", func() bool { return s.Stats().CommitErrors >= 3 })
	d.write(f) // the device's retransmission after OverTime
	d.next("1012")
	waitFor(t, "more failed commits", func() bool { return s.Stats().CommitErrors >= 6 })
	for _, fr := range d.drained() {
		if string(fr.CN) == "9014" {
			t.Fatalf("9014 sent although no commit succeeded")
		}
	}
	if st.numUploads() != 0 {
		t.Fatal("failing store stored something")
	}
	st.failing.Store(false)
	d.next("9014")
	d.next("9014") // both copies are acked once committed
	got, _ := st.upload(dev.MN, "2051", dt)
	if st.numUploads() != 1 || len(got) != 8 {
		t.Errorf("uploads = %d with %d values; want exactly one upload of 8 values", st.numUploads(), len(got))
	}
}

func TestPoisonFrameDoesNotWedge(t *testing.T) {
	clk := newClock(t0)
	fs := newFakeStore()
	fs.refuse = func(v model.Value) bool { return v.Value == "poison" }
	s := startServer(t, testConfig(clk), pingStore{fs})
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-20*time.Minute), "w01018-Avg", "poison"))
	d.write(d.dataFrame("20261128115000002", "2051", t0.Add(-10*time.Minute), "w01018-Avg", "1"))
	if ack := d.next("9014"); string(ack.QN) != "20261128115000002" {
		t.Fatalf("ack for %s; want only the good frame acked", ack.QN)
	}
	if fs.numUploads() != 1 {
		t.Errorf("uploads = %d, want 1", fs.numUploads())
	}
	if rej := fs.rawByStatus(model.RawRejected); len(rej) != 1 || !strings.Contains(rej[0].Reason, "store refused") {
		t.Errorf("rejected = %+v; want the refused frame kept as evidence", rej)
	}
	if s.Stats().FramesRefusedByStore != 1 {
		t.Errorf("FramesRefusedByStore = %d", s.Stats().FramesRefusedByStore)
	}
}

func TestTimeCalibrationOnConnect(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	dev := testDevices[1]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-10*time.Minute), minuteVals...))
	req := d.next("1012")
	sys, _ := req.Get("SystemTime")
	if string(sys) != "20261128120000" {
		t.Errorf("SystemTime = %s, want the clock's time in China time 20261128120000", sys)
	}
	if string(req.MN) != dev.MN || string(req.PW) != dev.Password || req.Flag != 5 || len(req.QN) != 17 {
		t.Errorf("1012 = MN %s PW %s Flag %d QN %s", req.MN, req.PW, req.Flag, req.QN)
	}
	d.answer(req, "9011", "QnRtn=1")
	d.answer(req, "9012", "ExeRtn=1")
	// A second frame on the same connection: no second calibration.
	d.write(d.dataFrame("20261128115000002", "2051", t0.Add(-20*time.Minute), minuteVals...))
	d.next("9014")
	d.next("9014")
	waitFor(t, "the 9012 to be handled", func() bool { return s.Stats().CommandsDone == 1 })
	for _, f := range d.drained() {
		if string(f.CN) == "1012" {
			t.Error("1012 sent twice on one connection")
		}
	}
	if got := s.Stats(); got.TimeCalibrations != 1 || got.AnswersUnmatched != 0 {
		t.Errorf("stats = calibrations %d unmatched %d", got.TimeCalibrations, got.AnswersUnmatched)
	}
}

func TestNotify1013Answered9013(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	s := startServer(t, cfg, st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	// HJ 212-2017 Appendix C.4: the device asks for time calibration.
	m := hj212.Message{QN: "20261128120000123", ST: "32", CN: "1013", PW: dev.Password, MN: dev.MN, Flag: 5}
	d.write(m.AppendFrame(nil))
	r := d.next("9013")
	if string(r.QN) != "20261128120000123" || string(r.ST) != "91" {
		t.Errorf("9013 = QN %s ST %s", r.QN, r.ST)
	}
	d.next("1012")
	// The 1013 frame is committed as evidence like any frame; a 9014 for
	// it would follow its commit. A data frame sent after it is committed
	// in the same batch or a later one and acknowledged after it, so once
	// that frame's 9014 is here, any 9014 for the 1013 would be too.
	d.write(d.dataFrame("20261128120000124", "2011", t0, "w01018-Rtd", "1"))
	d.ackOf("20261128120000124")
	for _, f := range d.drained() {
		if string(f.CN) == "9014" && string(f.QN) == "20261128120000123" {
			t.Error("a 1013 notify got a 9014 data answer")
		}
	}
}

func TestBackfill(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.BackfillWindow = 12 * time.Hour
	cfg.BackfillWhenEmpty = false
	cfg.DisableTimeCalibration = true
	dev := testDevices[0]
	// Hourly data for the last 12 hours except 05:00, 06:00 and 09:00
	// China time (21:00, 22:00 and 01:00 UTC).
	for h := t0.Add(-12 * time.Hour); h.Before(t0.Add(-time.Hour)); h = h.Add(time.Hour) {
		if hh := h.Hour(); hh == 21 || hh == 22 || hh == 1 {
			continue
		}
		st.put(dev.MN, "2061", h, map[[2]string]string{{"w01018", "Avg"}: "1"})
	}
	s := startServer(t, cfg, st)
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128120000001", "2011", t0, "w01018-Rtd", "1"))

	for _, want := range [][2]string{{"20261128050000", "20261128060000"}, {"20261128090000", "20261128090000"}} {
		req := d.next("2061")
		b, _ := req.Get("BeginTime")
		e, _ := req.Get("EndTime")
		if string(b) != want[0] || string(e) != want[1] || req.Flag != 5 || string(req.PW) != dev.Password {
			t.Fatalf("request BeginTime=%s EndTime=%s Flag=%d; want %s..%s, Flag=5", b, e, req.Flag, want[0], want[1])
		}
		// The device answers per HJ 212-2017 §6.5.1: 9011, the history
		// (one record per frame, acked), then 9012.
		d.answer(req, "9011", "QnRtn=1")
		from, _ := hj212.ParseTime(b)
		to, _ := hj212.ParseTime(e)
		for h := from; !h.After(to); h = h.Add(time.Hour) {
			qn := d.qn()
			d.write(d.dataFrame(qn, "2061", h, "w01018-Avg", "2"))
			d.ackOf(qn) // committed
		}
		d.answer(req, "9012", "ExeRtn=1")
	}
	waitFor(t, "back-fill completion", func() bool { return s.Stats().BackfillDone == 2 })
	for _, dt := range []time.Time{t0.Add(-7 * time.Hour), t0.Add(-6 * time.Hour), t0.Add(-3 * time.Hour)} {
		if _, ok := st.upload(dev.MN, "2061", dt); !ok {
			t.Errorf("back-filled hour %s not stored", dt)
		}
	}
	if got := s.Stats(); got.BackfillRequests != 2 {
		t.Errorf("BackfillRequests = %d, want 2", got.BackfillRequests)
	}
	for _, f := range d.drained() {
		if string(f.CN) == "2051" {
			t.Errorf("minute data requested for a device with no minute data")
		}
	}
}

// TestBackfillWhenEmpty: a device with no data at all in the window (away
// longer than the window, or new) is asked for the whole window, and a
// device that has no such data answers ExeRtn=100 without harm.
func TestBackfillWhenEmpty(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.BackfillWindow = 3 * time.Hour
	cfg.BackfillWhenEmpty = true
	cfg.DisableTimeCalibration = true
	dev := testDevices[0]
	s := startServer(t, cfg, st)
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128120000001", "2011", t0, "w01018-Rtd", "1"))

	req := d.next("2061")
	b, _ := req.Get("BeginTime")
	e, _ := req.Get("EndTime")
	// t0 is 12:00 China time: the whole 3-hour window whose periods have
	// ended (and passed the grace): 09:00 to 10:00.
	if string(b) != "20261128090000" || string(e) != "20261128100000" {
		t.Fatalf("2061 request %s..%s, want the whole window 20261128090000..20261128100000", b, e)
	}
	d.answer(req, "9011", "QnRtn=1")
	for _, h := range []time.Time{t0.Add(-3 * time.Hour), t0.Add(-2 * time.Hour)} {
		qn := d.qn()
		d.write(d.dataFrame(qn, "2061", h, "w01018-Avg", "3"))
		d.ackOf(qn) // committed
	}
	d.answer(req, "9012", "ExeRtn=1")
	// Minute data: this device has none and says so.
	req = d.next("2051")
	d.answer(req, "9011", "QnRtn=1")
	d.answer(req, "9012", "ExeRtn=100")
	waitFor(t, "back-fill outcomes", func() bool { st := s.Stats(); return st.BackfillDone+st.BackfillNoData >= 2 })
	for _, h := range []time.Time{t0.Add(-3 * time.Hour), t0.Add(-2 * time.Hour)} {
		if _, ok := st.upload(dev.MN, "2061", h); !ok {
			t.Errorf("back-filled hour %s not stored", h)
		}
	}
	if got := s.Stats(); got.BackfillNoData != 1 {
		t.Errorf("BackfillNoData = %d, want 1 (the minute request)", got.BackfillNoData)
	}
}

func TestBackfillTimeoutAndRejection(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.BackfillWindow = 6 * time.Hour
	cfg.DisableTimeCalibration = true
	cfg.CommandTimeout = time.Minute
	dev := testDevices[0]
	st.put(dev.MN, "2061", t0.Add(-6*time.Hour), map[[2]string]string{{"w01018", "Avg"}: "1"})
	st.put(dev.MN, "2061", t0.Add(-4*time.Hour), map[[2]string]string{{"w01018", "Avg"}: "1"})
	st.put(dev.MN, "2061", t0.Add(-2*time.Hour), map[[2]string]string{{"w01018", "Avg"}: "1"})
	// Missing: 23:00 and 01:00 UTC, two runs.
	s := startServer(t, cfg, st)
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128120000001", "2011", t0, "w01018-Rtd", "1"))
	r1 := d.next("2061")
	d.answer(r1, "9011", "QnRtn=2") // rejected
	r2 := d.next("2061")            // the next run goes out
	if string(r2.QN) == string(r1.QN) {
		t.Fatal("the same QN was reused")
	}
	clk.Advance(2 * time.Minute) // no answer: the request times out
	waitFor(t, "timeout", func() bool { return s.Stats().BackfillTimedOut == 1 })
	if got := s.Stats(); got.BackfillRejected != 1 {
		t.Errorf("BackfillRejected = %d", got.BackfillRejected)
	}
}

func TestFindGaps(t *testing.T) {
	mn := "M"
	hour := func(h int) time.Time { return time.Date(2026, 11, 28, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		now     time.Time
		present []time.Time // 2061
		minutes []time.Time // 2051
		want    []bfRange
		empty   bool // Config.BackfillWhenEmpty
	}{
		{"complete", hour(10).Add(30 * time.Minute), []time.Time{hour(4), hour(5), hour(6), hour(7), hour(8), hour(9)}, nil, nil, false},
		{"no data at all: skipped", hour(10), nil, nil, nil, false},
		{"one gap and a trailing gap", hour(10).Add(30 * time.Minute),
			[]time.Time{hour(4), hour(6)}, nil,
			[]bfRange{{cmdHour, hour(5), hour(5)}, {cmdHour, hour(7), hour(9)}}, false},
		{"leading gap, grace keeps the last hour", hour(10).Add(2 * time.Minute),
			[]time.Time{hour(8)}, nil,
			[]bfRange{{cmdHour, hour(5), hour(7)}}, false},
		{"minute data, DataTime off the grid still counts", hour(10).Add(20 * time.Minute), nil,
			[]time.Time{hour(9).Add(40 * time.Minute), hour(9).Add(50*time.Minute + 7*time.Second)},
			[]bfRange{{cmdMinute, hour(4).Add(20 * time.Minute), hour(9).Add(30 * time.Minute)}, {cmdMinute, hour(10), hour(10)}}, false},
		{"no data at all, BackfillWhenEmpty: the whole window of both", hour(10), nil, nil,
			[]bfRange{{cmdHour, hour(4), hour(8)}, {cmdMinute, hour(4), hour(9).Add(40 * time.Minute)}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newFakeStore()
			for _, p := range tc.present {
				st.put(mn, cmdHour, p, nil)
			}
			for _, p := range tc.minutes {
				st.put(mn, cmdMinute, p, nil)
			}
			cfg := DefaultConfig()
			cfg.BackfillWindow = 6 * time.Hour
			cfg.BackfillWhenEmpty = tc.empty
			s := New(cfg, st, NewDeviceTable(nil), nil)
			got := s.findGaps(mn, tc.now)
			if len(got) != len(tc.want) {
				t.Fatalf("gaps = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].cn != tc.want[i].cn || !got[i].from.Equal(tc.want[i].from) || !got[i].to.Equal(tc.want[i].to) {
					t.Errorf("gap %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestGracefulShutdownAcksCommitted(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	st.block = make(chan struct{})
	cfg := testConfig(clk)
	s := New(cfg, st, NewDeviceTable(testDevices), nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-10*time.Minute), minuteVals...))
	<-st.entered
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	// New connections are no longer accepted once shutdown began.
	waitFor(t, "listener closed", func() bool {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	close(st.block)
	if ack := d.next("9014"); string(ack.QN) != "20261128115000001" {
		t.Errorf("ack QN %s", ack.QN)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	select {
	case <-d.eof:
	case <-time.After(waitLimit):
		t.Fatal("connection still open after Shutdown")
	}
	if st.numUploads() != 1 {
		t.Errorf("uploads = %d", st.numUploads())
	}
}

func TestShutdownDeadlineAcksNothingUncommitted(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	st.failing.Store(true)
	s := New(testConfig(clk), st, NewDeviceTable(testDevices), nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-10*time.Minute), minuteVals...))
	waitFor(t, "a failed commit", func() bool { return s.Stats().CommitErrors > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err == nil {
		t.Error("Shutdown = nil although the store never committed")
	}
	<-d.eof
	for _, f := range d.drained() {
		if string(f.CN) == "9014" {
			t.Error("uncommitted frame acknowledged at shutdown")
		}
	}
	if got := s.Stats(); got.FramesUncommitted != 1 {
		t.Errorf("FramesUncommitted = %d, want 1", got.FramesUncommitted)
	}
}

func TestDeviceTableReplace(t *testing.T) {
	tab := NewDeviceTable(testDevices[:1])
	if _, ok := tab.Device(testDevices[1].MN); ok {
		t.Fatal("device found before it was added")
	}
	tab.Replace(testDevices)
	if d, ok := tab.Device(testDevices[1].MN); !ok || d.Password != testDevices[1].Password {
		t.Fatalf("Device after Replace = %+v, %v", d, ok)
	}
	if tab.Len() != len(testDevices) {
		t.Errorf("Len = %d", tab.Len())
	}
}

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	for range 98 {
		h.observe(3 * time.Millisecond)
	}
	h.observe(80 * time.Millisecond)
	h.observe(time.Minute)
	snap := h.snapshot()
	if q := snap.Quantile(0.5); q != 5*time.Millisecond {
		t.Errorf("p50 = %v, want 5ms (bucket bound)", q)
	}
	if q := snap.Quantile(0.99); q != 100*time.Millisecond {
		t.Errorf("p99 = %v, want 100ms", q)
	}
	if snap.Count != 100 {
		t.Errorf("count = %d", snap.Count)
	}
}

func TestRateLog(t *testing.T) {
	var r rateLog
	r.init()
	if _, ok := r.allow("x"); !ok {
		t.Fatal("first line suppressed")
	}
	for range 100 {
		if _, ok := r.allow("x"); ok {
			t.Fatal("a second line within the period was allowed")
		}
	}
	if _, ok := r.allow("y"); !ok {
		t.Error("another kind was suppressed")
	}
	r.every = 0
	if n, ok := r.allow("x"); !ok || n != 100 {
		t.Errorf("allow = %d, %v; want the 100 suppressed lines reported", n, ok)
	}
}

// TestMetricsFollowFrames scrapes /metrics as Prometheus does: one frame
// in and acknowledged moves the frame, commit and ack series by one, with
// their types and the histogram's buckets.
func TestMetricsFollowFrames(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	s := startServer(t, testConfig(clk), st)
	reg := prometheus.NewRegistry()
	if err := s.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		return string(b)
	}
	before := scrape()
	for _, want := range []string{
		"# TYPE ecowatch_gateway_frames_received_total counter\necowatch_gateway_frames_received_total 0\n",
		`ecowatch_gateway_frames_total{status="accepted"} 0` + "\n",
		"# TYPE ecowatch_gateway_connections_open gauge\n",
		"# TYPE ecowatch_gateway_ack_seconds histogram\n",
		"ecowatch_gateway_ack_seconds_count 0\n",
		`ecowatch_gateway_archive_skipped_total{why="total-cap"} 0` + "\n",
	} {
		if !strings.Contains(before, want) {
			t.Errorf("before the frame, metrics lack %q:\n%s", want, before)
		}
	}
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	d.write(d.dataFrame("20261128115000001", "2051", t0.Add(-10*time.Minute), minuteVals...))
	d.next("9014")
	after := scrape()
	for _, want := range []string{
		"ecowatch_gateway_frames_received_total 1\n",
		`ecowatch_gateway_frames_total{status="accepted"} 1` + "\n",
		"ecowatch_gateway_commit_frames_total 1\n",
		"ecowatch_gateway_acks_sent_total 1\n",
		"ecowatch_gateway_connections_accepted_total 1\n",
		"ecowatch_gateway_connections_open 1\n",
		"ecowatch_gateway_ack_seconds_count 1\n",
		`ecowatch_gateway_ack_seconds_bucket{le="+Inf"} 1` + "\n",
		"ecowatch_gateway_commit_seconds_count 1\n",
	} {
		if !strings.Contains(after, want) {
			t.Errorf("after one frame, metrics lack %q:\n%s", want, after)
		}
	}
}

// TestHistogramBuckets: the exposition's buckets are cumulative and in
// seconds.
func TestHistogramBuckets(t *testing.T) {
	var h histogram
	h.observe(3 * time.Millisecond)
	h.observe(3 * time.Millisecond)
	h.observe(time.Minute)
	m := h.snapshot().metrics()
	if m.Count != 3 || m.Buckets[0.002] != 0 || m.Buckets[0.005] != 2 || m.Buckets[10] != 2 || m.Sum < 60 {
		t.Errorf("histogram %+v", m)
	}
}

func TestConnectionLimits(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	cfg := testConfig(clk)
	cfg.MaxConns = 2
	cfg.IdleTimeout = 100 * time.Millisecond // keeps the test short; nothing asserts it
	s := startServer(t, cfg, st)
	addr := s.Addr().String()
	a := dialDevice(t, addr, testDevices[0].MN, testDevices[0].Password)
	b := dialDevice(t, addr, testDevices[1].MN, testDevices[1].Password)
	waitFor(t, "two open connections", func() bool { return s.Stats().ConnsOpen == 2 })
	// Over the total cap: refused (the reset may even beat the dial).
	if c, err := net.Dial("tcp", addr); err == nil {
		defer c.Close()
		waitForEOF(t, c)
	} else if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	waitFor(t, "the refusal", func() bool { return s.Stats().ConnsRefused == 1 })
	if s.Stats().ConnsRefused != 1 {
		t.Errorf("ConnsRefused = %d, want 1", s.Stats().ConnsRefused)
	}
	// Idle connections are closed, which frees room for new ones.
	<-a.eof
	<-b.eof
	waitFor(t, "idle connections closed", func() bool { return s.Stats().ConnsOpen == 0 })
	if s.Stats().ConnsIdleClosed != 2 {
		t.Errorf("ConnsIdleClosed = %d, want 2", s.Stats().ConnsIdleClosed)
	}
	d := dialDevice(t, addr, testDevices[0].MN, testDevices[0].Password)
	roundTrip(t, d, 1)
}

// TestBackpressure: while the store does not return, the gateway holds at
// most a bounded number of frames and stops reading; once the store
// returns, every frame is committed and acknowledged.
func TestBackpressure(t *testing.T) {
	clk := newClock(t0)
	st := newFakeStore()
	st.block = make(chan struct{})
	cfg := testConfig(clk)
	cfg.BatchFrames = 10
	cfg.QueueFrames = 4
	cfg.DisableTimeCalibration = true
	s := startServer(t, cfg, st)
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	const n = 200
	go func() {
		for i := range n {
			if _, err := d.nc.Write(d.dataFrame(fmt.Sprintf("20261128120000%03d", i), "2011",
				t0.Add(time.Duration(i)*time.Second), "w01018-Rtd", "1")); err != nil {
				return
			}
		}
	}()
	waitFor(t, "the queue to fill", func() bool { return s.Stats().QueueFullWaits > 0 })
	// One batch in the blocked commit, a full queue and the frame the
	// connection is waiting to queue; the rest stays in the socket.
	if got, bound := s.Stats().FramesReceived, uint64(cfg.BatchFrames+cfg.QueueFrames+1); got > bound {
		t.Errorf("%d frames taken in while the store is stuck, want at most %d", got, bound)
	}
	close(st.block)
	for range n {
		d.next("9014")
	}
	if st.numUploads() != n {
		t.Errorf("uploads = %d, want %d", st.numUploads(), n)
	}
}

// TestWhitespaceBetweenFramesIsNotAFrame: a keep-alive byte must not start
// the frame deadline.
func TestWhitespaceBetweenFramesIsNotAFrame(t *testing.T) {
	clk := newClock(t0)
	cfg := testConfig(clk)
	cfg.FrameTimeout = 50 * time.Millisecond
	s := startServer(t, cfg, newFakeStore())
	d := dialDevice(t, s.Addr().String(), testDevices[0].MN, testDevices[0].Password)
	d.write([]byte("\r\n"))
	time.Sleep(4 * cfg.FrameTimeout) // a deadline started by "\r\n" would have closed the connection
	roundTrip(t, d, 1)
	if s.Stats().ConnsFrameTimeout != 0 {
		t.Error("a frame timeout was counted for whitespace")
	}
}
