package dashboard

import (
	"net/http"
	"strings"

	"github.com/ecowatch/ecowatch/internal/auth"
)

// Languages: Chinese first (the bureau's working language), English by a
// switch (?lang=en, remembered in a cookie).
const (
	langZH     = "zh"
	langEN     = "en"
	langCookie = "ecowatch_lang"
)

// messages is the UI's message table: every label a page shows, by key,
// in Chinese and English. A key missing here renders as the key itself,
// which the handler tests catch.
var messages = buildCatalogue()

// buildCatalogue composes the message table from the per-area tables
// (the general labels here, the others in i18n_*.go), then names the
// default work lines that no table names.
func buildCatalogue() map[string][2]string {
	m := make(map[string][2]string)
	for _, t := range []map[string][2]string{
		generalMessages, accountMessages, casesMessages, errorMessages,
		langMessages, screenMessages, staffMessages, forwardMessages,
		markingMessages, displayMessages,
	} {
		for k, v := range t {
			m[k] = v
		}
	}
	addWorkLines(m)
	return m
}

// generalMessages are the labels the layout and the monitoring pages share.
var generalMessages = map[string][2]string{
	"app.title":            {"生态环境监管平台", "Eco-environment supervision"},
	"app.city":             {"聊城市", "Liaocheng"},
	"nav.overview":         {"总览", "Overview"},
	"nav.air":              {"空气质量", "Air quality"},
	"nav.monitoring":       {"在线监控", "Online monitoring"},
	"nav.reports":          {"报告", "Reports"},
	"nav.water":            {"水环境", "Water"},
	"nav.cases":            {"案件", "Cases"},
	"nav.petitions":        {"信访", "Petitions"},
	"nav.rights":           {"排污权", "Emission rights"},
	"lang.switch":          {"English", "中文"},
	"file.choose":          {"选择文件", "Choose file"},
	"file.none":            {"未选择文件", "No file chosen"},
	"overview.title":       {"城市总览", "City overview"},
	"overview.map":         {"各站点实时空气质量指数", "AQI now at every station"},
	"overview.today":       {"今日", "Today"},
	"overview.year":        {"今年以来", "This year so far"},
	"overview.trend24":     {"近24小时AQI（城市评价点）", "Last 24 hours AQI (city stations)"},
	"overview.trend30":     {"近30天城市AQI与PM2.5", "Last 30 days: city AQI and PM2.5"},
	"overview.calendar":    {"城市日AQI日历", "Daily city AQI calendar"},
	"overview.nodata":      {"暂无数据", "No data yet"},
	"air.title":            {"空气质量", "Air quality"},
	"air.targets":          {"年度目标完成情况与剩余预算", "Annual targets and the remaining-year budget"},
	"air.rankings":         {"综合指数排名", "Rankings by comprehensive index"},
	"air.stations":         {"监测站点", "Stations"},
	"air.yoy.pm25":         {"PM2.5同比(%)", "PM2.5 year on year (%)"},
	"air.yoy.good":         {"优良天数比例同比(百分点)", "Good-day ratio year on year (points)"},
	"air.yoy.bydate":       {"按日期", "By date"},
	"air.yoy.same":         {"同口径", "Same basis"},
	"air.yoy.bydate.tip":   {"上年同期每日按其当日施行的规则评价（2026年3月1日前HJ 633-2012，此后HJ 633-2026）", "Each day of last year's period under the rules in force on its own date (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then)"},
	"air.yoy.same.tip":     {"上年同期每日按本期对应日施行的规则评价，两期按同一规则计数", "Each day of last year's period under the rules of this period's corresponding day, so both periods are counted by the same rules"},
	"air.yoy.note":         {"同比：按日期，上年同期每日按其当日施行的规则评价（2026年3月1日前HJ 633-2012，此后HJ 633-2026）；同口径，上年同期每日按本期对应日的规则评价，跨2026年3月1日比较时两者不同，生态补偿按同口径计算。PM2.5浓度与AQI规则无关，两种口径相同。", "Year on year: by date, each day of last year's period is evaluated under the rules in force on its own date (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then); on the same basis, under the rules of this period's corresponding day. The two differ when the comparison crosses 2026-03-01; ecological compensation uses the same basis. PM2.5 concentrations do not depend on the AQI rules: the same both ways."},
	"air.station":          {"站点", "Station"},
	"air.hourly":           {"小时数据（近72小时）", "Hourly values (last 72 hours)"},
	"air.daily":            {"日数据（近30天）", "Daily values (last 30 days)"},
	"col.area":             {"区域", "Area"},
	"col.name":             {"名称", "Name"},
	"col.code":             {"编码", "Code"},
	"col.county":           {"区县", "County"},
	"col.level":            {"级别", "Level"},
	"col.aqi":              {"AQI", "AQI"},
	"col.category":         {"类别", "Category"},
	"col.primary":          {"首要污染物", "Primary pollutants"},
	"col.time":             {"时间", "Time"},
	"col.date":             {"日期", "Date"},
	"col.pm25mean":         {"PM2.5均值(μg/m³)", "PM2.5 mean (µg/m³)"},
	"col.pm25target":       {"PM2.5目标(μg/m³)", "PM2.5 target (µg/m³)"},
	"col.budget":           {"剩余天数PM2.5上限(μg/m³)", "PM2.5 budget for the rest (µg/m³)"},
	"col.goodratio":        {"优良天数比例", "Good-day ratio"},
	"col.goodtarget":       {"优良目标", "Good-day target"},
	"col.maxbad":           {"剩余可超标天数", "Non-good days left"},
	"col.heavy":            {"重污染天数", "Heavy days"},
	"col.status":           {"状态", "Status"},
	"col.index":            {"综合指数", "Index"},
	"col.rank":             {"排名", "Rank"},
	"col.days":             {"有效天数", "Days"},
	"col.enterprise":       {"企业", "Enterprise"},
	"col.industry":         {"行业", "Industry"},
	"col.devices":          {"设备", "Devices"},
	"col.online":           {"在线", "Online"},
	"col.offline":          {"离线", "Offline"},
	"col.never":            {"从未上线", "Never seen"},
	"col.outlet":           {"排放口", "Outlet"},
	"col.mn":               {"设备编号(MN)", "Device (MN)"},
	"col.state":            {"状态", "State"},
	"col.lastseen":         {"最后上报", "Last seen"},
	"col.factor":           {"因子", "Factor"},
	"col.field":            {"字段", "Field"},
	"col.value":            {"数值", "Value"},
	"col.limit":            {"限值", "Limit"},
	"col.received":         {"接收时间", "Received"},
	"col.remote":           {"来源地址", "Remote"},
	"col.cn":               {"命令编码", "CN"},
	"col.reason":           {"原因", "Reason"},
	"col.frame":            {"报文（已隐去密码）", "Frame (password redacted)"},
	"col.exceeds":          {"超标", "Exceeds"},
	"mon.title":            {"在线监控", "Online monitoring"},
	"mon.enterprises":      {"重点排污单位", "Enterprises"},
	"mon.quarantine":       {"隔离报文", "Quarantined frames"},
	"mon.quarantined":      {"隔离", "Quarantined"},
	"mon.live":             {"最新数据与限值", "Latest values against limits"},
	"mon.frames":           {"原始报文", "Raw frames"},
	"mon.trend":            {"近30日日均值（分钟数据汇总）", "Daily means, last 30 days (from minute data)"},
	"mon.analysers":        {"分析仪量程与检出限", "Analysers: measuring range and detection limit"},
	"mon.analysers.why":    {"数据长期在检出限附近波动、或长期在量程2%以内波动，是弄虚作假的迹象：平台据此筛查并先发自查通知。", "Data long hovering around the detection limit, or long varying within 2 % of the measuring range, are signs of falsified data: the platform screens for them and sends a self-check notice first."},
	"mon.analysers.none":   {"登记信息中没有该设备的量程和检出限，无法筛查检出限附近和量程2%以内的长期波动。", "The registry holds no measuring range or detection limit for this device, so it is not screened for values near the detection limit or within 2 % of the range."},
	"mon.unknown":          {"未登记", "not registered"},
	"mon.nodl":             {"未登记检出限（pH、流量等无检出限），不筛查检出限附近的长期波动", "No detection limit registered (pH, flow and the like have none): not screened for values near it"},
	"col.range":            {"量程", "Measuring range"},
	"col.detection":        {"检出限", "Detection limit"},
	"col.band2":            {"量程的2%", "2 % of the range"},
	"mon.grp.conc":         {"污染物浓度", "Concentrations"},
	"mon.grp.flow":         {"流量与流速", "Flow and velocity"},
	"mon.grp.share":        {"含氧量与湿度", "Oxygen and humidity"},
	"mon.grp.tp":           {"温度与压力", "Temperature and pressure"},
	"list.sep":             {"、", ", "},
	"unit.none":            {"无量纲", "dimensionless"},
	"mon.trend.none":       {"近30日无分钟数据汇总：设备上传分钟数据后，每日均值在此显示。若设备离线，请联系企业恢复传输。", "No minute data rolled up in the last 30 days: daily means appear once the device uploads minute data. If it is offline, ask the enterprise to restore the link."},
	"mon.exceedances":      {"当前超标", "Exceedances now"},
	"mon.nodevices":        {"该企业尚未登记在线监测设备（在登记册中为排放口添加设备后显示）。", "No monitoring device registered for this enterprise (add one to an outlet in the registry)."},
	"state.online":         {"在线", "online"},
	"state.offline":        {"离线", "offline"},
	"state.never":          {"从未上线", "never seen"},
	"status.on_track":      {"可达标", "on track"},
	"status.at_risk":       {"有风险", "at risk"},
	"status.met":           {"已达标", "met"},
	"status.off_track":     {"难以达标", "off track"},
	"status.missed":        {"已无法达标", "missed"},
	"status.above_target":  {"高于目标", "above target"},
	"report.title":         {"环境质量月报", "Monthly environmental quality report"},
	"report.air":           {"一、环境空气质量", "1. Ambient air quality"},
	"report.xlsx":          {"下载Excel", "Download Excel"},
	"report.print":         {"打印", "Print"},
	"report.period":        {"统计期", "Period"},
	"report.city":          {"全市", "City"},
	"report.summary":       {"全市AQI有效天数%d天，优良天数%d天，优良天数比例%.1f%%，重污染天数%d天。", "The city had %d days with an AQI, %d good days (%.1f%%) and %d heavily polluted days."},
	"report.month":         {"月份", "Month"},
	"report.water":         {"二、水环境质量", "2. Water quality"},
	"report.water.link":    {"见水环境质量页", "See the water quality page"},
	"report.water.none":    {"本月无水质监测数据", "No water quality data this month"},
	"report.rates":         {"三、污染源自动监控数据传输有效率", "3. Effective transmission rates of the enterprises' automatic monitoring"},
	"report.rates.summary": {"全市传输有效率 %s：%s。", "City: %s (%s)."},
	"report.rates.none":    {"本月无应传输数据", "No data due this month"},
	"report.rates.lowest":  {"传输有效率最低的排放口（最多10个）", "Outlets with the lowest rates (at most 10)"},
	"report.rates.sheet":   {"传输有效率", "transmission rates"},
	"report.rates.level":   {"层级", "Level"},
	"report.rates.city":    {"全市", "city"},
	"report.rates.county":  {"区县", "county"},
	"report.rates.outlet":  {"排放口", "outlet"},
	"report.rates.source":  {"依据", "Source"},
	"water.title":          {"水环境质量", "Water quality"},
	"water.assessed":       {"有数据的考核断面", "Assessed sections with data"},
	"water.good":           {"Ⅰ-Ⅲ类比例", "Share Ⅰ-Ⅲ"},
	"water.worsev":         {"劣Ⅴ类比例", "Share worse than Ⅴ"},
	"water.meeting":        {"达到目标", "Meeting the target"},
	"water.cwqi":           {"城市水质指数CWQI", "City water quality index (CWQI)"},
	"water.sections":       {"断面水质与目标", "Sections against their target classes"},
	"water.river":          {"河流", "River"},
	"water.target":         {"目标", "Target"},
	"water.class":          {"水质类别", "Class"},
	"water.meets":          {"达标", "meets"},
	"water.misses":         {"未达标", "misses"},
	"water.main":           {"主要污染物（超标倍数）", "Main pollutants (multiple)"},
	"water.cwqi.counties":  {"区县CWQI排名", "County CWQI ranking"},
	"water.cwqi.sections":  {"断面CWQI排名", "Section CWQI ranking"},
	"water.sectionsn":      {"断面数", "Sections"},
	"water.drinking":       {"集中式饮用水水源地", "Drinking-water sources"},
	"water.failed":         {"超标项目", "Items above limits"},
	"rights.title":         {"排污权", "Emission rights"},
	"rights.accounts":      {"账户持有量", "Accounts"},
	"rights.account":       {"账户", "Account"},
	"rights.balance":       {"持有量(吨/年)", "Held (t/a)"},
	"rights.spendable":     {"当前有效(吨/年)", "Valid now (t/a)"},
	"rights.reservoir":     {"储备库收支", "Reservoir receipts and spending"},
	"rights.in":            {"收入(吨/年)", "In (t/a)"},
	"rights.out":           {"支出(吨/年)", "Out (t/a)"},
	"rights.byop":          {"按业务", "By operation"},
	"rights.market":        {"交易市场挂牌", "Market order books"},
	"rights.asks":          {"卖方挂牌", "Asks"},
	"rights.bids":          {"买方报价", "Bids"},
	"rights.qty":           {"数量(吨/年)", "Quantity (t/a)"},
	"rights.price":         {"价格(元/吨)", "Price (yuan/t)"},
	"rights.amount":        {"金额(元)", "Amount (yuan)"},
	"rights.trades":        {"成交记录", "Trades"},
	"rights.kind":          {"方式", "Kind"},
	"rights.seller":        {"出让方", "Seller"},
	"rights.buyer":         {"受让方", "Buyer"},
	"rights.city":          {"市级储备库", "City reservoir"},
	"rights.reserve":       {"政府储备", "Government reserve"},
	"rights.escrow":        {"托管", "escrow"},
	"rights.countyres":     {"储备库", " reservoir"},
	"cases.title":          {"案件", "Cases"},
	"cases.board":          {"按状态和区县", "By state and county"},
	"cases.list":           {"案件列表（超期在前）", "Cases (overdue first)"},
	"cases.case":           {"案件", "Case"},
	"cases.overdue":        {"超期", "overdue"},
	"cases.due":            {"期限", "Due"},
	"cases.source":         {"来源", "Source"},
	"cases.evidence":       {"证据", "Evidence"},
	"cases.timeline":       {"办理过程", "Timeline"},
	"cases.actions":        {"受理、交办、办结、核查、销号等操作通过接口 POST /api/v1/cases/{id}/actions 按角色进行。", "Actions (accept, assign, submit, verify, close) go through POST /api/v1/cases/{id}/actions, checked against your role."},
	"case.registered":      {"登记", "registered"},
	"case.accepted":        {"受理", "accepted"},
	"case.rejected":        {"不予受理", "rejected"},
	"case.assigned":        {"交办", "assigned"},
	"case.rectifying":      {"整改中", "rectifying"},
	"case.submitted":       {"已报办结", "submitted"},
	"case.verifying":       {"核查中", "verifying"},
	"case.closed":          {"销号", "closed"},
	"case.":                {"—", "—"},
	"pet.title":            {"环境问题举报", "Report an environmental problem"},
	"pet.category":         {"类别", "Category"},
	"pet.cat.air":          {"大气", "Air"},
	"pet.cat.water":        {"水", "Water"},
	"pet.cat.noise":        {"噪声", "Noise"},
	"pet.cat.soil":         {"土壤", "Soil"},
	"pet.cat.waste":        {"固体废物", "Solid waste"},
	"pet.cat.other":        {"其他", "Other"},
	"pet.location":         {"地点", "Location"},
	"pet.description":      {"问题描述", "Description"},
	"pet.photos":           {"照片（最多9张）", "Photos (at most 9)"},
	"pet.contact":          {"联系方式（匿名举报可不填）", "Contact (not needed when anonymous)"},
	"pet.anonymous":        {"匿名举报", "Anonymous"},
	"pet.submit":           {"提交", "Submit"},
	"pet.noscript":         {"提交需要浏览器启用脚本功能；也可拨打12369环保举报热线。", "Submitting needs JavaScript; or call 12369."},
	"pet.done":             {"已受理，查询码：", "Received. Your tracking code:"},
	"pet.error":            {"提交失败：", "Could not submit:"},
	"pet.ratingkey":        {"评价码（只显示这一次，请保存；办结后评价满意度时需要）：", "Rating key (shown only this once; keep it to rate the handling when it is closed):"},
	"pet.track":            {"查询办理进度", "Track a petition"},
	"pet.code":             {"查询码", "Tracking code"},
	"pet.find":             {"查询", "Find"},
	"pet.received":         {"收到时间", "received"},
	"pet.reply":            {"答复", "Reply"},
	"pet.notfound":         {"没有找到该查询码对应的举报。", "No petition has this tracking code."},
	"err.notfound":         {"页面不存在", "Page not found"},
	"err.notfound.body":    {"您访问的页面不存在。", "There is no page at this address."},
	"err.forbidden":        {"无权访问", "Not allowed"},
	"err.forbidden.body":   {"请先登录，或您的角色无权查看此页面。", "Log in first, or your role may not see this page."},
	"err.internal":         {"服务器错误", "Server error"},
	"err.toomany":          {"请求过于频繁", "Too many requests"},
	"err.toomany.body":     {"您所在地址的请求过于频繁，请一分钟后再试。", "Too many requests from your address; try again in a minute."},
	"err.badrequest":       {"请求有误", "Bad request"},
	"unit.ugm3":            {"µg/m³", "µg/m³"},
	"footer":               {"数据为监测原始数据，以生态环境部门发布为准。", "Data as measured; official figures are those the bureau publishes."},
}

// tr returns the message of key in lang.
func tr(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == langEN {
		return m[1]
	}
	return m[0]
}

// langOf picks the request's language: ?lang= first (and remembered),
// then the cookie, then Chinese.
func langOf(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == langEN || l == langZH {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: auth.IsHTTPS(r)})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langEN || c.Value == langZH) {
		return c.Value
	}
	return langZH
}

// pollutantLabel shows a pollutant code as the public reads it.
func pollutantLabel(p string) string {
	return strings.NewReplacer("PM2.5", "PM₂.₅", "PM10", "PM₁₀", "SO2", "SO₂", "NO2", "NO₂", "O3_8h", "O₃-8h", "O3_1h", "O₃-1h", "O3", "O₃").Replace(p)
}
