package dashboard

// screenMessages are the labels of the command-centre big screen, merged
// into messages at start.
var screenMessages = map[string][2]string{
	"nav.screen":           {"指挥大屏", "Command screen"},
	"screen.title":         {"聊城市生态环境监管指挥中心", "Liaocheng Ecology and Environment Command Centre"},
	"screen.updated":       {"数据更新", "Figures of"},
	"screen.air":           {"全市空气质量", "City air quality"},
	"screen.air.day":       {"最近日", "latest day"},
	"screen.targets":       {"年度目标进度", "Annual targets so far"},
	"screen.targets.of":    {"截至", "to"},
	"screen.pm25":          {"PM2.5累计均值", "PM2.5 mean so far"},
	"screen.pm25.target":   {"目标", "target"},
	"screen.pm25.budget":   {"余下日均需", "rest of year must average"},
	"screen.good":          {"优良天数比例", "Good-day ratio"},
	"screen.good.bad":      {"余下可容许非优良天数", "non-good days still allowed"},
	"screen.ranking":       {"区县PM2.5累计浓度排名", "Counties by PM2.5 so far"},
	"screen.map":           {"各区县空气质量（站点最新AQI均值）与监测站点", "Counties' air (mean of their stations' latest AQI) and stations"},
	"screen.ent":           {"重点排污单位在线监控", "Online monitoring of enterprises"},
	"screen.ent.total":     {"企业", "enterprises"},
	"screen.ent.online":    {"在线", "online"},
	"screen.ent.offline":   {"离线", "offline"},
	"screen.ent.never":     {"未联网", "never connected"},
	"screen.ent.exceed":    {"超标在办", "exceeding, open"},
	"screen.ent.rate":      {"联网在线率", "online rate"},
	"screen.alarms":        {"今日告警", "Alarms today"},
	"screen.alarms.none":   {"今日暂无告警", "No alarm today"},
	"screen.cases":         {"案件闭环办理", "Cases in the closed loop"},
	"screen.cases.open":    {"在办", "open"},
	"screen.cases.overdue": {"超期", "overdue"},
	"screen.pet.month":     {"本月信访", "Petitions this month"},
	"screen.pet.sat":       {"年度信访满意率", "Petitioner satisfaction this year"},
	"screen.rated":         {"已回访 %d 件", "%d rated"},
	"screen.water":         {"地表水断面达标", "Water sections on target"},
	"screen.warn":          {"重污染天气预警", "Heavy-pollution warning"},
	"screen.warn.none":     {"无预警", "none"},
	"screen.warn.yellow":   {"黄色预警（Ⅲ级）", "Yellow (level III)"},
	"screen.warn.orange":   {"橙色预警（Ⅱ级）", "Orange (level II)"},
	"screen.warn.red":      {"红色预警（Ⅰ级）", "Red (level I)"},
	"screen.warn.until":    {"至 %s", "until %s"},
	"screen.unit.pieces":   {"件", "petitions"},
	"screen.unit.days":     {"天", "days"},
	"screen.back":          {"返回工作台", "Back to the dashboard"},
}

func init() {
	for k, v := range screenMessages {
		messages[k] = v
	}
}
