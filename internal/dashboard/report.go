package dashboard

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/marking"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
	"github.com/ecowatch/ecowatch/internal/workbook"
	"github.com/xuri/excelize/v2"
)

// appendSheets copies the sheets of workbook src into workbook dst (cell
// values; numbers stay numbers), each sheet name prefixed, and returns the
// result.
func appendSheets(dst, src []byte, prefix string) ([]byte, error) {
	df, err := excelize.OpenReader(bytes.NewReader(dst))
	if err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	defer df.Close()
	sf, err := excelize.OpenReader(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	defer sf.Close()
	for _, name := range sf.GetSheetList() {
		rows, err := sf.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("monthly workbook: sheet %s: %w", name, err)
		}
		to := prefix + name
		if len([]rune(to)) > 31 { // Excel's limit on sheet names
			to = string([]rune(to)[:31])
		}
		if _, err := df.NewSheet(to); err != nil {
			return nil, fmt.Errorf("monthly workbook: sheet %s: %w", to, err)
		}
		for i, row := range rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if f, err := strconv.ParseFloat(v, 64); err == nil && v != "" {
					err = df.SetCellValue(to, cell, f)
				} else {
					err = df.SetCellValue(to, cell, v)
				}
				if err != nil {
					return nil, fmt.Errorf("monthly workbook: %s!%s: %w", to, cell, err)
				}
			}
		}
	}
	var out bytes.Buffer
	if err := df.Write(&out); err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	return out.Bytes(), nil
}

// reportMonth reads ?month=YYYY-MM; the default is the last month that
// has ended.
func (h *Handler) reportMonth(r *http.Request) (chinatime.Period, error) {
	if s := r.URL.Query().Get("month"); s != "" {
		p, err := chinatime.ParsePeriod(s, chinatime.Month)
		if err != nil {
			return chinatime.Period{}, errStatus(http.StatusBadRequest)
		}
		return p, nil
	}
	return chinatime.PeriodOf(chinatime.Month, h.cfg.Now()).Previous(), nil
}

type reportData struct {
	Month    string // YYYY-MM
	Prev     string
	Next     string
	Report   *airreport.Report
	Summary  string
	Counties []airreport.Entity
	Stations []airreport.Entity
	Water    *waterreport.Report // nil when the store keeps no water data
	Rates    *reportRates        // nil without the marking service
}

// reportRates is the monthly report's part on the enterprises' online
// monitoring: the month's effective transmission rates (传输有效率) of the
// city and the counties with their arithmetic, and the lowest outlets.
type reportRates struct {
	City      marking.Row
	Counties  []marking.Row
	Lowest    []marking.Row // at most reportLowest, lowest first
	Below     int
	Threshold float64
	Rules     string
}

// reportLowest is how many of the lowest outlets the report lists.
const reportLowest = 10

// monthlyRates counts the month's rates (the marking service's day counts,
// shared with the big screen and /rates).
func (h *Handler) monthlyRates(r *http.Request, per chinatime.Period) (*reportRates, error) {
	ms := h.cfg.Marks
	if ms == nil {
		return nil, nil
	}
	rep, err := ms.Rates(r.Context(), per.Start(), per.End(), auth.Principal{User: "report", Role: model.RoleCity, Via: "report"})
	if err != nil {
		return nil, fmt.Errorf("monthly report: rates: %w", err)
	}
	out := &reportRates{City: rep.City, Counties: rep.Counties, Threshold: rep.Threshold, Rules: ms.RuleSet().Source(marking.SrcRate).Ref}
	for i := len(rep.Outlets) - 1; i >= 0; i-- {
		if rep.Outlets[i].Below {
			out.Below++
		}
		if len(out.Lowest) < reportLowest {
			out.Lowest = append(out.Lowest, rep.Outlets[i])
		}
	}
	return out, nil
}

// writeRatesSheet adds the rates as a sheet of the monthly workbook: one
// row per subject with due, received, valid, the two rates, their product
// and the arithmetic in words.
func writeRatesSheet(book []byte, rr *reportRates, lang string) ([]byte, error) {
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	defer f.Close()
	sheet := tr(lang, "report.rates.sheet")
	if _, err := f.NewSheet(sheet); err != nil {
		return nil, fmt.Errorf("monthly workbook: sheet %s: %w", sheet, err)
	}
	rows := [][]any{{tr(lang, "report.rates.level"), tr(lang, "rates.name"), tr(lang, "rates.due"), tr(lang, "rates.received"), tr(lang, "rates.valid"),
		tr(lang, "rates.transmission"), tr(lang, "rates.validity"), tr(lang, "rates.effective"), tr(lang, "rates.arith")}}
	add := func(level string, x marking.Row) {
		name := x.Name
		if x.Key == "city" {
			name = tr(lang, "report.city")
		}
		rows = append(rows, []any{tr(lang, level), name, x.Count.Due, x.Count.Received, x.Count.Valid,
			round4(x.Count.Transmission()), round4(x.Count.Validity()), round4(x.Count.Effective()), x.Count.Arithmetic(lang)})
	}
	add("report.rates.city", rr.City)
	for _, c := range rr.Counties {
		add("report.rates.county", c)
	}
	for _, o := range rr.Lowest {
		add("report.rates.outlet", o)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, fmt.Errorf("monthly workbook: %s row %d: %w", sheet, i+1, err)
		}
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	return out.Bytes(), nil
}

// round4 keeps a rate to four decimals (0.9722 = 97.22 %), as printed.
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// monthlyWater is the water part of the monthly report: the sections of
// the month against their targets (waterreport); nil when the store has no
// water registry.
func (h *Handler) monthlyWater(r *http.Request, per chinatime.Period) (*waterreport.Report, error) {
	ws := h.st
	rep, err := waterreport.Build(r.Context(), ws, per, waterreport.Options{})
	if err != nil {
		return nil, err
	}
	samples := 0
	for _, sec := range rep.Sections {
		samples += sec.Samples
	}
	for _, dp := range rep.Drinking {
		samples += dp.Samples
	}
	if samples == 0 {
		return nil, nil // no data in the month: the page says so
	}
	return rep, nil
}

// monthlyReport is the monthly environmental quality report (环境质量月报):
// its air part (HJ 663-2013 evaluation, as airreport builds it) and its
// water part (GB 3838 classes against targets, CWQI, as waterreport builds
// it), as a printable page.
func (h *Handler) monthlyReport(w http.ResponseWriter, r *http.Request, p *page) error {
	per, err := h.reportMonth(r)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), h.st, airreport.Options{Period: per})
	if err != nil {
		return err
	}
	d := &reportData{Month: per.String(), Prev: per.Previous().String(), Next: per.Next().String(),
		Report: rep, Counties: rankedByIndex(rep.Counties), Stations: rankedByIndex(rep.Stations)}
	if d.Water, err = h.monthlyWater(r, per); err != nil {
		return err
	}
	if d.Rates, err = h.monthlyRates(r, per); err != nil {
		return err
	}
	if c := rep.City; c != nil {
		d.Summary = fmt.Sprintf(p.T("report.summary"), c.Days, c.GoodDays, c.GoodRatio, c.HeavyDays)
	}
	p.Nav, p.Title, p.Data = "reports", p.T("report.title")+" "+d.Month, d
	return h.render(w, http.StatusOK, "report", p)
}

// monthlyXLSX is the same report as an Excel workbook: the air workbook the
// API serves (airreport.WriteXLSX) with the water report's sheets
// (waterreport.WriteXLSX) appended.
func (h *Handler) monthlyXLSX(w http.ResponseWriter, r *http.Request, p *page) error {
	per, err := h.reportMonth(r)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), h.st, airreport.Options{Period: per})
	if err != nil {
		return err
	}
	lang := workbook.Chinese
	if p.En() {
		lang = workbook.English
	}
	var buf bytes.Buffer
	if err := airreport.WriteXLSX(&buf, lang, rep); err != nil {
		return err
	}
	wrep, err := h.monthlyWater(r, per)
	if err != nil {
		return err
	}
	if wrep != nil {
		var wbuf bytes.Buffer
		wlang, prefix := workbook.Chinese, "水质 "
		if p.En() {
			wlang, prefix = workbook.English, "water "
		}
		if err := waterreport.WriteXLSX(&wbuf, wlang, wrep); err != nil {
			return err
		}
		merged, err := appendSheets(buf.Bytes(), wbuf.Bytes(), prefix)
		if err != nil {
			return err
		}
		buf.Reset()
		buf.Write(merged)
	}
	rr, err := h.monthlyRates(r, per)
	if err != nil {
		return err
	}
	if rr != nil {
		withRates, err := writeRatesSheet(buf.Bytes(), rr, p.Lang)
		if err != nil {
			return err
		}
		buf.Reset()
		buf.Write(withRates)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	hd.Set("Content-Disposition", `attachment; filename="environmental-quality-`+rep.Period+`.xlsx"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(buf.Bytes())
	return err
}
