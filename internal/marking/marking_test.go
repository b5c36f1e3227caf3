package marking

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts"
)

var t0 = time.Date(2026, 3, 15, 6, 0, 0, 0, cst)

func mark(id, typ string, from time.Time, hours int) Mark {
	return Mark{ID: id, Version: 1, MN: "MN1", Outlet: "O1", Enterprise: "E1", County: "C1", Industry: IndustryThermalPower,
		Type: typ, From: from, To: from.Add(time.Duration(hours) * time.Hour), Reason: "锅炉启炉", Status: StatusPending}
}

func TestDefaultRulesValid(t *testing.T) {
	r := DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, ty := range r.Types {
		if r.Source(ty.Source).Title == "" {
			t.Errorf("type %s cites unknown source %s", ty.Code, ty.Source)
		}
	}
	// Cement marks kiln conditions, not boiler start-up.
	var cement []string
	for _, ty := range r.TypesFor(IndustryCement) {
		cement = append(cement, ty.Code)
	}
	if got := strings.Join(cement, ","); !strings.Contains(got, "kiln-ignition") || strings.Contains(got, "startup") {
		t.Errorf("cement types %s", got)
	}
}

func TestFlagEffect(t *testing.T) {
	for _, c := range []struct {
		flag byte
		want Effect
	}{{0, EffectNone}, {'N', EffectNone}, {'T', EffectNone}, {'F', EffectInvalid}, {'M', EffectInvalid}, {'S', EffectInvalid},
		{'D', EffectInvalid}, {'C', EffectInvalid}, {'B', EffectInvalid}, {'X', EffectInvalid}} {
		if got := FlagEffect(c.flag); got != c.want {
			t.Errorf("flag %q: %q, want %q", c.flag, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	r := DefaultRules()
	now := t0.Add(2 * time.Hour)
	m := mark("M", "startup", t0, 3)
	if err := Check(&m, &r, now); err != nil || m.Late || m.Rules != r.Version || m.Status != StatusPending {
		t.Fatalf("timely mark: %v %+v", err, m)
	}
	late := mark("L", "startup", t0, 3)
	if err := Check(&late, &r, t0.Add(r.Deadline+time.Second)); err != nil || !late.Late {
		t.Fatalf("late mark: %v late=%v", err, late.Late)
	}
	edge := mark("E", "startup", t0, 3)
	if err := Check(&edge, &r, t0.Add(r.Deadline)); err != nil || edge.Late {
		t.Fatalf("mark exactly at the deadline is in time: %v late=%v", err, edge.Late)
	}
	bad := []struct {
		name string
		f    func(*Mark)
	}{
		{"unknown type", func(m *Mark) { m.Type = "holiday" }},
		{"wrong industry", func(m *Mark) { m.Type = "kiln-drying" }},
		{"empty period", func(m *Mark) { m.To = m.From }},
		{"too long", func(m *Mark) { m.To = m.From.Add(r.MaxSpan + time.Hour) }},
		{"no reason", func(m *Mark) { m.Reason = "" }},
		{"no device", func(m *Mark) { m.MN = "" }},
		{"before the rules", func(m *Mark) {
			m.From, m.To = time.Date(2022, 6, 1, 0, 0, 0, 0, cst), time.Date(2022, 6, 1, 2, 0, 0, 0, cst)
		}},
	}
	for _, b := range bad {
		m := mark("B", "startup", t0, 3)
		b.f(&m)
		if err := Check(&m, &r, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", b.name, err)
		}
	}
}

func TestJudge(t *testing.T) {
	r := DefaultRules()
	start := mark("S", "startup", t0, 3)
	stop := mark("P", "stopped", t0.Add(time.Hour), 1)
	rejected := mark("R", "eq-maintenance", t0, 3)
	rejected.Status = StatusRejected
	late := mark("L", "eq-fault", t0, 3)
	late.Late = true
	marks := []Mark{start, stop, rejected, late}
	cases := []struct {
		name   string
		at     time.Time
		flag   byte
		effect Effect
		rule   string
		valid  bool
		judged bool
	}{
		{"normal, unmarked", t0.Add(-time.Hour), 'N', EffectNone, "", true, true},
		{"start-up excludes", t0, 'N', EffectExcluded, "mark:startup", true, false},
		{"device fault beats start-up", t0, 'D', EffectInvalid, "flag:D", false, false},
		{"stopped: not due", t0.Add(time.Hour), 'N', EffectNotDue, "mark:stopped", false, false},
		{"end is open", t0.Add(3 * time.Hour), 'N', EffectNone, "", true, true},
		{"over range is a real value", t0.Add(-time.Hour), 'T', EffectNone, "", true, true},
	}
	for _, c := range cases {
		v := Judge(&r, "MN1", "a21026", c.at, c.flag, marks)
		if v.Effect != c.effect || v.Rule != c.rule || v.Valid() != c.valid || v.Judged() != c.judged {
			t.Errorf("%s: %+v valid=%v judged=%v", c.name, v, v.Valid(), v.Judged())
		}
	}
	if v := Judge(&r, "OTHER", "", t0, 'N', marks); v.Effect != EffectNone {
		t.Errorf("another device's mark applied: %+v", v)
	}
}

func TestExplain(t *testing.T) {
	r := DefaultRules()
	hours := []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)}
	if ex := Explain(&r, "MN1", "a21026", hours, []Mark{mark("S", "startup", t0, 3)}); !ex.Excused || ex.Rule != "mark:startup" || ex.Mark != "S" {
		t.Errorf("covered: %+v", ex)
	}
	if ex := Explain(&r, "MN1", "a21026", hours, []Mark{mark("S", "startup", t0, 2)}); ex.Excused || ex.Rule != "no-mark" {
		t.Errorf("third hour uncovered: %+v", ex)
	}
	l := mark("L", "startup", t0, 3)
	l.Late = true
	if ex := Explain(&r, "MN1", "a21026", hours, []Mark{l}); ex.Excused || ex.Rule != "late-mark" || len(ex.Late) != 1 {
		t.Errorf("late: %+v", ex)
	}
	if ex := Explain(&r, "MN1", "a21026", hours, []Mark{mark("F", "treatment-fault", t0, 3)}); ex.Excused {
		t.Errorf("a treatment fault excuses nothing: %+v", ex)
	}
	fm := mark("F", "a21002", t0, 3)
	fm.Type, fm.Factor = "startup", "a21002"
	if ex := Explain(&r, "MN1", "a21026", hours, []Mark{fm}); ex.Excused {
		t.Errorf("a mark of another factor excused: %+v", ex)
	}
}

func TestFalseStop(t *testing.T) {
	r := DefaultRules()
	m := mark("P", "stopped", t0, 4)
	if bad, at := FalseStop(&r, &m, []time.Time{t0.Add(-time.Hour), t0.Add(2 * time.Hour)}); !bad || !at.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("production ran during a stop: %v %v", bad, at)
	}
	if bad, _ := FalseStop(&r, &m, []time.Time{t0.Add(5 * time.Hour)}); bad {
		t.Error("production after the stop is no contradiction")
	}
	s := mark("S", "startup", t0, 4)
	if bad, _ := FalseStop(&r, &s, []time.Time{t0}); bad {
		t.Error("a start-up runs production")
	}
}

// The arithmetic of the rate: 720 hours due, 30 of them marked stopped,
// 2 missing, 10 flagged maintenance, 5 under a calibration mark.
func TestCountDevice(t *testing.T) {
	r := DefaultRules()
	from := time.Date(2026, 4, 1, 0, 0, 0, 0, cst)
	to := from.AddDate(0, 1, 0)
	var hours []Hour
	i := 0
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		hr := Hour{Start: h, Received: true}
		switch {
		case i == 100 || i == 101:
			hr.Received = false
		case i >= 200 && i < 210:
			hr.Flag = 'M'
		}
		hours = append(hours, hr)
		i++
	}
	marks := []Mark{mark("P", "stopped", from.Add(400*time.Hour), 30), mark("C", "eq-calibration", from.Add(500*time.Hour), 5)}
	for k := range marks {
		marks[k].MN = "MN1"
	}
	c := CountDevice(&r, "MN1", from, to, hours, marks)
	want := Count{Due: 690, Received: 688, Valid: 673}
	if c != want {
		t.Fatalf("count %+v, want %+v", c, want)
	}
	if got := c.Arithmetic("zh"); got != "传输率 688/690 = 99.71%，有效率 673/688 = 97.82%，传输有效率 = 99.71% × 97.82% = 97.54%" {
		t.Errorf("arithmetic %s", got)
	}
	if e := c.Effective(); e < 0.9753 || e > 0.9754 {
		t.Errorf("effective %v", e)
	}
	if (Count{}).Effective() != 1 || (Count{Due: 5}).Effective() != 0 {
		t.Error("edges: nothing due is 1, nothing received is 0")
	}
}

func TestRank(t *testing.T) {
	rows := Rank([]Row{{Key: "b", Count: Count{10, 10, 9}}, {Key: "a", Count: Count{10, 10, 10}}, {Key: "c", Count: Count{10, 10, 9}}, {Key: "d", Count: Count{10, 8, 8}}}, 0.9)
	var got []string
	for _, r := range rows {
		got = append(got, r.Key+":"+string(rune('0'+r.Rank)))
		if r.Key == "d" && !r.Below || r.Key == "b" && r.Below {
			t.Errorf("below flag of %s", r.Key)
		}
	}
	if strings.Join(got, " ") != "a:1 b:2 c:2 d:4" {
		t.Errorf("ranks %v", got)
	}
}

// Every sign of the screening list names an alert rule that exists, with
// its source; the data signs 19–22 of the cited list are all screened.
func TestSignsHaveRules(t *testing.T) {
	rules := map[string]bool{}
	for r := alerts.Rule(1); r.String() != "unknown"; r++ {
		rules[r.String()] = true
	}
	items := map[int]bool{}
	for _, s := range Signs() {
		if !rules[s.Rule] || s.Source == "" || s.Params == "" {
			t.Errorf("sign %d %s: rule %q, source %q, params %q", s.Item, s.Zh, s.Rule, s.Source, s.Params)
		}
		items[s.Item] = true
	}
	for i := 19; i <= 22; i++ {
		if !items[i] {
			t.Errorf("item %d of %s is not on the list", i, SrcSigns)
		}
	}
}

// A document number is cited in Chinese without a space between Han
// characters, with one where a Latin letter or a digit meets one, and
// none before punctuation: the default rules' sources in the platform's
// wordings (依据…，, 按…判定超标, ；依据…).
func TestCite(t *testing.T) {
	rows := []struct{ before, ref, after, want string }{
		{"依据", "生态环境部公告2022年第21号", "，", "依据生态环境部公告2022年第21号，"},
		{"按", "生态环境部公告2022年第21号", "判定超标", "按生态环境部公告2022年第21号判定超标"},
		{"依据", "HJ 212-2017 表8", "，", "依据 HJ 212-2017 表8，"},
		{"按", "HJ 212-2017 表8", "判定超标", "按 HJ 212-2017 表8 判定超标"},
		{"按", "HJ 212-2017", "判定", "按 HJ 212-2017 判定"},
		{"；依据", "环境保护部污染源监控中心", "", "；依据环境保护部污染源监控中心"},
		{"依据", "执法函〔2020〕21号", "", "依据执法函〔2020〕21号"},
		{"依据", "山西日报 2022-12-15", "）", "依据山西日报 2022-12-15）"},
	}
	for _, r := range rows {
		if got := Cite(r.before, r.ref, r.after); got != r.want {
			t.Errorf("Cite(%q, %q, %q) = %q, want %q", r.before, r.ref, r.after, got, r.want)
		}
	}
}
