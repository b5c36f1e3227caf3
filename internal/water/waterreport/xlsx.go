package waterreport

import (
	"fmt"
	"io"
	"strings"

	"github.com/ecowatch/ecowatch/internal/factors"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/water"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// classWord names a GB 3838 class: Ⅲ类 in Chinese, Ⅲ in English (劣Ⅴ is
// "worse than Ⅴ"); "" for no class.
func classWordIn(l workbook.Lang, c int) string {
	if c <= 0 || c >= len(classNames) {
		return ""
	}
	if l == workbook.English {
		if c == len(classNames)-1 {
			return "worse than Ⅴ"
		}
		return classNames[c]
	}
	return classNames[c] + "类"
}

// item names a GB 3838 item in l: its standard Chinese name, or the
// English name of its HJ 212 factor (the canonical symbol where the
// catalogue has none).
func itemIn(l workbook.Lang, name string) string {
	it, ok := water.LookupItem(name)
	if !ok {
		return name
	}
	if l == workbook.English {
		if f, ok := factors.Lookup(it.Code()); ok && it.Code() != "" {
			return f.En
		}
		return it.String()
	}
	return it.ChineseName()
}

func itemsIn(l workbook.Lang, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = itemIn(l, n)
	}
	return strings.Join(out, l.Pick("、", ", "))
}

// statusWord and changeWord turn the engine's Chinese wording (which the
// report keeps as strings) into l.
var statusEnglish, changeEnglish = func() (map[string]string, map[string]string) {
	st, ch := map[string]string{}, map[string]string{}
	for s := water.StatusExcellent; s <= water.StatusHeavy; s++ {
		st[s.String()] = s.English()
	}
	for c := water.MuchWorse; c <= water.MuchBetter; c++ {
		ch[c.String()] = c.English()
	}
	return st, ch
}()

func wordIn(l workbook.Lang, m map[string]string, zh string) string {
	switch {
	case zh == "no data":
		return l.Pick("无数据", "no data")
	case l == workbook.English && m[zh] != "":
		return m[zh]
	}
	return zh
}

func levelIn(l workbook.Lang, lv string) string {
	switch lv {
	case model.SectionNational:
		return l.Pick("国控", "national")
	case model.SectionProvincial:
		return l.Pick("省控", "provincial")
	case model.SectionCity:
		return l.Pick("市控", "city")
	}
	return lv
}

func methodIn(l workbook.Lang, m string) string {
	switch m {
	case "average":
		return l.Pick("均值法", "mean of sections")
	case "proportion":
		return l.Pick("断面比例法", "share of sections")
	}
	return m
}

func yesNoIn(l workbook.Lang, b bool) string {
	if b {
		return l.Pick("是", "yes")
	}
	return l.Pick("否", "no")
}

func pollutantsIn(l workbook.Lang, ps []Pollutant) string {
	var s []string
	for _, p := range ps {
		if p.Multiple != nil {
			s = append(s, fmt.Sprintf(l.Pick("%s（%s，超标%.2f倍）", "%s (%s, %.2f× over)"), itemIn(l, p.Item), classWordIn(l, p.Class), *p.Multiple))
		} else {
			s = append(s, fmt.Sprintf(l.Pick("%s（%s）", "%s (%s)"), itemIn(l, p.Item), classWordIn(l, p.Class)))
		}
	}
	return strings.Join(s, l.Pick("；", "; "))
}

// WriteXLSX writes the report as an Excel workbook in lang: the summary,
// sections, rivers and basins, water-quality index (CWQI) and
// drinking-water sources, each sheet with a title row above one header
// row. Numbers stay numbers; words (levels, classes, statuses, changes,
// items) are in lang; section, river, county and source names are the
// registry's.
func WriteXLSX(out io.Writer, lang workbook.Lang, r *Report) error {
	var sheets []workbook.Sheet
	period := r.Period
	if r.Base != "" {
		period = fmt.Sprintf(lang.Pick("%s，对比 %s", "%s, compared with %s"), r.Period, r.Base)
	}
	sheet := func(name, title string, header []string, rows [][]any) {
		sheets = append(sheets, workbook.Sheet{Name: name, Title: title + lang.Pick("（", " (") + period + lang.Pick("）", ")"), Header: header, Rows: rows})
	}
	sm := r.Summary
	summary := [][]any{
		{lang.Pick("时段", "period"), r.Period}, {lang.Pick("对比时段", "compared with"), r.Base},
		{lang.Pick("考核断面数", "assessed sections"), sm.Sections}, {lang.Pick("有数据断面数", "sections with data"), sm.Evaluated},
	}
	for c := 1; c <= 6; c++ {
		summary = append(summary, []any{lang.Pick(classWordIn(lang, c)+"断面数", "class "+classWordIn(lang, c)+" sections"), sm.ByClass[c-1]})
	}
	status := wordIn(lang, statusEnglish, sm.Status)
	summary = append(summary,
		[]any{lang.Pick("Ⅰ～Ⅲ类比例（%）", "share of classes Ⅰ–Ⅲ (%)"), sm.GoodShare},
		[]any{lang.Pick("劣Ⅴ类比例（%）", "share worse than Ⅴ (%)"), sm.WorseV},
		[]any{lang.Pick("达标断面数", "sections meeting the target"), sm.Meeting},
		[]any{lang.Pick("达标率（%）", "share meeting the target (%)"), sm.MeetShare},
		[]any{lang.Pick("水质状况", "water quality"), status},
		[]any{lang.Pick("同比变化", "change"), wordIn(lang, changeEnglish, sm.Change)},
		[]any{lang.Pick("城市水质指数（CWQI）", "city water-quality index (CWQI)"), r.CWQI.City},
		[]any{lang.Pick("对比时段水质指数", "CWQI compared with"), optCell(r.CWQI.Base)},
		[]any{lang.Pick("水质指数变化率（%）", "CWQI change (%)"), optCell(r.CWQI.ChangeRate)},
	)
	notes := r.Notes
	if lang == workbook.English {
		notes = r.NotesEN
	}
	for _, n := range notes {
		summary = append(summary, []any{lang.Pick("注", "note"), n})
	}
	sheet(lang.Pick("汇总", "summary"), lang.Pick("地表水水质汇总", "Surface water summary"),
		lang.Cols([][2]string{{"项目", "item"}, {"数值", "value"}}), summary)
	var rows [][]any
	for _, s := range r.Sections {
		meets := ""
		if s.Class != 0 {
			meets = yesNoIn(lang, s.Meets)
		}
		var rank any = ""
		if s.Rank > 0 {
			rank = s.Rank
		}
		rows = append(rows, []any{s.Code, s.Name, levelIn(lang, s.Level), s.RiverName, s.CountyName, classWordIn(lang, s.Target),
			classWordIn(lang, s.Class), meets, pollutantsIn(lang, s.MainPollutants), optCell(s.CWQI), rank,
			classWordIn(lang, s.BaseClass), wordIn(lang, changeEnglish, s.Change), optCell(s.ChangeRate), s.Samples})
	}
	sheet(lang.Pick("断面", "sections"), lang.Pick("断面水质", "Section water quality"), lang.Cols([][2]string{
		{"断面编码", "code"}, {"断面名称", "section"}, {"级别", "level"}, {"河流", "river"}, {"区县", "county"},
		{"水质目标", "target"}, {"水质类别", "class"}, {"是否达标", "meets target"},
		{"主要污染指标（类别，超标倍数）", "main pollutants (class, times over)"},
		{"水质指数", "CWQI"}, {"水质指数排名", "CWQI rank"}, {"对比时段类别", "class compared with"}, {"变化", "change"},
		{"水质指数变化率（%）", "CWQI change (%)"}, {"样本数", "samples"},
	}), rows)
	rows = nil
	for _, rv := range append(append([]River{}, r.Rivers...), r.Basins...) {
		var mp []string
		for _, x := range rv.MainPollutants {
			mp = append(mp, fmt.Sprintf("%s %.1f%%", itemIn(lang, x.Item), x.Rate))
		}
		rows = append(rows, []any{rv.Name, rv.Basin, rv.Sections, methodIn(lang, rv.Method), wordIn(lang, statusEnglish, rv.Status), rv.GoodShare,
			strings.Join(mp, lang.Pick("、", ", ")), wordIn(lang, statusEnglish, rv.BaseStatus), wordIn(lang, changeEnglish, rv.Change)})
	}
	sheet(lang.Pick("河流", "rivers"), lang.Pick("河流及流域水质", "Rivers and basins"), lang.Cols([][2]string{
		{"河流", "river"}, {"流域", "basin"}, {"断面数", "sections"}, {"评价方法", "method"}, {"水质状况", "water quality"},
		{"Ⅰ～Ⅲ类比例（%）", "share of classes Ⅰ–Ⅲ (%)"}, {"主要污染指标（劣于Ⅲ类断面比例）", "main pollutants (share of sections worse than Ⅲ)"},
		{"对比时段水质状况", "quality compared with"}, {"变化", "change"},
	}), rows)
	rows = nil
	for _, c := range r.CWQI.Counties {
		rows = append(rows, []any{lang.Pick("区县", "county"), c.Rank, c.Code, c.Name, c.CWQI, optCell(c.Base), optCell(c.ChangeRate)})
	}
	for _, s := range r.CWQI.Sections {
		rows = append(rows, []any{lang.Pick("断面", "section"), s.Rank, s.Code, s.Name, s.CWQI, "", optCell(s.ChangeRate)})
	}
	sheet(lang.Pick("水质指数", "CWQI"), lang.Pick("城市水质指数排名", "Water-quality index (CWQI) ranking"), lang.Cols([][2]string{
		{"类别", "kind"}, {"排名", "rank"}, {"编码", "code"}, {"名称", "name"}, {"水质指数", "CWQI"},
		{"对比时段水质指数", "CWQI compared with"}, {"变化率（%）", "change (%)"},
	}), rows)
	rows = nil
	for _, d := range r.Drinking {
		pass := ""
		if d.Samples > 0 {
			pass = lang.Pick("不达标", "fails")
			if d.Pass {
				pass = lang.Pick("达标", "meets")
			}
		}
		rows = append(rows, []any{d.Code, d.Name, d.CountyName, d.Samples, classWordIn(lang, d.Class), itemsIn(lang, d.Failed), pass, itemsIn(lang, d.Unmeasured)})
	}
	sheet(lang.Pick("饮用水源", "drinking water"), lang.Pick("集中式饮用水水源地水质", "Drinking-water sources"), lang.Cols([][2]string{
		{"编码", "code"}, {"水源地", "source"}, {"区县", "county"}, {"样本数", "samples"}, {"基本项目类别", "class (table 1)"},
		{"超标的补充及特定项目", "supplementary and specific items over the limit"}, {"评价", "assessment"}, {"未监测项目", "items not measured"},
	}), rows)
	return workbook.Write(out, sheets...)
}
