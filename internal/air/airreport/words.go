package airreport

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The words of the reports in either language: the command line's
// tables and the workbooks print every header, label, status and note
// in one language (a bureau reads a report in its own language
// throughout), and only the names of places and stations
// stay as the registry has them.

// pollutantNames are the six pollutants' names in GB 3095-2012 table 1
// (Chinese) and their conventional symbols (English).
var pollutantNames = [air.NumPollutants][2]string{
	air.SO2: {"二氧化硫", "SO2"}, air.NO2: {"二氧化氮", "NO2"}, air.CO: {"一氧化碳", "CO"},
	air.O3: {"臭氧", "O3"}, air.PM10: {"可吸入颗粒物", "PM10"}, air.PM25: {"细颗粒物", "PM2.5"},
}

// words are the reports' words in one language: workbook.Lang with the
// air report's vocabulary.
type words workbook.Lang

func (l words) pick(c [2]string) string { return workbook.Lang(l).Pair(c) }

// PollutantName names a pollutant (its symbol, as the report's JSON keys
// write it) in l; an unknown name is returned as it is.
func PollutantName(l workbook.Lang, symbol string) string { return words(l).Pollutant(symbol) }

// ReasonName names an exclusion reason in l (ReasonName(l, "flagged")).
func ReasonName(l workbook.Lang, code string) string { return words(l).Reason(code) }

// StatusName names a target status in l (StatusName(l, StatusAtRisk)).
func StatusName(l workbook.Lang, status string) string { return words(l).Status(status) }

// Pollutant names pollutant symbol in l.
func (l words) Pollutant(symbol string) string {
	p, ok := air.ParsePollutant(symbol)
	if !ok {
		return symbol
	}
	return l.pick(pollutantNames[p])
}

// reasonWords name the exclusion reasons (air.Reason's stable names) the
// way the rules state them: GB 3095-2012 table 4 for the valid hours of a
// day and of an 8-hour window, HJ 663-2013 for ozone's daily maximum.
var reasonWords = map[string][2]string{
	"negative":          {"负值", "negative value"},
	"impossible":        {"超出合理范围", "implausible value"},
	"duplicate":         {"重复数据", "duplicate"},
	"flagged":           {"数据标记无效", "flagged invalid"},
	"missing_hour":      {"缺测小时", "missing hour"},
	"day_incomplete":    {"日有效小时不足20个", "fewer than 20 valid hours in the day"},
	"window_incomplete": {"8小时内有效小时不足6个", "fewer than 6 valid hours in 8"},
	"o3_day_incomplete": {"臭氧8小时有效时段不足", "too few valid 8-hour ozone windows"},
	"unknown_station":   {"未登记点位", "station not registered"},
	"out_of_period":     {"不在评价时段内", "outside the period"},
}

// Reason names an exclusion reason in l; an unknown one is returned as
// it is.
func (l words) Reason(code string) string {
	if w, ok := reasonWords[code]; ok {
		return l.pick(w)
	}
	return code
}

// counts writes a reason (or pollutant) → count map in l, in a stable
// order; "无"/"none" when empty.
func (l words) counts(m map[string]int, name func(string) string) string {
	if len(m) == 0 {
		return l.pick([2]string{"无", "none"})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf(l.pick([2]string{"%s %d", "%s %d"}), name(k), m[k])
	}
	return strings.Join(parts, l.pick([2]string{"，", ", "}))
}

// kind names an entity kind (city, county, station).
func (l words) kind(k string) string {
	switch k {
	case "city":
		return l.pick([2]string{"全市", "city"})
	case "county":
		return l.pick([2]string{"区县", "county"})
	case "station":
		return l.pick([2]string{"点位", "station"})
	}
	return k
}

// name is an entity's name: the registry's, but the city's own row is
// 全市 in the registry's Chinese, "whole city" in English.
func (l words) name(code, name string) string {
	if code == CityCode {
		return l.pick([2]string{"全市", "whole city"})
	}
	return name
}

// code is an entity's code as a reader sees it: the registry's, but none
// ("-") for the city's own row, whose code is a key of the program.
func (l words) code(c string) string {
	if c == CityCode {
		return "-"
	}
	return c
}

// period names a report's period ("2025", "2025-Q1", "2025-03"): 2025年,
// 2025年第一季度, 2025年3月 in Chinese.
func (l words) period(s string) string {
	p, err := chinatime.ParsePeriod(s, Kinds...)
	if err != nil || workbook.Lang(l) == workbook.English {
		return s
	}
	return p.Chinese()
}

// rules names the rule version a report was computed under ("by date",
// "2012", "2026"): HJ 633 by the version in force on each day, or one
// version throughout.
func (l words) rules(r string) string {
	switch r {
	case "by date":
		return l.pick([2]string{"按日期适用 HJ 633（2026-03-01 前 2012 版，此后 2026 版）", "HJ 633 by date (2012 before 2026-03-01, 2026 from then)"})
	case "2012", "2026":
		return "HJ 633-" + r
	}
	return r
}

// standard names the GB 3095 limits ("GB 3095-2026 (transition)").
func (l words) standard(s string) string {
	if workbook.Lang(l) == workbook.Chinese {
		return strings.Replace(s, " (transition)", "（过渡期限值）", 1)
	}
	return s
}

// yesNo is 是/否, yes/no.
func (l words) yesNo(b bool) string {
	if b {
		return l.pick([2]string{"是", "yes"})
	}
	return l.pick([2]string{"否", "no"})
}

// statusWords name the target statuses.
var statusWords = map[string][2]string{
	StatusMet:         {"已达标", "met"},
	StatusMissed:      {"未达标", "missed"},
	StatusOnTrack:     {"可达标", "on track"},
	StatusAtRisk:      {"有风险", "at risk"},
	StatusCannotBeMet: {"已无法达标", "cannot be met"},
	StatusAbove:       {"高于目标", "above target"},
}

// Status names a target status in l; an unknown one is returned as it is.
func (l words) Status(s string) string {
	if w, ok := statusWords[s]; ok {
		return l.pick(w)
	}
	return s
}
