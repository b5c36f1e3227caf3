package cases

// actionNames are the actions as the case page names them (the
// dashboard's act.* catalogue), in Chinese and English, so that a
// notice reads the same in the inbox, the API, mail and webhooks.
var actionNames = map[ActionKind][2]string{
	ActRegister:         {"登记", "Register"},
	ActAccept:           {"受理", "Accept"},
	ActReject:           {"不予受理", "Reject"},
	ActAssign:           {"交办", "Assign"},
	ActStart:            {"签收并整改", "Start rectifying"},
	ActSubmit:           {"提交办结报告", "Submit"},
	ActVerify:           {"现场核查", "Verify"},
	ActClose:            {"销号", "Close"},
	ActReturn:           {"退回重办", "Return"},
	ActReopen:           {"重新办理", "Reopen"},
	ActRequestExtension: {"申请延期", "Request extension"},
	ActApproveExtension: {"批准延期", "Approve extension"},
	ActDenyExtension:    {"驳回延期", "Deny extension"},
	ActEscalate:         {"督办升级", "Escalate"},
	ActRate:             {"回访", "Callback"},
	ActFlagReview:       {"建章立制复盘", "Recurrence review"},
	ActAddFinding:       {"追加超标记录", "Finding added"},
	ActNote:             {"平台备注", "Platform note"},
}

// categoryNames are the petition categories in Chinese and English.
var categoryNames = map[Category][2]string{
	CategoryAir:   {"大气", "air"},
	CategoryWater: {"水", "water"},
	CategoryNoise: {"噪声", "noise"},
	CategorySoil:  {"土壤", "soil"},
	CategoryWaste: {"固废", "waste"},
	CategoryOther: {"其他", "other"},
}

// named is names[k] in Chinese and English, or the code itself in both
// for a code the table does not know (a newer action), never empty.
func named[K ~string](names map[K][2]string, k K) (string, string) {
	if n, ok := names[k]; ok {
		return n[0], n[1]
	}
	return string(k), string(k)
}

// ActionNotice words the notice of action k on case c:
// 案件 C…：督办升级 / Case C…: Escalate.
func ActionNotice(c Case, k ActionKind) (zh, en string) {
	z, e := named(actionNames, k)
	return "案件 " + c.ID + "：" + z, "Case " + c.ID + ": " + e
}

// NewCaseNotice words the notice of a newly registered case, with its
// title in each language (TitleIn).
func NewCaseNotice(c Case) (zh, en string) {
	return "新案件 " + c.ID + "：" + c.TitleIn("zh"), "New case " + c.ID + ": " + c.TitleIn("en")
}

// PatrolNotice words the notice of a case a river patrol opened.
func PatrolNotice(c Case) (zh, en string) {
	return "巡查发现问题 " + c.ID + "：" + c.TitleIn("zh"), "Patrol finding " + c.ID + ": " + c.TitleIn("en")
}

// PetitionNotice words the notice of a petition received under code.
func PetitionNotice(code string, cat Category) (zh, en string) {
	z, e := named(categoryNames, cat)
	return "新信访件 " + code + "（" + z + "）", "New petition " + code + " (" + e + ")"
}
