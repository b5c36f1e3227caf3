package rights

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

//go:embed data/liaocheng_trading_rules.json
var liaochengTradingJSON []byte

// DefaultTradingRules returns the city's versions shipped with the program
// (data/liaocheng_trading_rules.json); a later version is added to that
// file, or loaded with ParseTradingRules from elsewhere.
func DefaultTradingRules() []TradingRules {
	rs, err := ParseTradingRules(liaochengTradingJSON)
	if err != nil {
		// The embedded file is part of the program, checked by the tests.
		panic(fmt.Sprintf("embedded trading rules: %v", err))
	}
	return rs
}

// The city's rules on how a new, rebuilt or expanded project obtains the
// total-quantity indicators it adds, as versioned data: the version in
// force on the application's date decides. Quantities are g/a, as
// everywhere in the ledger (0.01 t/a = 10,000 g/a, exact).
//
// The versions known (rights-cases-accountability.md §1.3; the file
// data/liaocheng_trading_rules.json holds them, DefaultTradingRules reads
// it):
//   - 聊城市排污权有偿使用和交易实施细则(试行) (2023, under 聊政办字〔2023〕24号
//     of 2023-09-24), until 2026-06-01: a project adding ≥ 10 t/a of water
//     pollutants (COD + NH3-N) or ≥ 10 t/a of air pollutants (SO2 + NOx +
//     VOCs + PM) must obtain its rights by trading; a project adding
//     < 0.1 t/a of every factor (NH3-N < 0.01 t/a) need not state a source
//     (总量来源说明): the county arranges the replacement and records it;
//     the others follow the total-quantity system and may trade.
//   - 聊城市排污权有偿使用和交易管理办法 (聊政办字〔2025〕11号) and its new
//     细则, from 2026-06-01: any factor above 0.1 t/a (NH3-N above 0.01 t/a)
//     must be traded; below that trading is exempt and the county
//     periodically writes off (核销) the replacement indicators.

// Obligation is what a project's additions require.
type Obligation string

const (
	// MustTrade: the rights are obtained by trading (交易取得).
	MustTrade Obligation = "must-trade"
	// TotalSystem: the total-quantity system as before (替代削减), with
	// trading voluntary.
	TotalSystem Obligation = "total-system"
	// ExemptSource: no statement of the source is needed; the county
	// arranges the replacement and records it in its ledger.
	ExemptSource Obligation = "exempt-source"
	// CountyWriteOff: exempt from trading; the county writes the
	// replacement off periodically.
	CountyWriteOff Obligation = "county-writeoff"
	// ExistingUnit: the confirmation (确权) of an existing unit's rights,
	// outside the new-project trading rule (ClassifyPermit).
	ExistingUnit Obligation = "existing-unit"
)

// TradingSum is a threshold on the sum of several pollutants' additions.
type TradingSum struct {
	Name         string   `json:"name"`
	Pollutants   []string `json:"pollutants"`
	TradeAtLeast int64    `json:"trade_at_least"` // g/a: a sum ≥ this must be traded
}

// TradingRules is one version of the city's rules.
type TradingRules struct {
	Version string `json:"version"`
	Doc     string `json:"doc"`
	// From is the first day in force (China time); a version ends where the
	// next one begins.
	From string `json:"from"`
	// Sums: any sum at or above its threshold must be traded.
	Sums []TradingSum `json:"sums,omitempty"`
	// TradeAbove: any single factor above its threshold (g/a; "*" for
	// factors not named) must be traded.
	TradeAbove map[string]int64 `json:"trade_above,omitempty"`
	// ExemptBelow: when every factor is below its threshold, Below applies.
	ExemptBelow map[string]int64 `json:"exempt_below,omitempty"`
	// Below is the obligation of a project not required to trade and (when
	// ExemptBelow is set) under every exemption threshold.
	Below Obligation `json:"below"`

	from time.Time
}

// threshold returns the per-factor threshold of p in m ("*" for the rest).
func threshold(m map[string]int64, p string) int64 {
	if v, ok := m[p]; ok {
		return v
	}
	return m["*"]
}

// ParseTradingRules reads a JSON array of versions and validates them:
// every error names the version and the field.
func ParseTradingRules(b []byte) ([]TradingRules, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rs []TradingRules
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("trading rules: %w", err)
	}
	for i := range rs {
		r := &rs[i]
		bad := func(field, format string, args ...any) error {
			return fmt.Errorf("trading rules #%d %q: %s: %s", i+1, r.Version, field, fmt.Sprintf(format, args...))
		}
		if r.Version == "" {
			return nil, bad("version", "required")
		}
		t, err := time.ParseInLocation(time.DateOnly, r.From, chinatime.Zone)
		if err != nil {
			return nil, bad("from", "%q: want YYYY-MM-DD", r.From)
		}
		r.from = t
		if i > 0 && !t.After(rs[i-1].from) {
			return nil, bad("from", "%s is not after the previous version's %s", r.From, rs[i-1].From)
		}
		if len(r.Sums) == 0 && len(r.TradeAbove) == 0 {
			return nil, bad("sums", "a version needs sums or trade_above")
		}
		for j, s := range r.Sums {
			if len(s.Pollutants) == 0 || s.TradeAtLeast <= 0 {
				return nil, bad(fmt.Sprintf("sums[%d]", j), "needs pollutants and a positive trade_at_least")
			}
		}
		for _, m := range []struct {
			f string
			m map[string]int64
		}{{"trade_above", r.TradeAbove}, {"exempt_below", r.ExemptBelow}} {
			if len(m.m) > 0 && m.m["*"] <= 0 {
				return nil, bad(m.f, `needs a positive "*" threshold for the factors not named`)
			}
			for p, v := range m.m {
				if v <= 0 {
					return nil, bad(m.f, "%s: threshold must be positive", p)
				}
			}
		}
		if !slices.Contains([]Obligation{TotalSystem, ExemptSource, CountyWriteOff}, r.Below) {
			return nil, bad("below", "%q: want %s, %s or %s", r.Below, TotalSystem, ExemptSource, CountyWriteOff)
		}
	}
	return rs, nil
}

// TradingRulesAt returns the version in force on the application date
// (taken as a China calendar day), or an error before the first one.
func TradingRulesAt(rs []TradingRules, applied time.Time) (TradingRules, error) {
	d := applied.In(chinatime.Zone)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, chinatime.Zone)
	for i := len(rs) - 1; i >= 0; i-- {
		if !rs[i].from.After(day) {
			return rs[i], nil
		}
	}
	return TradingRules{}, fmt.Errorf("trading rules: none in force on %s", day.Format(time.DateOnly))
}

// Decision is the obligation of one application and why.
type Decision struct {
	Obligation Obligation `json:"obligation"`
	Version    string     `json:"version"` // the rules applied
	Reason     string     `json:"reason"`  // the threshold that decided, in the rules' terms
}

// Classify decides what a project adding the given quantities (g/a per
// pollutant code; zero and absent are the same) must do under r.
func (r TradingRules) Classify(adds map[string]int64) (Decision, error) {
	d := Decision{Version: r.Version}
	pols := make([]string, 0, len(adds))
	for p, q := range adds {
		if q < 0 {
			return d, fmt.Errorf("trading rules: %s: negative addition %d g/a", p, q)
		}
		pols = append(pols, p)
	}
	slices.Sort(pols)
	for _, s := range r.Sums {
		var sum int64
		for _, p := range s.Pollutants {
			sum += adds[p]
		}
		if sum >= s.TradeAtLeast {
			d.Obligation, d.Reason = MustTrade, fmt.Sprintf("%s %v adds %s ≥ %s", s.Name, s.Pollutants, grams(sum), grams(s.TradeAtLeast))
			return d, nil
		}
	}
	if len(r.TradeAbove) > 0 {
		for _, p := range pols {
			if t := threshold(r.TradeAbove, p); adds[p] > t {
				d.Obligation, d.Reason = MustTrade, fmt.Sprintf("%s adds %s > %s", p, grams(adds[p]), grams(t))
				return d, nil
			}
		}
	}
	if len(r.ExemptBelow) > 0 {
		for _, p := range pols {
			if t := threshold(r.ExemptBelow, p); adds[p] >= t {
				d.Obligation, d.Reason = TotalSystem, fmt.Sprintf("%s adds %s, not below %s", p, grams(adds[p]), grams(t))
				return d, nil
			}
		}
		d.Obligation, d.Reason = r.Below, "every factor below its threshold"
		return d, nil
	}
	d.Obligation, d.Reason = r.Below, "no factor above its threshold"
	return d, nil
}

// ClassifyApplication applies the version in force on the application date.
func ClassifyApplication(rs []TradingRules, applied time.Time, adds map[string]int64) (Decision, error) {
	r, err := TradingRulesAt(rs, applied)
	if err != nil {
		return Decision{}, err
	}
	return r.Classify(adds)
}

// ClassifyPermit decides whether a confirmation of rights (确权,
// allocate_permit) is outside the trading rules, for a unit in operation,
// or whose EIA was approved or filed, on since (a China calendar day).
//
// An existing unit is exempt: the rules classify what a new, rebuilt or
// expanded project adds, and the rights an existing unit discharges under
// are confirmed, not added.
//   - 聊政办字〔2023〕24号 (聊城市排污权有偿使用和交易试点暂行办法, 2023-09-24):
//     an existing unit (现有排污单位) is one in operation, or with its EIA
//     approved or filed, before the policy; a new unit is one needing a
//     main-pollutant total indicator after it. The 细则's thresholds apply
//     to a construction project's additions (新增).
//   - 财税〔2015〕61号: existing units obtain their rights by 定额出让 (the
//     paid-use fee at the government price: AllocatePermit.Paid); new
//     projects, expansions' new increments, and increments an existing unit
//     needs for its total control go through public sale.
//   - 国办发〔2014〕38号: existing units' rights are confirmed from
//     standards, total control and actual emissions; new, rebuilt and
//     expanded projects' from their EIA.
//
// (rights-cases-accountability.md §1.1, §1.3.) So a unit whose date is on
// or after the first version's From (the policy's date) is a new unit: a
// confirmation cannot create its rights, which come from the reservoir
// (ReserveAllocation, classified by Classify) or the market — MustTrade.
// The 2025 管理办法 keeps "new project" as its subject; its own definition
// of an existing unit was not found, so the 2023 one (and its date) holds
// for every version.
func ClassifyPermit(rs []TradingRules, since time.Time) (Decision, error) {
	if len(rs) == 0 {
		return Decision{}, fmt.Errorf("trading rules: no version")
	}
	day := since.In(chinatime.Zone)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, chinatime.Zone)
	first := rs[0]
	if day.Before(first.from) {
		return Decision{Obligation: ExistingUnit, Version: first.Version,
			Reason: fmt.Sprintf("existing unit: in operation or EIA approved or filed on %s, before %s (%s): its rights are confirmed, not traded",
				day.Format(time.DateOnly), first.From, first.Doc)}, nil
	}
	r, err := TradingRulesAt(rs, day)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Obligation: MustTrade, Version: r.Version,
		Reason: fmt.Sprintf("new unit: in operation or EIA approved or filed on %s, not before %s (%s): its rights come from the reservoir or by trading, not by confirmation",
			day.Format(time.DateOnly), first.From, first.Doc)}, nil
}
