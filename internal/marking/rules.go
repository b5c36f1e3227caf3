package marking

import (
	"fmt"
	"slices"
	"time"
)

// Kind is what a mark is about.
type Kind string

// Kinds of marks.
const (
	// KindEquipment marks the automatic monitoring equipment's own
	// condition (设备标记): fault, maintenance, calibration, stopped.
	KindEquipment Kind = "equipment"
	// KindCondition marks the working condition of production or
	// treatment facilities (工况标记): start-up, shut-down, stopped, fault.
	KindCondition Kind = "condition"
)

// Effect is what a mark (or a device flag) makes of the data it covers.
type Effect string

// Effects, strongest first (Stronger).
const (
	// EffectNotDue: no data is due (production stopped, 停运): the period
	// leaves the transmission rate's due count, and nothing in it is
	// judged.
	EffectNotDue Effect = "not-due"
	// EffectInvalid: the data is invalid (无效): counted as received, not
	// as valid, and not used to judge an exceedance.
	EffectInvalid Effect = "invalid"
	// EffectExcluded: the data is valid but excluded from exceedance
	// judgement (start-up and shut-down of the industry rules).
	EffectExcluded Effect = "excluded"
	// EffectRecord: the mark is recorded and excuses nothing (a treatment
	// facility's fault: the emission is still judged).
	EffectRecord Effect = "record"
	// EffectNone: normal valid data, judged.
	EffectNone Effect = ""
)

func (e Effect) rank() int {
	switch e {
	case EffectNotDue:
		return 4
	case EffectInvalid:
		return 3
	case EffectExcluded:
		return 2
	case EffectRecord:
		return 1
	}
	return 0
}

// Stronger reports whether e takes precedence over o.
func (e Effect) Stronger(o Effect) bool { return e.rank() > o.rank() }

// Industries of the "1+N" rules; IndustryOther marks by reference.
const (
	IndustryThermalPower = "thermal-power" // 火电
	IndustryCement       = "cement"        // 水泥
	IndustryPaper        = "paper"         // 造纸
	IndustryOther        = "other"
)

// IndustryOf maps a registry industry (model.Enterprise.Industry) to the
// industry of the marking rules.
func IndustryOf(registryIndustry string) string {
	switch registryIndustry {
	case "power", "thermal-power":
		return IndustryThermalPower
	case "cement":
		return IndustryCement
	case "paper":
		return IndustryPaper
	}
	return IndustryOther
}

// Type is one mark type of a rule set.
type Type struct {
	Code       string   `json:"code"`
	Kind       Kind     `json:"kind"`
	Industries []string `json:"industries,omitempty"` // empty: every industry
	Effect     Effect   `json:"effect"`
	// Production is true for marks that say production (or the
	// monitored facility) was not running: a "stopped" or "maintenance"
	// mark while the electricity sub-meters say production ran is false.
	Production bool   `json:"production,omitempty"`
	Zh         string `json:"zh"`
	En         string `json:"en"`
	Source     string `json:"source"` // key of RuleSet.Sources
}

// Source is a document a rule cites.
type Source struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Ref   string `json:"ref"` // document number
	// TitleEN and RefEN are the document's established English name and
	// number, for English pages and notes.
	TitleEN string `json:"title_en,omitempty"`
	RefEN   string `json:"ref_en,omitempty"`
	URL     string `json:"url,omitempty"` // where its text was read
	Note    string `json:"note,omitempty"`
}

// RuleSet is one version of the marking rules: rule data, not code.
type RuleSet struct {
	Version string    `json:"version"`
	From    time.Time `json:"from"` // in force from
	Types   []Type    `json:"types"`
	// Deadline is how long after the start of the period it covers a mark
	// may be made and still count (in time, 及时标记); a later mark is late:
	// it excuses nothing and opens a case.
	Deadline time.Duration `json:"deadline"`
	// MaxSpan is the longest period one mark may cover.
	MaxSpan time.Duration `json:"max_span"`
	Sources []Source      `json:"sources"`
}

// Type returns the mark type of a code.
func (r *RuleSet) Type(code string) (Type, bool) {
	for _, t := range r.Types {
		if t.Code == code {
			return t, true
		}
	}
	return Type{}, false
}

// TypesFor lists the types an enterprise of an industry (IndustryOf) may
// mark.
func (r *RuleSet) TypesFor(industry string) []Type {
	var out []Type
	for _, t := range r.Types {
		if len(t.Industries) == 0 || slices.Contains(t.Industries, industry) {
			out = append(out, t)
		}
	}
	return out
}

// Source returns the source of a key.
func (r *RuleSet) Source(key string) Source {
	for _, s := range r.Sources {
		if s.Key == key {
			return s
		}
	}
	return Source{Key: key}
}

// Validate checks a rule set.
func (r *RuleSet) Validate() error {
	if r.Version == "" {
		return fmt.Errorf("marking rules: no version")
	}
	if r.Deadline <= 0 || r.MaxSpan <= 0 {
		return fmt.Errorf("marking rules %s: deadline and max span must be positive", r.Version)
	}
	seen := map[string]bool{}
	for i, t := range r.Types {
		if t.Code == "" || seen[t.Code] {
			return fmt.Errorf("marking rules %s: type %d: empty or repeated code %q", r.Version, i, t.Code)
		}
		seen[t.Code] = true
		if t.Kind != KindEquipment && t.Kind != KindCondition {
			return fmt.Errorf("marking rules %s: type %s: kind %q", r.Version, t.Code, t.Kind)
		}
		switch t.Effect {
		case EffectNotDue, EffectInvalid, EffectExcluded, EffectRecord:
		default:
			return fmt.Errorf("marking rules %s: type %s: effect %q", r.Version, t.Code, t.Effect)
		}
		if t.Zh == "" || t.En == "" || t.Source == "" {
			return fmt.Errorf("marking rules %s: type %s needs names and a source", r.Version, t.Code)
		}
	}
	return nil
}

// Source keys.
const (
	SrcMEE2022  = "mee-2022-21"
	SrcTrial    = "mee-2020-21"
	SrcGuangxi  = "gx-2021-420"
	SrcHJ212    = "hj212-2017-t8"
	SrcRate     = "envsc-rate"
	SrcProvince = "rate-90"
)

var cst = time.FixedZone("CST", 8*3600)

// DefaultRules is the rule set of MEE announcement 2022 No. 21 with the
// industry rules of thermal power, cement and paper.
//
// The mark types follow the two kinds of the rules (equipment and working
// conditions) and the conditions the Ministry's answer names (faults,
// maintenance, commissioning of the equipment; start-up, shut-down and
// faults of production and treatment facilities); the industry-specific
// conditions (启炉/停炉 of boilers, 点火/止料/烘窑 of cement kilns) are
// those of the industry rules. Deadline (24 h) and MaxSpan (7 days) are
// the platform's defaults: the rule's own time limit was not found in the
// stored text.
func DefaultRules() RuleSet {
	all := []string(nil)
	tp, ce, pa := IndustryThermalPower, IndustryCement, IndustryPaper
	return RuleSet{
		Version:  "MEE-2022-21",
		From:     time.Date(2023, 1, 1, 0, 0, 0, 0, cst),
		Deadline: 24 * time.Hour,
		MaxSpan:  7 * 24 * time.Hour,
		Types: []Type{
			{Code: "eq-fault", Kind: KindEquipment, Industries: all, Effect: EffectInvalid, Zh: "设备故障", En: "Equipment fault", Source: SrcMEE2022},
			{Code: "eq-maintenance", Kind: KindEquipment, Industries: all, Effect: EffectInvalid, Production: true, Zh: "设备维护", En: "Equipment maintenance", Source: SrcMEE2022},
			{Code: "eq-calibration", Kind: KindEquipment, Industries: all, Effect: EffectInvalid, Zh: "校准/校验", En: "Calibration or check", Source: SrcMEE2022},
			{Code: "eq-commissioning", Kind: KindEquipment, Industries: all, Effect: EffectInvalid, Zh: "设备调试", En: "Equipment commissioning", Source: SrcMEE2022},
			{Code: "eq-stopped", Kind: KindEquipment, Industries: all, Effect: EffectInvalid, Zh: "设备停运", En: "Equipment stopped", Source: SrcMEE2022},
			{Code: "startup", Kind: KindCondition, Industries: []string{tp, pa, IndustryOther}, Effect: EffectExcluded, Zh: "启炉（启机）", En: "Start-up", Source: SrcTrial},
			{Code: "shutdown", Kind: KindCondition, Industries: []string{tp, pa, IndustryOther}, Effect: EffectExcluded, Zh: "停炉（停机）", En: "Shut-down", Source: SrcTrial},
			{Code: "kiln-ignition", Kind: KindCondition, Industries: []string{ce}, Effect: EffectExcluded, Zh: "点火启窑", En: "Kiln ignition", Source: SrcTrial},
			{Code: "kiln-stop", Kind: KindCondition, Industries: []string{ce}, Effect: EffectExcluded, Zh: "止料停窑", En: "Kiln stop", Source: SrcTrial},
			{Code: "kiln-drying", Kind: KindCondition, Industries: []string{ce}, Effect: EffectExcluded, Zh: "烘窑", En: "Kiln drying", Source: SrcTrial},
			{Code: "stopped", Kind: KindCondition, Industries: all, Effect: EffectNotDue, Production: true, Zh: "停运（停产）", En: "Production stopped", Source: SrcTrial},
			{Code: "treatment-fault", Kind: KindCondition, Industries: all, Effect: EffectRecord, Zh: "治理设施故障", En: "Treatment facility fault", Source: SrcTrial},
		},
		Sources: []Source{
			{Key: SrcMEE2022, Title: "污染物排放自动监测设备标记规则", Ref: "生态环境部公告2022年第21号",
				TitleEN: "Marking Rules for Automatic Monitoring Equipment of Pollutant Emissions", RefEN: "MEE Announcement No. 21 of 2022",
				URL:  "http://m.niuyw.com/index.php?a=show&catid=191&id=56979",
				Note: "in force 2023-01-01; answer to the press: data marked invalid is not a basis for judging an exceedance"},
			{Key: SrcTrial, Title: "火电、水泥和造纸行业排污单位自动监测数据标记规则（试行）", Ref: "执法函〔2020〕21号",
				TitleEN: "Marking Rules for Automatic Monitoring Data of Thermal Power, Cement and Paper Dischargers (Trial)", RefEN: "MEE Enforcement Letter [2020] No. 21",
				URL: "http://m.massjnhb.com/display/244114.html"},
			{Key: SrcGuangxi, Title: "广西火电、水泥和造纸行业排污单位自动监测数据标记规则（试行）", Ref: "桂环函〔2021〕420号",
				TitleEN: "Guangxi Marking Rules for Automatic Monitoring Data of Thermal Power, Cement and Paper Dischargers (Trial)", RefEN: "Guangxi Environment Letter [2021] No. 420",
				URL: "http://sthjt.gxzf.gov.cn/zfxxgk/zfxxgkgl/fdzdgknr/hjglywxx/pwxk/t8355364.shtml"},
			{Key: SrcHJ212, Title: "污染物在线监控（监测）系统数据传输标准", Ref: "HJ 212-2017 表8",
				TitleEN: "Data Transmission Standard for Online Monitoring Systems of Pollutants", RefEN: "HJ 212-2017 Table 8"},
			{Key: SrcRate, Title: "数据传输有效率考核及数据修约方法", Ref: "环境保护部污染源监控中心",
				TitleEN: "Assessment of Effective Data Transmission Rates and Data Rounding", RefEN: "Pollution Source Monitoring Center, Ministry of Environmental Protection",
				URL: "https://www.renrendoc.com/p-62656122.html", Note: "传输有效率 = 传输率 × 有效率"},
			{Key: SrcProvince, Title: "重点企业污染源监控数据传输有效率不低于90%", Ref: "山西日报 2022-12-15",
				URL: "http://epaper.sxrb.com/shtml/sxrb/20221215/822468.shtml"},
		},
	}
}
