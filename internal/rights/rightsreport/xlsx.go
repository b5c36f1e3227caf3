package rightsreport

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Report is a report that can be written as worksheets.
type Report interface {
	sheets() []sheet
}

// sheet is one worksheet: a title row, one header row in the workbook's
// language, then the rows. cols are Chinese and English header pairs.
type sheet struct {
	name    string
	nameEN  string
	title   string
	titleEN string
	cols    [][2]string
	rows    [][]any
}

// Number formats: quantities in tonnes with all six decimals (exact to the
// gram), money in yuan with two.
const (
	fmtTonnes = "#,##0.000000"
	fmtYuan   = "#,##0.00"
)

// WriteXLSX writes the reports as one workbook in the shared layout
// (workbook.Write), one sheet per report (the project report adds a
// summary sheet). Quantities are numbers in t/a and money in yuan,
// formatted; the exact values are the JSON strings.
func WriteXLSX(w io.Writer, lang workbook.Lang, reports ...Report) error {
	var sheets []workbook.Sheet
	for _, r := range reports {
		for _, sh := range r.sheets() {
			ws, err := sh.in(lang)
			if err != nil {
				return fmt.Errorf("xlsx: sheet %s: %w", lang.Pick(sh.name, sh.nameEN), err)
			}
			sheets = append(sheets, ws)
		}
	}
	return workbook.Write(w, sheets...)
}

// in is the sheet in lang: the columns as wide as the longer of their
// two headers (a Han character is two wide), the cells in lang.
func (sh sheet) in(lang workbook.Lang) (workbook.Sheet, error) {
	out := workbook.Sheet{Name: lang.Pick(sh.name, sh.nameEN), Title: lang.Pick(sh.title, sh.titleEN), Header: lang.Cols(sh.cols)}
	for _, c := range sh.cols {
		out.Widths = append(out.Widths, float64(max(10, 2*len([]rune(c[0])), len(c[1]))+2))
	}
	for ri, row := range sh.rows {
		cells := make([]any, len(row))
		for ci, v := range row {
			var err error
			if cells[ci], err = cellIn(v, lang); err != nil {
				return workbook.Sheet{}, fmt.Errorf("row %d, column %d: %w", ri+1, ci+1, err)
			}
		}
		out.Rows = append(out.Rows, cells)
	}
	return out, nil
}

// cellIn is a cell's value as the workbook writes it: quantities and
// money as formatted numbers, times in China time, words in lang.
func cellIn(v any, lang workbook.Lang) (any, error) {
	switch v := v.(type) {
	case Grams:
		return number(v.String(), fmtTonnes)
	case Fen:
		return number(v.String(), fmtYuan)
	case time.Time:
		return v.In(cst).Format("2006-01-02 15:04:05"), nil
	case word:
		return v.in(lang), nil
	case int, int64, string, nil:
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// number is an exact decimal as the nearest double (at most 16
// significant digits for every quantity the ledger allows, so the shown
// value is the exact one) with a number format.
func number(decimal, format string) (workbook.Number, error) {
	x, err := strconv.ParseFloat(decimal, 64)
	if err != nil {
		return workbook.Number{}, err
	}
	return workbook.Number{Value: x, Format: format}, nil
}

func (r ReservoirReport) sheets() []sheet {
	sh := sheet{name: "调蓄库收支", nameEN: "reservoir", title: "调蓄库收支表（吨/年）" + filterTitle(workbook.Chinese, r.Year, r.County, r.Pollutant),
		titleEN: "Reservoir receipts and spending (t/a)" + filterTitle(workbook.English, r.Year, r.County, r.Pollutant),
		cols: [][2]string{
			{"年度", "year"}, {"区县", "county"}, {"账户", "account"}, {"污染物", "pollutant"}, {"期初余额", "opening"},
			{"减排入库", "banked"}, {"划入", "transfer in"}, {"回购收回", "bought back"}, {"退回", "returned"}, {"其他收入", "other in"},
			{"项目配置", "allocated"}, {"出让", "sold"}, {"划出", "transfer out"}, {"注销", "retired"}, {"过期", "expired"}, {"其他支出", "other out"},
			{"期末余额", "closing"},
		}}
	for _, x := range r.Rows {
		sh.rows = append(sh.rows, []any{x.Year, lookup(regionWords, x.County), accountWord(x.Account), lookup(pollutantWords, x.Pollutant), x.Opening,
			x.Banked, x.TransferIn, x.BoughtBack, x.Returned, x.OtherIn,
			x.Allocated, x.Sold, x.TransferOut, x.Retired, x.Expired, x.OtherOut, x.Closing})
	}
	return []sheet{sh}
}

func (r ProjectReport) sheets() []sheet {
	detail := sheet{name: "项目配置", nameEN: "projects", title: "建设项目总量指标配置（吨/年）" + filterTitle(workbook.Chinese, r.Year, r.County, r.Pollutant),
		titleEN: "Projects served (t/a)" + filterTitle(workbook.English, r.Year, r.County, r.Pollutant),
		cols: [][2]string{
			{"年度", "year"}, {"区县", "county"}, {"污染物", "pollutant"}, {"配置编号", "allocation"}, {"环评批复文号", "EIA approval"},
			{"建设单位", "project"}, {"项目类型", "project type"}, {"达标情况", "attainment"}, {"替代比例", "ratio"}, {"依据", "basis"},
			{"新增排放量", "need"}, {"替代削减量", "offset"}, {"已出让", "granted"}, {"已核销", "written off"}, {"来源减排量", "credits"}, {"状态", "status"},
		}}
	for _, x := range r.Projects {
		credits := ""
		for i, c := range x.Credits {
			if i > 0 {
				credits += ","
			}
			credits += c
		}
		detail.rows = append(detail.rows, []any{x.Year, x.County, lookup(pollutantWords, x.Pollutant), x.Allocation, x.EIA,
			accountWord(x.Project), x.ProjectType, lookup(attainmentWords, x.Attainment), x.Ratio, x.Basis,
			x.Need, x.Offset, x.Granted, x.WrittenOff, credits, lookup(allocStatusWords, x.Status)})
	}
	sum := sheet{name: "项目配置汇总", nameEN: "project summary", title: "建设项目总量指标配置汇总（吨/年）" + filterTitle(workbook.Chinese, r.Year, r.County, r.Pollutant),
		titleEN: "Projects served by county, pollutant and year (t/a)" + filterTitle(workbook.English, r.Year, r.County, r.Pollutant),
		cols: [][2]string{
			{"年度", "year"}, {"区县", "county"}, {"污染物", "pollutant"}, {"已配置项目数", "projects served"},
			{"新增排放量", "need"}, {"替代削减量", "offset"}, {"待配置项目数", "pending"}, {"待配置削减量", "pending offset"}, {"已释放项目数", "released"},
		}}
	for _, x := range r.Summary {
		sum.rows = append(sum.rows, []any{x.Year, x.County, lookup(pollutantWords, x.Pollutant), x.Served, x.Need, x.Offset, x.Pending, x.PendingOffset, x.Released})
	}
	return []sheet{detail, sum}
}

func (r TradeReport) sheets() []sheet {
	sh := sheet{name: "交易统计", nameEN: "trades", title: "排污权交易统计（吨/年；元/吨）" + filterTitle(workbook.Chinese, 0, "", r.Pollutant) + periodTitle(r.Period),
		titleEN: "Trade volumes and prices (t/a; yuan per tonne)" + filterTitle(workbook.English, 0, "", r.Pollutant) + periodTitle(r.Period),
		cols: [][2]string{
			{"污染物", "pollutant"}, {"月份", "month"}, {"成交笔数", "trades"}, {"挂牌成交", "order book"}, {"拍卖", "auctions"}, {"协议转让", "agreements"},
			{"成交量", "quantity"}, {"最低价", "min price"}, {"均价", "avg price"}, {"最高价", "max price"}, {"成交金额(元)", "value (yuan)"},
		}}
	for _, x := range r.Rows {
		sh.rows = append(sh.rows, []any{lookup(pollutantWords, x.Pollutant), x.Month, x.Count, x.OrderBook, x.Auctions, x.Agreements,
			x.Quantity, x.MinPrice, x.AvgPrice, x.MaxPrice, x.Value})
	}
	return []sheet{sh}
}

func (r StatementReport) sheets() []sheet {
	acct := accountWord(r.Account)
	sh := sheet{name: "账户对账单", nameEN: "statement", title: "账户对账单 " + acct.in(workbook.Chinese) + periodTitle(r.Period) + "（排污权：吨/年；资金：元）",
		titleEN: "Account statement " + acct.in(workbook.English) + periodTitle(r.Period) + " (rights t/a; money yuan)",
		cols: [][2]string{
			{"资产", "asset"}, {"序号", "seq"}, {"时间", "time"}, {"命令", "command"}, {"操作", "operation"}, {"对象", "ref"},
			{"文号", "document"}, {"对方账户", "counterparty"}, {"收入", "in"}, {"支出", "out"}, {"余额", "balance"},
		}}
	section := func(asset string, opening, in, out, closing any, lines [][]any) {
		a := lookup(pollutantWords, asset)
		sh.rows = append(sh.rows, []any{a, nil, nil, word{"期初余额", "opening balance"}, nil, nil, nil, nil, nil, nil, opening})
		sh.rows = append(sh.rows, lines...)
		sh.rows = append(sh.rows, []any{a, nil, nil, word{"期末余额", "closing balance"}, nil, nil, nil, nil, in, out, closing})
	}
	for _, s := range r.Rights {
		var lines [][]any
		for _, l := range s.Lines {
			lines = append(lines, []any{lookup(pollutantWords, s.Asset), l.Seq, l.Time, lookup(cmdWords, l.Cmd), lookup(opWords, l.Op), l.Ref, l.Doc, accountWord(l.Counterparty), l.In, l.Out, l.Balance})
		}
		section(s.Asset, s.Opening, s.In, s.Out, s.Closing, lines)
	}
	m := r.Money
	var lines [][]any
	for _, l := range m.Lines {
		lines = append(lines, []any{lookup(pollutantWords, m.Asset), l.Seq, l.Time, lookup(cmdWords, l.Cmd), lookup(opWords, l.Op), l.Ref, l.Doc, accountWord(l.Counterparty), l.In, l.Out, l.Balance})
	}
	section(m.Asset, m.Opening, m.In, m.Out, m.Closing, lines)
	return []sheet{sh}
}

func filterTitle(lang workbook.Lang, year int, county, pollutant string) string {
	s := ""
	if year != 0 {
		s += fmt.Sprintf(lang.Pick(" %d年", " %d"), year)
	}
	if county != "" {
		s += lang.Pick(" 区县 ", " county ") + county
	}
	if pollutant != "" {
		s += " " + lookup(pollutantWords, pollutant).in(lang)
	}
	return s
}

func periodTitle(p Range) string {
	if p.From.IsZero() && p.To.IsZero() {
		return ""
	}
	s := " ["
	if !p.From.IsZero() {
		s += p.From.In(cst).Format("2006-01-02")
	}
	s += ", "
	if !p.To.IsZero() {
		s += p.To.In(cst).Format("2006-01-02")
	}
	return s + ")"
}
