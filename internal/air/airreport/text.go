package airreport

import (
	"errors"
	"fmt"
	"github.com/ecowatch/ecowatch/internal/workbook"
	"io"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/model"
	"go.yaml.in/yaml/v3"
)

// Plain-text renderings of the reports (the command line's table output)
// and the targets file.

// tableColumns are the text table's columns, Chinese and English.
var tableColumns = [][2]string{
	{"类别", "kind"}, {"代码", "code"}, {"名称", "name"}, {"有效天数", "days"}, {"优良比例%", "good%"}, {"重污染天数", "heavy"},
	{"细颗粒物", "PM2.5"}, {"可吸入颗粒物", "PM10"}, {"二氧化硫", "SO2"}, {"二氧化氮", "NO2"},
	{"一氧化碳第95百分位数", "CO-95"}, {"臭氧日最大8小时第90百分位数", "O3-8h-90"},
	{"综合指数", "index"}, {"排名", "rank"}, {"综合指数同比%", "index y/y%"}, {"细颗粒物同比%", "PM2.5 y/y%"},
	{"优良比例同比（百分点，按日期）", "good y/y pp by date"}, {"优良比例同比（百分点，同口径）", "good y/y pp same basis"},
}

// WriteTable writes the report as a plain-text table in lang: city,
// counties, stations, then the excluded hours and invalid station-days.
// Concentrations are µg/m³ (CO mg/m³), as the title says.
func WriteTable(w io.Writer, l workbook.Lang, rep *Report) error {
	lang := words(l)
	fmt.Fprintf(w, lang.pick([2]string{"环境空气质量评价 %s（%s 至 %s），%s，%s\n", "Air quality evaluation %s (%s to %s), %s, %s\n"}),
		lang.period(rep.Period), rep.From, rep.To, lang.standard(rep.Standard), lang.rules(rep.Rules))
	fmt.Fprintln(w, lang.pick([2]string{"浓度单位：微克/立方米（一氧化碳：毫克/立方米）", "Concentrations in µg/m³ (CO: mg/m³)"}))
	fmt.Fprintln(w)
	tw := workbook.NewText(w, 2, true)
	for _, c := range tableColumns {
		fmt.Fprintf(tw, "%s\t", lang.pick(c))
	}
	fmt.Fprintln(tw)
	row := func(e *Entity) {
		p := e.Pollutants
		idx, rank := "-", "-"
		if e.Index != nil {
			idx = strconv.FormatFloat(e.Index.Sum, 'f', 2, 64)
		}
		if e.Rank.Index > 0 {
			rank = strconv.Itoa(e.Rank.Index)
		}
		yoyI, yoyP, yoyG, yoyS := "-", "-", "-", "-"
		if e.Change != nil && e.Change.GoodRatio != nil {
			yoyG = strconv.FormatFloat(*e.Change.GoodRatio, 'f', 1, 64)
		}
		if e.ChangeSameBasis != nil && e.ChangeSameBasis.GoodRatio != nil {
			yoyS = strconv.FormatFloat(*e.ChangeSameBasis.GoodRatio, 'f', 1, 64)
		}
		if e.Change != nil {
			if e.Change.Index != nil {
				yoyI = strconv.FormatFloat(*e.Change.Index, 'f', 1, 64)
			}
			if e.Change.PM25 != nil {
				yoyP = strconv.FormatFloat(*e.Change.PM25, 'f', 1, 64)
			}
		}
		c := func(x Conc) string {
			if s := x.String(); s != "" {
				return s
			}
			return "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", lang.kind(e.Kind), lang.code(e.Code), lang.name(e.Code, e.Name), e.Days, e.GoodRatio, e.HeavyDays,
			c(p[air.PM25].Mean), c(p[air.PM10].Mean), c(p[air.SO2].Mean), c(p[air.NO2].Mean), c(p[air.CO].Percentile), c(p[air.O3].Percentile),
			idx, rank, yoyI, yoyP, yoyG, yoyS)
	}
	if rep.City != nil {
		row(rep.City)
	}
	for i := range rep.Counties {
		row(&rep.Counties[i])
	}
	for i := range rep.Stations {
		row(&rep.Stations[i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, lang.pick([2]string{"\n剔除的小时：%s\n", "\nExcluded hours: %s\n"}), lang.counts(rep.Excluded, lang.Reason))
	fmt.Fprintf(w, lang.pick([2]string{"无有效日均值的点位日：%s\n", "Station-days without a valid daily value: %s\n"}), lang.counts(rep.InvalidDays, lang.Pollutant))
	return nil
}

// WriteTargets writes the targets' attainment as a plain-text table in
// lang.
func WriteTargets(w io.Writer, l workbook.Lang, rep *TargetReport) error {
	lang := words(l)
	fmt.Fprintf(w, lang.pick([2]string{"%d年目标，截至 %s：已过 %d 天，剩余 %d 天\n\n", "Targets %d as of %s: %d days elapsed, %d remaining\n\n"}), rep.Year, rep.AsOf, rep.Elapsed, rep.Remaining)
	tw := workbook.NewText(w, 2, false)
	fmt.Fprintln(tw, lang.pick([2]string{"地区\t名称\t目标\t至今\t余下时段须达到\t状态", "area\tname\ttarget\tso far\tbudget for the rest\tstatus"}))
	cannot := lang.Status(StatusCannotBeMet)
	for _, a := range rep.Areas {
		area, name := a.Area, lang.name(a.Area, a.Name)
		if a.Area == CityCode {
			area = lang.kind("city")
		}
		if p := a.PM25; p != nil {
			budget := cannot
			if p.Budget >= 0 {
				budget = fmt.Sprintf(lang.pick([2]string{"细颗粒物均值 ≤ %s 微克/立方米", "PM2.5 mean ≤ %s µg/m³"}), p.Budget.String())
			} else if p.Feasible {
				budget = "-"
			}
			fmt.Fprintf(tw, lang.pick([2]string{"%s\t%s\t细颗粒物 ≤ %g\t%s（%d 天）\t%s\t%s\n", "%s\t%s\tPM2.5 ≤ %g\t%s (%d days)\t%s\t%s\n"}),
				area, name, p.Target, p.Mean.String(), p.Days, budget, lang.Status(p.Status))
		}
		if g := a.GoodRatio; g != nil {
			budget := cannot
			if g.Feasible {
				budget = fmt.Sprintf(lang.pick([2]string{"非优良天数 ≤ %d", "≤ %d non-good days"}), g.MaxBadDays)
			}
			fmt.Fprintf(tw, lang.pick([2]string{"%s\t%s\t优良比例 ≥ %g%%\t%.1f%%（优良 %d 天）\t%s\t%s\n", "%s\t%s\tgood ≥ %g%%\t%.1f%% (%d good)\t%s\t%s\n"}),
				area, name, g.Target, g.Ratio, g.GoodDays, budget, lang.Status(g.Status))
		}
		if h := a.HeavyDays; h != nil {
			fmt.Fprintf(tw, lang.pick([2]string{"%s\t%s\t重污染天数 ≤ %d\t%d\t还可 %d 天\t%s\n", "%s\t%s\theavy ≤ %d\t%d\t%d more allowed\t%s\n"}),
				area, name, h.Target, h.Days, max(h.Left, 0), lang.Status(h.Status))
		}
		if x := a.Index; x != nil {
			val := "-"
			if x.Value != nil {
				val = strconv.FormatFloat(*x.Value, 'f', 2, 64)
			}
			fmt.Fprintf(tw, lang.pick([2]string{"%s\t%s\t综合指数 ≤ %g\t%s\t-\t%s\n", "%s\t%s\tindex ≤ %g\t%s\t-\t%s\n"}), area, name, x.Target, val, lang.Status(x.Status))
		}
		if a.PM25 == nil && a.GoodRatio == nil && a.HeavyDays == nil && a.Index == nil {
			fmt.Fprintf(tw, lang.pick([2]string{"%s\t%s\t（未设目标）\t\t\t\n", "%s\t%s\t(no targets)\t\t\t\n"}), area, name)
		}
	}
	return tw.Flush()
}

// CheckTargets validates targets: years, areas (the city or a county of
// reg), whole µg/m³ PM2.5, percent ratios; one error lists every problem.
func CheckTargets(reg *model.Registry, ts []model.AirTarget) error {
	areas := map[string]bool{model.AirCity: true}
	for _, c := range reg.Counties {
		areas[c.Code] = true
	}
	var problems []string
	for i, t := range ts {
		where := fmt.Sprintf("target %d (%s %d)", i+1, t.Area, t.Year)
		if t.Year < 2000 || t.Year > 2100 {
			problems = append(problems, where+": year must be 2000-2100")
		}
		if !areas[t.Area] {
			problems = append(problems, where+": area must be city or a county code of the registry")
		}
		if t.PM25 != nil && (*t.PM25 <= 0 || *t.PM25 != float64(int(*t.PM25))) {
			problems = append(problems, where+": pm25 must be a positive whole µg/m³ (targets are set in whole µg/m³)")
		}
		if t.GoodRatio != nil && (*t.GoodRatio <= 0 || *t.GoodRatio > 100) {
			problems = append(problems, where+": good_ratio must be a percent in (0, 100]")
		}
		if t.HeavyDays != nil && *t.HeavyDays < 0 {
			problems = append(problems, where+": heavy_days must be ≥ 0")
		}
		if t.Index != nil && *t.Index <= 0 {
			problems = append(problems, where+": index must be positive")
		}
		if t.PM25 == nil && t.GoodRatio == nil && t.HeavyDays == nil && t.Index == nil {
			problems = append(problems, where+": sets no target")
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// ReadTargets reads a YAML targets file (targets: [{year, area, pm25,
// good_ratio, heavy_days, index}, ...]); unknown fields are errors.
func ReadTargets(r io.Reader) ([]model.AirTarget, error) {
	var doc struct {
		Targets []model.AirTarget `yaml:"targets"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc.Targets, nil
}
