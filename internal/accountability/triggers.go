package accountability

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// Step is a rung of the accountability ladder (rights-cases-accountability.md
// §3.2), mildest first: 通报 → 预警/提醒 → 约谈 → 挂牌督办/区域限批.
type Step int

// Ladder steps.
const (
	StepBulletin Step = iota + 1 // 通报
	StepWarning                  // 预警 (e.g. 济宁's 预警座谈)
	StepSummons                  // 约谈
	StepListed                   // 挂牌督办 / 区域限批
)

var stepNames = map[Step][2]string{
	StepBulletin: {"bulletin", "通报"},
	StepWarning:  {"warning", "预警"},
	StepSummons:  {"summons", "约谈"},
	StepListed:   {"listed", "挂牌督办"},
}

func (s Step) String() string { return stepNames[s][0] }

// Chinese is the step's Chinese name.
func (s Step) Chinese() string { return stepNames[s][1] }

// stepEnglish are the steps' English names in a document (String is the
// stable code).
var stepEnglish = map[Step]string{StepBulletin: "circular", StepWarning: "early warning", StepSummons: "summons", StepListed: "listed supervision"}

// English is the step's English name.
func (s Step) English() string { return stepEnglish[s] }

// Level is the matching cases escalation level, when there is one.
func (s Step) Level() (cases.Level, bool) {
	switch s {
	case StepSummons:
		return cases.LevelSummons, true
	case StepListed:
		return cases.LevelListed, true
	}
	return "", false
}

// Predicate is the kind of test a TriggerRule makes.
type Predicate string

// Predicates.
const (
	// BottomBoth: among the last N on both AirIndex and AirIndexChange
	// (济宁: bottom 20 on both the monthly index and its improvement).
	BottomBoth Predicate = "bottom-both"
	// Bottom: among the last N on Indicator.
	Bottom Predicate = "bottom"
	// Deteriorated: Indicator worse than Threshold (AirIndexChange > 0:
	// annual quality deteriorated, 山东省环境保护约谈办法 trigger 1).
	Deteriorated Predicate = "deteriorated"
	// TargetMissed: the Indicator's target not met (triggers 2 and 3: the
	// improvement task, the total-quantity task).
	TargetMissed Predicate = "target-missed"
)

// TriggerRule is one data-configured trigger; it maps to trigger_rules.
type TriggerRule struct {
	ID    string `json:"id" yaml:"id"`
	Title string `json:"title" yaml:"title"` // Chinese, used as the case title
	// TitleEN is the English title; empty, the engine words it from the
	// predicate (TitleIn).
	TitleEN   string           `json:"title_en,omitempty" yaml:"title_en,omitempty"`
	Predicate Predicate        `json:"predicate" yaml:"predicate"`
	Indicator Indicator        `json:"indicator,omitempty" yaml:"indicator,omitempty"`
	N         int              `json:"n,omitempty" yaml:"n,omitempty"`
	Threshold float64          `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	Kinds     []chinatime.Kind `json:"kinds" yaml:"kinds"` // periods it is evaluated on
	Step      Step             `json:"step" yaml:"step"`   // first rung when it fires
	Line      string           `json:"line" yaml:"line"`   // cases.WorkLine code
}

// English is the rule's English title: TitleEN, or the predicate worded
// by the engine ("air quality index among the last 2").
func (r TriggerRule) English() string {
	if r.TitleEN != "" {
		return r.TitleEN
	}
	info := indicatorInfo[r.Indicator]
	switch r.Predicate {
	case BottomBoth:
		return fmt.Sprintf("air quality index and its improvement both among the last %d", r.N)
	case Bottom:
		return fmt.Sprintf("%s among the last %d", info.en, r.N)
	case Deteriorated:
		return info.en + " worse than a year before"
	case TargetMissed:
		return info.en + " target not met"
	}
	return r.ID
}

// Firing is one rule firing for one county; it maps to trigger_firings,
// unique on (Rule, Period, County), with the id of the case it opened.
type Firing struct {
	Rule   string           `json:"rule"`
	Period chinatime.Period `json:"period"`
	County string           `json:"county"`
	Step   Step             `json:"step"`
	// Reason says why the rule fired, in Chinese; ReasonEN in English.
	// Both are written from the same figures (why.text). Firings stored
	// before ReasonEN existed have it empty: ReasonIn derives it.
	Reason   string `json:"reason"`
	ReasonEN string `json:"reason_en,omitempty"`
	// ReportDue is the deadline of the written rectification report: 30
	// days (山东省环境保护约谈办法, procedure step 6), counted as
	// cases.DueAfter does.
	ReportDue time.Time `json:"report_due"`
	// Case is the new case, ready for cases.Rules.Apply with ActRegister
	// (then accepted with Due = ReportDue: PolicyDefault closes in 30 days).
	// Its ID is deterministic, so re-evaluating a period opens nothing twice.
	Case cases.Case `json:"case"`
}

// ReportDays is the rectification report deadline after a firing.
const ReportDays = 30

// Evaluate runs the rules on an assessment at time at (the issue date).
// prior maps rule id → county → the highest step already issued on that
// rule in the previous period: a rule firing again for the same county
// moves one rung up the ladder from there (never above StepListed).
// Firings come in rule order, then county order.
func Evaluate(rules []TriggerRule, a Assessment, prior map[string]map[string]Step, at time.Time) ([]Firing, error) {
	var out []Firing
	bl := below{}
	for _, r := range rules {
		if !slices.Contains(r.Kinds, a.Period.Kind) {
			continue
		}
		if r.Step < StepBulletin || r.Step > StepListed {
			return nil, refuse("trigger", r.ID, "step must be 1..4")
		}
		need := []Indicator{r.Indicator}
		if r.Predicate == BottomBoth {
			need = []Indicator{AirIndex, AirIndexChange}
		}
		var fired []Firing
		for _, c := range a.Counties {
			items := make([]Item, len(need))
			for i, ind := range need {
				it, ok := c.Item(ind)
				if !ok {
					return nil, refuse("trigger", r.ID, "assessment %s has no %s", a.Period, ind)
				}
				items[i] = it
			}
			var w *why
			switch r.Predicate {
			case BottomBoth:
				if r.N <= 0 {
					return nil, refuse("trigger", r.ID, "n must be positive")
				}
				if bl.bottom(a, need[0], items[0].Rank, r.N) && bl.bottom(a, need[1], items[1].Rank, r.N) {
					w = &why{Predicate: BottomBoth, Rank: items[0].Rank, Rank2: items[1].Rank, N: r.N}
				}
			case Bottom:
				if r.N <= 0 {
					return nil, refuse("trigger", r.ID, "n must be positive")
				}
				if bl.bottom(a, r.Indicator, items[0].Rank, r.N) {
					w = &why{Predicate: Bottom, Indicator: r.Indicator, Rank: items[0].Rank, N: r.N}
				}
			case Deteriorated:
				v := items[0].Value
				worse := v > r.Threshold
				if !LowerBetter(r.Indicator) {
					worse = v < r.Threshold
				}
				if worse {
					w = &why{Predicate: Deteriorated, Indicator: r.Indicator, Value: v}
				}
			case TargetMissed:
				if !items[0].HasTarget {
					return nil, refuse("target", c.County, "no target for %s in %s", r.Indicator, a.Period)
				}
				if !items[0].Met {
					w = &why{Predicate: TargetMissed, Indicator: r.Indicator, Value: items[0].Value, Target: items[0].Target}
				}
			default:
				return nil, refuse("trigger", r.ID, "unknown predicate %q", r.Predicate)
			}
			if w == nil {
				continue
			}
			reason := w.text(false)
			step := r.Step
			if p, ok := prior[r.ID][c.County]; ok && p >= step {
				step = min(p+1, StepListed)
			}
			f := Firing{Rule: r.ID, Period: a.Period, County: c.County, Step: step, Reason: reason, ReasonEN: w.text(true),
				ReportDue: cases.DueAfter(at, ReportDays)}
			f.Case = cases.Case{
				// The case's ID and ref carry the period's stored key, so
				// that a re-run names the same case.
				ID:            fmt.Sprintf("acct-%s-%s-%s", r.ID, a.Period.Key(), c.County),
				Source:        cases.SourceAssignment,
				Ref:           fmt.Sprintf("trigger:%s:%s", r.ID, a.Period.Key()),
				Line:          r.Line,
				ProblemType:   "accountability-" + step.String(),
				County:        c.County,
				Severity:      severity(step),
				Title:         fmt.Sprintf("%s %s%s:%s", a.Period.Chinese(), c.Name, step.Chinese(), r.Title),
				TitleEN:       fmt.Sprintf("%s %s %s: %s", a.Period, cmp.Or(c.NameEN, c.Name), step.English(), r.English()),
				Description:   reason,
				DescriptionEN: f.ReasonEN,
				Policy:        cases.PolicyDefault,
			}
			fired = append(fired, f)
		}
		sort.SliceStable(fired, func(i, j int) bool { return fired[i].County < fired[j].County })
		out = append(out, fired...)
	}
	return out, nil
}

// below counts, for each rank on each indicator, the counties ranked
// strictly below it.
type below map[Indicator]map[int]int

// bottom reports whether a county ranked rank on ind is among the last n:
// fewer than n counties rank strictly below it. Counties tied for a place
// share it, so two tied for last are both "the last one".
func (bl below) bottom(a Assessment, ind Indicator, rank, n int) bool {
	m, ok := bl[ind]
	if !ok {
		var ranks []int
		for _, c := range a.Counties {
			if it, ok := c.Item(ind); ok {
				ranks = append(ranks, it.Rank)
			}
		}
		slices.Sort(ranks)
		m = map[int]int{}
		for i, r := range ranks {
			// ranks after the last occurrence of r are worse
			m[r] = len(ranks) - i - 1
		}
		bl[ind] = m
	}
	return m[rank] < n
}

func severity(s Step) cases.Severity {
	switch s {
	case StepBulletin, StepWarning:
		return cases.SeverityGeneral
	case StepSummons:
		return cases.SeverityMajor
	}
	return cases.SeveritySerious
}

func fmtVal(ind Indicator, v float64) string {
	return fmt.Sprintf("%.*f", indicatorInfo[ind].decimals, v)
}
