package gateway

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestImplausibleTime(t *testing.T) { storetest.Run(t, testImplausibleTime) }

// frameAt builds a minute upload whose DataTime is given as sent (year 0
// has no time.Time that FormatTime would print as 0000).
func (d *testDevice) frameAt(qn, dataTime string, kv ...string) []byte {
	m := hj212.Message{QN: qn, ST: "32", CN: "2051", PW: d.pw, MN: d.mn, Flag: 5}
	m.CP = append(m.CP, hj212.KV{Key: "DataTime", Value: dataTime})
	for i := 0; i+1 < len(kv); i += 2 {
		m.CP = append(m.CP, hj212.KV{Key: kv[i], Value: kv[i+1]})
	}
	return m.AppendFrame(nil)
}

// testImplausibleTime: DataTimes of year 0000, 1900, 1970, 2099 and 11
// minutes ahead of the server are quarantined with a named deviation,
// never acknowledged, never official data, and the device is sent one
// time calibration; 9 minutes ahead (within the tolerance) is accepted.
func testImplausibleTime(t *testing.T, st store.Store) {
	clk := newClock(t0)
	s := startServer(t, testConfig(clk), st)
	ctx := context.Background()
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	roundTrip(t, d, 1)
	d.next("1012") // on connect

	bad := map[string]string{
		"00001128120000": devBeforeFloor,
		"19000101000000": devBeforeFloor,
		"19700101080000": devBeforeFloor,
		"20991231235959": devFuture,
		string(hj212.FormatTime(nil, t0.Add(11*time.Minute))): devFuture,
	}
	var qns []string
	for dt := range bad {
		qn := d.qn()
		qns = append(qns, qn)
		d.write(d.frameAt(qn, dt, "w01018-Avg", "999.9"))
	}
	cal := d.next("1012")
	if sys, _ := cal.Get("SystemTime"); string(sys) != string(hj212.FormatTime(nil, t0)) {
		t.Errorf("calibration SystemTime = %s, want the server's time", sys)
	}
	soon := t0.Add(9 * time.Minute)
	qn := d.qn()
	d.write(d.dataFrame(qn, "2051", soon, "w01018-Avg", "26.5"))
	for {
		ack := d.next("9014")
		if slices.Contains(qns, string(ack.QN)) {
			t.Fatalf("implausible frame %s acknowledged", ack.QN)
		}
		if string(ack.QN) == qn {
			break
		}
	}
	for _, f := range d.drained() {
		if string(f.CN) == "1012" {
			t.Error("a second calibration for the same burst")
		}
		if string(f.CN) == "9014" && slices.Contains(qns, string(f.QN)) {
			t.Errorf("implausible frame %s acknowledged", f.QN)
		}
	}

	ups, err := st.Uploads(ctx, store.UploadQuery{MNs: []string{dev.MN}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		for _, v := range u.Values {
			if v.Value == "999.9" {
				t.Errorf("implausible upload stored as official data at %s", u.DataTime)
			}
		}
	}
	if len(ups) != 2 {
		t.Errorf("%d uploads, want the round trip's and the one within the tolerance", len(ups))
	}
	raws, err := st.RawFrames(ctx, store.RawQuery{MN: dev.MN, Status: model.RawQuarantined})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range raws {
		f := new(hj212.Frame)
		if err := hj212.Decode(r.Raw, f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
			t.Fatalf("archived bytes: %v", err)
		}
		dt, _ := f.Get("DataTime")
		for _, dv := range r.Deviations {
			if dv == devFuture || dv == devBeforeFloor {
				got[string(dt)] = dv
			}
		}
		if !strings.HasPrefix(r.Reason, reasonImplTime) {
			t.Errorf("reason %q", r.Reason)
		}
	}
	for dt, dv := range bad {
		if got[dt] != dv {
			t.Errorf("DataTime %s archived with deviation %q, want %q", dt, got[dt], dv)
		}
	}
	if n := s.Stats().ImplausibleTime; n != uint64(len(bad)) {
		t.Errorf("ImplausibleTime = %d, want %d", n, len(bad))
	}
}

func TestValuesExactOrRefused(t *testing.T) { storetest.Run(t, testValuesExactOrRefused) }

// testValuesExactOrRefused: a value with a NUL, another control byte or
// broken UTF-8 is quarantined with a named deviation and its bytes kept
// in the raw frame; a UTF-8 value comes back byte for byte.
func testValuesExactOrRefused(t *testing.T, st store.Store) {
	clk := newClock(t0)
	s := startServer(t, testConfig(clk), st)
	ctx := context.Background()
	dev := testDevices[0]
	d := dialDevice(t, s.Addr().String(), dev.MN, dev.Password)
	cases := []struct {
		val, dev string
	}{
		{"1\x002", devControlByte},
		{"12\x01", devControlByte},
		{"3\x7f", devControlByte},
		{"4\xff\xfe", devInvalidUTF8},
	}
	var qns []string
	for i, c := range cases {
		qn := d.qn()
		qns = append(qns, qn)
		d.write(d.dataFrame(qn, "2051", t0.Add(-time.Duration(i+1)*10*time.Minute), "w01018-Avg", c.val))
	}
	good := "运行正常 ok"
	qn := d.qn()
	d.write(d.dataFrame(qn, "2051", t0.Add(-time.Hour), "w01018-Avg", "26.5", "i12001-Info", good))
	for {
		ack := d.next("9014")
		if slices.Contains(qns, string(ack.QN)) {
			t.Fatalf("frame %s with a bad value acknowledged", ack.QN)
		}
		if string(ack.QN) == qn {
			break
		}
	}
	ups, err := st.Uploads(ctx, store.UploadQuery{MNs: []string{dev.MN}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 {
		t.Fatalf("%d uploads, want only the clean one", len(ups))
	}
	for _, v := range ups[0].Values {
		if v.Factor == "i12001" && v.Value != good {
			t.Errorf("value stored as %q, sent %q", v.Value, good)
		}
	}
	raws, err := st.RawFrames(ctx, store.RawQuery{MN: dev.MN, Status: model.RawQuarantined})
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) != len(cases) {
		t.Fatalf("%d quarantined frames, want %d", len(raws), len(cases))
	}
	for _, r := range raws {
		found := false
		for _, c := range cases {
			if strings.Contains(string(r.Raw), "w01018-Avg="+c.val+"&&") {
				found = true
				if !slices.Contains(r.Deviations, c.dev) {
					t.Errorf("frame with %q: deviations %v, want %s", c.val, r.Deviations, c.dev)
				}
			}
		}
		if !found {
			t.Errorf("archived bytes %q are not a sent frame", r.Raw)
		}
	}
}
