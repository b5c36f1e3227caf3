package dashboard

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
)

// casesMessages are the labels of the case list and case page, the public
// portal and the patrol pages; merged into messages at start.
var casesMessages = map[string][2]string{
	"cases.search":      {"搜索案件编号、企业、排放口、因子…", "Search number, enterprise, outlet, factor…"},
	"cases.allcounties": {"全部区县", "All counties"},
	"cases.alllines":    {"全部工作线", "All work lines"},
	"cases.allsources":  {"全部来源", "All sources"},
	"cases.allstates":   {"全部状态", "All states"},
	"cases.onlyoverdue": {"仅超期", "Overdue only"},
	"cases.filter":      {"查询", "Filter"},
	"cases.reset":       {"清除条件", "Clear"},
	"cases.none":        {"没有符合条件的案件。", "No case matches."},
	"cases.prev":        {"上一页", "Previous"},
	"cases.next":        {"下一页", "Next"},
	"cases.page":        {"页码", "Page"},
	"cases.line":        {"工作线", "Work line"},
	"cases.enterprise":  {"企业", "Enterprise"},
	"cases.location":    {"位置", "Location"},
	"cases.created":     {"登记时间", "Registered"},
	"cases.findings":    {"超标及异常记录", "Findings"},
	"cases.time":        {"数据时间", "Data time"},
	"cases.factor":      {"因子", "Factor"},
	"cases.value":       {"监测值", "Value"},
	"cases.limit":       {"限值", "Limit"},
	"cases.multiple":    {"超标倍数", "Times over"},
	"cases.report":      {"整改报告", "Rectification report"},
	"act.report":        {"整改情况说明", "Report"},
	"act.report.hint":   {"整改措施、完成情况、复测结果等", "Measures taken, completion, re-measurements"},
	"act.add-finding":   {"追加超标记录", "finding added"},

	// Public portal.
	"pub.brand":            {"聊城市生态环境局公众服务", "Liaocheng Ecology and Environment Bureau"},
	"pub.bureau":           {"生态环境局", " Ecology and Environment Bureau"},
	"pub.service":          {"公众服务", "Public service"},
	"pub.title":            {"环境信息公开", "Environmental information"},
	"pub.nav.info":         {"环境质量", "Air and water"},
	"pub.nav.report":       {"我要举报", "Report a problem"},
	"pub.nav.track":        {"进度查询", "Track"},
	"pub.hotline":          {"环保举报热线 12369", "Environmental hotline 12369"},
	"pub.staff":            {"工作人员入口", "Staff"},
	"pub.report.lead":      {"发现污染问题，请说明地点和情况，可附照片。提交后请保存查询码，用于查询办理进度和评价。", "Tell us where and what; photos help. Keep the tracking code to follow the case and rate it."},
	"pub.location.hint":    {"如：东昌府区柳园路与花园路交叉口", "e.g. the street corner or river reach"},
	"pub.description.hint": {"发生了什么、持续多久、气味或颜色等", "What happens, since when, smell or colour"},
	"pub.contact.hint":     {"手机号码，仅办理人员可见", "Phone; seen only by the staff handling it"},
	"pub.keep.code":        {"请保存查询码，用于查询办理进度。", "Keep this code to follow your report."},
	"pub.track.lead":       {"输入举报时得到的查询码，查看办理进度、办理期限和答复。", "Enter the tracking code you received to see progress, deadlines and the reply."},
	"pub.status.submitted": {"已提交，待受理", "Submitted, awaiting acceptance"},
	"pub.status.received":  {"已受理", "Accepted"},
	"pub.status.working":   {"办理中", "Being handled"},
	"pub.status.done":      {"已办结", "Completed"},
	"pub.status.rejected":  {"不予受理", "Not accepted"},
	"pub.status.":          {"已收到", "Received"},
	"pub.step.submitted":   {"提交举报", "Submitted"},
	"pub.step.accepted":    {"受理", "Accepted"},
	"pub.step.rejected":    {"不予受理", "Not accepted"},
	"pub.step.working":     {"调查处理", "Investigation and handling"},
	"pub.step.done":        {"办结", "Completed"},
	"pub.due":              {"办理期限", "due by"},
	"pub.late":             {"已超期", "late"},
	"pub.rate.title":       {"满意度评价", "How satisfied are you?"},
	"pub.rate.lead":        {"您的举报已办结，请对办理结果进行评价。", "Your report has been handled; please rate the result."},
	"pub.rate.comment":     {"意见建议（可不填）", "Comment (optional)"},
	"pub.rate.submit":      {"提交评价", "Send rating"},
	"pub.rate.done":        {"感谢您的评价。", "Thank you for your rating."},
	"pub.rated":            {"您的评价", "Your rating"},
	"pub.air":              {"空气质量实况", "Air quality now"},
	"pub.primary":          {"首要污染物", "primary"},
	"pub.water":            {"地表水水质", "Surface water"},
	"pub.water.meeting":    {"达到目标的考核断面", "Sections meeting their target"},
	"pub.target":           {"目标", "target"},
}

func init() {
	funcs["cnum"] = cases.Num
	// A deadline falls at the start of the day after the last one: show
	// the last day.
	funcs["cday"] = func(t time.Time) string { return t.In(cst).Add(-time.Second).Format("2006-01-02") }
	for k, v := range casesMessages {
		messages[k] = v
	}
	// Work lines: Chinese names from the configuration, English here.
	en := map[string]string{
		"air-industry": "Industrial deep treatment", "air-vocs": "VOCs control", "air-kiln": "Industrial kilns",
		"air-dust": "Dust control", "air-mobile": "Diesel trucks and mobile sources", "air-coal": "Loose coal and coal boilers",
		"air-burning": "Straw and open burning", "air-catering": "Catering fumes", "air-general": "Air, other",
		"water": "Water pollution", "soil": "Soil pollution", "noise": "Noise", "waste": "Solid and hazardous waste",
		"ecology": "Ecological protection", "other": "Other",
	}
	for _, l := range cases.DefaultWorkLines() {
		if _, ok := messages["line."+l.Code]; !ok {
			messages["line."+l.Code] = [2]string{l.Name, en[l.Code]}
		}
	}
}
