package dashboard

import (
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
)

// casesMessages are the labels of the case list and case page, the public
// portal and the patrol pages; merged into messages at start.
var casesMessages = map[string][2]string{
	"cases.dl.accept":   {"受理期限", "accept by"},
	"cases.dl.assign":   {"交办期限", "assign by"},
	"cases.dl.rectify":  {"整改期限", "rectify by"},
	"cases.dl.verify":   {"核查期限", "verify by"},
	"cases.dl.close":    {"办结期限", "close by"},
	"cases.late.accept": {"超期未受理", "acceptance overdue"},
	"cases.late.assign": {"超期未交办", "assignment overdue"},
	"cases.late.verify": {"超期未核查", "verification overdue"},
	"cases.late.close":  {"超过办结期限", "past the closing deadline"},
	"cases.search":      {"搜索案件编号、企业、排放口、因子…", "Search number, enterprise, outlet, factor…"},
	"cases.allcounties": {"全部区县", "All counties"},
	"cases.alllines":    {"全部工作线", "All work lines"},
	"cases.allsources":  {"全部来源", "All sources"},
	"cases.allstates":   {"全部状态", "All states"},
	"cases.onlyoverdue": {"仅超期", "Overdue only"},
	"cases.filter":      {"查询", "Filter"},
	"cases.reset":       {"清除条件", "Clear"},
	"cases.empty":       {"暂无案件。在线监测超标、数据异常、巡查和信访发现的问题由系统立案，在此受理、交办和办结。", "No cases yet. Exceedances, data anomalies and problems found on patrols or by petitioners are filed as cases and worked here."},
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
	"act.add-finding":   {"追加超标记录", "Finding added"},
	"act.note":          {"平台备注", "Platform note"},

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
	"pub.rate.key":         {"评价码（提交举报时获得）", "Rating key (given when you reported)"},
	"pub.rate.comment":     {"意见建议（可不填）", "Comment (optional)"},
	"pub.rate.submit":      {"提交评价", "Send rating"},
	"pub.rate.done":        {"感谢您的评价。", "Thank you for your rating."},
	"pub.rated":            {"您的评价", "Your rating"},
	"pub.air":              {"空气质量实况", "Air quality now"},
	"pub.primary":          {"首要污染物", "primary"},
	"pub.water":            {"地表水水质", "Surface water"},
	"pub.water.meeting":    {"达到目标的考核断面", "Sections meeting their target"},
	"pub.target":           {"目标", "target"},

	// River patrols.
	"patrol.title":        {"巡河", "Patrol"},
	"patrol.brand":        {"河湖巡查", "River patrol"},
	"patrol.stats":        {"巡河统计", "Patrol statistics"},
	"patrol.stats.window": {"近12个月", "last 12 months"},
	"patrol.phone":        {"在手机上打开，记录轨迹和问题", "on a phone: records the track and the problems found"},
	"patrol.new":          {"开始新的巡河", "Start a patrol"},
	"patrol.area":         {"巡查河段", "River reach"},
	"patrol.area.hint":    {"如：徒骇河东昌府段", "e.g. the reach or river"},
	"patrol.start":        {"开始巡河", "Start patrol"},
	"patrol.end":          {"结束巡河", "End patrol"},
	"patrol.km":           {"里程（km）", "km"},
	"patrol.elapsed":      {"用时", "time"},
	"patrol.points":       {"轨迹点", "positions"},
	"patrol.findings":     {"发现问题", "findings"},
	"patrol.waiting":      {"正在获取位置…", "Waiting for a position…"},
	"patrol.nogeo":        {"此浏览器不能定位，轨迹无法记录。", "This browser cannot give a position; no track is recorded."},
	"patrol.denied":       {"未获得定位权限，请在浏览器设置中允许定位。", "Location permission denied; allow it in the browser's settings."},
	"patrol.nofix":        {"尚未定位，问题将不带位置。请稍候再记录。", "No position yet; wait a moment before recording."},
	"patrol.saved":        {"已记录，已生成案件", "Recorded; case opened"},
	"patrol.ended":        {"巡河已结束", "Patrol ended"},
	"patrol.finding":      {"记录问题", "Record a problem"},
	"patrol.what":         {"问题描述", "What is wrong"},
	"patrol.what.hint":    {"如：排污口冒黑水、河面漂浮垃圾", "e.g. black water from an outfall, floating rubbish"},
	"patrol.photos":       {"现场照片", "Photos"},
	"patrol.record":       {"记录并生成案件", "Record and open a case"},
	"patrol.total":        {"合计", "Total"},
	"patrol.unit":         {"次", "patrols"},
	"patrol.closed":       {"已办结", "cases closed"},
	"patrol.month":        {"月份", "Month"},
	"patrol.count":        {"巡河次数", "Patrols"},
	"patrol.none":         {"近12个月没有巡河记录。巡河人员在手机上打开“巡河”页面即可开始。", "No patrol in the last 12 months. Patrollers start one on their phone from the Patrol page."},
	"patrol.recent":       {"最近巡河", "Latest patrols"},
	"patrol.started":      {"开始时间", "Started"},
	"patrol.ongoing":      {"进行中", "ongoing"},
	"nav.patrols":         {"巡河", "Patrols"},
}

// caseDay is a deadline's last day: a deadline falls at the start of the
// day after it.
func caseDay(t time.Time) string { return t.In(cst).Add(-time.Second).Format("2006-01-02") }

// addWorkLines adds the names of the default work lines to m where it has
// none: Chinese from the configuration, English here.
func addWorkLines(m map[string][2]string) {
	en := map[string]string{
		"air-industry": "Industrial deep treatment", "air-vocs": "VOCs control", "air-kiln": "Industrial kilns",
		"air-dust": "Dust control", "air-mobile": "Diesel trucks and mobile sources", "air-coal": "Loose coal and coal boilers",
		"air-burning": "Straw and open burning", "air-catering": "Catering fumes", "air-general": "Air, other",
		"water": "Water pollution", "soil": "Soil pollution", "noise": "Noise", "waste": "Solid and hazardous waste",
		"ecology": "Ecological protection", "other": "Other",
	}
	for _, l := range cases.DefaultWorkLines() {
		if _, ok := m["line."+l.Code]; !ok {
			m["line."+l.Code] = [2]string{l.Name, en[l.Code]}
		}
	}
}
