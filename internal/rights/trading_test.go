package rights

import (
	"strings"
	"testing"
	"time"
)

func TestTradingRulesEdges(t *testing.T) {
	rs := DefaultTradingRules()
	old, now := cst(2026, 5, 31, 23), cst(2026, 6, 1, 0)
	const (
		tenT   = 10 * t1
		tenthT = t1 / 10  // 0.1 t/a
		nh3T   = t1 / 100 // NH3-N 0.01 t/a
	)
	cases := []struct {
		name string
		at   time.Time
		adds map[string]int64
		want Obligation
	}{
		// Until 2026-06-01: the sums of 10 t/a.
		{"water sum 10 t − 1 g", old, map[string]int64{"COD": tenT - nh3T - 1, "NH3-N": nh3T}, TotalSystem},
		{"water sum 10 t", old, map[string]int64{"COD": tenT - nh3T, "NH3-N": nh3T}, MustTrade},
		{"water sum 10 t + 1 g", old, map[string]int64{"COD": tenT + 1}, MustTrade},
		{"air sum 10 t − 1 g", old, map[string]int64{"SO2": 2 * t1, "NOx": 3 * t1, "VOCs": 4 * t1, "PM": t1 - 1}, TotalSystem},
		{"air sum 10 t", old, map[string]int64{"SO2": 2 * t1, "NOx": 3 * t1, "VOCs": 4 * t1, "PM": t1}, MustTrade},
		{"sums are per medium", old, map[string]int64{"COD": 6 * t1, "SO2": 6 * t1}, TotalSystem},
		// … and the de-minimis exemption.
		{"every factor below 0.1 t", old, map[string]int64{"COD": tenthT - 1, "SO2": tenthT - 1, "NH3-N": nh3T - 1}, ExemptSource},
		{"COD at 0.1 t", old, map[string]int64{"COD": tenthT, "NH3-N": 0}, TotalSystem},
		{"NH3-N at 0.01 t", old, map[string]int64{"COD": 1, "NH3-N": nh3T}, TotalSystem},
		{"NH3-N 0.01 t − 1 g", old, map[string]int64{"NH3-N": nh3T - 1}, ExemptSource},
		{"nothing added", old, map[string]int64{}, ExemptSource},
		// From 2026-06-01: any factor above 0.1 t/a (NH3-N 0.01 t/a).
		{"new: COD 0.1 t", now, map[string]int64{"COD": tenthT}, CountyWriteOff},
		{"new: COD 0.1 t + 1 g", now, map[string]int64{"COD": tenthT + 1}, MustTrade},
		{"new: NH3-N 0.01 t", now, map[string]int64{"NH3-N": nh3T, "COD": tenthT}, CountyWriteOff},
		{"new: NH3-N 0.01 t + 1 g", now, map[string]int64{"NH3-N": nh3T + 1}, MustTrade},
		{"new: VOCs 0.1 t + 1 g", now, map[string]int64{"VOCs": tenthT + 1}, MustTrade},
		{"new: 9 t of COD is traded now", now, map[string]int64{"COD": 9 * t1}, MustTrade},
		{"old: 9 t of COD was not", old, map[string]int64{"COD": 9 * t1}, TotalSystem},
	}
	for _, c := range cases {
		d, err := ClassifyApplication(rs, c.at, c.adds)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d.Obligation != c.want {
			t.Errorf("%s: %s (%s, %s), want %s", c.name, d.Obligation, d.Version, d.Reason, c.want)
		}
	}
}

func TestTradingRulesVersionByDate(t *testing.T) {
	rs := DefaultTradingRules()
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{cst(2026, 5, 31, 0), "聊城市排污权有偿使用和交易实施细则(试行)"},
		{cst(2026, 5, 31, 23).Add(59*time.Minute + 59*time.Second), "聊城市排污权有偿使用和交易实施细则(试行)"},
		{cst(2026, 6, 1, 0), "聊城市排污权有偿使用和交易管理办法"},
		// 2026-05-31 16:30 UTC is 2026-06-01 00:30 in China: the new rules.
		{time.Date(2026, 5, 31, 16, 30, 0, 0, time.UTC), "聊城市排污权有偿使用和交易管理办法"},
		{cst(2023, 9, 24, 0), "聊城市排污权有偿使用和交易实施细则(试行)"},
	} {
		r, err := TradingRulesAt(rs, c.at)
		if err != nil || r.Version != c.want {
			t.Errorf("%s: %q, %v; want %q", c.at.Format(time.RFC3339), r.Version, err, c.want)
		}
	}
	if _, err := TradingRulesAt(rs, cst(2023, 9, 23, 23)); err == nil {
		t.Error("an application before the first version should be refused")
	}
}

func TestParseTradingRulesErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`[{"version":"","from":"2026-01-01","trade_above":{"*":1},"below":"county-writeoff"}]`, "version: required"},
		{`[{"version":"v","from":"2026-13-01","trade_above":{"*":1},"below":"county-writeoff"}]`, "from:"},
		{`[{"version":"v","from":"2026-01-01","below":"county-writeoff"}]`, "sums:"},
		{`[{"version":"v","from":"2026-01-01","trade_above":{"COD":1},"below":"county-writeoff"}]`, "trade_above:"},
		{`[{"version":"v","from":"2026-01-01","trade_above":{"*":1},"below":"maybe"}]`, "below:"},
		{`[{"version":"v","from":"2026-01-01","sums":[{"name":"w","pollutants":[],"trade_at_least":1}],"below":"total-system"}]`, "sums[0]"},
		{`[{"version":"a","from":"2026-01-01","trade_above":{"*":1},"below":"county-writeoff"},{"version":"b","from":"2026-01-01","trade_above":{"*":1},"below":"county-writeoff"}]`, "not after"},
		{`[{"version":"v","from":"2026-01-01","trade_above":{"*":1},"below":"county-writeoff","extra":1}]`, "unknown field"},
	}
	for _, c := range cases {
		_, err := ParseTradingRules([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.json, err, c.want)
		}
	}
	if _, err := (TradingRules{}).Classify(map[string]int64{"COD": -1}); err == nil {
		t.Error("a negative addition should be refused")
	}
}

func FuzzParseTradingRules(f *testing.F) {
	f.Add([]byte(liaochengTradingJSON))
	f.Add([]byte(`[{"version":"v","from":"2026-01-01","trade_above":{"*":1},"below":"county-writeoff"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseTradingRules(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			_, _ = r.Classify(map[string]int64{"COD": 1, "NH3-N": 1})
		}
	})
}
