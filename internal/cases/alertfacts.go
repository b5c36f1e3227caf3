package cases

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/factors"
)

// AlertFacts is what an online-monitoring case is about, kept with the case
// so that its title can be written in the reader's language: one outlet
// (排放口) and the findings of one episode. While the episode lasts, every
// factor of the outlet that fires adds a Finding to the same case instead
// of opening another one.
type AlertFacts struct {
	Enterprise     string    `json:"enterprise,omitempty"` // USCC
	EnterpriseName string    `json:"enterprise_name,omitempty"`
	Outlet         string    `json:"outlet,omitempty"` // model.Outlet.ID
	OutletName     string    `json:"outlet_name,omitempty"`
	MN             string    `json:"mn,omitempty"`
	Findings       []Finding `json:"findings"`
}

// Finding is one alert of the episode: a factor over its limit, or another
// rule (flat line, offline…) with the value that fired it.
type Finding struct {
	At     time.Time `json:"at"`               // data time of the value
	Rule   string    `json:"rule"`             // alerts.Rule name: exceedance, flat-line, offline…
	Factor string    `json:"factor,omitempty"` // HJ 212 code, e.g. a21002
	Field  string    `json:"field,omitempty"`  // Avg or ZsAvg
	Period string    `json:"period,omitempty"` // hour, day, minute
	Value  float64   `json:"value"`
	Limit  float64   `json:"limit,omitempty"` // the limit or threshold it was compared with
	Unit   string    `json:"unit,omitempty"`  // as configured (mg/m3); printed through factors.DisplayUnit
}

// LastAt is the time of the latest finding (zero without findings).
func (f *AlertFacts) LastAt() time.Time {
	var t time.Time
	for _, x := range f.Findings {
		if x.At.After(t) {
			t = x.At
		}
	}
	return t
}

// Multiple is how many times the value is over the limit (超标倍数):
// (value − limit) / limit; 0 when there is no positive limit or no excess.
func (x Finding) Multiple() float64 {
	if x.Limit <= 0 || x.Value <= x.Limit {
		return 0
	}
	return (x.Value - x.Limit) / x.Limit
}

// worst is the finding the title names: the largest exceedance multiple,
// else the latest finding.
func (f *AlertFacts) worst() (Finding, bool) {
	if len(f.Findings) == 0 {
		return Finding{}, false
	}
	best := f.Findings[0]
	for _, x := range f.Findings[1:] {
		if x.Multiple() > best.Multiple() || (x.Multiple() == best.Multiple() && x.At.After(best.At)) {
			best = x
		}
	}
	return best, true
}

// Factors lists the distinct factors of the findings, in order of first
// appearance.
func (f *AlertFacts) Factors() []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range f.Findings {
		k := x.Factor
		if k == "" {
			k = x.Rule
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// times prints an exceedance multiple with two decimals, as 超标倍数 are
// reported (0.63).
func times(m float64) string {
	s := strconv.FormatFloat(m, 'f', 2, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// Num prints a measured value as a reader expects it: at most three
// significant decimals, no trailing zeros (245, 0.63, 12.5).
func Num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	prec := 2
	if a := math.Abs(v); a != 0 && a < 1 {
		prec = 3
	} else if a >= 100 {
		prec = 0
		if v != math.Round(v) {
			prec = 1
		}
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// ruleNames names the alert rules for titles and histories.
var ruleNames = map[string][2]string{
	"exceedance":          {"超标", "over the limit"},
	"flag-overuse":        {"维护校准标记过多", "too many maintenance and calibration flags"},
	"flat-line":           {"数据恒值", "flat-lined data"},
	"step":                {"数据突变", "implausible jump"},
	"pinned":              {"数据贴限", "values pinned under the limit"},
	"treatment-off":       {"治污设施停运", "treatment equipment off"},
	"treatment-underload": {"治污设施低负荷运行", "treatment equipment under-loaded"},
	"restricted":          {"限产时段生产", "production in a restricted window"},
	"offline":             {"设备离线", "device offline"},
	// Signs 20 and 22 of the falsification list (internal/marking.Signs).
	"near-detection-limit": {"数据长期在检出限附近波动", "long hovering around the detection limit"},
	"narrow-band":          {"数据长期在量程2%以内波动", "long varying within 2 % of the measuring range"},
}

// RuleName names an alert rule in lang ("zh" or "en").
func RuleName(rule, lang string) string {
	if n, ok := ruleNames[rule]; ok {
		if lang == "en" {
			return n[1]
		}
		return n[0]
	}
	return rule
}

// periodMean names the statistic of a period: 小时均值 / hourly mean.
func periodMean(period, lang string) string {
	switch period {
	case "hour":
		if lang == "en" {
			return "hourly mean"
		}
		return "小时均值"
	case "day":
		if lang == "en" {
			return "daily mean"
		}
		return "日均值"
	case "minute":
		if lang == "en" {
			return "minute values"
		}
		return "分钟值"
	}
	return factors.Period(period, lang)
}

// unitOf is the printed unit of a finding: the configured one, else the
// catalogue's.
func (x Finding) unitOf() string {
	if x.Unit != "" {
		return factors.DisplayUnit(x.Unit)
	}
	return factors.Unit(x.Factor)
}

func withUnit(v, unit string) string {
	if unit == "" {
		return v
	}
	return v + " " + unit
}

// Describe writes one finding as a sentence fragment, e.g.
// 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³）.
func (x Finding) Describe(lang string) string {
	u := x.unitOf()
	en := lang == "en"
	if x.Rule == "exceedance" || x.Rule == "" {
		name := factors.Name(x.Factor, lang)
		if en {
			s := fmt.Sprintf("%s %s %s", name, periodMean(x.Period, lang), withUnit(Num(x.Value), u))
			if m := x.Multiple(); m > 0 {
				s += fmt.Sprintf(", %s times over the limit (%s)", times(m), withUnit(Num(x.Limit), u))
			} else if x.Limit > 0 {
				s += fmt.Sprintf(" (limit %s)", withUnit(Num(x.Limit), u))
			}
			return s
		}
		s := fmt.Sprintf("%s%s %s", name, periodMean(x.Period, lang), withUnit(Num(x.Value), u))
		if m := x.Multiple(); m > 0 {
			s += fmt.Sprintf("，超标 %s 倍（限值 %s）", times(m), withUnit(Num(x.Limit), u))
		} else if x.Limit > 0 {
			s += fmt.Sprintf("（限值 %s）", withUnit(Num(x.Limit), u))
		}
		return s
	}
	rule := RuleName(x.Rule, lang)
	if x.Rule == "offline" {
		h := x.Value / 3600
		if en {
			return fmt.Sprintf("%s for %s h", rule, Num(h))
		}
		return fmt.Sprintf("%s %s 小时", rule, Num(h))
	}
	switch x.Rule {
	case "near-detection-limit": // Value: the value; Limit: the bound (1.5 × the detection limit)
		name := factors.Name(x.Factor, lang)
		if en {
			return fmt.Sprintf("%s: %s, %s (at most %s)", name, rule, withUnit(Num(x.Value), u), withUnit(Num(x.Limit), u))
		}
		return fmt.Sprintf("%s%s，%s（不高于 %s）", name, rule, withUnit(Num(x.Value), u), withUnit(Num(x.Limit), u))
	case "narrow-band": // Value: the band's width; Limit: 2 % of the range
		name := factors.Name(x.Factor, lang)
		if en {
			return fmt.Sprintf("%s: %s, spread %s (2 %% of the range: %s)", name, rule, withUnit(Num(x.Value), u), withUnit(Num(x.Limit), u))
		}
		return fmt.Sprintf("%s%s，波动幅度 %s（量程的2%%为 %s）", name, rule, withUnit(Num(x.Value), u), withUnit(Num(x.Limit), u))
	}
	if _, ok := factors.Lookup(x.Factor); !ok {
		return rule // an electricity sub-meter's channel, or no factor
	}
	if en {
		return fmt.Sprintf("%s: %s", factors.Name(x.Factor, lang), rule)
	}
	return factors.Name(x.Factor, lang) + rule
}

// AlertTitle writes the case title in lang from its facts, e.g.
//
//	聊城某某有限公司 1号锅炉废气排放口 氮氧化物小时均值 245 mg/m³，超标 0.63 倍（限值 150 mg/m³）
//
// naming the worst finding; when other factors of the outlet fired in the
// same episode, it adds how many (等 3 项因子).
func AlertTitle(f *AlertFacts, lang string) string {
	if f == nil {
		return ""
	}
	var parts []string
	ent := f.EnterpriseName
	if ent == "" {
		ent = f.Enterprise
	}
	if ent != "" {
		parts = append(parts, ent)
	}
	if f.OutletName != "" {
		parts = append(parts, f.OutletName)
	} else if f.MN != "" {
		if lang == "en" {
			parts = append(parts, "device "+f.MN)
		} else {
			parts = append(parts, "设备 "+f.MN)
		}
	}
	w, ok := f.worst()
	if !ok {
		return strings.Join(parts, " ")
	}
	what := w.Describe(lang)
	if n := len(f.Factors()); n > 1 {
		if lang == "en" {
			what += fmt.Sprintf("; %d factors in this episode", n)
		} else {
			what += fmt.Sprintf("，本次共 %d 项因子", n)
		}
	}
	if lang == "en" && len(parts) > 0 {
		return strings.Join(parts, " ") + ": " + what
	}
	return strings.Join(append(parts, what), " ")
}

// TitleIn is the case's title in lang: written from its facts when it has
// them, else the title as registered.
func (c Case) TitleIn(lang string) string {
	t, _ := c.TitleLang(lang)
	return t
}

// TitleLang is the title in lang and whether it is in lang: an English
// title the platform wrote (TitleEN) or an alert's; else the stored
// Chinese, with false for a title the platform wrote before it stored
// the English (accountability's cases), so the page can mark it
// "recorded in Chinese only". A title a person wrote is theirs and is
// shown as written (true).
func (c Case) TitleLang(lang string) (string, bool) {
	if c.Alert != nil && len(c.Alert.Findings) > 0 {
		return AlertTitle(c.Alert, lang), true
	}
	if lang != "en" {
		return c.Title, true
	}
	if c.TitleEN != "" {
		return c.TitleEN, true
	}
	return c.Title, !c.EngineWritten()
}

// DescriptionLang is the description in lang, as TitleLang.
func (c Case) DescriptionLang(lang string) (string, bool) {
	if lang != "en" || c.Description == "" {
		return c.Description, true
	}
	if c.DescriptionEN != "" {
		return c.DescriptionEN, true
	}
	return c.Description, !c.EngineWritten()
}

// engineProblems are the problem types of the cases the platform's own
// engines open with a title they write (accountability: firings, overdue
// soil duties, breaches of emergency measures; the alert rules: device
// password guessing).
var engineProblems = map[string]bool{"soil-duty-overdue": true, "emergency-measure-breach": true, "device-auth-lockout": true}

// EngineWritten reports whether the platform wrote c's title itself (so
// an English one is owed), not a person.
func (c Case) EngineWritten() bool {
	return engineProblems[c.ProblemType] || strings.HasPrefix(c.ProblemType, "accountability-")
}
