package accountability

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Pollutant names a pollutant of the compensation formula.
type Pollutant string

// Pollutants of the Shandong formula.
const (
	PolPM25 Pollutant = "pm25"
	PolPM10 Pollutant = "pm10"
	PolSO2  Pollutant = "so2"
	PolNO2  Pollutant = "no2"
)

// Weight is a pollutant's weight in per mille (60% = 600).
type Weight struct {
	Pollutant Pollutant `json:"pollutant" yaml:"pollutant"`
	Permille  int64     `json:"permille" yaml:"permille"`
}

// Formula is one version of an air-quality ecological compensation scheme
// (环境空气质量生态补偿办法), as data. For a county c and period q:
//
//	score  = Σ_i w_i × (C_i[q of last year] − C_i[q])           µg/m³, > 0 better
//	amount = score × YuanPerUg × Factor_c + ΔGoodDays(pp) × YuanPerPoint
//
// amount > 0: the upper level pays the county (receivable); < 0 the county
// pays (payable). This is air.md §6 / rights-cases-accountability.md §3.1:
// 鲁政办字〔2014〕27号 (weights 60/15/15/10, ¥200,000 per µg/m³, the
// dispersion factor 1.5 for the coastal cities and 1.0 elsewhere), the
// 2016–2017 revision (¥400,000) and 鲁政办字〔2017〕43号 (¥800,000, plus
// ¥200,000 per percentage point of the good-day ratio). The 2014 Q1
// figures fix where the factor applies: Yantai's published score 1.05 (the
// weighted improvement, before the factor) paid ¥320,000 = 1.05 × 20万 ×
// 1.5 = 31.5万, published in whole 万元. The good-day term is applied
// without the factor: 43号 states it as a flat 20万 per point and says
// nothing of the factor (our reading, not confirmed by a published
// settlement). Whether the province rounds the settlement itself to 万元
// or only the press does is not known; RoundYuan is data.
//
// The formula maps to compensation_formulas with its weights and factors as
// child rows.
type Formula struct {
	Version string `json:"version" yaml:"version"`
	Title   string `json:"title" yaml:"title"`
	// TitleEN is the document's established English name (the Shandong
	// measures'), or the bureau's English for its own scheme; empty when
	// none was given, and English pages then mark the Chinese title.
	TitleEN string           `json:"title_en,omitempty" yaml:"title_en,omitempty"`
	From    time.Time        `json:"from" yaml:"from"`
	To      time.Time        `json:"to,omitzero" yaml:"to,omitempty"`
	Kinds   []chinatime.Kind `json:"kinds" yaml:"kinds"` // periods settled (quarter for the province)
	Weights []Weight         `json:"weights" yaml:"weights"`
	// YuanPerUg is the coefficient per µg/m³ of weighted improvement.
	YuanPerUg int64 `json:"yuan_per_ug" yaml:"yuan_per_ug"`
	// YuanPerPoint is paid per percentage point of good-day ratio change;
	// zero before the 2017 version.
	YuanPerPoint int64 `json:"yuan_per_point" yaml:"yuan_per_point"`
	// Factors is the area (稀释扩散调整) factor per county code (the
	// administrative division code, model.County.Code; the province's
	// scheme keys the cities: 青岛 370200, 烟台 370600, 威海 371000, 日照
	// 371100), per mille; DefaultFactor applies to counties not listed.
	Factors       map[string]int64 `json:"factors" yaml:"factors"`
	DefaultFactor int64            `json:"default_factor" yaml:"default_factor"`
	// RoundYuan is the unit amounts are rounded to, half away from zero
	// (10000: whole 万元, as the province publishes); 0 or 1: to the yuan.
	// The exact rational amount is rounded once, never in steps.
	RoundYuan int64 `json:"round_yuan" yaml:"round_yuan"`
	// Source names the notice the version transcribes (document number,
	// where it was published); Notes what was read or assumed.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
	Notes  string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// FormulaFor picks the version valid for p; none or two are refused.
func FormulaFor(fs []Formula, p chinatime.Period) (Formula, error) {
	var found []Formula
	for _, f := range fs {
		if slices.Contains(f.Kinds, p.Kind) && p.Within(f.From, f.To) {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return Formula{}, refuse("formula", p.String(), "no compensation formula version covers this period")
	case 1:
		return found[0], nil
	}
	return Formula{}, refuse("formula", p.String(), "versions %s and %s both cover this period", found[0].Version, found[1].Version)
}

// AirValues are a county's period means and good-day ratio. Concentrations
// are taken at 0.1 µg/m³ and the ratio at 0.1 percentage point (the
// precision they are published at); finer digits are rounded half away
// from zero before any arithmetic, which is then exact.
type AirValues struct {
	Conc     map[Pollutant]float64 `json:"conc"`                // µg/m³
	GoodDays *float64              `json:"good_days,omitempty"` // %; nil: not given
	// GoodDaysByDate is, for a base period (last year) across 2026-03-01,
	// its good-day ratio by date (按日期, each day under the rules of its
	// date) when GoodDays holds the same-basis one (同口径, under the
	// current period's rules), which the amount uses. Display only.
	GoodDaysByDate *float64 `json:"good_days_by_date,omitempty"`
}

// CompInput is one county's input for a period.
type CompInput struct {
	County   string    `json:"county"`
	Name     string    `json:"name"`
	Current  AirValues `json:"current"`
	LastYear AirValues `json:"last_year"`
	// Exempt leaves the scheme (e.g. a city meeting the standard two years
	// running, like Weihai in 2018); it gets a line with a zero amount.
	Exempt bool `json:"exempt,omitempty"`
}

// CompLine is the settlement of one county. It maps to a row of
// compensation_lines.
type CompLine struct {
	County string `json:"county"`
	Name   string `json:"name"`
	Exempt bool   `json:"exempt,omitempty"`
	// Score is Σ w_i × Δ_i in µg/m³ before the area factor (the 得分 the
	// province publishes); the amount is computed from the exact integer
	// form, this float is for display.
	Score      float64 `json:"score"`
	Factor     int64   `json:"factor_permille"`
	GoodDaysPP float64 `json:"good_days_pp"` // change in percentage points (同口径, same basis)
	// GoodDaysPPByDate is the change by date (按日期) when last year's
	// ratio by date was given (AirValues.GoodDaysByDate); display only,
	// not stored with the line.
	GoodDaysPPByDate *float64 `json:"good_days_pp_by_date,omitempty"`
	ExactFen         int64    `json:"exact_fen"`       // before rounding, truncated to the fen (display only)
	Amount           int64    `json:"amount_yuan"`     // rounded, signed
	Receivable       int64    `json:"receivable_yuan"` // upper level pays the county
	Payable          int64    `json:"payable_yuan"`    // the county pays
}

// Settlement is the result for a period.
type Settlement struct {
	Period  chinatime.Period `json:"period"`
	Formula string           `json:"formula"`
	// FormulaTitleEN is the version's English title (Formula.TitleEN),
	// for English tables; empty when the version has none.
	FormulaTitleEN string     `json:"formula_title_en,omitempty"`
	Lines          []CompLine `json:"lines"` // by amount descending, then county
	Receivable     int64      `json:"receivable_yuan"`
	Payable        int64      `json:"payable_yuan"`
}

func tenths(v float64) (int64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 { // no physical concentration or ratio is near this
		return 0, false
	}
	return int64(math.Round(v * 10)), true
}

// Compensate settles period p under the formula version valid for it.
// Every county must have both years' values of every weighted pollutant,
// and the good-day ratio when the version pays on it.
func Compensate(fs []Formula, p chinatime.Period, in []CompInput) (Settlement, error) {
	if !p.Valid() {
		return Settlement{}, refuse("period", fmt.Sprint(p), "not a valid period")
	}
	f, err := FormulaFor(fs, p)
	if err != nil {
		return Settlement{}, err
	}
	out := Settlement{Period: p, Formula: f.Version, FormulaTitleEN: f.TitleEN}
	seen := map[string]bool{}
	for _, c := range in {
		if c.County == "" || seen[c.County] {
			return Settlement{}, refuse("county", c.County, "missing or duplicate county code")
		}
		seen[c.County] = true
		line := CompLine{County: c.County, Name: c.Name, Exempt: c.Exempt}
		if c.Exempt {
			out.Lines = append(out.Lines, line)
			continue
		}
		// score in units of 1/10000 µg/m³: per mille × tenths.
		var score int64
		for _, w := range f.Weights {
			cur, ok1 := c.Current.Conc[w.Pollutant]
			old, ok2 := c.LastYear.Conc[w.Pollutant]
			if !ok1 || !ok2 {
				return Settlement{}, refuse("value", c.County, "no %s for %s or the same period last year", w.Pollutant, p)
			}
			ct, ok1 := tenths(cur)
			ot, ok2 := tenths(old)
			if !ok1 || !ok2 || ct < 0 || ot < 0 {
				return Settlement{}, refuse("value", c.County, "invalid %s concentration", w.Pollutant)
			}
			score += w.Permille * (ot - ct)
		}
		factor := f.DefaultFactor
		if v, ok := f.Factors[c.County]; ok {
			factor = v
		}
		if factor <= 0 {
			return Settlement{}, refuse("formula", f.Version, "no area factor for county %s", c.County)
		}
		// exact amount in yuan = score/10^4 × YuanPerUg × factor/10^3
		//                       + ΔGD(tenths)/10 × YuanPerPoint
		num := new(big.Int).Mul(big.NewInt(score), big.NewInt(f.YuanPerUg))
		num.Mul(num, big.NewInt(factor))
		den := big.NewInt(10_000_000)
		if f.YuanPerPoint != 0 {
			if c.Current.GoodDays == nil || c.LastYear.GoodDays == nil {
				return Settlement{}, refuse("value", c.County, "no good-day ratio for %s or the same period last year (version %s pays on it)", p, f.Version)
			}
			gc, ok1 := tenths(*c.Current.GoodDays)
			go_, ok2 := tenths(*c.LastYear.GoodDays)
			if !ok1 || !ok2 {
				return Settlement{}, refuse("value", c.County, "invalid good-day ratio")
			}
			line.GoodDaysPP = float64(gc-go_) / 10
			if c.LastYear.GoodDaysByDate != nil {
				if gb, ok := tenths(*c.LastYear.GoodDaysByDate); ok {
					d := float64(gc-gb) / 10
					line.GoodDaysPPByDate = &d
				}
			}
			// ΔGD/10 × Y = ΔGD × Y × 10^6 / 10^7
			gd := new(big.Int).Mul(big.NewInt(gc-go_), big.NewInt(f.YuanPerPoint))
			gd.Mul(gd, big.NewInt(1_000_000))
			num.Add(num, gd)
		}
		line.Score = float64(score) / 10_000
		line.Factor = factor
		fen := new(big.Int).Mul(num, big.NewInt(100))
		line.ExactFen = new(big.Int).Quo(fen, den).Int64()
		unit := f.RoundYuan
		if unit <= 0 {
			unit = 1
		}
		line.Amount = roundRat(num, new(big.Int).Mul(den, big.NewInt(unit))) * unit
		if line.Amount > 0 {
			line.Receivable = line.Amount
		} else {
			line.Payable = -line.Amount
		}
		out.Receivable += line.Receivable
		out.Payable += line.Payable
		out.Lines = append(out.Lines, line)
	}
	sort.SliceStable(out.Lines, func(a, b int) bool {
		if out.Lines[a].Amount != out.Lines[b].Amount {
			return out.Lines[a].Amount > out.Lines[b].Amount
		}
		return out.Lines[a].County < out.Lines[b].County
	})
	return out, nil
}

// roundRat rounds num/den (den > 0) to an integer, half away from zero.
func roundRat(num, den *big.Int) int64 {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r2 := new(big.Int).Abs(r)
	r2.Mul(r2, big.NewInt(2))
	if r2.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
