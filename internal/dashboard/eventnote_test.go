package dashboard

import (
	"testing"

	"github.com/ecowatch/ecowatch/internal/cases"
)

// A case's timeline shows a note in the page's language: the platform's
// notes by their stored English; an old one in Chinese with its rule's
// code named in words (未标记, 标记逾期), marked on an English page; a
// person's words as written.
func TestEventNote(t *testing.T) {
	sys := func(zh, en string) cases.Event {
		return cases.Event{Role: cases.RoleSystem, Action: cases.ActNote, Reason: zh, ReasonEN: en}
	}
	for _, tc := range []struct {
		name string
		e    cases.Event
		lang string
		want string
	}{
		{"new zh", sys("超标判定（规则：未标记）", "exceedance judged (rule: not marked)"), "zh", "超标判定（规则：未标记）"},
		{"new en", sys("超标判定（规则：未标记）", "exceedance judged (rule: not marked)"), "en", "exceedance judged (rule: not marked)"},
		{"old no-mark zh", sys("超标判定：12-04 07:00 至 12-04 09:00 的超标数据无有效数据标记（规则 no-mark，生态环境部公告2022年第21号）", ""), "zh",
			"超标判定：12-04 07:00 至 12-04 09:00 的超标数据无有效数据标记（规则：未标记，生态环境部公告2022年第21号）"},
		{"old late-mark zh", sys("超标判定：覆盖该时段的标记逾期，不予排除（规则 late-mark，标记 [BJ2026000001]）", ""), "zh",
			"超标判定：覆盖该时段的标记逾期，不予排除（规则：标记逾期，标记 [BJ2026000001]）"},
		{"old mark zh", sys("标记期间数据不参与超标判定（规则 mark:shutdown）。", ""), "zh", "标记期间数据不参与超标判定（规则：标记：停炉（停机））。"},
		{"old en", sys("超标判定（规则 no-mark）", ""), "en", "超标判定（规则 no-mark） (recorded in Chinese only)"},
		{"person", cases.Event{Role: cases.RoleCity, Action: cases.ActReject, Reason: "材料不全"}, "en", "材料不全"},
	} {
		if got := eventNote(tc.e, tc.lang); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
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
