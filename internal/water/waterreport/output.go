package waterreport

import (
	"fmt"
	"github.com/ecowatch/ecowatch/internal/workbook"
	"io"
	"strconv"
	"strings"
)

var classNames = [...]string{"", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}

func optNum(p *float64, dp int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', dp, 64)
}

// WriteText writes the report as readable tables in lang: the summary,
// sections, rivers and basins, the counties' water-quality index and the
// drinking-water sources, then the notes. Every word is in lang; section,
// river, county and source names are the registry's.
func WriteText(out io.Writer, lang workbook.Lang, r *Report) error {
	tw := workbook.NewText(out, 2, false)
	sm := r.Summary
	dash := func(s string) string { return orDash(s) }
	period := r.Period
	if r.Base != "" {
		period = fmt.Sprintf(lang.Pick("%s，对比 %s", "%s, compared with %s"), r.Period, r.Base)
	}
	fmt.Fprintf(tw, lang.Pick("地表水水质报告（%s）\n\n", "Surface water report (%s)\n\n"), period)
	cls := func(c int) string { return dash(classWordIn(lang, c)) }
	fmt.Fprintf(tw, lang.Pick("考核断面 %d 个，有数据 %d 个：Ⅰ类 %d，Ⅱ类 %d，Ⅲ类 %d，Ⅳ类 %d，Ⅴ类 %d，劣Ⅴ类 %d\n",
		"assessed sections %d, with data %d: class Ⅰ %d, Ⅱ %d, Ⅲ %d, Ⅳ %d, Ⅴ %d, worse than Ⅴ %d\n"),
		sm.Sections, sm.Evaluated, sm.ByClass[0], sm.ByClass[1], sm.ByClass[2], sm.ByClass[3], sm.ByClass[4], sm.ByClass[5])
	fmt.Fprintf(tw, lang.Pick("Ⅰ～Ⅲ类比例 %.1f%%（对比时段 %s%%），劣Ⅴ类比例 %.1f%%（对比时段 %s%%），达标 %d 个（%.1f%%），水质状况 %s，变化 %s\n",
		"share of classes Ⅰ–Ⅲ %.1f%% (compared with %s%%), worse than Ⅴ %.1f%% (compared with %s%%), meeting the target %d (%.1f%%), water quality %s, change %s\n"),
		sm.GoodShare, optNum(sm.BaseGood, 1), sm.WorseV, optNum(sm.BaseWorseV, 1), sm.Meeting, sm.MeetShare,
		dash(wordIn(lang, statusEnglish, sm.Status)), dash(wordIn(lang, changeEnglish, sm.Change)))
	fmt.Fprintf(tw, lang.Pick("城市水质指数 %.4f（河流 %.4f，%d 个断面；湖库 %.4f，%d 个断面），对比时段 %s，变化率 %s%%\n\n",
		"city water-quality index (CWQI) %.4f (rivers %.4f over %d, lakes %.4f over %d), compared with %s, change %s%%\n\n"),
		r.CWQI.City, r.CWQI.River, r.CWQI.NRiver, r.CWQI.Lake, r.CWQI.NLake, optNum(r.CWQI.Base, 4), optNum(r.CWQI.ChangeRate, 2))

	fmt.Fprintln(tw, lang.Pick("断面编码\t断面名称\t级别\t河流\t区县\t水质目标\t水质类别\t是否达标\t主要污染指标（类别，超标倍数）\t水质指数\t排名\t对比时段类别\t变化\t水质指数变化率%",
		"code\tsection\tlevel\triver\tcounty\ttarget\tclass\tmeets\tmain pollutants (class, times over)\tCWQI\trank\tclass compared with\tchange\tCWQI change %"))
	for _, s := range r.Sections {
		meets := "-"
		if s.Class != 0 {
			meets = yesNoIn(lang, s.Meets)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Code, s.Name, levelIn(lang, s.Level), s.RiverName, s.CountyName,
			cls(s.Target), cls(s.Class), meets, dash(pollutantsIn(lang, s.MainPollutants)), optNum(s.CWQI, 4), rank(s.Rank),
			cls(s.BaseClass), dash(wordIn(lang, changeEnglish, s.Change)), optNum(s.ChangeRate, 2))
	}
	fmt.Fprintln(tw, lang.Pick("\n河流（流域）\t断面数\t评价方法\t水质状况\tⅠ～Ⅲ类比例%\t主要污染指标（劣于Ⅲ类断面比例）\t对比时段水质状况\t变化",
		"\nriver (basin)\tsections\tmethod\twater quality\tclasses Ⅰ–Ⅲ %\tmain pollutants (share of sections worse than Ⅲ)\tquality compared with\tchange"))
	for _, rv := range append(append([]River{}, r.Rivers...), r.Basins...) {
		var mp []string
		for _, x := range rv.MainPollutants {
			mp = append(mp, fmt.Sprintf("%s %.1f%%", itemIn(lang, x.Item), x.Rate))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%s\t%s\t%s\n", rv.Name, rv.Sections, dash(methodIn(lang, rv.Method)), wordIn(lang, statusEnglish, rv.Status), rv.GoodShare,
			dash(strings.Join(mp, lang.Pick("、", ", "))), dash(wordIn(lang, statusEnglish, rv.BaseStatus)), dash(wordIn(lang, changeEnglish, rv.Change)))
	}
	fmt.Fprintln(tw, lang.Pick("\n排名\t区县\t断面数\t水质指数\t对比时段\t变化率%", "\nrank\tcounty\tsections\tCWQI\tcompared with\tchange %"))
	for _, c := range r.CWQI.Counties {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.4f\t%s\t%s\n", c.Rank, c.Name, c.Sections, c.CWQI, optNum(c.Base, 4), optNum(c.ChangeRate, 2))
	}
	fmt.Fprintln(tw, lang.Pick("\n编码\t水源地\t区县\t样本数\t基本项目类别\t符合Ⅲ类\t补充及特定项目\t评价\t未监测项目",
		"\ncode\tsource\tcounty\tsamples\tclass (table 1)\tmeets Ⅲ\ttables 2-3\tassessment\titems not measured"))
	for _, d := range r.Drinking {
		pass := "-"
		if d.Samples > 0 {
			pass = lang.Pick("不达标", "fails")
			if d.Pass {
				pass = lang.Pick("达标", "meets")
			}
		}
		failed := lang.Pick("未超标", "none over")
		if len(d.Failed) > 0 {
			failed = lang.Pick("超标：", "over: ") + itemsIn(lang, d.Failed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", d.Code, d.Name, d.CountyName, d.Samples, cls(d.Class), yesNoIn(lang, d.MeetsIII),
			failed, pass, dash(itemsIn(lang, d.Unmeasured)))
	}
	notes := r.Notes
	if lang == workbook.English {
		notes = r.NotesEN
	}
	for _, n := range notes {
		fmt.Fprintf(tw, lang.Pick("\n注：%s", "\nnote: %s"), n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func rank(r int) string {
	if r == 0 {
		return "-"
	}
	return strconv.Itoa(r)
}

func optCell(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}
