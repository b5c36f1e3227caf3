package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/accountability/accountsvc"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
)

// demoAccountConfig is the demo city's assessment configuration: an
// air-quality scheme for the counties (PM2.5 and good days against
// targets, the comprehensive index and its change by rank), a quarterly
// compensation formula with the Shandong weights, and the rule that
// summons the county ranked last on the comprehensive index (约谈).
func demoAccountConfig(now time.Time) store.AccountConfig {
	from := time.Date(now.In(cst).Year()-1, 1, 1, 0, 0, 0, 0, cst)
	return store.AccountConfig{
		Schemes: []acc.Scheme{{Version: "LC-DEMO", Title: "聊城市县（市、区）环境空气质量考核办法（演示）",
			TitleEN: "Liaocheng County Ambient Air Quality Assessment Measures (demo)", From: from,
			Kinds: []chinatime.Kind{chinatime.Quarter, chinatime.Year}, Rules: []acc.Rule{
				{Indicator: acc.PM25, Method: acc.ByTarget, Points: 40, DeductPerUnit: 2},
				{Indicator: acc.GoodDays, Method: acc.ByTarget, Points: 20, DeductPerUnit: 1},
				{Indicator: acc.AirIndex, Method: acc.ByRank, Points: 20},
				{Indicator: acc.AirIndexChange, Method: acc.ByRank, Points: 20},
			}}},
		Formulas: []acc.Formula{{Version: "LC-DEMO", Title: "聊城市环境空气质量生态补偿办法（演示）",
			TitleEN: "Liaocheng Measures for Ecological Compensation for Ambient Air Quality (demo)", From: from, Kinds: []chinatime.Kind{chinatime.Quarter},
			Weights:   []acc.Weight{{Pollutant: "pm25", Permille: 600}, {Pollutant: "pm10", Permille: 150}, {Pollutant: "so2", Permille: 150}, {Pollutant: "no2", Permille: 100}},
			YuanPerUg: 800000, YuanPerPoint: 200000, DefaultFactor: 1000, RoundYuan: 1}},
		Rules: []acc.TriggerRule{{ID: "last-index", Title: "综合指数排名末位", Predicate: acc.Bottom, Indicator: acc.AirIndex, N: 1,
			Kinds: []chinatime.Kind{chinatime.Quarter}, Step: acc.StepSummons, Line: "air-general"}},
	}
}

// SeedAccountability configures the demo's assessment and runs it, as
// the city would with `ecowatch account assess|compensate|triggers`,
// through the same service: for every quarter of this year that has
// ended, the counties' targets, the assessment, the ecological
// compensation and the trigger rules (the last county is summoned and a
// case opened). Governance projects give the page its progress bars.
// A quarter the data cannot support (its year-on-year change needs last
// year's data) is reported and skipped, not faked.
func SeedAccountability(ctx context.Context, st store.Store, cs *casesvc.Service, c City, now time.Time, out io.Writer) error {
	var as accountsvc.Store = st
	if err := as.PutAccountConfig(ctx, demoAccountConfig(now)); err != nil {
		return fmt.Errorf("cannot configure the demo assessment: %w", err)
	}
	svc := &accountsvc.Service{St: as, Cases: cs, Now: func() time.Time { return now }, Issuer: "聊城市生态环境局"}
	n := now.In(cst)
	year := n.Year()
	assessed := 0
	for q := 1; q <= 4; q++ {
		p := chinatime.Period{Kind: chinatime.Quarter, Year: year, N: q}
		if now.Before(p.End()) {
			break
		}
		var ts []acc.Target
		for i, cy := range c.Registry.Counties {
			ts = append(ts, acc.Target{County: cy.Code, Indicator: acc.PM25, Value: float64(40 + i%5)},
				acc.Target{County: cy.Code, Indicator: acc.GoodDays, Value: float64(66 + i%4)})
		}
		if err := as.PutTargets(ctx, p, ts); err != nil {
			return fmt.Errorf("cannot set the demo targets of %s: %w", p, err)
		}
		if _, err := svc.Assess(ctx, p); err != nil {
			var ae *acc.Error
			if errors.As(err, &ae) {
				fmt.Fprintf(out, "demo assessment of %s skipped: %v\n", p, err)
				continue
			}
			return fmt.Errorf("cannot assess the demo period %s: %w", p, err)
		}
		if _, err := svc.Compensate(ctx, p); err != nil {
			var ae *acc.Error
			if !errors.As(err, &ae) {
				return fmt.Errorf("cannot settle the demo compensation of %s: %w", p, err)
			}
			fmt.Fprintf(out, "demo compensation of %s skipped: %v\n", p, err)
		}
		if _, err := svc.Triggers(ctx, p, true); err != nil {
			return fmt.Errorf("cannot evaluate the demo triggers of %s: %w", p, err)
		}
		assessed++
	}
	var ps []acc.Project
	kinds := []acc.ProjectKind{acc.UltraLow, acc.VOCsSubstitute}
	for i, cy := range c.Registry.Counties {
		name := []string{"燃煤锅炉超低排放改造", "溶剂型涂料源头替代"}[i%2]
		ps = append(ps, acc.Project{ID: fmt.Sprintf("GP-%d-%s", year, cy.Code), County: cy.Code, Kind: kinds[i%2], Name: cy.Name + name,
			Unit: "%", Target: 100, Progress: float64(35 + (i*17)%66), Due: time.Date(year, 12, 31, 0, 0, 0, 0, cst)})
	}
	if err := as.PutProjects(ctx, ps); err != nil {
		return fmt.Errorf("cannot store the demo governance projects: %w", err)
	}
	fmt.Fprintf(out, "demo accountability seeded: %d quarters of %d assessed, compensated and triggered; %d governance projects\n", assessed, year, len(ps))
	return nil
}
