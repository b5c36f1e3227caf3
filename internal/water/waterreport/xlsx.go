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

// Lang is the language of a workbook: its sheet names, title rows, headers
// and the words in its cells. "zh" (the bureau's reading) is the default.
type Lang string

const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// ParseLang reads a request's language; empty means Chinese.
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "zh":
		return Chinese, nil
	case "en":
		return English, nil
	}
	return "", fmt.Errorf("language %q: want zh or en", s)
}

func (l Lang) pick(zh, en string) string {
	if l == English {
		return en
	}
	return zh
}

func (l Lang) cols(cs [][2]string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = l.pick(c[0], c[1])
	}
	return out
}

// classWord names a GB 3838 class: Ⅲ类 in Chinese, Ⅲ in English (劣Ⅴ is
// "worse than Ⅴ"); "" for no class.
func (l Lang) classWord(c int) string {
	if c <= 0 || c >= len(classNames) {
		return ""
	}
	if l == English {
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
func (l Lang) item(name string) string {
	it, ok := water.LookupItem(name)
	if !ok {
		return name
	}
	if l == English {
		if f, ok := factors.Lookup(it.Code()); ok && it.Code() != "" {
			return f.En
		}
		return it.String()
	}
	return it.ChineseName()
}

func (l Lang) items(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = l.item(n)
	}
	return strings.Join(out, l.pick("、", ", "))
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

func (l Lang) word(m map[string]string, zh string) string {
	switch {
	case zh == "no data":
		return l.pick("无数据", "no data")
	case l == English && m[zh] != "":
		return m[zh]
	}
	return zh
}

func (l Lang) level(lv string) string {
	switch lv {
	case model.SectionNational:
		return l.pick("国控", "national")
	case model.SectionProvincial:
		return l.pick("省控", "provincial")
	case model.SectionCity:
		return l.pick("市控", "city")
	}
	return lv
}

func (l Lang) method(m string) string {
	switch m {
	case "average":
		return l.pick("均值法", "mean of sections")
	case "proportion":
		return l.pick("断面比例法", "share of sections")
	}
	return m
}

func (l Lang) yesNo(b bool) string {
	if b {
		return l.pick("是", "yes")
	}
	return l.pick("否", "no")
}

func (l Lang) pollutants(ps []Pollutant) string {
	var s []string
	for _, p := range ps {
		if p.Multiple != nil {
			s = append(s, fmt.Sprintf(l.pick("%s（%s，超标%.2f倍）", "%s (%s, %.2f× over)"), l.item(p.Item), l.classWord(p.Class), *p.Multiple))
		} else {
			s = append(s, fmt.Sprintf(l.pick("%s（%s）", "%s (%s)"), l.item(p.Item), l.classWord(p.Class)))
		}
	}
	return strings.Join(s, l.pick("；", "; "))
}

// WriteXLSX writes the report as an Excel workbook in lang: the summary,
// sections, rivers and basins, water-quality index (CWQI) and
// drinking-water sources, each sheet with a title row above one header
// row. Numbers stay numbers; words (levels, classes, statuses, changes,
// items) are in lang; section, river, county and source names are the
// registry's.
func WriteXLSX(out io.Writer, lang Lang, r *Report) error {
	var sheets []workbook.Sheet
	period := r.Period
	if r.Base != "" {
		period = fmt.Sprintf(lang.pick("%s，对比 %s", "%s, compared with %s"), r.Period, r.Base)
	}
	sheet := func(name, title string, header []string, rows [][]any) {
		sheets = append(sheets, workbook.Sheet{Name: name, Title: title + lang.pick("（", " (") + period + lang.pick("）", ")"), Header: header, Rows: rows})
	}
	sm := r.Summary
	summary := [][]any{
		{lang.pick("时段", "period"), r.Period}, {lang.pick("对比时段", "compared with"), r.Base},
		{lang.pick("考核断面数", "assessed sections"), sm.Sections}, {lang.pick("有数据断面数", "sections with data"), sm.Evaluated},
	}
	for c := 1; c <= 6; c++ {
		summary = append(summary, []any{lang.pick(lang.classWord(c)+"断面数", "class "+lang.classWord(c)+" sections"), sm.ByClass[c-1]})
	}
	status := lang.word(statusEnglish, sm.Status)
	summary = append(summary,
		[]any{lang.pick("Ⅰ～Ⅲ类比例（%）", "share of classes Ⅰ–Ⅲ (%)"), sm.GoodShare},
		[]any{lang.pick("劣Ⅴ类比例（%）", "share worse than Ⅴ (%)"), sm.WorseV},
		[]any{lang.pick("达标断面数", "sections meeting the target"), sm.Meeting},
		[]any{lang.pick("达标率（%）", "share meeting the target (%)"), sm.MeetShare},
		[]any{lang.pick("水质状况", "water quality"), status},
		[]any{lang.pick("同比变化", "change"), lang.word(changeEnglish, sm.Change)},
		[]any{lang.pick("城市水质指数（CWQI）", "city water-quality index (CWQI)"), r.CWQI.City},
		[]any{lang.pick("对比时段水质指数", "CWQI compared with"), optCell(r.CWQI.Base)},
		[]any{lang.pick("水质指数变化率（%）", "CWQI change (%)"), optCell(r.CWQI.ChangeRate)},
	)
	sheet(lang.pick("汇总", "summary"), lang.pick("地表水水质汇总", "Surface water summary"),
		lang.cols([][2]string{{"项目", "item"}, {"数值", "value"}}), summary)
	var rows [][]any
	for _, s := range r.Sections {
		meets := ""
		if s.Class != 0 {
			meets = lang.yesNo(s.Meets)
		}
		var rank any = ""
		if s.Rank > 0 {
			rank = s.Rank
		}
		rows = append(rows, []any{s.Code, s.Name, lang.level(s.Level), s.RiverName, s.CountyName, lang.classWord(s.Target),
			lang.classWord(s.Class), meets, lang.pollutants(s.MainPollutants), optCell(s.CWQI), rank,
			lang.classWord(s.BaseClass), lang.word(changeEnglish, s.Change), optCell(s.ChangeRate), s.Samples})
	}
	sheet(lang.pick("断面", "sections"), lang.pick("断面水质", "Section water quality"), lang.cols([][2]string{
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
			mp = append(mp, fmt.Sprintf("%s %.1f%%", lang.item(x.Item), x.Rate))
		}
		rows = append(rows, []any{rv.Name, rv.Basin, rv.Sections, lang.method(rv.Method), lang.word(statusEnglish, rv.Status), rv.GoodShare,
			strings.Join(mp, lang.pick("、", ", ")), lang.word(statusEnglish, rv.BaseStatus), lang.word(changeEnglish, rv.Change)})
	}
	sheet(lang.pick("河流", "rivers"), lang.pick("河流及流域水质", "Rivers and basins"), lang.cols([][2]string{
		{"河流", "river"}, {"流域", "basin"}, {"断面数", "sections"}, {"评价方法", "method"}, {"水质状况", "water quality"},
		{"Ⅰ～Ⅲ类比例（%）", "share of classes Ⅰ–Ⅲ (%)"}, {"主要污染指标（劣于Ⅲ类断面比例）", "main pollutants (share of sections worse than Ⅲ)"},
		{"对比时段水质状况", "quality compared with"}, {"变化", "change"},
	}), rows)
	rows = nil
	for _, c := range r.CWQI.Counties {
		rows = append(rows, []any{lang.pick("区县", "county"), c.Rank, c.Code, c.Name, c.CWQI, optCell(c.Base), optCell(c.ChangeRate)})
	}
	for _, s := range r.CWQI.Sections {
		rows = append(rows, []any{lang.pick("断面", "section"), s.Rank, s.Code, s.Name, s.CWQI, "", optCell(s.ChangeRate)})
	}
	sheet(lang.pick("水质指数", "CWQI"), lang.pick("城市水质指数排名", "Water-quality index (CWQI) ranking"), lang.cols([][2]string{
		{"类别", "kind"}, {"排名", "rank"}, {"编码", "code"}, {"名称", "name"}, {"水质指数", "CWQI"},
		{"对比时段水质指数", "CWQI compared with"}, {"变化率（%）", "change (%)"},
	}), rows)
	rows = nil
	for _, d := range r.Drinking {
		pass := ""
		if d.Samples > 0 {
			pass = lang.pick("不达标", "fails")
			if d.Pass {
				pass = lang.pick("达标", "meets")
			}
		}
		rows = append(rows, []any{d.Code, d.Name, d.CountyName, d.Samples, lang.classWord(d.Class), lang.items(d.Failed), pass, lang.items(d.Unmeasured)})
	}
	sheet(lang.pick("饮用水源", "drinking water"), lang.pick("集中式饮用水水源地水质", "Drinking-water sources"), lang.cols([][2]string{
		{"编码", "code"}, {"水源地", "source"}, {"区县", "county"}, {"样本数", "samples"}, {"基本项目类别", "class (table 1)"},
		{"超标的补充及特定项目", "supplementary and specific items over the limit"}, {"评价", "assessment"}, {"未监测项目", "items not measured"},
	}), rows)
	return workbook.Write(out, sheets...)
}
