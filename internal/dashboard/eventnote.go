package dashboard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/marking"
)

// oldRuleCode is a judgement rule's code as notes stored before the
// rules were named in words wrote it: （规则 no-mark，…）, （规则 mark:TYPE）.
var oldRuleCode = regexp.MustCompile(`规则 ((?:no-mark|late-mark|mark-rejected|false-stop|rate-threshold)\b|(?:mark|flag):[A-Za-z0-9-]+)`)

// hasHan reports whether s has a Han character: text in Chinese.
var hasHan = regexp.MustCompile(`\p{Han}`).MatchString

// eventNote is an event's reason in lang. The platform's notes carry
// their English (ReasonEN). One stored before is rebuilt in English from
// its Chinese when it has the wording of a note the platform wrote
// (oldNotes); otherwise it shows its Chinese, with a rule's code named in
// words (the code stays in the stored decision, for machines), marked
// "(recorded in Chinese only)" on an English page. A person's words are
// shown as written, marked so on an English page when they are Chinese.
func eventNote(e cases.Event, lang string) string {
	if e.Reason == "" {
		return ""
	}
	if e.Role != cases.RoleSystem {
		return asWritten(e.Reason, lang)
	}
	if lang != langEN {
		return ruleCodesNamed(e.Reason)
	}
	if e.ReasonEN != "" {
		return e.ReasonEN
	}
	if en, ok := oldNoteEN(e.Reason); ok {
		return en
	}
	return ruleCodesNamed(e.Reason) + " " + tr(lang, "acc.reason.zhonly")
}

// asWritten is a person's text on a page in lang: as written, and on an
// English page marked "(recorded in Chinese only)" when it is Chinese.
func asWritten(s, lang string) string {
	if lang == langEN && hasHan(s) {
		return s + " " + tr(lang, "acc.reason.zhonly")
	}
	return s
}

// citeSpaces are the spaces the platform's texts stored before wrote
// around a Chinese document number, between Han characters (依据
// 生态环境部公告2022年第21号，按 生态环境部公告2022年第21号 判定超标; the
// transmission-rate case's ；依据 环境保护部污染源监控中心); marking.Cite
// writes none now.
var citeSpaces = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(依据|根据|按) (\p{Han})`), "$1$2"},
	{regexp.MustCompile(`(\p{Han}) 判定超标`), "${1}判定超标"},
}

// citedTight is a text the platform stored in Chinese with the spaces
// it wrote before around a Chinese document number dropped.
func citedTight(zh string) string {
	for _, c := range citeSpaces {
		zh = c.re.ReplaceAllString(zh, c.with)
	}
	return zh
}

// ruleCodesNamed names in Chinese words the rule codes an old note wrote,
// and drops the spaces it wrote around a Chinese document number.
func ruleCodesNamed(zh string) string {
	rules := marking.DefaultRules()
	zh = citedTight(zh)
	return oldRuleCode.ReplaceAllStringFunc(zh, func(m string) string {
		if n := marking.RuleName(&rules, strings.TrimPrefix(m, "规则 "), false); n != "" {
			return "规则：" + n
		}
		return m
	})
}

// oldNote is the wording of a note the platform wrote in Chinese only,
// before notes carried their English: the pattern of its Chinese and
// how to write the same facts in English from the pattern's groups.
type oldNote struct {
	zh *regexp.Regexp
	en func(r *marking.RuleSet, g []string) (string, bool)
}

// The English of an old note is written only when every code and
// document in it is known: ruleEN and sourceEN say whether they were.

// oldNotes are every platform note stored in Chinese only: the marking
// rules' judgement, late-mark, covering-mark and re-judgement notes (the
// rule by its code), and the recurrence flag. Their English is the
// wording the platform writes now (marksvc, casesvc).
var oldNotes = []oldNote{
	{regexp.MustCompile(`^超标判定：(.+?) 至 (.+?) 的超标数据无有效数据标记（规则 ([a-z:-]+)，(.+)）$`),
		func(r *marking.RuleSet, g []string) (string, bool) {
			rule, ok := ruleEN(r, g[3])
			src, ok2 := sourceEN(r, g[4])
			return fmt.Sprintf("exceedance judged: the data over the limit from %s to %s carry no valid data mark (rule: %s; %s)",
				g[1], g[2], rule, src), ok && ok2
		}},
	{regexp.MustCompile(`^超标判定：覆盖该时段的标记逾期，不予排除（规则 ([a-z:-]+)，标记 \[(.*)\]）$`),
		func(r *marking.RuleSet, g []string) (string, bool) {
			rule, ok := ruleEN(r, g[1])
			return fmt.Sprintf("exceedance judged: the marks covering the period were made late and do not excuse it (rule: %s; marks %s)",
				rule, strings.Join(strings.Fields(g[2]), ", ")), ok
		}},
	{regexp.MustCompile(`^重新判定：标记 (\S+)（第(\d+)版）已被驳回，理由：(.*)；(.+?) 至 (.+?) 的超标数据不再被有效标记排除，按 (.+) 判定超标（规则 ([a-z:-]+)）。$`),
		func(r *marking.RuleSet, g []string) (string, bool) {
			rule, ok := ruleEN(r, g[7])
			src, ok2 := sourceEN(r, g[6])
			return fmt.Sprintf("judged again: mark %s (version %s) was rejected, reason: %s; the data over the limit from %s to %s are no longer excused by a valid mark and are judged an exceedance under %s (rule: %s).",
				g[1], g[2], asWritten(g[3], langEN), g[4], g[5], src, rule), ok && ok2
		}},
	{regexp.MustCompile(`^重新判定：标记 (\S+) 更正为第(\d+)版后不再覆盖 (.+?) 至 (.+?) 的超标数据，按 (.+) 判定超标（规则 ([a-z:-]+)）。$`),
		func(r *marking.RuleSet, g []string) (string, bool) {
			rule, ok := ruleEN(r, g[6])
			src, ok2 := sourceEN(r, g[5])
			return fmt.Sprintf("judged again: mark %s, corrected to version %s, no longer covers the data over the limit from %s to %s, judged an exceedance under %s (rule: %s).",
				g[1], g[2], g[3], g[4], src, rule), ok && ok2
		}},
	{regexp.MustCompile(`^企业数据标记 (\S+)（第(\d+)版）：(.+?)，(.+?) 至 (.+?)，理由：(.*)。依据 (.+?)，标记期间数据(.+?)（规则 mark:([a-z0-9-]+)）。$`),
		func(r *marking.RuleSet, g []string) (string, bool) {
			t, ok := r.Type(g[9])
			eff, ok2 := marking.EffectOf(g[8])
			src, ok3 := sourceEN(r, g[7])
			return fmt.Sprintf("data mark %s (version %s) by the enterprise: %s, %s to %s, reason: %s. Under %s the data of the marked period %s (rule: %s).",
				g[1], g[2], t.En, g[4], g[5], asWritten(g[6], langEN), src, marking.EffectWords(eff, true),
				marking.RuleName(r, "mark:"+t.Code, true)), ok && ok2 && ok3
		}},
	{regexp.MustCompile(`^同一企业同类问题(\d+)日内再次发生：(.+)$`),
		func(_ *marking.RuleSet, g []string) (string, bool) {
			days, err := strconv.Atoi(g[1])
			_, en := cases.RecurrenceNote(days, strings.Split(g[2], "、"))
			return en, err == nil
		}},
}

// oldNoteEN writes in English a platform note stored in Chinese only;
// false when zh has none of the wordings the platform wrote.
func oldNoteEN(zh string) (string, bool) {
	rules := marking.DefaultRules()
	for _, n := range oldNotes {
		if g := n.zh.FindStringSubmatch(zh); g != nil {
			if en, ok := n.en(&rules, g); ok {
				return en, true
			}
		}
	}
	return "", false
}

// ruleEN names a rule code in English; false for a code the rules do not
// know (the note is then shown as recorded).
func ruleEN(r *marking.RuleSet, code string) (string, bool) {
	n := marking.RuleName(r, code, true)
	return n, n != ""
}

// sourceEN is a marking source, stored by its Chinese document number,
// by its established English one; false when the rules have none.
func sourceEN(r *marking.RuleSet, ref string) (string, bool) {
	for _, s := range r.Sources {
		if s.Ref == ref && s.RefEN != "" {
			return s.RefEN, true
		}
	}
	return "", false
}
