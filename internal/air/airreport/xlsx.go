package airreport

import (
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// xlsxColumns are the evaluation table's columns, Chinese (the bureau's
// reading) and English; a workbook shows one of the two.
var xlsxColumns = [][2]string{
	{"类别", "kind"}, {"代码", "code"}, {"名称", "name"}, {"所属区县", "county"}, {"点位数", "stations"},
	{"有效天数", "days"}, {"优良天数", "good days"}, {"优良天数比例（%）", "good ratio %"}, {"重污染天数", "heavy days"},
	{"二氧化硫年均浓度", "SO2 mean"}, {"二氧化硫第98百分位数", "SO2 P98"},
	{"二氧化氮年均浓度", "NO2 mean"}, {"二氧化氮第98百分位数", "NO2 P98"},
	{"一氧化碳第95百分位数", "CO P95"},
	{"臭氧日最大8小时第90百分位数", "O3 8h P90"},
	{"可吸入颗粒物年均浓度", "PM10 mean"}, {"可吸入颗粒物第95百分位数", "PM10 P95"},
	{"细颗粒物年均浓度", "PM2.5 mean"}, {"细颗粒物第95百分位数", "PM2.5 P95"},
	{"综合指数", "index"}, {"首要污染物", "largest"}, {"达标", "compliant"},
	{"综合指数排名", "index rank"}, {"细颗粒物排名", "PM2.5 rank"}, {"优良比例排名", "good ratio rank"},
	{"综合指数同比（%）", "index y/y %"}, {"细颗粒物同比（%）", "PM2.5 y/y %"}, {"优良比例同比（百分点，按日期）", "good ratio y/y pp, by date"},
	{"优良比例同比（百分点，同口径）", "good ratio y/y pp, same basis"},
}

// exclusionColumns are the exclusions sheet's columns.
var exclusionColumns = [][2]string{
	{"点位", "station"}, {"污染物", "pollutant"}, {"应有小时", "expected"}, {"有效小时", "valid"},
	{"缺失小时", "missing"}, {"剔除小时", "excluded"}, {"剔除原因", "reasons"}, {"无效日", "invalid days"},
}

func entityRow(lang words, e *Entity) []any {
	row := []any{lang.kind(e.Kind), lang.code(e.Code), lang.name(e.Code, e.Name), e.County, e.Stations, e.Days, e.GoodDays, e.GoodRatio, e.HeavyDays}
	conc := func(c Conc) any {
		if c < 0 {
			return ""
		}
		return air.Conc(c).Float()
	}
	p := e.Pollutants
	row = append(row,
		conc(p[air.SO2].Mean), conc(p[air.SO2].Percentile),
		conc(p[air.NO2].Mean), conc(p[air.NO2].Percentile),
		conc(p[air.CO].Percentile),
		conc(p[air.O3].Percentile),
		conc(p[air.PM10].Mean), conc(p[air.PM10].Percentile),
		conc(p[air.PM25].Mean), conc(p[air.PM25].Percentile))
	if e.Index != nil {
		row = append(row, e.Index.Sum, lang.Pollutant(e.Index.Largest))
	} else {
		row = append(row, "", "")
	}
	row = append(row, lang.yesNo(e.Compliant))
	rk := func(r int) any {
		if r == 0 {
			return ""
		}
		return r
	}
	row = append(row, rk(e.Rank.Index), rk(e.Rank.PM25), rk(e.Rank.GoodRatio))
	opt := func(f *float64) any {
		if f == nil {
			return ""
		}
		return *f
	}
	if e.Change != nil {
		row = append(row, opt(e.Change.Index), opt(e.Change.PM25), opt(e.Change.GoodRatio))
	} else {
		row = append(row, "", "", "")
	}
	if e.ChangeSameBasis != nil {
		row = append(row, opt(e.ChangeSameBasis.GoodRatio))
	} else {
		row = append(row, "")
	}
	return row
}

// WriteXLSX writes the report as an Excel workbook: the evaluation table
// (city, counties, stations) and the exclusions sheet, each with a title
// row above one header row in lang (workbook's layout).
func WriteXLSX(w io.Writer, l workbook.Lang, rep *Report) error {
	lang := words(l)
	main := workbook.Sheet{
		Name: lang.pick([2]string{"评价表", "evaluation"}),
		Title: fmt.Sprintf(lang.pick([2]string{"环境空气质量评价 %s（%s 至 %s），%s，%s；浓度单位：微克/立方米（一氧化碳：毫克/立方米）",
			"Air quality evaluation %s (%s to %s), %s, %s; concentrations in µg/m³ (CO: mg/m³)"}),
			lang.period(rep.Period), rep.From, rep.To, lang.standard(rep.Standard), lang.rules(rep.Rules)),
		FreezeCols: 3, // kind, code, name
	}
	for _, c := range xlsxColumns {
		main.Header = append(main.Header, lang.pick(c))
	}
	if rep.City != nil {
		main.Rows = append(main.Rows, entityRow(lang, rep.City))
	}
	for i := range rep.Counties {
		main.Rows = append(main.Rows, entityRow(lang, &rep.Counties[i]))
	}
	for i := range rep.Stations {
		main.Rows = append(main.Rows, entityRow(lang, &rep.Stations[i]))
	}

	// Exclusions: per station and pollutant, what was dropped and why.
	ex := workbook.Sheet{
		Name:  lang.pick([2]string{"剔除说明", "exclusions"}),
		Title: lang.pick([2]string{"剔除说明（" + lang.period(rep.Period) + "）", "Exclusions (" + rep.Period + ")"}),
	}
	for _, h := range exclusionColumns {
		ex.Header = append(ex.Header, lang.pick(h))
	}
	for _, s := range rep.Stations {
		for p := air.Pollutant(0); p < air.NumPollutants; p++ {
			hc := s.Hours[p.String()]
			n, reasons := 0, ""
			for _, c := range hc.Excluded {
				n += c
			}
			if n > 0 {
				reasons = lang.counts(hc.Excluded, lang.Reason)
			}
			ex.Rows = append(ex.Rows, []any{s.Code, lang.Pollutant(p.String()), hc.Expected, hc.Valid, hc.Missing, n, reasons, hc.InvalidDays})
		}
	}
	return workbook.Write(w, main, ex)
}
