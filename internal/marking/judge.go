package marking

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/internal/factors"
)

// FlagEffect is what a device's own data flag (HJ 212-2017 table 8) makes
// of a value: N (normal) and T (over the upper measuring limit: a real
// high value) are valid and judged; F (instrument stopped), M
// (maintenance), S (manually set value), D (fault), C (calibration) and B
// (communication failure between instrument and data logger) are invalid.
// No flag counts as N; an unknown flag is invalid (the set is extensible
// and an unknown state is not normal data).
func FlagEffect(flag byte) Effect {
	switch flag {
	case 0, 'N', 'T':
		return EffectNone
	}
	return EffectInvalid
}

// Verdict is what the rules make of one value (or one hour of data).
type Verdict struct {
	Effect Effect `json:"effect"`
	// Rule names what decided: "flag:M" (the device's flag), "mark:startup"
	// (a mark's type), or "" for normal data.
	Rule string `json:"rule,omitempty"`
	Mark string `json:"mark,omitempty"` // the deciding mark's ID
}

// Due reports whether the value was due (counts in the transmission rate).
func (v Verdict) Due() bool { return v.Effect != EffectNotDue }

// Valid reports whether the value counts as valid data.
func (v Verdict) Valid() bool {
	return v.Effect == EffectNone || v.Effect == EffectExcluded || v.Effect == EffectRecord
}

// Judged reports whether the value is used to judge an exceedance.
func (v Verdict) Judged() bool { return v.Effect == EffectNone || v.Effect == EffectRecord }

// Judge combines a value's device flag and the marks in force covering
// it: the strongest effect decides (not due, then invalid, then excluded
// from judgement, then recorded). A mark cannot make flagged data valid:
// the device's flag keeps its effect when it is the stronger. Marks not in
// force (rejected, late) and marks of other devices are ignored.
func Judge(r *RuleSet, mn, factor string, t time.Time, flag byte, marks []Mark) Verdict {
	v := Verdict{Effect: FlagEffect(flag)}
	if v.Effect != EffectNone {
		v.Rule = fmt.Sprintf("flag:%c", flag)
	}
	for i := range marks {
		m := &marks[i]
		if m.MN != mn || !m.InForce() || !m.Covers(t, factor) {
			continue
		}
		ty, ok := r.Type(m.Type)
		if !ok {
			continue
		}
		if ty.Effect.Stronger(v.Effect) {
			v = Verdict{Effect: ty.Effect, Rule: "mark:" + ty.Code, Mark: m.ID}
		}
	}
	return v
}

// Explanation is the rules' answer about an exceedance: whether marks in
// force exclude every exceeding value of the episode from judgement.
type Explanation struct {
	Excused bool   `json:"excused"`
	Rule    string `json:"rule"` // the deciding rule, e.g. "mark:startup"
	Mark    string `json:"mark,omitempty"`
	// Late lists marks that would have covered the values but came late.
	Late []string `json:"late,omitempty"`
}

// Explain judges the exceeding values at times ts of one device and
// factor: excused when every one of them is not judged (Judge) because
// of a mark; the rule of the last deciding mark is named. The rule
// "no-mark" means nothing covered some value; "late-mark" that only late
// marks did.
func Explain(r *RuleSet, mn, factor string, ts []time.Time, marks []Mark) Explanation {
	var ex Explanation
	if len(ts) == 0 {
		return ex
	}
	excused := true
	for _, t := range ts {
		v := Judge(r, mn, factor, t, 0, marks)
		if v.Judged() {
			excused = false
		} else {
			ex.Rule, ex.Mark = v.Rule, v.Mark
		}
	}
	for i := range marks {
		m := &marks[i]
		if m.MN == mn && m.Late && m.Status != StatusRejected {
			for _, t := range ts {
				if m.Covers(t, factor) {
					ex.Late = append(ex.Late, m.ID)
					break
				}
			}
		}
	}
	ex.Excused = excused
	if !excused {
		ex.Rule, ex.Mark = "no-mark", ""
		if len(ex.Late) > 0 {
			ex.Rule = "late-mark"
		}
	}
	return ex
}

// FalseStop reports whether a mark saying production (or the monitored
// facility) was not running is contradicted by production running
// (electricity sub-meters): runningAt lists times production was seen
// running.
func FalseStop(r *RuleSet, m *Mark, runningAt []time.Time) (bool, time.Time) {
	ty, ok := r.Type(m.Type)
	if !ok || !ty.Production || m.Status == StatusRejected {
		return false, time.Time{}
	}
	for _, t := range runningAt {
		if m.Covers(t, "") {
			return true, t
		}
	}
	return false, time.Time{}
}

// Outcome is what the platform did about an exceedance or a mark.
type Outcome string

// Outcomes of decisions.
const (
	OutcomeExcused   Outcome = "excused"    // marks in force exclude the exceedance: no case
	OutcomeOpened    Outcome = "opened"     // no mark excused it: the case opened
	OutcomeAnnotated Outcome = "annotated"  // a mark in time arrived for an open case: noted on it
	OutcomeLate      Outcome = "late"       // a late mark: a case opened
	OutcomeFalseStop Outcome = "false-stop" // a not-running mark while production ran: a case opened
	OutcomeBelowRate Outcome = "below-rate" // effective transmission rate under the threshold: a case opened
)

// Decision is a row of mark_decisions: which rule decided what, about
// which exceedance or mark.
type Decision struct {
	At         time.Time `json:"at"`
	MN         string    `json:"mn"`
	Outlet     string    `json:"outlet,omitempty"`
	Enterprise string    `json:"enterprise"`
	County     string    `json:"county"`
	Factor     string    `json:"factor,omitempty"`
	Period     string    `json:"period,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	Until      time.Time `json:"until,omitzero"`
	Value      float64   `json:"value,omitempty"`
	Limit      float64   `json:"limit,omitempty"`
	Outcome    Outcome   `json:"outcome"`
	Rule       string    `json:"rule"`
	Rules      string    `json:"rules"` // RuleSet.Version
	Mark       string    `json:"mark,omitempty"`
	Case       string    `json:"case,omitempty"`
}

// ruleNames are the judgement rules' names (the stable codes stay in the
// decisions, for machines), Chinese and English: the one wording of each
// rule, for the case timeline's notes and the desk's decisions alike.
var ruleNames = map[string][2]string{
	"no-mark":        {"未标记", "not marked"},
	"late-mark":      {"标记逾期", "marked late"},
	"false-stop":     {"停运标记与用电数据矛盾", "stop contradicted by electricity data"},
	"mark-rejected":  {"标记被驳回或更正，重新判定超标", "mark rejected or corrected: exceedance judged again"},
	"rate-threshold": {"传输有效率低于阈值", "transmission rate below the threshold"},
}

// RuleName names a judgement rule in Chinese, or in English when en; a
// mark's rule ("mark:TYPE") by the mark type's name in r, a device flag's
// ("flag:M") by the flag's HJ 212 meaning; "" for a code it does not know.
func RuleName(r *RuleSet, rule string, en bool) string {
	pick := func(w [2]string) string {
		if en {
			return w[1]
		}
		return w[0]
	}
	if w, ok := ruleNames[rule]; ok {
		return pick(w)
	}
	if code, ok := strings.CutPrefix(rule, "mark:"); ok {
		if t, ok := r.Type(code); ok {
			return pick([2]string{"标记：" + t.Zh, "mark: " + t.En})
		}
	}
	if f, ok := strings.CutPrefix(rule, "flag:"); ok && f != "" {
		if zh, en := factors.Flag(f, "zh"), factors.Flag(f, "en"); zh != f {
			return pick([2]string{"设备数据标识：" + zh, "device data flag: " + en})
		}
	}
	return ""
}

// Basis writes "依据" before a source's document number in Chinese: no
// space before a Chinese title (依据生态环境部公告2022年第21号), one before
// a Latin one (依据 HJ 212-2017 表8).
func Basis(ref string) string { return Cite("依据", ref, "") }

// Cite writes a source's document number ref between the Chinese words
// before and after it. Chinese text has no space between Han characters
// (按生态环境部公告2022年第21号判定超标); a space sets a Latin letter or a
// digit apart from a Han character where they meet (依据 HJ 212-2017 表8，
// 按 HJ 212-2017 表8 判定), and none goes before punctuation.
func Cite(before, ref, after string) string {
	b, _ := utf8.DecodeLastRuneInString(before)
	r0, _ := utf8.DecodeRuneInString(ref)
	r1, _ := utf8.DecodeLastRuneInString(ref)
	a, _ := utf8.DecodeRuneInString(after)
	if spaced(b, r0) {
		before += " "
	}
	if spaced(r1, a) {
		after = " " + after
	}
	return before + ref + after
}

// spaced reports whether a space goes between x and y: a Han character
// meeting a Latin letter or a digit, either way round.
func spaced(x, y rune) bool {
	latin := func(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
	han := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	return han(x) && latin(y) || latin(x) && han(y)
}

// SourceName is a source's document number in Chinese, or its
// established English one when en (the Chinese when it has none).
func (r *RuleSet) SourceName(key string, en bool) string {
	s := r.Source(key)
	if en && s.RefEN != "" {
		return s.RefEN
	}
	return s.Ref
}

// effectWords say what a mark's effect does to the data of the marked
// period, in the timeline notes' sentence "标记期间数据…" / "the data of
// the marked period …": Chinese and English.
var effectWords = map[Effect][2]string{
	EffectInvalid:  {"无效，不作为超标判定依据", "are invalid and no basis for judging an exceedance"},
	EffectExcluded: {"不参与超标判定", "take no part in judging an exceedance"},
	EffectNotDue:   {"不计入应传输数据", "are not counted as data due"},
	EffectNone:     {"照常判定", "are judged as usual"},
}

// EffectWords says what effect e does to the marked data, in English when
// en; an effect without words (recorded only) is judged as usual.
func EffectWords(e Effect, en bool) string {
	w, ok := effectWords[e]
	if !ok {
		w = effectWords[EffectNone]
	}
	if en {
		return w[1]
	}
	return w[0]
}

// EffectOf is the effect whose Chinese words are zh (notes stored with
// the words only); false when no effect has them.
func EffectOf(zh string) (Effect, bool) {
	for e, w := range effectWords {
		if w[0] == zh {
			return e, true
		}
	}
	return EffectNone, false
}
