package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// classLimits are the GB 3838-2002 table 1 class Ⅰ-Ⅴ limits of the
// items the demo's monthly laboratory data carries (rivers; DO is a
// lower bound).
var classLimits = map[string][5]float64{
	"CODMn": {2, 4, 6, 10, 15},
	"COD":   {15, 15, 20, 30, 40},
	"BOD5":  {3, 3, 4, 6, 10},
	"NH3-N": {0.15, 0.5, 1.0, 1.5, 2.0},
	"TP":    {0.02, 0.1, 0.2, 0.3, 0.4},
	"DO":    {7.5, 6, 5, 3, 2},
}

// sectionItems are the items of a section's monthly sample, in order.
var sectionItems = []string{"pH", "DO", "CODMn", "COD", "BOD5", "NH3-N", "TP"}

// SeedWater gives every section and drinking-water source of the demo
// network a monthly laboratory sample from thirteen months ago to this
// month (on the 10th, 10:00), so that the water page's default month (the
// last ended one), the quarter and the year are full. Most sections meet
// their target class; every fifth is one class worse in its bad season
// (one month in three), and the worst stretch fails outright once a
// quarter, so the page shows misses, main pollutants and a ranking worth
// reading. Deterministic by seed; one batch.
func SeedWater(ctx context.Context, st store.Store, w *model.WaterRegistry, seed int64, now time.Time, out io.Writer) error {
	if w == nil {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed_3838))
	n := now.In(cst)
	first := time.Date(n.Year(), n.Month()-13, 10, 10, 0, 0, 0, cst)
	var samples []model.WaterSample
	add := func(point string, at time.Time, item string, v float64, dp int) {
		samples = append(samples, model.WaterSample{Point: point, Time: at, Item: item, Value: strconv.FormatFloat(v, 'f', dp, 64), Source: "demo:lab"})
	}
	for m := first; !m.After(n); m = m.AddDate(0, 1, 0) {
		mi := int(m.Month())
		for i, s := range w.Sections {
			class := min(max(s.Target, 1), 5)
			switch {
			case i%5 == 2 && mi%3 == i%3:
				class = min(class+1, 6)
			case i%11 == 7 && mi%3 == 0:
				class = 6 // 劣Ⅴ: the stretch below a town's outfalls
			}
			add(s.Code, m, "pH", 7.2+rng.Float64(), 1)
			for _, it := range sectionItems[1:] {
				lim := classLimits[it]
				// A value inside the class: 60-95 % of the class's limit
				// (above the limit of the class before it); 劣Ⅴ 1.2-1.8 ×
				// the Ⅴ limit. DO the other way round.
				f := 0.6 + 0.35*rng.Float64()
				var v float64
				switch {
				case it == "DO" && class == 6:
					v = lim[4] * 0.8
				case it == "DO":
					v = lim[class-1] * (1.05 + 0.2*rng.Float64())
				case class == 6:
					v = lim[4] * (1.2 + 0.6*rng.Float64())
				default:
					v = lim[class-1] * f
					if class > 1 && v <= lim[class-2] {
						v = lim[class-2] + (lim[class-1]-lim[class-2])*f
					}
				}
				dp := 2
				if it == "TP" || it == "NH3-N" {
					dp = 3
				}
				add(s.Code, m, it, v, dp)
			}
		}
		for _, src := range w.Sources {
			add(src.Code, m, "pH", 7.4+0.6*rng.Float64(), 1)
			add(src.Code, m, "DO", 7+rng.Float64(), 2)
			add(src.Code, m, "CODMn", 1.5+1.5*rng.Float64(), 2)
			add(src.Code, m, "NH3-N", 0.05+0.2*rng.Float64(), 3)
			add(src.Code, m, "TP", 0.01+0.03*rng.Float64(), 3)
			add(src.Code, m, "SO4", 80+80*rng.Float64(), 1)
			add(src.Code, m, "Cl", 40+60*rng.Float64(), 1)
			add(src.Code, m, "NO3-N", 1+4*rng.Float64(), 2)
			add(src.Code, m, "Fe", 0.03+0.15*rng.Float64(), 3)
			add(src.Code, m, "Mn", 0.01+0.05*rng.Float64(), 3)
		}
	}
	res, err := st.PutWaterSamples(ctx, samples, store.WaterPut{FillOnly: true})
	if err != nil {
		return fmt.Errorf("cannot seed the demo water samples: %w", err)
	}
	fmt.Fprintf(out, "demo water history seeded: %d laboratory values of %d sections and %d sources, monthly since %s\n",
		res.Added, len(w.Sections), len(w.Sources), first.Format("2006-01"))
	return nil
}
