package dashboard

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/factors"
	"github.com/ecowatch/ecowatch/internal/marking"
)

// markingMessages are the labels of the enterprise desk (/desk) and the
// effective transmission rates (/rates), merged into messages at start.
var markingMessages = map[string][2]string{
	"nav.desk":                {"企业工作台", "Enterprise desk"},
	"nav.rates":               {"传输有效率", "Transmission rates"},
	"desk.title":              {"企业工作台", "Enterprise desk"},
	"desk.choose":             {"选择企业", "Choose an enterprise"},
	"desk.devices":            {"排放口与监测设备", "Outlets and devices"},
	"desk.lastseen":           {"最近通信", "Last contact"},
	"desk.cases":              {"告警与在办案件", "Alarms and open cases"},
	"desk.nocases":            {"暂无在办案件", "No open case"},
	"desk.notice.case":        {"案件", "Case"},
	"desk.report":             {"提交整改报告", "Submit a report"},
	"desk.overdue":            {"已超期", "overdue"},
	"desk.mark":               {"数据标记", "Mark data"},
	"desk.mark.hint":          {"异常工况或设备状况发生后应在 %s 小时内标记；逾期标记不予排除超标判定，并将立案。", "Mark within %s hours of the condition's start; a late mark excuses no exceedance and opens a case."},
	"desk.mark.device":        {"监测设备", "Device"},
	"desk.mark.type":          {"标记类型", "Mark type"},
	"desk.mark.from":          {"开始时间", "From"},
	"desk.mark.to":            {"结束时间", "To"},
	"desk.mark.reason":        {"标记理由", "Reason"},
	"desk.mark.file":          {"佐证材料（照片、记录）", "Evidence (photos, records)"},
	"desk.mark.submit":        {"提交标记", "Submit the mark"},
	"desk.mark.bureau":        {"仅企业账号可提交标记；监管部门在此查看并审核。", "Only the enterprise's account marks; the bureau reads and reviews here."},
	"desk.marks":              {"本企业的标记", "Our marks"},
	"desk.nomarks":            {"暂无标记", "No mark yet"},
	"desk.version":            {"版本", "Version"},
	"desk.period":             {"标记时段", "Period"},
	"desk.status":             {"审核状态", "Review"},
	"desk.late":               {"逾期", "late"},
	"desk.decisions":          {"判定记录", "Decisions"},
	"desk.nodecisions":        {"暂无判定记录", "No decision yet"},
	"desk.rule":               {"判定规则", "Rule"},
	"desk.outcome":            {"结果", "Outcome"},
	"desk.rates":              {"传输有效率（%s）", "Effective transmission rate (%s)"},
	"desk.rank":               {"全市企业排名：第 %d 名 / 共 %d 家", "City rank: %d of %d enterprises"},
	"desk.norates":            {"该日无应传输数据", "No data due that day"},
	"desk.rules":              {"执行规则", "Rules in force"},
	"desk.rulesin":            {"执行规则：%s", "Rules in force: %s"},
	"mark.status.pending":     {"待审核", "pending"},
	"mark.status.accepted":    {"审核通过", "accepted"},
	"mark.status.rejected":    {"已驳回", "rejected"},
	"mark.review.accept":      {"通过", "Accept"},
	"mark.review.reject":      {"驳回", "Reject"},
	"mark.review.reason":      {"驳回理由", "Reason for rejecting"},
	"mark.outcome.excused":    {"已排除超标判定，未立案", "excused, no case"},
	"mark.outcome.opened":     {"超标立案", "case opened"},
	"mark.outcome.annotated":  {"已在案件中备注", "noted on the case"},
	"mark.outcome.late":       {"逾期标记立案", "late mark, case opened"},
	"mark.outcome.false-stop": {"疑似虚假标记立案", "suspected false mark, case opened"},
	"mark.outcome.below-rate": {"传输有效率不达标立案", "rate below threshold, case opened"},
	"rates.title":             {"传输有效率", "Effective transmission rates"},
	"rates.day":               {"日", "Day"},
	"rates.month":             {"月", "Month"},
	"rates.show":              {"查看", "Show"},
	"rates.city":              {"全市", "City"},
	"rates.counties":          {"区县排名", "Counties ranked"},
	"rates.enterprises":       {"企业排名", "Enterprises ranked"},
	"rates.outlets":           {"排放口（由低到高，最多100个）", "Outlets (lowest first, at most 100)"},
	"rates.rank":              {"名次", "Rank"},
	"rates.search":            {"企业名称或统一社会信用代码", "Enterprise name or unified social credit code"},
	"rates.found":             {"共 %d 家企业，第 %d–%d 家", "%d enterprises, %d–%d shown"},
	"rates.nodata":            {"该时段无应传输数据：设备尚未上传小时数据。请换一个日期或月份查看；设备接入后次日即可统计。", "Nothing was due in this period: no device had sent hourly data. Choose another day or month; a device is counted from the day after it connects."},
	"rates.none":              {"没有符合条件的企业。请换一个名称、信用代码或区县再查。", "No enterprise matches. Try another name, credit code or county."},
	"rates.name":              {"名称", "Name"},
	"rates.due":               {"应传输", "Due"},
	"rates.received":          {"实际传输", "Received"},
	"rates.valid":             {"有效", "Valid"},
	"rates.transmission":      {"传输率", "Transmission"},
	"rates.validity":          {"有效率", "Validity"},
	"rates.effective":         {"传输有效率", "Effective"},
	"rates.arith":             {"计算过程", "Arithmetic"},
	"rates.below":             {"低于 %.0f%% 的排放口：%d 个（每日自动立案）", "Outlets below %.0f%%: %d (a case each, daily)"},
	"rates.how":               {"以小时数据为单位：应传输 = 时段小时数 − 停运标记时段（设备首条数据前不计）；有效 = 设备标志为正常（N/T）且未被无效标记覆盖；传输有效率 = 传输率 × 有效率。", "Counted in hourly data: due = hours less those marked stopped (none before the device's first data); valid = device flag normal (N/T) and no invalidating mark; effective = transmission × validity."},
}

// markingFuncs are the template functions of the marking and rates pages,
// added to the layout's functions where the templates are parsed.
var markingFuncs = template.FuncMap{
	"markRule": markRule,
	"arith":    func(p *page, c marking.Count) string { return c.Arithmetic(p.Lang) },
	"rate":     pctOf,
	"mul100":   func(v float64) float64 { return 100 * v },
	"rateRows": func(p *page, title string, rows []marking.Row, id string) map[string]any {
		return map[string]any{"page": p, "Title": title, "Rows": rows, "ID": id}
	},
	// unitText writes a registry unit as a reader expects it: m3 as m³,
	// 无量纲 in the page's language.
	"unitText": func(p *page, u string) string {
		if u == "" {
			return p.T("unit.none")
		}
		return unitIn(p.Lang, strings.ReplaceAll(u, "m3", "m³"))
	},
	// band2 is 2 % of a measuring range (sign 22 of the screening list).
	"band2": func(lo, hi float64) float64 { return 0.02 * (hi - lo) },
	"factorName": func(p *page, code string) string {
		if code == "" {
			return ""
		}
		return factors.Name(code, p.Lang)
	},
}

// unitIn is a unit as printed on a page in lang: the registry's and the
// water standard's 无量纲 (pH) in the page's language, a symbol as it is.
func unitIn(lang, u string) string {
	if u == "无量纲" {
		return tr(lang, "unit.none")
	}
	return u
}

// pctOf writes a rate as a percentage with two decimals.
func pctOf(v float64) string { return ftoa2(100*v) + "%" }

// markRule writes a decision's rule in the reader's language, by the
// marking rules' own names (marking.RuleName: the same words as the
// case timeline's notes); an unknown code is not shown.
func markRule(p *page, rule string) string {
	r := marking.DefaultRules()
	return marking.RuleName(&r, rule, p.En())
}

func ftoa2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
