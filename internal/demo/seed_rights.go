package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
)

// SeedRights gives the emission-rights ledger a year of business through
// the ledger service's own commands (what `ecowatch rights apply` and the
// API run, with the same rules and audit): the configuration (pollutants,
// paid-use prices, offset ratios), initial permits of enterprises in three
// counties with their paid-use fees, closures declared, reviewed by the
// county and confirmed by the city (banked in the reservoir), a reservoir
// allocation to a new project that is granted and one still reserved (both
// applied under the 2023 trading rules), a small exempt project written off
// by its county,
// negotiated transfers, and an order book with open asks and bids.
func SeedRights(ctx context.Context, svc *rightsvc.Service, reg *model.Registry, now time.Time, out io.Writer) error {
	if svc == nil {
		return nil
	}
	year := now.In(cst).Year()
	jan := time.Date(year, 1, 1, 0, 0, 0, 0, cst).Format(time.RFC3339)
	feb := time.Date(year, 2, 1, 0, 0, 0, 0, cst).Format(time.RFC3339)
	// Enterprises by county, in registry order: the first few of three
	// counties hold permits.
	byCounty := map[string][]model.Enterprise{}
	for _, e := range reg.Enterprises {
		byCounty[e.County] = append(byCounty[e.County], e)
	}
	var cmds []map[string]any
	cmd := func(name, key string, kv ...any) {
		m := map[string]any{"cmd": name, "key": fmt.Sprintf("demo-%d-%s", year, key)}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		cmds = append(cmds, m)
	}
	cmd("configure", "cfg", "actor", "city", "doc", fmt.Sprintf("聊环发〔%d〕1号", year),
		"pollutants", []map[string]string{{"code": "NOx", "name": "氮氧化物", "medium": "air"}, {"code": "SO2", "name": "二氧化硫", "medium": "air"},
			{"code": "COD", "name": "化学需氧量", "medium": "water"}, {"code": "NH3-N", "name": "氨氮", "medium": "water"}},
		"prices", []map[string]any{{"pollutant": "NOx", "fen_per_tonne_year": 600000}, {"pollutant": "SO2", "fen_per_tonne_year": 600000},
			{"pollutant": "COD", "fen_per_tonne_year": 800000}, {"pollutant": "NH3-N", "fen_per_tonne_year": 1000000}},
		"ratios", []map[string]any{{"region": "*", "pollutant": "NOx", "attainment": "nonattain", "project_type": "*", "num": 2, "den": 1}})
	counties := []string{}
	for _, c := range reg.Counties {
		if len(byCounty[c.Code]) >= 6 && len(counties) < 3 {
			counties = append(counties, c.Code)
		}
	}
	ent := func(county string, i int) string { return byCounty[county][i].USCC }
	for ci, county := range counties {
		for i := range 5 {
			pol, qty := "NOx", int64(8_000_000+(ci*5+i)*3_000_000) // g/a: 8-50 t/a
			if i == 3 {
				pol, qty = "SO2", qty/2
			}
			if i == 4 {
				pol, qty = "COD", qty/3
			}
			cmd("allocate_permit", fmt.Sprintf("permit-%s-%d", county, i), "permit", fmt.Sprintf("PW-%s-%d", county, i),
				"enterprise", ent(county, i), "county", county, "pollutant", pol, "quantity", qty, "valid_from", jan, "paid", i%2 == 0)
		}
		// A closure's reduction: declared, reviewed by the county,
		// confirmed by the city, banked in the reservoir.
		credit := fmt.Sprintf("CR-%d-%03d", year, ci+1)
		cmd("declare_reduction", "decl-"+county, "credit", credit, "enterprise", ent(county, 5), "county", county, "pollutant", "NOx",
			"quantity", int64(20_000_000+ci*6_000_000), "measure", "closure", "effective", feb, "evidence", []string{"关停验收意见", "排污许可证注销文书"})
		cmd("review_reduction", "rev-"+county, "actor", "county:"+county, "credit", credit, "approve", true)
		cmd("confirm_reduction", "conf-"+county, "actor", "city", "credit", credit, "approve", true)
	}
	// The two larger projects applied before the city's 2025 rules took
	// effect on 2026-06-01 (from then on anything above 0.1 t/a must be
	// traded): under the 2023 细则 4 t and 3 t of NOx follow the
	// total-quantity system. The small one applies today and is exempt.
	applied := now
	if last := time.Date(2026, 5, 29, 9, 0, 0, 0, cst); applied.After(last) {
		applied = last
	}
	appliedAt := applied.Format(time.RFC3339)
	if len(counties) > 0 {
		c0 := counties[0]
		cmd("reserve_allocation", "res-1", "allocation", fmt.Sprintf("AL-%d-1", year), "eia", fmt.Sprintf("聊环审〔%d〕7号", year),
			"project", ent(c0, 5), "region", c0, "pollutant", "NOx", "attainment", "nonattain", "year", year, "project_type", "power",
			"need", 4_000_000, "credits", []string{fmt.Sprintf("CR-%d-001", year)},
			"applied", appliedAt, "additions", map[string]int64{"NOx": 4_000_000, "SO2": 1_500_000})
		cmd("lock_allocation", "lock-1", "allocation", fmt.Sprintf("AL-%d-1", year))
		cmd("grant_allocation", "grant-1", "allocation", fmt.Sprintf("AL-%d-1", year), "paid", true)
		if len(counties) > 1 {
			c1 := counties[1]
			cmd("reserve_allocation", "res-2", "allocation", fmt.Sprintf("AL-%d-2", year), "eia", fmt.Sprintf("聊环审〔%d〕12号", year),
				"project", ent(c1, 5), "region", c1, "pollutant", "NOx", "attainment", "nonattain", "year", year, "project_type", "chemicals",
				"need", 3_000_000, "credits", []string{fmt.Sprintf("CR-%d-002", year)}, "applied", appliedAt)
		}
		if len(counties) > 2 {
			// A workshop adding 0.08 t/a of NOx: below every threshold, so
			// the county replaces and writes the indicators off on the grant.
			c2, al := counties[2], fmt.Sprintf("AL-%d-3", year)
			cmd("reserve_allocation", "res-3", "allocation", al, "eia", fmt.Sprintf("聊环审〔%d〕21号", year),
				"project", ent(c2, 5), "region", c2, "pollutant", "NOx", "attainment", "nonattain", "year", year, "project_type", "machinery",
				"need", 80_000, "credits", []string{fmt.Sprintf("CR-%d-003", year)}, "additions", map[string]int64{"NOx": 80_000, "VOCs": 60_000})
			cmd("lock_allocation", "lock-3", "allocation", al)
			cmd("grant_allocation", "grant-3", "allocation", al)
		}
		// Reductions still on their way: one awaiting the county's
		// review, one the city's confirmation (the page's to-do list).
		cmd("declare_reduction", "decl-pending", "credit", fmt.Sprintf("CR-%d-101", year), "enterprise", ent(c0, 4), "county", c0, "pollutant", "NOx",
			"quantity", 6_000_000, "measure", "retrofit", "effective", feb, "evidence", []string{"脱硝设施改造验收意见"})
		cmd("declare_reduction", "decl-reviewed", "credit", fmt.Sprintf("CR-%d-102", year), "enterprise", ent(c0, 3), "county", c0, "pollutant", "SO2",
			"quantity", 4_000_000, "measure", "clean_production", "effective", feb, "evidence", []string{"燃料替代证明", "在线监测数据"})
		cmd("review_reduction", "rev-pending", "actor", "county:"+c0, "credit", fmt.Sprintf("CR-%d-102", year), "approve", true)
		cmd("agreement", "ag-1", "doc", fmt.Sprintf("HT-%d-001", year), "contract", fmt.Sprintf("HT-%d-001", year),
			"seller", "ent:"+ent(c0, 0), "buyer", ent(c0, 1), "pollutant", "NOx", "quantity", 3_000_000, "price", 3_000_000)
		cmd("agreement", "ag-2", "doc", fmt.Sprintf("HT-%d-002", year), "contract", fmt.Sprintf("HT-%d-002", year),
			"seller", "ent:"+ent(c0, 2), "buyer", ent(c0, 1), "pollutant", "NOx", "quantity", 2_000_000, "price", 3_100_000)
		cmd("place_order", "ord-1", "order", "S-1", "side", "sell", "owner", "ent:"+ent(c0, 0), "pollutant", "NOx", "quantity", 2_000_000, "price", 3_200_000)
		cmd("place_order", "ord-2", "order", "B-1", "side", "buy", "owner", "ent:"+ent(c0, 1), "pollutant", "NOx", "quantity", 500_000, "price", 3_300_000)
		cmd("place_order", "ord-3", "order", "B-2", "side", "buy", "owner", "ent:"+ent(c0, 3), "pollutant", "NOx", "quantity", 700_000, "price", 3_000_000)
	}
	for _, m := range cmds {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		c, err := rightsvc.DecodeCommand(b, "")
		if err != nil {
			return fmt.Errorf("demo rights command %s: %w", m["key"], err)
		}
		if _, err := svc.Apply(ctx, c); err != nil {
			return fmt.Errorf("demo rights command %s: %w", m["key"], err)
		}
	}
	fmt.Fprintf(out, "demo emission rights seeded: %d ledger commands (permits in %d counties, banked reductions, allocations, transfers, orders)\n", len(cmds), len(counties))
	return nil
}
