package dashboard

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/golden"
)

// A case's timeline shows every stored note in the page's language: the
// platform's notes by their stored English; an old one, stored in
// Chinese only, with its rule's code named in words on a Chinese page and
// rebuilt in English from the same facts on an English one (a note the
// platform never wrote marked as recorded in Chinese); a person's words
// as written, marked on an English page when they are Chinese. One row
// per kind of event (every action a person may give a reason for) and per
// wording the platform has stored.
func TestEventNote(t *testing.T) {
	sys := func(act cases.ActionKind, zh, en string) cases.Event {
		return cases.Event{Role: cases.RoleSystem, Action: act, Reason: zh, ReasonEN: en}
	}
	note := func(zh, en string) cases.Event { return sys(cases.ActNote, zh, en) }
	const zhOnly = " (recorded in Chinese only)"
	type row struct {
		name     string
		e        cases.Event
		zh, en   string
		keepZhEN []string // names and numbers the English may keep
	}
	rows := []row{
		{"new note", note("超标判定（规则：未标记）", "exceedance judged (rule: not marked)"),
			"超标判定（规则：未标记）", "exceedance judged (rule: not marked)", nil},
		{"old no-mark", note("超标判定：12-04 07:00 至 12-04 09:00 的超标数据无有效数据标记（规则 no-mark，生态环境部公告2022年第21号）", ""),
			"超标判定：12-04 07:00 至 12-04 09:00 的超标数据无有效数据标记（规则：未标记，生态环境部公告2022年第21号）",
			"exceedance judged: the data over the limit from 12-04 07:00 to 12-04 09:00 carry no valid data mark (rule: not marked; MEE Announcement No. 21 of 2022)", nil},
		{"old late-mark", note("超标判定：覆盖该时段的标记逾期，不予排除（规则 late-mark，标记 [BJ2026000001 BJ2026000002]）", ""),
			"超标判定：覆盖该时段的标记逾期，不予排除（规则：标记逾期，标记 [BJ2026000001 BJ2026000002]）",
			"exceedance judged: the marks covering the period were made late and do not excuse it (rule: marked late; marks BJ2026000001, BJ2026000002)", nil},
		{"old covering mark", note("企业数据标记 BJ2026000003（第1版）：停炉（停机），12-04 07:00 至 12-04 09:00，理由：锅炉检修。依据 执法函〔2020〕21号，标记期间数据不参与超标判定（规则 mark:shutdown）。", ""),
			"企业数据标记 BJ2026000003（第1版）：停炉（停机），12-04 07:00 至 12-04 09:00，理由：锅炉检修。依据执法函〔2020〕21号，标记期间数据不参与超标判定（规则：标记：停炉（停机））。",
			"", []string{"锅炉检修"}},
		{"old rejected", note("重新判定：标记 BJ2026000004（第2版）已被驳回，理由：与用电数据不符；12-04 07:00 至 12-04 09:00 的超标数据不再被有效标记排除，按 生态环境部公告2022年第21号 判定超标（规则 mark-rejected）。", ""),
			"重新判定：标记 BJ2026000004（第2版）已被驳回，理由：与用电数据不符；12-04 07:00 至 12-04 09:00 的超标数据不再被有效标记排除，按生态环境部公告2022年第21号判定超标（规则：标记被驳回或更正，重新判定超标）。",
			"judged again: mark BJ2026000004 (version 2) was rejected, reason: 与用电数据不符" + zhOnly + "; the data over the limit from 12-04 07:00 to 12-04 09:00 are no longer excused by a valid mark and are judged an exceedance under MEE Announcement No. 21 of 2022 (rule: mark rejected or corrected: exceedance judged again).",
			[]string{"与用电数据不符"}},
		{"old corrected", note("重新判定：标记 BJ2026000005 更正为第3版后不再覆盖 12-04 07:00 至 12-04 09:00 的超标数据，按 生态环境部公告2022年第21号 判定超标（规则 mark-rejected）。", ""),
			"重新判定：标记 BJ2026000005 更正为第3版后不再覆盖 12-04 07:00 至 12-04 09:00 的超标数据，按生态环境部公告2022年第21号判定超标（规则：标记被驳回或更正，重新判定超标）。",
			"judged again: mark BJ2026000005, corrected to version 3, no longer covers the data over the limit from 12-04 07:00 to 12-04 09:00, judged an exceedance under MEE Announcement No. 21 of 2022 (rule: mark rejected or corrected: exceedance judged again).", nil},
		{"old recurrence", sys(cases.ActFlagReview, "同一企业同类问题90日内再次发生：C20260001、C20260002", ""),
			"同一企业同类问题90日内再次发生：C20260001、C20260002",
			"the same kind of problem recurred at the same enterprise within 90 days: C20260001, C20260002", nil},
		{"space after 依据", note("超标判定：12-06 18:00 至 12-06 20:00 的超标数据无有效数据标记（规则：未标记，依据 生态环境部公告2022年第21号）", "exceedance judged"),
			"超标判定：12-06 18:00 至 12-06 20:00 的超标数据无有效数据标记（规则：未标记，依据生态环境部公告2022年第21号）", "exceedance judged", nil},
		{"space after 依据 before a Latin number", note("依据 HJ 212-2017 表8", "under HJ 212-2017 table 8"),
			"依据 HJ 212-2017 表8", "under HJ 212-2017 table 8", nil},
		{"old unknown", note("平台备注（规则 no-mark）", ""), "平台备注（规则：未标记）", "平台备注（规则：未标记）" + zhOnly, []string{"平台备注（规则：未标记）"}},
	}
	zh, en := cases.RecurrenceNote(30, []string{"C1", "C2"})
	rows = append(rows, row{"new recurrence", sys(cases.ActFlagReview, zh, en), zh, en, nil})
	// A person's words on every action that carries them.
	for _, a := range cases.Actions() {
		rows = append(rows,
			row{"person zh " + string(a), cases.Event{Role: cases.RoleCity, Action: a, Reason: "材料不全"}, "材料不全", "材料不全" + zhOnly, []string{"材料不全"}},
			row{"person en " + string(a), cases.Event{Role: cases.RoleCounty, Action: a, Reason: "photos attached"}, "photos attached", "photos attached", nil})
	}
	for _, tc := range rows {
		if got := eventNote(tc.e, "zh"); got != tc.zh {
			t.Errorf("%s (zh): %q, want %q", tc.name, got, tc.zh)
		}
		got := eventNote(tc.e, "en")
		if tc.en != "" && got != tc.en {
			t.Errorf("%s (en): %q, want %q", tc.name, got, tc.en)
		}
		// No rule code and no Han character outside a person's words.
		golden.CheckLanguage(t, "en", got, tc.keepZhEN...)
		for _, s := range []string{got, eventNote(tc.e, "zh")} {
			if code := ruleCode.FindString(s); code != "" {
				t.Errorf("%s: raw rule code %s in %q", tc.name, code, s)
			}
		}
	}
	// The covering mark's English, from the rule data's own words.
	if got := eventNote(rows[3].e, "en"); !strings.HasPrefix(got, "data mark BJ2026000003 (version 1) by the enterprise: Shut-down, 12-04 07:00 to 12-04 09:00, reason: 锅炉检修"+zhOnly+". Under ") ||
		!strings.HasSuffix(got, " the data of the marked period take no part in judging an exceedance (rule: mark: Shut-down).") {
		t.Errorf("covering mark (en): %q", got)
	}
}

// ruleCode is a judgement rule's code as machines store it.
var ruleCode = regexp.MustCompile(`no-mark|late-mark|mark-rejected|false-stop|rate-threshold|(mark|flag):[A-Za-z]`)

// The desk names a decision's rule with the same words as the case
// timeline's notes: one wording per rule, in both languages.
func TestMarkRuleWording(t *testing.T) {
	for _, tc := range []struct{ code, zh, en string }{
		{"no-mark", "未标记", "not marked"},
		{"late-mark", "标记逾期", "marked late"},
		{"mark-rejected", "标记被驳回或更正，重新判定超标", "mark rejected or corrected: exceedance judged again"},
		{"false-stop", "停运标记与用电数据矛盾", "stop contradicted by electricity data"},
		{"rate-threshold", "传输有效率低于阈值", "transmission rate below the threshold"},
		{"mark:shutdown", "标记：停炉（停机）", "mark: Shut-down"},
		{"flag:M", "设备数据标识：维护", "device data flag: maintenance"},
	} {
		if got := markRule(&page{Lang: "zh"}, tc.code); got != tc.zh {
			t.Errorf("%s (zh): %q, want %q", tc.code, got, tc.zh)
		}
		if got := markRule(&page{Lang: "en"}, tc.code); got != tc.en {
			t.Errorf("%s (en): %q, want %q", tc.code, got, tc.en)
		}
		old := cases.Event{Role: cases.RoleSystem, Action: cases.ActNote, Reason: "备注（规则 " + tc.code + "）"}
		if got := eventNote(old, "zh"); got != "备注（规则："+tc.zh+"）" {
			t.Errorf("%s: timeline %q, want the desk's words %q", tc.code, got, tc.zh)
		}
	}
}

// A provincial document is named by its established English name on an
// English page; a city's own scheme without one by its Chinese, marked.
func TestOfficialName(t *testing.T) {
	for _, tc := range []struct{ zh, lang, want string }{
		{"山东省环境空气质量生态补偿暂行办法(2017年)", "en", "Shandong Province Interim Measures for Ecological Compensation for Ambient Air Quality (2017)"},
		{"山东省环境空气质量生态补偿暂行办法(2017年)", "zh", "山东省环境空气质量生态补偿暂行办法(2017年)"},
		{"聊城市环境空气质量生态补偿办法（演示）", "en", "聊城市环境空气质量生态补偿办法（演示） (recorded in Chinese only)"},
	} {
		if got := officialName(tc.zh, tc.lang); got != tc.want {
			t.Errorf("%s (%s): %q, want %q", tc.zh, tc.lang, got, tc.want)
		}
	}
}

// pH's unit is a word, in the page's language wherever a unit is printed
// (live values, findings, trends); a symbol stays as it is.
func TestUnitIn(t *testing.T) {
	for _, tc := range []struct{ lang, u, want string }{
		{"zh", "无量纲", "无量纲"}, {"en", "无量纲", "dimensionless"}, {"en", "mg/L", "mg/L"}, {"zh", "mg/m³", "mg/m³"},
	} {
		if got := unitIn(tc.lang, tc.u); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.u, got, tc.want)
		}
	}
}

// A below-threshold transmission-rate case stored before with a space
// after 依据 shows its description without it, in both languages when it
// has no English; a person's description is shown as written.
func TestCaseRowCitedTight(t *testing.T) {
	const arith = "传输率 20/24 = 83.33%，有效率 19/20 = 95.00%，传输有效率 = 83.33% × 95.00% = 79.17%"
	rows := []struct {
		name, lang string
		c          cases.Case
		want       string
	}{
		{"old rate zh", "zh", cases.Case{ProblemType: "transmission-rate", Description: arith + "；依据 环境保护部污染源监控中心"},
			arith + "；依据环境保护部污染源监控中心"},
		{"new rate zh", "zh", cases.Case{ProblemType: "transmission-rate", Description: arith + "；依据环境保护部污染源监控中心"},
			arith + "；依据环境保护部污染源监控中心"},
		{"old rate en", "en", cases.Case{ProblemType: "transmission-rate", Description: arith + "；依据 环境保护部污染源监控中心",
			DescriptionEN: "transmission 20/24 = 83.33%; under the Pollution Source Monitoring Center"},
			"transmission 20/24 = 83.33%; under the Pollution Source Monitoring Center"},
		{"person", "zh", cases.Case{ProblemType: "odor", Source: cases.SourcePetition, Description: "按 规定 处理"}, "按 规定 处理"},
	}
	for _, r := range rows {
		if got := newCaseRow(r.c, r.lang, "", deadlineInfo{}).Text; got != r.want {
			t.Errorf("%s: %q, want %q", r.name, got, r.want)
		}
	}
}
