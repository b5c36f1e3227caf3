package rights

import (
	"fmt"
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

// TestReserveAllocationTradingRules: a reservoir allocation is classified
// by the trading rules in force on the application's date (China day); a
// project that must trade is refused with the rule version, the factor
// and the amount; an exempt one is written off by the county when
// granted; the decision is stored with the allocation and survives a
// replay.
func TestReserveAllocationTradingRules(t *testing.T) {
	l := newLedger(t)
	l.credit("CR1", dongchangfu, "NOx", 50*t1)
	l.now = cst(2026, 6, 1, 10)
	const (
		tenthT = t1 / 10
		nh3T   = t1 / 100
	)
	old, now := cst(2026, 5, 31, 0), cst(2026, 6, 1, 0)
	n := 0
	reserve := func(applied time.Time, need int64, adds map[string]int64) ReserveAllocation {
		n++
		return ReserveAllocation{Meta: Meta{Key: fmt.Sprintf("res-%d", n)}, Allocation: fmt.Sprintf("A%d", n), EIA: "聊环审〔2026〕1号",
			Project: entB, Region: dongchangfu, Pollutant: "NOx", Attainment: NonAttain, Year: 2026, ProjectType: "steel",
			Need: need, Credits: []string{"CR1"}, Applied: applied, Additions: adds}
	}
	refused := []struct {
		name  string
		cmd   ReserveAllocation
		field string
		says  []string
	}{
		{"old: air sum exactly 10 t", reserve(old, t1, map[string]int64{"NOx": t1, "SO2": 9 * t1}), "additions",
			[]string{"实施细则(试行)", "applied 2026-05-31", "10000000 g/a (10.000000 t/a) ≥ 10000000 g/a"}},
		{"old: water sum exactly 10 t", reserve(old, t1, map[string]int64{"NOx": t1, "COD": 10*t1 - nh3T, "NH3-N": nh3T}), "additions",
			[]string{"water [COD NH3-N] adds 10000000 g/a"}},
		{"new: NOx 0.1 t + 1 g", reserve(now, tenthT+1, map[string]int64{"NOx": tenthT + 1}), "additions",
			[]string{"管理办法", "applied 2026-06-01", "NOx adds 100001 g/a (0.100001 t/a) > 100000 g/a"}},
		{"new: NH3-N 0.01 t + 1 g", reserve(now, tenthT, map[string]int64{"NOx": tenthT, "NH3-N": nh3T + 1}), "additions",
			[]string{"NH3-N adds 10001 g/a (0.010001 t/a) > 10000 g/a"}},
		{"new, today, need alone", reserve(time.Time{}, tenthT+1, nil), "need", []string{"applied 2026-06-01", "NOx adds 100001 g/a"}},
		// 2026-05-31 16:00 UTC is already 2026-06-01 in China: the new rules.
		{"new by the China day", reserve(time.Date(2026, 5, 31, 16, 0, 0, 0, time.UTC), t1, nil), "need", []string{"管理办法"}},
	}
	for _, c := range refused {
		r := l.refuse(c.cmd, ErrMustTrade, c.field)
		for _, s := range c.says {
			if !strings.Contains(r.Reason, s) {
				t.Errorf("%s: %q lacks %q", c.name, r.Reason, s)
			}
		}
	}
	accepted := []struct {
		name    string
		cmd     ReserveAllocation
		want    Obligation
		version string
	}{
		{"old: air sum 10 t − 1 g", reserve(old, t1, map[string]int64{"NOx": t1, "SO2": 9*t1 - 1}), TotalSystem, "实施细则(试行)"},
		{"old: 9 t need alone", reserve(old, 9*t1, nil), TotalSystem, "实施细则(试行)"},
		{"old: NOx exactly 0.1 t", reserve(old, tenthT, map[string]int64{"NOx": tenthT}), TotalSystem, "实施细则(试行)"},
		{"old: every factor below", reserve(old, tenthT-1, map[string]int64{"NOx": tenthT - 1, "NH3-N": nh3T - 1}), ExemptSource, "实施细则(试行)"},
		{"new: NOx exactly 0.1 t", reserve(now, tenthT, map[string]int64{"NOx": tenthT, "NH3-N": nh3T}), CountyWriteOff, "管理办法"},
	}
	for _, c := range accepted {
		l.apply(c.cmd)
		a, _ := l.s.Allocation(c.cmd.Allocation)
		if a.Trading.Obligation != c.want || !strings.Contains(a.Trading.Version, c.version) || a.Trading.Stated != (c.cmd.Additions != nil) ||
			a.Trading.Applied != chinaDay(c.cmd.Applied).Format(time.DateOnly) {
			t.Errorf("%s: recorded %+v, want %s under %s", c.name, a.Trading, c.want, c.version)
		}
	}
	// Granting an exempt allocation writes the replaced share off at once
	// (2:1 here: the project gets the need, the county writes off as much).
	for _, c := range accepted {
		l.apply(LockAllocation{Meta: Meta{Key: "lock-" + c.cmd.Allocation}, Allocation: c.cmd.Allocation})
		off := l.s.Balance(WrittenOff, "NOx")
		r := l.apply(GrantAllocation{Meta: Meta{Key: "grant-" + c.cmd.Allocation}, Allocation: c.cmd.Allocation})
		a, _ := l.s.Allocation(c.cmd.Allocation)
		wantStatus, wantOff := AllocGranted, int64(0)
		if c.want == ExemptSource || c.want == CountyWriteOff {
			wantStatus, wantOff = AllocWrittenOff, c.cmd.Need
		}
		if r.Status != wantStatus || a.Status != wantStatus || l.s.Balance(WrittenOff, "NOx")-off != wantOff {
			t.Errorf("%s: grant → %s (result %s), written off %d; want %s, %d", c.name, a.Status, r.Status,
				l.s.Balance(WrittenOff, "NOx")-off, wantStatus, wantOff)
		}
	}
	l.replayed()
}

// 确权 is for existing units: in operation, or EIA approved or filed,
// before the policy's day (聊政办字〔2023〕24号, 2023-09-24, China calendar
// day); a unit dated on or after it is a new unit whose rights come from
// the reservoir or the market, under either version of the rules.
func TestClassifyPermitEdges(t *testing.T) {
	rs := DefaultTradingRules()
	for _, c := range []struct {
		name    string
		since   time.Time
		want    Obligation
		version string
	}{
		{"years before", cst(2015, 1, 1, 0), ExistingUnit, "聊城市排污权有偿使用和交易实施细则(试行)"},
		{"the day before, last second", cst(2023, 9, 23, 23).Add(59*time.Minute + 59*time.Second), ExistingUnit, "聊城市排污权有偿使用和交易实施细则(试行)"},
		{"the policy's day", cst(2023, 9, 24, 0), MustTrade, "聊城市排污权有偿使用和交易实施细则(试行)"},
		// 2023-09-23 16:00 UTC is 2023-09-24 00:00 in China: new.
		{"UTC day before, China day of", time.Date(2023, 9, 23, 16, 0, 0, 0, time.UTC), MustTrade, "聊城市排污权有偿使用和交易实施细则(试行)"},
		{"UTC 15:59:59, China 23:59:59 the day before", time.Date(2023, 9, 23, 15, 59, 59, 0, time.UTC), ExistingUnit, "聊城市排污权有偿使用和交易实施细则(试行)"},
		{"under the 2025 rules", cst(2026, 6, 1, 0), MustTrade, "聊城市排污权有偿使用和交易管理办法"},
	} {
		d, err := ClassifyPermit(rs, c.since)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d.Obligation != c.want || d.Version != c.version || !strings.Contains(d.Reason, "2023-09-24") {
			t.Errorf("%s: %+v, want %s under %s", c.name, d, c.want, c.version)
		}
	}
	if _, err := ClassifyPermit(nil, cst(2020, 1, 1, 0)); err == nil {
		t.Error("no rules: want an error")
	}
}

// allocate_permit with existing_since: an existing unit's confirmation is
// recorded with its decision (and survives a replay), a new unit's is
// refused with nothing written, a date after today is refused, and
// without the date the permit is recorded unclassified as before.
func TestAllocatePermitExistingUnit(t *testing.T) {
	l := newLedger(t) // now: 2024-03-01 09:00 China time
	permit := func(key, no string, since time.Time) AllocatePermit {
		return AllocatePermit{Meta: Meta{Key: key}, Permit: no, Enterprise: entA, County: dongchangfu,
			Pollutant: "NOx", Quantity: 5 * t1, ValidFrom: l.now, Paid: true, ExistingSince: since}
	}
	l.apply(permit("p1", "PW-OLD", cst(2023, 9, 23, 0)))
	p, ok := l.s.Permit("PW-OLD", "NOx")
	if !ok || p.ExistingSince != "2023-09-23" || p.Confirmation.Obligation != ExistingUnit || l.s.Balance(accA, "NOx") != 5*t1 {
		t.Fatalf("existing unit's permit: %+v (balance %d)", p, l.s.Balance(accA, "NOx"))
	}
	r := l.refuse(permit("p2", "PW-NEW", cst(2023, 9, 24, 0)), ErrMustTrade, "existing_since")
	if !strings.Contains(r.Reason, "new unit") || !strings.Contains(r.Reason, "2023-09-24") {
		t.Errorf("refusal: %s", r.Reason)
	}
	l.refuse(permit("p3", "PW-NEW", time.Date(2023, 9, 23, 16, 0, 0, 0, time.UTC)), ErrMustTrade, "existing_since")
	l.refuse(permit("p4", "PW-FUT", cst(2024, 3, 2, 0)), ErrInvalid, "existing_since")
	l.apply(permit("p5", "PW-UNSTATED", time.Time{}))
	if p, _ := l.s.Permit("PW-UNSTATED", "NOx"); p.ExistingSince != "" || p.Confirmation != (Decision{}) {
		t.Errorf("unstated: %+v", p)
	}
	l.replayed()
}
