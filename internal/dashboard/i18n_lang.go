package dashboard

import (
	"strings"

	"github.com/ecowatch/ecowatch/internal/air"
)

// langMessages name the values the pages show that come from the data:
// industries (GB/T 4754-2017), station and section levels, target
// statuses, raw-frame statuses, quarantine reasons and decoding
// deviations, ledger operations, case sources and actions. Merged into
// messages at start; a value without an entry is shown as stored (a
// registry may hold its own Chinese industry names).
var langMessages = map[string][2]string{
	// Industries of the demo registry by their GB/T 4754-2017 names
	// (国民经济行业分类), code in the English form.
	"industry.heating":         {"热力生产和供应", "Heat production and supply (D443)"},
	"industry.power":           {"火力发电", "Thermal power generation (D4411)"},
	"industry.food":            {"农副食品加工业", "Agricultural and sideline food processing (C13)"},
	"industry.chemicals":       {"化学原料和化学制品制造业", "Chemical raw materials and products (C26)"},
	"industry.pharmaceuticals": {"医药制造业", "Pharmaceutical manufacturing (C27)"},
	"industry.cement":          {"水泥制造", "Cement manufacturing (C3011)"},
	"industry.paper":           {"造纸和纸制品业", "Paper and paper products (C22)"},
	"industry.bearings":        {"轴承制造", "Bearing manufacturing (C3451)"},
	"industry.aluminium":       {"铝冶炼", "Aluminium smelting (C3216)"},
	"industry.steel":           {"钢压延加工", "Steel rolling (C3130)"},

	// Air station levels (点位级别) and water section levels.
	"stlevel.national":   {"国控", "national"},
	"stlevel.provincial": {"省控", "provincial"},
	"stlevel.county":     {"县控", "county"},
	"stlevel.city":       {"市控", "city"},

	"mon.converted":                        {"（折算）", " (converted)"},
	"mon.st":                               {"系统编码", "system code (ST)"},
	"report.rules.by date":                 {"AQI技术规定按日期适用（2026年3月1日起HJ 633-2026）", "AQI rules by date (HJ 633-2026 from 1 March 2026)"},
	"report.rules.2012":                    {"HJ 633-2012", "HJ 633-2012"},
	"report.rules.2026":                    {"HJ 633-2026", "HJ 633-2026"},
	"report.std.GB 3095-2026 (transition)": {"GB 3095-2026（过渡期）", "GB 3095-2026 (transition)"},
	// Water quality status of a river or the city (HJ/GB 3838 evaluation).
	"wstatus.优":            {"优", "excellent"},
	"wstatus.良好":           {"良好", "good"},
	"wstatus.轻度污染":         {"轻度污染", "slightly polluted"},
	"wstatus.中度污染":         {"中度污染", "moderately polluted"},
	"wstatus.重度污染":         {"重度污染", "heavily polluted"},
	"status.cannot_be_met": {"已无法达标", "cannot be met"},

	// Raw frames: what became of a frame, and why.
	"frame.accepted":                    {"已入库", "accepted"},
	"frame.quarantined":                 {"已隔离", "quarantined"},
	"frame.rejected":                    {"已拒收", "rejected"},
	"frame.duplicate":                   {"重复报文", "duplicate"},
	"reason.unknown MN":                 {"未登记的设备编号(MN)", "unknown MN"},
	"reason.empty MN":                   {"设备编号(MN)为空，数采仪未配置", "empty MN: data logger not configured"},
	"reason.wrong password":             {"访问密码错误", "wrong password"},
	"reason.bad CRC":                    {"CRC校验错误", "bad CRC"},
	"reason.bad DataTime":               {"数据时间(DataTime)无效", "bad DataTime"},
	"reason.undecodable":                {"报文无法解析", "cannot be decoded"},
	"reason.implausible DataTime":       {"数据时间不合理（晚于服务器时间或早于2000年）", "implausible DataTime"},
	"reason.value not storable as sent": {"数值含控制字符或非UTF-8，无法原样存储", "value not storable as sent"},
	"reason.authentication delayed: source failed recently":               {"来源刚有密码错误，暂缓认证", "authentication delayed"},
	"reason.authentication refused: source locked out":                    {"来源已被锁定", "source locked out"},
	"reason.authentication refused: device under attack, unusual address": {"设备遭密码猜测，非常用来源暂不受理", "device under attack, unusual address"},
	"reason.source address not in the device's allowed networks":          {"来源地址不在设备允许的网段内", "not in the device's allowed networks"},
	"dev.datatime-future":       {"数据时间晚于服务器时间", "DataTime in the future"},
	"dev.datatime-before-floor": {"数据时间早于下限", "DataTime before the floor"},
	"dev.value-control-byte":    {"数值含控制字符", "control byte in a value"},
	"dev.value-invalid-utf8":    {"数值非UTF-8编码", "value not UTF-8"},
	"dev.lowercase-crc":         {"CRC为小写", "lowercase CRC"},
	"dev.modbus-crc":            {"Modbus方式CRC", "Modbus CRC"},
	"dev.oversize-segment":      {"数据段超长", "oversize data segment"},
	"dev.lf-only-ending":        {"仅以LF结尾", "ends with LF only"},
	"dev.missing-ending":        {"缺少包尾", "no CR LF"},
	"dev.length-mismatch":       {"数据段长度不符", "length mismatch"},
	"dev.missing-qn":            {"缺少请求编码(QN)", "no QN"},
	"dev.epoch-qn":              {"QN为毫秒时间戳", "epoch QN"},
	"dev.malformed-qn":          {"QN格式错误", "malformed QN"},
	"dev.mn-2005":               {"2005版14位MN", "2005 MN"},
	"dev.mn-length":             {"MN长度错误", "MN length"},
	"dev.malformed-pw":          {"密码格式错误", "malformed PW"},
	"dev.unknown-st":            {"未知系统编码(ST)", "unknown ST"},
	"dev.unknown-cn":            {"未知命令编码(CN)", "unknown CN"},
	"dev.missing-flag":          {"缺少标志位(Flag)", "no Flag"},
	"dev.unknown-version":       {"未知协议版本", "unknown version"},
	"dev.split-fields":          {"分包字段不一致", "split fields disagree"},
	"dev.field-order":           {"字段顺序不符", "field order"},
	"dev.duplicate-field":       {"字段重复", "duplicate field"},
	"dev.unknown-header-field":  {"未知包头字段", "unknown header field"},
	"dev.space-after-semicolon": {"分号后有空格", "space after ';'"},
	"dev.space-before-equals":   {"等号前有空格", "space before '='"},
	"dev.blank-cp":              {"数据区为空", "blank CP"},
	"dev.stray-semicolon":       {"多余分号", "stray ';'"},
	"dev.comma-between-factors": {"因子间用逗号分隔", "comma between factors"},
	"dev.unknown-pollutant":     {"未知污染物编码", "unknown pollutant code"},
	"dev.unknown-field":         {"未知字段", "unknown field"},
	"dev.unpadded-crc":          {"CRC未补零", "unpadded CRC"},
	"dev.missing-mn":            {"缺少设备编号(MN)", "no MN"},

	// Emission-rights ledger operations and trade kinds.
	"rights.escrowof":         {"托管", " escrow"},
	"rights.login":            {"市局账号登录后，可在此登记、审核减排量，锁定和批准总量指标分配。", "as the city to declare and review reductions, and lock and grant allocations, here."},
	"rights.credits":          {"减排量登记与核定", "Reductions declared and confirmed"},
	"rights.credit":           {"减排量编号", "Credit"},
	"rights.measure":          {"减排措施", "Measure"},
	"rights.confirmed":        {"核定", "confirmed"},
	"rights.review":           {"分局初审通过", "Approve (county review)"},
	"rights.confirm":          {"市局核定入库", "Confirm and bank"},
	"rights.reject":           {"不予通过", "Reject"},
	"rights.credits.none":     {"尚无减排量。企业关停或治理后，在下方登记减排量，经分局初审、市局核定后存入储备库。", "No reductions yet. After a closure or retrofit, declare the reduction below; once the county reviews and the city confirms it, it is banked in the reservoir."},
	"rights.declare":          {"登记减排量", "Declare a reduction"},
	"rights.declare.submit":   {"登记", "Declare"},
	"rights.effective":        {"生效日期", "Effective"},
	"rights.evidence":         {"证明材料", "Evidence"},
	"rights.evidence.hint":    {"验收意见、排污许可变更等，多项以逗号分隔", "acceptance report, permit change…; separate with commas"},
	"rights.allocations":      {"建设项目总量指标分配", "Allocations to construction projects"},
	"rights.allocation":       {"分配编号", "Allocation"},
	"rights.project":          {"建设单位", "Project"},
	"rights.need":             {"项目排放量(吨/年)", "Need (t/a)"},
	"rights.offset":           {"替代削减量(吨/年)", "Offset (t/a)"},
	"rights.eia":              {"环评批复", "EIA approval"},
	"rights.lock":             {"锁定", "Lock"},
	"rights.grant":            {"批准出让", "Approve and grant"},
	"rights.allocations.none": {"尚无总量指标分配。建设项目环评审批时，从储备库预留替代削减量（接口 reserve_allocation 命令）。", "No allocations yet. When a project's EIA is approved, its offset is reserved from the reservoir (the reserve_allocation command)."},
	"rights.none.accounts":    {"尚无排污权。核发初始排污权或减排量入库后在此显示。", "No rights held yet. Permits issued and reductions banked appear here."},
	"rights.none.flows":       {"本年度储备库无收支。", "No reservoir movements this year."},
	"rights.none.trades":      {"尚无成交。企业挂牌或协议转让成交后在此显示。", "No trades yet. Listings and negotiated transfers appear here once concluded."},
	"rights.none.books":       {"交易市场暂无挂牌。", "No listings on the market."},
	"credit.declared":         {"已申报", "declared"},
	"credit.reviewed":         {"分局已初审", "reviewed by the county"},
	"credit.confirmed":        {"已核定入库", "confirmed and banked"},
	"credit.rejected":         {"未通过", "rejected"},
	"credit.expired":          {"已过期", "expired"},
	"alloc.reserved":          {"已预留", "reserved"},
	"alloc.locked":            {"已锁定", "locked"},
	"alloc.granted":           {"已出让", "granted"},
	"alloc.written_off":       {"已核销", "written off"},
	"alloc.released":          {"已释放", "released"},
	"rights.trading":          {"交易规则认定", "Trading rules"},
	"rights.trading.tip":      {"按申请之日施行的聊城市排污权交易规则认定：须交易取得的项目不得从储备库配置", "Classified by the city's trading rules in force on the application's date: a project that must trade is refused a reservoir allocation"},
	"trading.must-trade":      {"须交易取得", "must trade"},
	"trading.total-system":    {"执行总量制度（可自愿交易）", "total-quantity system (trading voluntary)"},
	"trading.exempt-source":   {"免于说明总量来源（县区安排替代）", "no source statement (county replaces)"},
	"trading.county-writeoff": {"免于交易（县区核销替代指标）", "exempt from trading (county writes off)"},
	"trading.partial":         {"（仅按本污染物认定）", " (on this pollutant only)"},
	"tradingrules.聊城市排污权有偿使用和交易实施细则(试行)": {"2023年实施细则(试行)", "2023 implementing rules (trial)"},
	"tradingrules.聊城市排污权有偿使用和交易管理办法":     {"2025年管理办法", "2025 measures"},
	"measure.closure":          {"关停", "closure"},
	"measure.retrofit":         {"治理改造", "retrofit"},
	"measure.phase_out":        {"淘汰落后产能", "phase-out"},
	"measure.clean_production": {"清洁生产改造", "clean production"},
	"measure.gov_treatment":    {"政府治理工程", "government treatment works"},
	"op.issue":                 {"确权", "issue"},
	"op.mint":                  {"减排量入库", "banked reduction"},
	"op.escrow":                {"托管", "escrow"},
	"op.return":                {"退回", "return"},
	"op.deliver":               {"交割", "delivery"},
	"op.grant":                 {"出让", "grant"},
	"op.writeoff":              {"核销", "write-off"},
	"op.transfer":              {"划转", "transfer"},
	"op.buyback":               {"回购", "buy-back"},
	"op.retire":                {"注销", "retirement"},
	"op.expire":                {"到期", "expiry"},
	"op.fee":                   {"有偿使用费", "paid-use fee"},
	"op.trade":                 {"挂牌交易", "order-book trade"},
	"op.auction":               {"拍卖", "auction"},
	"op.agreement":             {"协议转让", "negotiated transfer"},
	"op.payment":               {"价款", "payment"},
	"op.alloc":                 {"项目分配", "project allocation"},
	"op.order":                 {"挂牌", "listing"},

	// Case sources and actions (the timeline).
	"src.patrol":            {"巡查", "patrol"},
	"src.online-alert":      {"在线监测告警", "online-monitoring alert"},
	"src.electricity-alert": {"分表计电告警", "electricity sub-meter alert"},
	"src.inspection":        {"执法检查", "inspection"},
	"src.petition":          {"信访举报", "petition"},
	"src.tracing":           {"溯源", "tracing"},
	"src.assignment":        {"上级交办", "assigned from above"},
	"act.register":          {"登记", "Register"},
	"act.escalate":          {"督办升级", "Escalate"},
	"act.rate":              {"回访", "Callback"},
	"act.flag-review":       {"建章立制复盘", "Recurrence review"},
	"act.extend":            {"延期", "Extend"},
	"role.system":           {"系统", "system"},

	// Accountability trigger rules of the default rule set.
	"rule.last-index": {"综合指数排名末位", "last on the comprehensive index"},
	"rule.last-twice": {"连续两期排名末位", "last twice in a row"},
}

// airUnit is a pollutant's ambient concentration unit: µg/m³ except CO
// in mg/m³ (GB 3095).
func airUnit(p string) string {
	if p == "CO" {
		return "mg/m³"
	}
	return "μg/m³"
}

// trOr is the message of prefix+key, or key itself when the catalogue
// has none (a value the registry names in its own words).
func trOr(lang, prefix, key string) string {
	if _, ok := messages[prefix+key]; ok {
		return tr(lang, prefix+key)
	}
	return key
}

// Or is trOr in the page's language, for templates:
// {{$.Or "industry." .Industry}}.
func (p *page) Or(prefix, key string) string { return trOr(p.Lang, prefix, key) }

// aqiCategories maps the CNEMC category names (优, 良, …) to their
// English names, from the air engine's levels.
var aqiCategories = func() map[string]string {
	m := map[string]string{}
	for _, aqi := range []int{0, 51, 101, 151, 201, 301} {
		lv := air.LevelOf(aqi)
		m[lv.Category] = lv.English
	}
	return m
}()

// Cat shows an AQI category in the page's language.
func (p *page) Cat(c string) string {
	if p.Lang == langEN && aqiCategories[c] != "" {
		return aqiCategories[c]
	}
	return c
}

// Item names a GB 3838 water item in the page's language (NH3-N → 氨氮).
func (p *page) Item(name string) string {
	n, _ := waterItemName(p.Lang, name)
	return n
}

// reasonLabel names a raw frame's reason: the gateway's fixed reasons by
// their message; a decoding error (free text from the codec) as "cannot
// be decoded", its detail left to the tooltip.
func reasonLabel(lang, reason string) string {
	if reason == "" {
		return ""
	}
	if _, ok := messages["reason."+reason]; ok {
		return tr(lang, "reason."+reason)
	}
	if strings.HasPrefix(reason, "bad DataTime") {
		return tr(lang, "reason.bad DataTime")
	}
	for _, p := range []string{"implausible DataTime", "value not storable as sent"} {
		if strings.HasPrefix(reason, p) {
			return tr(lang, "reason."+p)
		}
	}
	return tr(lang, "reason.undecodable")
}
