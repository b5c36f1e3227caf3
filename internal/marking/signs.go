package marking

// Sign is one sign of falsified data (弄虚作假迹象) on the screening list,
// with the alert rule (internal/alerts) that screens for it.
type Sign struct {
	Item   int    `json:"item"` // number on the source's list; 0 for the platform's own signs
	Zh     string `json:"zh"`
	En     string `json:"en"`
	Source string `json:"source"`
	// Rule is the alerts.Rule name that screens for the sign; empty when
	// no rule does yet.
	Rule string `json:"rule,omitempty"`
	// Params names the alert configuration that parameterises the rule.
	Params string `json:"params,omitempty"`
}

// SrcSigns is the list the signs are numbered by: a published checklist of
// on-site and data signs of abnormal automatic monitoring, items 19–22 of
// which are data signs.
const SrcSigns = "https://jinhhb.com/news/2850-cn.html"

// Signs is the screening list: the data signs of the published checklist
// (items 19–22) and the platform's own signs, each with its rule. Items
// 20 and 22 need each device's detection limit and measuring range
// (registry: model.DeviceFactor); a device without them is not screened
// for those two. The list gives no figure for "长期" (for long): the
// rules' durations are the platform's defaults (alerts.DefaultConfig).
func Signs() []Sign {
	return []Sign{
		{Item: 19, Zh: "长期无正当理由无自动监控数据", En: "No monitoring data for long without good reason", Source: SrcSigns, Rule: "offline", Params: "offline.after, offline.persist"},
		{Item: 20, Zh: "数据长期在仪器分析方法检出限上下波动", En: "Data long hovering around the method's detection limit", Source: SrcSigns, Rule: "near-detection-limit", Params: "near_detection.factor, near_detection.duration, near_detection.min_count, near_detection.persist"},
		{Item: 21, Zh: "数据变化幅度长期在某一固定值上下小幅波动", En: "Data long fluctuating slightly around a fixed value", Source: SrcSigns, Rule: "flat-line", Params: "flat_line.n, flat_line.persist"},
		{Item: 22, Zh: "数据变化幅度长期在量程2%以内波动", En: "Data long varying within 2 % of the measuring range", Source: SrcSigns, Rule: "narrow-band", Params: "narrow_band.share, narrow_band.duration, narrow_band.min_count, narrow_band.persist"},
		{Zh: "数据长期贴近排放限值下方", En: "Values pinned just under the limit", Source: "platform", Rule: "pinned", Params: "pinned.band, pinned.share, pinned.window"},
		{Zh: "相邻数据不合理突变", En: "Implausible steps between values", Source: "platform", Rule: "step", Params: "step.factor"},
		{Zh: "维护、校准标记使用过频", En: "Maintenance and calibration flags overused", Source: "platform", Rule: "flag-overuse", Params: "flag_overuse.share, flag_overuse.window"},
		{Zh: "生产运行时治理设施停运或低负荷", En: "Treatment off or under-loaded while production runs", Source: "platform", Rule: "treatment-off", Params: "electric.off, electric.underload"},
	}
}
