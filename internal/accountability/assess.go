package accountability

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Indicator is an assessed quantity. Values are in the unit noted; the
// Scheme says whether lower is better.
type Indicator string

// Indicators (rights-cases-accountability.md §3; air.md §5; water.md).
const (
	PM25            Indicator = "pm25"             // µg/m³, period mean
	GoodDays        Indicator = "good_days"        // 优良天数比例, %
	AirIndex        Indicator = "air_index"        // 环境空气质量综合指数 I_sum
	AirIndexChange  Indicator = "air_index_change" // 综合指数同比变化率, % (> 0 worse)
	WaterCompliance Indicator = "water_compliance" // 断面达标率, % of sections meeting their class
	CWQI            Indicator = "cwqi"             // 城市水质指数
	TotalQuantity   Indicator = "total_quantity"   // 总量减排任务完成率, %
	Governance      Indicator = "governance"       // 治理任务完成率, % (see Completion)
)

// indicatorInfo gives the display names (the Chinese one carries its
// unit; unit is the English one's, "" for an index) and whether lower is
// better.
var indicatorInfo = map[Indicator]struct {
	zh, en, unit string
	lower        bool
	decimals     int
}{
	PM25:            {"PM2.5浓度(μg/m³)", "PM2.5", " µg/m³", true, 0},
	GoodDays:        {"优良天数比例(%)", "good-day ratio", "%", false, 1},
	AirIndex:        {"综合指数", "air quality index", "", true, 2},
	AirIndexChange:  {"综合指数变化率(%)", "air quality index change", "%", true, 1},
	WaterCompliance: {"断面达标率(%)", "section compliance", "%", false, 1},
	CWQI:            {"水质指数CWQI", "CWQI", "", true, 2},
	TotalQuantity:   {"总量任务完成率(%)", "total-quantity task completion", "%", false, 1},
	Governance:      {"治理任务完成率(%)", "governance task completion", "%", false, 1},
}

// LowerBetter reports whether a smaller value of ind is better.
func LowerBetter(ind Indicator) bool { return indicatorInfo[ind].lower }

// Method is how an indicator is scored.
type Method string

// Scoring methods.
const (
	// ByTarget: full Points when the target is met; otherwise DeductPerUnit
	// points per unit of shortfall, never below zero. Needs a Target.
	ByTarget Method = "target"
	// ByRank: Points × (n − rank) / (n − 1): the first gets all points, the
	// last none; ties share their rank's points. One county gets all.
	ByRank Method = "rank"
)

// Rule scores one indicator. It maps to a row of assessment_rules.
type Rule struct {
	Indicator     Indicator `json:"indicator" yaml:"indicator"`
	Method        Method    `json:"method" yaml:"method"`
	Points        float64   `json:"points" yaml:"points"`
	DeductPerUnit float64   `json:"deduct_per_unit,omitempty" yaml:"deduct_per_unit,omitempty"`
}

// Scheme is a versioned scoring scheme (考核办法), valid for periods that
// start on or after From and end on or before To (zero To: open).
type Scheme struct {
	Version string `json:"version" yaml:"version"`
	Title   string `json:"title" yaml:"title"`
	// TitleEN is the scheme's English name, when the bureau gives one.
	TitleEN string           `json:"title_en,omitempty" yaml:"title_en,omitempty"`
	From    time.Time        `json:"from" yaml:"from"`
	To      time.Time        `json:"to,omitzero" yaml:"to,omitempty"`
	Kinds   []chinatime.Kind `json:"kinds" yaml:"kinds"` // period kinds it applies to
	Rules   []Rule           `json:"rules" yaml:"rules"`
}

// SchemeFor picks the scheme valid for p. None, or more than one, is
// refused: the scheme of a period is never guessed.
func SchemeFor(schemes []Scheme, p chinatime.Period) (Scheme, error) {
	var found []Scheme
	for _, s := range schemes {
		if slices.Contains(s.Kinds, p.Kind) && p.Within(s.From, s.To) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return Scheme{}, refuse("scheme", p.String(), "no assessment scheme version covers this period")
	case 1:
		return found[0], nil
	}
	return Scheme{}, refuse("scheme", p.String(), "versions %s and %s both cover this period", found[0].Version, found[1].Version)
}

// CountyValues are a county's values for a period. It maps to rows of
// county_period_values. Give the reported values (already rounded to the
// published precision, e.g. by internal/air): targets are judged on the
// values as given, ranks at the indicator's published precision.
type CountyValues struct {
	County string `json:"county"`
	Name   string `json:"name"`
	// NameEN is the county's English name, for English case titles.
	NameEN string                `json:"name_en,omitempty"`
	Values map[Indicator]float64 `json:"values"`
}

// Target is a county's target for an indicator in a period (年度目标 taken
// pro rata is the caller's business: the target given is the one judged).
type Target struct {
	County    string    `json:"county"`
	Indicator Indicator `json:"indicator"`
	Value     float64   `json:"value"`
}

// Item is one indicator of one county in an assessment.
type Item struct {
	Indicator Indicator `json:"indicator"`
	Value     float64   `json:"value"`
	Target    float64   `json:"target,omitempty"`
	HasTarget bool      `json:"has_target"`
	Met       bool      `json:"met"` // meaningful when HasTarget
	Rank      int       `json:"rank"`
	Score     float64   `json:"score"`
}

// CountyScore is one county's result.
type CountyScore struct {
	County string  `json:"county"`
	Name   string  `json:"name"`
	NameEN string  `json:"name_en,omitempty"`
	Items  []Item  `json:"items"` // in the scheme's rule order
	Total  float64 `json:"total"`
	Rank   int     `json:"rank"`
}

// Item returns the county's item for ind.
func (c CountyScore) Item(ind Indicator) (Item, bool) {
	for _, it := range c.Items {
		if it.Indicator == ind {
			return it, true
		}
	}
	return Item{}, false
}

// Assessment is the result for a period, counties in rank order (then by
// code).
type Assessment struct {
	Period   chinatime.Period `json:"period"`
	Scheme   string           `json:"scheme"`
	Title    string           `json:"title"`
	TitleEN  string           `json:"title_en,omitempty"`
	Rules    []Rule           `json:"rules"`
	Counties []CountyScore    `json:"counties"`
}

// County returns the score of a county.
func (a Assessment) County(code string) (CountyScore, bool) {
	for _, c := range a.Counties {
		if c.County == code {
			return c, true
		}
	}
	return CountyScore{}, false
}

// Assess scores counties for period p under the scheme valid for it.
// Every county must have a value for every indicator of the scheme and a
// target for every ByTarget indicator; otherwise the whole assessment is
// refused. Indicator ranks (competition ranking at the published
// precision) are computed for every indicator; scores are rounded to 2
// decimals; the total is ranked descending.
func Assess(schemes []Scheme, p chinatime.Period, values []CountyValues, targets []Target) (Assessment, error) {
	if !p.Valid() {
		return Assessment{}, refuse("period", fmt.Sprint(p), "not a valid period")
	}
	s, err := SchemeFor(schemes, p)
	if err != nil {
		return Assessment{}, err
	}
	if len(values) == 0 {
		return Assessment{}, refuse("assessment", p.String(), "no county values")
	}
	tg := map[string]map[Indicator]float64{}
	for _, t := range targets {
		if tg[t.County] == nil {
			tg[t.County] = map[Indicator]float64{}
		}
		tg[t.County][t.Indicator] = t.Value
	}
	seen := map[string]bool{}
	for _, cv := range values {
		if cv.County == "" || seen[cv.County] {
			return Assessment{}, refuse("county", cv.County, "missing or duplicate county code")
		}
		seen[cv.County] = true
		for _, r := range s.Rules {
			v, ok := cv.Values[r.Indicator]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				return Assessment{}, refuse("value", cv.County, "no value for %s in %s", r.Indicator, p)
			}
			if r.Method == ByTarget {
				if _, ok := tg[cv.County][r.Indicator]; !ok {
					return Assessment{}, refuse("target", cv.County, "no target for %s in %s (scheme %s)", r.Indicator, p, s.Version)
				}
			}
		}
	}
	n := len(values)
	out := Assessment{Period: p, Scheme: s.Version, Title: s.Title, TitleEN: s.TitleEN, Rules: s.Rules, Counties: make([]CountyScore, n)}
	for i, cv := range values {
		out.Counties[i] = CountyScore{County: cv.County, Name: cv.Name, NameEN: cv.NameEN}
	}
	for _, r := range s.Rules {
		info, ok := indicatorInfo[r.Indicator]
		if !ok {
			return Assessment{}, refuse("scheme", s.Version, "unknown indicator %q", r.Indicator)
		}
		col := make([]float64, n)
		for i, cv := range values {
			col[i] = cv.Values[r.Indicator]
		}
		ranks := Rank(col, info.lower, info.decimals)
		for i, cv := range values {
			it := Item{Indicator: r.Indicator, Value: col[i], Rank: ranks[i]}
			if t, ok := tg[cv.County][r.Indicator]; ok {
				it.Target, it.HasTarget = t, true
				it.Met = col[i] >= t
				if info.lower {
					it.Met = col[i] <= t
				}
			}
			switch r.Method {
			case ByTarget:
				it.Score = r.Points
				if !it.Met {
					short := math.Abs(col[i] - it.Target)
					it.Score = max(0, r.Points-short*r.DeductPerUnit)
				}
			case ByRank:
				it.Score = r.Points
				if n > 1 {
					it.Score = r.Points * float64(n-ranks[i]) / float64(n-1)
				}
			default:
				return Assessment{}, refuse("scheme", s.Version, "unknown method %q for %s", r.Method, r.Indicator)
			}
			it.Score = round2(it.Score)
			out.Counties[i].Items = append(out.Counties[i].Items, it)
			out.Counties[i].Total += it.Score
		}
	}
	tot := make([]float64, n)
	for i := range out.Counties {
		out.Counties[i].Total = round2(out.Counties[i].Total)
		tot[i] = out.Counties[i].Total
	}
	for i, r := range Rank(tot, false, 2) {
		out.Counties[i].Rank = r
	}
	sort.SliceStable(out.Counties, func(a, b int) bool {
		ca, cb := out.Counties[a], out.Counties[b]
		if ca.Rank != cb.Rank {
			return ca.Rank < cb.Rank
		}
		return ca.County < cb.County
	})
	return out, nil
}

// round2 rounds half away from zero to 2 decimals (GB/T 8170 rounds half to
// even; scores are our own figures, and half away from zero is what a
// reader checking by hand expects).
func round2(v float64) float64 { return math.Round(v*100) / 100 }
