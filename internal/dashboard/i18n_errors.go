package dashboard

// errorMessages are what a page shows when the API refuses a form: by the
// engine's reason (the API error's "reason", from a sentinel error), else
// by the error's code, with the field at fault named after it. An English
// page shows the API's own message, which names more; a Chinese page never
// shows it (it is English). static/ui.js (ewError) picks the message by
// the same rule as errorText.
var errorMessages = map[string][2]string{
	"err.badrequest.body":             {"地址中的参数有误（如期间、月份或日期的格式），请返回后重新选择。", "A parameter of the address is invalid (such as the period, month or date); go back and choose again."},
	"err.internal.body":               {"服务器处理时出错，已记录日志，请稍后重试。", "The server failed; it has been logged. Try again later."},
	"err.generic":                     {"操作未成功，请稍后重试。", "The action did not succeed; try again later."},
	"err.network":                     {"网络连接失败，请检查网络后重试。", "The network failed; check the connection and try again."},
	"err.code.invalid_parameter":      {"参数有误", "A parameter is invalid"},
	"err.code.missing_parameter":      {"缺少必填参数", "A parameter is missing"},
	"err.code.range_too_large":        {"时间范围过长，请缩小范围", "The time range is too long"},
	"err.code.unauthorized":           {"请先登录", "Sign in first"},
	"err.code.forbidden":              {"您的账号无权执行此操作", "Your account may not do this"},
	"err.code.not_found":              {"未找到相关对象", "Not found"},
	"err.code.method_not_allowed":     {"不支持此操作", "Not supported"},
	"err.code.timeout":                {"请求超时，请缩小范围后重试", "The request took too long"},
	"err.code.unavailable":            {"服务暂不可用，请稍后重试", "The service is unavailable"},
	"err.code.internal":               {"服务器内部错误，请稍后重试", "Internal error"},
	"err.code.invalid_body":           {"填写的内容有误", "A field is invalid"},
	"err.code.conflict":               {"内容已被他人更新，请刷新页面后重试", "Someone changed this meanwhile; reload and retry"},
	"err.code.invalid_transition":     {"案件当前状态不允许此操作", "The case's state does not allow this"},
	"err.code.rate_limited":           {"操作过于频繁，请稍后再试", "Too many attempts; retry later"},
	"err.code.too_large":              {"附件超过大小限制", "The attachment is too large"},
	"err.code.unsupported_type":       {"不支持该附件类型", "This type of attachment is not accepted"},
	"err.code.refused":                {"未通过业务规则校验", "Refused by the rules"},
	"err.reason.rights.overdraft":     {"可用排污权不足", "Not enough rights held"},
	"err.reason.rights.state":         {"该对象当前状态不允许此操作", "Its state does not allow this"},
	"err.reason.rights.expired":       {"排污权已过有效期", "The rights have expired"},
	"err.reason.rights.unverified":    {"减排量尚未核实确认", "The reduction is not verified yet"},
	"err.reason.rights.no_ratio_rule": {"没有适用的倍量替代比例规则", "No replacement-ratio rule applies"},
	"err.reason.rights.no_price":      {"缺少价格", "No price"},
	"err.reason.rights.key_reused":    {"重复提交的内容与前次不一致", "Submitted again with different content"},
	"err.reason.rights.clock":         {"时间早于账本的最后一笔记录", "The time is before the ledger's last entry"},
	"err.reason.rights.duplicate":     {"该编号已存在", "That number already exists"},
	"err.reason.rights.not_found":     {"未找到相关对象", "Not found"},
	"err.reason.rights.invalid":       {"填写的内容有误", "A field is invalid"},
	"err.reason.cases.transition":     {"案件当前状态不允许此操作", "The case's state does not allow this"},
	"err.reason.cases.permission":     {"您的角色不能对该案件执行此操作", "Your role may not do this on the case"},
	"err.reason.cases.duplicate":      {"该操作已完成，无需重复", "Already done"},
	"err.reason.cases.rating_key":     {"评价码不正确", "The rating key does not match"},
	"err.reason.cases.evidence":       {"附件不被接受（类型或大小不符）", "The attachment was refused (type or size)"},
	"err.reason.cases.invalid":        {"填写的内容有误", "A field is invalid"},
	"err.reason.conflict":             {"内容已被他人更新，请刷新页面后重试", "Someone changed this meanwhile; reload and retry"},
	"err.reason.acc.formula":          {"没有适用于本期的生态补偿办法版本", "No compensation formula version covers this period"},
	"err.reason.acc.scheme":           {"没有适用于本期的考核办法", "No assessment scheme covers this period"},
	"err.reason.acc.value":            {"缺少考核所需的监测数据", "A value the assessment needs is missing"},
	"err.reason.acc.target":           {"缺少考核目标", "A target is missing"},
	"err.reason.acc.period":           {"考核期间无效或尚未结束", "The period is invalid or not over"},
	"err.reason.acc.county":           {"区县无效", "Unknown county"},
	"err.reason.acc.assessment":       {"本期尚未完成考核", "This period is not assessed yet"},
	"err.reason.acc.trigger":          {"约谈触发规则配置有误", "A trigger rule is misconfigured"},
	"err.reason.acc.warning":          {"预警设置有误", "The warning is invalid"},
	"err.reason.acc.schedule":         {"日程设置有误", "The schedule is invalid"},
	"err.reason.acc.review":           {"评审记录有误", "The review is invalid"},
	"err.field.quantity":              {"数量", "quantity"},
	"err.field.pollutant":             {"污染物", "pollutant"},
	"err.field.credit":                {"减排量编号", "credit"},
	"err.field.enterprise":            {"企业", "enterprise"},
	"err.field.county":                {"区县", "county"},
	"err.field.measure":               {"减排措施", "measure"},
	"err.field.effective":             {"生效日期", "effective"},
	"err.field.evidence":              {"证明材料", "evidence"},
	"err.field.period":                {"期间", "period"},
	"err.field.description":           {"问题描述", "description"},
	"err.field.contact":               {"联系方式", "contact"},
	"err.field.category":              {"类别", "category"},
	"err.field.location":              {"地点", "location"},
	"err.field.area":                  {"区域", "area"},
	"err.field.reply":                 {"答复", "reply"},
	"err.field.satisfaction":          {"满意度", "satisfaction"},
	"err.field.rating_key":            {"评价码", "rating key"},
	"err.field.comment":               {"意见", "comment"},
	"err.field.reason":                {"理由", "reason"},
	"err.field.report":                {"整改报告", "report"},
	"err.field.assignee":              {"承办人", "assignee"},
	"err.field.due":                   {"期限", "due"},
	"err.field.line":                  {"业务条线", "line"},
	"err.field.seq":                   {"版本", "version"},
	"err.field.action":                {"操作", "action"},
	"err.field.code":                  {"查询码", "code"},
	"err.field.lat":                   {"纬度", "latitude"},
	"err.field.lon":                   {"经度", "longitude"},
	"err.field.points":                {"轨迹点", "track points"},
	"err.field.photos":                {"照片", "photos"},
	"err.field.files":                 {"附件", "files"},
	"err.field.price":                 {"价格", "price"},
	"err.field.credits":               {"减排量", "credits"},
	"err.reason.rights.not_yet_valid": {"排污权尚未到许可证生效日期，不能交易", "The permit's rights are not valid yet"},
	"err.field.version":               {"版本", "version"},
	"err.field.title_en":              {"英文名称", "English title"},
	"err.field.weights":               {"考核权重", "weights"},
	"err.field.yuan_per_ug":           {"补偿系数", "coefficient"},
	"err.field.yuan_per_point":        {"优良天数比例系数", "good-day coefficient"},
	"err.field.default_factor":        {"默认调整系数", "default factor"},
	"err.field.factors":               {"各区县调整系数", "factors"},
	"err.field.from":                  {"施行日期", "from"},
	"err.field.name":                  {"名称", "name"},
	"err.field.days":                  {"有效天数", "days"},
	"err.field.to":                    {"截止日期", "to"},
	"err.field.kinds":                 {"考核周期", "period"},
	"err.field.round_yuan":            {"取整单位", "rounding unit"},
	"err.reason.acc.version":          {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.title_en":         {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.weights":          {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.yuan_per_ug":      {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.yuan_per_point":   {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.default_factor":   {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.factors":          {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.from":             {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.to":               {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.kinds":            {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
	"err.reason.acc.round_yuan":       {"生态补偿办法版本填写有误", "The compensation formula version is invalid"},
}

// apiError is the API's error body as a page's script receives it.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
	Reason  string `json:"reason"`
}

// errorText is what a page in lang shows for an API error (ui.js ewError
// does the same in the browser): in English the API's message; in Chinese
// the reason's message, else the code's, with the field's name when known.
func errorText(lang string, e apiError) string {
	if lang == langEN && e.Message != "" {
		return e.Message
	}
	if e.Code == "" {
		return tr(lang, "err.generic")
	}
	key := "err.reason." + e.Reason
	if _, ok := messages[key]; !ok || e.Reason == "" {
		key = "err.code." + e.Code
		if _, ok := messages[key]; !ok {
			key = "err.generic"
		}
	}
	s := tr(lang, key)
	if f, ok := messages["err.field."+fieldBase(e.Field)]; ok && e.Field != "" {
		s += "（" + f[0] + "）"
	}
	return s
}

// fieldBase drops an index and a sub-field: credits[1].quantity → credits.
func fieldBase(f string) string {
	for i, r := range f {
		if r == '[' || r == '.' {
			return f[:i]
		}
	}
	return f
}

// ErrMsgs are the error messages of the page's language for ui.js; an
// English page shows the API's messages and gets none.
func (p *page) ErrMsgs() map[string]string {
	if p.En() {
		return nil
	}
	out := make(map[string]string, len(errorMessages))
	for k, v := range errorMessages {
		out[k[len("err."):]] = v[0]
	}
	return out
}
