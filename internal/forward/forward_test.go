package forward

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

const goodYAML = `targets:
  - name: province
    address: 127.0.0.1:9000
    protocol: "2017"
    select:
      counties: ["371502"]
      mns: [DEV3]
    data: [minute, hour, state]
    map:
      - mn: DEV1
        upper_mn: 010000A8900016F000169UP1
        password: "654321"
    ack_timeout: 5s
    retries: 2
  - name: nation
    address: "[::1]:9001"
    protocol: "2005"
    select: {all: true}
    data: [realtime]
    password: "111111"
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse("forward.yaml", []byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, n := &cfg.Targets[0], &cfg.Targets[1]
	if got := strings.Join(p.CNs(), ","); got != "2021,2041,2051,2061" {
		t.Errorf("province CNs = %s", got)
	}
	if p.Timeout() != 5*time.Second || p.RetryCount() != 2 || p.Window != DefaultWindow || p.Version() != hj212.V2017 {
		t.Errorf("province rules = %v %d %d %v", p.Timeout(), p.RetryCount(), p.Window, p.Version())
	}
	if n.Timeout() != DefaultAckTimeout || n.RetryCount() != DefaultRetries || n.Version() != hj212.V2005 || n.MaxQueue != DefaultMaxQueue {
		t.Errorf("nation defaults = %v %d %v", n.Timeout(), n.RetryCount(), n.Version())
	}
	// JSON is read too.
	if _, err := Parse("f.json", []byte(`{"targets":[{"name":"a","address":"h:1","select":{"all":true},"data":["day"]}]}`)); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // each a substring of the error
	}{
		{"empty", ``, []string{"targets: no target"}},
		{"syntax", "targets: [\n  - name: a\n   bad", []string{"f.yaml:"}},
		{"unknown field", "targets:\n  - name: a\n    adress: h:1\n", []string{"f.yaml:3:", "adress"}},
		{"missing", "targets:\n  - name: a\n", []string{
			"f.yaml:2: targets[0].address: missing", "targets[0].select: chooses no device", "targets[0].data: missing"}},
		{"bad values", `targets:
  - name: "bad name!"
    address: nohost
    protocol: "2019"
    select: {mns: ["x;y"]}
    data: [minute, weekly]
    ack_timeout: 120s
    retries: 100
    window: -1
    max_queue: 5
`, []string{
			`f.yaml:2: targets[0].name: "bad name!"`,
			`f.yaml:3: targets[0].address: "nohost" is not host:port`,
			`f.yaml:4: targets[0].protocol: "2019": want 2017, 2005 or 2025`,
			`targets[0].select.mns[0]: "x;y" is not an MN`,
			`targets[0].data[1]: "weekly"`,
			`f.yaml:7: targets[0].ack_timeout: 2m0s: want 1s to 99s`,
			`f.yaml:8: targets[0].retries: 100`,
			`f.yaml:9: targets[0].window`,
			`f.yaml:10: targets[0].max_queue`,
		}},
		{"duplicates", `targets:
  - {name: a, address: "h:1", select: {all: true}, data: [minute], map: [{mn: D1, upper_mn: U}, {mn: D2, upper_mn: U}, {mn: D1}]}
  - {name: a, address: "h:1", select: {all: true}, data: [minute]}
`, []string{`targets[1].name: "a" is also the name of targets[0]`, `map[1].upper_mn: "U" is also the upper MN of D1`, `map[2].mn: "D1" is mapped twice`}},
		{"bad port", "targets: [{name: a, address: \"h:0\", select: {all: true}, data: [day]}]", []string{`port "0"`}},
		{"bad duration", "targets: [{name: a, address: \"h:1\", select: {all: true}, data: [day], ack_timeout: soon}]", []string{`"soon" is not a duration`}},
		{"bad password", "targets: [{name: a, address: \"h:1\", select: {all: true}, data: [day], password: \"a;b\"}]", []string{`targets[0].password: not a password`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func testRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{{Code: "371502", Name: "东昌府区"}, {Code: "371521", Name: "阳谷县"}},
		Enterprises: []model.Enterprise{
			{USCC: "E1", Name: "甲", County: "371502"}, {USCC: "E2", Name: "乙", County: "371521"}},
		Outlets: []model.Outlet{
			{ID: "O1", Enterprise: "E1"}, {ID: "O2", Enterprise: "E2"}, {ID: "O3", Enterprise: "E2"}},
		Devices: []model.Device{
			{MN: "DEV1", Password: "123456", Outlet: "O1", ST: "31"},
			{MN: "DEV2", Password: "123456", Outlet: "O2"},
			{MN: "DEV3", Password: "222222", Outlet: "O3"},
			{MN: "STATION", Password: "1"},
		},
	}
}

func TestPlanSelection(t *testing.T) {
	base := "targets:\n  - name: t\n    address: h:1\n    data: [minute]\n    select: "
	tests := []struct {
		sel  string
		want string // selected MNs
	}{
		{"{all: true}", "DEV1,DEV2,DEV3,STATION"},
		{`{counties: ["371502"]}`, "DEV1"},
		{`{counties: ["371521"]}`, "DEV2,DEV3"},
		{`{enterprises: [E2]}`, "DEV2,DEV3"},
		{`{outlets: [O3]}`, "DEV3"},
		{`{mns: [STATION, DEV2]}`, "DEV2,STATION"},
		{`{counties: ["371502"], outlets: [O3]}`, "DEV1,DEV3"},
		{`{counties: ["999999"]}`, ""},
	}
	for _, tc := range tests {
		cfg, err := Parse("f", []byte(base+tc.sel+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.sel, err)
		}
		p := PlanFor(cfg, testRegistry())
		var got []string
		for _, r := range p.Routes {
			got = append(got, r.MN)
			if strings.Join(r.CNs, ",") != "2051" {
				t.Errorf("%s: route CNs %v", tc.sel, r.CNs)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("select %s = %v; want %s", tc.sel, got, tc.want)
		}
	}
}

func TestPlanIdentityAndWarnings(t *testing.T) {
	cfg, err := Parse("f", []byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	p := PlanFor(cfg, testRegistry())
	if id := p.Ident["province"]["DEV1"]; id != (Identity{MN: "010000A8900016F000169UP1", PW: "654321", ST: "31"}) {
		t.Errorf("DEV1 upstream = %+v", id)
	}
	if id := p.Ident["province"]["DEV3"]; id != (Identity{MN: "DEV3", PW: "222222"}) {
		t.Errorf("DEV3 upstream = %+v (default: same MN and password)", id)
	}
	if id := p.Ident["nation"]["DEV2"]; id.PW != "111111" {
		t.Errorf("nation's password not used: %+v", id)
	}
	if p.Reverse["province"]["010000A8900016F000169UP1"] != "DEV1" {
		t.Errorf("reverse = %v", p.Reverse)
	}
	// Duplicated upstream MN, names the registry lacks.
	cfg2, _ := Parse("f", []byte(`targets: [{name: t, address: "h:1", data: [minute], select: {all: true, counties: [X]},
  map: [{mn: DEV1, upper_mn: DEV2}, {mn: GONE}]}]`))
	p2 := PlanFor(cfg2, testRegistry())
	w := strings.Join(p2.Warnings, "\n")
	for _, want := range []string{"devices DEV1 and DEV2 would both be DEV2", `select.counties names "X"`, "map names GONE"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
}

func qnSeq() func() string {
	var q QNs
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	return func() string { return q.Next(at) }
}

func TestBuildUpload(t *testing.T) {
	u := model.Upload{MN: "DEV1", CN: "2051", DataTime: time.Date(2026, 12, 6, 0, 1, 0, 0, time.UTC), Values: []model.Value{
		{Factor: "a21026", Field: "Avg", Value: "12.5"}, {Factor: "a21026", Field: "Flag", Value: "N"},
		{Factor: "a34013", Field: "Avg", Value: "3"}}}
	tests := []struct {
		v    hj212.Version
		want string
	}{
		// The 2017 edition's Flag with A = 1 is 5 (§6.3.2; Appendix C).
		{hj212.V2017, "QN=20261206160000000;ST=31;CN=2051;PW=654321;MN=010000A8900016F000169UP1;Flag=5;CP=&&DataTime=20261206080100;a21026-Avg=12.5,a21026-Flag=N;a34013-Avg=3&&"},
		{hj212.V2005, "QN=20261206160000000;ST=31;CN=2051;PW=654321;MN=010000A8900016F000169UP1;Flag=1;CP=&&DataTime=20261206080100;a21026-Avg=12.5,a21026-Flag=N;a34013-Avg=3&&"},
		{hj212.V2025, "QN=20261206160000000;ST=31;CN=2051;PW=654321;MN=010000A8900016F000169UP1;Flag=9;CP=&&DataTime=20261206080100;a21026-Avg=12.5,a21026-Flag=N;a34013-Avg=3&&"},
	}
	for _, tc := range tests {
		ps := BuildUpload(&u, Identity{MN: "010000A8900016F000169UP1", PW: "654321"}, tc.v, qnSeq())
		if len(ps) != 1 {
			t.Fatalf("%v: %d packets", tc.v, len(ps))
		}
		var f hj212.Frame
		if err := hj212.Decode(ps[0].Frame, &f, hj212.Options{Mode: hj212.Strict}); err != nil {
			t.Fatalf("%v: our frame does not decode strictly: %v\n%s", tc.v, err, ps[0].Frame)
		}
		seg := string(ps[0].Frame[6 : len(ps[0].Frame)-6])
		if seg != tc.want || ps[0].QN != string(f.QN) || !f.NeedsAck() {
			t.Errorf("%v:\n got %s\nwant %s", tc.v, seg, tc.want)
		}
	}
	// Water factors without a registered ST: 32.
	w := model.Upload{CN: "2061", Values: []model.Value{{Factor: "w01018", Field: "Avg", Value: "1"}}}
	if st := STFor(Identity{}, &w); st != "32" {
		t.Errorf("ST of water = %s", st)
	}
}

func TestBuildUploadSplits(t *testing.T) {
	u := model.Upload{MN: "DEV1", CN: "2061", DataTime: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	for i := range 60 {
		f := "a9" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		u.Values = append(u.Values, model.Value{Factor: f, Field: "Avg", Value: "123.456"},
			model.Value{Factor: f, Field: "Flag", Value: "N"})
	}
	ps := BuildUpload(&u, Identity{MN: "010000A8900016F000169UP1", PW: "123456"}, hj212.V2017, qnSeq())
	if len(ps) < 2 {
		t.Fatalf("%d packets; want a split", len(ps))
	}
	seen := 0
	for i, p := range ps {
		var f hj212.Frame
		if err := hj212.Decode(p.Frame, &f, hj212.Options{Mode: hj212.Strict}); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		// Flag 7: 2017, split, answer wanted (§6.3.2; Appendix C.49).
		if f.Flag != 7 || f.PNUM != len(ps) || f.PNO != i+1 {
			t.Errorf("packet %d: Flag %d PNUM %d PNO %d", i, f.Flag, f.PNUM, f.PNO)
		}
		if _, ok := f.Get("DataTime"); !ok {
			t.Errorf("packet %d has no DataTime", i)
		}
		for _, kv := range f.CP {
			if string(kv.Key) != "DataTime" {
				seen++
			}
		}
		if i > 0 && p.QN == ps[i-1].QN {
			t.Errorf("packets share QN %s", p.QN)
		}
	}
	if seen != len(u.Values) {
		t.Errorf("packets carry %d values; want %d", seen, len(u.Values))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSenderRules(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	entry := func(id int64, qns ...string) *Entry {
		e := &Entry{ID: id}
		for _, q := range qns {
			e.Packets = append(e.Packets, Packet{QN: q})
		}
		return e
	}
	type step struct {
		at     time.Duration
		do     string // "send id qn...", "ack qn", "due"
		want   string // ack: completed id or "-"; due: resent QNs and "fail"
		expect int    // in flight after
	}
	tests := []struct {
		name  string
		rules Rules
		steps []step
	}{
		{"acked in time", Rules{Timeout: 10 * time.Second, Retries: 3, Window: 2}, []step{
			{0, "send 1 q1", "", 1}, {time.Second, "ack q1", "1", 0}, {20 * time.Second, "due", "", 0}}},
		{"resent after the timeout, then acked", Rules{Timeout: 10 * time.Second, Retries: 3, Window: 2}, []step{
			{0, "send 1 q1", "", 1}, {9 * time.Second, "due", "", 1}, {10 * time.Second, "due", "q1", 1},
			{15 * time.Second, "due", "", 1}, {20 * time.Second, "due", "q1", 1}, {21 * time.Second, "ack q1", "1", 0}}},
		// §6.2: after ReCount resends without answer the link is unusable.
		{"link fails after the retries", Rules{Timeout: 5 * time.Second, Retries: 2, Window: 1}, []step{
			{0, "send 1 q1", "", 1}, {5 * time.Second, "due", "q1", 1}, {10 * time.Second, "due", "q1", 1},
			{15 * time.Second, "due", "fail", 1}}},
		{"no retries", Rules{Timeout: 5 * time.Second, Retries: 0, Window: 1}, []step{
			{0, "send 1 q1", "", 1}, {5 * time.Second, "due", "fail", 1}}},
		{"split packets each acked", Rules{Timeout: 10 * time.Second, Retries: 3, Window: 1}, []step{
			{0, "send 1 qa qb", "", 1}, {time.Second, "ack qb", "-", 1}, {10 * time.Second, "due", "qa", 1},
			{11 * time.Second, "ack qa", "1", 0}}},
		{"unknown and repeated acks", Rules{Timeout: 10 * time.Second, Retries: 3, Window: 4}, []step{
			{0, "send 1 q1", "", 1}, {0, "send 2 q2", "", 2}, {time.Second, "ack zz", "-", 2},
			{time.Second, "ack q2", "2", 1}, {time.Second, "ack q2", "-", 1}, {2 * time.Second, "ack q1", "1", 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSender(tc.rules)
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				f := strings.Fields(st.do)
				switch f[0] {
				case "send":
					var id int64
					for _, c := range f[1] {
						id = id*10 + int64(c-'0')
					}
					if s.Room() == 0 {
						t.Fatalf("step %d: no room", i)
					}
					s.Send(entry(id, f[2:]...), now)
				case "ack":
					e := s.Ack(f[1])
					got := "-"
					if e != nil {
						got = itoa(int(e.ID))
					}
					if got != st.want {
						t.Errorf("step %d %s: completed %s; want %s", i, st.do, got, st.want)
					}
				case "due":
					ps, failed := s.Due(now)
					var got []string
					for _, p := range ps {
						got = append(got, p.QN)
					}
					if failed {
						got = append(got, "fail")
					}
					if strings.Join(got, " ") != st.want {
						t.Errorf("step %d at %v: due %v; want %q", i, st.at, got, st.want)
					}
				}
				if s.InFlight() != st.expect {
					t.Errorf("step %d: %d in flight; want %d", i, s.InFlight(), st.expect)
				}
			}
		})
	}
	s := NewSender(Rules{Window: 2})
	s.Send(entry(1, "a"), t0)
	if s.Room() != 1 || !s.Has(1) || s.Next() != t0.Add(DefaultAckTimeout) {
		t.Errorf("room %d has %v next %v", s.Room(), s.Has(1), s.Next())
	}
	s.SetTimeouts(3*time.Second, 1)
	if r := s.Rules(); r.Timeout != 3*time.Second || r.Retries != 1 {
		t.Errorf("CN 1000 not applied: %+v", r)
	}
	s.Reset()
	if s.InFlight() != 0 || s.Room() != 2 || !s.Next().IsZero() {
		t.Errorf("after reset: %d in flight", s.InFlight())
	}
}

func decodeOrFail(t *testing.T, seg string) *hj212.Frame {
	t.Helper()
	var f hj212.Frame
	if err := hj212.Decode(hj212.AppendFrame(nil, []byte(seg)), &f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
		t.Fatalf("%s: %v", seg, err)
	}
	return &f
}

func TestReadRequest(t *testing.T) {
	tests := []struct {
		seg  string
		kind Kind
		bad  string
	}{
		{"QN=20261206080000001;ST=91;CN=9014;PW=1;MN=010000A8900016F000169UP1;Flag=4;CP=&&&&", KindAck, ""},
		{"QN=1;ST=91;CN=9013;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&&&", KindIgnore, ""},
		// Appendix C.21: get minute data of a period.
		{"QN=20160801085857223;ST=32;CN=2051;PW=100000;MN=010000A8900016F000169UP1;Flag=5;CP=&&BeginTime=20160801080000;EndTime=20160801085959&&", KindHistory, ""},
		{"QN=1;ST=32;CN=2061;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&BeginTime=20160801080000&&", KindHistory, "required"},
		{"QN=1;ST=32;CN=2061;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&BeginTime=20160801090000;EndTime=20160801080000&&", KindHistory, "before"},
		{"QN=1;ST=32;CN=2031;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&BeginTime=2016;EndTime=20160801080000&&", KindHistory, "BeginTime"},
		{"QN=1;ST=32;CN=1011;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&&&", KindGetTime, ""},
		{"QN=1;ST=32;CN=1012;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&SystemTime=20160801085857&&", KindSetTime, ""},
		{"QN=1;ST=32;CN=1012;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&SystemTime=x&&", KindSetTime, "SystemTime"},
		{"QN=1;ST=32;CN=1000;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&OverTime=5;ReCount=3&&", KindTimeouts, ""},
		{"QN=1;ST=32;CN=1000;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&OverTime=100&&", KindTimeouts, "OverTime"},
		{"QN=1;ST=32;CN=3012;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&&&", KindOther, ""},
		{"QN=1;ST=32;CN=3012;PW=1;MN=010000A8900016F000169UP1;Flag=4;CP=&&&&", KindIgnore, ""},
	}
	for _, tc := range tests {
		r := ReadRequest(decodeOrFail(t, tc.seg))
		if r.Kind != tc.kind || (tc.bad == "") != (r.Bad == "") || !strings.Contains(r.Bad, tc.bad) {
			t.Errorf("%s: kind %d bad %q; want %d %q", tc.seg, r.Kind, r.Bad, tc.kind, tc.bad)
		}
	}
	r := ReadRequest(decodeOrFail(t, "QN=1;ST=32;CN=1000;PW=1;MN=010000A8900016F000169UP1;Flag=5;CP=&&OverTime=5;ReCount=3&&"))
	if r.OverTime != 5*time.Second || r.ReCount != 3 {
		t.Errorf("1000: %+v", r)
	}
	if HistoryPeriod("2061") != time.Hour || HistoryPeriod("2031") != 24*time.Hour || HistoryPeriod("2051") != time.Minute {
		t.Error("history periods")
	}
}
