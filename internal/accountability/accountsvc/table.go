package accountsvc

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Table is one exported table: a sheet of the workbook, a block of the
// text output. Titles, sheet names and headers are written "中文 English"
// (the Chinese, a space, then the English), and cells naming a kind,
// status or level are Words; In picks one language, so a reader never sees
// the two mixed.
type Table struct {
	Title  string
	Sheet  string
	Header []string
	Rows   [][]any
	// TitleEN is the English title when Title cannot be split by pick
	// (a Chinese name after the English words).
	TitleEN string
}

// Word is a cell that names something in Chinese and English; In keeps
// one, the text output of an unpicked table shows both.
type Word [2]string

func (w Word) String() string {
	if w[0] == w[1] || w[1] == "" {
		return w[0]
	}
	return w[0] + " " + w[1]
}

func yesNo(b bool) Word {
	if b {
		return Word{"是", "yes"}
	}
	return Word{"", ""}
}

// In returns the table with its title, sheet name, header and words in
// one language.
func (t Table) In(l workbook.Lang) Table {
	if l == workbook.English && t.TitleEN != "" {
		t.Title = t.TitleEN
	} else {
		t.Title = pick(t.Title, l)
	}
	t.TitleEN = ""
	t.Sheet = pick(t.Sheet, l)
	h := make([]string, len(t.Header))
	for i, s := range t.Header {
		h[i] = pick(s, l)
	}
	t.Header = h
	rows := make([][]any, len(t.Rows))
	for i, r := range t.Rows {
		row := make([]any, len(r))
		for j, v := range r {
			if w, ok := v.(Word); ok {
				v = w[0]
				if l == workbook.English {
					v = w[1]
				}
			}
			row[j] = v
		}
		rows[i] = row
	}
	t.Rows = rows
	return t
}

// Words of the exported tables' cells, by the engine's codes.
var (
	// Duties and measures are named by the engine, which writes them
	// into case titles too.
	dutyWords = func() map[acc.DutyKind]Word {
		m := map[acc.DutyKind]Word{}
		for _, k := range []acc.DutyKind{acc.DutyToxicReport, acc.DutyScreening, acc.DutySurfaceSoil, acc.DutyDeepSoil, acc.DutyGroundwater, acc.DutyDisclosure, acc.DutySupplementary} {
			m[k] = Word{k.Chinese(), k.English()}
		}
		return m
	}()
	dutyStatusWords = map[acc.DutyStatus]Word{
		acc.StatusPending: {"未到期", "pending"}, acc.StatusDueSoon: {"即将到期", "due soon"},
		acc.StatusDone: {"已完成", "done"}, acc.StatusLate: {"逾期完成", "done late"}, acc.StatusOverdue: {"已逾期", "overdue"},
	}
	projectWords = map[acc.ProjectKind]Word{
		acc.UltraLow: {"超低排放改造", "ultra-low-emission retrofit"}, acc.VOCsSubstitute: {"挥发性有机物源头替代", "VOCs source substitution"},
		acc.Other: {"其他", "other"},
	}
	outcomeWords = map[acc.Outcome]Word{
		acc.OutcomePending: {"待评审", "pending"}, acc.OutcomePass: {"通过", "passed"},
		acc.OutcomeRevision: {"修改后通过", "passed after revision"}, acc.OutcomeFail: {"不通过", "failed"},
	}
	gradeWords = map[acc.Grade]Word{
		acc.GradeA: {"A级", "A"}, acc.GradeB: {"B级", "B"}, acc.GradeC: {"C级", "C"}, acc.GradeD: {"D级", "D"},
		acc.GradeExempt: {"保障类（豁免）", "exempt"},
	}
	measureWords = func() map[acc.MeasureKind]Word {
		m := map[acc.MeasureKind]Word{}
		for _, k := range []acc.MeasureKind{acc.MeasureNone, acc.MeasureStop, acc.MeasureLimit, acc.MeasureStagger} {
			m[k] = Word{k.Chinese(), k.English()}
		}
		return m
	}()
	seriesWords = map[string]Word{"electricity": {"用电监控", "electricity"}, "online": {"在线监测", "online monitoring"}}
)

// word looks a code up, showing the code itself when it is not known.
func word[K ~string](m map[K]Word, k K) Word {
	if w, ok := m[k]; ok {
		return w
	}
	return Word{string(k), string(k)}
}

// pick splits a "中文 English" label at the first space after its last
// Chinese character (Han or full-width punctuation) and keeps one side; a
// label with no Chinese, or nothing after it, is the same in both.
func pick(s string, l workbook.Lang) string {
	last := -1
	for i, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) {
			last = i
		}
	}
	if last < 0 {
		return s
	}
	sp := strings.IndexByte(s[last:], ' ')
	if sp < 0 {
		return s
	}
	if l == workbook.English {
		return s[last+sp+1:]
	}
	return s[:last+sp]
}

// indicatorNames are the Chinese and English names of an assessment
// indicator; an unknown indicator shows its code in both.
func indicatorNames(i acc.Indicator) (zh, en string) {
	switch i {
	case acc.PM25:
		return "细颗粒物浓度", "PM2.5"
	case acc.GoodDays:
		return "优良天数比例", "good-days ratio"
	case acc.AirIndex:
		return "空气质量综合指数", "air quality index"
	case acc.AirIndexChange:
		return "综合指数变化率", "air index change"
	case acc.WaterCompliance:
		return "断面达标率", "water compliance"
	case acc.CWQI:
		return "城市水质指数", "CWQI"
	case acc.TotalQuantity:
		return "总量减排完成率", "total-quantity reduction"
	case acc.Governance:
		return "治理任务完成率", "governance completion"
	}
	return string(i), string(i)
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinatime.Zone).Format("2006-01-02")
}

func minute(t time.Time) string {
	return t.In(chinatime.Zone).Format("2006-01-02 15:04")
}

// AssessmentTable has one row per county: rank, total, then value, rank
// and score of each indicator in the scheme's order.
func AssessmentTable(a acc.Assessment) Table {
	t := Table{Title: fmt.Sprintf("%s考核结果（%s）", a.Period.Chinese(), a.Scheme), TitleEN: fmt.Sprintf("Assessment %s (%s)", a.Period, a.Scheme), Sheet: "考核 assessment",
		Header: []string{"排名 rank", "县区代码 county", "县区 name", "总分 total"}}
	for _, r := range a.Rules {
		zh, en := indicatorNames(r.Indicator)
		t.Header = append(t.Header, zh+"数值 "+en+" value", zh+"目标 "+en+" target", zh+"排名 "+en+" rank", zh+"得分 "+en+" score")
	}
	for _, c := range a.Counties {
		row := []any{c.Rank, c.County, c.Name, c.Total}
		for _, it := range c.Items {
			var target any = ""
			if it.HasTarget {
				target = it.Target
			}
			row = append(row, it.Value, target, it.Rank, it.Score)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// SettlementTable has one row per county and a total row.
func SettlementTable(s acc.Settlement) Table {
	t := Table{Title: fmt.Sprintf("%s生态补偿（%s）", s.Period.Chinese(), s.Formula), TitleEN: fmt.Sprintf("Ecological compensation %s (%s)", s.Period, cmp.Or(s.FormulaTitleEN, s.Formula)), Sheet: "补偿 compensation",
		Header: []string{"县区代码 county", "县区 name", "得分 score", "系数（‰） factor ‰", "优良天数变化（百分点） good-days change pp", "金额（元） amount ¥", "应收（元） receivable ¥", "应缴（元） payable ¥", "免于考核 exempt"}}
	for _, l := range s.Lines {
		t.Rows = append(t.Rows, []any{l.County, l.Name, l.Score, l.Factor, l.GoodDaysPP, l.Amount, l.Receivable, l.Payable, yesNo(l.Exempt)})
	}
	t.Rows = append(t.Rows, []any{Word{"合计", "total"}, "", "", "", "", s.Receivable - s.Payable, s.Receivable, s.Payable, ""})
	return t
}

// FiringsTable lists trigger firings with their ladder step and case.
func FiringsTable(p chinatime.Period, fs []store.StoredFiring) Table {
	t := Table{Title: p.Chinese() + "约谈触发", TitleEN: "Trigger firings " + p.String(), Sheet: "触发 triggers",
		Header: []string{"规则 rule", "期间 period", "县区 county", "层级 step", "原因 reason", "报告期限 report due", "案件 case"}}
	for _, f := range fs {
		t.Rows = append(t.Rows, []any{f.Rule, f.Period.String(), f.County, Word{f.Step.Chinese(), f.Step.String()}, reasonWord(f.Firing), day(f.ReportDue), f.CaseID})
	}
	return t
}

// reasonWord is a firing's reason in both languages; one whose English
// cannot be had (stored by an older binary in words the engine never
// wrote) is marked as Chinese in the English table.
func reasonWord(f acc.Firing) Word {
	en, ok := f.ReasonIn(string(workbook.English))
	if !ok {
		en = "(in Chinese) " + en
	}
	return Word{f.Reason, en}
}

// WarningsTable lists heavy-pollution warnings.
func WarningsTable(ws []acc.Warning) Table {
	t := Table{Title: "重污染天气预警 Heavy-pollution warnings", Sheet: "预警 warnings",
		Header: []string{"编号 id", "级别 level", "开始 start", "结束 end", "范围 counties"}}
	for _, w := range ws {
		area := Word{strings.Join(w.Counties, "、"), strings.Join(w.Counties, ", ")}
		if len(w.Counties) == 0 {
			area = Word{"全市", "whole city"}
		}
		t.Rows = append(t.Rows, []any{w.ID, Word{w.Level.Chinese(), w.Level.String()}, minute(w.Start), minute(w.End), area})
	}
	return t
}

// DutiesTable lists soil duties with their status.
func DutiesTable(year int, ds []DutyRow) Table {
	t := Table{Title: fmt.Sprintf("%d年土壤重点监管单位法定义务", year), TitleEN: fmt.Sprintf("Soil duties of key units, %d", year), Sheet: "土壤义务 soil duties",
		Header: []string{"单位 unit", "企业 enterprise", "县区 county", "义务 kind", "序号 seq", "期限 due", "完成 done", "状态 status", "依据 basis"}}
	for _, d := range ds {
		t.Rows = append(t.Rows, []any{d.Unit, d.Enterprise, d.County, word(dutyWords, d.Kind), d.Seq, day(d.Due), day(d.Done), word(dutyStatusWords, d.Status), d.Basis})
	}
	return t
}

// ProjectsTable lists governance projects.
func ProjectsTable(ps []ProjectRow) Table {
	t := Table{Title: "治理项目 Governance projects", Sheet: "治理项目 projects",
		Header: []string{"编号 id", "县区 county", "企业 enterprise", "类型 kind", "名称 name", "单位 unit", "目标 target", "进度 progress", "完成比例 ratio", "期限 due", "验收 completed", "已完成 done"}}
	for _, p := range ps {
		t.Rows = append(t.Rows, []any{p.ID, p.County, p.Enterprise, word(projectWords, p.Kind), p.Name, p.Unit, p.Target, p.Progress, p.Ratio, day(p.Due), day(p.Completed), yesNo(p.Done)})
	}
	return t
}

// WriteText writes tables as aligned text, one block per table.
func WriteText(w io.Writer, ts ...Table) error {
	for i, t := range ts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, t.Title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
		for _, r := range t.Rows {
			cells := make([]string, len(r))
			for j, v := range r {
				cells[j] = cell(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func cell(v any) string {
	switch x := v.(type) {
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
	case bool:
		if x {
			return "是"
		}
		return ""
	}
	return fmt.Sprint(v)
}

// WriteXLSX writes tables as a workbook, one sheet each, in the
// reports' layout (workbook).
func WriteXLSX(w io.Writer, ts ...Table) error {
	sheets := make([]workbook.Sheet, len(ts))
	for i, t := range ts {
		sheets[i] = workbook.Sheet{Name: t.Sheet, Title: t.Title, Header: t.Header, Rows: t.Rows}
	}
	return workbook.Write(w, sheets...)
}

// BreachesTable lists breaches of emergency measures.
func BreachesTable(id string, bs []acc.Breach) Table {
	t := Table{Title: "预警" + id + "应急减排措施落实核查", TitleEN: "Breaches of emergency measures, warning " + id, Sheet: "核查 breaches",
		Header: []string{"企业 enterprise", "县区 county", "数据 series", "措施 measure", "起 from", "止 to", "样本 samples", "最大值 max", "允许值 allowed"}}
	for _, b := range bs {
		t.Rows = append(t.Rows, []any{b.Enterprise, b.County, word(seriesWords, b.Series), word(measureWords, b.Measure), minute(b.From), minute(b.To), b.Samples, b.Max, b.Allowed})
	}
	return t
}

// ReductionTable lists a year's emergency reduction list, one row per
// enterprise with the measure of each warning level.
func ReductionTable(year int, es []acc.ReductionEntry) Table {
	t := Table{Title: fmt.Sprintf("%d年重污染天气应急减排清单", year), TitleEN: fmt.Sprintf("Emergency reduction list %d", year), Sheet: "减排清单 reduction list",
		Header: []string{"企业 enterprise", "县区 county", "绩效分级 grade", "黄色 yellow", "橙色 orange", "红色 red", "正常负荷（千瓦） normal load kW", "停产负荷（千瓦） stop load kW", "正常排放速率 normal rate"}}
	measure := func(e acc.ReductionEntry, l acc.WarnLevel) Word {
		m, ok := e.Measures[l]
		if !ok {
			return Word{}
		}
		w := word(measureWords, m.Kind)
		switch m.Kind {
		case acc.MeasureLimit:
			return Word{fmt.Sprintf("限产至%d‰", m.LoadPermille), fmt.Sprintf("limit to %d‰", m.LoadPermille)}
		case acc.MeasureStagger:
			var ws []string
			for _, w := range m.Windows {
				ws = append(ws, fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60))
			}
			return Word{w[0] + " " + strings.Join(ws, "、"), w[1] + " " + strings.Join(ws, ", ")}
		}
		return w
	}
	for _, e := range es {
		t.Rows = append(t.Rows, []any{e.Enterprise, e.County, word(gradeWords, e.Grade), measure(e, acc.Yellow), measure(e, acc.Orange), measure(e, acc.Red), e.NormalKW, e.StopKW, e.NormalRate})
	}
	return t
}

// PlotsTable lists the supervised construction-land plots.
func PlotsTable(ps []acc.Plot) Table {
	t := Table{Title: "建设用地地块 Supervised plots", Sheet: "地块 plots",
		Header: []string{"编号 id", "名称 name", "县区 county", "原用途 former use", "规划用途 planned use", "使用权人 holder", "优先监管 priority", "列入名录 listed", "移出名录 removed"}}
	for _, p := range ps {
		t.Rows = append(t.Rows, []any{p.ID, p.Name, p.County, p.FormerUse, p.PlannedUse, p.Holder, yesNo(p.Priority), day(p.ControlListed), day(p.ControlRemoved)})
	}
	return t
}

// ReviewsTable lists survey report reviews.
func ReviewsTable(rs []acc.Review) Table {
	t := Table{Title: "调查报告评审 Survey report reviews", Sheet: "评审 reviews",
		Header: []string{"编号 id", "地块 plot", "阶段 stage", "编制单位 consultant", "提交 submitted", "评审会 meeting", "结论 outcome", "修改要求 conditions", "修改期限 revision due", "修改完成 revised", "超管制值 above control"}}
	for _, r := range rs {
		t.Rows = append(t.Rows, []any{r.ID, r.Plot, int(r.Stage), r.Consultant, day(r.Submitted), day(r.Meeting), word(outcomeWords, r.Outcome), strings.Join(r.Conditions, "；"), day(r.RevisionDue), day(r.Revised), yesNo(r.AboveRisk)})
	}
	return t
}
