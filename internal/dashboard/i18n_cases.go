package dashboard

import (
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
}

func init() {
	funcs["cnum"] = cases.Num
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
